package codec

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/schema"
)

// DebeziumJSON encodes events as Debezium's JSON change events, as Kafka Connect's
// JsonConverter writes them: with Schemas, {"schema": {...}, "payload": {...}}, without,
// the payload alone. The payload is {"before", "after", "source", "op", "ts_ms",
// "transaction"}; the key is the primary-key struct (nil for tables without one). The
// schema block is the Connect form of the Avro schemas of package schema, with
// Debezium's semantic type names; values are encoded as Debezium encodes them (see the
// package documentation), so existing Debezium consumers read the messages unchanged.
//
// Decode reads both forms. With a schema block it needs no table schema; without,
// pass the table schema to Decode.
type DebeziumJSON struct {
	// Schemas includes the schema block (Connect's schemas.enable=true).
	Schemas bool
	// Prefix is the first part of the schema names; "" uses the engine name
	// (Event.Source.Name), as the schema.Register transform does.
	Prefix string
	// Now is the clock of the envelope's ts_ms; nil is time.Now.
	Now func() time.Time
}

// Encode implements Encoder.
func (d DebeziumJSON) Encode(_ context.Context, ev *cdc.Event) (key, value []byte, err error) {
	if err := checkOp(ev); err != nil {
		return nil, nil, err
	}
	tc, err := tableFor(ev, d.Prefix)
	if err != nil {
		return nil, nil, err
	}
	if d.Schemas {
		if err := tc.connectSchemas(); err != nil {
			return nil, nil, err
		}
	}
	b := buffer(&tc.jsonHint, 256+len(tc.valueConnect))
	if d.Schemas {
		b = append(b, `{"schema":`...)
		b = append(b, tc.valueConnect...)
		b = append(b, `,"payload":`...)
	}
	if b, err = appendJSONEnvelope(b, tc, ev, now(d.Now)); err != nil {
		return nil, nil, err
	}
	if d.Schemas {
		b = append(b, '}')
	}
	value = b
	noteSize(&tc.jsonHint, len(b))
	if kr := keyRow(ev); tc.key != nil && !kr.IsZero() {
		k := make([]byte, 0, 64+len(tc.keyConnect))
		if d.Schemas {
			k = append(k, `{"schema":`...)
			k = append(k, tc.keyConnect...)
			k = append(k, `,"payload":`...)
		}
		if k, err = appendJSONRow(k, tc.key, kr, false); err != nil {
			return nil, nil, fmt.Errorf("key: %w", err)
		}
		if d.Schemas {
			k = append(k, '}')
		}
		key = k
	}
	return key, value, nil
}

func (tc *tableCodec) connectSchemas() error {
	tc.jsonOnce.Do(func() {
		var err error
		if tc.key != nil {
			if tc.keyConnect, err = appendConnect(nil, tc.key.rec, "", false, nil); err != nil {
				tc.jsonErr = err
				return
			}
		}
		tc.valueConnect, tc.jsonErr = appendConnect(nil, tc.env, "", false, nil)
	})
	return tc.jsonErr
}

// appendJSONString writes s as a JSON string (invalid UTF-8 becomes U+FFFD, like
// encoding/json).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendBase64(b, v []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

func appendJSONFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

func appendJSONRow(b []byte, p *rowPlan, r cdc.Row, checkExtra bool) ([]byte, error) {
	b = append(b, '{')
	found := 0
	for i, c := range p.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.field)
		b = append(b, ':')
		v, ok := lookup(r, i, c.column)
		if ok {
			found++
		}
		if !ok || v == nil {
			if !c.nullable {
				return nil, &ValueError{Column: c.column, Kind: c.kind, Err: errors.New("NULL (or missing) in a column the schema says is NOT NULL")}
			}
			b = append(b, "null"...)
			continue
		}
		var err error
		if b, err = appendJSONValue(b, c, v); err != nil {
			var ve *ValueError
			if errors.As(err, &ve) {
				return nil, err
			}
			return nil, &ValueError{Column: c.column, Kind: c.kind, Err: err}
		}
	}
	if checkExtra {
		if err := p.checkExtra(r, found); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendJSONValue(b []byte, c *col, v any) ([]byte, error) {
	if _, ok := v.(cdc.Unchanged); ok {
		switch {
		case c.t.Type == "string":
			return appendJSONString(b, UnavailablePlaceholder), nil
		case c.kind == cdc.KindBytes:
			return appendBase64(b, []byte(UnavailablePlaceholder)), nil
		}
		return nil, unsupported("an unchanged TOAST value cannot be encoded as %s: set REPLICA IDENTITY FULL on the table so that updates carry every column", c.t.Type)
	}
	switch c.kind {
	case cdc.KindBool:
		x, ok := v.(bool)
		if !ok {
			return nil, typeErr(v, "bool")
		}
		return strconv.AppendBool(b, x), nil
	case cdc.KindInt:
		x, err := asInt64(v)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(b, x, 10), nil
	case cdc.KindUint:
		var buf [9]byte
		x, err := uintInto(v, &buf)
		if err != nil {
			return nil, err
		}
		return appendBase64(b, x), nil
	case cdc.KindFloat:
		x, err := asFloat64(v)
		if err != nil {
			return nil, err
		}
		if c.float32 {
			return appendJSONFloat(b, float64(float32(x)), 32), nil
		}
		return appendJSONFloat(b, x, 64), nil
	case cdc.KindDecimal:
		if c.vsd {
			var buf [9]byte
			scale, u, err := variableScaleInto(v, &buf)
			if err != nil {
				return nil, err
			}
			b = append(b, `{"scale":`...)
			b = strconv.AppendInt(b, int64(scale), 10)
			b = append(b, `,"value":`...)
			return append(appendBase64(b, u), '}'), nil
		}
		var buf [9]byte
		x, err := decimalInto(v, c.scale, &buf)
		if err != nil {
			return nil, err
		}
		return appendBase64(b, x), nil
	case cdc.KindBytes:
		switch y := v.(type) {
		case []byte:
			return appendBase64(b, y), nil
		case string:
			return appendBase64(b, []byte(y)), nil
		}
		return nil, typeErr(v, "[]byte")
	case cdc.KindDate:
		d, err := dateDays(v)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(b, int64(d), 10), nil
	case cdc.KindTime:
		us, err := timeMicros(v)
		if err != nil {
			return nil, err
		}
		if c.millis {
			us /= 1000
		}
		return strconv.AppendInt(b, us, 10), nil
	case cdc.KindTimestamp:
		us, err := tsMicros(v)
		if err != nil {
			return nil, err
		}
		if c.millis && us != TimestampPosInfinity && us != TimestampNegInfinity {
			us /= 1000
		}
		return strconv.AppendInt(b, us, 10), nil
	case cdc.KindArray:
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case []string:
			for _, s := range x {
				items = append(items, s)
			}
		default:
			return nil, typeErr(v, "[]any")
		}
		b = append(b, '[')
		for i, e := range items {
			if i > 0 {
				b = append(b, ',')
			}
			if e == nil {
				b = append(b, "null"...)
				continue
			}
			if _, nested := e.([]any); nested && c.elem.kind != cdc.KindArray {
				return nil, unsupported("element %d is an array: multi-dimensional arrays are not supported", i)
			}
			var err error
			if b, err = appendJSONValue(b, c.elem, e); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return append(b, ']'), nil
	}
	s, err := textOf(c.kind, v)
	if err != nil {
		return nil, err
	}
	return appendJSONString(b, s), nil
}

func appendJSONEnvelope(b []byte, tc *tableCodec, ev *cdc.Event, at time.Time) ([]byte, error) {
	b = append(b, '{')
	var err error
	for i, f := range tc.env.Fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Name)
		b = append(b, ':')
		switch f.Name {
		case "before", "after":
			r := ev.Before
			if f.Name == "after" {
				r = ev.After
			}
			if r.IsZero() {
				b = append(b, "null"...)
				continue
			}
			if b, err = appendJSONRow(b, tc.value, r, true); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		case "source":
			b = append(b, '{')
			for j, sf := range f.Type.Fields {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, sf.Name)
				b = append(b, ':')
				switch v := sourceValue(sf.Name, ev); {
				case !v.ok:
				case v.isStr:
					b = appendJSONString(b, v.s)
					continue
				default:
					b = strconv.AppendInt(b, v.n, 10)
					continue
				}
				b = append(b, "null"...)
			}
			b = append(b, '}')
		case "op":
			b = appendJSONString(b, ev.Op.String())
		case "ts_ms":
			b = strconv.AppendInt(b, at.UnixMilli(), 10)
		case "transaction":
			if ev.Source.TxID == "" {
				b = append(b, "null"...)
				continue
			}
			b = append(b, `{"id":`...)
			b = appendJSONString(b, ev.Source.TxID)
			b = append(b, `,"total_order":`...)
			b = strconv.AppendInt(b, ev.Source.TxOrder, 10)
			b = append(b, `,"data_collection_order":`...)
			b = strconv.AppendInt(b, ev.Source.TxOrder, 10)
			b = append(b, '}')
		default:
			return nil, fmt.Errorf("codec: unknown envelope field %q", f.Name)
		}
	}
	return append(b, '}'), nil
}

// connectType is the Kafka Connect JSON schema type of an Avro type.
func connectType(n *schema.Node) (string, error) {
	switch n.Type {
	case "boolean", "string", "bytes", "float", "double", "array", "map":
		return n.Type, nil
	case "int":
		return "int32", nil
	case "long":
		return "int64", nil
	case "record":
		return "struct", nil
	case "enum":
		return "string", nil
	case "fixed":
		return "bytes", nil
	}
	return "", unsupported("Avro %s has no Kafka Connect JSON form", n.Type)
}

// appendConnect writes the Connect JSON schema of an Avro type (Kafka Connect's
// JsonConverter layout: type, fields/items/keys+values, optional, name, version, doc,
// parameters, default, field).
func appendConnect(b []byte, n *schema.Node, field string, optional bool, def *schema.Field) ([]byte, error) {
	if nn, ok := n.NonNull(); ok {
		n, optional = nn, true
	} else if n.Type == "union" {
		return nil, unsupported("a union other than [null, T] has no Kafka Connect form")
	}
	typ, err := connectType(n)
	if err != nil {
		return nil, err
	}
	b = append(b, `{"type":`...)
	b = appendJSONString(b, typ)
	switch n.Type {
	case "record":
		b = append(b, `,"fields":[`...)
		for i, f := range n.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendConnect(b, f.Type, f.Name, false, f); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	case "array":
		b = append(b, `,"items":`...)
		if b, err = appendConnect(b, n.Items, "", false, nil); err != nil {
			return nil, err
		}
	case "map":
		b = append(b, `,"keys":{"type":"string","optional":false},"values":`...)
		if b, err = appendConnect(b, n.Values, "", false, nil); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"optional":`...)
	b = strconv.AppendBool(b, optional)
	name := n.ConnectName()
	if name == "" && n.Type == "record" {
		name = n.Name
	}
	if name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, name)
	}
	if n.ConnectName() != "" {
		b = append(b, `,"version":1`...)
	}
	if n.Doc != "" {
		b = append(b, `,"doc":`...)
		b = appendJSONString(b, n.Doc)
	}
	params, _ := n.Props["connect.parameters"].(map[string]any)
	if orig, ok := fieldColumn(def); ok {
		// The column name that SafeName changed travels as a parameter, so that a
		// decoder restores it (Connect schemas have no field properties).
		p := make(map[string]any, len(params)+1)
		for k, v := range params {
			p[k] = v
		}
		p[schema.PropColumn] = orig
		params = p
	}
	if len(params) > 0 {
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, `,"parameters":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			s, _ := params[k].(string)
			b = appendJSONString(b, s)
		}
		b = append(b, '}')
	}
	if def != nil && def.HasDefault && def.Default != nil {
		b = append(b, `,"default":`...)
		b = appendConnectDefault(b, n, def.Default)
	}
	if field != "" {
		b = append(b, `,"field":`...)
		b = appendJSONString(b, field)
	}
	return append(b, '}'), nil
}

// fieldColumn returns the original column name a field records, if any.
func fieldColumn(f *schema.Field) (string, bool) {
	if f == nil {
		return "", false
	}
	s, ok := f.Props[schema.PropColumn].(string)
	return s, ok && s != ""
}

// byteStringBytes turns Avro's JSON byte string (code points 0-255) into bytes.
func byteStringBytes(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		out = append(out, byte(r))
	}
	return out
}

// appendConnectDefault converts an Avro default to Connect's JSON value.
func appendConnectDefault(b []byte, n *schema.Node, d any) []byte {
	switch n.Type {
	case "bytes", "fixed":
		if s, ok := d.(string); ok {
			return appendBase64(b, byteStringBytes(s))
		}
	case "record":
		if m, ok := d.(map[string]any); ok {
			b = append(b, '{')
			for i, f := range n.Fields {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, f.Name)
				b = append(b, ':')
				t, _ := f.Type.NonNull()
				b = appendConnectDefault(b, t, m[f.Name])
			}
			return append(b, '}')
		}
	}
	v, err := json.Marshal(d)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, v...)
}

// connectToNode turns a Connect JSON schema back into an Avro node, with the semantic
// names as connect.name and the logical types the decoder needs. Defaults are not
// carried over (decoding does not need them). Debezium's millisecond types
// (io.debezium.time.Timestamp, io.debezium.time.Time) and Connect's own Date,
// Timestamp and Time are understood too, so messages of Debezium itself decode.
func connectToNode(m map[string]any, path string) (*schema.Node, error) {
	typ, _ := m["type"].(string)
	name, _ := m["name"].(string)
	n := &schema.Node{Props: map[string]any{}}
	if name != "" {
		n.Props["connect.name"] = name
	}
	if params, ok := m["parameters"].(map[string]any); ok {
		n.Props["connect.parameters"] = params
	}
	param := func(k string) int {
		p, _ := m["parameters"].(map[string]any)
		s, _ := p[k].(string)
		i, _ := strconv.Atoi(s)
		return i
	}
	switch typ {
	case "boolean", "string", "bytes", "float", "double":
		n.Type = typ
	case "int8", "int16", "int32":
		n.Type = "int"
	case "int64":
		n.Type = "long"
	case "array":
		items, _ := m["items"].(map[string]any)
		it, err := connectToNode(items, path+"[]")
		if err != nil {
			return nil, err
		}
		n.Type, n.Items = "array", it
	case "map":
		values, _ := m["values"].(map[string]any)
		vt, err := connectToNode(values, path+"{}")
		if err != nil {
			return nil, err
		}
		n.Type, n.Values = "map", vt
	case "struct":
		n.Type = "record"
		n.Name = name
		if n.Name == "" {
			n.Name = "struct_" + path
		}
		fields, _ := m["fields"].([]any)
		for _, fv := range fields {
			fm, _ := fv.(map[string]any)
			fname, _ := fm["field"].(string)
			ft, err := connectToNode(fm, path+"."+fname)
			if err != nil {
				return nil, err
			}
			f := &schema.Field{Name: fname, Type: ft}
			if p, ok := fm["parameters"].(map[string]any); ok {
				if orig, ok := p[schema.PropColumn].(string); ok {
					f.Props = map[string]any{schema.PropColumn: orig}
				}
			}
			if opt, _ := fm["optional"].(bool); opt {
				f.Type = &schema.Node{Type: "union", Branches: []*schema.Node{{Type: "null"}, ft}}
				f.HasDefault = true
			}
			n.Fields = append(n.Fields, f)
		}
	default:
		return nil, fmt.Errorf("codec: Connect schema type %q at %q", typ, path)
	}
	switch name {
	case schema.ConnectDecimal:
		n.LogicalType, n.Scale, n.Precision = "decimal", param("scale"), param("connect.decimal.precision")
	case schema.DebeziumDate, "org.apache.kafka.connect.data.Date":
		n.LogicalType = "date"
		n.Props["connect.name"] = schema.DebeziumDate
	case schema.DebeziumMicroTime:
		n.LogicalType = "time-micros"
	case "io.debezium.time.Time", "org.apache.kafka.connect.data.Time":
		n.LogicalType = "time-millis"
		n.Props["connect.name"] = schema.DebeziumMicroTime
	case schema.DebeziumMicroTimestamp:
		n.LogicalType = "timestamp-micros"
	case "io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp":
		n.LogicalType = "timestamp-millis"
		n.Props["connect.name"] = schema.DebeziumMicroTimestamp
	case schema.DebeziumUUID:
		n.LogicalType = "uuid"
	}
	return n, nil
}

// jsonPlans caches the plans of schema blocks by their text.
var (
	jsonPlans     sync.Map // string → *decodePlan
	jsonPlanCount int
	jsonPlanMu    sync.Mutex
)

func jsonPlan(block []byte) (*decodePlan, error) {
	if p, ok := jsonPlans.Load(string(block)); ok {
		return p.(*decodePlan), nil
	}
	var m map[string]any
	if err := json.Unmarshal(block, &m); err != nil {
		return nil, fmt.Errorf("codec: schema block: %w", err)
	}
	n, err := connectToNode(m, "")
	if err != nil {
		return nil, err
	}
	p, err := newDecodePlan(n)
	if err != nil {
		return nil, err
	}
	jsonPlanMu.Lock()
	if jsonPlanCount++; jsonPlanCount > maxCached {
		jsonPlans.Clear()
		jsonPlanCount = 1
	}
	jsonPlanMu.Unlock()
	jsonPlans.Store(string(block), p)
	return p, nil
}

// split separates {"schema":..., "payload":...} from a bare payload.
func split(msg []byte) (block, payload json.RawMessage, err error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(msg, &env); err != nil {
		return nil, nil, fmt.Errorf("codec: not a JSON object: %w", err)
	}
	s, hasS := env["schema"]
	p, hasP := env["payload"]
	if hasS && hasP && len(env) == 2 {
		if bytes.Equal(bytes.TrimSpace(s), []byte("null")) {
			return nil, p, nil
		}
		return s, p, nil
	}
	return nil, msg, nil
}

// Decode implements Decoder.
func (d DebeziumJSON) Decode(_ context.Context, key, value []byte, ts *cdc.TableSchema) (cdc.Event, error) {
	block, payload, err := split(value)
	if err != nil {
		return cdc.Event{}, err
	}
	var vp, kp *decodePlan
	var valuePlan, keyPlan *rowPlan
	switch {
	case block != nil:
		if vp, err = jsonPlan(block); err != nil {
			return cdc.Event{}, err
		}
		if !vp.env {
			return cdc.Event{}, errors.New("codec: the schema block is not a change-event envelope (before, after, source, op)")
		}
		valuePlan = vp.value
	case ts != nil:
		tc, err := tableForSchema(ts, schema.DefaultPrefix)
		if err != nil {
			return cdc.Event{}, err
		}
		valuePlan, keyPlan = tc.value, tc.key
	default:
		return cdc.Event{}, errors.New("codec: DebeziumJSON.Decode: a message without a schema block needs the table schema")
	}

	var env map[string]json.RawMessage
	if err := json.Unmarshal(payload, &env); err != nil {
		return cdc.Event{}, fmt.Errorf("codec: payload: %w", err)
	}
	var ev cdc.Event
	for _, name := range []string{"before", "after"} {
		raw, ok := env[name]
		if !ok || isNull(raw) {
			continue
		}
		row, err := jsonRow(valuePlan, raw)
		if err != nil {
			return cdc.Event{}, fmt.Errorf("%s: %w", name, err)
		}
		if name == "before" {
			ev.Before = row
		} else {
			ev.After = row
		}
	}
	var op string
	if err := json.Unmarshal(env["op"], &op); err != nil {
		return cdc.Event{}, fmt.Errorf("codec: op: %w", err)
	}
	var ok bool
	if ev.Op, ok = cdc.ParseOp(op); !ok {
		return cdc.Event{}, fmt.Errorf("codec: unknown op %q", op)
	}
	if raw, ok := env["source"]; ok && !isNull(raw) {
		m, err := decodeNumbers(raw)
		if err != nil {
			return cdc.Event{}, fmt.Errorf("codec: source: %w", err)
		}
		src, _ := m.(map[string]any)
		ev.Source = sourceFrom(src)
		ev.Table = tableOfSource(src)
	}
	if raw, ok := env["transaction"]; ok && !isNull(raw) {
		var tx struct {
			TotalOrder int64 `json:"total_order"`
		}
		if err := json.Unmarshal(raw, &tx); err != nil {
			return cdc.Event{}, fmt.Errorf("codec: transaction: %w", err)
		}
		ev.Source.TxOrder = tx.TotalOrder
	}

	if key != nil {
		kblock, kpayload, err := split(key)
		if err != nil {
			return cdc.Event{}, fmt.Errorf("key: %w", err)
		}
		if kblock != nil {
			if kp, err = jsonPlan(kblock); err != nil {
				return cdc.Event{}, fmt.Errorf("key: %w", err)
			}
			keyPlan = kp.value
		}
		if keyPlan == nil {
			return cdc.Event{}, errors.New("codec: the key has no schema block and the table schema has no primary key")
		}
		if ev.Key, err = jsonRow(keyPlan, kpayload); err != nil {
			return cdc.Event{}, fmt.Errorf("key: %w", err)
		}
	}
	if ts == nil {
		if ts, err = vp.tableSchema(ev.Table, kp); err != nil {
			return cdc.Event{}, err
		}
	}
	ev.Schema = ts
	return ev, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func decodeNumbers(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func jsonRow(p *rowPlan, raw json.RawMessage) (cdc.Row, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return cdc.Row{}, fmt.Errorf("codec: row: %w", err)
	}
	return objectRow(p, obj, true, jsonValue)
}

// objectRow builds a row from a JSON object, finding each column under its Avro-safe
// field name (byField) or its column name, decoding present, non-null values with value.
func objectRow(p *rowPlan, obj map[string]json.RawMessage, byField bool, value func(*col, json.RawMessage) (any, error)) (cdc.Row, error) {
	vals := make([]any, len(p.cols))
	for i, c := range p.cols {
		key := c.column
		if byField {
			key = c.field
		}
		raw, ok := obj[key]
		if !ok || isNull(raw) {
			continue
		}
		v, err := value(c, raw)
		if err != nil {
			return cdc.Row{}, &ValueError{Column: c.column, Kind: c.kind, Err: err}
		}
		vals[i] = v
	}
	return cdc.NewRow(p.names, vals), nil
}

func jsonValue(c *col, raw json.RawMessage) (any, error) {
	var s string
	isString := len(raw) > 0 && raw[0] == '"'
	if isString {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
	}
	b64 := func() ([]byte, error) {
		if !isString {
			return nil, fmt.Errorf("want a base64 string, got %s", raw)
		}
		return base64.StdEncoding.DecodeString(s)
	}
	number := func() (int64, error) {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, err
		}
		return n.Int64()
	}
	switch c.kind {
	case cdc.KindBool:
		var v bool
		err := json.Unmarshal(raw, &v)
		return v, err
	case cdc.KindInt:
		return number()
	case cdc.KindUint:
		b, err := b64()
		if err != nil {
			return nil, err
		}
		return bytesToUint(b)
	case cdc.KindFloat:
		if isString {
			return specialFloat(s)
		}
		var f float64
		err := json.Unmarshal(raw, &f)
		if c.float32 {
			f = float64(float32(f))
		}
		return f, err
	case cdc.KindDecimal:
		if c.vsd {
			var v struct {
				Scale int    `json:"scale"`
				Value []byte `json:"value"`
			}
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, err
			}
			if err := checkScale(int64(v.Scale)); err != nil {
				return nil, err
			}
			return schema.DecodeDecimal(v.Value, v.Scale), nil
		}
		b, err := b64()
		if err != nil {
			return nil, err
		}
		return schema.DecodeDecimal(b, c.scale), nil
	case cdc.KindBytes:
		b, err := b64()
		if err == nil && string(b) == UnavailablePlaceholder {
			return cdc.Unchanged{}, nil
		}
		return b, err
	case cdc.KindDate:
		d, err := number()
		if err != nil {
			return nil, err
		}
		return daysDate(d), nil
	case cdc.KindTime:
		us, err := number()
		if c.millis {
			us *= 1000
		}
		return timeFromMicros(us), err
	case cdc.KindTimestamp:
		us, err := number()
		if c.millis && us != TimestampPosInfinity && us != TimestampNegInfinity {
			us *= 1000
		}
		return microsTimestamp(us), err
	case cdc.KindArray:
		return jsonArray(c.elem, raw, jsonValue)
	}
	if !isString {
		// A foreign struct or map carried as a document.
		v, err := decodeNumbers(raw)
		return plainNumbers(v), err
	}
	if s == UnavailablePlaceholder {
		return cdc.Unchanged{}, nil
	}
	return fromText(c.kind, s)
}

// jsonArray decodes a JSON array ([]any) with elem for each non-null element.
func jsonArray(c *col, raw json.RawMessage, elem func(*col, json.RawMessage) (any, error)) (any, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	out := make([]any, len(items))
	for i, it := range items {
		if isNull(it) {
			continue
		}
		v, err := elem(c, it)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// specialFloat reads the string forms JSON encoders use for the floats JSON numbers
// cannot hold.
func specialFloat(s string) (any, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	return nil, fmt.Errorf("%q is not a number", s)
}
