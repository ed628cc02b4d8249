package mysql_test

import (
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestSequenceInCapturedDatabase: MariaDB writes a sequence's state as row events of
// a table of the sequence's name, which is not a table of the catalog. Capturing the
// whole database must go on past them.
func TestSequenceInCapturedDatabase(t *testing.T) {
	needMariaDB(t, shared, "sequences are MariaDB's")
	db := newDB(t, shared, "seqs")
	c := dial(t, shared)
	run(t, c, "CREATE SEQUENCE "+db+".s", "CREATE TABLE "+db+".t (id INT PRIMARY KEY)")
	st := open(t, newSource(t, shared, mysql.Config{Databases: []string{db}, SnapshotMode: cdc.SnapshotNever}), nil)
	readStart(t, st)
	run(t, c, "INSERT INTO "+db+".t VALUES (NEXTVAL("+db+".s))", "SELECT NEXTVAL("+db+".s)", "ALTER SEQUENCE "+db+".s RESTART 100",
		"INSERT INTO "+db+".t VALUES (NEXTVAL("+db+".s))")
	evs := cdctest.ReadUntil(t, st, 2, cdctest.Ops(cdc.OpCreate, cdc.OpUpdate, cdc.OpDelete))
	for i, want := range []int64{1, 100} {
		if id, _ := evs[i].After.Int64("id"); evs[i].Table.Name != "t" || id != want {
			t.Fatalf("event %d: %s %s %v, want an insert of id %d into t", i, evs[i].Op, evs[i].Table, evs[i].After, want)
		}
	}
}
