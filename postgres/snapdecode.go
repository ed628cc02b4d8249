package postgres

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/arena"
)

// The snapshot reads its rows with decoders of its own, for the same Go values as the
// text decoders of types.go that the stream uses (TestDecodeTypesFromPostgres/snapshot
// compares them) at a fraction of the cost per row:
//
//   - fixed-width types come in binary result format: decoding is a load instead of a
//     parse, and the server skips their output functions;
//   - strings, the text of numerics and event IDs are cut from an arena.Strings, and values
//     are boxed into arena.Boxes: a few allocations per batch instead of about one per
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
		return snapColumn{dec: func(b []byte) (any, error) { return m.strs.Box(m.text.String(b)), nil }}
	case cdc.KindDecimal: // decodeNumeric
		return snapColumn{dec: fastNamed(name, func(b []byte) (any, error) {
			d, err := cdc.ParseDecimal(m.text.String(b))
			if err != nil {
				return nil, errBadSyntax
			}
			return m.nums.Box(d), nil
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
			return m.ints.Box(n), nil
		}
	case oidFloat4:
		return func(b []byte) (any, error) {
			if len(b) != 4 {
				return nil, errBinaryLength
			}
			return m.floats.Box(float64(math.Float32frombits(binary.BigEndian.Uint32(b)))), nil
		}
	case oidFloat8:
		return func(b []byte) (any, error) {
			if len(b) != 8 {
				return nil, errBinaryLength
			}
			return m.floats.Box(math.Float64frombits(binary.BigEndian.Uint64(b))), nil
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
				return m.times.Box(time.Unix(pgEpoch+int64(d)*86400, 0).UTC()), nil
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
				return m.times.Box(time.Unix(pgEpoch+sec, frac*1e3).UTC()), nil
			}
		}
	case oidTime: // microseconds since midnight
		return func(b []byte) (any, error) {
			if len(b) != 8 {
				return nil, errBinaryLength
			}
			return m.durs.Box(time.Duration(binary.BigEndian.Uint64(b)) * time.Microsecond), nil
		}
	case oidInterval: // microseconds, days, months: PostgreSQL 17's infinities are the extremes
		return func(b []byte) (any, error) {
			if len(b) != 16 {
				return nil, errBinaryLength
			}
			return m.ivals.Box(cdc.Interval{Microseconds: int64(binary.BigEndian.Uint64(b)),
				Days: int32(binary.BigEndian.Uint32(b[8:])), Months: int32(binary.BigEndian.Uint32(b[12:]))}), nil
		}
	case oidUUID: // 16 bytes, printed in the canonical lower-case form
		return func(b []byte) (any, error) {
			if len(b) != 16 {
				return nil, errBinaryLength
			}
			const hexDigits = "0123456789abcdef"
			out := m.text.Alloc(36)
			k := 0
			for i, c := range b {
				if i == 4 || i == 6 || i == 8 || i == 10 {
					out[k] = '-'
					k++
				}
				out[k], out[k+1] = hexDigits[c>>4], hexDigits[c&15]
				k += 2
			}
			return m.strs.Box(arena.Cut(out)), nil
		}
	}
	return nil
}

// snapMem is where one snapshot reader's values live.
type snapMem struct {
	text   arena.Strings
	ints   arena.Box[int64]
	floats arena.Box[float64]
	strs   arena.Box[string]
	times  arena.Box[time.Time]
	durs   arena.Box[time.Duration]
	nums   arena.Box[cdc.Decimal]
	ivals  arena.Box[cdc.Interval]
}
