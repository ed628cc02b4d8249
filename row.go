package cdc

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unsafe"
)

// Row is an ordered set of named column values.
//
// The names are usually shared with the table schema (and every other event of the
// table), the values belong to the event. Methods that change the set of columns
// (Set of a new column, Delete, Rename) copy the names first, so changing one event's
// row never changes another's. A nil value is SQL NULL; see the package documentation
// for the Go type of each database type.
type Row struct {
	// name0 is the first of the names; there are as many names as values. Keeping a
	// pointer instead of a slice makes Row 32 bytes instead of 48 and Event 48 bytes
	// smaller, and an Event is written, copied and scanned by the GC for every change.
	name0  *string
	values []any
}

// rowOf makes a row; len(names) == len(values).
func rowOf(names []string, values []any) Row {
	return Row{name0: unsafe.SliceData(names), values: values}
}

// names returns the column names (nil for the zero Row).
func (r Row) names() []string {
	if r.name0 == nil {
		return nil
	}
	return unsafe.Slice(r.name0, len(r.values))
}

// NewRow returns a row over names and values, which must have the same length.
// The row keeps both slices: names may be shared, values must belong to the row.
func NewRow(names []string, values []any) Row {
	if len(names) != len(values) {
		panic(fmt.Sprintf("cdc.NewRow: %d names but %d values", len(names), len(values)))
	}
	return rowOf(names, values)
}

// RowOf builds a row from alternating names and values: RowOf("id", int64(1), "name", "x").
// It is meant for tests and examples.
func RowOf(kv ...any) Row {
	if len(kv)%2 != 0 {
		panic("cdc.RowOf: odd number of arguments")
	}
	names, values := make([]string, 0, len(kv)/2), make([]any, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		name, ok := kv[i].(string)
		if !ok {
			panic(fmt.Sprintf("cdc.RowOf: argument %d is %T, want a column name", i, kv[i]))
		}
		names = append(names, name)
		values = append(values, kv[i+1])
	}
	return rowOf(names, values)
}

// IsZero reports whether the row is absent (no columns): Before of a create, After of a delete.
func (r Row) IsZero() bool { return len(r.values) == 0 }

// Len returns the number of columns.
func (r Row) Len() int { return len(r.values) }

// Names returns the column names. The slice may be shared: do not modify it.
func (r Row) Names() []string { return r.names() }

// Values returns the values in column order. The slice belongs to the row.
func (r Row) Values() []any { return r.values }

// Name returns the name of column i.
func (r Row) Name(i int) string { return r.names()[i] }

// At returns the value of column i.
func (r Row) At(i int) any { return r.values[i] }

// Index returns the position of the named column, or -1.
func (r Row) Index(name string) int {
	for i, n := range r.names() {
		if n == name {
			return i
		}
	}
	return -1
}

// Get returns the value of the named column and whether the row has that column.
func (r Row) Get(name string) (any, bool) {
	if i := r.Index(name); i >= 0 {
		return r.values[i], true
	}
	return nil, false
}

// Has reports whether the row has the column.
func (r Row) Has(name string) bool { return r.Index(name) >= 0 }

// IsNull reports whether the column exists and is NULL.
func (r Row) IsNull(name string) bool {
	i := r.Index(name)
	return i >= 0 && r.values[i] == nil
}

// Set sets the value of a column, adding the column at the end when the row lacks it.
func (r *Row) Set(name string, v any) {
	if i := r.Index(name); i >= 0 {
		r.values[i] = v
		return
	}
	// The three-index slices make append copy instead of writing into shared names, or
	// into spare capacity of values that a copy of this Row also sees.
	n := len(r.values)
	*r = rowOf(append(r.names()[:n:n], name), append(r.values[:n:n], v))
}

// Delete removes a column; it reports whether the column was there.
func (r *Row) Delete(name string) bool {
	i := r.Index(name)
	if i < 0 {
		return false
	}
	old := r.names()
	names := make([]string, 0, len(old)-1)
	names = append(append(names, old[:i]...), old[i+1:]...)
	// Copy the values too: shifting them in place would leave any copy of this Row (a
	// shallow copy of its Event) with its old names over shifted values.
	values := make([]any, 0, len(r.values)-1)
	*r = rowOf(names, append(append(values, r.values[:i]...), r.values[i+1:]...))
	return true
}

// Rename renames a column; it reports whether the column was there.
func (r *Row) Rename(from, to string) bool {
	i := r.Index(from)
	if i < 0 {
		return false
	}
	names := make([]string, len(r.values))
	copy(names, r.names())
	names[i] = to
	r.name0 = unsafe.SliceData(names)
	return true
}

// Clone returns a deep-enough copy: its own names and values slices (values themselves
// are shared; they are immutable by convention).
func (r Row) Clone() Row {
	if r.name0 == nil {
		return Row{}
	}
	return rowOf(append([]string(nil), r.names()...), append([]any(nil), r.values...))
}

// Map returns the row as a map. It allocates: prefer Get, Scan or Decode on hot paths.
func (r Row) Map() map[string]any {
	if r.name0 == nil {
		return nil
	}
	m := make(map[string]any, len(r.values))
	for i, n := range r.names() {
		m[n] = r.values[i]
	}
	return m
}

// MarshalJSON renders the row as a JSON object in column order.
func (r Row) MarshalJSON() ([]byte, error) {
	if r.name0 == nil {
		return []byte("null"), nil
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range r.names() {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(jsonValue(r.values[i]))
		if err != nil {
			return nil, fmt.Errorf("cdc: column %q: %w", n, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func jsonValue(v any) any {
	switch x := v.(type) {
	case Unchanged:
		return x.String()
	case time.Duration:
		return x.String()
	case float64:
		// encoding/json refuses NaN and ±Inf, which PostgreSQL float columns can hold:
		// render them as strings, like Decimal's NaN and infinities (and Debezium).
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return rowJSONFloat(x)
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return rowJSONFloat(float64(x))
		}
	}
	return v
}

func rowJSONFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case f > 0:
		return "Infinity"
	}
	return "-Infinity"
}

// GoString renders the row for debugging (%#v): {id=1 name="x"}.
func (r Row) GoString() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range r.names() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%#v", n, r.values[i])
	}
	b.WriteByte('}')
	return b.String()
}

// lookup finds a non-null value for a typed getter.
func (r Row) lookup(name string) (any, error) {
	v, ok := r.Get(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoColumn, name)
	}
	if v == nil {
		return nil, fmt.Errorf("%w: column %q", ErrNull, name)
	}
	return v, nil
}

func typeErr(name string, v any, want string) error {
	return fmt.Errorf("%w: column %q holds %T, not %s", ErrType, name, v, want)
}

// Int64 returns an integer column. uint64 values that fit are accepted.
func (r Row) Int64(name string) (int64, error) {
	v, err := r.lookup(name)
	if err != nil {
		return 0, err
	}
	if n, ok := AsInt64(v); ok {
		return n, nil
	}
	return 0, typeErr(name, v, "int64")
}

// Uint64 returns an unsigned column. Non-negative int64 values are accepted.
func (r Row) Uint64(name string) (uint64, error) {
	v, err := r.lookup(name)
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case uint64:
		return x, nil
	case int64:
		if x >= 0 {
			return uint64(x), nil
		}
	}
	return 0, typeErr(name, v, "uint64")
}

// Float64 returns a float column; integer columns are converted.
func (r Row) Float64(name string) (float64, error) {
	v, err := r.lookup(name)
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	}
	return 0, typeErr(name, v, "float64")
}

// String returns a text column; []byte values are converted.
func (r Row) String(name string) (string, error) {
	v, err := r.lookup(name)
	if err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", typeErr(name, v, "string")
}

// Bytes returns a binary column; string values are converted.
func (r Row) Bytes(name string) ([]byte, error) {
	v, err := r.lookup(name)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case []byte:
		return x, nil
	case string:
		return []byte(x), nil
	case json.RawMessage:
		return x, nil
	}
	return nil, typeErr(name, v, "[]byte")
}

// Bool returns a boolean column.
func (r Row) Bool(name string) (bool, error) {
	v, err := r.lookup(name)
	if err != nil {
		return false, err
	}
	if x, ok := v.(bool); ok {
		return x, nil
	}
	return false, typeErr(name, v, "bool")
}

// Time returns a date or timestamp column. An infinite value is an error wrapping ErrType.
func (r Row) Time(name string) (time.Time, error) {
	v, err := r.lookup(name)
	if err != nil {
		return time.Time{}, err
	}
	if x, ok := v.(time.Time); ok {
		return x, nil
	}
	return time.Time{}, typeErr(name, v, "time.Time")
}

// Duration returns a time-of-day column.
func (r Row) Duration(name string) (time.Duration, error) {
	v, err := r.lookup(name)
	if err != nil {
		return 0, err
	}
	if x, ok := v.(time.Duration); ok {
		return x, nil
	}
	return 0, typeErr(name, v, "time.Duration")
}

// Decimal returns a numeric column; integer columns are converted exactly.
func (r Row) Decimal(name string) (Decimal, error) {
	v, err := r.lookup(name)
	if err != nil {
		return Decimal{}, err
	}
	switch x := v.(type) {
	case Decimal:
		return x, nil
	case int64:
		return newDecimal(x < 0, strings.TrimPrefix(fmt.Sprint(x), "-"), 0), nil
	case uint64:
		return newDecimal(false, fmt.Sprint(x), 0), nil
	}
	return Decimal{}, typeErr(name, v, "cdc.Decimal")
}

// JSON returns a json / jsonb column.
func (r Row) JSON(name string) (json.RawMessage, error) {
	v, err := r.lookup(name)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case json.RawMessage:
		return x, nil
	case string:
		return json.RawMessage(x), nil
	case []byte:
		return json.RawMessage(x), nil
	}
	return nil, typeErr(name, v, "json.RawMessage")
}
