package feed

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tributary-cdc/cdc"
)

func rows(n int) []cdc.Event {
	evs := make([]cdc.Event, n)
	for i := range evs {
		evs[i].Op = cdc.OpRead
		evs[i].Source.Snapshot = cdc.SnapshotTrue
	}
	return evs
}

// marks lists the markers of the sent events, and where positions-only events went.
func marks(batches [][]cdc.Event) string {
	var s string
	for _, b := range batches {
		s += "["
		for _, ev := range b {
			if ev.Op == cdc.OpHeartbeat {
				s += "h"
			} else {
				s += map[cdc.SnapshotMarker]string{cdc.SnapshotTrue: "r", cdc.SnapshotFirst: "F", cdc.SnapshotLast: "L"}[ev.Source.Snapshot]
			}
		}
		s += "]"
	}
	return s
}

func TestMarker(t *testing.T) {
	hb := []cdc.Event{{Op: cdc.OpHeartbeat}}
	for _, c := range []struct {
		name    string
		resumed bool
		in      [][]cdc.Event
		want    string
	}{
		{"two tables", false, [][]cdc.Event{rows(2), rows(2), hb, rows(1)}, "[Fr][rrh][L]"},
		{"empty last table", false, [][]cdc.Event{rows(2), rows(3), hb}, "[Fr][rrLh]"},
		{"one row", false, [][]cdc.Event{rows(1)}, "[L]"},
		{"resumed", true, [][]cdc.Event{rows(2), rows(2)}, "[rr][rL]"},
		{"nothing", false, [][]cdc.Event{hb}, "[h]"},
	} {
		var m Marker
		if c.resumed {
			m.Resumed()
		}
		var sent [][]cdc.Event
		send := func(evs []cdc.Event) error { sent = append(sent, evs); return nil }
		for _, b := range c.in {
			if err := m.Send(b, send); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Finish(send); err != nil {
			t.Fatal(err)
		}
		if got := marks(sent); got != c.want {
			t.Errorf("%s: sent %s, want %s", c.name, got, c.want)
		}
	}
}

// TestMarkerSendAt: the position goes on the batch's last event, or on a heartbeat
// when the batch has no rows; no rows and no position send nothing.
func TestMarkerSendAt(t *testing.T) {
	var m Marker
	var sent []cdc.Event
	send := func(evs []cdc.Event) error { sent = append(sent, evs...); return nil }
	for _, b := range []struct {
		evs []cdc.Event
		pos cdc.Position
	}{{rows(2), cdc.Position("a")}, {nil, nil}, {rows(1), nil}, {nil, cdc.Position("b")}} {
		if err := m.SendAt(b.evs, b.pos, send); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Finish(send); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range sent {
		got = append(got, ev.Op.String()+":"+string(ev.Position))
	}
	if want := "[r: r:a r: h:b]"; fmt.Sprint(got) != want {
		t.Fatalf("sent %v, want %s", got, want)
	}
}

func TestFeed(t *testing.T) {
	f := New("test")
	ctx := context.Background()
	go func() {
		f.Send(ctx, rows(2), nil, nil)
		f.Fail(errors.New("boom"))
	}()
	evs, err := f.Read(ctx)
	if len(evs) != 2 || err != nil {
		t.Fatalf("Read = %d events, %v", len(evs), err)
	}
	for range 2 { // the error sticks
		if _, err := f.Read(ctx); err == nil || err.Error() != "boom" {
			t.Fatalf("Read = %v, want boom", err)
		}
	}
	g := New("test")
	if !g.Close() || g.Close() {
		t.Fatal("Close must report the first call only")
	}
	if _, err := g.Read(ctx); !cdc.IsRetryable(err) || fmt.Sprint(err) != "test: stream closed" {
		t.Fatalf("Read after Close = %v, want a retryable close error", err)
	}
}
