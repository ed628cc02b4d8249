package transform

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// Test helpers of part A (unwrap, filter, route, shape) are prefixed "pa".

var paOrders = cdc.TableID{Database: "shop", Schema: "public", Name: "orders"}

// paOrderNames is shared by every order row, like a table schema's names.
var paOrderNames = []string{"id", "customer_id", "status", "priority", "amount", "currency", "created_at", "notes"}

var paCreated = time.Date(2024, 3, 1, 12, 30, 45, 123456789, time.UTC)

func paOrderValues(id int64, status string) []any {
	return []any{id, int64(42), status, "HIGH", cdc.MustParseDecimal("12.50"), "EUR", paCreated, "leave at door"}
}

// paOrderEvent is a realistic update: 8-column orders row with Before and After, as a
// PostgreSQL source with REPLICA IDENTITY FULL sends it.
func paOrderEvent(op cdc.Op) *cdc.Event {
	ev := &cdc.Event{
		Op:          op,
		Table:       paOrders,
		Key:         cdc.NewRow(paOrderNames[:1], []any{int64(7)}),
		Destination: "app.public.orders",
		Source: cdc.SourceInfo{
			Connector: "postgresql", Name: "app", CommitTime: time.UnixMilli(1700000000123).UTC(),
			TxID: "901", TxOrder: 3, LSN: 0x16B3748, CommitLSN: 0x16B3800,
		},
	}
	switch op {
	case cdc.OpCreate, cdc.OpRead:
		ev.After = cdc.NewRow(paOrderNames, paOrderValues(7, "paid"))
	case cdc.OpUpdate:
		ev.Before = cdc.NewRow(paOrderNames, paOrderValues(7, "new"))
		ev.After = cdc.NewRow(paOrderNames, paOrderValues(7, "paid"))
	case cdc.OpDelete:
		ev.Before = cdc.NewRow(paOrderNames, paOrderValues(7, "paid"))
	}
	if op == cdc.OpRead {
		ev.Source.Snapshot = cdc.SnapshotTrue
	}
	ev.SetID("0/16B3800:3")
	return ev
}

// paOtherEvents are events that are not row changes.
func paOtherEvents() []*cdc.Event {
	schema := cdc.NewTableSchema(paOrders, []cdc.Column{{Name: "id", Kind: cdc.KindInt, PrimaryKey: true}}, nil)
	return []*cdc.Event{
		{Op: cdc.OpTruncate, Table: paOrders, Destination: "app.public.orders"},
		{Op: cdc.OpMessage, Destination: "app.messages", Message: &cdc.Message{Prefix: "audit", Content: []byte("hi")}},
		{Op: cdc.OpSchema, Table: paOrders, Destination: "app.public.orders", Schema: schema, DDL: "ALTER TABLE orders ADD x int"},
	}
}

// paCopy copies an event deeply enough to compare it with reflect.DeepEqual later.
func paCopy(ev *cdc.Event) *cdc.Event {
	c := *ev
	c.Key, c.Before, c.After = ev.Key.Clone(), ev.Before.Clone(), ev.After.Clone()
	c.Headers = slices.Clone(ev.Headers)
	return &c
}

func paApply(t testing.TB, tr cdc.Transform, ev *cdc.Event) bool {
	t.Helper()
	keep, err := tr.Apply(context.Background(), ev)
	if err != nil {
		t.Fatalf("Apply(%s event): %v", ev.Op, err)
	}
	return keep
}

// paShow renders a row with value types, for failure messages.
func paShow(r cdc.Row) string {
	if r.IsZero() {
		return "{}"
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < r.Len(); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%v(%T)", r.Name(i), r.At(i), r.At(i))
	}
	b.WriteByte('}')
	return b.String()
}

// paRowEq fails unless got has exactly want's columns, in order, with equal values of
// the same types.
func paRowEq(t testing.TB, what string, got, want cdc.Row) {
	t.Helper()
	if got.IsZero() && want.IsZero() {
		return
	}
	if !slices.Equal(got.Names(), want.Names()) || !reflect.DeepEqual(got.Values(), want.Values()) {
		t.Errorf("%s:\n got  %s\n want %s", what, paShow(got), paShow(want))
	}
}

func paIsConfigErr(t testing.TB, err error, mentions string) {
	t.Helper()
	if !errors.Is(err, cdc.ErrInvalidConfig) {
		t.Fatalf("error %v does not wrap cdc.ErrInvalidConfig", err)
	}
	if !strings.Contains(err.Error(), mentions) {
		t.Errorf("error %q does not mention %q", err, mentions)
	}
}

// paOrder returns the order row with extra columns appended.
func paOrder(status string, extra ...any) cdc.Row {
	kv := make([]any, 0, 16+len(extra))
	for i, v := range paOrderValues(7, status) {
		kv = append(kv, paOrderNames[i], v)
	}
	return cdc.RowOf(append(kv, extra...)...)
}

func TestUnwrap(t *testing.T) {
	tests := []struct {
		name       string
		opts       []UnwrapOption
		ev         *cdc.Event
		drop       bool
		wantBefore cdc.Row
		wantAfter  cdc.Row
		wantHdrs   []cdc.Header
	}{
		{name: "create", ev: paOrderEvent(cdc.OpCreate), wantAfter: paOrder("paid")},
		{name: "update clears before", ev: paOrderEvent(cdc.OpUpdate), wantAfter: paOrder("paid")},
		{name: "snapshot read like create", ev: paOrderEvent(cdc.OpRead), wantAfter: paOrder("paid")},
		{name: "delete becomes tombstone", ev: paOrderEvent(cdc.OpDelete)},
		{name: "delete tombstone explicit", opts: []UnwrapOption{UnwrapDeletes(DeleteTombstone)}, ev: paOrderEvent(cdc.OpDelete)},
		{name: "delete dropped", opts: []UnwrapOption{UnwrapDeletes(DeleteDrop)}, ev: paOrderEvent(cdc.OpDelete), drop: true},
		{name: "drop mode keeps updates", opts: []UnwrapOption{UnwrapDeletes(DeleteDrop)}, ev: paOrderEvent(cdc.OpUpdate), wantAfter: paOrder("paid")},
		{name: "tombstone dropped", opts: []UnwrapOption{UnwrapDropTombstones()}, ev: paOrderEvent(cdc.OpDelete), drop: true},
		{
			name: "delete rewritten", opts: []UnwrapOption{UnwrapDeletes(DeleteRewrite)}, ev: paOrderEvent(cdc.OpDelete),
			wantAfter: paOrder("paid", "__deleted", "true"),
		},
		{
			name: "rewrite with drop tombstones keeps deletes", opts: []UnwrapOption{UnwrapDeletes(DeleteRewrite), UnwrapDropTombstones()},
			ev: paOrderEvent(cdc.OpDelete), wantAfter: paOrder("paid", "__deleted", "true"),
		},
		{
			name: "rewrite marks creates", opts: []UnwrapOption{UnwrapDeletes(DeleteRewrite)}, ev: paOrderEvent(cdc.OpCreate),
			wantAfter: paOrder("paid", "__deleted", "false"),
		},
		{
			name: "rewrite marks snapshot reads", opts: []UnwrapOption{UnwrapDeletes(DeleteRewrite)}, ev: paOrderEvent(cdc.OpRead),
			wantAfter: paOrder("paid", "__deleted", "false"),
		},
		{
			name: "rewrite delete without before uses key", opts: []UnwrapOption{UnwrapDeletes(DeleteRewrite)},
			ev:        func() *cdc.Event { ev := paOrderEvent(cdc.OpDelete); ev.Before = cdc.Row{}; return ev }(),
			wantAfter: cdc.RowOf("id", int64(7), "__deleted", "true"),
		},
		{
			name: "rewrite delete with nothing", opts: []UnwrapOption{UnwrapDeletes(DeleteRewrite)},
			ev:        &cdc.Event{Op: cdc.OpDelete, Table: paOrders},
			wantAfter: cdc.RowOf("__deleted", "true"),
		},
		{
			name: "add fields", opts: []UnwrapOption{UnwrapAddFields("__", "op", "table", "db", "schema", "lsn", "commit_lsn", "ts_ms", "tx_id", "tx_order", "connector", "name", "snapshot")},
			ev: paOrderEvent(cdc.OpUpdate),
			wantAfter: paOrder("paid", "__op", "u", "__table", "orders", "__db", "shop", "__schema", "public",
				"__lsn", uint64(0x16B3748), "__commit_lsn", uint64(0x16B3800), "__ts_ms", int64(1700000000123), "__tx_id", "901",
				"__tx_order", int64(3), "__connector", "postgresql", "__name", "app", "__snapshot", "false"),
		},
		{
			name: "fields a source lacks are null", opts: []UnwrapOption{UnwrapAddFields("__", "gtid", "file", "pos", "row", "server_id")},
			ev:        paOrderEvent(cdc.OpCreate),
			wantAfter: paOrder("paid", "__gtid", nil, "__file", nil, "__pos", nil, "__row", nil, "__server_id", nil),
		},
		{
			name: "mysql fields", opts: []UnwrapOption{UnwrapAddFields("", "gtid", "file", "pos", "row", "server_id", "schema", "lsn", "ts_ms")},
			ev: &cdc.Event{Op: cdc.OpCreate, Table: cdc.TableID{Database: "shop", Name: "orders"}, After: cdc.RowOf("id", int64(1)),
				Source: cdc.SourceInfo{Connector: "mysql", GTID: "3E11FA47-71CA-11E1-9E33-C80AA9429562:23", File: "binlog.000003", Pos: 1234, ServerID: 1}},
			wantAfter: cdc.RowOf("id", int64(1), "gtid", "3E11FA47-71CA-11E1-9E33-C80AA9429562:23", "file", "binlog.000003",
				"pos", uint64(1234), "row", int64(0), "server_id", int64(1), "schema", nil, "lsn", nil, "ts_ms", nil),
		},
		{
			name: "snapshot read fields", opts: []UnwrapOption{UnwrapAddFields("__", "op", "snapshot")},
			ev:        paOrderEvent(cdc.OpRead),
			wantAfter: paOrder("paid", "__op", "r", "__snapshot", "true"),
		},
		{
			name: "added field overwrites a column of the same name", opts: []UnwrapOption{UnwrapAddFields("", "op", "table")},
			ev:        &cdc.Event{Op: cdc.OpCreate, Table: paOrders, After: cdc.RowOf("op", "mine", "x", int64(1))},
			wantAfter: cdc.RowOf("op", "c", "x", int64(1), "table", "orders"),
		},
		{
			name: "fields and rewrite on delete", opts: []UnwrapOption{UnwrapDeletes(DeleteRewrite), UnwrapAddFields("__", "op")},
			ev:        paOrderEvent(cdc.OpDelete),
			wantAfter: paOrder("paid", "__op", "d", "__deleted", "true"),
		},
		{
			name: "duplicate fields added once", opts: []UnwrapOption{UnwrapAddFields("__", "op", "op"), UnwrapAddFields("__", "op")},
			ev:        paOrderEvent(cdc.OpCreate),
			wantAfter: paOrder("paid", "__op", "c"),
		},
		{
			name: "tombstone gets no fields but headers", opts: []UnwrapOption{UnwrapAddFields("__", "op"), UnwrapAddHeaders("__", "op", "table", "lsn")},
			ev:       paOrderEvent(cdc.OpDelete),
			wantHdrs: []cdc.Header{{Key: "__op", Value: "d"}, {Key: "__table", Value: "orders"}, {Key: "__lsn", Value: uint64(0x16B3748)}},
		},
		{
			name: "headers", opts: []UnwrapOption{UnwrapAddHeaders("cdc.", "op", "ts_ms")},
			ev:        paOrderEvent(cdc.OpCreate),
			wantAfter: paOrder("paid"),
			wantHdrs:  []cdc.Header{{Key: "cdc.op", Value: "c"}, {Key: "cdc.ts_ms", Value: int64(1700000000123)}},
		},
		{
			name: "unchanged and null values kept", opts: []UnwrapOption{UnwrapAddFields("__", "op")},
			ev: &cdc.Event{Op: cdc.OpUpdate, Table: paOrders,
				Before: cdc.RowOf("id", int64(1), "doc", "old", "n", nil),
				After:  cdc.RowOf("id", int64(1), "doc", cdc.Unchanged{}, "n", nil)},
			wantAfter: cdc.RowOf("id", int64(1), "doc", cdc.Unchanged{}, "n", nil, "__op", "u"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := UnwrapErr(tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			ev := tc.ev
			wantKey := ev.Key.Clone()
			op := ev.Op
			keep := paApply(t, tr, ev)
			if keep == tc.drop {
				t.Fatalf("keep = %v, want %v", keep, !tc.drop)
			}
			if tc.drop {
				return
			}
			if ev.Op != op {
				t.Errorf("Op = %s, want %s", ev.Op, op)
			}
			paRowEq(t, "Key", ev.Key, wantKey)
			if !ev.Before.IsZero() {
				t.Errorf("Before = %s, want none", paShow(ev.Before))
			}
			if tc.wantAfter.IsZero() != ev.After.IsZero() {
				t.Errorf("After = %s, want %s", paShow(ev.After), paShow(tc.wantAfter))
			}
			paRowEq(t, "After", ev.After, tc.wantAfter)
			if !reflect.DeepEqual(ev.Headers, tc.wantHdrs) {
				t.Errorf("Headers = %v, want %v", ev.Headers, tc.wantHdrs)
			}
			if !slices.Equal(paOrderNames, []string{"id", "customer_id", "status", "priority", "amount", "currency", "created_at", "notes"}) {
				t.Fatalf("shared names were modified: %v", paOrderNames)
			}
		})
	}
}

func TestUnwrapPassesOtherEvents(t *testing.T) {
	for _, opts := range [][]UnwrapOption{
		nil,
		{UnwrapDeletes(DeleteDrop)},
		{UnwrapDeletes(DeleteRewrite), UnwrapAddFields("__", "op"), UnwrapAddHeaders("__", "op"), UnwrapDropTombstones()},
	} {
		tr := Unwrap(opts...)
		for _, ev := range paOtherEvents() {
			want := paCopy(ev)
			if !paApply(t, tr, ev) {
				t.Fatalf("%s event dropped", ev.Op)
			}
			if !reflect.DeepEqual(ev, want) {
				t.Errorf("%s event changed:\n got  %+v\n want %+v", ev.Op, ev, want)
			}
		}
	}
}

func TestUnwrapConfigErrors(t *testing.T) {
	tests := []struct {
		opts     []UnwrapOption
		mentions string
	}{
		{[]UnwrapOption{UnwrapAddFields("__", "op", "bogus")}, `"bogus"`},
		{[]UnwrapOption{UnwrapAddHeaders("__", "Op")}, `"Op"`},
		{[]UnwrapOption{UnwrapAddFields("__")}, "no fields"},
		{[]UnwrapOption{UnwrapDeletes(DeleteMode(9))}, "mode 9"},
	}
	for _, tc := range tests {
		_, err := UnwrapErr(tc.opts...)
		paIsConfigErr(t, err, tc.mentions)
		// Unwrap reports the same error from Apply, for every event.
		tr := Unwrap(tc.opts...)
		for _, ev := range append(paOtherEvents(), paOrderEvent(cdc.OpCreate)) {
			keep, err := tr.Apply(context.Background(), ev)
			if keep || !errors.Is(err, cdc.ErrInvalidConfig) {
				t.Errorf("Apply of a misconfigured Unwrap = %v, %v", keep, err)
			}
		}
	}
	if tr := Unwrap(nil, UnwrapDeletes(DeleteDrop)); tr == nil {
		t.Fatal("nil option not ignored")
	}
	if s := DeleteRewrite.String(); s != "rewrite" {
		t.Errorf("DeleteRewrite.String() = %q", s)
	}
}

// Rows of many tables (more than the plan cache holds), interleaved, and rows whose
// names are not shared, all get the right columns; the shared names never change.
func TestUnwrapManyTables(t *testing.T) {
	tr := Unwrap(UnwrapDeletes(DeleteRewrite), UnwrapAddFields("__", "table"))
	schemas := make([][]string, 7)
	for i := range schemas {
		schemas[i] = []string{"id", fmt.Sprintf("c%d", i)}
	}
	for round := 0; round < 3; round++ {
		for i, names := range schemas {
			table := fmt.Sprintf("t%d", i)
			ev := &cdc.Event{Op: cdc.OpCreate, Table: cdc.TableID{Name: table}, After: cdc.NewRow(names, []any{int64(round), int64(i)})}
			if round == 2 {
				ev.After = ev.After.Clone() // names not shared
			}
			paApply(t, tr, ev)
			paRowEq(t, table, ev.After, cdc.RowOf("id", int64(round), fmt.Sprintf("c%d", i), int64(i), "__table", table, "__deleted", "false"))
			// Changing one event's row must not change the cached names.
			ev.After.Rename("id", "ID")
			if !slices.Equal(names, []string{"id", fmt.Sprintf("c%d", i)}) {
				t.Fatalf("schema names changed: %v", names)
			}
		}
	}
}

// One Unwrap serves several engines at once: no data race (run with -race).
func TestUnwrapConcurrent(t *testing.T) {
	tr := Unwrap(UnwrapDeletes(DeleteRewrite), UnwrapAddFields("__", "op"))
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				ev := paOrderEvent(cdc.OpDelete)
				if i%2 == 0 {
					ev = &cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("x", int64(i))}
				}
				if _, err := tr.Apply(context.Background(), ev); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}
