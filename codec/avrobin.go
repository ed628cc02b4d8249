package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/schema"
)

// This file is the Avro binary encoding (specification, "Binary Encoding") of the
// schemas package schema derives, written and read directly from cdc values: no
// intermediate generic values, so encoding allocates only the output.

func appendLong(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63) // zig-zag
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

func appendBytes(b, v []byte) []byte {
	b = appendLong(b, int64(len(v)))
	return append(b, v...)
}

func appendString(b []byte, v string) []byte {
	b = appendLong(b, int64(len(v)))
	return append(b, v...)
}

func appendFloat(b []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

func appendDouble(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// fixedBytes sign-extends (or checks) two's complement bytes to a fixed size.
func fixedBytes(v []byte, size int) ([]byte, error) {
	if len(v) > size {
		return nil, unsupported("decimal needs %d bytes, the fixed type has %d", len(v), size)
	}
	out := make([]byte, size)
	fill := byte(0)
	if len(v) > 0 && v[0]&0x80 != 0 {
		fill = 0xFF
	}
	for i := 0; i < size-len(v); i++ {
		out[i] = fill
	}
	copy(out[size-len(v):], v)
	return out, nil
}

// appendField writes one column value of a row (null handling included).
func appendField(b []byte, c *col, v any, present bool) ([]byte, error) {
	if !present || v == nil {
		if !c.nullable {
			if !present {
				return nil, &ValueError{Column: c.column, Kind: c.kind, Err: errors.New("the row lacks this NOT NULL column")}
			}
			return nil, &ValueError{Column: c.column, Kind: c.kind, Err: errors.New("NULL in a column the schema says is NOT NULL")}
		}
		return appendLong(b, int64(c.nullIdx)), nil
	}
	if c.nullable {
		b = appendLong(b, int64(1-c.nullIdx))
	}
	out, err := appendValue(b, c, v)
	if err != nil {
		var ve *ValueError
		if errors.As(err, &ve) {
			return nil, err
		}
		return nil, &ValueError{Column: c.column, Kind: c.kind, Err: err}
	}
	return out, nil
}

func appendValue(b []byte, c *col, v any) ([]byte, error) {
	if _, ok := v.(cdc.Unchanged); ok {
		switch {
		case c.t.Type == "string":
			return appendString(b, UnavailablePlaceholder), nil
		case c.t.Type == "bytes" && c.kind == cdc.KindBytes:
			return appendString(b, UnavailablePlaceholder), nil
		}
		return nil, unsupported("an unchanged TOAST value cannot be encoded as %s: set REPLICA IDENTITY FULL on the table so that updates carry every column", c.t.Type)
	}
	switch c.kind {
	case cdc.KindBool:
		x, ok := v.(bool)
		if !ok {
			return nil, typeErr(v, "bool")
		}
		return appendBool(b, x), nil
	case cdc.KindInt:
		x, err := asInt64(v)
		if err != nil {
			return nil, err
		}
		if c.isInt && (x < math.MinInt32 || x > math.MaxInt32) {
			return nil, unsupported("%d does not fit the Avro int", x)
		}
		return appendLong(b, x), nil
	case cdc.KindUint:
		var buf [9]byte
		x, err := uintInto(v, &buf)
		if err != nil {
			return nil, err
		}
		return appendBytes(b, x), nil
	case cdc.KindFloat:
		x, err := asFloat64(v)
		if err != nil {
			return nil, err
		}
		if c.float32 {
			return appendFloat(b, float32(x)), nil
		}
		return appendDouble(b, x), nil
	case cdc.KindDecimal:
		if c.vsd {
			var buf [9]byte
			scale, u, err := variableScaleInto(v, &buf)
			if err != nil {
				return nil, err
			}
			return appendBytes(appendLong(b, int64(scale)), u), nil
		}
		var buf [9]byte
		x, err := decimalInto(v, c.scale, &buf)
		if err != nil {
			return nil, err
		}
		if c.t.Type == "fixed" {
			if x, err = fixedBytes(x, c.t.Size); err != nil {
				return nil, err
			}
			return append(b, x...), nil
		}
		return appendBytes(b, x), nil
	case cdc.KindBytes:
		var x []byte
		switch y := v.(type) {
		case []byte:
			x = y
		case string:
			x = []byte(y)
		default:
			return nil, typeErr(v, "[]byte")
		}
		if c.t.Type == "fixed" {
			if len(x) != c.t.Size {
				return nil, unsupported("%d bytes for a %d-byte fixed type", len(x), c.t.Size)
			}
			return append(b, x...), nil
		}
		return appendBytes(b, x), nil
	case cdc.KindDate:
		d, err := dateDays(v)
		if err != nil {
			return nil, err
		}
		return appendLong(b, int64(d)), nil
	case cdc.KindTime:
		us, err := timeMicros(v)
		if err != nil {
			return nil, err
		}
		if c.millis {
			us /= 1000
		}
		return appendLong(b, us), nil
	case cdc.KindTimestamp:
		us, err := tsMicros(v)
		if err != nil {
			return nil, err
		}
		if c.millis && us != TimestampPosInfinity && us != TimestampNegInfinity {
			us /= 1000
		}
		return appendLong(b, us), nil
	case cdc.KindArray:
		return appendArray(b, c, v)
	}
	// The kinds carried as text.
	if c.t.Type == "enum" {
		s, err := textOf(c.kind, v)
		if err != nil {
			return nil, err
		}
		for i, sym := range c.t.Symbols {
			if sym == s {
				return appendLong(b, int64(i)), nil
			}
		}
		return nil, unsupported("%q is not a symbol of enum %s", s, c.t.Name)
	}
	if c.t.Type != "string" {
		return nil, unsupported("kind %s as Avro %s is not supported by this encoder", c.kind, c.t.Type)
	}
	s, err := textOf(c.kind, v)
	if err != nil {
		return nil, err
	}
	return appendString(b, s), nil
}

func appendArray(b []byte, c *col, v any) ([]byte, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []string:
		items = make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
	default:
		return nil, typeErr(v, "[]any")
	}
	if len(items) > 0 {
		b = appendLong(b, int64(len(items)))
		for i, e := range items {
			if _, nested := e.([]any); nested && c.elem.kind != cdc.KindArray {
				return nil, unsupported("element %d is an array: multi-dimensional arrays are not supported", i)
			}
			var err error
			if b, err = appendField(b, c.elem, e, true); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
	}
	return append(b, 0), nil
}

// appendRow writes a row as the record of plan.
func appendRow(b []byte, p *rowPlan, r cdc.Row, checkExtra bool) ([]byte, error) {
	found := 0
	for i, c := range p.cols {
		v, ok := lookup(r, i, c.column)
		if ok {
			found++
		}
		var err error
		if b, err = appendField(b, c, v, ok); err != nil {
			return nil, err
		}
	}
	if checkExtra {
		if err := p.checkExtra(r, found); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// reader reads the Avro binary encoding.
type reader struct {
	b   []byte
	off int
}

var errShort = errors.New("codec: Avro data ends early")

func (r *reader) long() (int64, error) {
	var u uint64
	for shift := uint(0); shift < 70; shift += 7 {
		if r.off >= len(r.b) {
			return 0, errShort
		}
		c := r.b[r.off]
		r.off++
		u |= uint64(c&0x7F) << shift
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, errors.New("codec: Avro varint longer than 10 bytes")
}

func (r *reader) int() (int32, error) {
	v, err := r.long()
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("codec: Avro int %d out of range", v)
	}
	return int32(v), nil
}

func (r *reader) n(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, errShort
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v, nil
}

func (r *reader) bytes() ([]byte, error) {
	l, err := r.long()
	if err != nil {
		return nil, err
	}
	if l < 0 || l > int64(len(r.b)-r.off) {
		return nil, errShort
	}
	v, _ := r.n(int(l))
	return append([]byte(nil), v...), nil
}

func (r *reader) str() (string, error) {
	l, err := r.long()
	if err != nil {
		return "", err
	}
	if l < 0 || l > int64(len(r.b)-r.off) {
		return "", errShort
	}
	v, _ := r.n(int(l))
	return string(v), nil
}

func (r *reader) boolean() (bool, error) {
	v, err := r.n(1)
	if err != nil {
		return false, err
	}
	switch v[0] {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("codec: Avro boolean byte %d", v[0])
}

func (r *reader) float() (float32, error) {
	v, err := r.n(4)
	if err != nil {
		return 0, err
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(v)), nil
}

func (r *reader) double() (float64, error) {
	v, err := r.n(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(v)), nil
}

// unionIndex reads a union branch index and checks it.
func (r *reader) unionIndex(n *schema.Node) (int, error) {
	i, err := r.long()
	if err != nil {
		return 0, err
	}
	if i < 0 || int(i) >= len(n.Branches) {
		return 0, fmt.Errorf("codec: union branch %d of %d", i, len(n.Branches))
	}
	return int(i), nil
}

// blocks reads array or map blocks, calling item for each element.
func (r *reader) blocks(item func() error) error {
	for total := 0; ; {
		n, err := r.long()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if n < 0 {
			n = -n
			if _, err := r.long(); err != nil { // block size in bytes
				return err
			}
		}
		total += int(n)
		if total > len(r.b) { // every item takes at least a byte... or none: bound anyway
			return fmt.Errorf("codec: Avro block of %d items exceeds the data", n)
		}
		for i := int64(0); i < n; i++ {
			if err := item(); err != nil {
				return err
			}
		}
	}
}

// generic reads any value of n into plain Go values: nil, bool, int64, float64,
// string, []byte, []any, map[string]any. It reads fields the decoder does not know
// and foreign types.
func (r *reader) generic(n *schema.Node) (any, error) {
	switch n.Type {
	case "null":
		return nil, nil
	case "boolean":
		return r.boolean()
	case "int", "long":
		return r.long()
	case "float":
		f, err := r.float()
		return float64(f), err
	case "double":
		return r.double()
	case "bytes":
		return r.bytes()
	case "string":
		return r.str()
	case "fixed":
		v, err := r.n(n.Size)
		return append([]byte(nil), v...), err
	case "enum":
		i, err := r.long()
		if err != nil {
			return nil, err
		}
		if i < 0 || int(i) >= len(n.Symbols) {
			return nil, fmt.Errorf("codec: enum index %d of %d", i, len(n.Symbols))
		}
		return n.Symbols[i], nil
	case "union":
		i, err := r.unionIndex(n)
		if err != nil {
			return nil, err
		}
		return r.generic(n.Branches[i])
	case "array":
		var out []any
		err := r.blocks(func() error {
			v, err := r.generic(n.Items)
			out = append(out, v)
			return err
		})
		return out, err
	case "map":
		out := map[string]any{}
		err := r.blocks(func() error {
			k, err := r.str()
			if err != nil {
				return err
			}
			out[k], err = r.generic(n.Values)
			return err
		})
		return out, err
	case "record":
		out := make(map[string]any, len(n.Fields))
		for _, f := range n.Fields {
			v, err := r.generic(f.Type)
			if err != nil {
				return nil, err
			}
			out[f.Name] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("codec: unknown Avro type %q", n.Type)
}

// field reads one column value (null handling included).
func (r *reader) field(c *col, whole *schema.Node) (any, error) {
	if whole.Type == "union" {
		i, err := r.unionIndex(whole)
		if err != nil {
			return nil, err
		}
		if whole.Branches[i].Type == "null" {
			return nil, nil
		}
		if !c.nullable {
			return r.generic(whole.Branches[i])
		}
	}
	v, err := r.value(c)
	if err != nil {
		return nil, &ValueError{Column: c.column, Kind: c.kind, Err: err}
	}
	return v, nil
}

func (r *reader) value(c *col) (any, error) {
	t := c.t
	switch c.kind {
	case cdc.KindBool:
		return r.boolean()
	case cdc.KindInt:
		return r.long()
	case cdc.KindUint:
		b, err := r.bytes()
		if err != nil {
			return nil, err
		}
		return bytesToUint(b)
	case cdc.KindFloat:
		if c.float32 {
			f, err := r.float()
			return float64(f), err
		}
		return r.double()
	case cdc.KindDecimal:
		if c.vsd {
			m, err := r.generic(t)
			if err != nil {
				return nil, err
			}
			rec, _ := m.(map[string]any)
			scale, _ := rec["scale"].(int64)
			u, _ := rec["value"].([]byte)
			if err := checkScale(scale); err != nil {
				return nil, err
			}
			return schema.DecodeDecimal(u, int(scale)), nil
		}
		var b []byte
		var err error
		if t.Type == "fixed" {
			b, err = r.n(t.Size)
		} else {
			b, err = r.bytes()
		}
		if err != nil {
			return nil, err
		}
		return schema.DecodeDecimal(b, c.scale), nil
	case cdc.KindBytes:
		var b []byte
		var err error
		if t.Type == "fixed" {
			var v []byte
			v, err = r.n(t.Size)
			b = append([]byte(nil), v...)
		} else {
			b, err = r.bytes()
		}
		if err == nil && string(b) == UnavailablePlaceholder {
			return cdc.Unchanged{}, nil
		}
		return b, err
	case cdc.KindDate:
		d, err := r.long()
		if err != nil {
			return nil, err
		}
		return daysDate(d), nil
	case cdc.KindTime:
		us, err := r.long()
		if c.millis {
			us *= 1000
		}
		return timeFromMicros(us), err
	case cdc.KindTimestamp:
		us, err := r.long()
		if c.millis && us != TimestampPosInfinity && us != TimestampNegInfinity {
			us *= 1000
		}
		return microsTimestamp(us), err
	case cdc.KindArray:
		if t.Type != "array" {
			return r.generic(t)
		}
		out := []any{}
		err := r.blocks(func() error {
			v, err := r.field(c.elem, t.Items)
			out = append(out, v)
			return err
		})
		return out, err
	}
	switch t.Type {
	case "string":
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		if s == UnavailablePlaceholder {
			return cdc.Unchanged{}, nil
		}
		return fromText(c.kind, s)
	case "enum":
		return r.generic(t)
	}
	v, err := r.generic(t)
	if err != nil {
		return nil, err
	}
	if c.kind == cdc.KindDocument {
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
	}
	return v, nil
}

// readRow reads a record of plan into a row.
func (r *reader) row(p *rowPlan) (cdc.Row, error) {
	vals := make([]any, len(p.cols))
	for i, c := range p.cols {
		v, err := r.field(c, p.rec.Fields[i].Type)
		if err != nil {
			return cdc.Row{}, err
		}
		vals[i] = v
	}
	return cdc.NewRow(p.names, vals), nil
}
