package mongotest

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func connect(t *testing.T, s *Server) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(s.URI()).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(context.Background()) })
	return c
}

// TestDriverRoundTrip drives the server with the real driver: writes, a change stream
// with resume tokens, find, and a transaction.
func TestDriverRoundTrip(t *testing.T) {
	s := Start(t)
	c := connect(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	coll := c.Database("shop").Collection("orders")
	cs, err := coll.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetFullDocument(options.UpdateLookup).SetMaxAwaitTime(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close(ctx)
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: 2}}}}); err != nil {
		t.Fatal(err)
	}
	sess, err := c.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
			return nil, err
		}
		_, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}})
		return nil, err
	})
	sess.EndSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	var tokens []bson.Raw
	for len(ops) < 4 && cs.Next(ctx) {
		op, _ := cs.Current.Lookup("operationType").StringValueOK()
		ops = append(ops, op)
		tokens = append(tokens, cs.Current.Lookup("_id").Document())
		if len(ops) >= 3 {
			if _, ok := cs.Current.Lookup("lsid").DocumentOK(); !ok {
				t.Fatalf("transaction event without lsid: %s", cs.Current)
			}
		}
	}
	if err := cs.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "insert update insert delete"; join(ops) != want {
		t.Fatalf("ops %q, want %q", join(ops), want)
	}
	// Resume after the second event: the transaction's events come again.
	cs2, err := coll.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetStartAfter(tokens[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer cs2.Close(ctx)
	if !cs2.Next(ctx) || !bytesEq(cs2.Current.Lookup("_id").Document(), tokens[2]) {
		t.Fatalf("resumed at %s, want token %s (err %v)", cs2.Current, tokens[2], cs2.Err())
	}
	// find
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil || len(docs) != 1 {
		t.Fatalf("find: %v %v", docs, err)
	}
	// Lost history.
	s.TruncateOplog(1)
	_, err = coll.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetStartAfter(tokens[0]))
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 286 {
		t.Fatalf("resume after truncation: %v, want code 286", err)
	}
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

func bytesEq(a, b bson.Raw) bool { return string(a) == string(b) }
