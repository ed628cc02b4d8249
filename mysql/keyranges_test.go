package mysql_test

import (
	"encoding/json"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestSnapshotKeyRanges: with several readers a table with an integer key is read in
// key ranges at once (every third id missing, so the ranges hold different counts,
// one negative). Rows arrive once each, in key order; a snapshot stopped in the middle
// resumes after the last key of its position, and the ranges then cover only what is
// left.
func TestSnapshotKeyRanges(t *testing.T) {
	db := newDB(t, shared, "ranges")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".t (id BIGINT PRIMARY KEY, v INT)",
		insertSeq(db+".t", "seq - 500, seq", 1, 6000), "DELETE FROM "+db+".t WHERE MOD(id, 3) = 0")
	var want []int64
	for id := int64(-499); id <= 5500; id++ {
		if id%3 != 0 {
			want = append(want, id)
		}
	}
	cfg := mysql.Config{Tables: []string{db + ".t"}, SnapshotChunkSize: 100, SnapshotParallelism: 3, SnapshotMode: cdc.SnapshotInitialOnly}
	ids := func(evs []cdc.Event) []int64 {
		var out []int64
		for _, ev := range evs {
			id, err := ev.After.Int64("id")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	check := func(name string, got, want []int64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", name, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: row %d is id %d, want %d (key order, each once)", name, i, got[i], want[i])
			}
		}
	}
	evs := cdctest.ReadUntil(t, open(t, newSource(t, shared, cfg), nil), len(want), cdctest.Ops(cdc.OpRead))
	check("full snapshot", ids(evs), want)

	// A position in the middle (as a crash would leave it), then a resume from it.
	var pos cdc.Position
	var at int
	for i, ev := range evs[:len(evs)/2] {
		if ev.Position != nil {
			pos, at = ev.Position, i
		}
	}
	var p struct{ Snapshot struct{ After []string } }
	if err := json.Unmarshal(pos, &p); err != nil || len(p.Snapshot.After) != 1 {
		t.Fatalf("mid-table position %s: %v", pos, err)
	}
	rest := cdctest.ReadUntil(t, open(t, newSource(t, shared, cfg), pos), len(want)-at-1, cdctest.Ops(cdc.OpRead))
	check("resumed after "+p.Snapshot.After[0], ids(rest), want[at+1:])
}
