package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Node is an Avro schema, parsed into a plain Go model that this package (compatibility,
// plans) and package codec (binary and JSON encodings) walk. It is independent of the
// Avro library, so the library can be switched without touching them.
//
// Named types (record, enum, fixed) are shared: every reference to a name points to the
// Node of its definition, so a recursive schema is a graph, not a tree.
type Node struct {
	// Type is a primitive type ("null", "boolean", "int", "long", "float", "double",
	// "bytes", "string") or "record", "enum", "array", "map", "fixed", "union".
	Type string

	Name    string   // full name of a named type: "ns.Name"
	Aliases []string // full names
	Doc     string

	Fields []*Field // record

	Symbols        []string // enum
	EnumDefault    string   // enum: default symbol, when HasEnumDefault
	HasEnumDefault bool

	Items    *Node   // array
	Values   *Node   // map
	Branches []*Node // union
	Size     int     // fixed

	LogicalType string // "decimal", "date", "time-micros", "timestamp-micros", "uuid", ...
	Precision   int    // decimal
	Scale       int    // decimal

	// Props are the other attributes (connect.name, connect.parameters, ...).
	Props map[string]any
}

// Field is a record field.
type Field struct {
	Name    string
	Aliases []string
	Doc     string
	Type    *Node

	// Default is the field's default as decoded JSON (numbers are json.Number), valid
	// when HasDefault. A null default is HasDefault with a nil Default.
	Default    any
	HasDefault bool
	Order      string // "", "ascending", "descending", "ignore"

	Props map[string]any
}

var primitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true,
}

// ErrInvalidSchema is wrapped by errors about schema text that is not a valid Avro schema.
var ErrInvalidSchema = errors.New("schema: invalid Avro schema")

// Parse parses Avro schema JSON text into a Node. It checks names, duplicate
// definitions, symbols, fixed sizes, decimal attributes and that field defaults match
// their types (for a union: its first branch, Avro 1.11).
func Parse(text string) (*Node, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: text after the schema", ErrInvalidSchema)
	}
	p := &parser{named: map[string]*Node{}}
	n, err := p.parse(v, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	return n, nil
}

// MustParse is Parse for constants in tests; it panics on error.
func MustParse(text string) *Node {
	n, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return n
}

type parser struct {
	named map[string]*Node
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func validFullName(s string) bool {
	for _, p := range strings.Split(s, ".") {
		if !validName(p) {
			return false
		}
	}
	return true
}

// fullName resolves name in namespace ns (Avro "Names" rules).
func fullName(name, ns string) string {
	if strings.Contains(name, ".") || ns == "" {
		return name
	}
	return ns + "." + name
}

func namespaceOf(full string) string {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[:i]
	}
	return ""
}

func shortName(full string) string {
	return full[strings.LastIndexByte(full, '.')+1:]
}

func (p *parser) parse(v any, ns string) (*Node, error) {
	switch x := v.(type) {
	case string:
		if primitives[x] {
			return &Node{Type: x}, nil
		}
		if n, ok := p.named[fullName(x, ns)]; ok {
			return n, nil
		}
		if n, ok := p.named[x]; ok {
			return n, nil
		}
		return nil, fmt.Errorf("unknown type name %q", x)
	case []any:
		u := &Node{Type: "union"}
		seen := map[string]bool{}
		for _, b := range x {
			n, err := p.parse(b, ns)
			if err != nil {
				return nil, err
			}
			if n.Type == "union" {
				return nil, errors.New("a union may not immediately contain another union")
			}
			k := n.Type
			if n.Name != "" {
				k = n.Name
			}
			if seen[k] {
				return nil, fmt.Errorf("union has two branches of type %s", k)
			}
			seen[k] = true
			u.Branches = append(u.Branches, n)
		}
		return u, nil
	case map[string]any:
		return p.parseObject(x, ns)
	}
	return nil, fmt.Errorf("a schema must be a string, an object or an array, not %v", v)
}

var reservedAttrs = map[string]bool{
	"type": true, "name": true, "namespace": true, "aliases": true, "doc": true,
	"fields": true, "symbols": true, "default": true, "items": true, "values": true,
	"size": true, "logicalType": true, "precision": true, "scale": true,
}

func props(m map[string]any, reserved map[string]bool) map[string]any {
	var out map[string]any
	for k, v := range m {
		if reserved[k] {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	return out
}

func strAttr(m map[string]any, k string) (string, bool, error) {
	v, ok := m[k]
	if !ok {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", true, fmt.Errorf("attribute %q must be a string", k)
	}
	return s, true, nil
}

func intAttr(m map[string]any, k string) (int, bool, error) {
	v, ok := m[k]
	if !ok {
		return 0, false, nil
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, true, fmt.Errorf("attribute %q must be an integer", k)
	}
	i, err := strconv.Atoi(num.String())
	if err != nil {
		return 0, true, fmt.Errorf("attribute %q must be an integer", k)
	}
	return i, true, nil
}

func (p *parser) define(m map[string]any, ns string, typ string) (*Node, string, error) {
	name, ok, err := strAttr(m, "name")
	if err != nil {
		return nil, "", err
	}
	if !ok || name == "" {
		return nil, "", fmt.Errorf("a %s needs a name", typ)
	}
	if nsAttr, ok, err := strAttr(m, "namespace"); err != nil {
		return nil, "", err
	} else if ok && !strings.Contains(name, ".") {
		ns = nsAttr
	}
	full := fullName(name, ns)
	if !validFullName(full) {
		return nil, "", fmt.Errorf("invalid name %q: each part must match [A-Za-z_][A-Za-z0-9_]*", full)
	}
	if primitives[shortName(full)] && !strings.Contains(full, ".") {
		return nil, "", fmt.Errorf("a %s may not be named %q", typ, full)
	}
	if _, dup := p.named[full]; dup {
		return nil, "", fmt.Errorf("type %q is defined twice", full)
	}
	n := &Node{Type: typ, Name: full}
	p.named[full] = n
	n.Doc, _, _ = strAttr(m, "doc")
	own := namespaceOf(full)
	if a, ok := m["aliases"]; ok {
		list, ok := a.([]any)
		if !ok {
			return nil, "", fmt.Errorf("aliases of %s must be an array of names", full)
		}
		for _, e := range list {
			s, ok := e.(string)
			if !ok || !validFullName(s) {
				return nil, "", fmt.Errorf("invalid alias %v of %s", e, full)
			}
			n.Aliases = append(n.Aliases, fullName(s, own))
		}
	}
	return n, own, nil
}

func (p *parser) parseObject(m map[string]any, ns string) (*Node, error) {
	tv, ok := m["type"]
	if !ok {
		return nil, errors.New(`a schema object needs a "type"`)
	}
	typ, ok := tv.(string)
	if !ok {
		// {"type": {...}} or {"type": [...]}: a wrapped schema; attributes at this level
		// other than type are ignored, as Avro implementations do.
		return p.parse(tv, ns)
	}
	switch typ {
	case "record", "error":
		n, own, err := p.define(m, ns, "record")
		if err != nil {
			return nil, err
		}
		fv, ok := m["fields"].([]any)
		if !ok {
			return nil, fmt.Errorf("record %s needs a fields array", n.Name)
		}
		names := map[string]bool{}
		for _, f := range fv {
			fm, ok := f.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("record %s: each field must be an object", n.Name)
			}
			fld, err := p.parseField(fm, own)
			if err != nil {
				return nil, fmt.Errorf("record %s: %w", n.Name, err)
			}
			if names[fld.Name] {
				return nil, fmt.Errorf("record %s has two fields named %q", n.Name, fld.Name)
			}
			names[fld.Name] = true
			n.Fields = append(n.Fields, fld)
		}
		n.Props = props(m, reservedAttrs)
		return n, nil
	case "enum":
		n, _, err := p.define(m, ns, "enum")
		if err != nil {
			return nil, err
		}
		sv, ok := m["symbols"].([]any)
		if !ok {
			return nil, fmt.Errorf("enum %s needs a symbols array", n.Name)
		}
		seen := map[string]bool{}
		for _, s := range sv {
			str, ok := s.(string)
			if !ok || !validName(str) {
				return nil, fmt.Errorf("enum %s: invalid symbol %v", n.Name, s)
			}
			if seen[str] {
				return nil, fmt.Errorf("enum %s: duplicate symbol %q", n.Name, str)
			}
			seen[str] = true
			n.Symbols = append(n.Symbols, str)
		}
		if d, ok := m["default"]; ok && d != nil {
			s, ok := d.(string)
			if !ok || !seen[s] {
				return nil, fmt.Errorf("enum %s: default %v is not one of its symbols", n.Name, d)
			}
			n.EnumDefault, n.HasEnumDefault = s, true
		}
		n.Props = props(m, reservedAttrs)
		return n, nil
	case "array":
		iv, ok := m["items"]
		if !ok {
			return nil, errors.New(`an array needs "items"`)
		}
		items, err := p.parse(iv, ns)
		if err != nil {
			return nil, err
		}
		return &Node{Type: "array", Items: items, Props: props(m, reservedAttrs)}, nil
	case "map":
		vv, ok := m["values"]
		if !ok {
			return nil, errors.New(`a map needs "values"`)
		}
		values, err := p.parse(vv, ns)
		if err != nil {
			return nil, err
		}
		return &Node{Type: "map", Values: values, Props: props(m, reservedAttrs)}, nil
	case "fixed":
		n, _, err := p.define(m, ns, "fixed")
		if err != nil {
			return nil, err
		}
		size, ok, err := intAttr(m, "size")
		if err != nil || !ok || size < 0 {
			return nil, fmt.Errorf("fixed %s needs a non-negative integer size", n.Name)
		}
		n.Size = size
		if err := parseLogical(n, m); err != nil {
			return nil, err
		}
		n.Props = props(m, reservedAttrs)
		return n, nil
	}
	if !primitives[typ] {
		// {"type": "SomeName"}: a reference in object form.
		return p.parse(typ, ns)
	}
	n := &Node{Type: typ}
	if err := parseLogical(n, m); err != nil {
		return nil, err
	}
	n.Props = props(m, reservedAttrs)
	return n, nil
}

// parseLogical reads logicalType and the decimal attributes. An invalid logical type
// is ignored (the underlying type is used), as the specification says.
func parseLogical(n *Node, m map[string]any) error {
	lt, _, err := strAttr(m, "logicalType")
	if err != nil {
		return err
	}
	if lt == "" {
		return nil
	}
	valid := false
	switch lt {
	case "decimal":
		prec, _, err1 := intAttr(m, "precision")
		scale, _, err2 := intAttr(m, "scale")
		if err1 != nil || err2 != nil {
			return fmt.Errorf("decimal: %v", errors.Join(err1, err2))
		}
		valid = (n.Type == "bytes" || n.Type == "fixed") && prec > 0 && scale >= 0 && scale <= prec
		if n.Type == "fixed" && valid {
			// An n-byte fixed holds at most floor(log10(2^(8n-1) - 1)) digits.
			valid = float64(prec) <= math.Floor(math.Log10(math.Pow(2, float64(8*n.Size-1))-1))
		}
		if valid {
			n.Precision, n.Scale = prec, scale
		}
	case "date", "time-millis":
		valid = n.Type == "int"
	case "time-micros", "timestamp-millis", "timestamp-micros", "local-timestamp-millis",
		"local-timestamp-micros", "timestamp-nanos", "local-timestamp-nanos":
		valid = n.Type == "long"
	case "uuid":
		valid = n.Type == "string" || (n.Type == "fixed" && n.Size == 16)
	case "duration":
		valid = n.Type == "fixed" && n.Size == 12
	default:
		valid = true // an unknown logical type is kept as metadata
	}
	if valid {
		n.LogicalType = lt
	}
	return nil
}

func (p *parser) parseField(m map[string]any, ns string) (*Field, error) {
	name, _, err := strAttr(m, "name")
	if err != nil {
		return nil, err
	}
	if !validName(name) {
		return nil, fmt.Errorf("invalid field name %q: it must match [A-Za-z_][A-Za-z0-9_]*", name)
	}
	tv, ok := m["type"]
	if !ok {
		return nil, fmt.Errorf("field %q needs a type", name)
	}
	t, err := p.parse(tv, ns)
	if err != nil {
		return nil, fmt.Errorf("field %q: %w", name, err)
	}
	f := &Field{Name: name, Type: t}
	f.Doc, _, _ = strAttr(m, "doc")
	f.Order, _, _ = strAttr(m, "order")
	if a, ok := m["aliases"]; ok {
		list, ok := a.([]any)
		if !ok {
			return nil, fmt.Errorf("aliases of field %q must be an array of names", name)
		}
		for _, e := range list {
			s, ok := e.(string)
			if !ok || !validName(s) {
				return nil, fmt.Errorf("invalid alias %v of field %q", e, name)
			}
			f.Aliases = append(f.Aliases, s)
		}
	}
	if d, ok := m["default"]; ok {
		if err := validDefault(t, d, map[*Node]bool{}); err != nil {
			return nil, fmt.Errorf("field %q: default %s: %w", name, jsonText(d), err)
		}
		f.Default, f.HasDefault = d, true
	}
	f.Props = props(m, map[string]bool{"name": true, "type": true, "doc": true, "order": true,
		"aliases": true, "default": true})
	return f, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// validDefault checks a default value against its type.
func validDefault(t *Node, d any, seen map[*Node]bool) error {
	switch t.Type {
	case "null":
		if d != nil {
			return errors.New("is not null")
		}
	case "boolean":
		if _, ok := d.(bool); !ok {
			return errors.New("is not a boolean")
		}
	case "int", "long":
		n, ok := d.(json.Number)
		if !ok {
			return fmt.Errorf("is not an integer (%s)", t.Type)
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil || (t.Type == "int" && (i < math.MinInt32 || i > math.MaxInt32)) {
			return fmt.Errorf("is not a valid %s", t.Type)
		}
	case "float", "double":
		if _, ok := d.(json.Number); !ok {
			return fmt.Errorf("is not a number (%s)", t.Type)
		}
	case "bytes", "string", "enum":
		s, ok := d.(string)
		if !ok {
			return fmt.Errorf("is not a string (%s)", t.Type)
		}
		if t.Type == "enum" && !contains(t.Symbols, s) {
			return fmt.Errorf("is not a symbol of enum %s", t.Name)
		}
		if t.Type == "bytes" && !isByteString(s) {
			return errors.New("is not a byte string (code points 0-255)")
		}
	case "fixed":
		s, ok := d.(string)
		if !ok || !isByteString(s) || len([]rune(s)) != t.Size {
			return fmt.Errorf("is not a %d-byte string", t.Size)
		}
	case "array":
		a, ok := d.([]any)
		if !ok {
			return errors.New("is not an array")
		}
		for _, e := range a {
			if err := validDefault(t.Items, e, seen); err != nil {
				return err
			}
		}
	case "map":
		m, ok := d.(map[string]any)
		if !ok {
			return errors.New("is not an object")
		}
		for _, e := range m {
			if err := validDefault(t.Values, e, seen); err != nil {
				return err
			}
		}
	case "record":
		m, ok := d.(map[string]any)
		if !ok {
			return errors.New("is not an object")
		}
		if seen[t] {
			return nil
		}
		seen[t] = true
		defer delete(seen, t)
		for _, f := range t.Fields {
			v, ok := m[f.Name]
			if !ok {
				if f.HasDefault {
					continue
				}
				return fmt.Errorf("has no value for field %q", f.Name)
			}
			if err := validDefault(f.Type, v, seen); err != nil {
				return fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
	case "union":
		if len(t.Branches) == 0 {
			return errors.New("an empty union has no values")
		}
		if err := validDefault(t.Branches[0], d, seen); err != nil {
			return fmt.Errorf("does not match the union's first branch %s: %w", t.Branches[0].typeName(), err)
		}
	}
	return nil
}

func isByteString(s string) bool {
	for _, r := range s {
		if r > 255 {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// typeName is a short description for messages: "long", "record shop.Value",
// "bytes (decimal(10,2))", "union [null, string]".
func (n *Node) typeName() string {
	switch n.Type {
	case "record", "enum", "fixed":
		s := n.Type + " " + n.Name
		if n.LogicalType == "decimal" {
			s += fmt.Sprintf(" (decimal(%d,%d))", n.Precision, n.Scale)
		}
		return s
	case "array":
		return "array of " + n.Items.typeName()
	case "map":
		return "map of " + n.Values.typeName()
	case "union":
		parts := make([]string, len(n.Branches))
		for i, b := range n.Branches {
			parts[i] = b.typeName()
		}
		return "union [" + strings.Join(parts, ", ") + "]"
	}
	switch n.LogicalType {
	case "":
		return n.Type
	case "decimal":
		return fmt.Sprintf("%s (decimal(%d,%d))", n.Type, n.Precision, n.Scale)
	}
	return n.Type + " (" + n.LogicalType + ")"
}

// ShortName returns the unqualified name of a named type.
func (n *Node) ShortName() string { return shortName(n.Name) }

// Namespace returns the namespace of a named type.
func (n *Node) Namespace() string { return namespaceOf(n.Name) }

// Field returns the record field with the name, or nil.
func (n *Node) Field(name string) *Field {
	for _, f := range n.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// NonNull returns the non-null branch of a union of null and one other type, and
// whether the node is such a union. Other nodes are returned as they are.
func (n *Node) NonNull() (*Node, bool) {
	if n.Type != "union" || len(n.Branches) != 2 {
		return n, false
	}
	switch {
	case n.Branches[0].Type == "null":
		return n.Branches[1], true
	case n.Branches[1].Type == "null":
		return n.Branches[0], true
	}
	return n, false
}

// ConnectName returns the "connect.name" property (Debezium's semantic type name), or "".
func (n *Node) ConnectName() string {
	s, _ := n.Props["connect.name"].(string)
	return s
}

// ConnectParameter returns a "connect.parameters" entry, or "".
func (n *Node) ConnectParameter(key string) string {
	m, _ := n.Props["connect.parameters"].(map[string]any)
	s, _ := m[key].(string)
	return s
}

// String returns the schema's normalized JSON text (see MarshalJSON).
func (n *Node) String() string {
	b, err := n.MarshalJSON()
	if err != nil {
		return "<invalid schema: " + err.Error() + ">"
	}
	return string(b)
}

// MarshalJSON writes the schema as compact JSON in a fixed attribute order, with props
// sorted by key and each named type defined once (later uses are names). Two schemas
// that differ only in whitespace, attribute order or how their names are qualified
// give the same text: it is the form the registries compare, and the form
// AvroSchemas returns.
func (n *Node) MarshalJSON() ([]byte, error) {
	w := &writer{defined: map[string]bool{}}
	if err := w.node(n, ""); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

type writer struct {
	buf     bytes.Buffer
	defined map[string]bool
}

func (w *writer) str(s string) {
	b, _ := json.Marshal(s)
	w.buf.Write(b)
}

func (w *writer) key(k string) {
	w.buf.WriteByte(',')
	w.str(k)
	w.buf.WriteByte(':')
}

func (w *writer) value(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.buf.Write(b)
	return nil
}

func (w *writer) props(p map[string]any) error {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.key(k)
		if err := w.value(p[k]); err != nil {
			return err
		}
	}
	return nil
}

// relName writes a name relative to the enclosing namespace.
func relName(full, ns string) string {
	if namespaceOf(full) == ns {
		return shortName(full)
	}
	return full
}

func (w *writer) node(n *Node, ns string) error {
	switch n.Type {
	case "union":
		w.buf.WriteByte('[')
		for i, b := range n.Branches {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			if err := w.node(b, ns); err != nil {
				return err
			}
		}
		w.buf.WriteByte(']')
		return nil
	case "record", "enum", "fixed":
		if w.defined[n.Name] {
			w.str(relName(n.Name, ns))
			return nil
		}
		w.defined[n.Name] = true
		own := namespaceOf(n.Name)
		w.buf.WriteString(`{"type":`)
		w.str(n.Type)
		w.key("name")
		w.str(shortName(n.Name))
		if own != ns {
			w.key("namespace")
			w.str(own)
		}
		if n.Doc != "" {
			w.key("doc")
			w.str(n.Doc)
		}
		if len(n.Aliases) > 0 {
			w.key("aliases")
			w.buf.WriteByte('[')
			for i, a := range n.Aliases {
				if i > 0 {
					w.buf.WriteByte(',')
				}
				w.str(relName(a, own))
			}
			w.buf.WriteByte(']')
		}
		switch n.Type {
		case "record":
			w.key("fields")
			w.buf.WriteByte('[')
			for i, f := range n.Fields {
				if i > 0 {
					w.buf.WriteByte(',')
				}
				if err := w.field(f, own); err != nil {
					return err
				}
			}
			w.buf.WriteByte(']')
		case "enum":
			w.key("symbols")
			if err := w.value(n.Symbols); err != nil {
				return err
			}
			if n.HasEnumDefault {
				w.key("default")
				w.str(n.EnumDefault)
			}
		case "fixed":
			w.key("size")
			w.buf.WriteString(strconv.Itoa(n.Size))
		}
		w.logical(n)
		if err := w.props(n.Props); err != nil {
			return err
		}
		w.buf.WriteByte('}')
		return nil
	case "array", "map":
		w.buf.WriteString(`{"type":`)
		w.str(n.Type)
		var err error
		if n.Type == "array" {
			w.key("items")
			err = w.node(n.Items, ns)
		} else {
			w.key("values")
			err = w.node(n.Values, ns)
		}
		if err != nil {
			return err
		}
		if err := w.props(n.Props); err != nil {
			return err
		}
		w.buf.WriteByte('}')
		return nil
	}
	if n.LogicalType == "" && len(n.Props) == 0 {
		w.str(n.Type)
		return nil
	}
	w.buf.WriteString(`{"type":`)
	w.str(n.Type)
	w.logical(n)
	if err := w.props(n.Props); err != nil {
		return err
	}
	w.buf.WriteByte('}')
	return nil
}

func (w *writer) logical(n *Node) {
	if n.LogicalType == "" {
		return
	}
	w.key("logicalType")
	w.str(n.LogicalType)
	if n.LogicalType == "decimal" {
		w.key("precision")
		w.buf.WriteString(strconv.Itoa(n.Precision))
		w.key("scale")
		w.buf.WriteString(strconv.Itoa(n.Scale))
	}
}

func (w *writer) field(f *Field, ns string) error {
	w.buf.WriteString(`{"name":`)
	w.str(f.Name)
	if f.Doc != "" {
		w.key("doc")
		w.str(f.Doc)
	}
	w.key("type")
	if err := w.node(f.Type, ns); err != nil {
		return err
	}
	if f.HasDefault {
		w.key("default")
		if err := w.value(f.Default); err != nil {
			return err
		}
	}
	if f.Order != "" {
		w.key("order")
		w.str(f.Order)
	}
	if len(f.Aliases) > 0 {
		w.key("aliases")
		if err := w.value(f.Aliases); err != nil {
			return err
		}
	}
	if err := w.props(f.Props); err != nil {
		return err
	}
	w.buf.WriteByte('}')
	return nil
}
