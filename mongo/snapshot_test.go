package mongo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mongo"
	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
)

func fill(t testing.TB, coll *driver.Collection, from, to int) {
	t.Helper()
	var docs []any
	for i := from; i < to; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: int64(i)}, {Key: "v", Value: int64(0)}, {Key: "pad", Value: "xxxxxxxxxxxxxxxx"}})
	}
	if _, err := coll.InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotResumesFromProgress: a snapshot stopped half way resumes after the last
// delivered _id of the collection it was in, skips finished collections, places no
// second "first" marker, and then streams from the point taken before the snapshot.
func TestSnapshotResumesFromProgress(t *testing.T) {
	s := testServer(t)
	c := dial(t, s.uri)
	db := newDB("snapres")
	a := createColl(t, c, db, "a", false)
	b := createColl(t, c, db, "b", false)
	fill(t, a, 0, 30)
	fill(t, b, 0, 50)
	src := newSource(t, mongo.Config{URI: s.uri, Database: db, BatchSize: 7, SnapshotParallelism: 2})
	st := open(t, src, nil)
	first := cdctest.ReadUntil(t, st, 45, cdctest.Ops(cdc.OpRead))
	if first[0].Source.Snapshot != cdc.SnapshotFirst {
		t.Fatalf("first read marker %q", first[0].Source.Snapshot)
	}
	for i, ev := range first {
		want := fmt.Sprintf("%s.%s/%d", db, map[bool]string{true: "a", false: "b"}[i < 30], i%30)
		if i >= 30 {
			want = fmt.Sprintf("%s.b/%d", db, i-30)
		}
		if got := fmt.Sprintf("%s/%v", ev.Table, ev.Key.At(0)); got != want {
			t.Fatalf("read %d is %s, want %s (collection and _id order)", i, got, want)
		}
		if ev.Position == nil || ev.ID() == "" {
			t.Fatalf("read %d has no position or ID", i)
		}
	}
	mark := first[39] // b/9
	st.Close()
	// Written during the outage: must come after the snapshot.
	if _, err := a.InsertOne(context.Background(), bson.D{{Key: "_id", Value: int64(1000)}}); err != nil {
		t.Fatal(err)
	}
	st2 := open(t, src, mark.Position)
	rest := cdctest.ReadUntil(t, st2, 40, cdctest.Ops(cdc.OpRead, cdc.OpCreate))
	for i, ev := range rest[:40] {
		if ev.Op != cdc.OpRead || ev.Table.Name != "b" || ev.Key.At(0) != int64(10+i) {
			t.Fatalf("resumed read %d: %s %s %v, want b/%d", i, ev.Op, ev.Table, ev.Key, 10+i)
		}
		if ev.Source.Snapshot == cdc.SnapshotFirst {
			t.Fatal("a resumed snapshot placed a first marker")
		}
	}
	if rest[39].Source.Snapshot != cdc.SnapshotLast {
		t.Fatalf("last read marker %q", rest[39].Source.Snapshot)
	}
	// The insert made before the resumed snapshot and after the original start.
	if got := cdctest.ReadUntil(t, st2, 1, cdctest.Ops(cdc.OpCreate)); got[0].Key.At(0) != int64(1000) {
		t.Fatalf("streamed %v after the snapshot", got[0].Key)
	}
}

// TestInitialOnly: the snapshot is delivered, then the stream ends with io.EOF, also
// when reopened from its final position.
func TestInitialOnly(t *testing.T) {
	s := testServer(t)
	c := dial(t, s.uri)
	db := newDB("once")
	a := createColl(t, c, db, "a", false)
	fill(t, a, 0, 10)
	src := newSource(t, mongo.Config{URI: s.uri, Collections: []string{db + ".a"}, SnapshotMode: cdc.SnapshotInitialOnly})
	st := open(t, src, nil)
	ctx := ctxT(t)
	var last cdc.Position
	var n int
	for {
		evs, err := st.Read(ctx)
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("Read: %v", err)
			}
			break
		}
		for _, ev := range evs {
			if ev.Op == cdc.OpRead {
				n++
			}
			last = ev.Position
		}
	}
	if n != 10 {
		t.Fatalf("read %d documents, want 10", n)
	}
	st.Close()
	if evs := readAll(t, open(t, src, last)); len(evs) != 0 {
		t.Fatalf("reopened after the snapshot: %d events", len(evs))
	}
}

// TestSnapshotHandover: a writer inserts, updates and deletes while the snapshot runs;
// applying the snapshot and the stream that follows to a map gives exactly the
// collection's final contents (the overlap only repeats changes, it loses none), and
// changes of one key arrive in order.
func TestSnapshotHandover(t *testing.T) {
	s := testServer(t)
	c := dial(t, s.uri)
	db := newDB("handover")
	coll := createColl(t, c, db, "items", false)
	const n = 600
	fill(t, coll, 0, n)
	src := newSource(t, mongo.Config{URI: s.uri, Collections: []string{db + ".items"}, BatchSize: 50})

	var wg sync.WaitGroup
	var writes atomic.Int64
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(1, 2))
		ctx := context.Background()
		for i := int64(1); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := int64(r.IntN(n + 100))
			var err error
			switch r.IntN(4) {
			case 0:
				_, err = coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
			case 1:
				_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int64(n+1000) + i}, {Key: "v", Value: i}})
			default:
				_, err = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: i}}}})
			}
			if err != nil {
				t.Error(err)
				return
			}
			writes.Add(1)
		}
	}()
	for writes.Load() < 20 { // the writer is going before the snapshot starts
		time.Sleep(time.Millisecond)
	}
	st := open(t, src, nil)
	state := map[any]int64{}
	lastV := map[any]int64{}
	apply := func(ev cdc.Event) {
		id := ev.Key.At(0)
		switch ev.Op {
		case cdc.OpDelete:
			delete(state, id)
		default:
			v, _ := ev.After.Int64("v")
			if ev.Op != cdc.OpRead {
				if v < lastV[id] && ev.Op == cdc.OpUpdate && ev.Source.Extra["partial"] == nil {
					// updateLookup returns the current document: later, never earlier.
					// (When the document is gone by then, After is the update's own
					// fields: partial, and older.)
					t.Errorf("key %v went back from v=%d to v=%d", id, lastV[id], v)
				}
				lastV[id] = v
			}
			state[id] = v
		}
	}
	ctx := ctxT(t)
	snapshotDone := false
	atStart := writes.Load()
	for !snapshotDone {
		time.Sleep(2 * time.Millisecond) // a slow consumer: the snapshot overlaps the writer
		evs, err := st.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Op == cdc.OpHeartbeat {
				continue
			}
			apply(ev)
			if ev.Source.Snapshot == cdc.SnapshotLast {
				snapshotDone = true
			}
		}
	}
	if during := writes.Load() - atStart; during < 20 {
		t.Fatalf("only %d writes during the snapshot: the test does not exercise the hand-over", during)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	// A marker write: once it arrives, everything before it has.
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int64(-1)}, {Key: "v", Value: int64(-1)}}); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		for _, ev := range cdctest.ReadUntil(t, st, 1, func(cdc.Event) bool { return true }) {
			apply(ev)
			done = done || ev.Key.At(0) == int64(-1)
		}
	}
	want := map[any]int64{}
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for cur.Next(ctx) {
		var d struct {
			ID int64 `bson:"_id"`
			V  int64 `bson:"v"`
		}
		if err := cur.Decode(&d); err != nil {
			t.Fatal(err)
		}
		want[d.ID] = d.V
	}
	if !reflect.DeepEqual(state, want) {
		t.Fatalf("state rebuilt from events (%d keys) differs from the collection (%d keys)", len(state), len(want))
	}
}
