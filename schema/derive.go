package schema

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-cdc/cdc"
)

// Semantic type names: the "connect.name" of a derived Avro type (Kafka Connect and
// Debezium names, so that Connect's AvroConverter and Debezium consumers recognise them),
// and the "name" of the type in the Debezium JSON schema block.
const (
	ConnectDecimal         = "org.apache.kafka.connect.data.Decimal"
	DebeziumVariableScale  = "io.debezium.data.VariableScaleDecimal"
	DebeziumJSON           = "io.debezium.data.Json"
	DebeziumUUID           = "io.debezium.data.Uuid"
	DebeziumEnum           = "io.debezium.data.Enum"
	DebeziumEnumSet        = "io.debezium.data.EnumSet"
	DebeziumDate           = "io.debezium.time.Date"
	DebeziumMicroTime      = "io.debezium.time.MicroTime"
	DebeziumMicroTimestamp = "io.debezium.time.MicroTimestamp"
	DebeziumInterval       = "io.debezium.time.Interval"
)

// Schema properties of Tributary's own.
const (
	// ParamKind is a connect.parameters entry that marks the two kinds whose Avro type
	// alone does not tell them apart: "uint" (a decimal(20,0)) and "document" (JSON text).
	ParamKind = "tributary.kind"
	// PropColumn is a field property holding the column's name when SafeName changed it.
	PropColumn = "tributary.column"
)

// Names of the fixed records of the envelope.
const (
	SourceRecordName      = "io.tributary.cdc.Source"
	TransactionRecordName = "event.block" // Debezium's name
	// SourceVersion is the value of source.version in encoded events.
	SourceVersion = "tributary"
)

// DefaultPrefix is the first part of derived schema names when WithPrefix is not given:
// the engine's default name.
const DefaultPrefix = "tributary"

// Option configures AvroSchemas.
type Option func(*options)

type options struct {
	prefix    string
	prefixSet bool
}

// WithPrefix sets the first part of the schema names, Debezium's topic prefix
// (default DefaultPrefix; the Register transform and the codecs use the engine name,
// Event.Source.Name, when this option is absent).
func WithPrefix(prefix string) Option {
	return func(o *options) { o.prefix, o.prefixSet = prefix, true }
}

func buildOptions(opts []Option) options {
	o := options{prefix: DefaultPrefix}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Schemas are the Avro schemas of one table version.
type Schemas struct {
	Table    *cdc.TableSchema
	Key      *Avro // nil when the table has no primary key: events then have no key
	Value    *Avro
	Envelope *Avro
	// Fields[i] is the Avro field name of Table.Columns[i].
	Fields []string
}

// AvroSchemas derives the key, value and envelope schemas of a table, named like
// Debezium's: "<prefix>.<schema or database>.<table>.Key", ".Value" and ".Envelope".
// See the package documentation for the type mapping.
func AvroSchemas(ts *cdc.TableSchema, opts ...Option) (*Schemas, error) {
	if ts == nil {
		return nil, errors.New("schema: AvroSchemas: nil table schema")
	}
	o := buildOptions(opts)
	ns := SafeNamespace(o.prefix)
	for _, p := range []string{ts.Table.Namespace(), ts.Table.Name} {
		if p == "" {
			continue
		}
		if ns != "" {
			ns += "."
		}
		ns += SafeName(p)
	}
	if ns == "" {
		return nil, errors.New("schema: AvroSchemas: the table has no name")
	}

	vsd := variableScaleDecimal()
	out := &Schemas{Table: ts, Fields: make([]string, len(ts.Columns))}
	value := &Node{Type: "record", Name: ns + ".Value"}
	seen := map[string]string{}
	for i := range ts.Columns {
		c := &ts.Columns[i]
		f, err := columnField(c, vsd, c.Nullable)
		if err != nil {
			return nil, fmt.Errorf("schema: table %s: %w", ts.Table, err)
		}
		if other, dup := seen[f.Name]; dup {
			return nil, fmt.Errorf("schema: table %s: columns %q and %q both become Avro field %q: rename one of them",
				ts.Table, other, c.Name, f.Name)
		}
		seen[f.Name] = c.Name
		out.Fields[i] = f.Name
		value.Fields = append(value.Fields, f)
	}

	if len(ts.PrimaryKey) > 0 {
		key := &Node{Type: "record", Name: ns + ".Key"}
		for _, name := range ts.PrimaryKey {
			c, ok := ts.Column(name)
			if !ok {
				return nil, fmt.Errorf("schema: table %s: primary key column %q is not a column of the table", ts.Table, name)
			}
			f, err := columnField(c, vsd, c.Nullable)
			if err != nil {
				return nil, fmt.Errorf("schema: table %s: %w", ts.Table, err)
			}
			key.Fields = append(key.Fields, f)
		}
		a, err := newAvro(key)
		if err != nil {
			return nil, fmt.Errorf("schema: table %s: key: %w", ts.Table, err)
		}
		out.Key = a
	}

	a, err := newAvro(value)
	if err != nil {
		return nil, fmt.Errorf("schema: table %s: value: %w", ts.Table, err)
	}
	out.Value = a

	env := &Node{Type: "record", Name: ns + ".Envelope", Fields: []*Field{
		{Name: "before", Type: nullable(value), HasDefault: true},
		{Name: "after", Type: nullable(value), HasDefault: true},
		{Name: "source", Type: sourceRecord()},
		{Name: "op", Type: &Node{Type: "string"}},
		{Name: "ts_ms", Type: nullable(&Node{Type: "long"}), HasDefault: true},
		{Name: "transaction", Type: nullable(transactionRecord()), HasDefault: true},
	}}
	a, err = newAvro(env)
	if err != nil {
		return nil, fmt.Errorf("schema: table %s: envelope: %w", ts.Table, err)
	}
	out.Envelope = a
	return out, nil
}

// newAvro renders a derived node, parses the text back (so that the Node held is
// exactly what a registry returns) and parses it with the Avro library too.
func newAvro(n *Node) (*Avro, error) {
	text := n.String()
	node, err := Parse(text)
	if err != nil {
		return nil, err
	}
	lib, err := parseLib(text)
	if err != nil {
		return nil, fmt.Errorf("the Avro library rejects the derived schema: %w", err)
	}
	return &Avro{Name: n.Name, JSON: text, Node: node, Schema: lib}, nil
}

func nullable(n *Node) *Node {
	return &Node{Type: "union", Branches: []*Node{{Type: "null"}, n}}
}

func str(props ...string) *Node {
	n := &Node{Type: "string"}
	if len(props) > 0 {
		n.Props = map[string]any{"connect.name": props[0]}
	}
	return n
}

func optional(name string, t *Node) *Field {
	return &Field{Name: name, Type: nullable(t), HasDefault: true}
}

func sourceRecord() *Node {
	snapshot := str(DebeziumEnum)
	snapshot.Props["connect.parameters"] = map[string]any{"allowed": "true,first,last,false"}
	return &Node{Type: "record", Name: SourceRecordName, Fields: []*Field{
		{Name: "version", Type: str()},
		{Name: "connector", Type: str()},
		{Name: "name", Type: str()},
		{Name: "ts_ms", Type: &Node{Type: "long"}},
		{Name: "snapshot", Type: snapshot, Default: "false", HasDefault: true},
		{Name: "db", Type: str()},
		optional("schema", str()),
		optional("table", str()),
		optional("txId", str()),
		optional("lsn", &Node{Type: "long"}),
		optional("commit_lsn", &Node{Type: "long"}),
		optional("server_id", &Node{Type: "long"}),
		optional("gtid", str()),
		optional("file", str()),
		optional("pos", &Node{Type: "long"}),
		optional("row", &Node{Type: "int"}),
	}}
}

func transactionRecord() *Node {
	return &Node{Type: "record", Name: TransactionRecordName, Fields: []*Field{
		{Name: "id", Type: str()},
		{Name: "total_order", Type: &Node{Type: "long"}},
		{Name: "data_collection_order", Type: &Node{Type: "long"}},
	}}
}

func variableScaleDecimal() *Node {
	return &Node{Type: "record", Name: DebeziumVariableScale, Doc: "Variable scaled decimal",
		Fields: []*Field{
			{Name: "scale", Type: &Node{Type: "int"}},
			{Name: "value", Type: &Node{Type: "bytes"}},
		},
		Props: map[string]any{"connect.name": DebeziumVariableScale}}
}

func decimalNode(precision, scale int, extra map[string]any) *Node {
	params := map[string]any{"scale": strconv.Itoa(scale), "connect.decimal.precision": strconv.Itoa(precision)}
	for k, v := range extra {
		params[k] = v
	}
	return &Node{Type: "bytes", LogicalType: "decimal", Precision: precision, Scale: scale,
		Props: map[string]any{"connect.name": ConnectDecimal, "connect.parameters": params}}
}

var typeModifiers = regexp.MustCompile(`\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)`)

// decimalPrecision returns the column's precision and scale, from Precision/Scale or
// else from a type name like "numeric(10,2)". 0 precision means unconstrained.
func decimalPrecision(c *cdc.Column) (int, int) {
	if c.Precision > 0 {
		return c.Precision, c.Scale
	}
	m := typeModifiers.FindStringSubmatch(c.Type)
	if m == nil {
		return 0, 0
	}
	p, _ := strconv.Atoi(m[1])
	s := 0
	if m[2] != "" {
		s, _ = strconv.Atoi(m[2])
	}
	return p, s
}

// isFloat32 reports whether a float column's type is single precision.
func isFloat32(typ string) bool {
	t := strings.ToLower(strings.TrimSpace(typ))
	t = strings.TrimSpace(strings.TrimSuffix(t, "unsigned"))
	switch t {
	case "real", "float4", "float":
		return true
	}
	if strings.HasPrefix(t, "float(") {
		// MySQL FLOAT(p): single precision for p <= 24; PostgreSQL float(p) likewise.
		if m := typeModifiers.FindStringSubmatch(t); m != nil && m[2] == "" {
			p, _ := strconv.Atoi(m[1])
			return p <= 24
		}
	}
	return false
}

// elementKind maps the element type of an array type name ("integer[]", "_int4") to a
// kind; ok is false for element types not in the table (their elements are strings).
func elementKind(typ string) (kind cdc.Kind, elem string, ok bool) {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch {
	case strings.HasSuffix(t, "[]"):
		t = strings.TrimSpace(strings.TrimRight(t, "[]"))
	case strings.HasPrefix(t, "_"):
		t = t[1:]
	default:
		return cdc.KindUnknown, "", false
	}
	base := t
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = strings.TrimSpace(base[:i]) + strings.TrimSpace(base[strings.IndexByte(base, ')')+1:])
	}
	switch base {
	case "smallint", "integer", "bigint", "int", "int2", "int4", "int8", "oid":
		return cdc.KindInt, t, true
	case "real", "float4", "double precision", "float8":
		return cdc.KindFloat, t, true
	case "boolean", "bool":
		return cdc.KindBool, t, true
	case "numeric", "decimal":
		return cdc.KindDecimal, t, true
	case "text", "character varying", "varchar", "character", "char", "bpchar", "name", "citext":
		return cdc.KindString, t, true
	case "bytea":
		return cdc.KindBytes, t, true
	case "uuid":
		return cdc.KindUUID, t, true
	case "json", "jsonb":
		return cdc.KindJSON, t, true
	case "date":
		return cdc.KindDate, t, true
	case "time", "time without time zone":
		return cdc.KindTime, t, true
	case "timestamp", "timestamp without time zone", "timestamp with time zone", "timestamptz":
		return cdc.KindTimestamp, t, true
	case "interval":
		return cdc.KindInterval, t, true
	}
	return cdc.KindUnknown, t, false
}

// columnType maps a column to its Avro type (without the null union).
func columnType(c *cdc.Column, vsd *Node) (*Node, error) {
	switch c.Kind {
	case cdc.KindBool:
		return &Node{Type: "boolean"}, nil
	case cdc.KindInt:
		return &Node{Type: "long"}, nil
	case cdc.KindUint:
		return decimalNode(20, 0, map[string]any{ParamKind: "uint"}), nil
	case cdc.KindFloat:
		if isFloat32(c.Type) {
			return &Node{Type: "float"}, nil
		}
		return &Node{Type: "double"}, nil
	case cdc.KindDecimal:
		if p, s := decimalPrecision(c); p > 0 && s >= 0 && s <= p {
			return decimalNode(p, s, nil), nil
		}
		return vsd, nil
	case cdc.KindString:
		if len(c.Values) > 0 {
			n := str(DebeziumEnum)
			n.Props["connect.parameters"] = map[string]any{"allowed": strings.Join(c.Values, ",")}
			return n, nil
		}
		return str(), nil
	case cdc.KindBytes:
		return &Node{Type: "bytes"}, nil
	case cdc.KindDate:
		return &Node{Type: "int", LogicalType: "date", Props: map[string]any{"connect.name": DebeziumDate}}, nil
	case cdc.KindTime:
		return &Node{Type: "long", LogicalType: "time-micros", Props: map[string]any{"connect.name": DebeziumMicroTime}}, nil
	case cdc.KindTimestamp:
		return &Node{Type: "long", LogicalType: "timestamp-micros", Props: map[string]any{"connect.name": DebeziumMicroTimestamp}}, nil
	case cdc.KindJSON:
		return str(DebeziumJSON), nil
	case cdc.KindUUID:
		return &Node{Type: "string", LogicalType: "uuid", Props: map[string]any{"connect.name": DebeziumUUID}}, nil
	case cdc.KindArray:
		kind, elem, ok := elementKind(c.Type)
		item := str()
		if ok {
			ec := cdc.Column{Name: c.Name, Type: elem, Kind: kind}
			var err error
			if item, err = columnType(&ec, vsd); err != nil {
				return nil, err
			}
		}
		return &Node{Type: "array", Items: nullable(item)}, nil
	case cdc.KindSet:
		n := str(DebeziumEnumSet)
		n.Props["connect.parameters"] = map[string]any{"allowed": strings.Join(c.Values, ",")}
		return n, nil
	case cdc.KindInterval:
		return str(DebeziumInterval), nil
	case cdc.KindDocument:
		n := str(DebeziumJSON)
		n.Props["connect.parameters"] = map[string]any{ParamKind: "document"}
		return n, nil
	case cdc.KindUnknown:
		return str(), nil
	}
	return nil, fmt.Errorf("column %q has kind %v, which has no Avro mapping", c.Name, c.Kind)
}

func columnField(c *cdc.Column, vsd *Node, isNullable bool) (*Field, error) {
	t, err := columnType(c, vsd)
	if err != nil {
		return nil, err
	}
	f := &Field{Name: SafeName(c.Name)}
	if f.Name != c.Name {
		f.Props = map[string]any{PropColumn: c.Name}
	}
	if isNullable {
		f.Type, f.Default, f.HasDefault = nullable(t), nil, true
		return f, nil
	}
	f.Type = t
	if c.Default != nil {
		f.Default, f.HasDefault = columnDefault(c, t)
	}
	return f, nil
}

// sqlLiteral reduces a default expression as databases show it to a literal:
// "'abc'::character varying" → quoted "abc"; "(-1)" → bare "-1"; "nextval(...)" → bare,
// which no type accepts.
func sqlLiteral(expr string) (text string, quoted bool, ok bool) {
	s := strings.TrimSpace(expr)
	for {
		for len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
			s = strings.TrimSpace(s[1 : len(s)-1])
		}
		if s == "" {
			return "", false, false
		}
		if s[0] == '\'' {
			// A quoted literal, '' is an escaped quote; an optional cast may follow.
			var b strings.Builder
			i := 1
			for ; i < len(s); i++ {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i++
						continue
					}
					break
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return "", false, false
			}
			rest := strings.TrimSpace(s[i+1:])
			if rest != "" && !strings.HasPrefix(rest, "::") {
				return "", false, false
			}
			return b.String(), true, true
		}
		if i := strings.Index(s, "::"); i >= 0 {
			s = strings.TrimSpace(s[:i])
			continue
		}
		if strings.ContainsAny(s, "()' ") {
			return "", false, false // a function call or an expression
		}
		return s, false, true
	}
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999",
}

// columnDefault converts a column default to an Avro default of type t; ok is false
// when the default is not a literal of the column's type (now(), nextval(...), ...).
func columnDefault(c *cdc.Column, t *Node) (any, bool) {
	text, quoted, ok := sqlLiteral(*c.Default)
	if !ok || (!quoted && strings.EqualFold(text, "null")) {
		return nil, false
	}
	switch c.Kind {
	case cdc.KindBool:
		switch strings.ToLower(text) {
		case "true", "t":
			return true, true
		case "false", "f":
			return false, true
		}
	case cdc.KindInt:
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), true
		}
	case cdc.KindFloat:
		if f, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), true
		}
	case cdc.KindUint, cdc.KindDecimal:
		d, err := cdc.ParseDecimal(text)
		if err != nil || !d.IsFinite() {
			return nil, false
		}
		if t.Type == "record" { // VariableScaleDecimal
			b, err := EncodeDecimal(d, int(d.Scale()))
			if err != nil {
				return nil, false
			}
			return map[string]any{"scale": json.Number(strconv.Itoa(int(d.Scale()))), "value": byteString(b)}, true
		}
		b, err := EncodeDecimal(d, t.Scale)
		if err != nil || digits(d) > t.Precision {
			return nil, false
		}
		return byteString(b), true
	case cdc.KindString, cdc.KindUnknown, cdc.KindSet:
		if quoted {
			return text, true
		}
	case cdc.KindJSON:
		if quoted && json.Valid([]byte(text)) {
			return text, true
		}
	case cdc.KindUUID:
		if quoted && isUUID(text) {
			return strings.ToLower(text), true
		}
	case cdc.KindBytes:
		if quoted && strings.HasPrefix(text, `\x`) {
			if b, err := hex.DecodeString(text[2:]); err == nil {
				return byteString(b), true
			}
		}
	case cdc.KindDate:
		if d, err := time.Parse("2006-01-02", text); quoted && err == nil {
			return json.Number(strconv.FormatInt(d.Unix()/86400, 10)), true
		}
	case cdc.KindTime:
		if quoted {
			if d, ok := parseClock(text); ok {
				return json.Number(strconv.FormatInt(d.Microseconds(), 10)), true
			}
		}
	case cdc.KindTimestamp:
		if quoted {
			for _, l := range timeLayouts {
				if ts, err := time.Parse(l, text); err == nil {
					return json.Number(strconv.FormatInt(ts.UnixMicro(), 10)), true
				}
			}
		}
	}
	return nil, false
}

func parseClock(s string) (time.Duration, bool) {
	t, err := time.Parse("15:04:05.999999999", s)
	if err != nil {
		return 0, false
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()), true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// digits is the number of significant integer+fraction digits of a finite decimal.
func digits(d cdc.Decimal) int {
	s := strings.TrimPrefix(d.String(), "-")
	s = strings.Replace(s, ".", "", 1)
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return 1
	}
	return len(s)
}

// byteString is how Avro JSON writes bytes: one code point 0-255 per byte.
func byteString(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// EncodeDecimal returns the Avro decimal bytes of d at a scale: the big-endian two's
// complement of d * 10^scale, in as few bytes as possible. It fails for NaN and
// infinities (which Avro's decimal cannot represent) and when d has more fractional
// digits than scale that are not zeros.
func EncodeDecimal(d cdc.Decimal, scale int) ([]byte, error) {
	if !d.IsFinite() {
		return nil, fmt.Errorf("decimal %s cannot be represented as an Avro decimal (only finite numbers can)", d)
	}
	u, s, err := d.Unscaled()
	if err != nil {
		return nil, err
	}
	switch diff := scale - int(s); {
	case diff > 0:
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(diff)), nil))
	case diff < 0:
		q, r := new(big.Int).QuoRem(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-diff)), nil), new(big.Int))
		if r.Sign() != 0 {
			return nil, fmt.Errorf("decimal %s has more than %d fractional digits", d, scale)
		}
		u = q
	}
	return TwosComplement(u), nil
}

// TwosComplement returns the minimal big-endian two's complement bytes of n
// (Java's BigInteger.toByteArray).
func TwosComplement(n *big.Int) []byte {
	if n.Sign() >= 0 {
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	k := (n.BitLen() + 8) / 8
	x := new(big.Int).Lsh(big.NewInt(1), uint(8*k))
	x.Add(x, n)
	b := x.Bytes()
	for len(b) < k {
		b = append([]byte{0}, b...)
	}
	for len(b) > 1 && b[0] == 0xFF && b[1]&0x80 != 0 {
		b = b[1:]
	}
	return b
}

// DecodeDecimal is the inverse of EncodeDecimal.
func DecodeDecimal(b []byte, scale int) cdc.Decimal {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return cdc.NewDecimal(n, int32(scale))
}
