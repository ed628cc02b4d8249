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

// TestParallelSnapshot: three readers snapshot five tables while a writer updates,
// inserts and deletes in all of them. Tables must still arrive in name order and rows
// in key order, with the first and last markers on the first and last row, and the
// state rebuilt from the events must equal the tables, under each locking mode that
// allows several readers (auto takes a brief global lock on MariaDB).
func TestParallelSnapshot(t *testing.T) {
	for _, locking := range []mysql.SnapshotLocking{mysql.LockAuto, mysql.LockTables, mysql.LockNone} {
		t.Run("locking="+string(locking), func(t *testing.T) { testParallelSnapshot(t, locking) })
	}
}

func testParallelSnapshot(t *testing.T, locking mysql.SnapshotLocking) {
	const tables, rows = 5, 3000
	db := newDB(t, shared, "par")
	c := dial(t, shared)
	var names []string
	for i := range tables {
		name := fmt.Sprintf("t%d", i)
		names = append(names, name)
		run(t, c, fmt.Sprintf("CREATE TABLE %s.%s (id INT PRIMARY KEY, version INT NOT NULL)", db, name),
			insertSeq(db+"."+name, "seq, 0", 1, rows))
	}
	run(t, c, "CREATE TABLE "+db+".zz_marker (id INT PRIMARY KEY)")
	src := newSource(t, shared, mysql.Config{Databases: []string{db}, SnapshotChunkSize: 200,
		SnapshotParallelism: 3, SnapshotLocking: locking})
	eng, err := cdc.NewEngine(src, cdc.WithCommitInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	w := dial(t, shared)
	started, stop := make(chan struct{}), make(chan struct{})
	var writerErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-started
		rng := rand.New(rand.NewPCG(3, 4))
		next := rows + 1
		for {
			select {
			case <-stop:
				return
			default:
			}
			tbl := db + "." + names[rng.IntN(tables)]
			var q string
			switch rng.IntN(4) {
			case 0:
				q = fmt.Sprintf("INSERT INTO %s VALUES (%d, 0)", tbl, next)
				next++
			case 1:
				q = fmt.Sprintf("DELETE FROM %s WHERE id = %d", tbl, 1+rng.IntN(rows))
			default:
				q = fmt.Sprintf("UPDATE %s SET version = version + 1 WHERE id = %d", tbl, 1+rng.IntN(rows))
			}
			if _, err := w.Execute(q); err != nil {
				writerErr = err
				return
			}
		}
	}()

	state := map[string]map[int64]int64{}
	for _, n := range names {
		state[n] = map[int64]int64{}
	}
	connections := func() int {
		r, err := w.Execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := r.GetInt(0, 0)
		return int(n)
	}
	before := connections()
	var during int
	var snapRows, streamed int
	var lastTable string
	var lastID int64
	var marks []string
	markerDone := make(chan error, 1)
	errDone := errors.New("marker seen")
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		if ev.Table.Name == "zz_marker" {
			if ev.Op == cdc.OpRead {
				return fmt.Errorf("the marker table was empty at the snapshot")
			}
			return errDone
		}
		if ev.Op == cdc.OpRead {
			if snapRows == 0 {
				during = connections() // before the writer starts using w
				close(started)
			}
			id, _ := ev.After.Int64("id")
			switch {
			case ev.Table.Name < lastTable:
				return fmt.Errorf("snapshot of %s after %s: tables out of order", ev.Table.Name, lastTable)
			case ev.Table.Name == lastTable && id <= lastID:
				return fmt.Errorf("%s row %d after row %d: not in key order", ev.Table.Name, id, lastID)
			}
			lastTable, lastID = ev.Table.Name, id
			snapRows++
			if m := ev.Source.Snapshot; m != cdc.SnapshotTrue {
				marks = append(marks, fmt.Sprintf("%s@%d", m, snapRows))
			}
			if snapRows == tables*rows*3/4 {
				go func() {
					time.Sleep(200 * time.Millisecond)
					close(stop)
					wg.Wait()
					_, err := c.Execute("INSERT INTO " + db + ".zz_marker VALUES (1)")
					markerDone <- err
				}()
			}
		} else {
			streamed++
		}
		st := state[ev.Table.Name]
		switch ev.Op {
		case cdc.OpRead, cdc.OpCreate, cdc.OpUpdate:
			id, _ := ev.After.Int64("id")
			v, _ := ev.After.Int64("version")
			st[id] = v
		case cdc.OpDelete:
			id, _ := ev.Key.Int64("id")
			delete(st, id)
		default:
			return fmt.Errorf("unexpected %s event", ev.Op)
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
	// Three readers add three connections; one reader adds one. (Two, not three: a
	// connection an earlier test closed may still be counted before.)
	if during-before < 2 {
		t.Fatalf("%d connections during the snapshot, %d before: the three readers did not run", during, before)
	}
	if want := []string{"first@1", fmt.Sprintf("last@%d", snapRows)}; fmt.Sprint(marks) != fmt.Sprint(want) {
		t.Fatalf("snapshot markers %v, want %v", marks, want)
	}
	for _, n := range names {
		r, err := c.Execute(fmt.Sprintf("SELECT id, version FROM %s.%s", db, n))
		if err != nil {
			t.Fatal(err)
		}
		if r.RowNumber() != len(state[n]) {
			t.Fatalf("%s: rebuilt %d rows, table has %d", n, len(state[n]), r.RowNumber())
		}
		for i := range r.RowNumber() {
			id, _ := r.GetInt(i, 0)
			v, _ := r.GetInt(i, 1)
			if got, ok := state[n][id]; !ok || got != v {
				t.Fatalf("%s id %d: rebuilt version %d (present %v), table has %d", n, id, got, ok, v)
			}
		}
	}
	t.Logf("%d snapshot rows, %d streamed changes", snapRows, streamed)
}
