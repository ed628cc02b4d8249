package transform_test

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/transform"
)

func TestChangedFields(t *testing.T) {
	dec := cdc.MustParseDecimal
	ts := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		in        cdc.Event
		changed   []string // nil: header absent
		unchanged []string
	}{
		{
			name:      "orders update",
			in:        pbOrderEvent(),
			changed:   []string{"status", "quantity", "updated_at"},
			unchanged: []string{"id", "customer_id", "price", "email", "note"},
		},
		{
			name: "type-aware equality",
			in: cdc.Event{Op: cdc.OpUpdate,
				Before: cdc.RowOf("d", dec("1.5"), "t", ts, "b", []byte("x"), "j", json.RawMessage(`{"a":1}`), "f", math.NaN(), "s", []string{"a"}, "arr", []any{int64(1)}, "n", nil),
				After:  cdc.RowOf("d", dec("1.50"), "t", ts.In(time.FixedZone("X", 7200)), "b", []byte("x"), "j", json.RawMessage(`{"a":1}`), "f", math.NaN(), "s", []string{"a"}, "arr", []any{int64(1)}, "n", nil)},
			changed:   []string{},
			unchanged: []string{"d", "t", "b", "j", "f", "s", "arr", "n"},
		},
		{
			name: "changes of every kind",
			in: cdc.Event{Op: cdc.OpUpdate,
				Before: cdc.RowOf("d", dec("1.5"), "t", ts, "b", []byte("x"), "j", json.RawMessage(`{"a":1}`), "n", nil, "v", "x", "i", int64(1), "arr", []any{int64(1)}),
				After:  cdc.RowOf("d", dec("1.51"), "t", ts.Add(1), "b", []byte("y"), "j", json.RawMessage(`{"a": 1}`), "n", "now set", "v", nil, "i", uint64(1), "arr", []any{int64(2)})},
			changed:   []string{"d", "t", "b", "j", "n", "v", "i", "arr"},
			unchanged: []string{},
		},
		{
			name:      "unchanged TOAST marker is not a change",
			in:        cdc.Event{Op: cdc.OpUpdate, Before: cdc.RowOf("id", int64(1), "doc", "old"), After: cdc.RowOf("id", int64(1), "doc", cdc.Unchanged{})},
			changed:   []string{},
			unchanged: []string{"id", "doc"},
		},
		{
			name:      "column only After has is a change; column only Before has is not listed",
			in:        cdc.Event{Op: cdc.OpUpdate, Before: cdc.RowOf("id", int64(1), "gone", 1), After: cdc.RowOf("id", int64(1), "added", 2)},
			changed:   []string{"added"},
			unchanged: []string{"id"},
		},
		{
			name:      "same names in another order",
			in:        cdc.Event{Op: cdc.OpUpdate, Before: cdc.RowOf("b", 2, "a", 1), After: cdc.RowOf("a", 1, "b", 3)},
			changed:   []string{"b"},
			unchanged: []string{"a"},
		},
		{
			name: "update without Before: no header",
			in:   cdc.Event{Op: cdc.OpUpdate, After: cdc.RowOf("id", int64(1))},
		},
		{
			name: "create: no header",
			in:   cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("id", int64(1))},
		},
		{
			name: "snapshot read: no header",
			in:   cdc.Event{Op: cdc.OpRead, After: cdc.RowOf("id", int64(1))},
		},
		{
			name: "delete: no header",
			in:   cdc.Event{Op: cdc.OpDelete, Before: cdc.RowOf("id", int64(1))},
		},
		{
			name: "truncate and schema: no header",
			in:   cdc.Event{Op: cdc.OpTruncate},
		},
	}
	both := transform.ChangedFields(transform.WithUnchangedFields())
	only := transform.ChangedFields()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, withUnchanged := range []bool{false, true} {
				tr := only
				if withUnchanged {
					tr = both
				}
				ev := pbCopy(tc.in)
				if !pbApply(t, tr, ev) {
					t.Fatal("dropped")
				}
				got, ok := ev.Header(transform.HeaderChangedFields)
				if tc.changed == nil {
					if ok || len(ev.Headers) != 0 {
						t.Fatalf("headers = %v, want none", ev.Headers)
					}
					continue
				}
				if !ok || !reflect.DeepEqual(got, tc.changed) {
					t.Errorf("changed_fields = %#v, want %#v", got, tc.changed)
				}
				un, ok := ev.Header(transform.HeaderUnchangedFields)
				switch {
				case !withUnchanged && ok:
					t.Errorf("unchanged_fields present without the option: %v", un)
				case withUnchanged && (!ok || !reflect.DeepEqual(un, tc.unchanged)):
					t.Errorf("unchanged_fields = %#v, want %#v", un, tc.unchanged)
				}
				pbRowEqual(t, "After", ev.After, tc.in.After)
				pbRowEqual(t, "Before", ev.Before, tc.in.Before)
			}
		})
	}
}

func TestChangedFieldsHeaders(t *testing.T) {
	ev := pbOrderEvent()
	ev.Headers = []cdc.Header{{Key: "trace", Value: "t1"}}
	tr := transform.ChangedFields(transform.ChangedFieldsHeaders("", "same"))
	pbApply(t, tr, &ev)
	want := []cdc.Header{{Key: "trace", Value: "t1"}, {Key: "same", Value: []string{"id", "customer_id", "price", "email", "note"}}}
	if !reflect.DeepEqual(ev.Headers, want) {
		t.Fatalf("headers = %#v, want %#v", ev.Headers, want)
	}

	// Appending to one list must not write into the other.
	ev = pbOrderEvent()
	pbApply(t, transform.ChangedFields(transform.WithUnchangedFields()), &ev)
	c, _ := ev.Header(transform.HeaderChangedFields)
	_ = append(c.([]string), "extra")
	u, _ := ev.Header(transform.HeaderUnchangedFields)
	if !reflect.DeepEqual(u, []string{"id", "customer_id", "price", "email", "note"}) {
		t.Fatalf("unchanged_fields = %v after appending to changed_fields", u)
	}
}
