package cdctest

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// ReadUntil reads st until n events that keep accepts have arrived (heartbeats are
// dropped), failing the test on a read error or after 30 seconds. It may read a few
// more events from the last batch; those it returns too only when keep accepts them.
func ReadUntil(t testing.TB, st cdc.Stream, n int, keep func(cdc.Event) bool) []cdc.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []cdc.Event
	for len(out) < n {
		evs, err := st.Read(ctx)
		if err != nil {
			t.Fatalf("Read after %d of %d events: %v", len(out), n, err)
		}
		for _, ev := range evs {
			if ev.Op != cdc.OpHeartbeat && keep(ev) {
				out = append(out, ev)
			}
		}
	}
	return out
}

// Ops accepts the events of the given operations, for ReadUntil.
func Ops(ops ...cdc.Op) func(cdc.Event) bool {
	return func(ev cdc.Event) bool {
		for _, o := range ops {
			if ev.Op == o {
				return true
			}
		}
		return false
	}
}
