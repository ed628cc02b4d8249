package mysql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestDDL: schema changes between rows become OpSchema events (OpTruncate for
// TRUNCATE) with the statement and the new schema, and the rows after them decode with
// the new columns. With binlog_row_metadata = FULL, re-reading the old events later
// still decodes them with the columns they were written with.
func TestDDL(t *testing.T) {
	db := newDB(t, shared, "ddl")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".t (id INT PRIMARY KEY, a VARCHAR(10), gone INT)",
		"CREATE TABLE "+db+".other (id INT PRIMARY KEY)")
	src := newSource(t, shared, mysql.Config{Tables: []string{db + ".t", db + ".t2"}, SnapshotMode: cdc.SnapshotNever})
	st := open(t, src, nil)
	start := readStart(t, st)
	// One statement at a time, each read before the next: the OpSchema events carry the
	// schema information_schema shows when they are read.
	steps := []struct {
		sql   string
		op    cdc.Op
		table string
		cols  string
		ddl   string
	}{
		{"INSERT INTO " + db + ".t VALUES (1, 'one', 11)", cdc.OpCreate, "t", "id a gone", ""},
		{"ALTER TABLE " + db + ".t ADD COLUMN b INT NOT NULL DEFAULT 7", cdc.OpSchema, "t", "id a gone b", "ADD COLUMN b"},
		{"ALTER TABLE " + db + ".other ADD COLUMN x INT", 0, "", "", ""}, // not captured: no event
		{"INSERT INTO " + db + ".t (id, a, gone, b) VALUES (2, 'two', 22, 8)", cdc.OpCreate, "t", "id a gone b", ""},
		{"ALTER TABLE " + db + ".t DROP COLUMN gone", cdc.OpSchema, "t", "id a b", "DROP COLUMN gone"},
		{"INSERT INTO " + db + ".t (id, a, b) VALUES (3, 'three', 9)", cdc.OpCreate, "t", "id a b", ""},
		{"TRUNCATE TABLE " + db + ".t", cdc.OpTruncate, "t", "id a b", ""},
		{"RENAME TABLE " + db + ".t TO " + db + ".t2", cdc.OpSchema, "t", "", "RENAME TABLE"},
		{"", cdc.OpSchema, "t2", "id a b", "RENAME TABLE"},
		{"INSERT INTO " + db + ".t2 (id, a, b) VALUES (4, 'four', 10)", cdc.OpCreate, "t2", "id a b", ""},
		{"DROP TABLE " + db + ".t2", cdc.OpSchema, "t2", "", "DROP TABLE"},
	}
	var evs []cdc.Event
	expect := 0
	for _, w := range steps {
		if w.sql != "" {
			run(t, c, w.sql)
		}
		if w.op != 0 {
			expect++
		}
		if len(evs) < expect {
			evs = append(evs, cdctest.ReadUntil(t, st, expect-len(evs), func(cdc.Event) bool { return true })...)
		}
	}
	var want []struct {
		sql   string
		op    cdc.Op
		table string
		cols  string
		ddl   string
	}
	for _, w := range steps {
		if w.op != 0 {
			want = append(want, w)
		}
	}
	for i, w := range want {
		ev := evs[i]
		cols := ""
		if ev.Schema != nil {
			cols = strings.Join(ev.Schema.Names(), " ")
		}
		if ev.Op != w.op || ev.Table.Name != w.table || cols != w.cols || !strings.Contains(ev.DDL, w.ddl) || ev.ID() == "" {
			t.Fatalf("event %d: %s %s [%s] ddl %q id %q; want %s %s [%s] ddl containing %q", i, ev.Op, ev.Table, cols, ev.DDL, ev.ID(), w.op, w.table, w.cols, w.ddl)
		}
		if (ev.Op == cdc.OpCreate) && strings.Join(ev.After.Names(), " ") != w.cols {
			t.Fatalf("event %d: row columns %v, want %s", i, ev.After.Names(), w.cols)
		}
	}
	if v, _ := evs[4].After.Int64("b"); v != 9 {
		t.Fatalf("row 3 after the DROP COLUMN: %#v", evs[4].After)
	}
	if evs[1].Schema.Version != evs[0].Schema.Version+1 || evs[2].Schema != evs[1].Schema {
		t.Fatalf("schema versions %d, %d; the row after the ALTER shares the OpSchema's schema: %v",
			evs[0].Schema.Version, evs[1].Schema.Version, evs[2].Schema == evs[1].Schema)
	}
	if col, _ := evs[1].Schema.Column("b"); col.Default == nil || *col.Default != "7" || col.Nullable {
		t.Fatalf("column b: %+v", col)
	}

	// Re-read from the start: the table is gone, its rows decode with the columns of
	// the binlog's table maps.
	st.Close()
	again := cdctest.ReadUntil(t, open(t, src, start), 3, cdctest.Ops(cdc.OpCreate))
	for i, w := range []string{"id a gone", "id a gone b", "id a b"} {
		if got := strings.Join(again[i].After.Names(), " "); got != w || again[i].ID() != evs[[]int{0, 2, 4}[i]].ID() {
			t.Fatalf("re-read row %d: columns [%s] ID %q, want [%s] ID %q", i, got, again[i].ID(), w, evs[[]int{0, 2, 4}[i]].ID())
		}
	}
	if v, _ := again[0].After.Int64("gone"); v != 11 {
		t.Fatalf("re-read row 1: %#v", again[0].After)
	}
}

// readStart returns the position of the start heartbeat of a stream opened without a
// position in snapshot mode never.
func readStart(t testing.TB, st cdc.Stream) cdc.Position {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := st.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].Op != cdc.OpHeartbeat || evs[0].Position == nil {
		t.Fatalf("first events %v: want a heartbeat with the start position", evs)
	}
	return evs[0].Position
}

// TestDropThenRecreateWhileBehind: a table dropped and created again, with other
// columns, before the stream reads the DROP. The DROP's schema event must say the
// table is gone, not show today's table of that name, and each CREATE carries its own
// columns.
func TestDropThenRecreateWhileBehind(t *testing.T) {
	db := newDB(t, shared, "recreate")
	c := dial(t, shared)
	src := newSource(t, shared, mysql.Config{Databases: []string{db}, SnapshotMode: cdc.SnapshotNever})
	st := open(t, src, nil)
	defer st.Close()
	run(t, c, "CREATE TABLE "+db+".t (a INT PRIMARY KEY)",
		"DROP TABLE "+db+".t",
		"CREATE TABLE "+db+".t (x INT PRIMARY KEY, y INT, z INT)")
	evs := cdctest.ReadUntil(t, st, 3, cdctest.Ops(cdc.OpSchema))
	var got []string
	for _, ev := range evs {
		cols := "gone"
		if ev.Schema != nil {
			cols = strings.Join(ev.Schema.Names(), ",")
		}
		got = append(got, cols)
	}
	if want := "a gone x,y,z"; strings.Join(got, " ") != want {
		t.Fatalf("schema events %v, want %s", got, want)
	}
}
