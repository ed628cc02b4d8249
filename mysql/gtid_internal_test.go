package mysql

import (
	"testing"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
)

func TestGTIDTrackerMariaDB(t *testing.T) {
	g, err := newGTIDTracker(gmysql.MariaDBFlavor, "0-1-42")
	if err != nil || g.text != "0-1-42" {
		t.Fatalf("parse: %q, %v", g.text, err)
	}
	steps := []struct{ gtid, want string }{
		{"0-1-43", "0-1-43"},
		{"0-2-44", "0-2-44"}, // another server of the domain (a failover)
		{"10-1-1", "0-2-44,10-1-1"},
		{"2-3-9", "0-2-44,2-3-9,10-1-1"}, // domains in numeric order
		{"10-1-2", "0-2-44,2-3-9,10-1-2"},
	}
	for _, s := range steps {
		if err := g.advance(s.gtid); err != nil || g.text != s.want {
			t.Fatalf("advance(%s) = %q, %v; want %q", s.gtid, g.text, err, s.want)
		}
	}
	if err := g.advance("0-1"); err == nil {
		t.Fatal("advance of a malformed GTID: no error")
	}
	for gtid, want := range map[string]bool{"0-1-44": true, "0-9-45": false, "2-3-9": true, "10-1-3": false, "7-1-1": false} {
		if got := g.containsGTID(gtid); got != want {
			t.Errorf("containsGTID(%s) = %v, want %v", gtid, got, want)
		}
	}
	older, _ := newGTIDTracker(gmysql.MariaDBFlavor, "0-1-40,10-1-2")
	if !g.contains(older) || older.contains(g) {
		t.Error("contains: the state should include an older one and not the reverse")
	}
	same, _ := newGTIDTracker(gmysql.MariaDBFlavor, "10-1-2, 2-3-9,0-2-44")
	if !g.equal(same) {
		t.Error("equal: the same state written in another order")
	}
	if _, err := newGTIDTracker(gmysql.MariaDBFlavor, "x-1-2"); err == nil {
		t.Error("a malformed state parsed")
	}
}

func TestGTIDTrackerMySQL(t *testing.T) {
	const a, b = "3e11fa47-71ca-11e1-9e33-c80aa9429562", "4e11fa47-71ca-11e1-9e33-c80aa9429562"
	// As SHOW MASTER STATUS prints a long set: over several lines.
	g, err := newGTIDTracker(gmysql.MySQLFlavor, a+":1-5,\n"+b+":1-3")
	if err != nil || g.text != a+":1-5,"+b+":1-3" {
		t.Fatalf("parse: %q, %v", g.text, err)
	}
	if err := g.advance(a + ":6"); err != nil || g.text != a+":1-6,"+b+":1-3" {
		t.Fatalf("advance: %q, %v", g.text, err)
	}
	if !g.containsGTID(b+":2") || g.containsGTID(b+":4") {
		t.Error("containsGTID")
	}
	if !plainGTIDText(g.text) {
		t.Errorf("%q needs escaping in a position", g.text)
	}
	none, err := newGTIDTracker(gmysql.MySQLFlavor, "")
	if err != nil || none.text != "" || !g.contains(none) {
		t.Fatalf("the empty set: %q, %v", none.text, err)
	}
}

// TestRewindGTIDs: on another server the history is rewound by GTID: the statements
// whose transactions the state includes stay, later ones go.
func TestRewindGTIDs(t *testing.T) {
	tbl := func(cols ...string) *tableInfo {
		ti := &tableInfo{}
		for _, c := range cols {
			ti.cols = append(ti.cols, colInfo{name: c, dataType: "int"})
		}
		ti.index()
		return ti
	}
	base := &schemaModel{tables: map[string]*tableInfo{"db.t": tbl("a")}, dbs: map[string]string{"db": "utf8mb4"}}
	h := newHistory(&memStore{}, "k", gmysql.MariaDBFlavor, binlogPos{"mysql-bin.000001", 4}, base)
	h.baseGTIDs = "0-1-10"
	h.record(histEntry{at: binlogPos{"mysql-bin.000001", 100}, gtid: "0-1-12", tables: map[string]*tableInfo{"db.t": tbl("a", "b")}})
	h.record(histEntry{at: binlogPos{"mysql-bin.000001", 200}, tables: map[string]*tableInfo{"db.u": tbl("x")}}) // found in the catalog
	h.record(histEntry{at: binlogPos{"mysql-bin.000001", 300}, gtid: "0-1-15", tables: map[string]*tableInfo{"db.t": tbl("a", "b", "c")}})
	state := func(s string) *gtidTracker {
		g, err := newGTIDTracker(gmysql.MariaDBFlavor, s)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	if !h.rewindGTIDs(state("0-1-14")) {
		t.Error("a state after the base reported as before it")
	}
	if got := len(h.cur.tables["db.t"].cols); got != 2 || len(h.entries) != 2 || h.cur.tables["db.u"] == nil {
		t.Fatalf("at 0-1-14: %d columns, %d entries; want 2 columns and the first two entries", got, len(h.entries))
	}
	if h.rewindGTIDs(state("0-1-9")) {
		t.Error("a state before the base reported as after it")
	}
	if got := len(h.cur.tables["db.t"].cols); got != 1 || len(h.entries) != 0 {
		t.Fatalf("at 0-1-9: %d columns, %d entries; want the base", got, len(h.entries))
	}
}
