package transform

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

func TestRoute(t *testing.T) {
	tests := []struct {
		regex, repl string
		in, want    string
	}{
		{`app\.public\.(.*)`, "shop.$1", "app.public.orders", "shop.orders"},
		{`^app\.public\.(.*)$`, "shop.$1", "app.public.orders", "shop.orders"},   // anchors are harmless
		{`app\.public\.(.*)`, "shop.$1", "app.sales.orders", "app.sales.orders"}, // no match: unchanged
		{`public`, "x", "app.public.orders", "app.public.orders"},                // a partial match is no match
		{`(?P<ns>[^.]+)\.(?P<db>[^.]+)\.(?P<t>.*)`, "${t}_${db}-${ns}", "app.public.orders", "orders_public-app"},
		{`(.*)\.(.*)\.(.*)`, "$3$2$1", "a.b.c", "cba"},
		{`(.*)\.(.*)`, "$12", "x.y", "x2"},           // Java: no group 12, so group 1 then "2"
		{`(.*)\.(.*)`, "${1}2", "x.y", "x2"},         // braces
		{`(.*)\.(.*)`, `\$1-\\-$2`, "x.y", `$1-\-y`}, // escapes
		{`(.*)\.(.*)`, "[$0]", "x.y", "[x.y]"},       // group 0: the whole match
		{`a(b)?c|(d)`, "<$1|$2>", "d", "<|d>"},       // groups that did not take part are empty
		{`(?i)APP\.(.*)`, "$1", "app.public.orders", "public.orders"},
		{`(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)`, "$11-$10-$1", "abcdefghijk", "k-j-a"},
	}
	for _, tc := range tests {
		tr, err := Route(tc.regex, tc.repl)
		if err != nil {
			t.Errorf("Route(%q, %q): %v", tc.regex, tc.repl, err)
			continue
		}
		// Twice, and after another destination: the result cache must follow the input.
		for _, in := range []string{tc.in, tc.in, "zzz", tc.in} {
			ev := &cdc.Event{Op: cdc.OpCreate, Destination: in}
			paApply(t, tr, ev)
			want := tc.want
			if in == "zzz" {
				want = "zzz"
			}
			if ev.Destination != want {
				t.Errorf("Route(%q, %q) on %q = %q, want %q", tc.regex, tc.repl, in, ev.Destination, want)
			}
		}
	}

	// Every kind of event with a destination is routed, so a table's events stay together.
	tr := MustRoute(`app\.public\.(.*)`, "shop.$1")
	for _, ev := range append(paOtherEvents()[:1], paOtherEvents()[2], paOrderEvent(cdc.OpRead)) {
		paApply(t, tr, ev)
		if ev.Destination != "shop.orders" {
			t.Errorf("%s event: destination %q", ev.Op, ev.Destination)
		}
	}
}

func TestRouteConfigErrors(t *testing.T) {
	tests := []struct{ regex, repl, mentions string }{
		{``, "x", "regex is empty"},
		{`(`, "x", "does not compile"},
		{`a(?=b)`, "x", "does not compile"},
		{`(a)`, "", "replacement is empty"},
		{`(a)`, "$2", "group $2"},
		{`(a)`, "${2}", "group ${2}"},
		{`(?P<x>a)`, "${y}", "group ${y}"},
		{`(a)`, "${}", "group ${}"},
		{`(a)`, "${1", "unclosed"},
		{`(a)`, "a$", "lone $"},
		{`(a)`, "$x", `\$`},
		{`(a)`, `a\`, "lone \\"},
	}
	for _, tc := range tests {
		_, err := Route(tc.regex, tc.repl)
		if err == nil {
			t.Errorf("Route(%q, %q): no error", tc.regex, tc.repl)
			continue
		}
		paIsConfigErr(t, err, tc.mentions)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustRoute did not panic")
			}
		}()
		MustRoute("(", "x")
	}()
}

func TestRouteByField(t *testing.T) {
	withAfter := func(op cdc.Op, kv ...any) *cdc.Event {
		ev := &cdc.Event{Op: op, Table: paOrders, Destination: "app.public.orders", Key: cdc.RowOf("id", int64(1))}
		if op == cdc.OpDelete {
			ev.Before = cdc.RowOf(kv...)
		} else {
			ev.After = cdc.RowOf(kv...)
		}
		return ev
	}
	unchangedWithBefore := withAfter(cdc.OpUpdate, "region", cdc.Unchanged{})
	unchangedWithBefore.Before = cdc.RowOf("region", "us")
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	tests := []struct {
		name, column, format string
		ev                   *cdc.Event
		want                 string
	}{
		{"string", "region", "orders.${value}", withAfter(cdc.OpCreate, "region", "eu"), "orders.eu"},
		{"snapshot read", "region", "orders.${value}", withAfter(cdc.OpRead, "region", "eu"), "orders.eu"},
		{"int", "shard", "s${value}", withAfter(cdc.OpUpdate, "shard", int64(5)), "s5"},
		{"decimal as written", "v", "${value}", withAfter(cdc.OpCreate, "v", cdc.MustParseDecimal("1.50")), "1.50"},
		{"time in UTC", "t", "${value}", withAfter(cdc.OpCreate, "t", when), "2024-01-02T02:04:05Z"},
		{"bool", "b", "${value}", withAfter(cdc.OpCreate, "b", true), "true"},
		{"delete reads before", "region", "orders.${value}", withAfter(cdc.OpDelete, "region", "eu"), "orders.eu"},
		{"missing column", "nope", "orders.${value}", withAfter(cdc.OpCreate, "region", "eu"), "app.public.orders"},
		{"null", "region", "orders.${value}", withAfter(cdc.OpCreate, "region", nil), "app.public.orders"},
		{"unchanged without before", "region", "orders.${value}", withAfter(cdc.OpUpdate, "region", cdc.Unchanged{}), "app.public.orders"},
		{"unchanged from before", "region", "orders.${value}", unchangedWithBefore, "orders.us"},
		{"missing in row, from key", "id", "orders.${value}", withAfter(cdc.OpUpdate, "region", "eu"), "orders.1"},
		{"placeholders", "region", "${destination}.${value}-${table}", withAfter(cdc.OpCreate, "region", "eu"), "app.public.orders.eu-orders"},
		{"literal $", "region", "$x{${value}}", withAfter(cdc.OpCreate, "region", "eu"), "$x{eu}"},
		{"truncate untouched", "region", "orders.${value}", &cdc.Event{Op: cdc.OpTruncate, Destination: "d"}, "d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := RouteByField(tc.column, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			paApply(t, tr, tc.ev)
			if tc.ev.Destination != tc.want {
				t.Errorf("destination %q, want %q", tc.ev.Destination, tc.want)
			}
		})
	}

	for _, tc := range []struct{ column, format, mentions string }{
		{"", "${value}", "column is empty"},
		{"a", "orders", "does not use ${value}"},
		{"a", "", "does not use ${value}"},
		{"a", "${value}.${nope}", "${nope}"},
		{"a", "${value", "unclosed"},
	} {
		_, err := RouteByField(tc.column, tc.format)
		paIsConfigErr(t, err, tc.mentions)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustRouteByField did not panic")
			}
		}()
		MustRouteByField("", "${value}")
	}()
}

func TestRouteByOp(t *testing.T) {
	tr := RouteByOp("ins", "upd", "")
	for _, tc := range []struct {
		op   cdc.Op
		want string
	}{
		{cdc.OpCreate, "ins"}, {cdc.OpRead, "ins"}, {cdc.OpUpdate, "upd"},
		{cdc.OpDelete, "orig"}, {cdc.OpTruncate, "orig"}, {cdc.OpSchema, "orig"}, {cdc.OpMessage, "orig"},
	} {
		ev := &cdc.Event{Op: tc.op, Destination: "orig"}
		paApply(t, tr, ev)
		if ev.Destination != tc.want {
			t.Errorf("%s: %q, want %q", tc.op, ev.Destination, tc.want)
		}
	}
	ev := &cdc.Event{Op: cdc.OpDelete, Destination: "orig"}
	paApply(t, RouteByOp("", "", "del"), ev)
	if ev.Destination != "del" {
		t.Errorf("delete: %q", ev.Destination)
	}
}

func TestContentRouter(t *testing.T) {
	routes := []ContentRoute{
		{Expr: `op == "d"`, Destination: "deletes"},
		{Expr: `after.priority == "HIGH"`, Destination: "urgent"},
		{Expr: `after.amount > 10`, Destination: "big"},
	}
	low := paOrderEvent(cdc.OpCreate)
	low.After.Set("priority", "LOW")
	small := paOrderEvent(cdc.OpCreate)
	small.After.Set("priority", "LOW")
	small.After.Set("amount", cdc.MustParseDecimal("2"))
	tests := []struct {
		name, def string
		ev        *cdc.Event
		want      string
	}{
		{"first match wins", "", paOrderEvent(cdc.OpCreate), "urgent"},
		{"delete", "", paOrderEvent(cdc.OpDelete), "deletes"},
		{"later route", "", low, "big"},
		{"default", "rest", small, "rest"},
		{"no default: unchanged", "", paCopy(small), "app.public.orders"},
		{"snapshot read", "", paOrderEvent(cdc.OpRead), "urgent"},
		{"schema event untouched", "rest", paOtherEvents()[2], "app.public.orders"},
		{"truncate untouched", "rest", paOtherEvents()[0], "app.public.orders"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ContentRouter(routes, tc.def)
			if err != nil {
				t.Fatal(err)
			}
			paApply(t, tr, tc.ev)
			if tc.ev.Destination != tc.want {
				t.Errorf("destination %q, want %q", tc.ev.Destination, tc.want)
			}
		})
	}

	// An evaluation error is returned, naming the expression.
	tr := MustContentRouter([]ContentRoute{{Expr: `after.amount > 100`, Destination: "x"}}, "")
	_, err := tr.Apply(context.Background(), paOrderEvent(cdc.OpDelete))
	if err == nil || !strings.Contains(err.Error(), "after.amount > 100") || !strings.Contains(err.Error(), "shop.public.orders") {
		t.Errorf("error = %v", err)
	}

	for _, tc := range []struct {
		routes   []ContentRoute
		mentions string
	}{
		{nil, "no routes"},
		{[]ContentRoute{{Expr: "", Destination: "x"}}, "route 0 has an empty Expr"},
		{[]ContentRoute{{Expr: "true", Destination: "x"}, {Expr: "true"}}, "route 1"},
		{[]ContentRoute{{Expr: "after.", Destination: "x"}}, "route 0"},
		{[]ContentRoute{{Expr: "destination", Destination: "x"}}, "destination"},
	} {
		_, err := ContentRouter(tc.routes, "")
		paIsConfigErr(t, err, tc.mentions)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustContentRouter did not panic")
			}
		}()
		MustContentRouter(nil, "")
	}()
}

// paFNV is the documented partition hash, computed independently.
func paFNV(values ...any) uint64 {
	h := fnv.New64a()
	for _, v := range values {
		if v == nil {
			h.Write([]byte{0})
			continue
		}
		s := v.(string)
		h.Write(binary.AppendUvarint([]byte{1}, uint64(len(s))))
		h.Write([]byte(s))
	}
	return h.Sum64()
}

func TestPartitionKey(t *testing.T) {
	hashOf := func(tr cdc.Transform, ev *cdc.Event) (uint64, bool) {
		t.Helper()
		paApply(t, tr, ev)
		v, ok := ev.Header(HeaderPartitionKey)
		if !ok {
			return 0, false
		}
		return v.(uint64), true
	}
	byCustomer := PartitionKey("customer_id", "currency")
	want := paFNV("42", "EUR")
	for _, op := range []cdc.Op{cdc.OpCreate, cdc.OpRead, cdc.OpUpdate, cdc.OpDelete} {
		if got, ok := hashOf(byCustomer, paOrderEvent(op)); !ok || got != want {
			t.Errorf("%s: hash %x (%v), want %x", op, got, ok, want)
		}
	}
	// Default: the Key columns.
	if got, _ := hashOf(PartitionKey(), paOrderEvent(cdc.OpUpdate)); got != paFNV("7") {
		t.Errorf("key hash %x, want %x", got, paFNV("7"))
	}
	// A fixed value, so that a change of the encoding is noticed: FNV-1a 64 of the bytes
	// 01 02 '4' '2' (computed outside Go).
	if got, _ := hashOf(PartitionKey("customer_id"), paOrderEvent(cdc.OpCreate)); got != 0xbe54c677514559d8 {
		t.Errorf("golden hash %x, want be54c677514559d8", got)
	}

	row := func(kv ...any) *cdc.Event {
		return &cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf(kv...)}
	}
	pk := PartitionKey("a", "b")
	cases := []struct {
		name string
		ev   *cdc.Event
		want uint64
	}{
		{"null is not empty", row("a", nil, "b", ""), paFNV(nil, "")},
		{"columns do not run together", row("a", "x", "b", ""), paFNV("x", "")},
		{"columns do not run together 2", row("a", "", "b", "x"), paFNV("", "x")},
		{"missing column is null", row("a", "x"), paFNV("x", nil)},
		{"int and text alike", row("a", int64(42), "b", uint64(7)), paFNV("42", "7")},
		{"decimal without trailing zeros", row("a", cdc.MustParseDecimal("1.50"), "b", cdc.MustParseDecimal("2.00")), paFNV("1.5", "2")},
		{"time in UTC", row("a", time.Date(2024, 1, 2, 3, 4, 5, 500, time.FixedZone("x", 7200)), "b", true), paFNV("2024-01-02T01:04:05.0000005Z", "true")},
		{"bytes", row("a", []byte("raw"), "b", []string{"s", "t"}), paFNV("raw", "s,t")},
		{"order of row columns irrelevant", row("b", "2", "a", "1"), paFNV("1", "2")},
	}
	for _, tc := range cases {
		if got, _ := hashOf(pk, tc.ev); got != tc.want {
			t.Errorf("%s: %x, want %x", tc.name, got, tc.want)
		}
	}
	dec, str := row("a", cdc.MustParseDecimal("1.5"), "b", "x"), row("a", "1.5", "b", "x")
	if h1, _ := hashOf(pk, dec); h1 != func() uint64 { h, _ := hashOf(pk, str); return h }() {
		t.Error("decimal 1.5 and text 1.5 hash differently")
	}

	// Unchanged: from Before; with no old value, an error rather than another partition.
	ev := &cdc.Event{Op: cdc.OpUpdate, Before: cdc.RowOf("a", "x", "b", "y"), After: cdc.RowOf("a", cdc.Unchanged{}, "b", "y")}
	if got, _ := hashOf(pk, ev); got != paFNV("x", "y") {
		t.Errorf("unchanged from before: %x", got)
	}
	ev = &cdc.Event{Op: cdc.OpUpdate, Table: paOrders, After: cdc.RowOf("a", cdc.Unchanged{}, "b", "y")}
	if _, err := pk.Apply(context.Background(), ev); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("unchanged without before: %v", err)
	}
	// From Key when the row lacks the column (a delete with only key columns in Before).
	ev = &cdc.Event{Op: cdc.OpDelete, Key: cdc.RowOf("a", "k"), Before: cdc.RowOf("b", "y")}
	if got, _ := hashOf(pk, ev); got != paFNV("k", "y") {
		t.Errorf("from key: %x", got)
	}

	// The header is replaced, not added twice.
	ev = paOrderEvent(cdc.OpCreate)
	paApply(t, byCustomer, ev)
	paApply(t, byCustomer, ev)
	if len(ev.Headers) != 1 || ev.Headers[0] != (cdc.Header{Key: HeaderPartitionKey, Value: want}) {
		t.Errorf("headers %v", ev.Headers)
	}

	// No key and no columns, and events that are not row changes: no header.
	noKey := &cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("a", "x")}
	if _, ok := hashOf(PartitionKey(), noKey); ok {
		t.Error("header without a key")
	}
	for _, ev := range paOtherEvents() {
		want := paCopy(ev)
		if paApply(t, byCustomer, ev); !reflect.DeepEqual(ev, want) {
			t.Errorf("%s event changed", ev.Op)
		}
	}

	keep, err := PartitionKey("a", "").Apply(context.Background(), noKey)
	if keep {
		t.Error("kept")
	}
	paIsConfigErr(t, err, "column 1 is empty")
}
