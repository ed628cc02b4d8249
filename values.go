package cdc

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Unchanged is the value of a column whose value the source did not send because it did
// not change: a PostgreSQL TOAST column that an update left alone, or a column missing
// from a MySQL partial row image (binlog_row_image MINIMAL or NOBLOB, accepted with
// mysql.Config.AllowPartialRowImages). It is a typed marker, never a magic string:
// test for it with IsUnchanged or a type switch.
type Unchanged struct{}

func (Unchanged) String() string { return "<unchanged>" }

// IsUnchanged reports whether v is the Unchanged marker.
func IsUnchanged(v any) bool { _, ok := v.(Unchanged); return ok }

// Infinity is the value of a date or timestamp column holding PostgreSQL's
// 'infinity' (PositiveInfinity) or '-infinity' (NegativeInfinity).
type Infinity int8

// The two infinities.
const (
	NegativeInfinity Infinity = -1
	PositiveInfinity Infinity = 1
)

func (i Infinity) String() string {
	if i < 0 {
		return "-infinity"
	}
	return "infinity"
}

// MarshalText renders "infinity" or "-infinity".
func (i Infinity) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// Interval is a PostgreSQL interval: months and days are kept apart from the clock part
// because their length depends on the calendar.
type Interval struct {
	Months       int32
	Days         int32
	Microseconds int64
}

func (iv Interval) String() string {
	return fmt.Sprintf("%d mons %d days %d us", iv.Months, iv.Days, iv.Microseconds)
}

type decForm uint8

const (
	decFinite decForm = iota
	decNaN
	decPosInf
	decNegInf
)

// Decimal is an exact decimal number: numeric / decimal columns and BSON Decimal128.
// It keeps the value as written by the database (digits and scale), so 1.50 stays 1.50,
// and it represents NaN and ±Infinity, which PostgreSQL numeric allows.
// The zero value is 0.
type Decimal struct {
	form decForm
	// s is the canonical finite form: optional '-', digits, optional '.' and digits.
	// No exponent, no leading '+', no redundant leading zeros. Empty means "0".
	s string
}

// Decimal special values.
var (
	DecimalNaN    = Decimal{form: decNaN}
	DecimalPosInf = Decimal{form: decPosInf}
	DecimalNegInf = Decimal{form: decNegInf}
)

var errBadDecimal = errors.New("cdc: invalid decimal")

// ParseDecimal parses a decimal in plain or exponent notation ("-12.340", "1.5E+3"),
// or "NaN", "Infinity", "-Infinity" (also "inf", case-insensitive).
func ParseDecimal(s string) (Decimal, error) {
	if canonicalDecimal(s) { // what databases print, kept as is: no copy, no rebuild
		return Decimal{s: s}, nil
	}
	return parseDecimal(s)
}

func parseDecimal(s string) (Decimal, error) {
	switch strings.ToLower(s) {
	case "nan":
		return DecimalNaN, nil
	case "infinity", "+infinity", "inf", "+inf":
		return DecimalPosInf, nil
	case "-infinity", "-inf":
		return DecimalNegInf, nil
	}
	neg := false
	t := s
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg = t[0] == '-'
		t = t[1:]
	}
	exp := 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		// strconv.Atoi, not fmt.Sscanf: Sscanf skips leading spaces and ignores trailing
		// text, so "1e 5" and "1e3abc" used to be accepted.
		e, err := strconv.Atoi(t[i+1:])
		if err != nil || e > 1e6 || e < -1e6 {
			return Decimal{}, fmt.Errorf("%w: %q", errBadDecimal, s)
		}
		exp, t = e, t[:i]
	}
	intPart, frac := t, ""
	if i := strings.IndexByte(t, '.'); i >= 0 {
		intPart, frac = t[:i], t[i+1:]
	}
	if intPart == "" && frac == "" {
		return Decimal{}, fmt.Errorf("%w: %q", errBadDecimal, s)
	}
	for _, p := range [2]string{intPart, frac} {
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return Decimal{}, fmt.Errorf("%w: %q", errBadDecimal, s)
			}
		}
	}
	digits := intPart + frac
	scale := len(frac) - exp
	return newDecimal(neg, digits, scale), nil
}

// canonicalDecimal reports whether s is already in Decimal's canonical finite form:
// an optional '-' (not on a zero), digits without redundant leading zeros, and an
// optional '.' followed by at least one digit.
func canonicalDecimal(s string) bool {
	i := 0
	if s != "" && s[0] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if n := i - start; n == 0 || (n > 1 && s[start] == '0') {
		return false
	}
	nonzero := s[start] != '0'
	if i < len(s) {
		if s[i] != '.' {
			return false
		}
		i++
		frac := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nonzero = nonzero || s[i] != '0'
			i++
		}
		if i == frac || i != len(s) {
			return false
		}
	}
	return nonzero || s[0] != '-'
}

// MustParseDecimal is ParseDecimal for constants in tests and examples; it panics on bad input.
func MustParseDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// NewDecimal returns unscaled * 10^-scale.
// A nil unscaled is 0.
func NewDecimal(unscaled *big.Int, scale int32) Decimal {
	if unscaled == nil {
		return newDecimal(false, "0", int(scale))
	}
	digits := unscaled.String()
	neg := strings.HasPrefix(digits, "-")
	if neg {
		digits = digits[1:]
	}
	return newDecimal(neg, digits, int(scale))
}

// newDecimal builds the canonical form from a digit string and a scale (may be negative).
func newDecimal(neg bool, digits string, scale int) Decimal {
	if scale < 0 {
		digits += strings.Repeat("0", -scale)
		scale = 0
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	intPart, frac := digits[:len(digits)-scale], digits[len(digits)-scale:]
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	zero := intPart == "0" && strings.Trim(frac, "0") == ""
	var b strings.Builder
	if neg && !zero {
		b.WriteByte('-')
	}
	b.WriteString(intPart)
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return Decimal{s: b.String()}
}

// IsNaN reports whether d is NaN.
func (d Decimal) IsNaN() bool { return d.form == decNaN }

// IsInf reports whether d is an infinity; sign > 0 asks for +Inf, < 0 for -Inf, 0 for either.
func (d Decimal) IsInf(sign int) bool {
	switch d.form {
	case decPosInf:
		return sign >= 0
	case decNegInf:
		return sign <= 0
	}
	return false
}

// IsFinite reports whether d is neither NaN nor infinite.
func (d Decimal) IsFinite() bool { return d.form == decFinite }

// String returns the exact decimal text ("-12.340"), "NaN", "Infinity" or "-Infinity".
func (d Decimal) String() string {
	switch d.form {
	case decNaN:
		return "NaN"
	case decPosInf:
		return "Infinity"
	case decNegInf:
		return "-Infinity"
	}
	if d.s == "" {
		return "0"
	}
	return d.s
}

// Scale returns the number of digits after the decimal point (0 for non-finite values).
func (d Decimal) Scale() int32 {
	if i := strings.IndexByte(d.s, '.'); i >= 0 {
		return int32(len(d.s) - i - 1)
	}
	return 0
}

// Unscaled returns the digits as an integer and the scale: d = unscaled * 10^-scale.
// It fails for NaN and infinities.
func (d Decimal) Unscaled() (*big.Int, int32, error) {
	if d.form != decFinite {
		return nil, 0, fmt.Errorf("cdc: decimal %s has no unscaled value", d)
	}
	n, ok := new(big.Int).SetString(strings.Replace(d.String(), ".", "", 1), 10)
	if !ok {
		return nil, 0, fmt.Errorf("%w: %q", errBadDecimal, d.s)
	}
	return n, d.Scale(), nil
}

// Rat returns d as an exact rational. It fails for NaN and infinities.
func (d Decimal) Rat() (*big.Rat, error) {
	if d.form != decFinite {
		return nil, fmt.Errorf("cdc: decimal %s is not a finite number", d)
	}
	r, ok := new(big.Rat).SetString(d.String())
	if !ok {
		return nil, fmt.Errorf("%w: %q", errBadDecimal, d.s)
	}
	return r, nil
}

// Float64 returns the nearest float64 (NaN and ±Inf map to their float counterparts).
// It loses precision: use it for display, not arithmetic.
func (d Decimal) Float64() float64 {
	switch d.form {
	case decNaN:
		return math.NaN()
	case decPosInf:
		return math.Inf(1)
	case decNegInf:
		return math.Inf(-1)
	}
	// strconv.ParseFloat rounds once, correctly; a 64-bit big.Float followed by Float64
	// rounded twice and could miss the nearest float64. Out of range values come back
	// as ±Inf or ±0 together with an error, which is the answer wanted here.
	v, _ := strconv.ParseFloat(d.String(), 64)
	return v
}

// Equal reports whether d and e are the same number, ignoring trailing zeros
// (1.5 equals 1.50). NaN equals NaN here: this is value identity, not IEEE comparison.
func (d Decimal) Equal(e Decimal) bool {
	if d.form != decFinite || e.form != decFinite {
		return d.form == e.form
	}
	// Compare the canonical texts without trailing fractional zeros: linear, where
	// converting both sides to big.Rat was quadratic in the number of digits (seconds
	// for the million digits of "1e999999").
	return decimalTrimZeros(d.String()) == decimalTrimZeros(e.String())
}

// decimalTrimZeros drops the trailing zeros of the fraction of a canonical finite
// form, and the point when nothing is left after it: "1.500" → "1.5", "2.00" → "2".
func decimalTrimZeros(s string) string {
	if strings.IndexByte(s, '.') < 0 {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// MarshalText renders String, so JSON encodes a decimal as a string and keeps it exact.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses the ParseDecimal forms.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// AsInt64 converts any Go integer type to int64; ok is false for other types and for
// unsigned values above math.MaxInt64. Sources deliver int64 (and uint64 for unsigned
// 64-bit columns); transforms and user code may put other integer types in rows.
func AsInt64(v any) (n int64, ok bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	}
	return 0, false
}
