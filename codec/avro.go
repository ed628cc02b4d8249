package codec

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/schema"
)

// AvroConfluent encodes events as Avro binary in the Confluent wire format: a zero
// magic byte, the schema id as 4 big-endian bytes, then the Avro body. The value is the
// change-event envelope (schema.Schemas.Envelope), the key the primary-key record
// (schema.Schemas.Key). Schemas are registered in Registry under Subjects
// (TopicNameStrategy by default) on first use of each table version; registration is
// idempotent, so with the schema.Register transform in front the ids are the ones it
// registered, and without it the registry's compatibility level is enforced here
// (an incompatible schema fails the Encode with a *schema.IncompatibleError).
//
// Decode reads the schema id, fetches the writer's schema from Registry (cached) and
// decodes with it; the values come back as the cdc Go types of their kinds.
type AvroConfluent struct {
	Registry schema.Registry
	// Prefix is the first part of the schema names; "" uses the engine name
	// (Event.Source.Name), as the schema.Register transform does.
	Prefix string
	// Subjects names the key and value subjects; nil is schema.TopicNameStrategy.
	Subjects func(ev *cdc.Event) (key, value string)
	// Now is the clock of the envelope's ts_ms; nil is time.Now.
	Now func() time.Time
}

// MagicByte starts every message in the Confluent wire format.
const MagicByte = 0

type idKey struct {
	reg     schema.Registry
	subject string
}

// id returns the registered id of a schema, registering it on first use. Ids are
// cached on the table codec (Registry implementations are pointer types; one that is
// not comparable is asked every time).
func (a AvroConfluent) id(ctx context.Context, tc *tableCodec, subject, text string) (int, error) {
	cacheable := reflect.TypeOf(a.Registry).Comparable()
	k := idKey{a.Registry, subject}
	if cacheable {
		tc.idsMu.Lock()
		id, ok := tc.ids[k]
		tc.idsMu.Unlock()
		if ok {
			return id, nil
		}
	}
	id, _, err := a.Registry.Register(ctx, subject, text)
	if err != nil {
		return 0, err
	}
	if cacheable {
		tc.idsMu.Lock()
		if tc.ids == nil {
			tc.ids = map[idKey]int{}
		}
		tc.ids[k] = id
		tc.idsMu.Unlock()
	}
	return id, nil
}

// topicSubjects is schema.TopicNameStrategy, cached per destination.
func (tc *tableCodec) topicSubjects(ev *cdc.Event) (string, string) {
	tc.idsMu.Lock()
	defer tc.idsMu.Unlock()
	if s, ok := tc.subjects[ev.Destination]; ok && ev.Destination != "" {
		return s[0], s[1]
	}
	k, v := schema.TopicNameStrategy(ev)
	if ev.Destination != "" {
		if tc.subjects == nil {
			tc.subjects = map[string][2]string{}
		}
		tc.subjects[ev.Destination] = [2]string{k, v}
	}
	return k, v
}

func frame(b []byte, id int) []byte {
	b = append(b, MagicByte)
	return binary.BigEndian.AppendUint32(b, uint32(id))
}

// Encode implements Encoder.
func (a AvroConfluent) Encode(ctx context.Context, ev *cdc.Event) (key, value []byte, err error) {
	if a.Registry == nil {
		return nil, nil, cdc.ConfigError("codec.AvroConfluent.Registry", "must not be nil: pass a schema.Registry")
	}
	if err := checkOp(ev); err != nil {
		return nil, nil, err
	}
	tc, err := tableFor(ev, a.Prefix)
	if err != nil {
		return nil, nil, err
	}
	var keySubject, valueSubject string
	if a.Subjects != nil {
		keySubject, valueSubject = a.Subjects(ev)
	} else {
		keySubject, valueSubject = tc.topicSubjects(ev)
	}
	valueID, err := a.id(ctx, tc, valueSubject, tc.schemas.Envelope.JSON)
	if err != nil {
		return nil, nil, err
	}
	value, err = appendEnvelope(frame(buffer(&tc.avroHint, 128), valueID), tc, ev, now(a.Now))
	if err != nil {
		return nil, nil, err
	}
	noteSize(&tc.avroHint, len(value))
	if kr := keyRow(ev); tc.key != nil && !kr.IsZero() {
		keyID, err := a.id(ctx, tc, keySubject, tc.schemas.Key.JSON)
		if err != nil {
			return nil, nil, err
		}
		if key, err = appendRow(frame(make([]byte, 0, 32), keyID), tc.key, kr, false); err != nil {
			return nil, nil, fmt.Errorf("key: %w", err)
		}
	}
	return key, value, nil
}

// nullableIndex returns the branch indexes of null and of the value in a ["null", T]
// union.
func nullableIndex(u *schema.Node) (null, val int64) {
	if u.Type == "union" && len(u.Branches) == 2 && u.Branches[1].Type == "null" {
		return 1, 0
	}
	return 0, 1
}

func appendEnvelope(b []byte, tc *tableCodec, ev *cdc.Event, at time.Time) ([]byte, error) {
	var err error
	for _, f := range tc.env.Fields {
		null, val := nullableIndex(f.Type)
		switch f.Name {
		case "before", "after":
			r := ev.Before
			if f.Name == "after" {
				r = ev.After
			}
			if r.IsZero() {
				b = appendLong(b, null)
				continue
			}
			if b, err = appendRow(appendLong(b, val), tc.value, r, true); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		case "source":
			b = appendSource(b, f.Type, ev)
		case "op":
			b = appendString(b, ev.Op.String())
		case "ts_ms":
			b = appendLong(appendLong(b, val), at.UnixMilli())
		case "transaction":
			if ev.Source.TxID == "" {
				b = appendLong(b, null)
				continue
			}
			b = appendLong(b, val)
			b = appendString(b, ev.Source.TxID)
			b = appendLong(b, ev.Source.TxOrder)
			b = appendLong(b, ev.Source.TxOrder)
		default:
			return nil, fmt.Errorf("codec: unknown envelope field %q", f.Name)
		}
	}
	return b, nil
}

// srcVal is one source block value: a string or a long, or null (!ok).
type srcVal struct {
	s     string
	n     int64
	isStr bool
	ok    bool
}

func sv(s string, ok bool) srcVal { return srcVal{s: s, isStr: true, ok: ok} }
func nv(n int64, ok bool) srcVal  { return srcVal{n: n, ok: ok} }

// sourceValue returns the source block value of an event by field name.
func sourceValue(name string, ev *cdc.Event) srcVal {
	s := &ev.Source
	switch name {
	case "version":
		return sv(schema.SourceVersion, true)
	case "connector":
		return sv(s.Connector, true)
	case "name":
		return sv(s.Name, true)
	case "ts_ms":
		if s.CommitTime.IsZero() {
			return nv(0, true)
		}
		return nv(s.CommitTime.UnixMilli(), true)
	case "snapshot":
		if s.Snapshot == cdc.SnapshotFalse {
			return sv("false", true)
		}
		return sv(string(s.Snapshot), true)
	case "db":
		return sv(ev.Table.Database, true)
	case "schema":
		return sv(ev.Table.Schema, ev.Table.Schema != "")
	case "table":
		return sv(ev.Table.Name, ev.Table.Name != "")
	case "txId":
		return sv(s.TxID, s.TxID != "")
	case "lsn":
		return nv(int64(s.LSN), s.LSN != 0)
	case "commit_lsn":
		return nv(int64(s.CommitLSN), s.CommitLSN != 0)
	case "server_id":
		return nv(int64(s.ServerID), s.ServerID != 0)
	case "gtid":
		return sv(s.GTID, s.GTID != "")
	case "file":
		return sv(s.File, s.File != "")
	case "pos":
		return nv(int64(s.Pos), s.File != "")
	case "row":
		return nv(int64(s.Row), s.File != "")
	}
	return srcVal{}
}

func appendSource(b []byte, rec *schema.Node, ev *cdc.Event) []byte {
	for _, f := range rec.Fields {
		v := sourceValue(f.Name, ev)
		if f.Type.Type == "union" {
			null, val := nullableIndex(f.Type)
			if !v.ok {
				b = appendLong(b, null)
				continue
			}
			b = appendLong(b, val)
		}
		if v.isStr {
			b = appendString(b, v.s)
		} else {
			b = appendLong(b, v.n)
		}
	}
	return b
}

// sourceFrom fills SourceInfo from a decoded source block.
func sourceFrom(m map[string]any) cdc.SourceInfo {
	str := func(k string) string { v, _ := m[k].(string); return v }
	num := func(k string) int64 {
		switch v := m[k].(type) {
		case int64:
			return v
		case json.Number:
			i, _ := v.Int64()
			return i
		}
		return 0
	}
	s := cdc.SourceInfo{Connector: str("connector"), Name: str("name"), TxID: str("txId"),
		LSN: uint64(num("lsn")), CommitLSN: uint64(num("commit_lsn")), ServerID: uint32(num("server_id")),
		GTID: str("gtid"), File: str("file"), Pos: uint64(num("pos")), Row: int(num("row"))}
	if ms := num("ts_ms"); ms != 0 {
		s.CommitTime = time.UnixMilli(ms).UTC()
	}
	if snap := str("snapshot"); snap != "" && snap != "false" {
		s.Snapshot = cdc.SnapshotMarker(snap)
	}
	return s
}

// decodePlan is what the decoder derives once per writer schema id.
type decodePlan struct {
	node  *schema.Node
	value *rowPlan // envelope schemas: the Value record; key schemas: the Key record
	env   bool

	mu     sync.Mutex
	tables map[inferKey]*cdc.TableSchema
}

type inferKey struct {
	table cdc.TableID
	key   *decodePlan
}

type planKey struct {
	reg schema.Registry
	id  int
}

var plans sync.Map // planKey → *decodePlan

func (a AvroConfluent) plan(ctx context.Context, b []byte) (*decodePlan, []byte, error) {
	if len(b) < 5 || b[0] != MagicByte {
		return nil, nil, errors.New("codec: not in the Confluent wire format (magic byte 0 and a 4-byte schema id)")
	}
	id := int(binary.BigEndian.Uint32(b[1:5]))
	cacheable := reflect.TypeOf(a.Registry).Comparable()
	k := planKey{a.Registry, id}
	if cacheable {
		if p, ok := plans.Load(k); ok {
			return p.(*decodePlan), b[5:], nil
		}
	}
	text, err := a.Registry.ByID(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("codec: schema id %d: %w", id, err)
	}
	n, err := schema.Parse(text)
	if err != nil {
		return nil, nil, fmt.Errorf("codec: schema id %d: %w", id, err)
	}
	p, err := newDecodePlan(n)
	if err != nil {
		return nil, nil, fmt.Errorf("codec: schema id %d: %w", id, err)
	}
	if cacheable {
		if actual, loaded := plans.LoadOrStore(k, p); loaded {
			p = actual.(*decodePlan)
		}
	}
	return p, b[5:], nil
}

func newDecodePlan(n *schema.Node) (*decodePlan, error) {
	p := &decodePlan{node: n, tables: map[inferKey]*cdc.TableSchema{}}
	if n.Type != "record" {
		return nil, fmt.Errorf("codec: a %s schema is neither a change-event envelope nor a key record", n.Type)
	}
	rec := n
	if f := n.Field("after"); f != nil && n.Field("op") != nil && n.Field("source") != nil {
		p.env = true
		nn, _ := f.Type.NonNull()
		rec = nn
	}
	var err error
	p.value, err = newRowPlan(rec)
	return p, err
}

// tableSchema returns the table schema inferred from the writer schemas, one shared
// value per table and key schema.
func (p *decodePlan) tableSchema(table cdc.TableID, key *decodePlan) (*cdc.TableSchema, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := inferKey{table, key}
	if ts, ok := p.tables[k]; ok {
		return ts, nil
	}
	var keyRec *schema.Node
	if key != nil {
		keyRec = key.value.rec
	}
	ts, err := schema.TableSchemaFromAvro(table, keyRec, p.value.rec)
	if err != nil {
		return nil, err
	}
	p.tables[k] = ts
	return ts, nil
}

// Decode implements Decoder. ts, when not nil, becomes the event's Schema; otherwise
// the schema is rebuilt from the writer schemas (schema.TableSchemaFromAvro). The
// values are typed by the writer schema either way.
func (a AvroConfluent) Decode(ctx context.Context, key, value []byte, ts *cdc.TableSchema) (cdc.Event, error) {
	if a.Registry == nil {
		return cdc.Event{}, cdc.ConfigError("codec.AvroConfluent.Registry", "must not be nil: pass a schema.Registry")
	}
	p, body, err := a.plan(ctx, value)
	if err != nil {
		return cdc.Event{}, err
	}
	if !p.env {
		return cdc.Event{}, errors.New("codec: the value schema is not a change-event envelope (before, after, source, op)")
	}
	r := &reader{b: body}
	var ev cdc.Event
	var txOrder int64
	for _, f := range p.node.Fields {
		switch f.Name {
		case "before", "after":
			i, err := r.unionIndex(f.Type)
			if err != nil {
				return cdc.Event{}, err
			}
			if f.Type.Branches[i].Type == "null" {
				continue
			}
			row, err := r.row(p.value)
			if err != nil {
				return cdc.Event{}, fmt.Errorf("%s: %w", f.Name, err)
			}
			if f.Name == "before" {
				ev.Before = row
			} else {
				ev.After = row
			}
		case "source":
			v, err := r.generic(f.Type)
			if err != nil {
				return cdc.Event{}, fmt.Errorf("source: %w", err)
			}
			m, _ := v.(map[string]any)
			ev.Source = sourceFrom(m)
			ev.Table = tableOfSource(m)
		case "op":
			s, err := r.str()
			if err != nil {
				return cdc.Event{}, err
			}
			op, ok := cdc.ParseOp(s)
			if !ok {
				return cdc.Event{}, fmt.Errorf("codec: unknown op %q", s)
			}
			ev.Op = op
		case "transaction":
			v, err := r.generic(f.Type)
			if err != nil {
				return cdc.Event{}, err
			}
			if m, ok := v.(map[string]any); ok {
				txOrder, _ = m["total_order"].(int64)
			}
		default:
			if _, err := r.generic(f.Type); err != nil {
				return cdc.Event{}, fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	}
	if r.off != len(r.b) {
		return cdc.Event{}, fmt.Errorf("codec: %d bytes after the Avro value", len(r.b)-r.off)
	}
	ev.Source.TxOrder = txOrder

	var kp *decodePlan
	if key != nil {
		var kbody []byte
		if kp, kbody, err = a.plan(ctx, key); err != nil {
			return cdc.Event{}, fmt.Errorf("key: %w", err)
		}
		kr := &reader{b: kbody}
		if ev.Key, err = kr.row(kp.value); err != nil {
			return cdc.Event{}, fmt.Errorf("key: %w", err)
		}
		if kr.off != len(kr.b) {
			return cdc.Event{}, fmt.Errorf("codec: %d bytes after the Avro key", len(kr.b)-kr.off)
		}
	}
	if ts == nil {
		if ts, err = p.tableSchema(ev.Table, kp); err != nil {
			return cdc.Event{}, err
		}
	}
	ev.Schema = ts
	return ev, nil
}
