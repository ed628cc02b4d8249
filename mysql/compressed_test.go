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

// TestCompressedColumns: go-mysql cannot decode rows of MariaDB tables with
// COMPRESSED columns. Writes to such a table that is not captured must not stop the
// stream (also inside a transaction with captured changes); a captured one fails it
// with an error naming the table.
func TestCompressedColumns(t *testing.T) {
	needMariaDB(t, shared, "COMPRESSED columns are MariaDB's")
	db := newDB(t, shared, "compr")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".z (id INT PRIMARY KEY, doc TEXT COMPRESSED)", "CREATE TABLE "+db+".t (id INT PRIMARY KEY)")
	src := newSource(t, shared, mysql.Config{Tables: []string{db + ".t"}, SnapshotMode: cdc.SnapshotNever})
	st := open(t, src, nil)
	start := readStart(t, st)
	run(t, c, "INSERT INTO "+db+".z VALUES (1, REPEAT('x', 1000))",
		"BEGIN", "INSERT INTO "+db+".z VALUES (2, 'y')", "INSERT INTO "+db+".t VALUES (1)", "COMMIT",
		"INSERT INTO "+db+".t VALUES (2)")
	evs := cdctest.ReadUntil(t, st, 2, cdctest.Ops(cdc.OpCreate))
	for i, ev := range evs {
		if id, _ := ev.After.Int64("id"); ev.Table.Name != "t" || id != int64(i+1) {
			t.Fatalf("event %d: %s %v", i, ev.Table, ev.After)
		}
	}
	st.Close()

	all := newSource(t, shared, mysql.Config{Databases: []string{db}, SnapshotMode: cdc.SnapshotNever})
	st = open(t, all, start)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, err := st.Read(ctx)
		if err == nil {
			continue
		}
		if cdc.IsRetryable(err) || !strings.Contains(err.Error(), db+".z") || !strings.Contains(err.Error(), "COMPRESSED") {
			t.Fatalf("capturing the table with a COMPRESSED column: %v; want a terminal error naming it", err)
		}
		break
	}
}
