package codec

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/schema"
)

// UnwrappedJSON encodes the row of an event as one flat JSON object keyed by column
// name, like Debezium's ExtractNewRecordState transform: After for creates, updates
// and snapshot reads; for deletes Before (or the key when the source sent no old row)
// with "__deleted": true added. The key is the flat object of the primary-key columns
// (nil without one). Truncate events have no row: they are refused (drop them with a
// transform first, as Debezium's transform does).
//
// Values are plain JSON meant for document stores and search engines rather than
// Debezium's encodings: numbers for integers and floats ("NaN", "Infinity" as
// strings), decimals as exact strings ("-12.50", also "NaN"), dates "2006-01-02",
// times "15:04:05.999999" (hours may pass 24, a "-" sign is kept), timestamps RFC 3339
// in UTC with up to nanoseconds, ±infinity as "infinity"/"-infinity", bytes base64,
// json/jsonb embedded as JSON, sets and arrays as arrays, intervals ISO-8601, documents
// as objects, unchanged TOAST values as UnavailablePlaceholder.
//
// Decoding needs the table schema to type the values back.
type UnwrappedJSON struct {
	// AddFields adds the event's metadata as Debezium's add.fields=op,db,schema,table,
	// source.ts_ms does: "__op", "__db", "__schema", "__table", "__source_ts_ms".
	// Without it a decoded event is OpCreate (OpDelete when "__deleted" is set) and its
	// table is the table schema's.
	AddFields bool
}

// Encode implements Encoder.
func (u UnwrappedJSON) Encode(_ context.Context, ev *cdc.Event) (key, value []byte, err error) {
	switch ev.Op {
	case cdc.OpCreate, cdc.OpUpdate, cdc.OpDelete, cdc.OpRead:
	default:
		return nil, nil, unsupported("op %q (%s) has no row to unwrap: drop such events before this encoder", ev.Op.String(), ev.Table)
	}
	var cols map[string]*col
	if ev.Schema != nil {
		tc, err := tableForSchema(ev.Schema, schema.DefaultPrefix)
		if err != nil {
			return nil, nil, err
		}
		cols = tc.value.byName
	}
	row := ev.After
	if ev.Op == cdc.OpDelete {
		if row = ev.Before; row.IsZero() {
			row = ev.Key
		}
	}
	b := make([]byte, 0, 256)
	b = append(b, '{')
	n := 0
	sep := func() {
		if n > 0 {
			b = append(b, ',')
		}
		n++
	}
	for i := 0; i < row.Len(); i++ {
		sep()
		b = appendJSONString(b, row.Name(i))
		b = append(b, ':')
		c := cols[row.Name(i)]
		if b, err = appendPlain(b, c, row.At(i)); err != nil {
			return nil, nil, &ValueError{Column: row.Name(i), Kind: kindOf(c), Err: err}
		}
	}
	if ev.Op == cdc.OpDelete {
		sep()
		b = append(b, `"__deleted":true`...)
	}
	if u.AddFields {
		for _, kv := range [][2]string{{"__op", ev.Op.String()}, {"__db", ev.Table.Database},
			{"__schema", ev.Table.Schema}, {"__table", ev.Table.Name}} {
			sep()
			b = appendJSONString(b, kv[0])
			b = append(b, ':')
			b = appendJSONString(b, kv[1])
		}
		sep()
		b = append(b, `"__source_ts_ms":`...)
		if ev.Source.CommitTime.IsZero() {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendInt(b, ev.Source.CommitTime.UnixMilli(), 10)
		}
	}
	value = append(b, '}')

	var keyNames []string
	var keyVals []any
	switch {
	case ev.Schema != nil && len(ev.Schema.PrimaryKey) > 0:
		src := keyRow(ev)
		for _, name := range ev.Schema.PrimaryKey {
			v, _ := src.Get(name)
			keyNames, keyVals = append(keyNames, name), append(keyVals, v)
		}
	case !ev.Key.IsZero():
		keyNames, keyVals = ev.Key.Names(), ev.Key.Values()
	default:
		return nil, value, nil
	}
	k := append(make([]byte, 0, 64), '{')
	for i, name := range keyNames {
		if i > 0 {
			k = append(k, ',')
		}
		k = appendJSONString(k, name)
		k = append(k, ':')
		c := cols[name]
		if k, err = appendPlain(k, c, keyVals[i]); err != nil {
			return nil, nil, &ValueError{Column: name, Kind: kindOf(c), Err: err}
		}
	}
	return append(k, '}'), value, nil
}

func kindOf(c *col) cdc.Kind {
	if c == nil {
		return cdc.KindUnknown
	}
	return c.kind
}

// clock renders a time of day: [-]HH:MM:SS[.ffffff].
func clock(d time.Duration) string {
	b := make([]byte, 0, 16)
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	us := d.Microseconds()
	h, us := us/3_600_000_000, us%3_600_000_000
	m, us := us/60_000_000, us%60_000_000
	s, us := us/1_000_000, us%1_000_000
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, h, 10)
	b = append(b, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	if us != 0 {
		b = append(b, '.')
		b = append(b, strings.TrimRight(strconv.FormatInt(us+1_000_000, 10)[1:], "0")...)
	}
	return string(b)
}

func parseClock(s string) (time.Duration, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("invalid time %q", s)
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	sec, frac, _ := strings.Cut(parts[2], ".")
	sv, err3 := strconv.ParseInt(sec, 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || len(frac) > 9 {
		return 0, fmt.Errorf("invalid time %q", s)
	}
	ns := int64(0)
	if frac != "" {
		var err error
		if ns, err = strconv.ParseInt((frac + "000000000")[:9], 10, 64); err != nil {
			return 0, fmt.Errorf("invalid time %q", s)
		}
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sv)*time.Second + time.Duration(ns)
	if neg {
		d = -d
	}
	return d, nil
}

// appendPlain writes a value as plain JSON; the column, when known, refines the form
// (dates, json text, array elements).
func appendPlain(b []byte, c *col, v any) ([]byte, error) {
	kind := kindOf(c)
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float64:
		if c != nil && c.float32 {
			return appendJSONFloat(b, float64(float32(x)), 32), nil // shortest form of a real
		}
		return appendJSONFloat(b, x, 64), nil
	case float32:
		return appendJSONFloat(b, float64(x), 32), nil
	case cdc.Decimal:
		return appendJSONString(b, x.String()), nil
	case string:
		if kind == cdc.KindJSON && json.Valid([]byte(x)) {
			return appendCompactJSON(b, []byte(x))
		}
		return appendJSONString(b, x), nil
	case []byte:
		if kind == cdc.KindJSON && json.Valid(x) {
			return appendCompactJSON(b, x)
		}
		return appendBase64(b, x), nil
	case json.RawMessage:
		if !json.Valid(x) {
			return nil, errors.New("invalid JSON in a json column")
		}
		return appendCompactJSON(b, x)
	case time.Time:
		if kind == cdc.KindDate {
			return appendJSONString(b, x.UTC().Format("2006-01-02")), nil
		}
		return appendJSONString(b, x.UTC().Format(time.RFC3339Nano)), nil
	case time.Duration:
		return appendJSONString(b, clock(x)), nil
	case cdc.Infinity:
		return appendJSONString(b, x.String()), nil
	case cdc.Interval:
		return appendJSONString(b, IntervalISO(x)), nil
	case cdc.Unchanged:
		return appendJSONString(b, UnavailablePlaceholder), nil
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']'), nil
	case []any:
		var elem *col
		if c != nil {
			elem = c.elem
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendPlain(b, elem, e); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendPlain(b, nil, x[k]); err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
		}
		return append(b, '}'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

func appendCompactJSON(b, raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return append(b, buf.Bytes()...), nil
}

// Decode implements Decoder; ts is required.
func (u UnwrappedJSON) Decode(_ context.Context, key, value []byte, ts *cdc.TableSchema) (cdc.Event, error) {
	if ts == nil {
		return cdc.Event{}, errors.New("codec: UnwrappedJSON.Decode needs the table schema to type the values")
	}
	tc, err := tableForSchema(ts, schema.DefaultPrefix)
	if err != nil {
		return cdc.Event{}, err
	}
	obj, err := objectOf(value)
	if err != nil {
		return cdc.Event{}, err
	}
	ev := cdc.Event{Op: cdc.OpCreate, Table: ts.Table, Schema: ts}
	if raw, ok := obj["__deleted"]; ok {
		var del any
		_ = json.Unmarshal(raw, &del)
		if del == true || del == "true" {
			ev.Op = cdc.OpDelete
		}
	}
	meta := func(k string) string {
		var s string
		_ = json.Unmarshal(obj[k], &s)
		return s
	}
	if s := meta("__op"); s != "" {
		op, ok := cdc.ParseOp(s)
		if !ok {
			return cdc.Event{}, fmt.Errorf("codec: unknown __op %q", s)
		}
		ev.Op = op
	}
	if _, ok := obj["__table"]; ok {
		ev.Table = cdc.TableID{Database: meta("__db"), Schema: meta("__schema"), Name: meta("__table")}
	}
	if raw, ok := obj["__source_ts_ms"]; ok && !isNull(raw) {
		var ms int64
		if err := json.Unmarshal(raw, &ms); err != nil {
			return cdc.Event{}, fmt.Errorf("codec: __source_ts_ms: %w", err)
		}
		ev.Source.CommitTime = time.UnixMilli(ms).UTC()
	}
	row, err := objectRow(tc.value, obj, false, plainValue)
	if err != nil {
		return cdc.Event{}, err
	}
	if ev.Op == cdc.OpDelete {
		ev.Before = row
	} else {
		ev.After = row
	}
	if key != nil {
		if tc.key == nil {
			return cdc.Event{}, errors.New("codec: a key for a table schema without primary key")
		}
		kobj, err := objectOf(key)
		if err != nil {
			return cdc.Event{}, fmt.Errorf("key: %w", err)
		}
		if ev.Key, err = objectRow(tc.key, kobj, false, plainValue); err != nil {
			return cdc.Event{}, fmt.Errorf("key: %w", err)
		}
	}
	return ev, nil
}

func objectOf(b []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("codec: not a JSON object: %w", err)
	}
	return obj, nil
}

func plainValue(c *col, raw json.RawMessage) (any, error) {
	var s string
	isString := len(raw) > 0 && raw[0] == '"'
	if isString {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if s == UnavailablePlaceholder && c.kind != cdc.KindJSON {
			return cdc.Unchanged{}, nil
		}
	}
	switch c.kind {
	case cdc.KindBool:
		var v bool
		err := json.Unmarshal(raw, &v)
		return v, err
	case cdc.KindInt:
		return strconv.ParseInt(string(raw), 10, 64)
	case cdc.KindUint:
		return strconv.ParseUint(string(raw), 10, 64)
	case cdc.KindFloat:
		if isString {
			return specialFloat(s)
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if c.float32 {
			f = float64(float32(f))
		}
		return f, err
	case cdc.KindDecimal:
		if !isString {
			return cdc.ParseDecimal(string(raw))
		}
		return cdc.ParseDecimal(s)
	case cdc.KindBytes:
		return base64.StdEncoding.DecodeString(s)
	case cdc.KindDate, cdc.KindTimestamp:
		switch s {
		case "infinity":
			return cdc.PositiveInfinity, nil
		case "-infinity":
			return cdc.NegativeInfinity, nil
		}
		if c.kind == cdc.KindDate {
			return time.Parse("2006-01-02", s)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t.UTC(), err
	case cdc.KindTime:
		return parseClock(s)
	case cdc.KindJSON:
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, err
		}
		return json.RawMessage(buf.Bytes()), nil
	case cdc.KindSet:
		var v []string
		err := json.Unmarshal(raw, &v)
		if v == nil && err == nil {
			v = []string{}
		}
		return v, err
	case cdc.KindInterval:
		return ParseIntervalISO(s)
	case cdc.KindDocument:
		v, err := decodeNumbers(raw)
		return plainNumbers(v), err
	case cdc.KindArray:
		return jsonArray(c.elem, raw, plainValue)
	}
	if !isString {
		return nil, fmt.Errorf("want a string, got %s", raw)
	}
	return s, nil
}
