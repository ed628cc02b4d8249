package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

// TestSnapshotStreamHandover: a writer inserts, updates and deletes while the initial
// snapshot runs. The state rebuilt from the events must equal the table, and no row
// may go back to an older version (no change applied out of order or twice).
//
// With several readers the snapshot is read in key ranges in parallel; the rows must
// still arrive in key order, with the first and last markers on the first and last row.
func TestSnapshotStreamHandover(t *testing.T) {
	pg := testdb.NewPostgres(t)
	for _, readers := range []int{1, 3} {
		t.Run(fmt.Sprintf("readers=%d", readers), func(t *testing.T) { testHandover(t, pg, readers) })
	}
}

func testHandover(t *testing.T, pg *testdb.Postgres, readers int) {
	dsn := pg.CreateDatabase(t, fmt.Sprintf("handover%d", readers))
	exec(t, dsn, `CREATE TABLE items (id int PRIMARY KEY, version int NOT NULL);
		INSERT INTO items SELECT g, 0 FROM generate_series(1, 20000) g;
		CREATE TABLE marker (id int PRIMARY KEY); ANALYZE items`)
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: fmt.Sprintf("handover%d", readers), Publication: "handover",
		Tables: []string{"public.items", "public.marker"}, SnapshotChunkSize: 500, SnapshotParallelism: readers})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := cdc.NewEngine(src, cdc.WithCommitInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	started := make(chan struct{})
	var writerErr error
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // the application, writing throughout the snapshot
		defer wg.Done()
		<-started
		conn, err := pgconn.Connect(ctx, dsn)
		if err != nil {
			writerErr = err
			return
		}
		defer conn.Close(ctx)
		rng := rand.New(rand.NewPCG(1, 2))
		next := 20001
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var q string
			switch rng.IntN(4) {
			case 0:
				q = fmt.Sprintf("INSERT INTO items VALUES (%d, 0)", next)
				next++
			case 1:
				q = fmt.Sprintf("DELETE FROM items WHERE id = %d", 1+rng.IntN(next-1))
			default:
				id := 1 + rng.IntN(next-1)
				q = fmt.Sprintf("BEGIN; UPDATE items SET version = version + 1 WHERE id = %d; UPDATE items SET version = version + 1 WHERE id = %d; COMMIT", id, 1+rng.IntN(next-1))
			}
			if _, err := conn.Exec(ctx, q).ReadAll(); err != nil {
				writerErr = err
				return
			}
		}
	}()

	state := map[int64]int64{}
	var snapshotRows, streamed int
	var lastID int64
	var marks []string
	errDone := errors.New("marker seen")
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		if ev.Op == cdc.OpRead && snapshotRows == 0 {
			close(started)
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
		if ev.Table.Name == "marker" {
			return errDone
		}
		switch ev.Op {
		case cdc.OpRead, cdc.OpCreate, cdc.OpUpdate:
			id, _ := ev.After.Int64("id")
			v, _ := ev.After.Int64("version")
			if old, ok := state[id]; ok && v < old {
				return fmt.Errorf("id %d went back from version %d to %d (%s)", id, old, v, ev.Op)
			}
			state[id] = v
		case cdc.OpDelete:
			id, err := ev.Key.Int64("id")
			if err != nil {
				return err
			}
			delete(state, id)
		}
		if ev.Op == cdc.OpRead {
			snapshotRows++
			if snapshotRows == 15000 { // most of the snapshot done: let the writer stop soon
				go func() {
					time.Sleep(300 * time.Millisecond)
					close(stop)
					wg.Wait()
					exec(t, dsn, "INSERT INTO marker VALUES (1)")
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
	if writerErr != nil {
		t.Fatal(writerErr)
	}
	if streamed == 0 {
		t.Fatal("the writer's changes did not overlap the snapshot: nothing streamed")
	}
	if want := []string{"first@1", fmt.Sprintf("last@%d", snapshotRows)}; fmt.Sprint(marks) != fmt.Sprint(want) {
		t.Fatalf("snapshot markers %v, want %v", marks, want)
	}
	conn, err := pgconn.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	res, err := conn.Exec(context.Background(), "SELECT id, version FROM items").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int64{}
	for _, r := range res[0].Rows {
		var id, v int64
		fmt.Sscan(string(r[0]), &id)
		fmt.Sscan(string(r[1]), &v)
		want[id] = v
	}
	if len(want) != len(state) {
		t.Fatalf("rebuilt %d rows, table has %d", len(state), len(want))
	}
	for id, v := range want {
		if state[id] != v {
			t.Fatalf("id %d: rebuilt version %d, table has %d", id, state[id], v)
		}
	}
	t.Logf("%d snapshot rows, %d streamed changes, %d rows match", snapshotRows, streamed, len(want))
}
