package mysql_test

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestSnapshotTextProtocol: the snapshot reads its rows off the wire itself. Values
// of every length encoding (1, 3 and 4 bytes, and over 16 MiB: a row of several
// packets), NULL beside the empty string, and ZEROFILL and negative integer keys
// (IDs in plain decimal, as the stream's values) must come out exact.
func TestSnapshotTextProtocol(t *testing.T) {
	db := newDB(t, shared, "wire")
	c := dial(t, shared)
	const big = 17 << 20
	run(t, c, "SET GLOBAL max_allowed_packet = 64 << 20")
	c = dial(t, shared) // the new limit holds for new sessions
	run(t, c,
		"CREATE TABLE "+db+".t (id INT(6) ZEROFILL PRIMARY KEY, n INT, s VARCHAR(100), b LONGBLOB, u BIGINT UNSIGNED)",
		"CREATE TABLE "+db+".neg (id BIGINT PRIMARY KEY, v TINYINT(3) ZEROFILL)",
		"INSERT INTO "+db+".t VALUES (7, -5, '', NULL, 18446744073709551615), (42, NULL, NULL, '', 0), "+
			"(100, 1, 'x', REPEAT('a', 300), 1), (101, 2, 'y', REPEAT('b', 70000), 2), "+
			"(102, 3, 'z', REPEAT('c', "+strconv.Itoa(big)+"), 3), (103, 4, 'after the long row', 'd', 4)",
		"INSERT INTO "+db+".neg VALUES (-9223372036854775808, 1), (-1, 0), (0, 12), (9223372036854775807, NULL)",
	)
	src := newSource(t, shared, mysql.Config{Databases: []string{db}, SnapshotMode: cdc.SnapshotInitialOnly})
	st := open(t, src, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got := map[string]cdc.Event{}
	for {
		evs, err := st.Read(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Op == cdc.OpRead {
				got[ev.ID()] = ev
			}
		}
	}
	prefix := "mysql:snapshot:" + db + "."
	want := map[string]map[string]any{
		"t:7":                      {"id": int64(7), "n": int64(-5), "s": "", "b": nil, "u": uint64(18446744073709551615)},
		"t:42":                     {"id": int64(42), "n": nil, "s": nil, "b": []byte{}, "u": uint64(0)},
		"t:100":                    {"b": bytes.Repeat([]byte("a"), 300)},
		"t:101":                    {"b": bytes.Repeat([]byte("b"), 70000)},
		"t:102":                    {"s": "z", "b": bytes.Repeat([]byte("c"), big), "u": uint64(3)},
		"t:103":                    {"s": "after the long row", "b": []byte("d")},
		"neg:-9223372036854775808": {"id": int64(-9223372036854775808), "v": int64(1)},
		"neg:-1":                   {"v": int64(0)},
		"neg:0":                    {"v": int64(12)},
		"neg:9223372036854775807":  {"v": nil},
	}
	if len(got) != len(want) {
		var ids []string
		for id := range got {
			ids = append(ids, id)
		}
		t.Fatalf("snapshot events %q, want %d", ids, len(want))
	}
	for id, cols := range want {
		ev, ok := got[prefix+id]
		if !ok {
			t.Errorf("no event %s", prefix+id)
			continue
		}
		for col, w := range cols {
			v, ok := ev.After.Get(col)
			if !ok {
				t.Errorf("%s: no column %s", id, col)
				continue
			}
			if wb, isBytes := w.([]byte); isBytes {
				if gb, ok := v.([]byte); !ok || !bytes.Equal(gb, wb) || gb == nil {
					t.Errorf("%s.%s = %T of %d bytes, want %d bytes", id, col, v, len(gb), len(wb))
				}
				continue
			}
			if v != w {
				t.Errorf("%s.%s = %#v, want %#v", id, col, v, w)
			}
		}
	}
	if k, _ := got[prefix+"t:7"].Key.Get("id"); k != int64(7) {
		t.Errorf("key of t:7 = %#v", k)
	}
}
