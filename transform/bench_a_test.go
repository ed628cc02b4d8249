package transform

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/tributary-cdc/cdc"
)

// paBench runs a transform over a realistic update: the 8-column orders row with
// Before and After, names shared with the "schema". Each iteration restores the
// event from a template without allocating, so the figures are the transform's own.
func paBench(b *testing.B, tr cdc.Transform, mod ...func(*cdc.Event)) {
	b.Helper()
	tmpl := paOrderEvent(cdc.OpUpdate)
	for _, m := range mod {
		m(tmpl)
	}
	ctx := context.Background()
	if _, err := tr.Apply(ctx, paCopy(tmpl)); err != nil {
		b.Fatal(err)
	}
	before, after := slices.Clone(tmpl.Before.Values()), slices.Clone(tmpl.After.Values())
	bufB, bufA := make([]any, len(before)), make([]any, len(after))
	ev := new(cdc.Event)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		copy(bufB, before)
		copy(bufA, after)
		*ev = *tmpl
		ev.Before = cdc.NewRow(tmpl.Before.Names(), bufB)
		ev.After = cdc.NewRow(tmpl.After.Names(), bufA)
		if _, err := tr.Apply(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func paMust(tb testing.TB, tr cdc.Transform, err error) cdc.Transform {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// BenchmarkNoopA is the cost of paBench's event restore alone: subtract it from the
// figures of the others.
func BenchmarkNoopA(b *testing.B) {
	paBench(b, cdc.TransformFunc(func(context.Context, *cdc.Event) (bool, error) { return true, nil }))
}

func BenchmarkUnwrap(b *testing.B) { paBench(b, Unwrap()) }

func BenchmarkUnwrapRewriteAddFields(b *testing.B) {
	paBench(b, Unwrap(UnwrapDeletes(DeleteRewrite), UnwrapAddFields("__", "op", "table", "lsn", "ts_ms")))
}

func BenchmarkUnwrapAddHeaders(b *testing.B) {
	paBench(b, Unwrap(UnwrapAddHeaders("__", "op", "table")))
}

func BenchmarkFilter(b *testing.B) {
	paBench(b, Filter(All(Tables("public.orders"), Ops(cdc.OpCreate, cdc.OpUpdate, cdc.OpRead))))
}

func BenchmarkFilterExpr(b *testing.B) {
	tr, err := FilterExpr(`op != "d" && after.priority == "HIGH"`)
	paBench(b, paMust(b, tr, err))
}

func BenchmarkFilterExprSource(b *testing.B) {
	tr, err := FilterExpr(`source.connector == "postgresql" && after.amount > before.amount - 1`)
	paBench(b, paMust(b, tr, err))
}

func BenchmarkRoute(b *testing.B) {
	tr, err := Route(`app\.public\.(.*)`, "shop.$1")
	paBench(b, paMust(b, tr, err))
}

// BenchmarkRouteUncached defeats Route's last-destination cache: every event has a
// new destination.
func BenchmarkRouteUncached(b *testing.B) {
	tr, err := Route(`app\.public\.(.*)`, "shop.$1")
	tr = paMust(b, tr, err)
	dests := []string{"app.public.orders", "app.public.users"}
	i := 0
	paBench(b, cdc.TransformFunc(func(ctx context.Context, ev *cdc.Event) (bool, error) {
		i++
		ev.Destination = dests[i%2]
		return tr.Apply(ctx, ev)
	}))
}

func BenchmarkRouteByField(b *testing.B) {
	tr, err := RouteByField("currency", "orders.${value}")
	paBench(b, paMust(b, tr, err))
}

func BenchmarkRouteByOp(b *testing.B) { paBench(b, RouteByOp("inserts", "updates", "deletes")) }

func BenchmarkContentRouter(b *testing.B) {
	tr, err := ContentRouter([]ContentRoute{
		{Expr: `op == "d"`, Destination: "deletes"},
		{Expr: `after.priority == "HIGH"`, Destination: "urgent"},
	}, "rest")
	paBench(b, paMust(b, tr, err))
}

func BenchmarkPartitionKey(b *testing.B) { paBench(b, PartitionKey("customer_id", "currency")) }

func BenchmarkPartitionKeyKey(b *testing.B) { paBench(b, PartitionKey()) }

func BenchmarkInclude(b *testing.B) { paBench(b, Include("id", "status", "amount")) }

func BenchmarkExclude(b *testing.B) { paBench(b, Exclude("notes")) }

func BenchmarkRename(b *testing.B) { paBench(b, MustRename("id:order_id", "status:state")) }

func BenchmarkInsertStatic(b *testing.B) { paBench(b, InsertStatic("tenant", "acme")) }

func BenchmarkInsertTimestamp(b *testing.B) { paBench(b, InsertTimestamp("processed_at")) }

func BenchmarkInsertSource(b *testing.B) { paBench(b, MustInsertSource("__lsn", "lsn")) }

func BenchmarkCast(b *testing.B) {
	paBench(b, MustCast(map[string]string{"amount": "string", "customer_id": "string"}))
}

func BenchmarkTimestampConverter(b *testing.B) {
	paBench(b, MustTimestampConverter("created_at", TimestampUnixMillis))
}

func BenchmarkFlatten(b *testing.B) {
	paBench(b, Flatten("_"), func(ev *cdc.Event) {
		notes := json.RawMessage(`{"gift":true,"address":{"city":"Paris","zip":"75001"}}`)
		ev.Before.Set("notes", notes)
		ev.After.Set("notes", notes)
	})
}

// BenchmarkFlattenNone is Flatten over a row without nested values: a scan, no copy.
func BenchmarkFlattenNone(b *testing.B) { paBench(b, Flatten("_")) }
