package cdc_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// scanStatus is a named string type without methods.
type scanStatus string

// scanColor implements encoding.TextUnmarshaler and accepts only a few names.
type scanColor int

func (c *scanColor) UnmarshalText(b []byte) error {
	switch string(b) {
	case "red":
		*c = 1
	case "green":
		*c = 2
	default:
		return fmt.Errorf("unknown color %q", b)
	}
	return nil
}

// scanRecorder is an sql.Scanner that records what it was given.
type scanRecorder struct{ got any }

func (s *scanRecorder) Scan(src any) error {
	if src == "fail" {
		return errors.New("recorder refuses")
	}
	s.got = src
	return nil
}

// scanKinds has a field of every kind Scan converts to. Columns are the lower-cased
// field names.
type scanKinds struct {
	I      int
	I8     int8
	I16    int16
	I32    int32
	I64    int64
	U      uint
	U8     uint8
	U16    uint16
	U32    uint32
	U64    uint64
	F32    float32
	F64    float64
	B      bool
	S      string
	Bs     []byte
	Raw    json.RawMessage
	Dec    cdc.Decimal
	Rat    big.Rat
	RatP   *big.Rat
	T      time.Time
	TP     *time.Time
	D      time.Duration
	Inf    cdc.Infinity
	Iv     cdc.Interval
	Any    any
	IP     *int64
	SP     *string
	PP     **int
	DecP   *cdc.Decimal
	Strs   []string
	Ints   []int32
	IntPs  []*int
	M      map[string]any
	MS     map[string]int
	Obj    struct{ A int }
	Status scanStatus
	Color  scanColor
	ColorP *scanColor
	NS     sql.NullString
	NI     sql.NullInt64
	NT     sql.NullTime
	Rec    scanRecorder
	Str    fmt.Stringer
	Err    error
}

func scanPrefilled() scanKinds {
	seven := int64(7)
	old := "old"
	return scanKinds{I64: -7, S: "old", Any: "old", IP: &seven, SP: &old, M: map[string]any{"old": true},
		Strs: []string{"old"}, T: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Dec: cdc.MustParseDecimal("9.99"),
		NS: sql.NullString{String: "old", Valid: true}, Bs: []byte("old"), F64: 7.5, Color: 2}
}

func TestScanConversions(t *testing.T) {
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123000, time.UTC)
	dec := cdc.MustParseDecimal("12.50")
	one, two := 1, 2
	tests := []struct {
		name  string
		field string
		value any
		want  any // the field's value afterwards
	}{
		// int64 into every integer kind, floats, bool, Decimal, pointers, any.
		{"int64 to int", "I", int64(-42), -42},
		{"int64 to int8 max", "I8", int64(127), int8(127)},
		{"int64 to int8 min", "I8", int64(-128), int8(-128)},
		{"int64 to int16", "I16", int64(-32768), int16(-32768)},
		{"int64 to int32", "I32", int64(math.MaxInt32), int32(math.MaxInt32)},
		{"int64 to int64", "I64", int64(math.MinInt64), int64(math.MinInt64)},
		{"int64 to uint", "U", int64(42), uint(42)},
		{"int64 to uint8", "U8", int64(255), uint8(255)},
		{"int64 to uint16", "U16", int64(0), uint16(0)},
		{"int64 to uint32", "U32", int64(math.MaxUint32), uint32(math.MaxUint32)},
		{"int64 to uint64", "U64", int64(math.MaxInt64), uint64(math.MaxInt64)},
		{"int64 to float32", "F32", int64(3), float32(3)},
		{"int64 to float64", "F64", int64(-3), -3.0},
		{"int64 1 to bool", "B", int64(1), true},
		{"int64 0 to bool", "B", int64(0), false},
		{"int64 to Decimal", "Dec", int64(-42), cdc.MustParseDecimal("-42")},
		{"int64 min to Decimal", "Dec", int64(math.MinInt64), cdc.MustParseDecimal("-9223372036854775808")},
		{"int64 to *int64", "IP", int64(5), ptrTo(int64(5))},
		{"int64 to **int", "PP", int64(6), ptrTo(ptrTo(6))},
		{"int64 to any", "Any", int64(5), int64(5)},
		{"int64 to scanner", "NI", int64(5), sql.NullInt64{Int64: 5, Valid: true}},
		{"int64 to duration", "D", int64(1000), time.Duration(1000)},

		// uint64.
		{"uint64 to uint64", "U64", uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"uint64 to uint8", "U8", uint64(200), uint8(200)},
		{"uint64 to int64", "I64", uint64(math.MaxInt64), int64(math.MaxInt64)},
		{"uint64 to int8", "I8", uint64(100), int8(100)},
		{"uint64 to float64", "F64", uint64(math.MaxUint64), float64(math.MaxUint64)},
		{"uint64 to Decimal", "Dec", uint64(math.MaxUint64), cdc.MustParseDecimal("18446744073709551615")},
		{"uint64 to bool", "B", uint64(1), true},
		{"uint64 to any", "Any", uint64(1), uint64(1)},

		// float64.
		{"float64 to float64", "F64", 1.25, 1.25},
		{"float64 to float32", "F32", 1.25, float32(1.25)},
		{"float64 -Inf to float32", "F32", math.Inf(-1), float32(math.Inf(-1))},
		{"float64 NaN to float64", "F64", math.NaN(), math.NaN()},
		{"float64 to any", "Any", 1.25, 1.25},

		// Decimal.
		{"Decimal to Decimal", "Dec", dec, dec},
		{"Decimal to *Decimal", "DecP", dec, &dec},
		{"Decimal to string", "S", dec, "12.50"},
		{"Decimal NaN to string", "S", cdc.DecimalNaN, "NaN"},
		{"Decimal to named string", "Status", dec, scanStatus("12.50")},
		{"Decimal to float64", "F64", dec, 12.5},
		{"Decimal to float32", "F32", dec, float32(12.5)},
		{"Decimal NaN to float64", "F64", cdc.DecimalPosInf, math.Inf(1)},
		{"Decimal to big.Rat", "Rat", dec, *big.NewRat(25, 2)},
		{"Decimal to *big.Rat", "RatP", cdc.MustParseDecimal("-0.125"), big.NewRat(-1, 8)},
		{"whole Decimal to int64", "I64", cdc.MustParseDecimal("-12.000"), int64(-12)},
		{"whole Decimal to uint8", "U8", cdc.MustParseDecimal("255"), uint8(255)},
		{"Decimal exponent to int", "I", cdc.MustParseDecimal("1.5e3"), 1500},
		{"Decimal to any", "Any", dec, dec},
		{"Decimal to scanner as string", "NS", dec, sql.NullString{String: "12.50", Valid: true}},
		{"Decimal to recorder as string", "Rec", dec, scanRecorder{got: "12.50"}},

		// Text and binary.
		{"string to string", "S", "hello", "hello"},
		{"string to []byte", "Bs", "hello", []byte("hello")},
		{"string to named string", "Status", "paid", scanStatus("paid")},
		{"string to *string", "SP", "new", ptrTo("new")},
		{"string to TextUnmarshaler", "Color", "red", scanColor(1)},
		{"string to *TextUnmarshaler", "ColorP", "green", ptrTo(scanColor(2))},
		{"string to Decimal", "Dec", "1.25", cdc.MustParseDecimal("1.25")},
		{"string to time.Time", "T", "2024-05-06T07:08:09.000123Z", ts},
		{"string to big.Rat", "Rat", "3/4", *big.NewRat(3, 4)},
		{"string to scanner", "NS", "x", sql.NullString{String: "x", Valid: true}},
		{"string to json.RawMessage", "Raw", `{"a":1}`, json.RawMessage(`{"a":1}`)},
		{"string to any", "Any", "x", "x"},
		{"named string to string", "S", scanStatus("named"), "named"},
		{"[]byte to []byte", "Bs", []byte{0, 1, 2}, []byte{0, 1, 2}},
		{"[]byte to string", "S", []byte("bin"), "bin"},
		{"[]byte to TextUnmarshaler", "Color", []byte("green"), scanColor(2)},
		{"[]byte to json.RawMessage", "Raw", []byte(`[1]`), json.RawMessage(`[1]`)},
		{"[]byte to scanner", "NS", []byte("b"), sql.NullString{String: "b", Valid: true}},

		// JSON.
		{"json to json.RawMessage", "Raw", json.RawMessage(`{"a": 1}`), json.RawMessage(`{"a": 1}`)},
		{"json to []byte", "Bs", json.RawMessage(`[1,2]`), []byte(`[1,2]`)},
		{"json to string", "S", json.RawMessage(`{"a":1}`), `{"a":1}`},
		{"json to map", "M", json.RawMessage(`{"a":1,"b":[true]}`), map[string]any{"a": 1.0, "b": []any{true}}},
		{"json to typed map", "MS", json.RawMessage(`{"a":1,"b":2}`), map[string]int{"a": 1, "b": 2}},
		{"json to struct", "Obj", json.RawMessage(`{"A":3}`), struct{ A int }{3}},
		{"json to slice", "Ints", json.RawMessage(`[1,2,3]`), []int32{1, 2, 3}},
		{"json to Decimal", "Dec", json.RawMessage(`"7.50"`), cdc.MustParseDecimal("7.50")},
		{"json null to map", "M", json.RawMessage(`null`), map[string]any(nil)},
		{"json to any", "Any", json.RawMessage(`[1]`), json.RawMessage(`[1]`)},
		{"json to recorder as []byte", "Rec", json.RawMessage(`{}`), scanRecorder{got: []byte(`{}`)}},

		// Dates and times.
		{"time to time", "T", ts, ts},
		{"time to *time", "TP", ts, &ts},
		{"time to any", "Any", ts, ts},
		{"time to scanner", "NT", ts, sql.NullTime{Time: ts, Valid: true}},
		{"infinity to Infinity", "Inf", cdc.PositiveInfinity, cdc.PositiveInfinity},
		{"infinity to any", "Any", cdc.NegativeInfinity, cdc.NegativeInfinity},
		{"duration to duration", "D", 90 * time.Second, 90 * time.Second},
		{"interval to interval", "Iv", cdc.Interval{Months: 1, Days: 2, Microseconds: 3}, cdc.Interval{Months: 1, Days: 2, Microseconds: 3}},

		// Arrays, sets, documents.
		{"[]any to []int32", "Ints", []any{int64(1), uint64(2), nil}, []int32{1, 2, 0}},
		{"[]any to []string", "Strs", []any{"a", []byte("b")}, []string{"a", "b"}},
		{"[]any to []*int", "IntPs", []any{int64(1), nil, int64(2)}, []*int{&one, nil, &two}},
		{"[]any empty to []string", "Strs", []any{}, []string{}},
		{"[]any to any", "Any", []any{int64(1)}, []any{int64(1)}},
		{"set to []string", "Strs", []string{"a", "b"}, []string{"a", "b"}},
		{"empty set to []string", "Strs", []string{}, []string{}},
		{"document to map", "M", map[string]any{"k": "v"}, map[string]any{"k": "v"}},
		{"document to any", "Any", map[string]any{"k": "v"}, map[string]any{"k": "v"}},

		// Other interfaces.
		{"Stringer field", "Str", cdc.MustParseDecimal("1.5"), cdc.MustParseDecimal("1.5")},
		{"error field", "Err", errors.New("boom"), errors.New("boom")},
		{"bool to bool", "B", true, true},

		// NULL: zero values, nil pointers.
		{"NULL to int64", "I64", nil, int64(0)},
		{"NULL to string", "S", nil, ""},
		{"NULL to *int64", "IP", nil, (*int64)(nil)},
		{"NULL to *string", "SP", nil, (*string)(nil)},
		{"NULL to map", "M", nil, map[string]any(nil)},
		{"NULL to any", "Any", nil, nil},
		{"NULL to []string", "Strs", nil, []string(nil)},
		{"NULL to []byte", "Bs", nil, []byte(nil)},
		{"NULL to time", "T", nil, time.Time{}},
		{"NULL to Decimal", "Dec", nil, cdc.Decimal{}},
		{"NULL to scanner", "NS", nil, sql.NullString{}},
		{"NULL to TextUnmarshaler", "Color", nil, scanColor(0)},

		// Unchanged TOAST values leave the field alone, whatever its type.
		{"Unchanged to int64", "I64", cdc.Unchanged{}, int64(-7)},
		{"Unchanged to string", "S", cdc.Unchanged{}, "old"},
		{"Unchanged to *int64", "IP", cdc.Unchanged{}, ptrTo(int64(7))},
		{"Unchanged to map", "M", cdc.Unchanged{}, map[string]any{"old": true}},
		{"Unchanged to any", "Any", cdc.Unchanged{}, "old"},
		{"Unchanged to scanner", "NS", cdc.Unchanged{}, sql.NullString{String: "old", Valid: true}},
		{"Unchanged to []byte", "Bs", cdc.Unchanged{}, []byte("old")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := scanPrefilled()
			col := strings.ToLower(tt.field)
			if err := cdc.RowOf(col, tt.value).Scan(&dst); err != nil {
				t.Fatalf("Scan: %v", err)
			}
			got := reflect.ValueOf(dst).FieldByName(tt.field).Interface()
			if !scanEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.field, got, tt.want)
			}
			// Decode starts from zero and agrees, except where Unchanged keeps the zero.
			if _, ok := tt.value.(cdc.Unchanged); ok {
				return
			}
			dec, err := cdc.Decode[scanKinds](cdc.RowOf(col, tt.value))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := reflect.ValueOf(dec).FieldByName(tt.field).Interface(); !scanEqual(got, tt.want) {
				t.Errorf("Decode: %s = %#v, want %#v", tt.field, got, tt.want)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

func scanEqual(got, want any) bool {
	switch w := want.(type) {
	case big.Rat:
		g, ok := got.(big.Rat)
		return ok && g.Cmp(&w) == 0
	case *big.Rat:
		g, ok := got.(*big.Rat)
		return ok && g != nil && g.Cmp(w) == 0
	case float64:
		g, ok := got.(float64)
		return ok && (g == w || math.IsNaN(g) && math.IsNaN(w))
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w)
	case *time.Time:
		g, ok := got.(*time.Time)
		return ok && g != nil && g.Equal(*w)
	case error:
		g, ok := got.(error)
		return ok && g.Error() == w.Error()
	}
	return reflect.DeepEqual(got, want)
}

func TestScanErrors(t *testing.T) {
	tests := []struct {
		name   string
		field  string
		value  any
		reason string // the end of the message after the common part, "" for none
	}{
		{"int64 overflows int8", "I8", int64(128), "value 128 overflows int8"},
		{"int64 underflows int8", "I8", int64(-129), "value -129 overflows int8"},
		{"negative to uint", "U32", int64(-1), "value -1 overflows uint32"},
		{"int64 overflows uint8", "U8", int64(256), "value 256 overflows uint8"},
		{"uint64 overflows int64", "I64", uint64(math.MaxUint64), "value 18446744073709551615 overflows int64"},
		{"uint64 overflows uint32", "U32", uint64(1 << 40), "value 1099511627776 overflows uint32"},
		{"float overflows float32", "F32", 1e39, "value 1e+39 overflows float32"},
		{"int64 2 to bool", "B", int64(2), "value 2 is not 0 or 1"},
		{"int64 to string", "S", int64(1), ""},
		{"string to int64", "I64", "12", ""},
		{"float64 to int", "I", 1.0, ""},
		{"float64 to Decimal", "Dec", 1.5, ""},
		{"bool to int", "I", true, ""},
		{"time to string", "S", time.Now(), ""},
		{"duration to int64", "I64", time.Second, ""},
		{"interval to string", "S", cdc.Interval{}, ""},
		{"document to struct", "Obj", map[string]any{"A": 1}, ""},
		{"set to string", "S", []string{"a"}, ""},
		{"infinity to time", "T", cdc.PositiveInfinity, "infinity has no time.Time value"},
		{"-infinity to *time", "TP", cdc.NegativeInfinity, "-infinity has no time.Time value"},
		{"infinity to int", "I", cdc.PositiveInfinity, ""},
		{"fractional Decimal to int", "I64", cdc.MustParseDecimal("1.5"), "value 1.5 is not a whole number"},
		{"Decimal overflows int64", "I64", cdc.MustParseDecimal("1e19"), "value 10000000000000000000 overflows int64"},
		{"Decimal overflows int8", "I8", cdc.MustParseDecimal("-200"), "value -200 overflows int8"},
		{"negative Decimal to uint", "U", cdc.MustParseDecimal("-1"), "value -1 overflows uint"},
		{"Decimal NaN to int", "I", cdc.DecimalNaN, ""},
		{"Decimal NaN to big.Rat", "Rat", cdc.DecimalNaN, "cdc: decimal NaN is not a finite number"},
		{"Decimal to time", "T", cdc.MustParseDecimal("1"), `parsing time "1" as "2006-01-02T15:04:05Z07:00": cannot parse "1" as "2006"`},
		{"bad text", "Color", "purple", `unknown color "purple"`},
		{"bad text via pointer", "ColorP", "purple", `unknown color "purple"`},
		{"bad decimal text", "Dec", "1.2.3", `cdc: invalid decimal: "1.2.3"`},
		{"scanner error", "NI", "abc", `converting driver.Value type string ("abc") to a int64: invalid syntax`},
		{"recorder error", "Rec", "fail", "recorder refuses"},
		{"bad json into map", "M", json.RawMessage(`[1]`), "json: cannot unmarshal array into Go value of type map[string]interface {}"},
		{"bad json syntax", "MS", json.RawMessage(`{`), "unexpected end of JSON input"},
		{"array element", "Ints", []any{int64(1), "x"}, "element 1 (string) cannot be stored in int32"},
		{"array element overflow", "Ints", []any{int64(1 << 40)}, "element 0: value 1099511627776 overflows int32"},
		{"array to string", "S", []any{"a"}, ""},
		{"Unchanged inside an array", "Strs", []any{cdc.Unchanged{}}, "element 0 (cdc.Unchanged) cannot be stored in string"},
		{"Stringer field with int", "Str", int64(1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := scanPrefilled()
			before := reflect.ValueOf(dst).FieldByName(tt.field).Interface()
			col := strings.ToLower(tt.field)
			err := cdc.RowOf(col, tt.value).Scan(&dst)
			if err == nil {
				t.Fatalf("Scan succeeded: %s = %#v", tt.field, reflect.ValueOf(dst).FieldByName(tt.field).Interface())
			}
			if !errors.Is(err, cdc.ErrType) {
				t.Errorf("error %v does not wrap ErrType", err)
			}
			ft := reflect.ValueOf(dst).FieldByName(tt.field).Type().String()
			ft = strings.ReplaceAll(ft, "interface {}", "any")
			vt := reflect.TypeOf(tt.value).String()
			if _, ok := tt.value.([]byte); ok {
				vt = "[]byte"
			}
			vt = strings.ReplaceAll(vt, "interface {}", "any")
			want := fmt.Sprintf("cdc: column %q (%s) cannot be stored in field scanKinds.%s (%s)", col, vt, tt.field, ft)
			if tt.reason != "" {
				want += ": " + tt.reason
			}
			if err.Error() != want {
				t.Errorf("error\n%s\nwant\n%s", err, want)
			}
			if after := reflect.ValueOf(dst).FieldByName(tt.field).Interface(); !reflect.DeepEqual(after, before) {
				t.Errorf("failed Scan changed %s from %#v to %#v", tt.field, before, after)
			}
			if _, err := cdc.Decode[scanKinds](cdc.RowOf(col, tt.value)); err == nil || err.Error() != want {
				t.Errorf("Decode error = %v", err)
			}
		})
	}
}

func TestScanErrorMessage(t *testing.T) {
	type Order struct {
		ID    int64
		Total int64
	}
	var o Order
	err := cdc.RowOf("id", int64(1), "total", "12.50").Scan(&o)
	want := `cdc: column "total" (string) cannot be stored in field Order.Total (int64)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	if !errors.Is(err, cdc.ErrType) || errors.Is(err, cdc.ErrInvalidConfig) {
		t.Errorf("error %v: wrong sentinel", err)
	}
	if o.ID != 1 {
		t.Errorf("columns before the failing one were not set: %+v", o)
	}
	// The causes of conversion errors stay reachable.
	type T struct{ D cdc.Decimal }
	var cause *json.SyntaxError
	err = cdc.RowOf("d", json.RawMessage(`{`)).Scan(&T{})
	if !errors.Is(err, cdc.ErrType) || !errors.As(err, &cause) {
		t.Errorf("error %v does not wrap ErrType and the json error", err)
	}
}

type ScanBase struct {
	ID      int64
	Version int
}

type ScanAudit struct {
	CreatedAt time.Time
	UpdatedBy string `cdc:"updated_by_user"`
}

type scanHidden struct {
	Hidden string
}

type scanEmbedded struct {
	ScanBase
	*ScanAudit
	scanHidden
	Name    string
	Version string `cdc:"ver"` // hides ScanBase.Version: column "version" matches nothing at depth 0, so depth 1 gets it
	secret  string
	Skipped string `cdc:"-"`
}

func TestScanEmbedded(t *testing.T) {
	ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r := cdc.RowOf("id", int64(7), "version", int64(3), "ver", "v3", "created_at", ts,
		"updated_by_user", "ann", "hidden", "h", "name", "n", "secret", "s", "skipped", "no", "Skipped", "no")
	var e scanEmbedded
	if err := r.Scan(&e); err != nil {
		t.Fatal(err)
	}
	if e.ID != 7 || e.ScanBase.Version != 3 || e.Version != "v3" || e.Name != "n" || e.Hidden != "h" {
		t.Errorf("Scan = %+v", e)
	}
	if e.ScanAudit == nil || !e.CreatedAt.Equal(ts) || e.UpdatedBy != "ann" {
		t.Errorf("embedded pointer = %+v", e.ScanAudit)
	}
	if e.secret != "" || e.Skipped != "" {
		t.Errorf("unexported or skipped field set: %+v", e)
	}

	// NULL or Unchanged columns of a nil embedded pointer do not allocate it.
	var e2 scanEmbedded
	if err := cdc.RowOf("created_at", nil, "updated_by_user", cdc.Unchanged{}).Scan(&e2); err != nil {
		t.Fatal(err)
	}
	if e2.ScanAudit != nil {
		t.Errorf("nil embedded pointer allocated: %+v", e2.ScanAudit)
	}
	// ... but NULL into an allocated one clears the field.
	e2.ScanAudit = &ScanAudit{UpdatedBy: "x"}
	if err := cdc.RowOf("updated_by_user", nil).Scan(&e2); err != nil || e2.UpdatedBy != "" {
		t.Errorf("NULL into embedded field: %v, %+v", err, e2.ScanAudit)
	}

	// Errors name the promoted field by its path.
	err := cdc.RowOf("created_at", int64(1)).Scan(&e)
	want := `cdc: column "created_at" (int64) cannot be stored in field scanEmbedded.ScanAudit.CreatedAt (time.Time)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

type scanShadowA struct{ X, Y int }
type scanShadowB struct{ X, Z int }

func TestScanShadowing(t *testing.T) {
	type outer struct {
		scanShadowA
		scanShadowB
		Z string // shallower: hides scanShadowB.Z
	}
	var o outer
	if err := cdc.RowOf("x", int64(1), "y", int64(2), "z", "zz").Scan(&o); err != nil {
		t.Fatal(err)
	}
	// X is ambiguous at depth 1: like encoding/json, neither gets it.
	if o.scanShadowA.X != 0 || o.scanShadowB.X != 0 || o.Y != 2 || o.Z != "zz" || o.scanShadowB.Z != 0 {
		t.Errorf("Scan = %+v", o)
	}
}

func TestScanNames(t *testing.T) {
	type T struct {
		OrderID    int64
		CreatedAt  string
		HTTPStatus int
		Address2   string
		UserName   string
		Key        string `cdc:"id"`
		ID         string
		Exact      string `cdc:"Exact Name"`
		Opts       string `cdc:"opts,omitempty"`
		Ünïcode    string
	}
	tests := []struct {
		col   string
		field string
	}{
		{"order_id", "OrderID"},
		{"orderid", "OrderID"},
		{"OrderID", "OrderID"},
		{"ORDER_ID", "OrderID"},
		{"OrderId", "OrderID"},
		{"created_at", "CreatedAt"},
		{"CREATEDAT", "CreatedAt"},
		{"http_status", "HTTPStatus"},
		{"address2", "Address2"},
		{"user_name", "UserName"},
		{"id", "Key"}, // the tag wins over the untagged field ID
		{"ID", "ID"},  // a tag matches exactly: "ID" is not "id"
		{"Id", "ID"},
		{"Exact Name", "Exact"},
		{"opts", "Opts"},
		{"ÜNÏCODE", "Ünïcode"},
		{"ünïcode", "Ünïcode"},
	}
	for _, tt := range tests {
		var v T
		var val any = "v"
		if f, _ := reflect.TypeOf(v).FieldByName(tt.field); f.Type.Kind() != reflect.String {
			val = int64(1)
		}
		if err := cdc.RowOf(tt.col, val).Scan(&v); err != nil {
			t.Errorf("column %q: %v", tt.col, err)
			continue
		}
		rv := reflect.ValueOf(v)
		for i := 0; i < rv.NumField(); i++ {
			name := rv.Type().Field(i).Name
			set := !rv.Field(i).IsZero()
			if set != (name == tt.field) {
				t.Errorf("column %q: field %s set = %v", tt.col, name, set)
			}
		}
	}
	// Columns that match no field are ignored; fields without a column keep their value.
	v := T{UserName: "keep"}
	if err := cdc.RowOf("exact name", "x", "created", "x", "order__id", int64(1), "extra", 1).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != (T{UserName: "keep"}) {
		t.Errorf("unmatched columns changed %+v", v)
	}
}

func TestScanDestination(t *testing.T) {
	type T struct{ A int }
	var n int
	var tp *T
	var anyv any = &T{}
	r := cdc.RowOf("a", int64(1))
	for _, dst := range []any{nil, T{}, tp, &n, &anyv, &tp, "x", []T{}} {
		err := r.Scan(dst)
		if err == nil {
			t.Errorf("Scan(%T) succeeded", dst)
			continue
		}
		if !strings.Contains(err.Error(), "non-nil pointer to a struct") {
			t.Errorf("Scan(%T) error = %v", dst, err)
		}
		if errors.Is(err, cdc.ErrInvalidConfig) || errors.Is(err, cdc.ErrType) {
			t.Errorf("Scan(%T) error %v wraps a sentinel", dst, err)
		}
	}
	if err := r.Scan(anyv); err != nil || anyv.(*T).A != 1 {
		t.Errorf("Scan(any holding *T) = %v", err)
	}
	if err := r.Scan(&struct{}{}); err != nil {
		t.Errorf("Scan(&struct{}{}) = %v", err)
	}
	if err := (cdc.Row{}).Scan(&T{}); err != nil {
		t.Errorf("zero Row Scan = %v", err)
	}
}

func TestDecode(t *testing.T) {
	type T struct {
		A int
		B string
	}
	got, err := cdc.Decode[T](cdc.RowOf("a", int64(1), "b", "x", "c", 3))
	if err != nil || got != (T{1, "x"}) {
		t.Errorf("Decode = %+v, %v", got, err)
	}
	p, err := cdc.Decode[*T](cdc.RowOf("a", int64(2)))
	if err != nil || p == nil || *p != (T{A: 2}) {
		t.Errorf("Decode[*T] = %+v, %v", p, err)
	}
	// Errors return the zero value.
	got, err = cdc.Decode[T](cdc.RowOf("a", int64(1), "b", 2.5))
	if !errors.Is(err, cdc.ErrType) || got != (T{}) {
		t.Errorf("Decode error = %+v, %v", got, err)
	}
	if p, err := cdc.Decode[*T](cdc.RowOf("a", "x")); !errors.Is(err, cdc.ErrType) || p != nil {
		t.Errorf("Decode[*T] error = %+v, %v", p, err)
	}
	if _, err := cdc.Decode[int](cdc.RowOf("a", 1)); err == nil || !strings.Contains(err.Error(), "struct") {
		t.Errorf("Decode[int] error = %v", err)
	}
	if _, err := cdc.Decode[**T](cdc.RowOf("a", 1)); err == nil {
		t.Error("Decode[**T] succeeded")
	}
	if _, err := cdc.Decode[any](cdc.RowOf("a", 1)); err == nil {
		t.Error("Decode[any] succeeded")
	}
}

// Unchanged TOAST values keep the previous state when an update is scanned into it.
func TestScanUnchangedKeepsPreviousState(t *testing.T) {
	type Doc struct {
		ID   int64
		Body string
		Meta map[string]any
	}
	state := map[int64]Doc{}
	names := []string{"id", "body", "meta"}
	updates := []cdc.Row{
		cdc.NewRow(names, []any{int64(1), "long text", json.RawMessage(`{"v":1}`)}),
		cdc.NewRow(names, []any{int64(1), cdc.Unchanged{}, json.RawMessage(`{"v":2}`)}),
		cdc.NewRow(names, []any{int64(1), cdc.Unchanged{}, cdc.Unchanged{}}),
	}
	for _, r := range updates {
		id, _ := r.Int64("id")
		d := state[id]
		if err := r.Scan(&d); err != nil {
			t.Fatal(err)
		}
		state[id] = d
	}
	if d := state[1]; d.Body != "long text" || d.Meta["v"] != 2.0 {
		t.Errorf("state = %+v", d)
	}
}

// TestScanNeverPanics stores values of every type the sources produce (and a few
// others) into fields of every kind.
func TestScanNeverPanics(t *testing.T) {
	values := []any{
		nil, int64(-1), int64(math.MaxInt64), uint64(math.MaxUint64), 1.5, math.NaN(), -1e300, true, "s", "",
		"red", "2024-01-01T00:00:00Z", "1.5", []byte("b"), []byte{}, json.RawMessage(`{"a":1}`),
		json.RawMessage(`[1,"x"]`), json.RawMessage(`"x"`), json.RawMessage(`bad`), cdc.MustParseDecimal("-1.50"),
		cdc.DecimalNaN, cdc.DecimalNegInf, cdc.MustParseDecimal("1e40"), time.Now(), cdc.PositiveInfinity,
		time.Second, cdc.Interval{Days: 1}, []any{int64(1), nil, "x"}, []any{}, []string{"a"},
		map[string]any{"a": 1}, cdc.Unchanged{}, int32(5), 7, float32(2.5), scanStatus("paid"),
		[]int{1, 2}, [2]int{1, 2}, struct{}{}, &struct{}{}, make(chan int), func() {}, errors.New("e"),
		uintptr(3), int8(-3), []byte(nil), cdc.Row{}, cdc.RowOf("x", 1),
	}
	ft := reflect.TypeFor[scanKinds]()
	for i := 0; i < ft.NumField(); i++ {
		col := strings.ToLower(ft.Field(i).Name)
		for _, v := range values {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("Scan of %T into %s panicked: %v", v, ft.Field(i).Name, p)
					}
				}()
				dst := scanPrefilled()
				if err := cdc.RowOf(col, v).Scan(&dst); err != nil && !errors.Is(err, cdc.ErrType) {
					t.Errorf("Scan of %T into %s: %v does not wrap ErrType", v, ft.Field(i).Name, err)
				}
				_, _ = cdc.Decode[scanKinds](cdc.RowOf(col, v))
			}()
		}
	}
}

func TestScanConcurrent(t *testing.T) {
	type T struct {
		ID   int64
		Name string
		Tags []string
	}
	r := cdc.RowOf("id", int64(1), "name", "x", "tags", []any{"a"})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				v, err := cdc.Decode[T](r)
				if err != nil || v.ID != 1 || v.Name != "x" || len(v.Tags) != 1 {
					t.Errorf("Decode = %+v, %v", v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// More column lists than the plan caches still map correctly, without allocating.
func TestScanManyColumnLists(t *testing.T) {
	type T struct {
		A, B, C int64
		D       string
	}
	for i := 0; i < 20; i++ {
		names := []string{"a", "b", "c", "d"}
		names = append(names[i%4:], names[:i%4]...) // rotate
		names = append(names, fmt.Sprintf("extra%d", i))
		vals := make([]any, len(names))
		for j, n := range names {
			switch n {
			case "a":
				vals[j] = int64(i)
			case "b":
				vals[j] = int64(i * 2)
			case "c":
				vals[j] = int64(i * 3)
			case "d":
				vals[j] = fmt.Sprint(i)
			default:
				vals[j] = "ignored"
			}
		}
		r := cdc.NewRow(names, vals)
		for k := 0; k < 2; k++ { // the second time, from the cache when it has room
			var v T
			if err := r.Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != (T{int64(i), int64(i * 2), int64(i * 3), fmt.Sprint(i)}) {
				t.Fatalf("list %d (%v): %+v", i, names, v)
			}
		}
		var v T
		if n := testing.AllocsPerRun(10, func() { _ = r.Scan(&v) }); n != 0 {
			t.Errorf("list %d: Scan allocates %v times", i, n)
		}
	}
}

// benchOrder is the struct of the benchmarks: ten plain scalar fields.
type benchOrder struct {
	ID         int64
	CustomerID int64
	Status     string
	Total      cdc.Decimal
	Quantity   int32
	Weight     float64
	Paid       bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    uint64
}

func benchRow() cdc.Row {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	return cdc.NewRow(
		[]string{"id", "customer_id", "status", "total", "quantity", "weight", "paid", "created_at", "updated_at", "version"},
		[]any{int64(1001), int64(42), "paid", cdc.MustParseDecimal("129.90"), int64(3), 1.25, true, now, now, uint64(7)},
	)
}

func TestScanDoesNotAllocate(t *testing.T) {
	r := benchRow()
	var o benchOrder
	if err := r.Scan(&o); err != nil {
		t.Fatal(err)
	}
	if o.ID != 1001 || o.CustomerID != 42 || o.Total.String() != "129.90" || o.Quantity != 3 || o.Version != 7 || !o.Paid {
		t.Fatalf("Scan = %+v", o)
	}
	if n := testing.AllocsPerRun(100, func() { _ = r.Scan(&o) }); n != 0 {
		t.Errorf("Scan of scalar columns allocates %v times", n)
	}
	// Upper-case column names go through the case-folding lookup, still without allocating.
	upper := cdc.RowOf("ID", int64(1), "CUSTOMER_ID", int64(2), "Status", "x")
	if n := testing.AllocsPerRun(100, func() { _ = upper.Scan(&o) }); n != 0 {
		t.Errorf("Scan of upper-case columns allocates %v times", n)
	}
}

func BenchmarkScan(b *testing.B) {
	r := benchRow()
	var o benchOrder
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Scan(&o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	r := benchRow()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cdc.Decode[benchOrder](r); err != nil {
			b.Fatal(err)
		}
	}
}

// ExampleDecode shows a service handling typed orders from change events.
func ExampleDecode() {
	type Order struct {
		ID       int64
		Customer string
		Total    cdc.Decimal
		Status   string
		PlacedAt time.Time `cdc:"created_at"`
		Note     *string   // NULL becomes nil
	}

	// Events as a source delivers them: rows of one table share their column names.
	names := []string{"id", "customer", "total", "status", "created_at", "note"}
	placed := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	events := []cdc.Event{
		{Op: cdc.OpCreate, After: cdc.NewRow(names, []any{int64(1), "ann", cdc.MustParseDecimal("19.90"), "new", placed, nil})},
		{Op: cdc.OpUpdate, After: cdc.NewRow(names, []any{int64(1), "ann", cdc.MustParseDecimal("19.90"), "paid", placed, "gift wrap"})},
		{Op: cdc.OpDelete, Before: cdc.NewRow(names, []any{int64(1), "ann", cdc.MustParseDecimal("19.90"), "paid", placed, nil})},
	}

	for _, ev := range events {
		o, err := cdc.Decode[Order](ev.Row())
		if err != nil {
			fmt.Println("bad row:", err)
			continue
		}
		note := "-"
		if o.Note != nil {
			note = *o.Note
		}
		fmt.Printf("%s order %d of %s: %s %s, placed %s, note %s\n",
			ev.Op, o.ID, o.Customer, o.Total, o.Status, o.PlacedAt.Format("2006-01-02"), note)
	}

	// A column whose value does not fit its field is reported, not silently dropped.
	_, err := cdc.Decode[Order](cdc.RowOf("id", "not a number"))
	fmt.Println(err)
	// Output:
	// c order 1 of ann: 19.90 new, placed 2024-03-01, note -
	// u order 1 of ann: 19.90 paid, placed 2024-03-01, note gift wrap
	// d order 1 of ann: 19.90 paid, placed 2024-03-01, note -
	// cdc: column "id" (string) cannot be stored in field Order.ID (int64)
}

// ExampleRow_Scan keeps a table's state up to date: Unchanged (TOAST) columns keep the
// value they had.
func ExampleRow_Scan() {
	type Article struct {
		ID    int64
		Title string
		Body  string
	}
	names := []string{"id", "title", "body"}
	var a Article
	for _, r := range []cdc.Row{
		cdc.NewRow(names, []any{int64(9), "Hello", "a very long body"}),
		cdc.NewRow(names, []any{int64(9), "Hello, world", cdc.Unchanged{}}),
	} {
		if err := r.Scan(&a); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d %q %q\n", a.ID, a.Title, a.Body)
	}
	// Output:
	// 9 "Hello" "a very long body"
	// 9 "Hello, world" "a very long body"
}
