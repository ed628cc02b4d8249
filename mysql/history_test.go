package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mysql"
	"github.com/tributary-cdc/cdc/offsets"
)

// openReq opens a stream with an offset store (where the schema history is kept).
func openReq(t testing.TB, src cdc.Source, name string, store cdc.OffsetStore, pos cdc.Position) cdc.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := src.Open(ctx, cdc.OpenRequest{Name: name, Position: pos, Offsets: store})
	if err != nil {
		t.Fatalf("Open(%s): %v", pos, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// rowText renders a row event as "table: col=value ...", in the row's column order.
func rowText(ev cdc.Event) string {
	var b strings.Builder
	b.WriteString(ev.Table.Name + ":")
	for i, n := range ev.After.Names() {
		fmt.Fprintf(&b, " %s=%v", n, ev.After.At(i))
	}
	return b.String()
}

// TestSchemaHistoryMinimalMetadata: with binlog_row_metadata = MINIMAL the binlog has no
// column names, so rows are decoded with the schema history. Columns are added, dropped,
// moved, renamed (also swapped in one ALTER) and retyped, and tables renamed (a swap)
// and dropped, between rows;
// every row decodes under the columns of its time, live, and again after a "process
// restart" (a new Source and a new file offset store on the same file) resuming at the
// position before all of it, when the tables have long changed or gone. An external
// server with binlog_row_metadata = NO_LOG (no names either) does as well.
func TestSchemaHistoryMinimalMetadata(t *testing.T) {
	m := serverWithRowMetadata(t, "MINIMAL", "NO_LOG")
	db := newDB(t, m, "hist")
	c := dial(t, m)
	run(t, c, "CREATE TABLE "+db+".t (id INT PRIMARY KEY, a VARCHAR(10), b INT)")
	path := filepath.Join(t.TempDir(), "offsets.json")
	cfg := mysql.Config{Tables: []string{db + ".t", db + ".u"}, SnapshotMode: cdc.SnapshotNever}
	st := openReq(t, newSource(t, m, cfg), "hist", offsets.NewFile(path), nil)
	start := readStart(t, st)
	run(t, c,
		"INSERT INTO "+db+".t VALUES (1, 'one', 11)",
		"ALTER TABLE "+db+".t ADD COLUMN c VARCHAR(5) DEFAULT 'x' AFTER id",
		"INSERT INTO "+db+".t (id, c, a, b) VALUES (2, 'cc', 'two', 22)",
		"ALTER TABLE "+db+".t DROP COLUMN b, MODIFY a VARCHAR(20) NOT NULL FIRST",
		"INSERT INTO "+db+".t VALUES ('three', 3, 'c3')",
		"USE "+db,
		"ALTER TABLE t CHANGE c c2 VARCHAR(5), ADD COLUMN n INT UNSIGNED",
		"INSERT INTO t VALUES ('four', 4, 'c4', 4000000000)",
		"CREATE TABLE u (k INT PRIMARY KEY, v VARCHAR(3))",
		"INSERT INTO u VALUES (1, 'u1')",
		"RENAME TABLE t TO tmp, u TO t, tmp TO u",
		"INSERT INTO t VALUES (2, 'u2')",
		"INSERT INTO u VALUES ('five', 5, 'c5', 5)",
		// Clauses name columns as they were before the statement: this swaps them.
		"ALTER TABLE u RENAME COLUMN a TO c2, RENAME COLUMN c2 TO a",
		"INSERT INTO u VALUES ('x6', 6, 'y6', 6)",
		"DROP TABLE u",
		"ALTER TABLE t ADD COLUMN w INT FIRST",
	)
	want := []string{
		"t: id=1 a=one b=11",
		"t: id=2 c=cc a=two b=22",
		"t: a=three id=3 c=c3",
		"t: a=four id=4 c2=c4 n=4000000000",
		"u: k=1 v=u1",
		"t: k=2 v=u2",
		"u: a=five id=5 c2=c5 n=5",
		"u: c2=x6 id=6 a=y6 n=6",
	}
	check := func(what string, evs []cdc.Event) {
		t.Helper()
		for i, ev := range evs {
			if got := rowText(ev); got != want[i] {
				t.Fatalf("%s: row %d is %q, want %q", what, i+1, got, want[i])
			}
		}
	}
	check("live", cdctest.ReadUntil(t, st, len(want), cdctest.Ops(cdc.OpCreate)))
	st.Close()

	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), `"hist/schema-history"`) {
		t.Fatalf("the offsets file has no schema history under hist/schema-history (%v):\n%s", err, data)
	}
	// A new process: nothing in memory, the history comes from the file.
	st = openReq(t, newSource(t, m, cfg), "hist", offsets.NewFile(path), start)
	evs := cdctest.ReadUntil(t, st, len(want)+1, cdctest.Ops(cdc.OpCreate, cdc.OpSchema))
	var rows []cdc.Event
	for _, ev := range evs {
		if ev.Op == cdc.OpCreate {
			rows = append(rows, ev)
		}
	}
	check("after the restart", rows)
	// The OpSchema events of the re-read carry the schemas of their time too.
	if ev := evs[1]; ev.Op != cdc.OpSchema || strings.Join(ev.Schema.Names(), " ") != "id c a b" {
		t.Fatalf("re-read event 2: %s %v, want the OpSchema of the first ALTER with columns id c a b", ev.Op, ev.Schema)
	}
	if col, _ := evs[1].Schema.Column("c"); col.Default == nil || *col.Default != "'x'" || col.Type != "varchar(5)" {
		t.Fatalf("column c after the first ALTER: %+v", col)
	}
}

// TestUnparseableDDL: a DDL statement about a captured database that the parser cannot
// read fails the stream with an error naming the statement and the option that skips
// it; with Config.SkipUnparseableDDL the stream goes on.
func TestUnparseableDDL(t *testing.T) {
	db := newDB(t, shared, "unparse")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".t (id INT PRIMARY KEY)")
	cfg := mysql.Config{Tables: []string{db + ".t"}, SnapshotMode: cdc.SnapshotNever}
	src := newSource(t, shared, cfg)
	st := open(t, src, nil)
	start := readStart(t, st)
	st.Close()
	// MariaDB's system versioning is beyond the TiDB parser (and is not rewritten).
	run(t, c, "ALTER TABLE "+db+".t ADD SYSTEM VERSIONING", "INSERT INTO "+db+".t VALUES (1)")

	st = open(t, src, start)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		evs, err := st.Read(ctx)
		if err != nil {
			if cdc.IsRetryable(err) || !strings.Contains(err.Error(), "VERSIONING") || !strings.Contains(err.Error(), "SkipUnparseableDDL") {
				t.Fatalf("Read = %v; want a terminal error naming the statement and SkipUnparseableDDL", err)
			}
			t.Log(err)
			break
		}
		for _, ev := range evs {
			if ev.Op == cdc.OpCreate {
				t.Fatalf("a row after the unparseable DDL was delivered: %v", ev.After)
			}
		}
	}
	st.Close()

	cfg.SkipUnparseableDDL = true
	st = open(t, newSource(t, shared, cfg), start)
	if ev := cdctest.ReadUntil(t, st, 1, cdctest.Ops(cdc.OpCreate))[0]; ev.After.Len() < 1 {
		t.Fatalf("row after the skipped DDL: %v", ev.After)
	}
}

// TestCorruptSchemaHistory: a stored history that cannot be read, or of another
// version, stops Open with ErrCorruptOffsets naming the key and the fix.
func TestCorruptSchemaHistory(t *testing.T) {
	src := newSource(t, shared, mysql.Config{Tables: []string{"test.nothing"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dial(t, shared)
	file := binlogFile(t, c)
	pos := cdc.Position(`{"v":1,"file":"` + file + `","pos":4}`)
	for _, bad := range []string{`{"v":9,"base":{}}`, `{{{`} {
		store := offsets.NewMemory()
		if err := store.Save(ctx, "c/schema-history", cdc.Position(bad)); err != nil {
			t.Fatal(err)
		}
		st, err := src.Open(ctx, cdc.OpenRequest{Name: "c", Position: pos, Offsets: store})
		if err == nil {
			st.Close()
		}
		if !errors.Is(err, cdc.ErrCorruptOffsets) || !strings.Contains(err.Error(), "c/schema-history") {
			t.Fatalf("Open with the history %s = %v; want ErrCorruptOffsets naming the key", bad, err)
		}
		t.Log(err)
	}
}
