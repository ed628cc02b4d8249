package mongo_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mongo"
	"github.com/tributary-cdc/cdc/mongo/internal/mongotest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestSourceConformance(t *testing.T) {
	srv := testServer(t)
	c := dial(t, srv.uri)
	cdctest.TestSource(t, cdctest.SourceHarness{
		Setup: func(t *testing.T) (cdc.Source, func(*testing.T, int)) {
			db := newDB("conf")
			coll := createColl(t, c, db, "orders", false)
			src := newSource(t, mongo.Config{URI: srv.uri, Collections: []string{db + ".orders"}})
			var n atomic.Int64
			return src, func(t *testing.T, k int) {
				for range k {
					i := n.Add(1)
					if _, err := coll.InsertOne(context.Background(), bson.D{{Key: "_id", Value: i}, {Key: "status", Value: "new"}}); err != nil {
						t.Fatal(err)
					}
				}
			}
		},
	})
}

func TestConfigErrors(t *testing.T) {
	_, err := mongo.New(mongo.Config{Collections: []string{"orders", "a.b*"}, SnapshotMode: "sometimes", FullDocument: "all",
		ExcludeFields: []string{"a.b"}, IncludeCollections: []string{"x[", "nodot"}, BatchSize: -1, SnapshotParallelism: -1,
		MaxAwaitTime: -time.Second})
	for _, want := range []string{"URI is empty", `"db.coll"`, "has a pattern", "snapshot mode", "FullDocument", "db.coll.field",
		"malformed", "BatchSize", "SnapshotParallelism", "MaxAwaitTime"} {
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Fatalf("New = %v; want ErrInvalidConfig mentioning %s", err, want)
		}
	}
	for _, uri := range []string{"http://host", "mongodb://u:secret@host/?replicaSet=rs0&w=bogus&connectTimeoutMS=abc"} {
		_, err = mongo.New(mongo.Config{URI: uri})
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), "URI") || strings.Contains(err.Error(), "secret") {
			t.Fatalf("New(%q) = %v; want ErrInvalidConfig about the URI, password hidden", uri, err)
		}
	}
}

// TestStartupErrors: Open names the cause and the fix for a standalone server, a user
// without privileges and a collection that does not exist.
func TestStartupErrors(t *testing.T) {
	openErr := func(cfg mongo.Config) error {
		src, err := mongo.New(cfg)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		st, err := src.Open(ctx, cdc.OpenRequest{Name: "t"})
		if err == nil {
			st.Close()
		}
		return err
	}
	t.Run("Standalone", func(t *testing.T) {
		s := faultServer(t, mongotest.Options{Standalone: true})
		err := openErr(mongo.Config{URI: s.uri})
		if err == nil || !strings.Contains(err.Error(), "not a replica set") || !strings.Contains(err.Error(), "--replSet") || cdc.IsRetryable(err) {
			t.Fatalf("Open = %v; want a terminal error saying change streams need a replica set", err)
		}
	})
	t.Run("Unauthorized", func(t *testing.T) {
		s := faultServer(t, mongotest.Options{Unauthorized: true})
		err := openErr(mongo.Config{URI: s.uri, Database: "shop"})
		if err == nil || !strings.Contains(err.Error(), "privileges") || !strings.Contains(err.Error(), "changeStream") || cdc.IsRetryable(err) {
			t.Fatalf("Open = %v; want a terminal error about privileges", err)
		}
	})
	t.Run("UnknownCollection", func(t *testing.T) {
		s := testServer(t)
		c := dial(t, s.uri)
		db := newDB("unk")
		createColl(t, c, db, "orders", false)
		err := openErr(mongo.Config{URI: s.uri, Collections: []string{db + ".orders", db + ".ordres"}})
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), db+".ordres does not exist") {
			t.Fatalf("Open = %v; want ErrInvalidConfig naming the missing collection", err)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		err := openErr(mongo.Config{URI: "mongodb://127.0.0.1:1/?replicaSet=rs0&serverSelectionTimeoutMS=300"})
		if err == nil || !cdc.IsRetryable(err) {
			t.Fatalf("Open = %v; want a retryable error", err)
		}
	})
}

// TestLostHistory: a stored token whose successors left the oplog fails with
// ErrPositionLost (ChangeStreamHistoryLost), or re-snapshots with when_needed.
func TestLostHistory(t *testing.T) {
	s := faultServer(t)
	c := dial(t, s.uri)
	db := newDB("lost")
	coll := createColl(t, c, db, "items", false)
	ctx := ctxT(t)
	src := newSource(t, mongo.Config{URI: s.uri, Collections: []string{db + ".items"}, SnapshotMode: cdc.SnapshotNever})
	st := open(t, src, nil)
	for i := range 5 {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	evs := cdctest.ReadUntil(t, st, 5, cdctest.Ops(cdc.OpCreate))
	st.Close()
	s.srv.TruncateOplog(2)
	_, err := src.Open(ctx, cdc.OpenRequest{Name: "test", Position: evs[0].Position})
	var hl *mongo.HistoryLostError
	if !errors.Is(err, cdc.ErrPositionLost) || !errors.As(err, &hl) || !strings.Contains(err.Error(), "ChangeStreamHistoryLost") ||
		!strings.Contains(err.Error(), "when_needed") {
		t.Fatalf("Open from a lost token = %v; want ErrPositionLost / HistoryLostError naming the fix", err)
	}
	// A position whose successors are all still there resumes.
	st2 := open(t, src, evs[2].Position)
	if got := cdctest.ReadUntil(t, st2, 2, cdctest.Ops(cdc.OpCreate)); got[0].ID() != evs[3].ID() {
		t.Fatalf("resumed at %s, want %s", got[0].ID(), evs[3].ID())
	}
	st2.Close()

	src2 := newSource(t, mongo.Config{URI: s.uri, Collections: []string{db + ".items"}, SnapshotMode: cdc.SnapshotWhenNeeded})
	st3 := open(t, src2, evs[0].Position)
	reads := cdctest.ReadUntil(t, st3, 5, cdctest.Ops(cdc.OpRead))
	if reads[0].Source.Snapshot != cdc.SnapshotFirst || reads[4].Source.Snapshot != cdc.SnapshotLast {
		t.Fatalf("re-snapshot markers %q..%q", reads[0].Source.Snapshot, reads[4].Source.Snapshot)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 99}}); err != nil {
		t.Fatal(err)
	}
	if got := cdctest.ReadUntil(t, st3, 1, cdctest.Ops(cdc.OpCreate)); got[0].Key.At(0) != int64(99) {
		t.Fatalf("after the re-snapshot got %v", got[0].Key)
	}
}

// TestCorruptPosition: a stored position this source cannot read is ErrCorruptOffsets,
// never silently replaced.
func TestCorruptPosition(t *testing.T) {
	s := testServer(t)
	src := newSource(t, mongo.Config{URI: s.uri})
	for _, pos := range []string{`{`, `{"v":2,"token":{"_data":"82"}}`, `{"v":1}`, `{"v":1,"token":"not a document"}`} {
		_, err := src.Open(ctxT(t), cdc.OpenRequest{Name: "t", Position: cdc.Position(pos)})
		if !errors.Is(err, cdc.ErrCorruptOffsets) {
			t.Fatalf("Open(%s) = %v, want ErrCorruptOffsets", pos, err)
		}
	}
}

// TestSnapshotAlways: every start snapshots again, then streams what comes after.
func TestSnapshotAlways(t *testing.T) {
	s := testServer(t)
	c := dial(t, s.uri)
	db := newDB("always")
	coll := createColl(t, c, db, "a", false)
	fill(t, coll, 0, 3)
	src := newSource(t, mongo.Config{URI: s.uri, Collections: []string{db + ".a"}, SnapshotMode: cdc.SnapshotAlways})
	st := open(t, src, nil)
	// The position after the snapshot (a heartbeat after the last read, in its batch).
	var done cdc.Position
	for done == nil {
		evs, err := st.Read(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range evs {
			if ev.Source.Snapshot == cdc.SnapshotLast {
				done = evs[len(evs)-1].Position
				if i == len(evs)-1 || strings.Contains(string(done), "snapshot") {
					t.Fatalf("no end-of-snapshot position after the last read: %s", done)
				}
			}
		}
	}
	st.Close()
	fill(t, coll, 3, 4)
	st2 := open(t, src, done)
	if again := cdctest.ReadUntil(t, st2, 4, cdctest.Ops(cdc.OpRead)); again[3].Key.At(0) != int64(3) {
		t.Fatalf("second snapshot ended at %v", again[3].Key)
	}
	fill(t, coll, 4, 5)
	if got := cdctest.ReadUntil(t, st2, 1, cdctest.Ops(cdc.OpCreate)); got[0].Key.At(0) != int64(4) {
		t.Fatalf("streamed %v", got[0].Key)
	}
}

// TestStreamFallsOffTheOplog: a running stream whose cursor falls behind the oplog's
// start (the consumer was too slow) gets ChangeStreamHistoryLost on its next getMore;
// with snapshot mode when_needed the engine reconnects, the source finds the stored
// position lost and snapshots again, and the state rebuilt from the events ends equal
// to the collection.
func TestStreamFallsOffTheOplog(t *testing.T) {
	s := faultServer(t)
	c := dial(t, s.uri)
	db := newDB("falloff")
	coll := createColl(t, c, db, "items", false)
	ctx := ctxT(t)
	insert := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int64(i)}, {Key: "v", Value: int64(1)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	insert(0, 20)
	src := newSource(t, mongo.Config{URI: s.uri, Collections: []string{db + ".items"}, BatchSize: 10,
		SnapshotMode: cdc.SnapshotWhenNeeded})
	eng, err := cdc.NewEngine(src, cdc.WithQueueLimits(10, 1<<20), cdc.WithCommitInterval(10*time.Millisecond),
		cdc.WithReconnectBackoff(10*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	const marker = 1_000_000
	var mu sync.Mutex
	state := map[int64]bool{}
	reads := 0 // snapshot reads, both snapshots
	hold := make(chan struct{})
	var holding atomic.Bool
	blocked := make(chan struct{}, 1)
	errDone := errors.New("marker")
	done := make(chan error, 1)
	go func() {
		done <- eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
			if holding.Load() {
				select {
				case blocked <- struct{}{}:
				default:
				}
				<-hold
			}
			id, _ := ev.Key.Int64("_id")
			mu.Lock()
			defer mu.Unlock()
			switch ev.Op {
			case cdc.OpRead:
				reads++
				state[id] = true
			case cdc.OpCreate:
				state[id] = true
			case cdc.OpDelete:
				delete(state, id)
			}
			if id == marker {
				return errDone
			}
			return nil
		})
	}()
	// The first snapshot, then a few streamed inserts.
	insert(20, 25)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(state) == 25 })
	// The handler stalls; the source fills the engine's read-ahead and stops reading,
	// while the application writes on and the oplog rolls over.
	holding.Store(true)
	insert(25, 26)
	<-blocked
	insert(26, 300)
	s.srv.TruncateOplog(5)
	holding.Store(false)
	close(hold)
	insert(marker, marker+1)
	if err := <-done; !errors.Is(err, errDone) {
		t.Fatalf("Run = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if reads < 20+300 {
		t.Fatalf("%d snapshot reads: the stream did not snapshot again after falling off the oplog", reads)
	}
	for i := range int64(300) {
		if !state[i] {
			t.Fatalf("document %d missing from the rebuilt state", i)
		}
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
