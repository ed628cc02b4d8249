package postgres

import "testing"

func TestVisibleIn(t *testing.T) {
	const epoch1 = 1 << 32
	cases := []struct {
		snap string
		xid  uint32
		want bool
	}{
		{"100:105:", 99, true},                                  // below xmin
		{"100:105:", 103, true},                                 // between, not running
		{"100:105:101,103", 103, false},                         // still in progress
		{"100:105:101,103", 102, true},                          // committed between running ones
		{"100:105:", 104, true},                                 // last assigned
		{"4294967290:4294967300:4294967295", 4294967295, false}, // epoch 0, running
		{"4294967290:4294967300:4294967295", 3, true},           // epoch 1 (4294967299), done
		{"4294967290:4294967300:4294967299", 3, false},          // epoch 1, running
		{"4294967290:4294967300:", 4294967291, true},            // epoch 0 id seen from epoch 1
		{"5000000000:5000000005:5000000001", uint32(5000000001 - epoch1), false},
		{"5000000000:5000000005:5000000001", uint32(5000000002 - epoch1), true},
	}
	for _, c := range cases {
		got, err := visibleIn(c.snap, c.xid)
		if err != nil || got != c.want {
			t.Errorf("visibleIn(%q, %d) = %v, %v; want %v", c.snap, c.xid, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "1:2", "a:2:", "1:b:"} {
		if _, err := visibleIn(bad, 1); err == nil {
			t.Errorf("visibleIn(%q) accepted a malformed snapshot", bad)
		}
	}
}
