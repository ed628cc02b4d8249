package cdc_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

func TestRowBasics(t *testing.T) {
	names := []string{"id", "name", "note"}
	r := cdc.NewRow(names, []any{int64(1), "x", nil})
	if r.IsZero() || r.Len() != 3 {
		t.Fatalf("IsZero %v, Len %d", r.IsZero(), r.Len())
	}
	if &r.Names()[0] != &names[0] {
		t.Error("NewRow did not keep the names slice")
	}
	if r.Name(1) != "name" || r.At(1) != "x" || r.Index("note") != 2 || r.Index("nope") != -1 {
		t.Error("Name/At/Index wrong")
	}
	if v, ok := r.Get("id"); !ok || v != int64(1) {
		t.Errorf("Get(id) = %v, %v", v, ok)
	}
	if v, ok := r.Get("nope"); ok || v != nil {
		t.Errorf("Get(nope) = %v, %v", v, ok)
	}
	if v, ok := r.Get("note"); !ok || v != nil {
		t.Errorf("Get(note) = %v, %v", v, ok)
	}
	if !r.Has("note") || r.Has("nope") {
		t.Error("Has wrong")
	}
	if !r.IsNull("note") || r.IsNull("id") || r.IsNull("nope") {
		t.Error("IsNull wrong")
	}
	if !reflect.DeepEqual(r.Values(), []any{int64(1), "x", nil}) {
		t.Errorf("Values = %v", r.Values())
	}
	var zero cdc.Row
	if !zero.IsZero() || zero.Len() != 0 || zero.Has("id") {
		t.Error("zero Row is not empty")
	}
	if _, err := zero.Int64("id"); !errors.Is(err, cdc.ErrNoColumn) {
		t.Errorf("zero Row Int64 error = %v", err)
	}
}

func TestRowOf(t *testing.T) {
	r := cdc.RowOf("id", int64(1), "name", "x")
	if !reflect.DeepEqual(r.Names(), []string{"id", "name"}) || !reflect.DeepEqual(r.Values(), []any{int64(1), "x"}) {
		t.Errorf("RowOf = %#v", r)
	}
	if r := cdc.RowOf(); !r.IsZero() {
		t.Error("RowOf() is not zero")
	}
}

func TestRowConstructorsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"NewRow lengths": func() { cdc.NewRow([]string{"a"}, nil) },
		"RowOf odd":      func() { cdc.RowOf("a") },
		"RowOf name":     func() { cdc.RowOf(1, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestRowGetters covers every typed getter: a good value, a missing column (ErrNoColumn),
// NULL (ErrNull) and a value of another type (ErrType).
func TestRowGetters(t *testing.T) {
	ts := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	r := cdc.RowOf(
		"i64", int64(-5), "i32", int32(7), "int", 8, "u64", uint64(9), "ubig", uint64(math.MaxUint64),
		"f64", 1.5, "f32", float32(2.5),
		"str", "text", "bytes", []byte("raw"), "json", json.RawMessage(`{"a":1}`),
		"bool", true, "ts", ts, "inf", cdc.PositiveInfinity, "dur", 90*time.Second,
		"dec", cdc.MustParseDecimal("12.50"), "minint", int64(math.MinInt64),
		"null", nil, "unchanged", cdc.Unchanged{},
	)
	type check struct {
		col  string
		want any    // expected value when err is nil
		err  error  // expected sentinel
		get  string // getter name
	}
	call := func(get, col string) (any, error) {
		switch get {
		case "Int64":
			return r.Int64(col)
		case "Uint64":
			return r.Uint64(col)
		case "Float64":
			return r.Float64(col)
		case "String":
			return r.String(col)
		case "Bytes":
			return r.Bytes(col)
		case "Bool":
			return r.Bool(col)
		case "Time":
			return r.Time(col)
		case "Duration":
			return r.Duration(col)
		case "Decimal":
			return r.Decimal(col)
		case "JSON":
			return r.JSON(col)
		}
		panic(get)
	}
	checks := []check{
		{"i64", int64(-5), nil, "Int64"},
		{"i32", int64(7), nil, "Int64"},
		{"int", int64(8), nil, "Int64"},
		{"u64", int64(9), nil, "Int64"},
		{"ubig", nil, cdc.ErrType, "Int64"},
		{"str", nil, cdc.ErrType, "Int64"},
		{"f64", nil, cdc.ErrType, "Int64"},

		{"u64", uint64(9), nil, "Uint64"},
		{"ubig", uint64(math.MaxUint64), nil, "Uint64"},
		{"i32", nil, cdc.ErrType, "Uint64"},
		{"i64", nil, cdc.ErrType, "Uint64"},
		{"bool", nil, cdc.ErrType, "Uint64"},

		{"f64", 1.5, nil, "Float64"},
		{"f32", 2.5, nil, "Float64"},
		{"i64", -5.0, nil, "Float64"},
		{"u64", 9.0, nil, "Float64"},
		{"dec", nil, cdc.ErrType, "Float64"},

		{"str", "text", nil, "String"},
		{"bytes", "raw", nil, "String"},
		{"i64", nil, cdc.ErrType, "String"},
		{"unchanged", nil, cdc.ErrType, "String"},

		{"bytes", []byte("raw"), nil, "Bytes"},
		{"str", []byte("text"), nil, "Bytes"},
		{"json", []byte(`{"a":1}`), nil, "Bytes"},
		{"i64", nil, cdc.ErrType, "Bytes"},

		{"bool", true, nil, "Bool"},
		{"i64", nil, cdc.ErrType, "Bool"},

		{"ts", ts, nil, "Time"},
		{"inf", nil, cdc.ErrType, "Time"},
		{"str", nil, cdc.ErrType, "Time"},

		{"dur", 90 * time.Second, nil, "Duration"},
		{"i64", nil, cdc.ErrType, "Duration"},

		{"dec", cdc.MustParseDecimal("12.50"), nil, "Decimal"},
		{"i64", cdc.MustParseDecimal("-5"), nil, "Decimal"},
		{"minint", cdc.MustParseDecimal("-9223372036854775808"), nil, "Decimal"},
		{"ubig", cdc.MustParseDecimal("18446744073709551615"), nil, "Decimal"},
		{"f64", nil, cdc.ErrType, "Decimal"},
		{"str", nil, cdc.ErrType, "Decimal"},

		{"json", json.RawMessage(`{"a":1}`), nil, "JSON"},
		{"str", json.RawMessage("text"), nil, "JSON"},
		{"bytes", json.RawMessage("raw"), nil, "JSON"},
		{"i64", nil, cdc.ErrType, "JSON"},
	}
	getters := []string{"Int64", "Uint64", "Float64", "String", "Bytes", "Bool", "Time", "Duration", "Decimal", "JSON"}
	for _, g := range getters {
		checks = append(checks, check{"missing", nil, cdc.ErrNoColumn, g}, check{"null", nil, cdc.ErrNull, g})
	}
	for _, c := range checks {
		got, err := call(c.get, c.col)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s(%q) error = %v, want %v", c.get, c.col, err, c.err)
			} else if !strings.Contains(err.Error(), `"`+c.col+`"`) {
				t.Errorf("%s(%q) error %q does not name the column", c.get, c.col, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s(%q): %v", c.get, c.col, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s(%q) = %#v, want %#v", c.get, c.col, got, c.want)
		}
	}
	// The type error says what the column holds.
	_, err := r.Int64("str")
	if err == nil || !strings.Contains(err.Error(), "string") {
		t.Errorf("Int64(str) error = %v", err)
	}
}

// Events of one table share the names slice of its schema: changing the columns of one
// event's row must never show in another's.
func TestRowCopyOnWriteSharedNames(t *testing.T) {
	schema := cdc.NewTableSchema(cdc.TableID{Database: "shop", Name: "orders"},
		[]cdc.Column{{Name: "id"}, {Name: "status"}, {Name: "total"}}, nil)
	names := schema.Names()
	orig := append([]string(nil), names...)
	newRows := func() (cdc.Row, cdc.Row) {
		return cdc.NewRow(names, []any{int64(1), "new", "1.00"}), cdc.NewRow(names, []any{int64(2), "paid", "2.00"})
	}
	unchangedOther := func(t *testing.T, other cdc.Row) {
		t.Helper()
		if !reflect.DeepEqual(names, orig) {
			t.Fatalf("shared names changed to %v", names)
		}
		if !reflect.DeepEqual(other.Names(), orig) || !reflect.DeepEqual(other.Values(), []any{int64(2), "paid", "2.00"}) {
			t.Fatalf("other row changed to %#v", other)
		}
	}

	t.Run("Set existing", func(t *testing.T) {
		a, b := newRows()
		a.Set("status", "shipped")
		if v, _ := a.Get("status"); v != "shipped" {
			t.Errorf("status = %v", v)
		}
		if &a.Names()[0] != &names[0] {
			t.Error("Set of an existing column copied the names")
		}
		unchangedOther(t, b)
	})
	t.Run("Set new", func(t *testing.T) {
		a, b := newRows()
		a.Set("note", "gift")
		if !reflect.DeepEqual(a.Names(), []string{"id", "status", "total", "note"}) {
			t.Errorf("names = %v", a.Names())
		}
		if v, _ := a.Get("note"); v != "gift" {
			t.Errorf("note = %v", v)
		}
		b.Set("other", 1)
		if a.Has("other") || !reflect.DeepEqual(a.Names(), []string{"id", "status", "total", "note"}) {
			t.Errorf("a changed by b.Set: %v", a.Names())
		}
		b.Delete("other")
		unchangedOther(t, b)
	})
	t.Run("Delete", func(t *testing.T) {
		a, b := newRows()
		if !a.Delete("status") || a.Delete("status") {
			t.Error("Delete results wrong")
		}
		if !reflect.DeepEqual(a.Names(), []string{"id", "total"}) || !reflect.DeepEqual(a.Values(), []any{int64(1), "1.00"}) {
			t.Errorf("after Delete: %#v", a)
		}
		unchangedOther(t, b)
	})
	t.Run("Rename", func(t *testing.T) {
		a, b := newRows()
		if !a.Rename("status", "state") || a.Rename("nope", "x") {
			t.Error("Rename results wrong")
		}
		if !reflect.DeepEqual(a.Names(), []string{"id", "state", "total"}) {
			t.Errorf("after Rename: %v", a.Names())
		}
		if v, _ := a.Get("state"); v != "new" || a.Has("status") {
			t.Errorf("after Rename: %#v", a)
		}
		unchangedOther(t, b)
	})
	if cols := schema.Names(); !reflect.DeepEqual(cols, orig) {
		t.Errorf("schema names changed to %v", cols)
	}
}

// Names with spare capacity (a source building them with append) must not be written
// through either.
func TestRowCopyOnWriteSpareCapacity(t *testing.T) {
	names := make([]string, 2, 8)
	copy(names, []string{"a", "b"})
	values1 := make([]any, 2, 8)
	values1[0], values1[1] = 1, 2
	a := cdc.NewRow(names, values1)
	b := cdc.NewRow(names, []any{3, 4})
	a.Set("x", "ax")
	b.Set("y", "by")
	if !reflect.DeepEqual(a.Names(), []string{"a", "b", "x"}) || !reflect.DeepEqual(b.Names(), []string{"a", "b", "y"}) {
		t.Errorf("names: a %v, b %v", a.Names(), b.Names())
	}
	if v, _ := a.Get("x"); v != "ax" {
		t.Errorf("a.x = %v", v)
	}
	if got := names[:3][2]; got != "" {
		t.Errorf("spare capacity of the shared names was written: %q", got)
	}
}

// A shallow copy of a row (as in a copy of its Event) keeps its own view when the
// other copy changes its columns.
func TestRowCopyOnWriteShallowCopy(t *testing.T) {
	values := make([]any, 3, 8)
	copy(values, []any{1, 2, 3})
	orig := cdc.NewRow([]string{"a", "b", "c"}, values)

	c := orig
	c.Delete("a")
	if !reflect.DeepEqual(orig.Values(), []any{1, 2, 3}) || !reflect.DeepEqual(orig.Names(), []string{"a", "b", "c"}) {
		t.Errorf("Delete on a copy changed the original: %#v", orig)
	}
	if !reflect.DeepEqual(c.Values(), []any{2, 3}) {
		t.Errorf("copy after Delete: %#v", c)
	}

	c = orig
	c.Set("x", "cx")
	orig.Set("y", "oy")
	if v, _ := c.Get("x"); v != "cx" {
		t.Errorf("copy's new column overwritten: %v", v)
	}
	if v, _ := orig.Get("y"); v != "oy" || orig.Has("x") {
		t.Errorf("original after Set: %#v", orig)
	}
}

func TestRowMarshalJSON(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	r := cdc.RowOf(
		"zeta", int64(1),
		"alpha", "x",
		"total", cdc.MustParseDecimal("12.50"),
		"big", cdc.MustParseDecimal("-123456789012345678901234567890.1"),
		"nan", cdc.DecimalNaN,
		"doc", cdc.Unchanged{},
		"null", nil,
		"bin", []byte("hi"),
		"meta", json.RawMessage(`{"k": [1, 2]}`),
		"ts", ts,
		"inf", cdc.NegativeInfinity,
		"dur", 90*time.Minute,
		"tags", []any{"a", int64(2)},
		"set", []string{"x", "y"},
		"iv", cdc.Interval{Months: 1},
		"fnan", math.NaN(),
		"finf", math.Inf(-1),
		"f32", float32(math.Inf(1)),
		"f", 1.25,
	)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"zeta":1,"alpha":"x","total":"12.50","big":"-123456789012345678901234567890.1","nan":"NaN",` +
		`"doc":"\u003cunchanged\u003e","null":null,"bin":"aGk=","meta":{"k":[1,2]},` +
		`"ts":"2024-01-02T03:04:05.6Z","inf":"-infinity","dur":"1h30m0s","tags":["a",2],"set":["x","y"],` +
		`"iv":{"Months":1,"Days":0,"Microseconds":0},"fnan":"NaN","finf":"-Infinity","f32":"Infinity","f":1.25}`
	if string(b) != want {
		t.Errorf("MarshalJSON =\n%s\nwant\n%s", b, want)
	}
	// The marker decodes to its text.
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m["doc"] != "<unchanged>" {
		t.Errorf("decoded doc = %v, %v", m["doc"], err)
	}

	var zero cdc.Row
	if b, err := json.Marshal(zero); err != nil || string(b) != "null" {
		t.Errorf("zero Row = %s, %v", b, err)
	}
	if b, err := json.Marshal(cdc.RowOf()); err != nil || string(b) != "{}" {
		t.Errorf("empty Row = %s, %v", b, err)
	}
	_, err = json.Marshal(cdc.RowOf("ok", 1, "bad", make(chan int)))
	if err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("unsupported value error = %v", err)
	}
}

func TestRowClone(t *testing.T) {
	names := []string{"a", "b"}
	r := cdc.NewRow(names, []any{1, "x"})
	c := r.Clone()
	if !reflect.DeepEqual(c.Names(), r.Names()) || !reflect.DeepEqual(c.Values(), r.Values()) {
		t.Fatalf("Clone = %#v", c)
	}
	c.Set("a", 2)
	c.Rename("b", "bb")
	if v, _ := r.Get("a"); v != 1 || names[1] != "b" {
		t.Errorf("changing the clone changed the row: %#v", r)
	}
	r.Set("b", "y")
	if v, _ := c.Get("bb"); v != "x" {
		t.Errorf("changing the row changed the clone: %#v", c)
	}
	var zero cdc.Row
	if !zero.Clone().IsZero() {
		t.Error("Clone of zero Row is not zero")
	}
}

func TestRowMap(t *testing.T) {
	r := cdc.RowOf("a", 1, "b", nil, "c", cdc.Unchanged{})
	want := map[string]any{"a": 1, "b": nil, "c": cdc.Unchanged{}}
	if m := r.Map(); !reflect.DeepEqual(m, want) {
		t.Errorf("Map = %v", m)
	}
	var zero cdc.Row
	if zero.Map() != nil {
		t.Error("zero Row Map is not nil")
	}
}

func TestRowGoString(t *testing.T) {
	r := cdc.RowOf("id", int64(1), "name", "x", "n", nil)
	if got, want := r.GoString(), `{id=1 name="x" n=<nil>}`; got != want {
		t.Errorf("GoString = %s, want %s", got, want)
	}
}
