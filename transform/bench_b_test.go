package transform_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/transform"
)

// Helpers shared by the part-B tests (privacy, outbox, compute, enrich, changed);
// prefixed pb so they cannot clash with other test files of the package.

var pbOrderNames = []string{"id", "customer_id", "status", "price", "quantity", "email", "note", "updated_at"}

var pbTime = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// pbOrderValues are the values of a realistic orders row.
func pbOrderValues(status string, qty int64, at time.Time) []any {
	return []any{int64(1001), int64(42), status, cdc.MustParseDecimal("19.99"), qty,
		"ada@example.com", "leave at the door", at}
}

// pbOrderEvent is an update of an 8-column orders row with Before and After.
func pbOrderEvent() cdc.Event {
	return cdc.Event{
		Op:          cdc.OpUpdate,
		Table:       cdc.TableID{Database: "shop", Schema: "public", Name: "orders"},
		Key:         cdc.NewRow([]string{"id"}, []any{int64(1001)}),
		Before:      cdc.NewRow(pbOrderNames, pbOrderValues("pending", 2, pbTime)),
		After:       cdc.NewRow(pbOrderNames, pbOrderValues("paid", 3, pbTime.Add(time.Minute))),
		Destination: "shop.public.orders",
	}
}

func pbApply(t *testing.T, tr cdc.Transform, ev *cdc.Event) bool {
	t.Helper()
	keep, err := tr.Apply(context.Background(), ev)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return keep
}

// pbRowEqual fails unless got has exactly want's names and values (Go types included).
func pbRowEqual(t *testing.T, what string, got, want cdc.Row) {
	t.Helper()
	if got.IsZero() && want.IsZero() {
		return
	}
	same := reflect.DeepEqual(got.Names(), want.Names()) && got.Len() == want.Len()
	for i := 0; same && i < got.Len(); i++ {
		g, w := got.At(i), want.At(i)
		gf, ok1 := g.(float64)
		wf, ok2 := w.(float64)
		same = reflect.DeepEqual(g, w) || (ok1 && ok2 && math.IsNaN(gf) && math.IsNaN(wf))
	}
	if !same {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

// pbBench runs tr over a fresh copy of ev per iteration without allocating for the
// copy: the values are copied into buffers the benchmark owns.
func pbBench(b *testing.B, tr cdc.Transform, ev cdc.Event) {
	b.Helper()
	ctx := context.Background()
	before := make([]any, ev.Before.Len())
	after := make([]any, ev.After.Len())
	key := make([]any, ev.Key.Len())
	hdrs := make([]cdc.Header, 0, 8)
	if keep, err := tr.Apply(ctx, pbCopy(ev)); err != nil || !keep {
		b.Fatalf("Apply: keep=%v err=%v", keep, err)
	}
	e := new(cdc.Event)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		*e = ev
		copy(before, ev.Before.Values())
		copy(after, ev.After.Values())
		copy(key, ev.Key.Values())
		if !ev.Before.IsZero() {
			e.Before = cdc.NewRow(ev.Before.Names(), before)
		}
		if !ev.After.IsZero() {
			e.After = cdc.NewRow(ev.After.Names(), after)
		}
		if !ev.Key.IsZero() {
			e.Key = cdc.NewRow(ev.Key.Names(), key)
		}
		e.Headers = hdrs[:0]
		if _, err := tr.Apply(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNoop measures the harness: copying the event and its values per iteration.
func BenchmarkNoop(b *testing.B) {
	pbBench(b, cdc.TransformFunc(func(context.Context, *cdc.Event) (bool, error) { return true, nil }), pbOrderEvent())
}

func pbCopy(ev cdc.Event) *cdc.Event {
	e := ev
	e.Before, e.After, e.Key = ev.Before.Clone(), ev.After.Clone(), ev.Key.Clone()
	e.Headers = append([]cdc.Header(nil), ev.Headers...)
	return &e
}

func pbMust(tb testing.TB, tr cdc.Transform, err error) cdc.Transform {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

func BenchmarkMask(b *testing.B) {
	tr, err := transform.Mask(8, "email", "note")
	pbBench(b, pbMust(b, tr, err), pbOrderEvent())
}

func BenchmarkHash(b *testing.B) {
	tr, err := transform.Hash("pepper", "email", "customer_id")
	pbBench(b, pbMust(b, tr, err), pbOrderEvent())
}

func BenchmarkTruncate(b *testing.B) {
	tr, err := transform.Truncate(5, "note")
	pbBench(b, pbMust(b, tr, err), pbOrderEvent())
}

func BenchmarkRedact(b *testing.B) {
	tr, err := transform.Redact("email", "note")
	pbBench(b, pbMust(b, tr, err), pbOrderEvent())
}

func BenchmarkOutbox(b *testing.B) {
	tr, err := transform.Outbox(transform.OutboxConfig{
		AdditionalFields: []transform.OutboxField{{Column: "tenant", Placement: transform.PlacementHeader}},
	})
	pbBench(b, pbMust(b, tr, err), pbOutboxEvent(json.RawMessage(`{"orderId":1001,"customerId":42,"total":"59.97","status":"paid"}`)))
}

func BenchmarkOutboxExpandJSON(b *testing.B) {
	tr, err := transform.Outbox(transform.OutboxConfig{ExpandJSONPayload: true})
	pbBench(b, pbMust(b, tr, err), pbOutboxEvent(json.RawMessage(`{"orderId":1001,"customerId":42,"total":"59.97","status":"paid"}`)))
}

func BenchmarkCompute(b *testing.B) {
	tr, err := transform.Compute("total = price * quantity")
	pbBench(b, pbMust(b, tr, err), pbOrderEvent())
}

func BenchmarkComputeInt(b *testing.B) {
	tr, err := transform.Compute("units = quantity * 2 + 1")
	pbBench(b, pbMust(b, tr, err), pbOrderEvent())
}

func BenchmarkEnrichCached(b *testing.B) {
	tr, err := transform.Enrich(transform.EnrichConfig{
		KeyColumn: "customer_id",
		Prefix:    "customer_",
		Lookup: func(ctx context.Context, key any) (cdc.Row, error) {
			return cdc.RowOf("name", "Ada Lovelace", "tier", "gold"), nil
		},
	})
	pbBench(b, pbMust(b, tr, err), pbOrderEvent())
}

func BenchmarkChangedFields(b *testing.B) {
	pbBench(b, transform.ChangedFields(), pbOrderEvent())
}

func BenchmarkChangedFieldsBoth(b *testing.B) {
	pbBench(b, transform.ChangedFields(transform.WithUnchangedFields()), pbOrderEvent())
}

// pbT is for constructors in test tables: a construction error is a bug in the test.
func pbT(tr cdc.Transform, err error) cdc.Transform {
	if err != nil {
		panic(err)
	}
	return tr
}
