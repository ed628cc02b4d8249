package postgres

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/tributary-cdc/cdc"
)

// The snapshot reads its rows with decoders of its own, for the same Go values as the
// text decoders of types.go that the stream uses (TestDecodeTypesFromPostgres/snapshot
// compares them) at a fraction of the cost per row:
//
//   - fixed-width types come in binary result format: decoding is a load instead of a
//     parse, and the server skips their output functions;
//   - strings, the text of numerics and event IDs are cut from a strArena, and values
//     are boxed into boxSlabs: a few allocations per batch instead of about one per
//     value, which is what the snapshot's GC time was made of.
//
// Key columns stay in text format, except integers, whose text is formatted here: the
// key text goes into event IDs and resume positions, which must read as before.

// Result format codes of the extended query protocol.
const (
	textFormat   = 0
	binaryFormat = 1
)

// snapColumn is how the snapshot reads one column.
type snapColumn struct {
	format int16                     // textFormat or binaryFormat
	dec    func([]byte) (any, error) // nil for excluded columns
	intKey bool                      // binary integer: key text by strconv
}

// snapColumns picks the format and decoder of each column of t.
func (st *stream) snapColumns(t *snapTable, m *snapMem) []snapColumn {
	cols := make([]snapColumn, len(t.cols))
	for i, c := range t.cols {
		if j := t.rel.idx[i]; j >= 0 {
			col := t.rel.schema.Columns[j]
			cols[i] = snapColumnFor(c, col.Type, col.Kind, t.rel.decs[i], st.types, m)
		} else {
			cols[i] = snapColumnFor(c, "", 0, nil, st.types, m)
		}
	}
	return cols
}

// snapColumnFor picks how to read column c, given the display name, kind and text
// decoder that decoderFor made for it (text nil: the column is excluded).
func snapColumnFor(c catalogColumn, name string, kind cdc.Kind, text func([]byte) (any, error), types map[uint32]typeInfo, m *snapMem) snapColumn {
	base := baseOID(c.oid, types)
	isInt := base == oidInt2 || base == oidInt4 || base == oidInt8
	if text == nil {
		if c.pk && isInt { // still read, for the key text
			return snapColumn{format: binaryFormat, intKey: true}
		}
		return snapColumn{}
	}
	if dec := binaryDecoder(base, m); dec != nil && (!c.pk || isInt) {
		return snapColumn{format: binaryFormat, dec: fastNamed(name, dec), intKey: c.pk}
	}
	switch kind {
	case cdc.KindString, cdc.KindUnknown: // decodeString: see rawDecoder
		return snapColumn{dec: func(b []byte) (any, error) { return m.strs.box(m.text.str(b)), nil }}
	case cdc.KindDecimal: // decodeNumeric
		return snapColumn{dec: fastNamed(name, func(b []byte) (any, error) {
			d, err := cdc.ParseDecimal(m.text.str(b))
			if err != nil {
				return nil, errBadSyntax
			}
			return m.nums.box(d), nil
		})}
	}
	return snapColumn{dec: text}
}

// fastNamed is namedDecoder without the recover, for decoders that check their input
// length before indexing it.
func fastNamed(name string, raw func([]byte) (any, error)) func([]byte) (any, error) {
	return func(b []byte) (any, error) {
		v, err := raw(b)
		if err != nil {
			return nil, &decodeError{Type: name, Input: clipInput(b), Err: err}
		}
		return v, nil
	}
}

// appendKey appends the key text of a column value as PostgreSQL prints it.
func (c snapColumn) appendKey(dst, v []byte) []byte {
	if !c.intKey {
		return append(dst, v...)
	}
	if n, ok := binaryInt(v); ok {
		return strconv.AppendInt(dst, n, 10)
	}
	return dst
}

var errBinaryLength = errors.New("unexpected length of binary value")

// binaryInt reads an int2, int4 or int8 in binary format.
func binaryInt(b []byte) (int64, bool) {
	switch len(b) {
	case 2:
		return int64(int16(binary.BigEndian.Uint16(b))), true
	case 4:
		return int64(int32(binary.BigEndian.Uint32(b))), true
	case 8:
		return int64(binary.BigEndian.Uint64(b)), true
	}
	return 0, false
}

// pgEpoch is 2000-01-01 in Unix seconds, where PostgreSQL counts dates and timestamps from.
const pgEpoch = 946684800

// binaryDecoder returns the decoder of a type's binary format (its send function's
// output), or nil to read the type as text.
func binaryDecoder(oid uint32, m *snapMem) func([]byte) (any, error) {
	switch oid {
	case oidInt2, oidInt4, oidInt8:
		want := 8
		switch oid {
		case oidInt2:
			want = 2
		case oidInt4:
			want = 4
		}
		return func(b []byte) (any, error) {
			if len(b) != want {
				return nil, errBinaryLength
			}
			n, _ := binaryInt(b)
			return m.ints.box(n), nil
		}
	case oidFloat4:
		return func(b []byte) (any, error) {
			if len(b) != 4 {
				return nil, errBinaryLength
			}
			return m.floats.box(float64(math.Float32frombits(binary.BigEndian.Uint32(b)))), nil
		}
	case oidFloat8:
		return func(b []byte) (any, error) {
			if len(b) != 8 {
				return nil, errBinaryLength
			}
			return m.floats.box(math.Float64frombits(binary.BigEndian.Uint64(b))), nil
		}
	case oidBool:
		return func(b []byte) (any, error) {
			if len(b) != 1 {
				return nil, errBinaryLength
			}
			return b[0] != 0, nil
		}
	case oidDate: // days since 2000-01-01; the extremes are ±infinity
		return func(b []byte) (any, error) {
			if len(b) != 4 {
				return nil, errBinaryLength
			}
			switch d := int32(binary.BigEndian.Uint32(b)); d {
			case math.MaxInt32:
				return cdc.PositiveInfinity, nil
			case math.MinInt32:
				return cdc.NegativeInfinity, nil
			default:
				return m.times.box(time.Unix(pgEpoch+int64(d)*86400, 0).UTC()), nil
			}
		}
	case oidTimestamp, oidTimestampTZ: // microseconds since 2000-01-01 (UTC); extremes ±infinity
		return func(b []byte) (any, error) {
			if len(b) != 8 {
				return nil, errBinaryLength
			}
			switch us := int64(binary.BigEndian.Uint64(b)); us {
			case math.MaxInt64:
				return cdc.PositiveInfinity, nil
			case math.MinInt64:
				return cdc.NegativeInfinity, nil
			default:
				sec, frac := us/1e6, us%1e6
				if frac < 0 {
					sec, frac = sec-1, frac+1e6
				}
				return m.times.box(time.Unix(pgEpoch+sec, frac*1e3).UTC()), nil
			}
		}
	case oidTime: // microseconds since midnight
		return func(b []byte) (any, error) {
			if len(b) != 8 {
				return nil, errBinaryLength
			}
			return m.durs.box(time.Duration(binary.BigEndian.Uint64(b)) * time.Microsecond), nil
		}
	case oidInterval: // microseconds, days, months: PostgreSQL 17's infinities are the extremes
		return func(b []byte) (any, error) {
			if len(b) != 16 {
				return nil, errBinaryLength
			}
			return m.ivals.box(cdc.Interval{Microseconds: int64(binary.BigEndian.Uint64(b)),
				Days: int32(binary.BigEndian.Uint32(b[8:])), Months: int32(binary.BigEndian.Uint32(b[12:]))}), nil
		}
	case oidUUID: // 16 bytes, printed in the canonical lower-case form
		return func(b []byte) (any, error) {
			if len(b) != 16 {
				return nil, errBinaryLength
			}
			const hexDigits = "0123456789abcdef"
			out := m.text.alloc(36)
			k := 0
			for i, c := range b {
				if i == 4 || i == 6 || i == 8 || i == 10 {
					out[k] = '-'
					k++
				}
				out[k], out[k+1] = hexDigits[c>>4], hexDigits[c&15]
				k += 2
			}
			return m.strs.box(unsafe.String(&out[0], 36)), nil
		}
	}
	return nil
}

// snapMem is where one snapshot reader's values live.
type snapMem struct {
	text   strArena
	ints   boxSlab[int64]
	floats boxSlab[float64]
	strs   boxSlab[string]
	times  boxSlab[time.Time]
	durs   boxSlab[time.Duration]
	nums   boxSlab[cdc.Decimal]
	ivals  boxSlab[cdc.Interval]
}

// strArena cuts strings from large append-only buffers: one allocation per
// arenaChunk bytes of strings instead of one per value. Bytes handed out are never
// written again, as unsafe.String requires. A string keeps its whole chunk alive: for
// snapshot rows, which are handled and dropped batch by batch, that is some batches'
// worth of text at most, unless a handler keeps values for longer.
type strArena struct{ buf []byte }

const arenaChunk = 32 << 10 // the largest small-object size class

// alloc returns n bytes to write a string into, before handing it out.
func (a *strArena) alloc(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		if n > arenaChunk/8 { // a large value gets its own allocation
			return make([]byte, n)
		}
		a.buf = make([]byte, 0, arenaChunk)
	}
	m := len(a.buf)
	a.buf = a.buf[:m+n]
	return a.buf[m : m+n : m+n]
}

// str returns a string of b, copied into the arena.
func (a *strArena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	d := a.alloc(len(b))
	copy(d, b)
	return unsafe.String(&d[0], len(d))
}

// boxable are the types that boxSlab boxes: none is pointer-shaped, so an interface
// holding one points to its value.
type boxable interface {
	int64 | float64 | string | time.Time | time.Duration | cdc.Decimal | cdc.Interval
}

// boxSlab boxes values into interfaces that point into a shared array instead of a
// heap object each: one allocation per boxChunk values instead of one per value. It
// builds the interface from its two words (type, pointer to the value), the layout the
// gc compiler uses for every interface; TestBoxSlab checks it. A slot is written once,
// before its interface exists, and never again. A value keeps its whole chunk alive:
// as with strArena, some batches' worth at most unless a handler keeps values.
type boxSlab[T boxable] struct {
	typ  unsafe.Pointer // T's type word
	free []T
}

const boxChunk = 256

type eface struct{ typ, data unsafe.Pointer }

func (s *boxSlab[T]) box(v T) any {
	if len(s.free) == 0 {
		if s.typ == nil {
			var zero any = *new(T)
			s.typ = (*eface)(unsafe.Pointer(&zero)).typ
		}
		s.free = make([]T, boxChunk)
	}
	p := &s.free[0]
	*p = v
	s.free = s.free[1:]
	var out any
	*(*eface)(unsafe.Pointer(&out)) = eface{typ: s.typ, data: unsafe.Pointer(p)}
	return out
}
