package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/mysql"
	"github.com/tributary-cdc/cdc/offsets"
)

// TestRestartInsideLargeTransaction: a consumer stops after handling 1500 rows of a
// 3000-row transaction. The stored position is the one inside the transaction (rows
// done: 1024, the last mid-transaction position handled); a new engine resumes there:
// rows 1..1024 are not delivered again, every row after them is, in order, with the IDs
// of the first delivery.
func TestRestartInsideLargeTransaction(t *testing.T) {
	const rows = 3000
	db := newDB(t, shared, "bigtx")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".big (id INT PRIMARY KEY, note VARCHAR(40) NOT NULL)")
	store := offsets.NewMemory()
	newEngine := func(opts ...cdc.Option) *cdc.Engine {
		src := newSource(t, shared, mysql.Config{Tables: []string{db + ".big"}, SnapshotMode: cdc.SnapshotNever})
		eng, err := cdc.NewEngine(src, append(opts, cdc.WithName("bigtx"), cdc.WithOffsetStore(store), cdc.WithCommitInterval(time.Hour))...)
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// First run: starts at the current position (no snapshot), then the transaction.
	streaming := make(chan struct{})
	var once sync.Once
	eng := newEngine(cdc.WithHooks(stateHook(func(_, to cdc.State) {
		if to == cdc.StateStreaming {
			once.Do(func() { close(streaming) })
		}
	})))
	insertErr := make(chan error, 1)
	w := dial(t, shared)
	go func() {
		select {
		case <-streaming:
		case <-ctx.Done():
			insertErr <- ctx.Err()
			return
		}
		_, err := w.Execute(insertSeq(db+".big", "seq, CONCAT('row ', seq)", 1, rows))
		insertErr <- err
	}()
	errStop := errors.New("consumer stops")
	firstIDs := map[int64]string{}
	var seen int
	err := eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		id, err := ev.After.Int64("id")
		if err != nil || ev.Op != cdc.OpCreate {
			return fmt.Errorf("unexpected %s event %v: %v", ev.Op, ev.After, err)
		}
		if seen++; int64(seen) != id {
			return fmt.Errorf("row %d arrived as number %d", id, seen)
		}
		firstIDs[id] = ev.ID()
		if seen == 1500 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("first Run = %v", err)
	}
	if err := <-insertErr; err != nil {
		t.Fatal(err)
	}
	pos, err := store.Load(ctx, "bigtx")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pos), `"n":1024`) {
		t.Fatalf("stored position %s, want the mid-transaction position after 1024 rows", pos)
	}

	// Second run: resumes inside the transaction.
	var got []int64
	errDone := errors.New("last row")
	err = newEngine().Run(ctx, func(_ context.Context, ev cdc.Event) error {
		id, err := ev.After.Int64("id")
		if err != nil {
			return err
		}
		got = append(got, id)
		if first, ok := firstIDs[id]; ok && first != ev.ID() {
			return fmt.Errorf("row %d: ID %q, first delivered as %q", id, ev.ID(), first)
		}
		if id == rows {
			return errDone
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("second Run = %v (after %d rows)", err, len(got))
	}
	if len(got) != rows-1024 || got[0] != 1025 {
		t.Fatalf("second run delivered %d rows starting at %d, want rows 1025..%d", len(got), got[0], rows)
	}
	for i, id := range got {
		if id != int64(1025+i) {
			t.Fatalf("second run: row %d arrived as number %d", id, i+1)
		}
	}
	pos, _ = store.Load(ctx, "bigtx")
	t.Logf("stopped after 1500 rows; resumed at row %d; final position %s", got[0], pos)
}
