package cdctest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// SourceHarness connects TestSource to a source implementation.
type SourceHarness struct {
	// Setup returns a source over a fresh, empty data set, and a function that makes n
	// committed changes to captured tables, each in its own transaction. Changes written
	// after the first Open must all be delivered by a stream opened with a nil position.
	Setup func(t *testing.T) (src cdc.Source, write func(t *testing.T, n int))
	// Timeout bounds each wait for events (default 30s).
	Timeout time.Duration
}

// TestSource checks a cdc.Source against the Source and Stream contracts: every
// committed change is delivered in order with a stable ID, a stream reopened from a
// committed position resumes right after it, and Close and context cancellation
// unblock Read. Schema, message and heartbeat events are allowed anywhere and ignored.
//
// A second stream opened without a position, with nothing committed, must deliver the
// same changes again with the same IDs (IDsAreStableAcrossRedelivery), as a
// replication slot does. A source without server-side state meets this by
// remembering, per engine name and for the Source value's lifetime, where its first
// position-less stream started (the MySQL and MongoDB sources do).
func TestSource(t *testing.T, h SourceHarness) {
	if h.Timeout <= 0 {
		h.Timeout = 30 * time.Second
	}
	t.Run("DeliversEveryChangeInOrder", func(t *testing.T) {
		src, write := h.Setup(t)
		st := openStream(t, src, nil)
		defer st.Close()
		write(t, 20)
		evs := readChanges(t, st, 20, h.Timeout)
		ids := map[string]bool{}
		for i, ev := range evs {
			if ev.ID() == "" || ids[ev.ID()] {
				t.Fatalf("event %d has an empty or repeated ID %q", i, ev.ID())
			}
			ids[ev.ID()] = true
			if ev.Table.Name == "" {
				t.Fatalf("event %d has no table", i)
			}
			if ev.Op == cdc.OpDelete && ev.Before.IsZero() && ev.Key.IsZero() {
				t.Fatalf("delete %d has neither Before nor Key", i)
			}
			if (ev.Op == cdc.OpCreate || ev.Op == cdc.OpUpdate || ev.Op == cdc.OpRead) && ev.After.IsZero() {
				t.Fatalf("%s event %d has no After row", ev.Op, i)
			}
		}
		if evs[len(evs)-1].Position == nil {
			t.Fatal("the last event of a committed transaction has no Position")
		}
	})

	t.Run("ResumesAfterCommittedPosition", func(t *testing.T) {
		src, write := h.Setup(t)
		st := openStream(t, src, nil)
		write(t, 10)
		evs := readChanges(t, st, 10, h.Timeout)
		// Commit the position of the 6th change (every change is its own transaction).
		mark := evs[5]
		if mark.Position == nil {
			t.Fatal("a single-change transaction's event has no Position")
		}
		if err := st.Commit(context.Background(), mark.Position); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		st.Close()
		write(t, 5)
		st2 := openStream(t, src, mark.Position)
		defer st2.Close()
		rest := readChanges(t, st2, 4+5, h.Timeout)
		for i, ev := range rest[:4] {
			if ev.ID() != evs[6+i].ID() {
				t.Fatalf("after resuming, change %d has ID %q, want %q (the change after the committed one)", i, ev.ID(), evs[6+i].ID())
			}
		}
		for _, ev := range rest {
			for _, old := range evs[:6] {
				if ev.ID() == old.ID() {
					t.Fatalf("change %q at or before the committed position was delivered again", ev.ID())
				}
			}
		}
	})

	t.Run("IDsAreStableAcrossRedelivery", func(t *testing.T) {
		src, write := h.Setup(t)
		st := openStream(t, src, nil)
		write(t, 5)
		first := readChanges(t, st, 5, h.Timeout)
		st.Close()
		st2 := openStream(t, src, nil) // nothing committed: delivered again
		defer st2.Close()
		again := readChanges(t, st2, 5, h.Timeout)
		for i := range first {
			if first[i].ID() != again[i].ID() {
				t.Fatalf("change %d: ID %q then %q", i, first[i].ID(), again[i].ID())
			}
		}
	})

	t.Run("CloseUnblocksRead", func(t *testing.T) {
		src, _ := h.Setup(t)
		st := openStream(t, src, nil)
		done := make(chan error, 1)
		go func() {
			for {
				evs, err := st.Read(context.Background())
				if err != nil {
					done <- err
					return
				}
				if len(changes(evs)) > 0 {
					done <- fmt.Errorf("read %d changes from an idle source", len(evs))
					return
				}
			}
		}()
		time.Sleep(100 * time.Millisecond)
		if err := st.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("Read returned no error after Close")
			}
		case <-time.After(h.Timeout):
			t.Fatal("Read still blocked after Close")
		}
	})

	t.Run("ContextCancelUnblocksRead", func(t *testing.T) {
		src, _ := h.Setup(t)
		st := openStream(t, src, nil)
		defer st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		for {
			evs, err := st.Read(ctx)
			if err != nil {
				if ctx.Err() == nil {
					t.Fatalf("Read failed before the context was done: %v", err)
				}
				if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
					t.Fatalf("Read returned %v, want the context's error", err)
				}
				return
			}
			if len(changes(evs)) > 0 {
				t.Fatal("read changes from an idle source")
			}
		}
	})
}

func openStream(t *testing.T, src cdc.Source, pos cdc.Position) cdc.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := src.Open(ctx, cdc.OpenRequest{Name: "conformance", Position: pos})
	if err != nil {
		t.Fatalf("Open(%s): %v", pos, err)
	}
	return st
}

func changes(evs []cdc.Event) []cdc.Event {
	out := evs[:0:0]
	for _, ev := range evs {
		switch ev.Op {
		case cdc.OpCreate, cdc.OpUpdate, cdc.OpDelete:
			out = append(out, ev)
		}
	}
	return out
}

// readChanges reads until n row changes arrived.
func readChanges(t *testing.T, st cdc.Stream, n int, timeout time.Duration) []cdc.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []cdc.Event
	for len(out) < n {
		evs, err := st.Read(ctx)
		if err != nil {
			t.Fatalf("Read after %d of %d changes: %v", len(out), n, err)
		}
		out = append(out, changes(evs)...)
	}
	if len(out) > n {
		t.Fatalf("read %d changes, want %d", len(out), n)
	}
	return out
}
