package mongo_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mongo"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestValuesEndToEnd writes one document with every common BSON type through the driver
// and checks the Go values of the insert event and of the snapshot read.
func TestValuesEndToEnd(t *testing.T) {
	s := testServer(t)
	c := dial(t, s.uri)
	db := newDB("values")
	coll := createColl(t, c, db, "v", false)
	oid, _ := bson.ObjectIDFromHex("65a1b2c3d4e5f60718293a4b")
	d128, _ := bson.ParseDecimal128("-1234567890123456789012345678.901234")
	when := time.Date(2031, 7, 4, 12, 30, 45, 678_000_000, time.UTC)
	uuid := []byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	doc := bson.D{
		{Key: "_id", Value: oid},
		{Key: "dec", Value: d128},
		{Key: "i32", Value: int32(-5)},
		{Key: "i64", Value: int64(1) << 62},
		{Key: "dbl", Value: 0.1},
		{Key: "str", Value: "żółw"},
		{Key: "yes", Value: true},
		{Key: "date", Value: bson.NewDateTimeFromTime(when)},
		{Key: "ts", Value: bson.Timestamp{T: 1, I: 2}},
		{Key: "bin", Value: bson.Binary{Data: []byte{1, 2, 3}}},
		{Key: "uuid", Value: bson.Binary{Subtype: 4, Data: uuid}},
		{Key: "re", Value: bson.Regex{Pattern: "a+", Options: "i"}},
		{Key: "nested", Value: bson.D{{Key: "z", Value: int32(1)}, {Key: "arr", Value: bson.A{"x", 2.5, bson.D{{Key: "k", Value: nil}}}}}},
		{Key: "nil", Value: nil},
	}
	want := []any{
		"65a1b2c3d4e5f60718293a4b",
		cdc.MustParseDecimal("-1234567890123456789012345678.901234"),
		int64(-5), int64(1) << 62, 0.1, "żółw", true, when, uint64(1)<<32 | 2,
		[]byte{1, 2, 3}, "123e4567-e89b-12d3-a456-426614174000", "/a+/i",
		map[string]any{"z": int64(1), "arr": []any{"x", 2.5, map[string]any{"k": nil}}},
		nil,
	}
	check := func(what string, r cdc.Row) {
		t.Helper()
		names := []string{"_id", "dec", "i32", "i64", "dbl", "str", "yes", "date", "ts", "bin", "uuid", "re", "nested", "nil"}
		if !reflect.DeepEqual(r.Names(), names) {
			t.Fatalf("%s: fields %v, want %v (document order)", what, r.Names(), names)
		}
		for i, w := range want {
			got := r.At(i)
			if d, ok := w.(cdc.Decimal); ok {
				if g, ok := got.(cdc.Decimal); !ok || !g.Equal(d) || g.String() != d.String() {
					t.Errorf("%s: %s = %#v, want %s", what, names[i], got, d)
				}
				continue
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("%s: %s = %#v (%T), want %#v (%T)", what, names[i], got, got, w, w)
			}
		}
	}
	src := newSource(t, mongo.Config{URI: s.uri, Collections: []string{db + ".v"}})
	st := open(t, src, nil)
	if _, err := coll.InsertOne(ctxT(t), doc); err != nil {
		t.Fatal(err)
	}
	ev := cdctest.ReadUntil(t, st, 1, cdctest.Ops(cdc.OpCreate))[0]
	check("insert", ev.After)
	if ev.Key.At(0) != "65a1b2c3d4e5f60718293a4b" || ev.Schema == nil || ev.Schema.PrimaryKey[0] != "_id" {
		t.Fatalf("key %v schema %+v", ev.Key, ev.Schema)
	}
	if col, _ := ev.Schema.Column("dec"); col.Kind != cdc.KindDecimal {
		t.Fatalf("dec column kind %s", col.Kind)
	}
	st.Close()
	src2 := newSource(t, mongo.Config{URI: s.uri, Collections: []string{db + ".v"}, SnapshotMode: cdc.SnapshotInitialOnly})
	reads := readAll(t, open(t, src2, nil))
	if len(reads) != 1 {
		t.Fatalf("snapshot read %d documents", len(reads))
	}
	check("snapshot", reads[0].After)
}

// TestChangeKinds: updates carry their update description, replaces and deletes their
// pre-images when the collection records them, transactions their lsid/txnNumber and
// order, excluded fields are gone, and drop/rename/invalidate are schema events after
// which the stream goes on.
func TestChangeKinds(t *testing.T) {
	s := testServer(t)
	c := dial(t, s.uri)
	db := newDB("kinds")
	coll := createColl(t, c, db, "k", true)
	ctx := ctxT(t)
	src := newSource(t, mongo.Config{URI: s.uri, Collections: []string{db + ".k"}, Before: true,
		FullDocument: mongo.FullDocumentWhenAvailable, ExcludeFields: []string{db + ".k.secret"}})
	st := open(t, src, nil)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}, {Key: "b", Value: "x"}, {Key: "secret", Value: "pw"}}))
	must(coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 2}}}, {Key: "$unset", Value: bson.D{{Key: "b", Value: ""}}}}))
	must(coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "c", Value: 3}}))
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
	evs := cdctest.ReadUntil(t, st, 5, cdctest.Ops(cdc.OpCreate, cdc.OpUpdate, cdc.OpDelete))
	ins, upd, rep, tx1, tx2 := evs[0], evs[1], evs[2], evs[3], evs[4]
	if ins.After.Has("secret") || ins.After.Len() != 3 {
		t.Fatalf("insert after %v: secret not excluded", ins.After.Names())
	}
	if upd.Op != cdc.OpUpdate || upd.Source.Extra["operationType"] != "update" ||
		!reflect.DeepEqual(upd.Source.Extra["updatedFields"], map[string]any{"a": int64(2)}) ||
		!reflect.DeepEqual(upd.Source.Extra["removedFields"], []string{"b"}) {
		t.Fatalf("update metadata %v", upd.Source.Extra)
	}
	if v, _ := upd.Before.Int64("a"); v != 1 || upd.Before.Has("secret") {
		t.Fatalf("update before %v", upd.Before)
	}
	if v, _ := upd.After.Int64("a"); v != 2 {
		t.Fatalf("update after %v", upd.After)
	}
	if rep.Op != cdc.OpUpdate || rep.Source.Extra["operationType"] != "replace" || !rep.After.Has("c") || rep.After.Has("a") {
		t.Fatalf("replace %s %v %v", rep.Op, rep.Source.Extra, rep.After)
	}
	if tx1.Source.TxID == "" || tx1.Source.TxID != tx2.Source.TxID || tx1.Source.TxOrder != 1 || tx2.Source.TxOrder != 2 {
		t.Fatalf("transaction ids %q/%q order %d/%d", tx1.Source.TxID, tx2.Source.TxID, tx1.Source.TxOrder, tx2.Source.TxOrder)
	}
	if tx2.Op != cdc.OpDelete || tx2.Before.IsZero() || tx2.Key.At(0) != int64(1) {
		t.Fatalf("delete in transaction: %s before %v key %v", tx2.Op, tx2.Before, tx2.Key)
	}
	if tx1.Position == nil || tx2.Position == nil || string(tx1.Position) == string(tx2.Position) {
		t.Fatal("events of one transaction need their own positions")
	}
	if _, ok := tx1.Source.Extra["lsid"]; !ok {
		t.Fatalf("no lsid in %v", tx1.Source.Extra)
	}

	// Drop: a schema event, then invalidate; the stream reopens after it and sees the
	// collection created again.
	if err := coll.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	schema := cdctest.ReadUntil(t, st, 2, cdctest.Ops(cdc.OpSchema))
	if schema[0].DDL != "drop "+db+".k" || schema[1].DDL != "invalidate" {
		t.Fatalf("schema events %q, %q", schema[0].DDL, schema[1].DDL)
	}
	must(coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 7}}))
	if got := cdctest.ReadUntil(t, st, 1, cdctest.Ops(cdc.OpCreate)); got[0].Key.At(0) != int64(7) {
		t.Fatalf("after invalidate: %v", got[0].Key)
	}
}

// TestDatabaseScope: a database stream with include/exclude lists, rename and
// dropDatabase as schema events.
func TestDatabaseScope(t *testing.T) {
	s := testServer(t)
	c := dial(t, s.uri)
	db := newDB("scope")
	keep := createColl(t, c, db, "keep", false)
	skip := createColl(t, c, db, "tmp_x", false)
	other := newDB("other")
	otherColl := createColl(t, c, other, "keep", false)
	ctx := ctxT(t)
	src := newSource(t, mongo.Config{URI: s.uri, ExcludeCollections: []string{"*.tmp_*"}, IncludeDatabases: []string{db}})
	st := open(t, src, nil)
	if _, err := skip.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := otherColl.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := keep.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "renameCollection", Value: db + ".keep"}, {Key: "to", Value: db + ".kept"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Database(db).Drop(ctx); err != nil {
		t.Fatal(err)
	}
	evs := cdctest.ReadUntil(t, st, 3, func(ev cdc.Event) bool {
		return ev.Op == cdc.OpCreate || strings.HasPrefix(ev.DDL, "rename") || strings.HasPrefix(ev.DDL, "dropDatabase")
	})
	if evs[0].Op != cdc.OpCreate || evs[0].Table.String() != db+".keep" {
		t.Fatalf("first event %s %s: filtered namespaces leaked", evs[0].Op, evs[0].Table)
	}
	if evs[1].DDL != "rename "+db+".keep to "+db+".kept" || evs[1].Source.Extra["to"] != db+".kept" {
		t.Fatalf("rename %q %v", evs[1].DDL, evs[1].Source.Extra)
	}
	if evs[2].DDL != "dropDatabase "+db {
		t.Fatalf("dropDatabase %q", evs[2].DDL)
	}
}
