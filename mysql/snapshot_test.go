package mysql_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestSnapshotResume: a snapshot stopped in the middle of a table resumes from the
// position of its last chunk: the rows after the key reached, then the tables not
// read yet, then the stream from the snapshot's binlog position (so a change made
// meanwhile arrives, after the snapshot rows). Keys of several columns, with text,
// resume too.
func TestSnapshotResume(t *testing.T) {
	db := newDB(t, shared, "snapres")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".a (id INT PRIMARY KEY, v INT)",
		insertSeq(db+".a", "seq, seq", 1, 1000),
		"CREATE TABLE "+db+".b (k1 INT, k2 VARCHAR(20) CHARACTER SET latin1, v INT, PRIMARY KEY (k1, k2))",
		insertSeq(db+".b", "seq DIV 10, CONCAT('é', seq MOD 10, ''''), seq", 0, 499),
		"CREATE TABLE "+db+".nokey (v INT)",
		insertSeq(db+".nokey", "seq", 1, 250))
	cfg := mysql.Config{Databases: []string{db}, SnapshotChunkSize: 100}
	src := newSource(t, shared, cfg)
	st := open(t, src, nil)
	// Read a.1..a.1000 and b up to the 300th row, and keep the last position seen.
	var last cdc.Position
	var rows int
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for rows < 1300 {
		evs, err := st.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Op == cdc.OpRead {
				rows++
			}
			if ev.Position != nil && rows <= 1300 {
				last = ev.Position
			}
		}
	}
	st.Close()
	var p struct {
		Snapshot struct {
			Done  []string
			Table string
			After []string
		}
	}
	if err := json.Unmarshal(last, &p); err != nil || p.Snapshot.Table != db+".b" || len(p.Snapshot.After) != 2 ||
		fmt.Sprint(p.Snapshot.Done) != "["+db+".a]" {
		t.Fatalf("position after 1300 rows: %s (%v)", last, err)
	}
	run(t, c, "UPDATE "+db+".a SET v = -1 WHERE id = 1") // after the snapshot's binlog position
	st = open(t, src, last)
	evs := cdctest.ReadUntil(t, st, 200+250+1, cdctest.Ops(cdc.OpRead, cdc.OpUpdate))
	for i, ev := range evs[:200] {
		k1, _ := ev.After.Int64("k1")
		k2, _ := ev.After.String("k2")
		if ev.Table.Name != "b" || k1 != int64(30+i/10) || k2 != fmt.Sprintf("é%d'", i%10) {
			t.Fatalf("resumed row %d: %s %v", i, ev.Table, ev.After)
		}
	}
	for i, ev := range evs[200:450] {
		if v, _ := ev.After.Int64("v"); ev.Table.Name != "nokey" || v != int64(i+1) || !ev.Key.IsZero() {
			t.Fatalf("row %d of the table without key: %s %v key %v", i, ev.Table, ev.After, ev.Key)
		}
	}
	if u := evs[450]; u.Op != cdc.OpUpdate || u.Table.Name != "a" {
		t.Fatalf("after the resumed snapshot: %s %s, want the update of a", u.Op, u.Table)
	}
	if evs[449].Source.Snapshot != cdc.SnapshotLast || evs[0].Source.Snapshot != cdc.SnapshotTrue {
		t.Fatalf("markers: first resumed row %q, last row %q", evs[0].Source.Snapshot, evs[449].Source.Snapshot)
	}
}

// TestSnapshotInitialOnly: the stream ends with io.EOF after the snapshot, and a
// stream opened from its final position ends at once.
func TestSnapshotInitialOnly(t *testing.T) {
	db := newDB(t, shared, "initonly")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".t (id INT PRIMARY KEY)", "INSERT INTO "+db+".t VALUES (1), (2), (3)")
	src := newSource(t, shared, mysql.Config{Databases: []string{db}, SnapshotMode: cdc.SnapshotInitialOnly})
	read := func(pos cdc.Position) (n int, last cdc.Position) {
		st := open(t, src, pos)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			evs, err := st.Read(ctx)
			if err == io.EOF {
				return n, last
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if ev.Op == cdc.OpRead {
					n++
				}
				if ev.Position != nil {
					last = ev.Position
				}
			}
		}
	}
	n, last := read(nil)
	if n != 3 {
		t.Fatalf("snapshot read %d rows", n)
	}
	if n, _ := read(last); n != 0 {
		t.Fatalf("reopened after the snapshot: %d rows", n)
	}
}

// TestHeartbeats: with only uncaptured tables changing, heartbeats carry newer
// positions, so the committed position keeps up with the server.
func TestHeartbeats(t *testing.T) {
	db := newDB(t, shared, "hb")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".captured (id INT PRIMARY KEY)", "CREATE TABLE "+db+".other (id INT PRIMARY KEY)")
	src := newSource(t, shared, mysql.Config{Tables: []string{db + ".captured"}, SnapshotMode: cdc.SnapshotNever,
		HeartbeatPeriod: 100 * time.Millisecond})
	st := open(t, src, nil)
	start := readStart(t, st)
	run(t, c, "INSERT INTO "+db+".other VALUES (1)")
	server := binlogFile(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		evs, err := st.Read(ctx)
		if err != nil {
			t.Fatalf("no heartbeat past the uncaptured insert: %v", err)
		}
		for _, ev := range evs {
			if ev.Op != cdc.OpHeartbeat {
				t.Fatalf("unexpected %s event", ev.Op)
			}
			var p, s struct {
				File string
				Pos  uint32
			}
			json.Unmarshal(ev.Position, &p)
			json.Unmarshal(start, &s)
			if p.File == server && p.Pos > s.Pos {
				if ev.Position.String() == start.String() {
					t.Fatal("heartbeat repeats the start position")
				}
				return
			}
		}
	}
}

// TestSnapshotLocking: with LockTables a write to a captured table waits until the
// snapshot ends; with the other modes it goes through while the snapshot runs. The
// probe write runs from the handler at the first snapshot row, with the engine's
// read-ahead too small for the reader to finish meanwhile.
func TestSnapshotLocking(t *testing.T) {
	for _, c := range []struct {
		locking mysql.SnapshotLocking
		blocked bool
	}{{mysql.LockAuto, false}, {mysql.LockGlobal, false}, {mysql.LockNone, false}, {mysql.LockTables, true}} {
		t.Run("locking="+string(c.locking), func(t *testing.T) {
			db := newDB(t, shared, "locking")
			c0 := dial(t, shared)
			run(t, c0, "CREATE TABLE "+db+".items (id INT PRIMARY KEY)",
				insertSeq(db+".items", "seq", 1, 5000))
			probe := dial(t, shared)
			run(t, probe, "SET SESSION lock_wait_timeout = 1", "SET SESSION innodb_lock_wait_timeout = 1")
			src := newSource(t, shared, mysql.Config{Tables: []string{db + ".items"}, SnapshotChunkSize: 100,
				SnapshotLocking: c.locking, SnapshotMode: cdc.SnapshotInitialOnly})
			eng, err := cdc.NewEngine(src, cdc.WithQueueLimits(200, 64<<20))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var probeErr error
			probed := false
			err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
				if !probed {
					probed = true
					_, probeErr = probe.Execute("INSERT INTO " + db + ".items VALUES (100000)")
				}
				return nil
			})
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
			var me *gmysql.MyError
			waited := errors.As(probeErr, &me) && me.Code == gmysql.ER_LOCK_WAIT_TIMEOUT
			if waited != c.blocked || (!c.blocked && probeErr != nil) {
				t.Fatalf("a write during the snapshot: %v (want blocked=%v)", probeErr, c.blocked)
			}
		})
	}
}

// TestTableDroppedDuringSnapshot: a captured table dropped after the snapshot listed
// the tables, before it read it, is not an error: its rows are not in the snapshot and
// the stream delivers the DROP.
func TestTableDroppedDuringSnapshot(t *testing.T) {
	db := newDB(t, shared, "dropsnap")
	c := dial(t, shared)
	run(t, c, "CREATE TABLE "+db+".a (id INT PRIMARY KEY)",
		insertSeq(db+".a", "seq", 1, 2000),
		"CREATE TABLE "+db+".b (id INT PRIMARY KEY)",
		insertSeq(db+".b", "seq", 1, 10))
	dropper := dial(t, shared)
	src := newSource(t, shared, mysql.Config{Databases: []string{db}, SnapshotChunkSize: 100})
	eng, err := cdc.NewEngine(src, cdc.WithQueueLimits(100, 64<<20))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errDone := errors.New("drop seen")
	dropped, readsOfB := false, 0
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		if !dropped {
			// The reader is at most a few chunks into a: b is not read yet.
			dropped = true
			if _, err := dropper.Execute("DROP TABLE " + db + ".b"); err != nil {
				return err
			}
		}
		switch {
		case ev.Op == cdc.OpRead && ev.Table.Name == "b":
			readsOfB++
		case ev.Op == cdc.OpSchema && ev.Table.Name == "b" && ev.Schema == nil:
			return errDone
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("Run = %v, want the stream to deliver the DROP", err)
	}
	if readsOfB != 0 {
		t.Fatalf("%d rows of the dropped table were read", readsOfB)
	}
}
