package cdc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"unsafe"

	"github.com/tributary-cdc/cdc"
)

// poolSource hands out n events in batches of varying size, built in arrays from
// OpenRequest.NewBatch, and records which arrays it got.
type poolSource struct {
	n      int
	mu     sync.Mutex
	arrays map[*cdc.Event]bool
	gets   int
}

type poolStream struct {
	src  *poolSource
	req  cdc.OpenRequest
	next int
}

func (s *poolSource) Open(_ context.Context, req cdc.OpenRequest) (cdc.Stream, error) {
	return &poolStream{src: s, req: req}, nil
}

func (st *poolStream) Read(ctx context.Context) ([]cdc.Event, error) {
	if st.next >= st.src.n {
		return nil, io.EOF
	}
	size := 1 + st.next%300 // 1..300 events: several capacity classes
	evs := st.req.NewBatch(size)
	st.src.mu.Lock()
	st.src.arrays[unsafe.SliceData(evs[:1])] = true
	st.src.gets++
	st.src.mu.Unlock()
	for range size {
		if st.next >= st.src.n {
			break
		}
		i := st.next
		st.next++
		ev := cdc.Event{Op: cdc.OpCreate, Table: cdc.TableID{Schema: "s", Name: "t"},
			After: cdc.RowOf("i", int64(i)), Position: cdc.Position(fmt.Sprint(i))}
		if i%11 == 5 {
			ev = cdc.Event{Op: cdc.OpHeartbeat, Position: cdc.Position(fmt.Sprint(i))}
		}
		ev.SetID(fmt.Sprint(i))
		evs = append(evs, ev)
	}
	return evs, nil
}

func (st *poolStream) Commit(context.Context, cdc.Position) error { return nil }
func (st *poolStream) Close() error                               { return nil }

// TestBatchRecycling: batch arrays are reused once their events are done, and no
// event is changed under the handler: every event arrives once, in order, intact,
// through Run, RunBatch and Events, with a transform dropping some and heartbeats
// consumed by the engine.
func TestBatchRecycling(t *testing.T) {
	const n = 60000
	drop := cdc.TransformFunc(func(_ context.Context, ev *cdc.Event) (bool, error) {
		i, _ := ev.After.Int64("i")
		return i%7 != 3, nil
	})
	check := func(t *testing.T, got []cdc.Event) {
		t.Helper()
		want := 0
		for _, ev := range got {
			for want%11 == 5 || want%7 == 3 {
				want++
			}
			i, err := ev.After.Int64("i")
			if err != nil || i != int64(want) || ev.ID() != fmt.Sprint(want) || string(ev.Position) != fmt.Sprint(want) {
				t.Fatalf("got event %s (i=%v, pos %s), want %d", ev.ID(), ev.After.Map(), ev.Position, want)
			}
			want++
		}
		for want < n && (want%11 == 5 || want%7 == 3) {
			want++
		}
		if want != n {
			t.Fatalf("events end before %d", want)
		}
	}
	runs := map[string]func(*cdc.Engine) ([]cdc.Event, error){
		"Run": func(e *cdc.Engine) ([]cdc.Event, error) {
			var got []cdc.Event
			err := e.Run(context.Background(), func(_ context.Context, ev cdc.Event) error {
				got = append(got, ev)
				return nil
			})
			return got, err
		},
		"RunBatch": func(e *cdc.Engine) ([]cdc.Event, error) {
			var got []cdc.Event
			err := e.RunBatch(context.Background(), func(_ context.Context, evs []cdc.Event) error {
				got = append(got, evs...)
				return nil
			})
			return got, err
		},
		"Events": func(e *cdc.Engine) ([]cdc.Event, error) {
			var got []cdc.Event
			for ev, err := range e.Events(context.Background()) {
				if err != nil {
					return got, err
				}
				got = append(got, ev)
			}
			return got, nil
		},
	}
	for name, run := range runs {
		t.Run(name, func(t *testing.T) {
			src := &poolSource{n: n, arrays: map[*cdc.Event]bool{}}
			eng, err := cdc.NewEngine(src, cdc.WithTransforms(drop), cdc.WithBatch(100, 0))
			if err != nil {
				t.Fatal(err)
			}
			got, err := run(eng)
			if err != nil && !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			check(t, got)
			if len(src.arrays)*2 > src.gets {
				t.Fatalf("%d batches used %d distinct arrays: batches are not recycled", src.gets, len(src.arrays))
			}
			t.Logf("%d batches in %d arrays", src.gets, len(src.arrays))
		})
	}
}

// TestNewBatchOutsideTheEngine: a request not made by the engine gives plain slices.
func TestNewBatchOutsideTheEngine(t *testing.T) {
	b := cdc.OpenRequest{}.NewBatch(10)
	if len(b) != 0 || cap(b) < 10 {
		t.Fatalf("NewBatch(10) = len %d cap %d", len(b), cap(b))
	}
}
