package mongo_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/sourcetest"
	"github.com/tributary-cdc/cdc/mongo"
	"github.com/tributary-cdc/cdc/offsets"
	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// writer sets v of random keys to a global counter (1, 2, 3, ...), so every write is a
// distinct (key, v) pair and the writes to one key have increasing v. It retries until
// each write is acknowledged, across server restarts.
type writer struct {
	coll    *driver.Collection
	keys    int
	mu      sync.Mutex
	written map[int64][]int64 // key -> v in write order
	n       atomic.Int64
}

func (w *writer) write(ctx context.Context, r *rand.Rand) error {
	k := int64(r.IntN(w.keys))
	v := w.n.Add(1)
	for {
		_, err := w.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: k}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: v}}}})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.mu.Lock()
	w.written[k] = append(w.written[k], v)
	w.mu.Unlock()
	return nil
}

// consumer runs an engine and records the (key, v) pairs it handles, in order.
type consumer struct {
	mu   sync.Mutex
	seen map[int64][]int64
	last atomic.Int64 // highest v handled
}

func (c *consumer) handle(_ context.Context, ev cdc.Event) error {
	if ev.Op != cdc.OpUpdate && ev.Op != cdc.OpRead && ev.Op != cdc.OpCreate {
		return nil
	}
	k, _ := ev.Key.Int64("_id")
	v, _ := ev.After.Int64("v")
	if uf, ok := ev.Source.Extra["updatedFields"].(map[string]any); ok {
		// updateLookup's After is the document as it is when the event is read: the
		// update's own value is in its description.
		v, _ = uf["v"].(int64)
	}
	c.mu.Lock()
	c.seen[k] = append(c.seen[k], v)
	c.mu.Unlock()
	for {
		old := c.last.Load()
		if v <= old || c.last.CompareAndSwap(old, v) {
			break
		}
	}
	return nil
}

// verify: every write was handled (nothing lost), and per key the first handling of each
// v follows the write order (duplicates from redelivery allowed).
func verify(t *testing.T, w *writer, c *consumer) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, vs := range w.written {
		firsts := map[int64]int{}
		for i, v := range c.seen[k] {
			if _, ok := firsts[v]; !ok {
				firsts[v] = i
			}
		}
		prev := -1
		for _, v := range vs {
			i, ok := firsts[v]
			if !ok {
				t.Fatalf("key %d: write v=%d was lost (handled %v)", k, v, c.seen[k])
			}
			if i < prev {
				t.Fatalf("key %d: v=%d handled before an earlier write (handled %v, written %v)", k, v, c.seen[k], vs)
			}
			prev = i
		}
	}
}

// runFaults streams through the engine while a writer writes and fault() strikes a few
// times, then checks nothing was lost and order per key held.
func runFaults(t *testing.T, uri string, direct *driver.Client, fault func(i int)) *cdc.Engine {
	db := newDB("faults")
	coll := createColl(t, direct, db, "items", false)
	const keys = 50
	fill(t, coll, 0, keys)
	src := newSource(t, mongo.Config{URI: uri, Collections: []string{db + ".items"}, BatchSize: 64})
	eng, err := cdc.NewEngine(src, cdc.WithName("faults"), cdc.WithOffsetStore(offsets.NewMemory()),
		cdc.WithCommitInterval(20*time.Millisecond), cdc.WithReconnectBackoff(20*time.Millisecond, 200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	c := &consumer{seen: map[int64][]int64{}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- eng.Run(ctx, c.handle) }()
	// Writes start once the snapshot is delivered: earlier ones may be folded into it.
	for {
		c.mu.Lock()
		n := len(c.seen)
		c.mu.Unlock()
		if n == keys {
			break
		}
		select {
		case err := <-runErr:
			t.Fatalf("engine stopped: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	w := &writer{coll: coll, keys: keys, written: map[int64][]int64{}}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 4 {
		for range 150 {
			if err := w.write(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		fault(i)
	}
	for range 100 {
		if err := w.write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	want := w.n.Load()
	for c.last.Load() < want {
		select {
		case err := <-runErr:
			t.Fatalf("engine stopped: %v", err)
		case <-ctx.Done():
			t.Fatalf("handled up to v=%d of %d", c.last.Load(), want)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-runErr; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	verify(t, w, c)
	return eng
}

// TestServerRestartMidStream restarts the server four times while a writer writes.
// Short outages are bridged by the driver's own resume; one outage outlasts the
// server selection timeout, so the stream fails with a retryable error and the engine
// reopens the source from its committed position.
func TestServerRestartMidStream(t *testing.T) {
	s := faultServer(t)
	eng := runFaults(t, s.uri+"&serverSelectionTimeoutMS=300", dial(t, s.uri), func(i int) {
		s.srv.Stop()
		if i == 2 {
			time.Sleep(time.Second)
		} else {
			time.Sleep(150 * time.Millisecond)
		}
		if err := s.srv.Start(); err != nil {
			t.Fatal(err)
		}
	})
	if eng.Stats().Reconnects == 0 {
		t.Fatal("the long outage did not make the engine reconnect")
	}
}

// TestConnectionCutsMidStream cuts the source's connections through a TCP proxy (real
// server or test server) and on the test server itself.
func TestConnectionCutsMidStream(t *testing.T) {
	s := testServer(t)
	p := newProxy(t, hostOf(t, s))
	runFaults(t, p.uri(), dial(t, s.uri), func(i int) {
		p.cut()
		if s.srv != nil && i%2 == 1 {
			s.srv.DropConnections()
		}
	})
}

func hostOf(t *testing.T, s server) string {
	t.Helper()
	if s.srv != nil {
		return s.srv.Addr()
	}
	cs, err := connstring.ParseAndValidate(s.uri)
	if err != nil || len(cs.Hosts) == 0 {
		t.Fatalf("%s: %v", realURIEnv, err)
	}
	return cs.Hosts[0]
}

// TestServerRestartMidSnapshot: see sourcetest.RestartMidSnapshot. The restarted test
// server has forgotten the snapshot's cursor: the source must resume the copy from its
// last position, not end it.
func TestServerRestartMidSnapshot(t *testing.T) {
	s := faultServer(t)
	db := newDB("restartsnap")
	const rows = 20000
	docs := make([]any, rows)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: int64(i + 1)}, {Key: "id", Value: int64(i + 1)}}
	}
	if _, err := dial(t, s.uri).Database(db).Collection("big").InsertMany(ctxT(t), docs); err != nil {
		t.Fatal(err)
	}
	sourcetest.RestartMidSnapshot{
		Source: newSource(t, mongo.Config{URI: s.uri + "&serverSelectionTimeoutMS=300", Collections: []string{db + ".big"},
			SnapshotMode: cdc.SnapshotInitialOnly, BatchSize: 500}),
		Rows: rows,
		Restart: func() error {
			s.srv.Stop()
			time.Sleep(100 * time.Millisecond)
			return s.srv.Start()
		},
	}.Run(t)
}
