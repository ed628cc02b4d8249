package cdc_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in    string
		want  string // String() of the result
		scale int32
	}{
		{"0", "0", 0},
		{"12.340", "12.340", 3},
		{"-12.340", "-12.340", 3},
		{"+7", "7", 0},
		{"1.5", "1.5", 1},
		{"1.50", "1.50", 2},
		{".5", "0.5", 1},
		{"-.5", "-0.5", 1},
		{"5.", "5", 0},
		{"007.50", "7.50", 2},
		{"0000", "0", 0},
		{"-0", "0", 0},
		// Negative zero loses its sign but keeps its scale.
		{"-0.00", "0.00", 2},
		{"+0.000", "0.000", 3},
		{"1.5E+3", "1500", 0},
		{"1.5e3", "1500", 0},
		{"1e-2", "0.01", 2},
		{"1E0", "1", 0},
		{"1.50e1", "15.0", 1},
		{"-1.5e-3", "-0.0015", 4},
		{"12e-1", "1.2", 1},
		{"0e5", "0", 0},
		{"0.0e-2", "0.000", 3},
		{"123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789", 9},
		{"-99999999999999999999.99", "-99999999999999999999.99", 2},
	}
	for _, tt := range tests {
		d, err := cdc.ParseDecimal(tt.in)
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", tt.in, err)
			continue
		}
		if got := d.String(); got != tt.want {
			t.Errorf("ParseDecimal(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if got := d.Scale(); got != tt.scale {
			t.Errorf("ParseDecimal(%q).Scale() = %d, want %d", tt.in, got, tt.scale)
		}
		if !d.IsFinite() || d.IsNaN() || d.IsInf(0) {
			t.Errorf("ParseDecimal(%q) is not finite", tt.in)
		}
	}
}

func TestParseDecimalSpecial(t *testing.T) {
	tests := []struct {
		in   string
		want cdc.Decimal
		str  string
	}{
		{"NaN", cdc.DecimalNaN, "NaN"},
		{"nan", cdc.DecimalNaN, "NaN"},
		{"NAN", cdc.DecimalNaN, "NaN"},
		{"Infinity", cdc.DecimalPosInf, "Infinity"},
		{"+Infinity", cdc.DecimalPosInf, "Infinity"},
		{"infinity", cdc.DecimalPosInf, "Infinity"},
		{"inf", cdc.DecimalPosInf, "Infinity"},
		{"INF", cdc.DecimalPosInf, "Infinity"},
		{"+inf", cdc.DecimalPosInf, "Infinity"},
		{"-Infinity", cdc.DecimalNegInf, "-Infinity"},
		{"-inf", cdc.DecimalNegInf, "-Infinity"},
	}
	for _, tt := range tests {
		d, err := cdc.ParseDecimal(tt.in)
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", tt.in, err)
			continue
		}
		if d != tt.want || d.String() != tt.str {
			t.Errorf("ParseDecimal(%q) = %v, want %v", tt.in, d, tt.str)
		}
		if d.IsFinite() {
			t.Errorf("ParseDecimal(%q).IsFinite() = true", tt.in)
		}
		if d.Scale() != 0 {
			t.Errorf("ParseDecimal(%q).Scale() = %d, want 0", tt.in, d.Scale())
		}
	}
	if !cdc.DecimalNaN.IsNaN() || cdc.DecimalNaN.IsInf(0) {
		t.Error("DecimalNaN: IsNaN/IsInf wrong")
	}
	for _, c := range []struct {
		d    cdc.Decimal
		sign int
		want bool
	}{
		{cdc.DecimalPosInf, 1, true}, {cdc.DecimalPosInf, 0, true}, {cdc.DecimalPosInf, -1, false},
		{cdc.DecimalNegInf, -1, true}, {cdc.DecimalNegInf, 0, true}, {cdc.DecimalNegInf, 1, false},
		{cdc.MustParseDecimal("1"), 0, false}, {cdc.DecimalNaN, 0, false},
	} {
		if got := c.d.IsInf(c.sign); got != c.want {
			t.Errorf("%v.IsInf(%d) = %v, want %v", c.d, c.sign, got, c.want)
		}
	}
}

func TestParseDecimalInvalid(t *testing.T) {
	for _, in := range []string{
		"", "1.2.3", "abc", "1e", "--1", " 1", "1 ", "1e 5", "1e3abc", "1e5e3", "1e+", "1e-",
		".", "-", "+", "e5", ".e1", "-.", "0x10", "1_000", "1,5", "++1", "+-1", "1e1000001",
		"1e-1000001", "1e99999999999999999999", "-nan", "+nan", "infinite", "١", "1.5e1.5",
	} {
		d, err := cdc.ParseDecimal(in)
		if err == nil {
			t.Errorf("ParseDecimal(%q) = %v, want an error", in, d)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Errorf("ParseDecimal(%q) error %q does not quote the input", in, err)
		}
	}
}

func TestDecimalZeroValue(t *testing.T) {
	var d cdc.Decimal
	if d.String() != "0" || !d.IsFinite() || d.Scale() != 0 {
		t.Errorf("zero Decimal = %q scale %d finite %v", d, d.Scale(), d.IsFinite())
	}
	if !d.Equal(cdc.MustParseDecimal("-0.000")) {
		t.Error("zero Decimal != -0.000")
	}
	if f := d.Float64(); f != 0 {
		t.Errorf("zero Decimal Float64 = %v", f)
	}
	n, s, err := d.Unscaled()
	if err != nil || n.Sign() != 0 || s != 0 {
		t.Errorf("zero Decimal Unscaled = %v, %d, %v", n, s, err)
	}
}

func TestMustParseDecimalPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParseDecimal(\"x\") did not panic")
		}
	}()
	cdc.MustParseDecimal("x")
}

func TestNewDecimal(t *testing.T) {
	big1, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	tests := []struct {
		unscaled *big.Int
		scale    int32
		want     string
	}{
		{big.NewInt(12345), 2, "123.45"},
		{big.NewInt(-12345), 2, "-123.45"},
		{big.NewInt(-5), 3, "-0.005"},
		{big.NewInt(5), 0, "5"},
		{big.NewInt(0), 3, "0.000"},
		{big.NewInt(12), -2, "1200"},
		{big.NewInt(-12), -3, "-12000"},
		{big.NewInt(0), -2, "0"},
		{big1, 10, "-12345678901234567890.1234567890"},
		{nil, 0, "0"},
		{nil, 2, "0.00"},
	}
	for _, tt := range tests {
		d := cdc.NewDecimal(tt.unscaled, tt.scale)
		if got := d.String(); got != tt.want {
			t.Errorf("NewDecimal(%v, %d) = %q, want %q", tt.unscaled, tt.scale, got, tt.want)
		}
		if tt.unscaled == nil {
			continue
		}
		// Unscaled gives back the same number (for non-negative scales, the same digits).
		n, s, err := d.Unscaled()
		if err != nil {
			t.Errorf("NewDecimal(%v, %d).Unscaled(): %v", tt.unscaled, tt.scale, err)
			continue
		}
		if tt.scale >= 0 && (n.Cmp(tt.unscaled) != 0 || s != tt.scale) {
			t.Errorf("NewDecimal(%v, %d).Unscaled() = %v, %d", tt.unscaled, tt.scale, n, s)
		}
		if !cdc.NewDecimal(n, s).Equal(d) {
			t.Errorf("NewDecimal(Unscaled()) of %v is not Equal", d)
		}
	}
}

func TestDecimalUnscaled(t *testing.T) {
	tests := []struct {
		in       string
		unscaled string
		scale    int32
	}{
		{"12.340", "12340", 3},
		{"-0.12", "-12", 2},
		{"0.00", "0", 2},
		{"1500", "1500", 0},
		{"1.5e3", "1500", 0},
		{"1e-2", "1", 2},
	}
	for _, tt := range tests {
		n, s, err := cdc.MustParseDecimal(tt.in).Unscaled()
		if err != nil {
			t.Errorf("%s.Unscaled(): %v", tt.in, err)
			continue
		}
		if n.String() != tt.unscaled || s != tt.scale {
			t.Errorf("%s.Unscaled() = %v, %d, want %s, %d", tt.in, n, s, tt.unscaled, tt.scale)
		}
	}
	for _, d := range []cdc.Decimal{cdc.DecimalNaN, cdc.DecimalPosInf, cdc.DecimalNegInf} {
		if _, _, err := d.Unscaled(); err == nil {
			t.Errorf("%v.Unscaled() succeeded", d)
		}
		if _, err := d.Rat(); err == nil {
			t.Errorf("%v.Rat() succeeded", d)
		}
	}
}

func TestDecimalRat(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.50", "3/2"},
		{"-0.125", "-1/8"},
		{"0.00", "0/1"},
		{"1e3", "1000/1"},
		{"0.1", "1/10"},
	}
	for _, tt := range tests {
		r, err := cdc.MustParseDecimal(tt.in).Rat()
		if err != nil {
			t.Errorf("%s.Rat(): %v", tt.in, err)
			continue
		}
		if r.String() != tt.want {
			t.Errorf("%s.Rat() = %s, want %s", tt.in, r, tt.want)
		}
	}
}

func TestDecimalFloat64(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"1.5", 1.5},
		{"-12.25", -12.25},
		{"0.1", 0.1},
		{"1e300", 1e300},
		{"123456789.123456789", 123456789.123456789},
		{"1e400", math.Inf(1)},
		{"-1e400", math.Inf(-1)},
		{"1e-400", 0},
		// 1 + 2^-53 + 2^-70: just above the half-way point between 1 and the next float64,
		// so the nearest float64 is 1 + 2^-52. Rounding first to 64 bits and then to 53
		// lands on the half-way point and then on 1.
		{"1.0000000000000001110231494954629083427022351315827108919620513916015625", math.Nextafter(1, 2)},
	}
	for _, tt := range tests {
		if got := cdc.MustParseDecimal(tt.in).Float64(); got != tt.want {
			t.Errorf("%s.Float64() = %v, want %v", tt.in, got, tt.want)
		}
	}
	if f := cdc.DecimalNaN.Float64(); !math.IsNaN(f) {
		t.Errorf("NaN.Float64() = %v", f)
	}
	if f := cdc.DecimalPosInf.Float64(); !math.IsInf(f, 1) {
		t.Errorf("+Inf.Float64() = %v", f)
	}
	if f := cdc.DecimalNegInf.Float64(); !math.IsInf(f, -1) {
		t.Errorf("-Inf.Float64() = %v", f)
	}
}

func TestDecimalEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1.5", "1.50", true},
		{"1.5", "1.500000", true},
		{"1500", "1.5e3", true},
		{"0", "-0.00", true},
		{"0.01", "1e-2", true},
		{"-1.5", "1.5", false},
		{"1", "1.01", false},
		{"1", "10", false},
		{"NaN", "NaN", true},
		{"Infinity", "inf", true},
		{"Infinity", "-Infinity", false},
		{"NaN", "0", false},
		{"Infinity", "1e1000", false},
	}
	for _, tt := range tests {
		a, b := cdc.MustParseDecimal(tt.a), cdc.MustParseDecimal(tt.b)
		if got := a.Equal(b); got != tt.want {
			t.Errorf("%s.Equal(%s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := b.Equal(a); got != tt.want {
			t.Errorf("%s.Equal(%s) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestDecimalText(t *testing.T) {
	for _, in := range []string{"0", "12.340", "-0.005", "1500", "NaN", "Infinity", "-Infinity"} {
		d := cdc.MustParseDecimal(in)
		b, err := d.MarshalText()
		if err != nil || string(b) != in {
			t.Errorf("%s.MarshalText() = %q, %v", in, b, err)
		}
		var back cdc.Decimal
		if err := back.UnmarshalText(b); err != nil {
			t.Errorf("UnmarshalText(%q): %v", b, err)
			continue
		}
		if back != d || back.String() != in {
			t.Errorf("UnmarshalText(%q) = %v, want %v", b, back, d)
		}
	}
	old := cdc.MustParseDecimal("4.2")
	d := old
	if err := d.UnmarshalText([]byte("4.2.1")); err == nil {
		t.Error("UnmarshalText(4.2.1) succeeded")
	}
	if d != old {
		t.Errorf("failed UnmarshalText changed the value to %v", d)
	}
}

func TestDecimalJSON(t *testing.T) {
	type payment struct {
		Amount cdc.Decimal
		Fee    cdc.Decimal `json:"fee"`
		Ptr    *cdc.Decimal
	}
	fee := cdc.MustParseDecimal("-0.50")
	in := payment{Amount: cdc.MustParseDecimal("12.50"), Fee: cdc.DecimalNaN, Ptr: &fee}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Amount":"12.50","fee":"NaN","Ptr":"-0.50"}`; string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out payment
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Amount.String() != "12.50" || !out.Fee.IsNaN() || out.Ptr == nil || out.Ptr.String() != "-0.50" {
		t.Errorf("json.Unmarshal = %+v", out)
	}
	if err := json.Unmarshal([]byte(`{"Amount":"x"}`), &out); err == nil {
		t.Error("json.Unmarshal of a bad decimal succeeded")
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{
		"0", "-0.00", "12.340", "1.5E+3", "1e-2", "007.50", ".5", "5.", "NaN", "-Infinity", "inf",
		"", "1.2.3", "abc", "1e", "--1", " 1", "1e3abc", "+1e+1", "-.1e-1", "99999999999999999999999.1",
		// A million digits: Equal used to take seconds on these (big.Rat conversions).
		"1e999999", "-9.9e-999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := cdc.ParseDecimal(s)
		if err != nil {
			return
		}
		str := d.String()
		back, err := cdc.ParseDecimal(str)
		if err != nil {
			t.Fatalf("ParseDecimal(%q) = %q, which does not parse: %v", s, str, err)
		}
		if !back.Equal(d) || back.String() != str {
			t.Fatalf("ParseDecimal(%q) = %q, re-parsed as %q", s, str, back)
		}
		if back.Scale() != d.Scale() {
			t.Fatalf("ParseDecimal(%q): scale %d, re-parsed %d", s, d.Scale(), back.Scale())
		}
		// big.Int conversions are quadratic: skip the huge values exponents can make.
		if d.IsFinite() && len(str) <= 10000 {
			n, scale, err := d.Unscaled()
			if err != nil {
				t.Fatalf("ParseDecimal(%q).Unscaled(): %v", s, err)
			}
			if !cdc.NewDecimal(n, scale).Equal(d) {
				t.Fatalf("ParseDecimal(%q): NewDecimal(Unscaled()) = %v", s, cdc.NewDecimal(n, scale))
			}
		}
	})
}

func TestInfinity(t *testing.T) {
	for _, tt := range []struct {
		i    cdc.Infinity
		want string
	}{
		{cdc.PositiveInfinity, "infinity"},
		{cdc.NegativeInfinity, "-infinity"},
	} {
		if got := tt.i.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		b, err := tt.i.MarshalText()
		if err != nil || string(b) != tt.want {
			t.Errorf("MarshalText() = %q, %v", b, err)
		}
		j, err := json.Marshal(map[string]any{"ts": tt.i})
		if err != nil || string(j) != `{"ts":"`+tt.want+`"}` {
			t.Errorf("json.Marshal = %s, %v", j, err)
		}
	}
}

func TestUnchanged(t *testing.T) {
	if !cdc.IsUnchanged(cdc.Unchanged{}) {
		t.Error("IsUnchanged(Unchanged{}) = false")
	}
	for _, v := range []any{nil, "<unchanged>", "", struct{}{}, &cdc.Unchanged{}} {
		if cdc.IsUnchanged(v) {
			t.Errorf("IsUnchanged(%#v) = true", v)
		}
	}
	if s := (cdc.Unchanged{}).String(); s != "<unchanged>" {
		t.Errorf("Unchanged.String() = %q", s)
	}
}

func TestInterval(t *testing.T) {
	for _, tt := range []struct {
		iv   cdc.Interval
		want string
	}{
		{cdc.Interval{}, "0 mons 0 days 0 us"},
		{cdc.Interval{Months: 14, Days: 3, Microseconds: 3_600_000_000}, "14 mons 3 days 3600000000 us"},
		{cdc.Interval{Months: -1, Days: -2, Microseconds: -3}, "-1 mons -2 days -3 us"},
	} {
		if got := tt.iv.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.iv, got, tt.want)
		}
	}
}

func TestDecimalErrorsAreDistinct(t *testing.T) {
	_, err := cdc.ParseDecimal("x")
	if err == nil || errors.Is(err, cdc.ErrType) || errors.Is(err, cdc.ErrInvalidConfig) {
		t.Errorf("ParseDecimal error = %v", err)
	}
}

func TestAsInt64(t *testing.T) {
	for _, c := range []struct {
		in   any
		want int64
		ok   bool
	}{
		{int64(-5), -5, true}, {int(7), 7, true}, {int32(-8), -8, true}, {int16(9), 9, true}, {int8(-10), -10, true},
		{uint64(1<<63 - 1), 1<<63 - 1, true}, {uint64(1 << 63), 0, false}, {uint(3), 3, true},
		{uint32(1<<32 - 1), 1<<32 - 1, true}, {uint16(11), 11, true}, {uint8(12), 12, true},
		{1.0, 0, false}, {"1", 0, false}, {nil, 0, false},
	} {
		if n, ok := cdc.AsInt64(c.in); n != c.want || ok != c.ok {
			t.Errorf("AsInt64(%T %v) = %d, %v; want %d, %v", c.in, c.in, n, ok, c.want, c.ok)
		}
	}
}
