package transform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/transform"
)

var pbOutboxNames = []string{"id", "aggregatetype", "aggregateid", "type", "payload", "created_at", "tenant", "trace_id"}

var pbOutboxTable = cdc.TableID{Database: "shop", Schema: "public", Name: "outbox"}

// pbOutboxEvent is an insert into an 8-column outbox table.
func pbOutboxEvent(payload any) cdc.Event {
	schema := cdc.NewTableSchema(pbOutboxTable, []cdc.Column{{Name: "id", PrimaryKey: true}}, nil)
	ev := cdc.Event{
		Op:    cdc.OpCreate,
		Table: pbOutboxTable,
		Key:   cdc.NewRow([]string{"id"}, []any{"4d47e190-0402-4048-bc2c-89dd54343cdc"}),
		After: cdc.NewRow(pbOutboxNames, []any{"4d47e190-0402-4048-bc2c-89dd54343cdc", "Order", "1001", "OrderCreated",
			payload, pbTime, "acme", "trace-1"}),
		Schema:      schema,
		Destination: "shop.public.outbox",
		Source:      cdc.SourceInfo{Connector: "postgresql", CommitTime: pbTime.Add(time.Second)},
	}
	ev.SetID("pg:0/16B3748:1")
	return ev
}

func TestOutbox(t *testing.T) {
	const id = "4d47e190-0402-4048-bc2c-89dd54343cdc"
	jsonPayload := json.RawMessage(`{"orderId": 1001, "lines": [{"sku": "a"}], "total": 59.97, "big": 123456789012345678901, "paid": true, "note": null, "who": "Ada \"A\""}`)
	key := cdc.RowOf("aggregateid", "1001")
	base := []cdc.Header{{Key: "id", Value: id}, {Key: "type", Value: "OrderCreated"}}
	tests := []struct {
		name    string
		cfg     transform.OutboxConfig
		in      cdc.Event
		op      cdc.Op
		key     cdc.Row
		after   cdc.Row
		headers []cdc.Header
		dest    string
		dropped bool
		wantErr string
	}{
		{
			name:    "defaults: key aggregate id, payload as one column, id and type headers, routed by aggregate type",
			in:      pbOutboxEvent(jsonPayload),
			op:      cdc.OpCreate,
			key:     key,
			after:   cdc.RowOf("payload", jsonPayload),
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name: "snapshot read is treated like a create",
			in: func() cdc.Event {
				ev := pbOutboxEvent("text payload")
				ev.Op, ev.Source.Snapshot = cdc.OpRead, cdc.SnapshotTrue
				return ev
			}(),
			op:      cdc.OpCreate,
			key:     key,
			after:   cdc.RowOf("payload", "text payload"),
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name: "expanded JSON payload: fields in document order with exact numbers",
			cfg:  transform.OutboxConfig{ExpandJSONPayload: true},
			in:   pbOutboxEvent(jsonPayload),
			op:   cdc.OpCreate,
			key:  key,
			after: cdc.RowOf("orderId", int64(1001), "lines", json.RawMessage(`[{"sku": "a"}]`), "total", 59.97,
				"big", cdc.MustParseDecimal("123456789012345678901"), "paid", true, "note", nil, "who", `Ada "A"`),
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name:    "expanded JSON from a string and []byte; empty object",
			cfg:     transform.OutboxConfig{ExpandJSONPayload: true},
			in:      pbOutboxEvent(`{}`),
			op:      cdc.OpCreate,
			key:     key,
			after:   cdc.NewRow([]string{}, []any{}),
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name:    "payload that is not an object stays unexpanded",
			cfg:     transform.OutboxConfig{ExpandJSONPayload: true},
			in:      pbOutboxEvent([]byte(`[1,2]`)),
			op:      cdc.OpCreate,
			key:     key,
			after:   cdc.RowOf("payload", []byte(`[1,2]`)),
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name:    "invalid JSON stays unexpanded",
			cfg:     transform.OutboxConfig{ExpandJSONPayload: true},
			in:      pbOutboxEvent(`{"a":1} trailing`),
			op:      cdc.OpCreate,
			key:     key,
			after:   cdc.RowOf("payload", `{"a":1} trailing`),
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name: "additional fields: header and envelope with alias; custom route template with a column",
			cfg: transform.OutboxConfig{
				RouteTopicReplacement: "${tenant}.events.${routedByValue}",
				AdditionalFields: []transform.OutboxField{
					{Column: "tenant", Placement: transform.PlacementHeader},
					{Column: "trace_id", Placement: transform.PlacementEnvelope, Alias: "traceId"},
					{Column: "type", Placement: transform.PlacementEnvelope, Alias: "eventType"},
				},
			},
			in:      pbOutboxEvent(jsonPayload),
			op:      cdc.OpCreate,
			key:     key,
			after:   cdc.RowOf("payload", jsonPayload, "traceId", "trace-1", "eventType", "OrderCreated"),
			headers: append(append([]cdc.Header(nil), base...), cdc.Header{Key: "tenant", Value: "acme"}),
			dest:    "acme.events.Order",
		},
		{
			name: "envelope fields after expanded payload fields",
			cfg: transform.OutboxConfig{ExpandJSONPayload: true, AdditionalFields: []transform.OutboxField{
				{Column: "tenant", Placement: transform.PlacementEnvelope}}},
			in:      pbOutboxEvent(`{"a":1}`),
			op:      cdc.OpCreate,
			key:     key,
			after:   cdc.RowOf("a", int64(1), "tenant", "acme"),
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name:    "custom columns and route field; constant route",
			cfg:     transform.OutboxConfig{AggregateIDColumn: "tenant", IDColumn: "trace_id", PayloadColumn: "type", EventTypeColumn: "none", RouteTopicReplacement: "events"},
			in:      pbOutboxEvent(nil),
			op:      cdc.OpCreate,
			key:     cdc.RowOf("tenant", "acme"),
			after:   cdc.RowOf("payload", "OrderCreated"),
			headers: []cdc.Header{{Key: "id", Value: "trace-1"}},
			dest:    "events",
		},
		{
			name:    "null payload without tombstones: a payload column holding nil",
			in:      pbOutboxEvent(nil),
			op:      cdc.OpCreate,
			key:     key,
			after:   cdc.RowOf("payload", nil),
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name:    "null payload with tombstones",
			cfg:     transform.OutboxConfig{TombstoneOnEmptyPayload: true},
			in:      pbOutboxEvent(nil),
			op:      cdc.OpDelete,
			key:     key,
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name:    "JSON null payload with tombstones",
			cfg:     transform.OutboxConfig{TombstoneOnEmptyPayload: true, ExpandJSONPayload: true},
			in:      pbOutboxEvent(json.RawMessage(" null ")),
			op:      cdc.OpDelete,
			key:     key,
			headers: base,
			dest:    "outbox.event.Order",
		},
		{
			name: "existing headers are kept",
			in: func() cdc.Event {
				ev := pbOutboxEvent("p")
				ev.Headers = []cdc.Header{{Key: "trace", Value: "x"}}
				return ev
			}(),
			op:      cdc.OpCreate,
			key:     key,
			after:   cdc.RowOf("payload", "p"),
			headers: append([]cdc.Header{{Key: "trace", Value: "x"}}, base...),
			dest:    "outbox.event.Order",
		},
		{
			name: "update dropped by default (warn)",
			in: func() cdc.Event {
				ev := pbOutboxEvent("p")
				ev.Op, ev.Before = cdc.OpUpdate, ev.After
				return ev
			}(),
			dropped: true,
		},
		{
			name: "update with OnInvalidOp error",
			cfg:  transform.OutboxConfig{OnInvalidOp: "error"},
			in: func() cdc.Event {
				ev := pbOutboxEvent("p")
				ev.Op = cdc.OpUpdate
				return ev
			}(),
			wantErr: "transform: outbox: update of an outbox row of shop.public.outbox (event pg:0/16B3748:1)",
		},
		{
			name: "delete dropped silently",
			cfg:  transform.OutboxConfig{OnInvalidOp: "error"},
			in: func() cdc.Event {
				ev := pbOutboxEvent("p")
				ev.Op, ev.Before, ev.After = cdc.OpDelete, ev.After, cdc.Row{}
				return ev
			}(),
			dropped: true,
		},
		{
			name:    "truncate of the outbox dropped",
			in:      cdc.Event{Op: cdc.OpTruncate, Table: pbOutboxTable},
			dropped: true,
		},
		{
			name:  "schema change passes through",
			in:    cdc.Event{Op: cdc.OpSchema, Table: pbOutboxTable, DDL: "ALTER TABLE outbox ADD x int", Destination: "d"},
			op:    cdc.OpSchema,
			dest:  "d",
			after: cdc.Row{},
		},
		{
			name:  "message passes through",
			in:    cdc.Event{Op: cdc.OpMessage, Message: &cdc.Message{Prefix: "p"}, Destination: "d"},
			op:    cdc.OpMessage,
			dest:  "d",
			after: cdc.Row{},
		},
		{
			name: "missing payload column",
			in: cdc.Event{Op: cdc.OpCreate, Table: pbOutboxTable,
				After: cdc.RowOf("id", "1", "aggregateid", "a", "aggregatetype", "t")},
			wantErr: `transform: outbox: row of shop.public.outbox has no column "payload": set OutboxConfig.PayloadColumn`,
		},
		{
			name:    "missing id column",
			in:      cdc.Event{Op: cdc.OpCreate, Table: pbOutboxTable, After: cdc.RowOf("aggregateid", "a")},
			wantErr: `transform: outbox: row of shop.public.outbox has no column "id": set OutboxConfig.IDColumn`,
		},
		{
			name:    "null id",
			in:      cdc.Event{Op: cdc.OpCreate, Table: pbOutboxTable, After: cdc.RowOf("id", nil, "aggregateid", "a")},
			wantErr: `transform: outbox: row of shop.public.outbox has a NULL event id in column "id"`,
		},
		{
			name: "null route value",
			in: cdc.Event{Op: cdc.OpCreate, Table: pbOutboxTable,
				After: cdc.RowOf("id", "1", "aggregateid", "a", "aggregatetype", nil, "payload", "p")},
			wantErr: `transform: outbox: row of shop.public.outbox has NULL in column "aggregatetype", which names the destination`,
		},
		{
			name:    "missing route column",
			cfg:     transform.OutboxConfig{RouteByField: "kind"},
			in:      pbOutboxEvent("p"),
			wantErr: `transform: outbox: row of shop.public.outbox has no column "kind" for the destination: set OutboxConfig.RouteByField`,
		},
		{
			name:    "missing additional column",
			cfg:     transform.OutboxConfig{AdditionalFields: []transform.OutboxField{{Column: "nope", Placement: "header"}}},
			in:      pbOutboxEvent("p"),
			wantErr: `transform: outbox: row of shop.public.outbox has no column "nope"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			tc.cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			tr, err := transform.Outbox(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			ev := pbCopy(tc.in)
			keep, err := tr.Apply(context.Background(), ev)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if keep == tc.dropped {
				t.Fatalf("keep = %v, want %v", keep, !tc.dropped)
			}
			if tc.dropped {
				return
			}
			if ev.Op != tc.op {
				t.Errorf("Op = %v, want %v", ev.Op, tc.op)
			}
			pbRowEqual(t, "Key", ev.Key, tc.key)
			pbRowEqual(t, "After", ev.After, tc.after)
			if tc.after.Names() != nil && ev.After.Names() == nil && ev.Op != cdc.OpDelete {
				t.Errorf("After is absent, want an (empty) row")
			}
			if ev.Destination != tc.dest {
				t.Errorf("Destination = %q, want %q", ev.Destination, tc.dest)
			}
			if !reflect.DeepEqual(ev.Headers, tc.headers) {
				t.Errorf("Headers = %#v\nwant %#v", ev.Headers, tc.headers)
			}
			if tc.in.Op == cdc.OpCreate || tc.in.Op == cdc.OpRead {
				if h, _ := ev.Header("id"); ev.ID() != h {
					t.Errorf("ID = %q, want the outbox id %v", ev.ID(), h)
				}
				if !ev.Before.IsZero() || ev.Schema != nil || ev.Table != pbOutboxTable {
					t.Errorf("Before=%v Schema=%v Table=%v: want zero, nil, the outbox table", ev.Before, ev.Schema, ev.Table)
				}
			} else if ev.ID() != tc.in.ID() {
				t.Errorf("ID changed on a passed-through event")
			}
		})
	}
}

func TestOutboxWarnings(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	update := pbOutboxEvent("secret payload")
	update.Op = cdc.OpUpdate

	tr := pbT(transform.Outbox(transform.OutboxConfig{Logger: logger}))
	if keep := pbApply(t, tr, pbCopy(update)); keep {
		t.Fatal("update kept")
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "table=shop.public.outbox") ||
		!strings.Contains(logs.String(), "event_id=pg:0/16B3748:1") || strings.Contains(logs.String(), "secret") {
		t.Errorf("warn log = %q", logs.String())
	}

	logs.Reset()
	tr = pbT(transform.Outbox(transform.OutboxConfig{Logger: logger, OnInvalidOp: "skip"}))
	if keep := pbApply(t, tr, pbCopy(update)); keep || logs.Len() != 0 {
		t.Errorf("skip: keep=%v logs=%q", keep, logs.String())
	}

	logs.Reset()
	tr = pbT(transform.Outbox(transform.OutboxConfig{Logger: logger, ExpandJSONPayload: true}))
	pbApply(t, tr, pbCopy(pbOutboxEvent("not json, secret")))
	if !strings.Contains(logs.String(), "payload is not a JSON object") || strings.Contains(logs.String(), "secret") {
		t.Errorf("expand log = %q", logs.String())
	}
}

func TestOutboxTimestampAndTypes(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	tr := pbT(transform.Outbox(transform.OutboxConfig{TimestampColumn: "created_at"}))
	ev := pbOutboxEvent("p")
	ev.After.Set("created_at", at)
	pbApply(t, tr, &ev)
	if !ev.Source.CommitTime.Equal(at) {
		t.Errorf("CommitTime = %v, want %v", ev.Source.CommitTime, at)
	}

	ev = pbOutboxEvent("p")
	ev.After.Set("created_at", at.UnixMilli())
	pbApply(t, tr, &ev)
	if !ev.Source.CommitTime.Equal(at) {
		t.Errorf("CommitTime from millis = %v, want %v", ev.Source.CommitTime, at)
	}

	ev = pbOutboxEvent("p")
	ev.After.Set("created_at", nil)
	pbApply(t, tr, &ev)
	if !ev.Source.CommitTime.Equal(pbTime.Add(time.Second)) {
		t.Errorf("NULL timestamp changed CommitTime to %v", ev.Source.CommitTime)
	}

	ev = pbOutboxEvent("p")
	ev.After.Set("created_at", "yesterday")
	if _, err := tr.Apply(context.Background(), &ev); err == nil || !strings.Contains(err.Error(), "TimestampColumn") {
		t.Errorf("err = %v, want a TimestampColumn error", err)
	}

	// A non-string id (bigint) gives the ID in its canonical text; routing by an int column.
	tr = pbT(transform.Outbox(transform.OutboxConfig{RouteByField: "n"}))
	ev = cdc.Event{Op: cdc.OpCreate, Table: pbOutboxTable,
		After: cdc.RowOf("id", int64(77), "aggregateid", int64(5), "n", int64(3), "payload", "p")}
	pbApply(t, tr, &ev)
	if ev.ID() != "77" || ev.Destination != "outbox.event.3" {
		t.Errorf("ID=%q Destination=%q", ev.ID(), ev.Destination)
	}
	if h, _ := ev.Header("id"); h != int64(77) {
		t.Errorf("id header = %#v, want int64(77)", h)
	}
	if _, ok := ev.Header("type"); ok {
		t.Errorf("type header without a type column")
	}
}

func TestOutboxSharedRowsNotChanged(t *testing.T) {
	// The input rows share their names with the schema: Outbox builds new rows.
	ev := pbOutboxEvent("p")
	names := ev.After.Names()
	before := append([]string(nil), names...)
	pbApply(t, pbT(transform.Outbox(transform.OutboxConfig{ExpandJSONPayload: true,
		Logger: slog.New(slog.DiscardHandler)})), &ev)
	if !reflect.DeepEqual(names, before) {
		t.Fatalf("shared names changed: %v", names)
	}
}

func TestOutboxConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  transform.OutboxConfig
		want string
	}{
		{transform.OutboxConfig{OnInvalidOp: "fatal"}, `OnInvalidOp is "fatal"`},
		{transform.OutboxConfig{RouteTopicReplacement: "a.${x"}, "unclosed"},
		{transform.OutboxConfig{RouteTopicReplacement: "a.${}"}, "empty"},
		{transform.OutboxConfig{AdditionalFields: []transform.OutboxField{{Placement: "header"}}}, "AdditionalFields[0].Column is empty"},
		{transform.OutboxConfig{AdditionalFields: []transform.OutboxField{{Column: "x", Placement: "partition"}}}, `Placement is "partition"`},
		{transform.OutboxConfig{AdditionalFields: []transform.OutboxField{{Column: "payload", Placement: "envelope"}}}, `envelope column "payload" is used twice`},
		{transform.OutboxConfig{AdditionalFields: []transform.OutboxField{
			{Column: "a", Placement: "envelope", Alias: "x"}, {Column: "b", Placement: "envelope", Alias: "x"}}}, `AdditionalFields[1]: envelope column "x"`},
	} {
		_, err := transform.Outbox(tc.cfg)
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Outbox(%+v): err = %v, want ErrInvalidConfig containing %q", tc.cfg, err, tc.want)
		}
	}
}

// FuzzOutboxExpand checks the expanded payload against encoding/json: the same keys in
// document order, and values that encode to what encoding/json decodes.
func FuzzOutboxExpand(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 , "b":[1, {"c":"}"}], "d":{"e":"]\"\\"}, "f":"\u00e9\n", "g":-0.5e-3 } `,
		`{"a":1,"a":2}`, `{"s":"a,b:c"}`, `{"n":null,"t":true,"f":false}`, `[1]`, `"x"`, `{"a":}`, `{"a":1}x`,
		`{"big":123456789012345678901234567890,"neg":-9223372036854775808}`, `{"":""}`, `{"k\"q":1}`, `{"":1E700}`, "{\"\x81\":\"\xff\"}",
	} {
		f.Add(s)
	}
	tr, err := transform.Outbox(transform.OutboxConfig{ExpandJSONPayload: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		ev := cdc.Event{Op: cdc.OpCreate, Table: pbOutboxTable,
			After: cdc.RowOf("id", "1", "aggregateid", "a", "aggregatetype", "t", "payload", json.RawMessage(payload))}
		if _, err := tr.Apply(context.Background(), &ev); err != nil {
			t.Fatal(err)
		}
		var want map[string]json.RawMessage
		isObject := json.Unmarshal([]byte(payload), &want) == nil && want != nil
		if !isObject {
			if ev.After.Len() != 1 || ev.After.Name(0) != "payload" {
				t.Fatalf("not an object but expanded: %#v", ev.After)
			}
			return
		}
		// Keys in document order, each once.
		var keys []string
		dec := json.NewDecoder(strings.NewReader(payload))
		dec.Token()
		for dec.More() {
			tok, _ := dec.Token()
			k := tok.(string)
			var skip json.RawMessage
			dec.Decode(&skip)
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		if !reflect.DeepEqual(ev.After.Names(), keys) && !(len(keys) == 0 && ev.After.Len() == 0) {
			t.Fatalf("names %q, want %q", ev.After.Names(), keys)
		}
		for i, k := range keys {
			var w, g any
			json.Unmarshal(want[k], &w)
			gb, err := json.Marshal(ev.After.At(i))
			if err != nil {
				t.Fatal(err)
			}
			json.Unmarshal(gb, &g)
			if d, ok := ev.After.At(i).(cdc.Decimal); ok { // beyond int64 / float64: exact
				if wd, err := cdc.ParseDecimal(string(want[k])); err != nil || !wd.Equal(d) {
					t.Fatalf("%q = %v, want %s", k, d, want[k])
				}
				continue
			}
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("%q = %#v, want %#v", k, g, w)
			}
		}
	})
}
