package mongo_test

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/mongo"
	"github.com/tributary-cdc/cdc/offsets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkStreamEngine measures change events per second through the engine: the
// driver reads them from the server (the test server unless TRIBUTARY_TEST_MONGO_URI
// is set), the source decodes them, the engine hands them to a no-op handler.
func BenchmarkStreamEngine(b *testing.B) {
	s := testServer(b)
	c := dial(b, s.uri)
	db := newDB("bench")
	coll := createColl(b, c, db, "items", false)
	src := newSource(b, mongo.Config{URI: s.uri, Collections: []string{db + ".items"}, SnapshotMode: cdc.SnapshotNever})
	store := offsets.NewMemory()
	// Open once to fix the start (the source remembers it per engine name).
	st, err := src.Open(context.Background(), cdc.OpenRequest{Name: "bench", Offsets: store})
	if err != nil {
		b.Fatal(err)
	}
	st.Close()
	n := b.N
	docs := make([]any, 0, 1000)
	for i := 0; i < n; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: int64(i)}, {Key: "name", Value: "item"}, {Key: "qty", Value: int32(i)},
			{Key: "price", Value: 9.99}, {Key: "tags", Value: bson.A{"a", "b"}}})
		if len(docs) == cap(docs) || i == n-1 {
			if _, err := coll.InsertMany(context.Background(), docs); err != nil {
				b.Fatal(err)
			}
			docs = docs[:0]
		}
	}
	eng, err := cdc.NewEngine(src, cdc.WithName("bench"), cdc.WithOffsetStore(store))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	seen := 0
	b.ResetTimer()
	start := time.Now()
	for ev, err := range eng.Events(ctx) {
		if err != nil {
			b.Fatal(err)
		}
		if ev.Op == cdc.OpCreate {
			if seen++; seen == n {
				break
			}
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
}
