package codec

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/schema"
)

// Encoder turns an event into the key and value of a message (a Kafka record, a NATS
// message, a row in a sink). key is nil for tables without a primary key.
type Encoder interface {
	Encode(ctx context.Context, ev *cdc.Event) (key, value []byte, err error)
}

// Decoder turns a message back into an event. ts is the table schema to type the
// values with; it may be nil for encodings that carry their schema (Avro through the
// registry, Debezium JSON with its schema block).
type Decoder interface {
	Decode(ctx context.Context, key, value []byte, ts *cdc.TableSchema) (cdc.Event, error)
}

// col says how one record field is encoded.
type col struct {
	field    string // Avro / payload field name
	column   string // cdc column name
	kind     cdc.Kind
	nullable bool
	nullIdx  int          // union branch of null when nullable (0 or 1)
	t        *schema.Node // the non-null type
	scale    int          // fixed-scale decimals
	float32  bool         // Avro float
	isInt    bool         // Avro int (32-bit) carrier
	millis   bool         // time-millis / timestamp-millis
	vsd      bool         // VariableScaleDecimal record
	elem     *col         // array elements
}

func newCol(field, column string, typ *schema.Node) (*col, error) {
	c := &col{field: field, column: column, kind: schema.KindOf(typ)}
	t := typ
	if nn, ok := typ.NonNull(); ok {
		c.nullable, t = true, nn
		if typ.Branches[0].Type != "null" {
			c.nullIdx = 1
		}
	}
	c.t = t
	switch t.Type {
	case "float":
		c.float32 = true
	case "int":
		c.isInt = true
	}
	c.millis = t.LogicalType == "time-millis" || t.LogicalType == "timestamp-millis" || t.LogicalType == "local-timestamp-millis"
	switch c.kind {
	case cdc.KindDecimal, cdc.KindUint:
		switch {
		case t.Type == "record":
			if t.Field("scale") == nil || t.Field("value") == nil {
				return nil, fmt.Errorf("column %q: record %s is not a VariableScaleDecimal", column, t.Name)
			}
			c.vsd = true
		case t.LogicalType == "decimal":
			c.scale = t.Scale
			if err := checkScale(int64(c.scale)); err != nil || c.scale < 0 {
				return nil, fmt.Errorf("column %q: decimal scale %d out of range", column, c.scale)
			}
		default:
			return nil, fmt.Errorf("column %q: %s has no decimal scale", column, t.Type)
		}
	case cdc.KindArray:
		e, err := newCol(field, column, t.Items)
		if err != nil {
			return nil, err
		}
		c.elem = e
	}
	return c, nil
}

// rowPlan encodes and decodes the rows of one record schema (Key or Value).
type rowPlan struct {
	rec    *schema.Node
	cols   []*col
	names  []string // column names, the names of decoded rows
	byName map[string]*col
}

func newRowPlan(rec *schema.Node) (*rowPlan, error) {
	if rec == nil || rec.Type != "record" {
		return nil, errors.New("codec: a row schema must be a record")
	}
	p := &rowPlan{rec: rec, byName: make(map[string]*col, len(rec.Fields))}
	for _, f := range rec.Fields {
		c, err := newCol(f.Name, schema.ColumnOf(f).Name, f.Type)
		if err != nil {
			return nil, fmt.Errorf("codec: record %s: %w", rec.Name, err)
		}
		p.cols = append(p.cols, c)
		p.names = append(p.names, c.column)
		p.byName[c.column] = c
	}
	return p, nil
}

// lookup finds a column's value in a row, trying the same position first.
func lookup(r cdc.Row, i int, name string) (any, bool) {
	if i < r.Len() && r.Name(i) == name {
		return r.At(i), true
	}
	if j := r.Index(name); j >= 0 {
		return r.At(j), true
	}
	return nil, false
}

// checkExtra fails when a value row has columns the schema lacks (a transform added
// them without updating Event.Schema): encoding would drop them silently.
func (p *rowPlan) checkExtra(r cdc.Row, found int) error {
	if r.Len() <= found {
		return nil
	}
	for _, n := range r.Names() {
		known := false
		for _, c := range p.cols {
			if c.column == n {
				known = true
				break
			}
		}
		if !known {
			return fmt.Errorf("%w: the row has column %q, which its table schema lacks: a transform that adds columns must also update Event.Schema",
				ErrUnsupported, n)
		}
	}
	return nil
}

// tableCodec is what the encoders derive once per table schema version.
type tableCodec struct {
	schemas *schema.Schemas
	key     *rowPlan // nil without a primary key
	value   *rowPlan
	env     *schema.Node

	idsMu    sync.Mutex
	ids      map[idKey]int        // AvroConfluent's registered ids
	subjects map[string][2]string // TopicNameStrategy by destination

	// size hints: the largest message of each encoding so far, to allocate once.
	jsonHint, avroHint atomic.Int64

	jsonOnce                 sync.Once
	keyConnect, valueConnect []byte // Debezium JSON schema blocks
	jsonErr                  error
}

type cacheKey struct {
	ts     *cdc.TableSchema
	prefix string
}

// tables caches tableCodecs per table schema. Table schemas are immutable and few (one
// per table version); the cache is cleared when it grows past maxCached.
var (
	tables     sync.Map
	tableCount atomic.Int64
)

const maxCached = 4096

func prefixOf(prefix string, ev *cdc.Event) string {
	if prefix != "" {
		return prefix
	}
	if ev.Source.Name != "" {
		return ev.Source.Name
	}
	return schema.DefaultPrefix
}

func tableFor(ev *cdc.Event, prefix string) (*tableCodec, error) {
	if ev.Schema == nil {
		return nil, unsupported("event %s of %s has no table schema", ev.Op, ev.Table)
	}
	return tableForSchema(ev.Schema, prefixOf(prefix, ev))
}

func tableForSchema(ts *cdc.TableSchema, prefix string) (*tableCodec, error) {
	k := cacheKey{ts, prefix}
	if tc, ok := tables.Load(k); ok {
		return tc.(*tableCodec), nil
	}
	s, err := schema.AvroSchemas(ts, schema.WithPrefix(prefix))
	if err != nil {
		return nil, err
	}
	tc, err := newTableCodec(s)
	if err != nil {
		return nil, err
	}
	if tableCount.Add(1) > maxCached {
		tables.Clear()
		tableCount.Store(1)
	}
	actual, _ := tables.LoadOrStore(k, tc)
	return actual.(*tableCodec), nil
}

// buffer returns an output buffer sized after earlier messages.
func buffer(hint *atomic.Int64, min int) []byte {
	n := int(hint.Load()) + 32
	if n < min {
		n = min
	}
	return make([]byte, 0, n)
}

// noteSize records a message size for later buffers.
func noteSize(hint *atomic.Int64, n int) {
	if int64(n) > hint.Load() {
		hint.Store(int64(n))
	}
}

func newTableCodec(s *schema.Schemas) (*tableCodec, error) {
	tc := &tableCodec{schemas: s, env: s.Envelope.Node}
	var err error
	if s.Key != nil {
		if tc.key, err = newRowPlan(s.Key.Node); err != nil {
			return nil, err
		}
	}
	if tc.value, err = newRowPlan(s.Value.Node); err != nil {
		return nil, err
	}
	return tc, nil
}

// keyRow returns the row to encode as the key: Event.Key, or else the key columns of
// the event's row; a truncate has neither, and no key.
func keyRow(ev *cdc.Event) cdc.Row {
	if !ev.Key.IsZero() {
		return ev.Key
	}
	return ev.Row()
}

// checkOp accepts the row operations the envelope describes.
func checkOp(ev *cdc.Event) error {
	switch ev.Op {
	case cdc.OpCreate, cdc.OpUpdate, cdc.OpDelete, cdc.OpRead, cdc.OpTruncate:
		return nil
	}
	return unsupported("op %q (%s) has no change-event envelope: only c, u, d, r and t events are encoded", ev.Op.String(), ev.Table)
}

func now(clock func() time.Time) time.Time {
	if clock != nil {
		return clock()
	}
	return time.Now()
}

// tableOfSource rebuilds the table id from the source block's db, schema and table.
func tableOfSource(src map[string]any) cdc.TableID {
	s := func(k string) string { v, _ := src[k].(string); return v }
	return cdc.TableID{Database: s("db"), Schema: s("schema"), Name: s("table")}
}
