package codec

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func strp(s string) *string { return &s }

var table = cdc.TableID{Database: "shop", Schema: "public", Name: "orders"}

// allKinds is a table with a column of every mapped kind.
func allKinds() *cdc.TableSchema {
	ts := cdc.NewTableSchema(table, []cdc.Column{
		{Name: "id", Type: "bigint", Kind: cdc.KindInt, PrimaryKey: true},
		{Name: "region", Type: "text", Kind: cdc.KindString, PrimaryKey: true},
		{Name: "code", Type: "bigint unsigned", Kind: cdc.KindUint},
		{Name: "active", Type: "boolean", Kind: cdc.KindBool},
		{Name: "ratio", Type: "real", Kind: cdc.KindFloat, Nullable: true},
		{Name: "score", Type: "double precision", Kind: cdc.KindFloat},
		{Name: "nanv", Type: "double precision", Kind: cdc.KindFloat, Nullable: true},
		{Name: "price", Type: "numeric(10,2)", Kind: cdc.KindDecimal},
		{Name: "amount", Type: "numeric", Kind: cdc.KindDecimal, Nullable: true},
		{Name: "big", Type: "numeric", Kind: cdc.KindDecimal},
		{Name: "name", Type: "text", Kind: cdc.KindString},
		{Name: "mood", Type: "mood", Kind: cdc.KindString, Values: []string{"happy", "sad"}},
		{Name: "data", Type: "bytea", Kind: cdc.KindBytes, Nullable: true},
		{Name: "birthday", Type: "date", Kind: cdc.KindDate},
		{Name: "valid_until", Type: "date", Kind: cdc.KindDate},
		{Name: "alarm", Type: "time", Kind: cdc.KindTime, Nullable: true},
		{Name: "created_at", Type: "timestamp with time zone", Kind: cdc.KindTimestamp},
		{Name: "ancient", Type: "timestamp", Kind: cdc.KindTimestamp},
		{Name: "ts_inf", Type: "timestamp", Kind: cdc.KindTimestamp, Nullable: true},
		{Name: "doc", Type: "jsonb", Kind: cdc.KindJSON, Nullable: true},
		{Name: "uid", Type: "uuid", Kind: cdc.KindUUID},
		{Name: "tags", Type: "text[]", Kind: cdc.KindArray, Nullable: true},
		{Name: "scores", Type: "integer[]", Kind: cdc.KindArray},
		{Name: "amounts", Type: "numeric[]", Kind: cdc.KindArray, Nullable: true},
		{Name: "days", Type: "date[]", Kind: cdc.KindArray, Nullable: true},
		{Name: "flags", Type: "set('a','b','c')", Kind: cdc.KindSet, Values: []string{"a", "b", "c"}, Nullable: true},
		{Name: "span", Type: "interval", Kind: cdc.KindInterval, Nullable: true},
		{Name: "attrs", Type: "hstore", Kind: cdc.KindDocument, Nullable: true},
		{Name: "geom", Type: "point", Kind: cdc.KindUnknown, Nullable: true},
		{Name: "order-no", Type: "text", Kind: cdc.KindString, Nullable: true},
		{Name: "2fa", Type: "boolean", Kind: cdc.KindBool},
		{Name: "note", Type: "text", Kind: cdc.KindString, Nullable: true},
	}, nil)
	ts.Version = 1
	return ts
}

func d(s string) cdc.Decimal { return cdc.MustParseDecimal(s) }

func allValues(ts *cdc.TableSchema, id int64) cdc.Row {
	return cdc.NewRow(ts.Names(), []any{
		id, "eu-west",
		uint64(math.MaxUint64),
		true,
		float64(float32(1.1)),
		-2.25e10,
		math.NaN(),
		d("-12345678.90"),
		d("-0.000123"),
		d("123456789012345678901234567890.123456789"),
		"Zürich ☃ 日本語 \"quoted\"\n\u0001 \u2028",
		"sad",
		[]byte{0, 1, 2, 255},
		time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
		cdc.PositiveInfinity,
		23*time.Hour + 59*time.Minute + 59*time.Second + 999999*time.Microsecond,
		time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 1000, time.UTC),
		cdc.NegativeInfinity,
		json.RawMessage(`{"a":[1,2,{"b":null}],"c":"ü"}`),
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		[]any{"a", nil, "c"},
		[]any{int64(1), int64(-2)},
		[]any{d("1.5"), nil, d("-100")},
		[]any{time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC)},
		[]string{"a", "c"},
		cdc.Interval{Months: 14, Days: -3, Microseconds: -5_400_000_001},
		map[string]any{"k": "v", "n": nil},
		"(1,2)",
		nil,
		false,
		nil,
	})
}

var commit = time.Date(2024, 5, 6, 7, 8, 10, 555000000, time.UTC)

func events(ts *cdc.TableSchema) []*cdc.Event {
	src := cdc.SourceInfo{Connector: "postgresql", Name: "shop", CommitTime: commit, TxID: "771", TxOrder: 3,
		LSN: 0x16B3748, CommitLSN: 0x16B3800}
	key := func(id int64) cdc.Row { return cdc.RowOf("id", id, "region", "eu-west") }
	before := allValues(ts, 2)
	after := allValues(ts, 2)
	after.Set("note", cdc.Unchanged{})
	after.Set("name", "renamed")
	snap := src
	snap.Snapshot, snap.TxID, snap.TxOrder, snap.LSN, snap.CommitLSN = cdc.SnapshotTrue, "", 0, 0, 0
	mysql := cdc.SourceInfo{Connector: "mysql", Name: "shop", CommitTime: commit, ServerID: 7, GTID: "3E11FA47-71CA-11E1-9E33-C80AA9429562:23",
		File: "binlog.000003", Pos: 4567, Row: 0}
	return []*cdc.Event{
		{Op: cdc.OpCreate, Table: table, Schema: ts, Key: key(1), After: allValues(ts, 1), Source: src, Destination: "shop.public.orders"},
		{Op: cdc.OpUpdate, Table: table, Schema: ts, Key: key(2), Before: before, After: after, Source: src, Destination: "shop.public.orders"},
		{Op: cdc.OpDelete, Table: table, Schema: ts, Key: key(2), Before: before, Source: mysql, Destination: "shop.public.orders"},
		{Op: cdc.OpRead, Table: table, Schema: ts, After: allValues(ts, 3), Source: snap, Destination: "shop.public.orders"},
	}
}

// same compares decoded values with the originals, kind-aware.
func same(a, b any) bool {
	switch x := a.(type) {
	case cdc.Decimal:
		y, ok := b.(cdc.Decimal)
		return ok && x.Equal(y)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y) && y.Location() == time.UTC
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case json.RawMessage:
		y, ok := b.(json.RawMessage)
		var xv, yv any
		return ok && json.Unmarshal(x, &xv) == nil && json.Unmarshal(y, &yv) == nil && reflect.DeepEqual(xv, yv)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !same(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func sameRow(t *testing.T, what string, want, got cdc.Row) {
	t.Helper()
	if want.IsZero() != got.IsZero() {
		t.Errorf("%s: zero %v, want %v", what, got.IsZero(), want.IsZero())
		return
	}
	for i := 0; i < want.Len(); i++ {
		g, ok := got.Get(want.Name(i))
		if !ok {
			t.Errorf("%s: column %q missing", what, want.Name(i))
			continue
		}
		if !same(want.At(i), g) {
			t.Errorf("%s: column %q = %#v (%T), want %#v (%T)", what, want.Name(i), g, g, want.At(i), want.At(i))
		}
	}
	if got.Len() != want.Len() {
		t.Errorf("%s: %d columns, want %d", what, got.Len(), want.Len())
	}
}

func sameSource(t *testing.T, want, got cdc.SourceInfo) {
	t.Helper()
	w := want
	w.CommitTime = w.CommitTime.Truncate(time.Millisecond)
	if !reflect.DeepEqual(w, got) {
		t.Errorf("source = %+v\nwant     %+v", got, w)
	}
}

type codecCase struct {
	name   string
	enc    Encoder
	dec    Decoder
	ts     func(*cdc.TableSchema) *cdc.TableSchema // what the decoder is given
	source bool                                    // the encoding carries the source block
}

func codecs(t *testing.T) []codecCase {
	reg := schema.NewMemoryRegistry(schema.Backward)
	srv := httptest.NewServer(schema.NewFakeConfluentHandler(schema.NewMemoryRegistry(schema.Backward)))
	t.Cleanup(srv.Close)
	confluent, err := schema.NewConfluentRegistry([]string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	none := func(*cdc.TableSchema) *cdc.TableSchema { return nil }
	given := func(ts *cdc.TableSchema) *cdc.TableSchema { return ts }
	return []codecCase{
		{"avro memory registry", AvroConfluent{Registry: reg}, AvroConfluent{Registry: reg}, none, true},
		{"avro confluent registry", AvroConfluent{Registry: confluent}, AvroConfluent{Registry: confluent}, none, true},
		{"debezium json with schemas", DebeziumJSON{Schemas: true}, DebeziumJSON{}, none, true},
		{"debezium json without schemas", DebeziumJSON{}, DebeziumJSON{}, given, true},
		{"unwrapped json", UnwrappedJSON{AddFields: true}, UnwrappedJSON{}, given, false},
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	ts := allKinds()
	for _, c := range codecs(t) {
		t.Run(c.name, func(t *testing.T) {
			for _, ev := range events(ts) {
				key, value, err := c.enc.Encode(ctx, ev)
				if err != nil {
					t.Fatalf("encode %s: %v", ev.Op, err)
				}
				if key == nil {
					t.Fatalf("encode %s: no key", ev.Op)
				}
				got, err := c.dec.Decode(ctx, key, value, c.ts(ts))
				if err != nil {
					t.Fatalf("decode %s: %v", ev.Op, err)
				}
				if got.Op != ev.Op || got.Table != ev.Table {
					t.Errorf("op/table = %s %v, want %s %v", got.Op, got.Table, ev.Op, ev.Table)
				}
				if c.source {
					sameRow(t, ev.Op.String()+" before", ev.Before, got.Before)
					sameRow(t, ev.Op.String()+" after", ev.After, got.After)
				} else {
					// The flat form carries the current row only.
					sameRow(t, ev.Op.String()+" row", ev.Row(), got.Row())
				}
				wantKey := ev.Key
				if wantKey.IsZero() {
					id, _ := ev.Row().Get("id")
					wantKey = cdc.RowOf("id", id, "region", "eu-west")
				}
				sameRow(t, ev.Op.String()+" key", wantKey, got.Key)
				if c.source {
					sameSource(t, ev.Source, got.Source)
				} else if !got.Source.CommitTime.Equal(ev.Source.CommitTime.Truncate(time.Millisecond)) {
					t.Errorf("commit time %v", got.Source.CommitTime)
				}
				if got.Schema == nil {
					t.Fatal("no schema on the decoded event")
				}
				// The schema rebuilt from the writer's schemas has every column's kind.
				for i, col := range ts.Columns {
					want := col.Kind
					if want == cdc.KindUnknown {
						want = cdc.KindString
					}
					gc := got.Schema.Columns[i]
					if gc.Name != col.Name || (gc.Kind != want && gc.Kind != col.Kind) {
						t.Errorf("decoded schema column %d: %s %s, want %s %s", i, gc.Name, gc.Kind, col.Name, want)
					}
				}
			}
		})
	}
}

// The key comes from the row's primary-key columns when the event has no Key.
// Truncates have no row and no key; the envelope encodings carry them.
func TestTruncate(t *testing.T) {
	ts := allKinds()
	ev := &cdc.Event{Op: cdc.OpTruncate, Table: table, Schema: ts, Destination: "shop.public.orders",
		Source: cdc.SourceInfo{Connector: "postgresql", Name: "shop", CommitTime: commit, TxID: "9", TxOrder: 1}}
	for _, c := range codecs(t) {
		if !c.source {
			continue
		}
		key, value, err := c.enc.Encode(context.Background(), ev)
		if err != nil || key != nil {
			t.Fatalf("%s: key %q err %v", c.name, key, err)
		}
		got, err := c.dec.Decode(context.Background(), nil, value, c.ts(ts))
		if err != nil || got.Op != cdc.OpTruncate || !got.Before.IsZero() || !got.After.IsZero() || got.Table != table {
			t.Errorf("%s: %+v %v", c.name, got, err)
		}
	}
}

// AvroConfluent frames messages with the ids the Register transform put on the event.
func TestAvroIDsMatchRegisterTransform(t *testing.T) {
	ctx := context.Background()
	reg := schema.NewMemoryRegistry(schema.Backward)
	tr := schema.Register(reg)
	ts := allKinds()
	ev := events(ts)[0]
	if keep, err := tr.Apply(ctx, ev); !keep || err != nil {
		t.Fatal(err)
	}
	key, value, err := AvroConfluent{Registry: reg}.Encode(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := ev.Header(schema.HeaderKeySchemaID)
	vid, _ := ev.Header(schema.HeaderValueSchemaID)
	if got := int(binary.BigEndian.Uint32(value[1:5])); got != vid {
		t.Errorf("value framed with id %d, header %v", got, vid)
	}
	if got := int(binary.BigEndian.Uint32(key[1:5])); got != kid {
		t.Errorf("key framed with id %d, header %v", got, kid)
	}
	if n := len(reg.Versions("shop.public.orders-value")); n != 1 {
		t.Errorf("%d value versions, want 1", n)
	}
}

func TestKeyFromRow(t *testing.T) {
	ts := allKinds()
	ev := events(ts)[0]
	ev.Key = cdc.Row{}
	for _, c := range codecs(t) {
		key, value, err := c.enc.Encode(context.Background(), ev)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := c.dec.Decode(context.Background(), key, value, c.ts(ts))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		sameRow(t, c.name, cdc.RowOf("id", int64(1), "region", "eu-west"), got.Key)
	}
}

func TestEncodeErrors(t *testing.T) {
	ctx := context.Background()
	ts := allKinds()
	reg := schema.NewMemoryRegistry(schema.Backward)
	envelopeCodecs := []Encoder{AvroConfluent{Registry: reg}, DebeziumJSON{Schemas: true}}
	for _, enc := range envelopeCodecs {
		name := fmt.Sprintf("%T", enc)
		for _, col := range []string{"price", "amount"} {
			ev := events(ts)[0]
			ev.After = ev.After.Clone()
			ev.After.Set(col, cdc.DecimalNaN)
			_, _, err := enc.Encode(ctx, ev)
			var ve *ValueError
			if !errors.Is(err, ErrUnsupported) || !errors.As(err, &ve) || ve.Column != col ||
				!strings.Contains(err.Error(), "decimal NaN") {
				t.Errorf("%s: NaN in %s: %v", name, col, err)
			}
		}
		ev := events(ts)[0]
		ev.After = ev.After.Clone()
		ev.After.Set("extra", int64(1))
		if _, _, err := enc.Encode(ctx, ev); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `column "extra"`) {
			t.Errorf("%s: extra column: %v", name, err)
		}
		ev = events(ts)[0]
		ev.After = ev.After.Clone()
		ev.After.Set("score", nil)
		if _, _, err := enc.Encode(ctx, ev); err == nil || !strings.Contains(err.Error(), `"score"`) {
			t.Errorf("%s: NULL in NOT NULL: %v", name, err)
		}
		ev = events(ts)[0]
		ev.After = ev.After.Clone()
		ev.After.Set("scores", cdc.Unchanged{})
		if _, _, err := enc.Encode(ctx, ev); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "REPLICA IDENTITY FULL") {
			t.Errorf("%s: unchanged array: %v", name, err)
		}
		ev = events(ts)[0]
		ev.After = ev.After.Clone()
		ev.After.Set("score", "not a number")
		if _, _, err := enc.Encode(ctx, ev); err == nil || !strings.Contains(err.Error(), "string is not a float64 value") {
			t.Errorf("%s: wrong Go type: %v", name, err)
		}
		msg := &cdc.Event{Op: cdc.OpMessage, Message: &cdc.Message{Prefix: "p"}}
		if _, _, err := enc.Encode(ctx, msg); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: message event: %v", name, err)
		}
		if _, _, err := enc.Encode(ctx, &cdc.Event{Op: cdc.OpCreate, Table: table}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: no schema: %v", name, err)
		}
	}
	// Unwrapped JSON carries NaN decimals as text.
	ev := events(ts)[0]
	ev.After = ev.After.Clone()
	ev.After.Set("price", cdc.DecimalNaN)
	key, value, err := UnwrappedJSON{}.Encode(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnwrappedJSON{}.Decode(ctx, key, value, ts)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.After.Get("price"); !v.(cdc.Decimal).IsNaN() {
		t.Errorf("unwrapped NaN decimal: %v", v)
	}
	if _, _, err := (UnwrappedJSON{}).Encode(ctx, &cdc.Event{Op: cdc.OpTruncate, Table: table, Schema: ts}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unwrapped truncate: %v", err)
	}
	if _, _, err := (AvroConfluent{}).Encode(ctx, ev); !errors.Is(err, cdc.ErrInvalidConfig) {
		t.Errorf("no registry: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	ctx := context.Background()
	reg := schema.NewMemoryRegistry(schema.Backward)
	a := AvroConfluent{Registry: reg}
	if _, err := a.Decode(ctx, nil, []byte{1, 0, 0, 0, 1, 2}, nil); err == nil || !strings.Contains(err.Error(), "magic byte") {
		t.Errorf("bad magic: %v", err)
	}
	if _, err := a.Decode(ctx, nil, []byte{0, 0, 0, 0, 9, 2}, nil); !errors.Is(err, schema.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	ts := allKinds()
	_, value, err := a.Encode(ctx, events(ts)[0])
	if err != nil {
		t.Fatal(err)
	}
	for cut := 5; cut < len(value); cut += 7 {
		if _, err := a.Decode(ctx, nil, value[:cut], nil); err == nil {
			t.Fatalf("truncated at %d of %d: no error", cut, len(value))
		}
	}
	if _, err := a.Decode(ctx, nil, append(value, 0), nil); err == nil || !strings.Contains(err.Error(), "bytes after") {
		t.Errorf("trailing bytes: %v", err)
	}
	if _, err := (DebeziumJSON{}).Decode(ctx, nil, []byte(`{"op":"c","after":{"id":1}}`), nil); err == nil ||
		!strings.Contains(err.Error(), "needs the table schema") {
		t.Errorf("json without schema: %v", err)
	}
	if _, err := (UnwrappedJSON{}).Decode(ctx, nil, []byte(`{}`), nil); err == nil {
		t.Error("unwrapped without table schema")
	}
}

// The Avro library decodes what AvroConfluent writes: an independent check of the
// binary encoding against the derived schema.
func TestAvroLibraryReadsOurBytes(t *testing.T) {
	ctx := context.Background()
	ts := allKinds()
	reg := schema.NewMemoryRegistry(schema.Backward)
	ev := events(ts)[1]
	key, value, err := AvroConfluent{Registry: reg}.Encode(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	s, err := schema.AvroSchemas(ts, schema.WithPrefix("shop"))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := avro.Unmarshal(s.Envelope.Schema, value[5:], &env); err != nil {
		t.Fatalf("the Avro library cannot read the value: %v", err)
	}
	if env["op"] != "u" {
		t.Errorf("op %v", env["op"])
	}
	after, _ := env["after"].(map[string]any)
	if after == nil {
		// hamba wraps union values in a map keyed by the branch's full name.
		u, _ := env["after"].(map[string]any)
		after = u
	}
	if v, ok := after["shop.public.orders.Value"].(map[string]any); ok {
		after = v
	}
	if after["id"] != int64(2) || after["name"] != "renamed" || after["note"] == nil {
		t.Errorf("after = %v", after)
	}
	if p, ok := after["price"].(*big.Rat); !ok || p.FloatString(2) != "-12345678.90" {
		t.Errorf("price %#v", after["price"])
	}
	if ts, ok := after["created_at"].(time.Time); !ok || !ts.Equal(time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)) {
		t.Errorf("created_at %#v", after["created_at"])
	}
	var k map[string]any
	if err := avro.Unmarshal(s.Key.Schema, key[5:], &k); err != nil || k["id"] != int64(2) || k["region"] != "eu-west" {
		t.Errorf("key %v %v", k, err)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("%s: invalid JSON: %v\n%s", name, err, got)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./codec -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, pretty.String())
	}
}

var fixedNow = func() time.Time { return time.Date(2024, 5, 6, 7, 8, 11, 0, time.UTC) }

func TestDebeziumJSONGolden(t *testing.T) {
	ts := allKinds()
	ev := events(ts)[1]
	key, value, err := DebeziumJSON{Schemas: true, Now: fixedNow}.Encode(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "update.debezium.key.json", key)
	golden(t, "update.debezium.value.json", value)
	_, value, err = UnwrappedJSON{AddFields: true}.Encode(context.Background(), events(ts)[2])
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "delete.unwrapped.json", value)
}

// Values encoded as Debezium does, checked by hand.
func TestDebeziumJSONValues(t *testing.T) {
	ts := allKinds()
	_, value, err := DebeziumJSON{Now: fixedNow}.Encode(context.Background(), events(ts)[0])
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		After  map[string]any `json:"after"`
		Source map[string]any `json:"source"`
		TsMs   int64          `json:"ts_ms"`
		Op     string         `json:"op"`
		Tx     map[string]any `json:"transaction"`
	}
	if err := json.Unmarshal(value, &msg); err != nil {
		t.Fatal(err)
	}
	a := msg.After
	for k, want := range map[string]any{
		"price":       "tmn9Lg==",                                           // -1234567890 = 0xB669FD2E
		"amount":      map[string]any{"scale": float64(6), "value": "hQ=="}, // -123 at scale 6
		"code":        "AP//////////",                                       // 2^64-1 with a sign byte
		"birthday":    float64(-1),                                          // days since the epoch
		"valid_until": float64(math.MaxInt32),                               // +infinity
		"alarm":       float64(86399999999),                                 // micros since midnight
		"created_at":  float64(1714979289123456),                            // micros since the epoch
		"ts_inf":      float64(math.MinInt64),                               // -infinity
		"nanv":        "NaN",                                                // Jackson's quoted NaN
		"flags":       "a,c",                                                // Debezium's EnumSet
		"span":        "P1Y2M-3DT-1H-30M-0.000001S",                         // ISO-8601
		"doc":         `{"a":[1,2,{"b":null}],"c":"ü"}`,                     // Json as text
		"data":        "AAEC/w==",                                           // base64
		"attrs":       `{"k":"v","n":null}`,                                 // document as JSON text
		"order_no":    nil,                                                  // adjusted name, NULL
		"amounts":     []any{map[string]any{"scale": float64(1), "value": "Dw=="}, nil, map[string]any{"scale": float64(0), "value": "nA=="}},
	} {
		if !reflect.DeepEqual(a[k], want) {
			t.Errorf("%s = %#v, want %#v", k, a[k], want)
		}
	}
	if msg.Op != "c" || msg.TsMs != fixedNow().UnixMilli() || msg.Source["lsn"] != float64(0x16B3748) ||
		msg.Source["snapshot"] != "false" || msg.Source["table"] != "orders" || msg.Source["file"] != nil ||
		msg.Tx["id"] != "771" || msg.Tx["total_order"] != float64(3) {
		t.Errorf("envelope: op %s ts %d source %v tx %v", msg.Op, msg.TsMs, msg.Source, msg.Tx)
	}
}

func TestIntervalISO(t *testing.T) {
	for _, c := range []struct {
		iv   cdc.Interval
		text string
	}{
		{cdc.Interval{}, "P0Y0M0DT0H0M0S"},
		{cdc.Interval{Months: 14, Days: 3, Microseconds: 4*3_600_000_000 + 5*60_000_000 + 6_780_000}, "P1Y2M3DT4H5M6.78S"},
		{cdc.Interval{Months: -1, Microseconds: -500_000}, "P0Y-1M0DT0H0M-0.5S"},
		{cdc.Interval{Days: 1, Microseconds: 90 * 60_000_000}, "P0Y0M1DT1H30M0S"},
	} {
		if got := IntervalISO(c.iv); got != c.text {
			t.Errorf("IntervalISO(%v) = %s, want %s", c.iv, got, c.text)
		}
		back, err := ParseIntervalISO(c.text)
		if err != nil || back != c.iv {
			t.Errorf("ParseIntervalISO(%s) = %v %v", c.text, back, err)
		}
	}
	if iv, err := ParseIntervalISO("P2WT1.5S"); err != nil || iv != (cdc.Interval{Days: 14, Microseconds: 1_500_000}) {
		t.Errorf("short form: %v %v", iv, err)
	}
	for _, bad := range []string{"", "P", "1D", "PT1D", "P1H", "PT1.1234567S", "PxD"} {
		if _, err := ParseIntervalISO(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestClock(t *testing.T) {
	for d, s := range map[time.Duration]string{
		0: "00:00:00", 25*time.Hour + time.Second + 1500*time.Microsecond: "25:00:01.0015",
		-(838*time.Hour + 59*time.Minute + 59*time.Second): "-838:59:59",
	} {
		if got := clock(d); got != s {
			t.Errorf("clock(%v) = %s, want %s", d, got, s)
		}
		if back, err := parseClock(s); err != nil || back != d {
			t.Errorf("parseClock(%s) = %v %v", s, back, err)
		}
	}
}

// Debezium's own millisecond time types decode too (a message as Debezium writes
// it with time.precision.mode=connect).
func TestDecodeDebeziumConnectTypes(t *testing.T) {
	msg := `{"schema":{"type":"struct","fields":[
	  {"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},
	    {"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"},
	    {"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"day"},
	    {"type":"string","optional":true,"field":"s"}],"optional":true,"name":"srv.inv.t.Value","field":"before"},
	  {"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},
	    {"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"},
	    {"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"day"},
	    {"type":"string","optional":true,"field":"s"}],"optional":true,"name":"srv.inv.t.Value","field":"after"},
	  {"type":"struct","fields":[{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"db"},
	    {"type":"string","optional":true,"field":"table"},{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.mysql.Source","field":"source"},
	  {"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"}],
	  "optional":false,"name":"srv.inv.t.Envelope"},
	 "payload":{"before":null,"after":{"id":7,"ts":1700000000123,"day":19000,"s":"x"},
	  "source":{"connector":"mysql","db":"inv","table":"t","ts_ms":1700000000000},"op":"c","ts_ms":1700000000500}}`
	ev, err := DebeziumJSON{}.Decode(context.Background(), nil, []byte(msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := cdc.RowOf("id", int64(7), "ts", time.UnixMilli(1700000000123).UTC(),
		"day", time.Date(2022, 1, 8, 0, 0, 0, 0, time.UTC), "s", "x")
	sameRow(t, "after", want, ev.After)
	if ev.Table != (cdc.TableID{Database: "inv", Name: "t"}) || ev.Op != cdc.OpCreate || ev.Source.Connector != "mysql" {
		t.Errorf("event %+v", ev)
	}
}

// The allocation-free decimal path agrees with the big.Int one.
func TestDecimalFastPath(t *testing.T) {
	for _, c := range []struct {
		v     string
		scale int
	}{{"0", 0}, {"0", 3}, {"-0.5", 1}, {"1", 0}, {"-1", 0}, {"127", 0}, {"128", 0}, {"-128", 0}, {"-129", 0},
		{"255", 0}, {"32767", 0}, {"-32768", 0}, {"999999999999999999", 0}, {"-999999999999999999", 0},
		{"-1234567890.12", 2}, {"-1234567890.12", 4}, {"1.230", 2}, {"0.000123", 6}, {"99999999.99", 2}} {
		dec := d(c.v)
		want, err := schema.EncodeDecimal(dec, c.scale)
		if err != nil {
			t.Fatal(err)
		}
		var buf [9]byte
		got, err := decimalInto(dec, c.scale, &buf)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s at scale %d: % x, want % x (%v)", c.v, c.scale, got, want, err)
		}
		if _, _, ok := smallUnscaled(dec, c.scale); !ok {
			t.Errorf("%s at scale %d: fast path not taken", c.v, c.scale)
		}
		s, vb, err := variableScaleInto(dec, &buf)
		if err != nil || !schema.DecodeDecimal(vb, int(s)).Equal(dec) || s != dec.Scale() {
			t.Errorf("%s variable scale: %d % x %v", c.v, s, vb, err)
		}
	}
	// More fractional digits than the scale, and more than 18 digits, take the slow path.
	var buf [9]byte
	if _, err := decimalInto(d("1.235"), 2, &buf); err == nil {
		t.Error("1.235 at scale 2 accepted")
	}
	long := d("1234567890123456789.5")
	got, err := decimalInto(long, 1, &buf)
	want, _ := schema.EncodeDecimal(long, 1)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("19 digits: % x %v", got, err)
	}
	for _, u := range []uint64{0, 1, 127, 128, 255, 1 << 63, math.MaxUint64} {
		got, err := uintInto(u, &buf)
		want := schema.TwosComplement(new(big.Int).SetUint64(u))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("uint %d: % x, want % x", u, got, want)
		}
	}
}
