package transform

// Outbox: Debezium's outbox event router (io.debezium.transforms.outbox.EventRouter).
// A service writes an event row into an outbox table in the same transaction as its
// business change; Outbox turns each inserted row into a message: key = aggregate id,
// value = payload, header "id" = event id, destination = a name derived from the
// aggregate type. Scope it to the outbox table: When(Tables("public.outbox"), t).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tributary-cdc/cdc"
)

// OutboxConfig configures Outbox. The zero value is Debezium's default configuration
// for the table
//
//	id uuid, aggregatetype varchar, aggregateid varchar, type varchar, payload jsonb
type OutboxConfig struct {
	// IDColumn holds the unique event id (Debezium table.field.event.id). Default "id".
	IDColumn string
	// AggregateIDColumn holds the message key (table.field.event.key). Default "aggregateid".
	AggregateIDColumn string
	// EventTypeColumn holds the event type (table.field.event.type). Default "type".
	// When the row has the column, its value is added as the header "type"; a row
	// without it gets no such header.
	EventTypeColumn string
	// PayloadColumn holds the payload (table.field.event.payload). Default "payload".
	PayloadColumn string
	// TimestampColumn, when set, holds the event time (table.field.event.timestamp): a
	// time.Time, or int64 milliseconds since the epoch. It replaces
	// Event.Source.CommitTime (Debezium sets the Kafka record timestamp from it).
	TimestampColumn string

	// RouteByField is the column whose value is ${routedByValue} in
	// RouteTopicReplacement (route.by.field). Default "aggregatetype".
	RouteByField string
	// RouteTopicReplacement is the template of Event.Destination
	// (route.topic.replacement). ${routedByValue} is the RouteByField value, ${column}
	// the value of any column of the outbox row. Default "outbox.event.${routedByValue}".
	// Debezium's route.topic.regex is not supported: use ${column} or a Route transform.
	RouteTopicReplacement string

	// ExpandJSONPayload decodes a JSON object payload (string, []byte or
	// json.RawMessage; a map[string]any too) into a row of its top-level fields
	// (table.expand.json.payload). Field values: strings, bools, nil; integers that fit
	// as int64, larger ones as cdc.Decimal; other numbers as float64 (cdc.Decimal beyond
	// float64's range); nested objects and arrays as json.RawMessage. A payload that is not a JSON object is kept unexpanded
	// (logged at Warn). Without ExpandJSONPayload the payload is the single column "payload".
	ExpandJSONPayload bool

	// AdditionalFields copies more columns of the outbox row into the message
	// (table.fields.additional.placement).
	AdditionalFields []OutboxField

	// OnInvalidOp says what to do with updates of outbox rows, which should only ever be
	// inserted (table.op.invalid.behavior): "warn" (default: drop the event, log at
	// Warn), "skip" (drop it silently) or "error" (stop the engine). Deletes are always
	// dropped silently: deleting processed outbox rows is routine housekeeping.
	OnInvalidOp string

	// TombstoneOnEmptyPayload turns a row with a NULL or empty payload into a tombstone
	// (route.tombstone.on.empty.payload): Op OpDelete, Key set, Before and After zero.
	TombstoneOnEmptyPayload bool

	// Logger receives the warnings; nil means slog.Default().
	Logger *slog.Logger
}

// OutboxField places an outbox column in the message.
type OutboxField struct {
	Column    string
	Placement string // "header", or "envelope": a column of After after the payload (it replaces an expanded payload field of the same name)
	Alias     string // the header key or column name; default Column
}

// Outbox placements.
const (
	PlacementHeader   = "header"
	PlacementEnvelope = "envelope"
)

// Outbox returns Debezium's outbox event router. For each inserted outbox row
// (OpCreate, and OpRead from a snapshot) it rewrites the event in place:
//
//	Op           OpCreate (OpDelete for a tombstone)
//	Key          one column, AggregateIDColumn, with the aggregate id
//	Before       zero
//	After        the payload: one column "payload", or the expanded JSON fields,
//	             then the "envelope" additional fields
//	Headers      "id" (the event id), "type" (the event type, when the row has the
//	             column), then the "header" additional fields, after any headers the
//	             event already had
//	Destination  RouteTopicReplacement with the placeholders filled in
//	ID           the canonical text of the event id (see Hash), so a sink can drop a
//	             redelivered outbox event by the same id the producer wrote
//	Schema       nil: the rows no longer have the outbox table's columns
//	Source.CommitTime  from TimestampColumn, when set and not NULL
//
// The event's Table stays the outbox table. Updates follow OnInvalidOp; deletes and
// truncates of the outbox table are dropped (they are housekeeping, not events).
// Schema changes, messages and heartbeats pass through. A row that lacks the id,
// aggregate id, payload, routing or an additional column is an error naming the
// column and the OutboxConfig field to fix.
func Outbox(cfg OutboxConfig) (cdc.Transform, error) {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.IDColumn, "id")
	def(&cfg.AggregateIDColumn, "aggregateid")
	def(&cfg.EventTypeColumn, "type")
	def(&cfg.PayloadColumn, "payload")
	def(&cfg.RouteByField, "aggregatetype")
	def(&cfg.RouteTopicReplacement, "outbox.event.${routedByValue}")
	def(&cfg.OnInvalidOp, "warn")
	switch cfg.OnInvalidOp {
	case "warn", "skip", "error":
	default:
		return nil, fmt.Errorf("%w: OutboxConfig.OnInvalidOp is %q: use \"warn\", \"skip\" or \"error\"",
			cdc.ErrInvalidConfig, cfg.OnInvalidOp)
	}
	route, err := parseOutboxRoute(cfg.RouteTopicReplacement)
	if err != nil {
		return nil, err
	}
	t := &outboxTransform{cfg: cfg, route: route, keyNames: []string{cfg.AggregateIDColumn}}
	seen := map[string]bool{"payload": !cfg.ExpandJSONPayload}
	for i, f := range cfg.AdditionalFields {
		if f.Column == "" {
			return nil, fmt.Errorf("%w: OutboxConfig.AdditionalFields[%d].Column is empty: name an outbox column",
				cdc.ErrInvalidConfig, i)
		}
		if f.Alias == "" {
			f.Alias = f.Column
		}
		switch f.Placement {
		case PlacementHeader:
			t.headers = append(t.headers, f)
		case PlacementEnvelope:
			if seen[f.Alias] {
				return nil, fmt.Errorf("%w: OutboxConfig.AdditionalFields[%d]: envelope column %q is used twice: set a distinct Alias",
					cdc.ErrInvalidConfig, i, f.Alias)
			}
			seen[f.Alias] = true
			t.envelope = append(t.envelope, f)
		default:
			return nil, fmt.Errorf("%w: OutboxConfig.AdditionalFields[%d].Placement is %q: use \"header\" or \"envelope\" (Debezium's \"partition\" has no equivalent)",
				cdc.ErrInvalidConfig, i, f.Placement)
		}
	}
	t.payloadNames = []string{"payload"}
	for _, f := range t.envelope {
		t.payloadNames = append(t.payloadNames, f.Alias)
	}
	return t, nil
}

type outboxTransform struct {
	cfg          OutboxConfig
	route        []outboxRoutePart
	keyNames     []string // shared by every Key row
	payloadNames []string // "payload" and the envelope aliases, shared by unexpanded After rows
	headers      []OutboxField
	envelope     []OutboxField
}

// outboxRoutePart is literal text, or a placeholder when column is set.
type outboxRoutePart struct {
	text   string
	column string
}

func parseOutboxRoute(tmpl string) ([]outboxRoutePart, error) {
	split, err := splitTemplate(tmpl)
	if err != nil {
		return nil, fmt.Errorf("%w: OutboxConfig.RouteTopicReplacement %q %v: use ${routedByValue} or ${column}",
			cdc.ErrInvalidConfig, tmpl, err)
	}
	parts := make([]outboxRoutePart, len(split))
	for i, p := range split {
		if p.isVar {
			parts[i].column = p.text
		} else {
			parts[i].text = p.text
		}
	}
	return parts, nil
}

func (t *outboxTransform) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	switch ev.Op {
	case cdc.OpCreate, cdc.OpRead:
	case cdc.OpUpdate:
		switch t.cfg.OnInvalidOp {
		case "error":
			return false, fmt.Errorf("transform: outbox: update of an outbox row of %s (event %s): outbox rows must only be inserted "+
				"(set OutboxConfig.OnInvalidOp to \"warn\" or \"skip\" to drop updates)", ev.Table, ev.ID())
		case "warn":
			t.logger().Warn("transform: outbox: dropped an update of an outbox row; outbox rows must only be inserted",
				slog.String("table", ev.Table.String()), slog.String("event_id", ev.ID()))
		}
		return false, nil
	case cdc.OpDelete, cdc.OpTruncate:
		return false, nil
	default:
		return true, nil
	}
	row := ev.After
	get := func(col, field string) (any, error) {
		v, ok := row.Get(col)
		if !ok {
			return nil, fmt.Errorf("transform: outbox: row of %s has no column %q: set OutboxConfig.%s to the outbox table's column",
				ev.Table, col, field)
		}
		if cdc.IsUnchanged(v) {
			v = nil // cannot happen for inserts; never pass the marker on
		}
		return v, nil
	}
	id, err := get(t.cfg.IDColumn, "IDColumn")
	if err != nil {
		return false, err
	}
	if id == nil {
		return false, fmt.Errorf("transform: outbox: row of %s has a NULL event id in column %q", ev.Table, t.cfg.IDColumn)
	}
	aggID, err := get(t.cfg.AggregateIDColumn, "AggregateIDColumn")
	if err != nil {
		return false, err
	}
	payload, err := get(t.cfg.PayloadColumn, "PayloadColumn")
	if err != nil {
		return false, err
	}
	dest, err := t.destination(ev, row)
	if err != nil {
		return false, err
	}
	var ts any
	if t.cfg.TimestampColumn != "" {
		if ts, err = get(t.cfg.TimestampColumn, "TimestampColumn"); err != nil {
			return false, err
		}
	}
	var envelope []any
	if len(t.envelope) > 0 {
		envelope = make([]any, len(t.envelope))
		for i, f := range t.envelope {
			if envelope[i], err = get(f.Column, "AdditionalFields"); err != nil {
				return false, err
			}
		}
	}
	// Read every header value before changing the event.
	var hdrs []any
	if len(t.headers) > 0 {
		hdrs = make([]any, len(t.headers))
		for i, f := range t.headers {
			if hdrs[i], err = get(f.Column, "AdditionalFields"); err != nil {
				return false, err
			}
		}
	}
	evType, hasType := row.Get(t.cfg.EventTypeColumn)

	switch x := ts.(type) {
	case nil:
	case time.Time:
		ev.Source.CommitTime = x
	case int64:
		ev.Source.CommitTime = time.UnixMilli(x).UTC()
	default:
		return false, fmt.Errorf("transform: outbox: column %q of %s holds %T: OutboxConfig.TimestampColumn must hold a timestamp or int64 epoch milliseconds",
			t.cfg.TimestampColumn, ev.Table, ts)
	}

	ev.Op = cdc.OpCreate
	ev.Key = cdc.NewRow(t.keyNames, []any{aggID})
	ev.Before = cdc.Row{}
	ev.Schema = nil
	ev.Destination = dest
	ev.SetID(string(appendText(nil, id, true)))
	if t.cfg.TombstoneOnEmptyPayload && outboxEmpty(payload) {
		ev.Op = cdc.OpDelete
		ev.After = cdc.Row{}
	} else {
		ev.After = t.payloadRow(ev, payload, envelope)
	}
	ev.SetHeader("id", id)
	if hasType {
		ev.SetHeader("type", evType)
	}
	for i, f := range t.headers {
		ev.SetHeader(f.Alias, hdrs[i])
	}
	return true, nil
}

func (t *outboxTransform) logger() *slog.Logger {
	if t.cfg.Logger != nil {
		return t.cfg.Logger
	}
	return slog.Default()
}

func (t *outboxTransform) destination(ev *cdc.Event, row cdc.Row) (string, error) {
	if len(t.route) == 1 && t.route[0].column == "" {
		return t.route[0].text, nil
	}
	b := make([]byte, 0, 64)
	for _, p := range t.route {
		if p.column == "" {
			b = append(b, p.text...)
			continue
		}
		col, field := p.column, "RouteTopicReplacement"
		if col == "routedByValue" {
			col, field = t.cfg.RouteByField, "RouteByField"
		}
		v, ok := row.Get(col)
		if !ok {
			return "", fmt.Errorf("transform: outbox: row of %s has no column %q for the destination: set OutboxConfig.%s to an outbox column",
				ev.Table, col, field)
		}
		if v == nil || cdc.IsUnchanged(v) {
			return "", fmt.Errorf("transform: outbox: row of %s has NULL in column %q, which names the destination", ev.Table, col)
		}
		b = appendText(b, v, true)
	}
	return string(b), nil
}

// outboxEmpty reports a NULL or empty payload (JSON null counts as NULL).
func outboxEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == "" || strings.TrimSpace(x) == "null"
	case []byte:
		x = bytes.TrimSpace(x)
		return len(x) == 0 || string(x) == "null"
	case json.RawMessage:
		x = bytes.TrimSpace(x)
		return len(x) == 0 || string(x) == "null"
	}
	return false
}

func (t *outboxTransform) payloadRow(ev *cdc.Event, payload any, envelope []any) cdc.Row {
	if t.cfg.ExpandJSONPayload && payload != nil {
		if names, values, ok := outboxExpand(payload); ok {
			r := cdc.NewRow(names, values)
			for i, f := range t.envelope {
				r.Set(f.Alias, envelope[i])
			}
			return r
		}
		t.logger().Warn("transform: outbox: payload is not a JSON object, kept unexpanded",
			slog.String("table", ev.Table.String()), slog.String("event_id", ev.ID()),
			slog.String("type", fmt.Sprintf("%T", payload)))
	}
	values := make([]any, 1+len(envelope))
	values[0] = payload
	copy(values[1:], envelope)
	return cdc.NewRow(t.payloadNames, values)
}

// outboxExpand decodes a JSON object payload into top-level fields, in document order.
func outboxExpand(payload any) ([]string, []any, bool) {
	var data []byte
	switch x := payload.(type) {
	case json.RawMessage:
		data = x
	case []byte:
		data = x
	case string:
		data = []byte(x)
	case map[string]any:
		names := make([]string, 0, len(x))
		for k := range x {
			names = append(names, k)
		}
		slices.Sort(names)
		values := make([]any, len(names))
		for i, k := range names {
			values[i] = x[k]
		}
		return names, values, true
	default:
		return nil, nil, false
	}
	// json.Valid first: the scanner below then only has to find where values end.
	if !json.Valid(data) {
		return nil, nil, false
	}
	i := outboxSkipSpace(data, 0)
	if data[i] != '{' {
		return nil, nil, false
	}
	names, values := make([]string, 0, 8), make([]any, 0, 8)
	for i++; ; {
		i = outboxSkipSpace(data, i)
		switch data[i] {
		case '}':
			return names, values, true
		case ',':
			i = outboxSkipSpace(data, i+1)
		}
		end := outboxValueEnd(data, i)
		k, ok := outboxJSONValue(data[i:end])
		key, isString := k.(string)
		if !ok || !isString {
			return nil, nil, false
		}
		i = outboxSkipSpace(data, end) + 1 // the colon
		i = outboxSkipSpace(data, i)
		end = outboxValueEnd(data, i)
		v, ok := outboxJSONValue(data[i:end:end])
		if !ok {
			return nil, nil, false
		}
		i = end
		if j := slices.Index(names, key); j >= 0 { // duplicate key: the last one wins, like encoding/json
			values[j] = v
			continue
		}
		names = append(names, key)
		values = append(values, v)
	}
}

func outboxSkipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// outboxValueEnd returns the end of the valid JSON value that starts at data[i].
func outboxValueEnd(data []byte, i int) int {
	depth := 0
	for j := i; j < len(data); j++ {
		switch data[j] {
		case '"':
			for j++; data[j] != '"'; j++ {
				if data[j] == '\\' {
					j++
				}
			}
			if depth == 0 {
				return j + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of the enclosing value
				return j
			}
			if depth--; depth == 0 {
				return j + 1
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return j
			}
		}
	}
	return len(data)
}

func outboxJSONValue(raw json.RawMessage) (any, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	switch c := raw[0]; {
	case c == '{' || c == '[':
		return raw, true
	case c == '"':
		if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
			return string(raw[1 : len(raw)-1]), true
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, false
		}
		return s, true
	case c == 't':
		return true, true
	case c == 'f':
		return false, true
	case c == 'n':
		return nil, true
	}
	if !bytes.ContainsAny(raw, ".eE") {
		if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return n, true
		}
		if d, err := cdc.ParseDecimal(string(raw)); err == nil {
			return d, true
		}
		return nil, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil { // out of float64's range: keep it exact
		if d, err := cdc.ParseDecimal(string(raw)); err == nil {
			return d, true
		}
		return nil, false
	}
	return f, true
}
