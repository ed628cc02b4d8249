// Package sourcetest holds end-to-end test scenarios that every database source must
// pass, written once and run by each source's tests against its real server.
package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// RestartMidStream describes the server-restart scenario for a source.
type RestartMidStream struct {
	// Source captures a table with an integer "id" column, empty at the start.
	Source cdc.Source
	// Rows is how many rows the application inserts (ids 1..Rows, one transaction each).
	Rows int
	// Insert commits the row id. An error means the outcome is unknown (the server may
	// be restarting): Insert is called again with the same id, so it must be idempotent
	// (INSERT ... ON CONFLICT DO NOTHING / INSERT IGNORE) and reconnect as needed.
	Insert func(ctx context.Context, id int) error
	// Restart restarts the server.
	Restart func() error
}

type stateHook func(from, to cdc.State)

func (h stateHook) OnStateChange(from, to cdc.State) { h(from, to) }

// Run restarts the server twice (after rows 500 and 1300 are committed) while an
// application inserts rows; the engine must reconnect by itself and deliver every row,
// in order, exactly once.
func (r RestartMidStream) Run(t *testing.T) {
	t.Helper()
	streaming := make(chan struct{})
	var once sync.Once
	eng, err := cdc.NewEngine(r.Source, cdc.WithCommitInterval(20*time.Millisecond),
		cdc.WithReconnectBackoff(50*time.Millisecond, 500*time.Millisecond),
		cdc.WithHooks(stateHook(func(_, to cdc.State) {
			if to == cdc.StateStreaming {
				once.Do(func() { close(streaming) })
			}
		})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var inserted atomic.Int64
	writerErr := make(chan error, 1)
	go func() { // inserts 1..Rows in order, retrying each until it is committed
		select {
		case <-streaming:
		case <-ctx.Done():
			writerErr <- ctx.Err()
			return
		}
		for i := 1; i <= r.Rows; {
			if ctx.Err() != nil {
				writerErr <- ctx.Err()
				return
			}
			if err := r.Insert(ctx, i); err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			inserted.Store(int64(i))
			i++
			time.Sleep(time.Millisecond)
		}
		writerErr <- nil
	}()
	restartErr := make(chan error, 1)
	restarted := make(chan time.Duration, 2)
	go func() { // restarts the server twice while rows stream
		for _, at := range []int64{500, 1300} {
			for inserted.Load() < at {
				if ctx.Err() != nil {
					restartErr <- ctx.Err()
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
			t0 := time.Now()
			if err := r.Restart(); err != nil {
				restartErr <- err
				return
			}
			restarted <- time.Since(t0)
		}
		restartErr <- nil
	}()

	var order []int64
	seen := map[int64]int{}
	errDone := errors.New("last row seen")
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		if ev.Op != cdc.OpCreate && ev.Op != cdc.OpRead {
			return fmt.Errorf("unexpected %v event", ev.Op)
		}
		id, err := ev.After.Int64("id")
		if err != nil {
			return err
		}
		if seen[id]++; seen[id] == 1 {
			order = append(order, id)
		}
		if id == int64(r.Rows) {
			return errDone
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("Run = %v (after %d distinct rows)", err, len(order))
	}
	if err := <-restartErr; err != nil {
		t.Fatalf("restarting the server: %v", err)
	}
	if err := <-writerErr; err != nil {
		t.Fatalf("writer: %v", err)
	}
	for i, id := range order {
		if id != int64(i+1) {
			t.Fatalf("row %d arrived as the %d-th distinct row: lost or out of order (first arrivals %v...)", id, i+1, order[:min(i+1, 20)])
		}
	}
	if len(order) != r.Rows {
		t.Fatalf("%d distinct rows arrived, want %d", len(order), r.Rows)
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("row %d delivered %d times: a reconnect must not repeat events", id, n)
		}
	}
	st := eng.Stats()
	if st.Reconnects < 2 {
		t.Fatalf("the engine reconnected %d times over two server restarts", st.Reconnects)
	}
	t.Logf("%d rows in order, 2 server restarts (%v, %v), %d reconnect attempts", len(order), <-restarted, <-restarted, st.Reconnects)
}

// RestartMidSnapshot describes the server restart during an initial snapshot.
type RestartMidSnapshot struct {
	// Source snapshots (mode initial_only, one reader) a table whose integer key "id"
	// holds 1..Rows.
	Source cdc.Source
	Rows   int
	// Restart restarts the server.
	Restart func() error
}

// Run restarts the server once a quarter of the rows are handled, while the reader
// is in the middle of its result (the engine's queue holds fewer rows than the
// table): the cut read must be an error the engine reconnects on, not the end, and
// the snapshot resumes from its last position. Every row must arrive, first arrivals
// in key order (at least once: rows after the last committed position come again).
func (r RestartMidSnapshot) Run(t *testing.T) {
	t.Helper()
	eng, err := cdc.NewEngine(r.Source, cdc.WithCommitInterval(20*time.Millisecond),
		cdc.WithReconnectBackoff(50*time.Millisecond, 500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	seen := make([]int, r.Rows+1)
	var order []int64
	read, restarted := 0, false
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		if ev.Op != cdc.OpRead {
			return nil
		}
		id, err := ev.After.Int64("id")
		if err != nil {
			return err
		}
		if id < 1 || id > int64(r.Rows) {
			return fmt.Errorf("row %d is not in the table", id)
		}
		if seen[id]++; seen[id] == 1 {
			order = append(order, id)
		}
		if read++; read == r.Rows/4 && !restarted {
			restarted = true
			if err := r.Restart(); err != nil {
				return fmt.Errorf("restarting the server: %w", err)
			}
		}
		return nil
	})
	reconnects := eng.Stats().Reconnects
	if err != nil {
		t.Fatalf("Run: %v (after %d rows, %d reconnects)", err, read, reconnects)
	}
	for i, id := range order {
		if id != int64(i+1) {
			t.Fatalf("row %d arrived as the %d-th distinct row: lost or out of order", id, i+1)
		}
	}
	if len(order) != r.Rows {
		t.Fatalf("the snapshot ended after %d of %d rows (%d reconnects): rows lost", len(order), r.Rows, reconnects)
	}
	if reconnects == 0 {
		t.Fatal("the engine never reconnected: the restart did not cut the snapshot, the test proves nothing")
	}
	t.Logf("%d rows read for %d, %d reconnects", read, r.Rows, reconnects)
}
