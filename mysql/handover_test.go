package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestSnapshotStreamHandover: a writer inserts, updates and deletes while the initial
// snapshot runs. The state rebuilt from the events must equal the table, no row may go
// back to an older version (no change applied out of order or twice), snapshot rows
// come in key order with the first and last markers on the first and last row.
// It runs with every snapshot locking mode: on MariaDB, LockGlobal takes the path
// MySQL takes by default (global read lock, SHOW MASTER STATUS), and LockTables keeps
// the writer waiting until the snapshot ends.
func TestSnapshotStreamHandover(t *testing.T) {
	for _, locking := range []mysql.SnapshotLocking{mysql.LockAuto, mysql.LockGlobal, mysql.LockTables, mysql.LockNone} {
		t.Run("locking="+string(locking), func(t *testing.T) { testHandover(t, locking) })
	}
}

func testHandover(t *testing.T, locking mysql.SnapshotLocking) {
	db := newDB(t, shared, "handover")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".items (id INT PRIMARY KEY, version INT NOT NULL)",
		insertSeq(db+".items", "seq, 0", 1, 20000),
		"CREATE TABLE "+db+".marker (id INT PRIMARY KEY)")
	src := newSource(t, shared, mysql.Config{Tables: []string{db + ".items", db + ".marker"}, SnapshotChunkSize: 500,
		SnapshotLocking: locking})
	eng, err := cdc.NewEngine(src, cdc.WithCommitInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	started := make(chan struct{})
	stop := make(chan struct{})
	var writerErr error
	var wg sync.WaitGroup
	w := dial(t, shared) // dialled here: t.Fatal belongs to the test goroutine
	wg.Add(1)
	go func() { // the application, writing throughout the snapshot
		defer wg.Done()
		<-started
		rng := rand.New(rand.NewPCG(1, 2))
		next := 20001
		for {
			select {
			case <-stop:
				return
			default:
			}
			var stmts []string
			switch rng.IntN(4) {
			case 0:
				stmts = []string{fmt.Sprintf("INSERT INTO %s.items VALUES (%d, 0)", db, next)}
				next++
			case 1:
				stmts = []string{fmt.Sprintf("DELETE FROM %s.items WHERE id = %d", db, 1+rng.IntN(next-1))}
			default:
				stmts = []string{"BEGIN",
					fmt.Sprintf("UPDATE %s.items SET version = version + 1 WHERE id = %d", db, 1+rng.IntN(next-1)),
					fmt.Sprintf("UPDATE %s.items SET version = version + 1 WHERE id = %d", db, 1+rng.IntN(next-1)),
					"COMMIT"}
			}
			for _, s := range stmts {
				if _, err := w.Execute(s); err != nil {
					writerErr = err
					return
				}
			}
		}
	}()

	state := map[int64]int64{}
	var snapshotRows, streamed int
	var lastID int64
	var marks []string
	errDone := errors.New("marker seen")
	markerDone := make(chan error, 1) // the marker writer's result; c is free again after it
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		if ev.Op == cdc.OpRead && snapshotRows == 0 {
			close(started)
		}
		if ev.Table.Name == "marker" {
			return errDone
		}
		if ev.Op == cdc.OpRead {
			id, _ := ev.After.Int64("id")
			if id <= lastID {
				return fmt.Errorf("snapshot row %d after row %d: not in key order", id, lastID)
			}
			lastID = id
			if m := ev.Source.Snapshot; m != cdc.SnapshotTrue {
				marks = append(marks, fmt.Sprintf("%s@%d", m, snapshotRows+1))
			}
		}
		switch ev.Op {
		case cdc.OpRead, cdc.OpCreate, cdc.OpUpdate:
			id, _ := ev.After.Int64("id")
			v, _ := ev.After.Int64("version")
			if old, ok := state[id]; ok && v < old {
				return fmt.Errorf("id %d went back from version %d to %d (%s %s)", id, old, v, ev.Op, ev.ID())
			}
			state[id] = v
		case cdc.OpDelete:
			id, err := ev.Key.Int64("id")
			if err != nil {
				return err
			}
			delete(state, id)
		default:
			return fmt.Errorf("unexpected %s event", ev.Op)
		}
		if ev.Op == cdc.OpRead {
			snapshotRows++
			if snapshotRows == 15000 { // most of the snapshot done: let the writer stop soon
				go func() {
					time.Sleep(300 * time.Millisecond)
					close(stop)
					wg.Wait()
					_, err := c.Execute("INSERT INTO " + db + ".marker VALUES (1)")
					markerDone <- err
				}()
			}
		} else {
			streamed++
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("Run = %v", err)
	}
	if err := <-markerDone; err != nil {
		t.Fatal(err)
	}
	if writerErr != nil {
		t.Fatal(writerErr)
	}
	if streamed == 0 {
		t.Fatal("the writer's changes did not overlap the snapshot: nothing streamed")
	}
	if want := []string{"first@1", fmt.Sprintf("last@%d", snapshotRows)}; fmt.Sprint(marks) != fmt.Sprint(want) {
		t.Fatalf("snapshot markers %v, want %v", marks, want)
	}
	r, err := c.Execute("SELECT id, version FROM " + db + ".items")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int64{}
	for i := range r.RowNumber() {
		id, _ := r.GetInt(i, 0)
		v, _ := r.GetInt(i, 1)
		want[id] = v
	}
	if len(want) != len(state) {
		t.Fatalf("rebuilt %d rows, table has %d", len(state), len(want))
	}
	for id, v := range want {
		if got, ok := state[id]; !ok || got != v {
			t.Fatalf("id %d: rebuilt version %d (present %v), table has %d", id, got, ok, v)
		}
	}
	t.Logf("%d snapshot rows, %d streamed changes, %d rows match", snapshotRows, streamed, len(want))
}
