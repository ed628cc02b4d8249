package mysql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestMariaDBTypes: MariaDB's UUID, INET4 and INET6 values arrive as the text the
// server shows, the same from the snapshot (a SELECT) and from the binlog (where
// they are fixed-length binary).
func TestMariaDBTypes(t *testing.T) {
	needMariaDB(t, shared, "UUID, INET4 and INET6 are MariaDB types")
	db := newDB(t, shared, "mtypes")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".t (id INT PRIMARY KEY, u UUID, i4 INET4, i6 INET6)")
	values := [][3]string{
		{"123e4567-e89b-12d3-a456-426614174000", "10.1.2.3", "::ffff:10.1.2.3"}, // a version-1 UUID
		{"f81d4fae-7dec-41d0-a765-00a0c91e6bf6", "0.0.0.0", "2001:db8::1"},      // version 4
		{"00000000-0000-0000-0000-000000000000", "255.255.255.255", "::"},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", "192.168.0.1", "fe80::1:2:3:4"},
	}
	insert := func(from int) string {
		var rows []string
		for i, v := range values {
			rows = append(rows, fmt.Sprintf("(%d, '%s', '%s', '%s')", from+i, v[0], v[1], v[2]))
		}
		return "INSERT INTO " + db + ".t VALUES " + strings.Join(rows, ", ") + fmt.Sprintf(", (%d, NULL, NULL, NULL)", from+len(values))
	}
	run(t, c, insert(1))
	st := open(t, newSource(t, shared, mysql.Config{Tables: []string{db + ".t"}}), nil)
	snap := cdctest.ReadUntil(t, st, len(values)+1, cdctest.Ops(cdc.OpRead))
	run(t, c, insert(101))
	stream := cdctest.ReadUntil(t, st, len(values)+1, cdctest.Ops(cdc.OpCreate))
	for name, evs := range map[string][]cdc.Event{"snapshot": snap, "stream": stream} {
		for i, ev := range evs {
			want := "u=<nil> i4=<nil> i6=<nil>"
			if i < len(values) {
				want = fmt.Sprintf("u=%s i4=%s i6=%s", values[i][0], values[i][1], values[i][2])
			}
			var got []string
			for _, col := range []string{"u", "i4", "i6"} {
				v, _ := ev.After.Get(col)
				got = append(got, fmt.Sprintf("%s=%v", col, v))
			}
			if strings.Join(got, " ") != want {
				t.Errorf("%s row %d: %s, want %s", name, i, strings.Join(got, " "), want)
			}
		}
	}
}

// TestMariaDBJSONColumns: MariaDB's JSON is LONGTEXT with a json_valid CHECK; a column
// is JSON whichever way the constraint was written (the JSON alias, or by hand, in
// any case) and a text column with another CHECK is not.
func TestMariaDBJSONColumns(t *testing.T) {
	needMariaDB(t, shared, "JSON as a CHECK constraint is MariaDB's")
	db := newDB(t, shared, "mjson")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".t (id INT PRIMARY KEY, a JSON, b LONGTEXT CHECK (JSON_VALID(B)), Cc LONGTEXT CHECK (json_valid(cc)), "+
		"d LONGTEXT CHECK (d <> 'x'))",
		"INSERT INTO "+db+".t VALUES (1, '[1]', '{\"b\": 2}', '3', '{}')")
	st := open(t, newSource(t, shared, mysql.Config{Tables: []string{db + ".t"}}), nil)
	ev := cdctest.ReadUntil(t, st, 1, cdctest.Ops(cdc.OpRead))[0]
	for col, want := range map[string]cdc.Kind{"a": cdc.KindJSON, "b": cdc.KindJSON, "Cc": cdc.KindJSON, "d": cdc.KindString} {
		i := ev.Schema.Index(col)
		if i < 0 {
			t.Fatalf("no column %s in %v", col, ev.Schema.Names())
		}
		if got := ev.Schema.Columns[i].Kind; got != want {
			t.Errorf("column %s: kind %v, want %v", col, got, want)
		}
	}
}
