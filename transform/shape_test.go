package transform

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// paShapeCase is one event through a shaping transform.
type paShapeCase struct {
	name       string
	ev         *cdc.Event
	wantKey    cdc.Row
	wantBefore cdc.Row
	wantAfter  cdc.Row
}

func paRunShape(t *testing.T, tr cdc.Transform, cases []paShapeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !paApply(t, tr, tc.ev) {
				t.Fatal("dropped")
			}
			paRowEq(t, "Key", tc.ev.Key, tc.wantKey)
			paRowEq(t, "Before", tc.ev.Before, tc.wantBefore)
			paRowEq(t, "After", tc.ev.After, tc.wantAfter)
			if tc.ev.Before.IsZero() != tc.wantBefore.IsZero() || tc.ev.After.IsZero() != tc.wantAfter.IsZero() {
				t.Errorf("presence: Before %s After %s", paShow(tc.ev.Before), paShow(tc.ev.After))
			}
		})
	}
}

// paPassesOthers checks that events which are not row changes come out unchanged.
func paPassesOthers(t *testing.T, tr cdc.Transform) {
	t.Helper()
	for _, ev := range paOtherEvents() {
		want := paCopy(ev)
		if !paApply(t, tr, ev) {
			t.Errorf("%s event dropped", ev.Op)
		}
		if !reflect.DeepEqual(ev, want) {
			t.Errorf("%s event changed:\n got  %+v\n want %+v", ev.Op, ev, want)
		}
	}
}

func paEv(op cdc.Op, key, before, after cdc.Row) *cdc.Event {
	return &cdc.Event{Op: op, Table: paOrders, Key: key, Before: before, After: after}
}

var paKey = cdc.RowOf("id", int64(1))

func TestInclude(t *testing.T) {
	r := func() cdc.Row {
		return cdc.RowOf("id", int64(1), "a", "x", "b", nil, "c", cdc.Unchanged{})
	}
	tr := Include("c", "id", "nope", "b")
	paRunShape(t, tr, []paShapeCase{
		{name: "create", ev: paEv(cdc.OpCreate, paKey, cdc.Row{}, r()),
			wantKey: paKey, wantAfter: cdc.RowOf("id", int64(1), "b", nil, "c", cdc.Unchanged{})},
		{name: "update", ev: paEv(cdc.OpUpdate, paKey, r(), r()), wantKey: paKey,
			wantBefore: cdc.RowOf("id", int64(1), "b", nil, "c", cdc.Unchanged{}),
			wantAfter:  cdc.RowOf("id", int64(1), "b", nil, "c", cdc.Unchanged{})},
		{name: "delete", ev: paEv(cdc.OpDelete, paKey, r(), cdc.Row{}), wantKey: paKey,
			wantBefore: cdc.RowOf("id", int64(1), "b", nil, "c", cdc.Unchanged{})},
		{name: "read", ev: paEv(cdc.OpRead, paKey, cdc.Row{}, r()),
			wantKey: paKey, wantAfter: cdc.RowOf("id", int64(1), "b", nil, "c", cdc.Unchanged{})},
		{name: "key untouched", ev: paEv(cdc.OpCreate, cdc.RowOf("a", "k"), cdc.Row{}, r()),
			wantKey: cdc.RowOf("a", "k"), wantAfter: cdc.RowOf("id", int64(1), "b", nil, "c", cdc.Unchanged{})},
	})
	paPassesOthers(t, tr)

	// Nothing left: the row becomes empty (documented).
	ev := paEv(cdc.OpCreate, paKey, cdc.Row{}, cdc.RowOf("x", int64(1)))
	paApply(t, tr, ev)
	if ev.After.Len() != 0 {
		t.Errorf("After = %s", paShow(ev.After))
	}

	// All columns kept: the row (and its shared names) stay as they are.
	ev = paOrderEvent(cdc.OpCreate)
	paApply(t, Include(paOrderNames...), ev)
	if &ev.After.Names()[0] != &paOrderNames[0] {
		t.Error("names copied although every column stays")
	}

	// Shared names: a schema's names are never changed, and rows of one table keep
	// working across many tables.
	ev = paOrderEvent(cdc.OpUpdate)
	paApply(t, Include("status", "id"), ev)
	paRowEq(t, "After", ev.After, cdc.RowOf("id", int64(7), "status", "paid"))
	paRowEq(t, "Before", ev.Before, cdc.RowOf("id", int64(7), "status", "new"))
	if paOrderNames[1] != "customer_id" || len(paOrderNames) != 8 {
		t.Fatalf("shared names changed: %v", paOrderNames)
	}

	for _, tr := range []cdc.Transform{Include(), Include("a", ""), Exclude("")} {
		keep, err := tr.Apply(context.Background(), paOrderEvent(cdc.OpCreate))
		if keep {
			t.Error("kept")
		}
		if !errors.Is(err, cdc.ErrInvalidConfig) {
			t.Errorf("error %v", err)
		}
	}
}

func TestExclude(t *testing.T) {
	tr := Exclude("notes", "amount", "nope", "notes")
	want := func(status string) cdc.Row {
		return cdc.RowOf("id", int64(7), "customer_id", int64(42), "status", status, "priority", "HIGH", "currency", "EUR", "created_at", paCreated)
	}
	paRunShape(t, tr, []paShapeCase{
		{name: "update", ev: paOrderEvent(cdc.OpUpdate), wantKey: paKey7(), wantBefore: want("new"), wantAfter: want("paid")},
		{name: "delete", ev: paOrderEvent(cdc.OpDelete), wantKey: paKey7(), wantBefore: want("paid")},
		{name: "snapshot read", ev: paOrderEvent(cdc.OpRead), wantKey: paKey7(), wantAfter: want("paid")},
		{name: "key column excluded from row only", ev: paEv(cdc.OpCreate, cdc.RowOf("notes", "k"), cdc.Row{}, cdc.RowOf("notes", "k", "x", nil)),
			wantKey: cdc.RowOf("notes", "k"), wantAfter: cdc.RowOf("x", nil)},
	})
	paPassesOthers(t, tr)
	ev := paOrderEvent(cdc.OpCreate)
	paApply(t, Exclude(), ev)
	paRowEq(t, "Exclude()", ev.After, paOrder("paid"))
}

func paKey7() cdc.Row { return cdc.RowOf("id", int64(7)) }

func TestRename(t *testing.T) {
	tr := MustRename("id:order_id", " status : state , notes:comment")
	want := func(status string) cdc.Row {
		return cdc.RowOf("order_id", int64(7), "customer_id", int64(42), "state", status, "priority", "HIGH",
			"amount", cdc.MustParseDecimal("12.50"), "currency", "EUR", "created_at", paCreated, "comment", "leave at door")
	}
	paRunShape(t, tr, []paShapeCase{
		{name: "update renames key too", ev: paOrderEvent(cdc.OpUpdate), wantKey: cdc.RowOf("order_id", int64(7)), wantBefore: want("new"), wantAfter: want("paid")},
		{name: "delete", ev: paOrderEvent(cdc.OpDelete), wantKey: cdc.RowOf("order_id", int64(7)), wantBefore: want("paid")},
		{name: "read", ev: paOrderEvent(cdc.OpRead), wantKey: cdc.RowOf("order_id", int64(7)), wantAfter: want("paid")},
		{name: "no such columns", ev: paEv(cdc.OpCreate, cdc.RowOf("k", int64(1)), cdc.Row{}, cdc.RowOf("x", cdc.Unchanged{}, "y", nil)),
			wantKey: cdc.RowOf("k", int64(1)), wantAfter: cdc.RowOf("x", cdc.Unchanged{}, "y", nil)},
	})
	paPassesOthers(t, tr)
	if paOrderNames[0] != "id" || paOrderNames[2] != "status" {
		t.Fatalf("shared names changed: %v", paOrderNames)
	}

	// Swaps apply at once.
	ev := paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, cdc.RowOf("a", int64(1), "b", int64(2)))
	paApply(t, MustRename("a:b", "b:a"), ev)
	paRowEq(t, "swap", ev.After, cdc.RowOf("b", int64(1), "a", int64(2)))

	// A new name that collides with a kept column is an error at Apply.
	for _, row := range []cdc.Row{cdc.RowOf("a", int64(1), "b", int64(2)), cdc.RowOf("b", int64(2), "a", int64(1))} {
		_, err := MustRename("a:b").Apply(context.Background(), paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, row))
		if err == nil || !strings.Contains(err.Error(), `"a" to "b"`) {
			t.Errorf("collision in %s: %v", paShow(row), err)
		}
	}

	for _, tc := range []struct {
		pairs    []string
		mentions string
	}{
		{nil, "no pairs"},
		{[]string{"a"}, `pair "a"`},
		{[]string{"a:"}, `pair "a:"`},
		{[]string{":b"}, `pair ":b"`},
		{[]string{"a:b:c"}, `pair "a:b:c"`},
		{[]string{"a:b,"}, `pair ""`},
		{[]string{"a:b", "a:c"}, `"a" is renamed twice`},
		{[]string{"a:c", "b:c"}, `both renamed to "c"`},
	} {
		_, err := Rename(tc.pairs...)
		paIsConfigErr(t, err, tc.mentions)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustRename did not panic")
			}
		}()
		MustRename("x")
	}()
}

func TestInsert(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 10, time.FixedZone("CEST", 7200))
	src := MustInsertSource("committed", "ts_ms")
	static := InsertStatic("tenant", "acme")
	stamp := insertTimestamp("seen", func() time.Time { return at })

	paRunShape(t, static, []paShapeCase{
		{name: "create", ev: paEv(cdc.OpCreate, paKey, cdc.Row{}, cdc.RowOf("id", int64(1))),
			wantKey: paKey, wantAfter: cdc.RowOf("id", int64(1), "tenant", "acme")},
		{name: "update: both rows", ev: paEv(cdc.OpUpdate, paKey, cdc.RowOf("id", int64(1)), cdc.RowOf("id", int64(1), "x", nil)),
			wantKey: paKey, wantBefore: cdc.RowOf("id", int64(1), "tenant", "acme"), wantAfter: cdc.RowOf("id", int64(1), "x", nil, "tenant", "acme")},
		{name: "delete: before", ev: paEv(cdc.OpDelete, paKey, cdc.RowOf("id", int64(1)), cdc.Row{}),
			wantKey: paKey, wantBefore: cdc.RowOf("id", int64(1), "tenant", "acme")},
		{name: "tombstone: nothing", ev: paEv(cdc.OpDelete, paKey, cdc.Row{}, cdc.Row{}), wantKey: paKey},
		{name: "read", ev: paEv(cdc.OpRead, paKey, cdc.Row{}, cdc.RowOf("id", int64(1))),
			wantKey: paKey, wantAfter: cdc.RowOf("id", int64(1), "tenant", "acme")},
		{name: "existing column replaced in place", ev: paEv(cdc.OpCreate, paKey, cdc.Row{}, cdc.RowOf("tenant", "other", "id", int64(1))),
			wantKey: paKey, wantAfter: cdc.RowOf("tenant", "acme", "id", int64(1))},
	})
	paPassesOthers(t, static)

	ev := paOrderEvent(cdc.OpUpdate)
	paApply(t, stamp, ev)
	paRowEq(t, "timestamp", ev.After, paOrder("paid", "seen", at.UTC()))
	paRowEq(t, "timestamp before", ev.Before, paOrder("new", "seen", at.UTC()))
	if v, _ := ev.After.Get("seen"); v.(time.Time).Location() != time.UTC {
		t.Error("timestamp not in UTC")
	}
	paPassesOthers(t, stamp)
	if tr := InsertTimestamp("now"); tr == nil {
		t.Fatal("nil")
	} else {
		ev := paOrderEvent(cdc.OpCreate)
		before := time.Now()
		paApply(t, tr, ev)
		if v, _ := ev.After.Get("now"); v.(time.Time).Before(before.Add(-time.Second)) {
			t.Errorf("InsertTimestamp = %v", v)
		}
	}

	ev = paOrderEvent(cdc.OpRead)
	paApply(t, src, ev)
	paRowEq(t, "source", ev.After, paOrder("paid", "committed", int64(1700000000123)))
	ev = paOrderEvent(cdc.OpCreate)
	paApply(t, MustInsertSource("op", "op"), ev)
	paRowEq(t, "source op", ev.After, paOrder("paid", "op", "c"))
	ev = paOrderEvent(cdc.OpCreate)
	ev.Source.Snapshot = cdc.SnapshotLast
	paApply(t, MustInsertSource("snap", "snapshot"), ev)
	paRowEq(t, "snapshot last", ev.After, paOrder("paid", "snap", "last"))
	if paOrderNames[len(paOrderNames)-1] != "notes" || len(paOrderNames) != 8 {
		t.Fatalf("shared names changed: %v", paOrderNames)
	}

	_, err := InsertSource("x", "nope")
	paIsConfigErr(t, err, `field "nope"`)
	_, err = InsertSource("", "op")
	paIsConfigErr(t, err, "column is empty")
	for _, tr := range []cdc.Transform{InsertStatic("", 1), InsertTimestamp("")} {
		_, err := tr.Apply(context.Background(), paOrderEvent(cdc.OpCreate))
		paIsConfigErr(t, err, "column is empty")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustInsertSource did not panic")
			}
		}()
		MustInsertSource("x", "nope")
	}()
}

func TestCastValues(t *testing.T) {
	dec := cdc.MustParseDecimal
	when := time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.FixedZone("x", 3600))
	tests := []struct {
		in     any
		target string
		want   any // nil: cannot cast
	}{
		{"x", "string", "x"},
		{int64(-42), "string", "-42"},
		{uint64(math.MaxUint64), "string", "18446744073709551615"},
		{1.5, "string", "1.5"},
		{1e21, "string", "1e+21"},
		{true, "string", "true"},
		{dec("12.50"), "string", "12.50"},
		{when, "string", "2024-01-02T02:04:05.6Z"},
		{[]byte("raw"), "string", "raw"},
		{json.RawMessage(`{"a":1}`), "string", `{"a":1}`},
		{[]string{"a", "b"}, "string", "a,b"},
		{time.Duration(90) * time.Second, "string", "1m30s"},
		{cdc.PositiveInfinity, "string", "infinity"},
		{int64(5), "int", int64(5)},
		{int32(5), "int", int64(5)},
		{uint64(5), "INT64", int64(5)},
		{uint64(math.MaxUint64), "int", nil},
		{3.0, "int", int64(3)},
		{3.5, "int", nil},
		{math.NaN(), "int", nil},
		{1e19, "int", nil},
		{-9223372036854775808.0, "int", int64(math.MinInt64)},
		{dec("12.00"), "int", int64(12)},
		{dec("12.5"), "int", nil},
		{dec("99999999999999999999"), "int", nil},
		{cdc.DecimalNaN, "int", nil},
		{"42", "int", int64(42)},
		{"4.2", "int", nil},
		{" 42", "int", nil},
		{true, "int", int64(1)},
		{when, "int", nil},
		{int64(3), "float", 3.0},
		{dec("0.1"), "float", 0.1},
		{"2.5", "float64", 2.5},
		{"abc", "float", nil},
		{false, "float", 0.0},
		{float32(0.5), "float", 0.5},
		{[]byte("1"), "float", nil},
		{"t", "bool", true},
		{"FALSE", "bool", false},
		{"yes", "bool", nil},
		{int64(0), "boolean", false},
		{int64(-3), "bool", true},
		{uint64(math.MaxUint64), "bool", true},
		{0.0, "bool", false},
		{math.NaN(), "bool", nil},
		{dec("0.00"), "bool", false},
		{dec("0.01"), "bool", true},
		{cdc.DecimalNaN, "bool", nil},
		{when, "bool", nil},
		{int64(-12), "decimal", dec("-12")},
		{uint64(math.MaxUint64), "decimal", dec("18446744073709551615")},
		{0.1, "decimal", dec("0.1")},
		{1e21, "decimal", dec("1000000000000000000000")},
		{math.Inf(-1), "decimal", cdc.DecimalNegInf},
		{math.NaN(), "decimal", cdc.DecimalNaN},
		{"1.50", "decimal", dec("1.50")},
		{"1e3", "decimal", dec("1000")},
		{"x", "decimal", nil},
		{true, "decimal", nil},
		{dec("3.25"), "decimal", dec("3.25")},
		{int8(-1), "float", -1.0},
		{uint16(7), "int", int64(7)},
		{uint8(200), "bool", true},
		{int16(3), "decimal", dec("3")},
		{uint32(4), "string", "4"},
		{float32(1.5), "string", "1.5"},
		{float32(2.5), "decimal", dec("2.5")},
		{float32(2.5), "int", nil},
		{cdc.Interval{Months: 1}, "string", "1 mons 0 days 0 us"},
		{map[string]any{"b": 1, "a": 2}, "string", `{"a":2,"b":1}`},
		{[]any{int64(1), "x"}, "string", `[1,"x"]`},
	}
	for _, tc := range tests {
		tr, err := Cast(map[string]string{"c": tc.target})
		if err != nil {
			t.Fatal(err)
		}
		ev := paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, cdc.RowOf("c", tc.in))
		keep, err := tr.Apply(context.Background(), ev)
		if tc.want == nil {
			if err == nil || keep {
				t.Errorf("cast %T %v to %s: got %v, want an error", tc.in, tc.in, tc.target, ev.After.At(0))
			} else if !errors.Is(err, cdc.ErrType) || !strings.Contains(err.Error(), `column "c"`) || !strings.Contains(err.Error(), strings.ToLower(tc.target)) {
				t.Errorf("cast error %q does not name column and target, or does not wrap ErrType", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("cast %T %v to %s: %v", tc.in, tc.in, tc.target, err)
			continue
		}
		if got := ev.After.At(0); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("cast %T %v to %s = %T %v, want %T %v", tc.in, tc.in, tc.target, got, got, tc.want, tc.want)
		}
	}
}

func TestCast(t *testing.T) {
	tr := MustCast(map[string]string{"amount": "string", "customer_id": "string", "id": "string", "missing": "int", "n": "int", "u": "float"})
	paRunShape(t, tr, []paShapeCase{
		{name: "update both rows, key untouched", ev: paOrderEvent(cdc.OpUpdate), wantKey: paKey7(),
			wantBefore: cdc.RowOf("id", "7", "customer_id", "42", "status", "new", "priority", "HIGH", "amount", "12.50", "currency", "EUR", "created_at", paCreated, "notes", "leave at door"),
			wantAfter:  cdc.RowOf("id", "7", "customer_id", "42", "status", "paid", "priority", "HIGH", "amount", "12.50", "currency", "EUR", "created_at", paCreated, "notes", "leave at door")},
		{name: "null and unchanged untouched", ev: paEv(cdc.OpRead, cdc.Row{}, cdc.Row{}, cdc.RowOf("n", nil, "u", cdc.Unchanged{})),
			wantAfter: cdc.RowOf("n", nil, "u", cdc.Unchanged{})},
	})
	paPassesOthers(t, tr)

	// The error names the column, the value, the target and the table.
	ev := paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, cdc.RowOf("n", "twelve"))
	_, err := tr.Apply(context.Background(), ev)
	for _, s := range []string{`"n"`, `"twelve"`, "string", "to int", "shop.public.orders"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("error %v does not mention %s", err, s)
		}
	}
	// Long values are cut in the message.
	_, err = tr.Apply(context.Background(), paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, cdc.RowOf("n", strings.Repeat("é", 100))))
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("long value error: %v", err)
	}

	for _, tc := range []struct {
		spec     map[string]string
		mentions string
	}{
		{nil, "spec is empty"},
		{map[string]string{"a": "integer"}, `target "integer"`},
		{map[string]string{"": "int"}, "empty"},
	} {
		_, err := Cast(tc.spec)
		paIsConfigErr(t, err, tc.mentions)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustCast did not panic")
			}
		}()
		MustCast(nil)
	}()
}

func TestTimestampConverter(t *testing.T) {
	when := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.FixedZone("x", 3600))
	ms := when.UnixMilli()
	msTime := time.UnixMilli(ms).UTC()
	tests := []struct {
		in     any
		target string
		want   any // nil: error
	}{
		{when, TimestampUnixMillis, ms},
		{when, TimestampRFC3339, "2024-01-02T02:04:05.123456Z"},
		{when, TimestampTime, when.UTC()},
		{ms, TimestampTime, msTime},
		{ms, TimestampRFC3339, "2024-01-02T02:04:05.123Z"},
		{ms, TimestampUnixMillis, ms},
		{int(ms), TimestampUnixMillis, ms},
		{int64(-1), TimestampRFC3339, "1969-12-31T23:59:59.999Z"},
		{"2024-01-02T04:04:05.123456+01:00", TimestampTime, time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)},
		{"2024-01-02T03:04:05Z", TimestampUnixMillis, int64(1704164645000)},
		{"2024-01-02T03:04:05.000Z", TimestampRFC3339, "2024-01-02T03:04:05Z"},
		{time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), TimestampUnixMillis, int64(-1)}, // toward the past
		{cdc.PositiveInfinity, TimestampUnixMillis, int64(math.MaxInt64)},
		{cdc.NegativeInfinity, TimestampUnixMillis, int64(math.MinInt64)},
		{cdc.NegativeInfinity, TimestampRFC3339, "-infinity"},
		{cdc.PositiveInfinity, TimestampTime, cdc.PositiveInfinity},
		{"2024-01-02", TimestampTime, nil},
		{"yesterday", TimestampUnixMillis, nil},
		{1.5, TimestampTime, nil},
		{true, TimestampTime, nil},
		{cdc.MustParseDecimal("1"), TimestampTime, nil},
		{uint64(math.MaxUint64), TimestampTime, nil},
	}
	for _, tc := range tests {
		tr := MustTimestampConverter("ts", tc.target)
		ev := paEv(cdc.OpUpdate, cdc.Row{}, cdc.RowOf("ts", tc.in), cdc.RowOf("ts", tc.in))
		_, err := tr.Apply(context.Background(), ev)
		if tc.want == nil {
			if err == nil || !errors.Is(err, cdc.ErrType) || !strings.Contains(err.Error(), `"ts"`) {
				t.Errorf("%T %v to %s: error %v", tc.in, tc.in, tc.target, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%T %v to %s: %v", tc.in, tc.in, tc.target, err)
			continue
		}
		for _, r := range []cdc.Row{ev.Before, ev.After} {
			if got := r.At(0); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%T %v to %s = %T %v, want %T %v", tc.in, tc.in, tc.target, got, got, tc.want, tc.want)
			}
		}
	}

	tr := MustTimestampConverter("created_at", TimestampUnixMillis)
	paRunShape(t, tr, []paShapeCase{
		{name: "null, unchanged, missing", ev: paEv(cdc.OpCreate, cdc.RowOf("created_at", "k"), cdc.Row{}, cdc.RowOf("created_at", nil, "x", int64(1))),
			wantKey: cdc.RowOf("created_at", "k"), wantAfter: cdc.RowOf("created_at", nil, "x", int64(1))},
		{name: "unchanged", ev: paEv(cdc.OpUpdate, cdc.Row{}, cdc.RowOf("x", int64(1)), cdc.RowOf("created_at", cdc.Unchanged{})),
			wantBefore: cdc.RowOf("x", int64(1)), wantAfter: cdc.RowOf("created_at", cdc.Unchanged{})},
		{name: "delete", ev: paOrderEvent(cdc.OpDelete), wantKey: paKey7(),
			wantBefore: cdc.RowOf("id", int64(7), "customer_id", int64(42), "status", "paid", "priority", "HIGH", "amount", cdc.MustParseDecimal("12.50"), "currency", "EUR", "created_at", paCreated.UnixMilli(), "notes", "leave at door")},
	})
	paPassesOthers(t, tr)

	_, err := TimestampConverter("", TimestampTime)
	paIsConfigErr(t, err, "column is empty")
	_, err = TimestampConverter("x", "unix")
	paIsConfigErr(t, err, `target "unix"`)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustTimestampConverter did not panic")
			}
		}()
		MustTimestampConverter("x", "y")
	}()
}

func TestFlatten(t *testing.T) {
	doc := map[string]any{
		"zip":  "75001",
		"city": "Paris",
		"geo":  map[string]any{"lat": 48.8, "lon": 2.3},
		"meta": json.RawMessage(`{"b": 1}`),
		"tags": []any{"a"},
	}
	js := json.RawMessage(`{"z": 1, "a": {"y": "s", "x": null}, "big": 12345678901234567890, "f": 1.50, "e": 1e3,
		"arr": [1, {"n": 2}], "t": true, "no": false, "empty": {}, "neg": -3}`)
	tr := Flatten("")
	paRunShape(t, tr, []paShapeCase{
		{name: "map, sorted keys, in place", ev: paEv(cdc.OpCreate, cdc.RowOf("doc", "k"), cdc.Row{}, cdc.RowOf("id", int64(1), "doc", doc, "last", nil)),
			wantKey: cdc.RowOf("doc", "k"),
			wantAfter: cdc.RowOf("id", int64(1), "doc.city", "Paris", "doc.geo.lat", 48.8, "doc.geo.lon", 2.3, "doc.meta.b", int64(1),
				"doc.tags", []any{"a"}, "doc.zip", "75001", "last", nil)},
		{name: "json in document order", ev: paEv(cdc.OpRead, cdc.Row{}, cdc.Row{}, cdc.RowOf("j", js)),
			wantAfter: cdc.RowOf("j.z", int64(1), "j.a.y", "s", "j.a.x", nil, "j.big", cdc.MustParseDecimal("12345678901234567890"),
				"j.f", cdc.MustParseDecimal("1.50"), "j.e", cdc.MustParseDecimal("1000"), "j.arr", json.RawMessage(`[1, {"n": 2}]`),
				"j.t", true, "j.no", false, "j.neg", int64(-3))},
		{name: "update: both rows", ev: paEv(cdc.OpUpdate, cdc.Row{}, cdc.RowOf("j", json.RawMessage(`{"a":1}`)), cdc.RowOf("j", json.RawMessage(`{"a":2}`))),
			wantBefore: cdc.RowOf("j.a", int64(1)), wantAfter: cdc.RowOf("j.a", int64(2))},
		{name: "delete", ev: paEv(cdc.OpDelete, cdc.Row{}, cdc.RowOf("j", json.RawMessage(` {"a":"\u00e9"}`)), cdc.Row{}),
			wantBefore: cdc.RowOf("j.a", "é")},
		{name: "not nested: untouched", ev: paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{},
			cdc.RowOf("s", `{"a":1}`, "b", []byte(`{"a":1}`), "arr", json.RawMessage(`[1]`), "n", json.RawMessage(`null`), "x", nil, "u", cdc.Unchanged{})),
			wantAfter: cdc.RowOf("s", `{"a":1}`, "b", []byte(`{"a":1}`), "arr", json.RawMessage(`[1]`), "n", json.RawMessage(`null`), "x", nil, "u", cdc.Unchanged{})},
		{name: "empty object leaves no column", ev: paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, cdc.RowOf("a", int64(1), "m", map[string]any{}, "j", json.RawMessage(`{}`))),
			wantAfter: cdc.RowOf("a", int64(1))},
	})
	paPassesOthers(t, tr)

	// Escapes, and brackets inside strings.
	ev := paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, cdc.RowOf("j", json.RawMessage(`{"k\"q":"a\nb","s":"}{","arr":["]",{"x":"}"}],"o":{"p":"\u00e9{"}}`)))
	paApply(t, tr, ev)
	paRowEq(t, "escapes", ev.After, cdc.RowOf("j.k\"q", "a\nb", "j.s", "}{", "j.arr", json.RawMessage(`["]",{"x":"}"}]`), "j.o.p", "é{"))

	ev = paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, cdc.RowOf("a", map[string]any{"b": map[string]any{"c": int64(1)}}))
	paApply(t, Flatten("_"), ev)
	paRowEq(t, "delimiter", ev.After, cdc.RowOf("a_b_c", int64(1)))

	// No nested value: the row is not copied.
	ev = paOrderEvent(cdc.OpCreate)
	paApply(t, tr, ev)
	if &ev.After.Names()[0] != &paOrderNames[0] {
		t.Error("row copied without nested values")
	}

	for _, row := range []cdc.Row{
		cdc.RowOf("a.b", int64(1), "a", map[string]any{"b": int64(2)}),
		cdc.RowOf("j", json.RawMessage(`{"a":1,"a":2}`)),
	} {
		_, err := tr.Apply(context.Background(), paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, row))
		if err == nil || !strings.Contains(err.Error(), "collides") {
			t.Errorf("collision in %s: %v", paShow(row), err)
		}
	}
	// Wide rows use a map to find collisions.
	wide := make([]any, 0, 80)
	for i := 0; i < 39; i++ {
		wide = append(wide, "c"+strings.Repeat("x", i), int64(i))
	}
	okRow := cdc.RowOf(append(slices.Clone(wide), "n", map[string]any{"a": int64(1)})...)
	if _, err := tr.Apply(context.Background(), paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, okRow)); err != nil {
		t.Errorf("wide row: %v", err)
	}
	badRow := cdc.RowOf(append(slices.Clone(wide), "cx", map[string]any{"a": int64(1)}, "cx.a", nil)...)
	if _, err := tr.Apply(context.Background(), paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, badRow)); err == nil || !strings.Contains(err.Error(), `"cx.a"`) {
		t.Errorf("wide row collision: %v", err)
	}
	for _, raw := range []string{`{"a":}`, `{"a":1`, `{"a":1} x`, `{1:2}`} {
		_, err := tr.Apply(context.Background(), paEv(cdc.OpCreate, cdc.Row{}, cdc.Row{}, cdc.RowOf("j", json.RawMessage(raw))))
		if err == nil || !strings.Contains(err.Error(), `"j"`) {
			t.Errorf("invalid JSON %s: %v", raw, err)
		}
	}
}
