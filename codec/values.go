package codec

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/schema"
)

// UnavailablePlaceholder is the value written for an unchanged TOAST column
// (cdc.Unchanged) in string and bytes columns: Debezium's default
// unavailable.value.placeholder. Decoders turn it back into cdc.Unchanged.
const UnavailablePlaceholder = "__debezium_unavailable_value"

// Sentinels for PostgreSQL's ±infinity dates and timestamps, which the Avro and
// Debezium encodings (days or microseconds since the epoch) cannot hold otherwise.
const (
	DatePosInfinity      = math.MaxInt32 // days
	DateNegInfinity      = math.MinInt32
	TimestampPosInfinity = math.MaxInt64 // microseconds
	TimestampNegInfinity = math.MinInt64
)

// ErrUnsupported is wrapped by errors about events or values an encoding cannot carry.
var ErrUnsupported = errors.New("codec: not representable")

// ValueError is an encoding or decoding failure of one column value.
type ValueError struct {
	Column string
	Kind   cdc.Kind
	Err    error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("codec: column %q (%s): %v", e.Column, e.Kind, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

func typeErr(v any, want string) error {
	return fmt.Errorf("%T is not a %s value", v, want)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// asInt64 accepts the integer types a KindInt column may hold.
func asInt64(v any) (int64, error) {
	if n, ok := cdc.AsInt64(v); ok {
		return n, nil
	}
	return 0, typeErr(v, "int64")
}

func asUint64(v any) (uint64, error) {
	switch x := v.(type) {
	case uint64:
		return x, nil
	case uint:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case int64:
		if x >= 0 {
			return uint64(x), nil
		}
	case int:
		if x >= 0 {
			return uint64(x), nil
		}
	}
	return 0, typeErr(v, "uint64")
}

func asFloat64(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	}
	return 0, typeErr(v, "float64")
}

func asDecimal(v any) (cdc.Decimal, error) {
	switch x := v.(type) {
	case cdc.Decimal:
		return x, nil
	case int64:
		return cdc.NewDecimal(big.NewInt(x), 0), nil
	case int:
		return cdc.NewDecimal(big.NewInt(int64(x)), 0), nil
	case uint64:
		return cdc.NewDecimal(new(big.Int).SetUint64(x), 0), nil
	}
	return cdc.Decimal{}, typeErr(v, "cdc.Decimal")
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// smallUnscaled is the fast path of the decimal encodings: a finite decimal of at most
// 18 digits at the scale (scale < 0: its own scale) as an int64, without big.Int.
func smallUnscaled(d cdc.Decimal, scale int) (n int64, s int, ok bool) {
	if !d.IsFinite() {
		return 0, 0, false
	}
	str := d.String()
	neg := str != "" && str[0] == '-'
	if neg {
		str = str[1:]
	}
	intPart, frac, _ := strings.Cut(str, ".")
	if scale < 0 {
		scale = len(frac)
	}
	for len(frac) > scale { // extra fractional digits must be zeros
		if frac[len(frac)-1] != '0' {
			return 0, 0, false
		}
		frac = frac[:len(frac)-1]
	}
	pad := scale - len(frac)
	if len(intPart)+len(frac)+pad > 18 {
		return 0, 0, false
	}
	for _, part := range [2]string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			n = n*10 + int64(part[i]-'0')
		}
	}
	n *= pow10[pad]
	if neg {
		n = -n
	}
	return n, scale, true
}

// twos64 writes the minimal big-endian two's complement of x into buf.
func twos64(x int64, buf *[9]byte) []byte {
	binary.BigEndian.PutUint64(buf[1:], uint64(x))
	buf[0] = 0
	if x < 0 {
		buf[0] = 0xFF
	}
	i := 0
	for i < 8 && (buf[i] == 0 && buf[i+1]&0x80 == 0 || buf[i] == 0xFF && buf[i+1]&0x80 != 0) {
		i++
	}
	return buf[i:]
}

// decimalInto is decimalBytes writing small values into buf (no allocation).
func decimalInto(v any, scale int, buf *[9]byte) ([]byte, error) {
	if d, ok := v.(cdc.Decimal); ok {
		if n, _, ok := smallUnscaled(d, scale); ok {
			return twos64(n, buf), nil
		}
	}
	return decimalBytes(v, scale)
}

// variableScaleInto is variableScale writing small values into buf.
func variableScaleInto(v any, buf *[9]byte) (int32, []byte, error) {
	if d, ok := v.(cdc.Decimal); ok {
		if n, s, ok := smallUnscaled(d, -1); ok {
			return int32(s), twos64(n, buf), nil
		}
	}
	return variableScale(v)
}

// uintInto is uintBytes writing into buf.
func uintInto(v any, buf *[9]byte) ([]byte, error) {
	u, err := asUint64(v)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint64(buf[1:], u)
	buf[0] = 0
	i := 0
	for i < 8 && buf[i] == 0 && buf[i+1]&0x80 == 0 {
		i++
	}
	return buf[i:], nil
}

// decimalBytes is the Avro / Connect Decimal representation at a fixed scale.
func decimalBytes(v any, scale int) ([]byte, error) {
	d, err := asDecimal(v)
	if err != nil {
		return nil, err
	}
	if !d.IsFinite() {
		return nil, unsupported("decimal %s: Avro and Kafka Connect decimals hold only finite numbers (PostgreSQL NaN and ±Infinity cannot be encoded; map them to NULL in a transform if that is acceptable)", d)
	}
	return schema.EncodeDecimal(d, scale)
}

// variableScale is the VariableScaleDecimal representation: the value's own scale
// and its unscaled bytes.
func variableScale(v any) (int32, []byte, error) {
	d, err := asDecimal(v)
	if err != nil {
		return 0, nil, err
	}
	if !d.IsFinite() {
		return 0, nil, unsupported("decimal %s: a VariableScaleDecimal holds only finite numbers (PostgreSQL NaN and ±Infinity cannot be encoded; map them to NULL in a transform if that is acceptable)", d)
	}
	u, s, err := d.Unscaled()
	if err != nil {
		return 0, nil, err
	}
	return s, schema.TwosComplement(u), nil
}

// maxScale bounds the scale a decoder accepts from data (PostgreSQL's numeric allows
// 16383 digits after the point): a corrupt scale must not make a huge string.
const maxScale = 16383

func checkScale(s int64) error {
	if s < -maxScale || s > maxScale {
		return fmt.Errorf("decimal scale %d out of range", s)
	}
	return nil
}

func uintBytes(v any) ([]byte, error) {
	u, err := asUint64(v)
	if err != nil {
		return nil, err
	}
	return schema.TwosComplement(new(big.Int).SetUint64(u)), nil
}

func bytesToUint(b []byte) (uint64, error) {
	d := schema.DecodeDecimal(b, 0)
	u, _, err := d.Unscaled()
	if err != nil || u.Sign() < 0 || !u.IsUint64() {
		return 0, fmt.Errorf("decimal %s is not an unsigned 64-bit integer", d)
	}
	return u.Uint64(), nil
}

var epoch = time.Unix(0, 0).UTC()

func dateDays(v any) (int32, error) {
	switch x := v.(type) {
	case time.Time:
		days := x.Unix() / 86400
		if x.Unix() < 0 && x.Unix()%86400 != 0 {
			days-- // floor
		}
		if days > math.MaxInt32-1 || days < math.MinInt32+1 {
			return 0, unsupported("date %s is out of range", x.Format("2006-01-02"))
		}
		return int32(days), nil
	case cdc.Infinity:
		if x > 0 {
			return DatePosInfinity, nil
		}
		return DateNegInfinity, nil
	}
	return 0, typeErr(v, "time.Time")
}

func daysDate(d int64) any {
	switch d {
	case DatePosInfinity:
		return cdc.PositiveInfinity
	case DateNegInfinity:
		return cdc.NegativeInfinity
	}
	return epoch.AddDate(0, 0, int(d))
}

func timeMicros(v any) (int64, error) {
	if x, ok := v.(time.Duration); ok {
		return x.Microseconds(), nil
	}
	return 0, typeErr(v, "time.Duration")
}

func tsMicros(v any) (int64, error) {
	switch x := v.(type) {
	case time.Time:
		us := x.UnixMicro()
		if us == TimestampPosInfinity || us == TimestampNegInfinity {
			return 0, unsupported("timestamp %s is out of range", x)
		}
		return us, nil
	case cdc.Infinity:
		if x > 0 {
			return TimestampPosInfinity, nil
		}
		return TimestampNegInfinity, nil
	}
	return 0, typeErr(v, "time.Time")
}

func microsTimestamp(us int64) any {
	switch us {
	case TimestampPosInfinity:
		return cdc.PositiveInfinity
	case TimestampNegInfinity:
		return cdc.NegativeInfinity
	}
	return time.UnixMicro(us).UTC()
}

// textOf returns the string form of the string-carried kinds.
func textOf(kind cdc.Kind, v any) (string, error) {
	switch kind {
	case cdc.KindString, cdc.KindUUID, cdc.KindUnknown:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case fmt.Stringer:
			if kind == cdc.KindUnknown {
				return x.String(), nil
			}
		}
		return "", typeErr(v, "string")
	case cdc.KindJSON:
		switch x := v.(type) {
		case json.RawMessage:
			return string(x), nil
		case []byte:
			return string(x), nil
		case string:
			return x, nil
		}
		return "", typeErr(v, "json.RawMessage")
	case cdc.KindSet:
		switch x := v.(type) {
		case []string:
			return strings.Join(x, ","), nil
		case string:
			return x, nil
		}
		return "", typeErr(v, "[]string")
	case cdc.KindInterval:
		if x, ok := v.(cdc.Interval); ok {
			return IntervalISO(x), nil
		}
		return "", typeErr(v, "cdc.Interval")
	case cdc.KindDocument:
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	return "", fmt.Errorf("kind %s is not carried as text", kind)
}

// fromText is the inverse of textOf.
func fromText(kind cdc.Kind, s string) (any, error) {
	switch kind {
	case cdc.KindJSON:
		return json.RawMessage(s), nil
	case cdc.KindSet:
		if s == "" {
			return []string{}, nil
		}
		return strings.Split(s, ","), nil
	case cdc.KindInterval:
		return ParseIntervalISO(s)
	case cdc.KindDocument:
		return decodeDocument([]byte(s))
	}
	return s, nil
}

func decodeDocument(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	for k, v := range m {
		m[k] = plainNumbers(v)
	}
	return m, nil
}

// plainNumbers turns json.Number into int64 (when integral) or float64.
func plainNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plainNumbers(e)
		}
	}
	return v
}

// IntervalISO renders an interval as an ISO-8601 duration with every component, the
// way Debezium's interval.handling.mode=string does: "P1Y2M3DT4H5M6.78S". Months are
// split into years and months, microseconds into hours, minutes and seconds; each
// component carries its own sign ("P0Y0M0DT-1H-30M0S").
func IntervalISO(iv cdc.Interval) string {
	us := iv.Microseconds
	h := us / 3_600_000_000
	us -= h * 3_600_000_000
	m := us / 60_000_000
	us -= m * 60_000_000
	b := make([]byte, 0, 40)
	b = append(b, 'P')
	b = strconv.AppendInt(b, int64(iv.Months/12), 10)
	b = append(b, 'Y')
	b = strconv.AppendInt(b, int64(iv.Months%12), 10)
	b = append(b, 'M')
	b = strconv.AppendInt(b, int64(iv.Days), 10)
	b = append(b, "DT"...)
	b = strconv.AppendInt(b, h, 10)
	b = append(b, 'H')
	b = strconv.AppendInt(b, m, 10)
	b = append(b, 'M')
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1_000_000, 10)
	if frac := us % 1_000_000; frac != 0 {
		f := strconv.FormatInt(frac+1_000_000, 10)[1:]
		b = append(b, '.')
		b = append(b, strings.TrimRight(f, "0")...)
	}
	b = append(b, 'S')
	return string(b)
}

// ParseIntervalISO parses ISO-8601 durations as IntervalISO writes them, and the
// shorter forms with components left out ("P3D", "PT1.5S", "-P1Y" is not accepted:
// signs go on components). Weeks ("P2W") count as 7 days.
func ParseIntervalISO(s string) (cdc.Interval, error) {
	bad := func() (cdc.Interval, error) {
		return cdc.Interval{}, fmt.Errorf("invalid ISO-8601 interval %q", s)
	}
	if len(s) < 2 || s[0] != 'P' {
		return bad()
	}
	var iv cdc.Interval
	timePart := false
	rest := s[1:]
	for rest != "" {
		if rest[0] == 'T' {
			if timePart {
				return bad()
			}
			timePart = true
			rest = rest[1:]
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] == '-' || rest[i] == '+' || rest[i] == '.' || rest[i] >= '0' && rest[i] <= '9') {
			i++
		}
		if i == 0 || i == len(rest) {
			return bad()
		}
		num, unit := rest[:i], rest[i]
		rest = rest[i+1:]
		if timePart && unit == 'S' {
			neg := strings.HasPrefix(num, "-")
			num = strings.TrimLeft(num, "+-")
			whole, frac, _ := strings.Cut(num, ".")
			if len(frac) > 6 {
				return bad()
			}
			sec, err := strconv.ParseInt(whole, 10, 64)
			if err != nil {
				return bad()
			}
			f := int64(0)
			if frac != "" {
				if f, err = strconv.ParseInt((frac + "000000")[:6], 10, 64); err != nil {
					return bad()
				}
			}
			us := sec*1_000_000 + f
			if neg {
				us = -us
			}
			iv.Microseconds += us
			continue
		}
		n, err := strconv.ParseInt(num, 10, 32)
		if err != nil || n > math.MaxInt32/12 || n < math.MinInt32/12 {
			return bad()
		}
		switch {
		case !timePart && unit == 'Y':
			iv.Months += int32(n * 12)
		case !timePart && unit == 'M':
			iv.Months += int32(n)
		case !timePart && unit == 'W':
			iv.Days += int32(n * 7)
		case !timePart && unit == 'D':
			iv.Days += int32(n)
		case timePart && unit == 'H':
			iv.Microseconds += n * 3_600_000_000
		case timePart && unit == 'M':
			iv.Microseconds += n * 60_000_000
		default:
			return bad()
		}
	}
	return iv, nil
}

func timeFromMicros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }
