package codec

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/schema"
)

// benchEvent is a typical order row: ten columns of the common kinds.
func benchEvent() *cdc.Event {
	ts := cdc.NewTableSchema(table, []cdc.Column{
		{Name: "id", Type: "bigint", Kind: cdc.KindInt, PrimaryKey: true},
		{Name: "customer_id", Type: "bigint", Kind: cdc.KindInt},
		{Name: "status", Type: "order_status", Kind: cdc.KindString, Values: []string{"new", "paid", "shipped"}},
		{Name: "total", Type: "numeric(12,2)", Kind: cdc.KindDecimal},
		{Name: "currency", Type: "character(3)", Kind: cdc.KindString},
		{Name: "items", Type: "integer", Kind: cdc.KindInt},
		{Name: "paid", Type: "boolean", Kind: cdc.KindBool},
		{Name: "note", Type: "text", Kind: cdc.KindString, Nullable: true},
		{Name: "created_at", Type: "timestamp with time zone", Kind: cdc.KindTimestamp},
		{Name: "updated_at", Type: "timestamp with time zone", Kind: cdc.KindTimestamp, Nullable: true},
	}, nil)
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	after := cdc.NewRow(ts.Names(), []any{int64(1234567), int64(42), "paid", d("1299.95"), "EUR", int64(3), true,
		"leave at the door", at, at.Add(time.Minute)})
	return &cdc.Event{Op: cdc.OpCreate, Table: table, Schema: ts, After: after, Destination: "shop.public.orders",
		Source: cdc.SourceInfo{Connector: "postgresql", Name: "shop", CommitTime: at, TxID: "771", TxOrder: 1, LSN: 0x16B3748}}
}

func benchEncode(b *testing.B, enc Encoder) {
	ctx := context.Background()
	ev := benchEvent()
	if _, _, err := enc.Encode(ctx, ev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		k, v, err := enc.Encode(ctx, ev)
		if err != nil {
			b.Fatal(err)
		}
		n = len(k) + len(v)
	}
	b.ReportMetric(float64(n), "bytes/event")
}

func BenchmarkEncodeDebeziumJSON(b *testing.B) {
	b.Run("schemas", func(b *testing.B) { benchEncode(b, DebeziumJSON{Schemas: true}) })
	b.Run("payload", func(b *testing.B) { benchEncode(b, DebeziumJSON{}) })
}

func BenchmarkEncodeAvro(b *testing.B) {
	benchEncode(b, AvroConfluent{Registry: schema.NewMemoryRegistry(schema.Backward)})
}

func BenchmarkEncodeUnwrappedJSON(b *testing.B) {
	benchEncode(b, UnwrappedJSON{})
}

func BenchmarkDecodeAvro(b *testing.B) {
	ctx := context.Background()
	a := AvroConfluent{Registry: schema.NewMemoryRegistry(schema.Backward)}
	k, v, err := a.Encode(ctx, benchEvent())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := a.Decode(ctx, k, v, nil); err != nil {
			b.Fatal(err)
		}
	}
}
