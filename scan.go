package cdc

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Scan copies the row's columns into the struct pointed to by dst.
//
// # Which field gets a column
//
// A field tagged `cdc:"name"` receives the column with exactly that name; `cdc:"-"`
// never receives anything. An untagged exported field receives the column whose name
// equals the field name ignoring case, or its snake_case form ignoring case (field
// OrderID: column "OrderID", "orderid" or "order_id"; CreatedAt: "created_at").
// A tag wins over the name of an untagged field. Fields of embedded structs are promoted
// as in encoding/json (a shallower field hides a deeper one with the same name, and
// names that are ambiguous at one depth match nothing); nil embedded struct pointers
// are allocated when one of their fields receives a value. Unexported fields are
// ignored. Columns without a field are ignored and fields without a column are left
// as they are.
//
// # Conversions
//
// A value whose type is assignable to the field is assigned, and an interface field
// (any) receives the value as the source produced it. Otherwise a field whose pointer
// implements sql.Scanner (Scan(any) error) gets the value through Scan, with a Decimal
// passed as its string and json.RawMessage as []byte. Otherwise:
//
//   - int64 and uint64 go into any integer field when they fit (an error otherwise),
//     into float fields, into Decimal fields, and 0 or 1 into bool fields;
//   - float64 goes into float fields (float32 when it fits);
//   - Decimal goes into string fields as its text, into big.Rat, into integer fields
//     when it is a whole number that fits, into float fields (lossy: the nearest
//     float), and into encoding.TextUnmarshaler types as its text; NaN and the
//     infinities do not go into integers or big.Rat;
//   - string and []byte go into string and []byte fields, and into types implementing
//     encoding.TextUnmarshaler (Decimal, time.Time, big.Rat, UUID types...), which
//     take precedence;
//   - json.RawMessage goes into json.RawMessage, []byte and string fields as the raw
//     JSON text, and into any other field (map, struct, slice...) through json.Unmarshal;
//   - []any, []string and other slices go into slice fields element by element; a
//     NULL element becomes the element's zero value;
//   - time.Time, time.Duration, Interval and map[string]any need a field of their own
//     type (or one they are assignable to). Infinity (an infinite date or timestamp)
//     in a time.Time field is an error.
//
// NULL sets the field to its zero value (nil for pointers, maps, slices and
// interfaces). A non-NULL value for a pointer field is converted into a newly
// allocated value. An Unchanged value (a TOAST column an update did not send) leaves
// the field as it is, whatever its type: scanning an update into a copy of the
// previous state keeps the previous value.
//
// Slices, maps and json.RawMessage values assigned as they are share their memory
// with the row, whose values are immutable by convention: do not modify them.
//
// Errors wrap ErrType and name the column, the value's Go type and the field:
// `cdc: column "total" (string) cannot be stored in field Order.Total (int64)`.
// Scan stops at the first such error; the fields of the columns before it have been
// set. A dst that is not a non-nil pointer to a struct is an error too. Scan never
// panics (unless a field's own Scan or UnmarshalText method does).
//
// The field plan of each struct type is built once and cached; scanning scalar
// columns into an existing struct does not allocate.
func (r Row) Scan(dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer {
		return fmt.Errorf("cdc: Scan needs a non-nil pointer to a struct, got %s", scanTypeName(reflect.TypeOf(dst)))
	}
	if rv.IsNil() {
		return fmt.Errorf("cdc: Scan needs a non-nil pointer to a struct, got a nil %s", scanTypeName(rv.Type()))
	}
	sv := rv.Elem()
	if sv.Kind() != reflect.Struct {
		return fmt.Errorf("cdc: Scan needs a non-nil pointer to a struct, got %s", scanTypeName(rv.Type()))
	}
	return scanPlanFor(sv.Type()).scan(r, sv)
}

// Decode returns the row as a T, a struct type (or a pointer to one, which Decode
// allocates), following the rules of Row.Scan. Fields whose column is missing or
// Unchanged keep their zero value. On error Decode returns the zero T.
func Decode[T any](r Row) (T, error) {
	var t T
	rt := reflect.TypeFor[T]()
	switch {
	case rt.Kind() == reflect.Struct:
		if err := scanPlanFor(rt).scan(r, reflect.ValueOf(&t).Elem()); err != nil {
			var zero T
			return zero, err
		}
		return t, nil
	case rt.Kind() == reflect.Pointer && rt.Elem().Kind() == reflect.Struct:
		pv := reflect.New(rt.Elem())
		if err := scanPlanFor(rt.Elem()).scan(r, pv.Elem()); err != nil {
			return t, err
		}
		reflect.ValueOf(&t).Elem().Set(pv)
		return t, nil
	}
	return t, fmt.Errorf("cdc: Decode needs a struct type, got %s", scanTypeName(rt))
}

// scanValueScanner is database/sql's Scanner, declared here so the package does not
// import database/sql.
type scanValueScanner interface {
	Scan(src any) error
}

var (
	scanScannerType   = reflect.TypeFor[scanValueScanner]()
	scanTextUnmarType = reflect.TypeFor[encoding.TextUnmarshaler]()
	scanDecimalType   = reflect.TypeFor[Decimal]()
	scanTimeType      = reflect.TypeFor[time.Time]()
	scanRatType       = reflect.TypeFor[big.Rat]()
)

// scanPlan is the cached description of a struct type: its settable fields and the
// column names that reach them.
type scanPlan struct {
	name   string // struct type name, for error messages
	fields []scanField
	byName map[string]int // exact column name -> field: tags, then lower/snake forms of untagged fields
	byFold map[string]int // lower-cased column name -> untagged field

	// cols remembers the field of each column for the first few column lists scanned
	// into this type. Rows of a table share their names, so most scans find their list
	// here and compare strings that share their bytes instead of hashing every name.
	// Slots are filled once and never replaced: no churn when many lists come by.
	cols [scanColumnSlots]atomic.Pointer[scanColumns]
}

const scanColumnSlots = 8

// scanColumns maps one list of column names to fields.
type scanColumns struct {
	names  []string // a private copy of the column names
	fields []int32  // the field of each column in plan.fields, or -1
}

type scanField struct {
	index []int  // reflect field index path (more than one element for promoted fields)
	path  string // Go field path for messages: "Total", "Audit.CreatedAt"
	conv  *scanConv
}

// scanConv describes how to store into one Go type.
type scanConv struct {
	t       reflect.Type
	kind    reflect.Kind
	scanner bool      // *t implements Scan(any) error
	text    bool      // *t implements encoding.TextUnmarshaler
	bytes   bool      // slice of uint8
	elem    *scanConv // pointer and slice element
}

var scanPlans sync.Map // reflect.Type -> *scanPlan

func scanPlanFor(t reflect.Type) *scanPlan {
	if p, ok := scanPlans.Load(t); ok {
		return p.(*scanPlan)
	}
	p, _ := scanPlans.LoadOrStore(t, scanBuildPlan(t))
	return p.(*scanPlan)
}

// lookup returns the index in p.fields of the field that receives column col.
func (p *scanPlan) lookup(col string) (int, bool) {
	if i, ok := p.byName[col]; ok {
		return i, true
	}
	if len(p.byFold) == 0 {
		return 0, false
	}
	var buf [64]byte
	if len(col) <= len(buf) {
		upper, ascii := false, true
		for i := 0; i < len(col); i++ {
			c := col[i]
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
				upper = true
			}
			buf[i] = c
		}
		if ascii {
			if !upper { // already lower case: byName had every key byFold has
				return 0, false
			}
			i, ok := p.byFold[string(buf[:len(col)])] // no allocation for this conversion
			return i, ok
		}
	}
	i, ok := p.byFold[strings.ToLower(col)]
	return i, ok
}

// columns returns the field of each of the names, from the cache or by lookup.
func (p *scanPlan) columns(names []string) []int32 {
	free := -1
	for i := range p.cols {
		c := p.cols[i].Load()
		if c == nil {
			free = i
			break
		}
		if scanSameNames(c.names, names) {
			return c.fields
		}
	}
	if free < 0 {
		return nil // cache full: scan looks each column up
	}
	c := &scanColumns{names: append([]string(nil), names...), fields: make([]int32, len(names))}
	for i, col := range names {
		c.fields[i] = -1
		if fi, ok := p.lookup(col); ok {
			c.fields[i] = int32(fi)
		}
	}
	p.cols[free].CompareAndSwap(nil, c) // a concurrent scan may have taken the slot: fine
	return c.fields
}

func scanSameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] { // same bytes: pointer comparison
			return false
		}
	}
	return true
}

func (p *scanPlan) scan(r Row, sv reflect.Value) error {
	if len(r.values) == 0 {
		return nil
	}
	cached := p.columns(r.names())
	for i, col := range r.names() {
		var fi int
		if cached != nil {
			if fi = int(cached[i]); fi < 0 {
				continue
			}
		} else {
			var ok bool
			if fi, ok = p.lookup(col); !ok {
				continue
			}
		}
		v := r.values[i]
		if _, ok := v.(Unchanged); ok {
			continue
		}
		f := &p.fields[fi]
		fv, ok := scanFieldValue(sv, f.index, v != nil)
		if !ok {
			continue // NULL below a nil embedded pointer: already the zero value
		}
		if v == nil {
			fv.SetZero()
			continue
		}
		if err := scanStore(f.conv, fv, v); err != nil {
			return &scanError{column: col, value: v, structName: p.name, field: f.path, fieldType: f.conv.t, reason: err}
		}
	}
	return nil
}

// scanFieldValue walks the index path, allocating nil embedded struct pointers when
// alloc is set. It reports false when it meets a nil pointer it may not allocate.
func scanFieldValue(v reflect.Value, index []int, alloc bool) (reflect.Value, bool) {
	if len(index) == 1 {
		return v.Field(index[0]), true
	}
	for n, i := range index {
		if n > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !alloc || !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// scanError is the error of a column that cannot be stored in its field.
type scanError struct {
	column     string
	value      any
	structName string
	field      string
	fieldType  reflect.Type
	reason     error // errScanMismatch, or what went wrong
}

// errScanMismatch is the reason of a plain type mismatch; it adds nothing to the message.
var errScanMismatch = errors.New("type mismatch")

func (e *scanError) Error() string {
	msg := fmt.Sprintf("cdc: column %q (%s) cannot be stored in field %s.%s (%s)",
		e.column, scanTypeName(reflect.TypeOf(e.value)), e.structName, e.field, scanTypeName(e.fieldType))
	if e.reason != nil && e.reason != errScanMismatch {
		msg += ": " + e.reason.Error()
	}
	return msg
}

func (e *scanError) Unwrap() []error {
	if e.reason == nil || e.reason == errScanMismatch {
		return []error{ErrType}
	}
	return []error{ErrType, e.reason}
}

func scanTypeName(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && t.Name() == "" && t.Elem().Name() == "uint8" {
		return "[]byte"
	}
	return strings.ReplaceAll(t.String(), "interface {}", "any")
}

// scanStore stores v (neither nil nor Unchanged) into fv, whose conversion is c.
// It returns errScanMismatch, another reason, or nil.
func scanStore(c *scanConv, fv reflect.Value, v any) error {
	vt := reflect.TypeOf(v)
	if vt == c.t {
		scanAssign(fv, v)
		return nil
	}
	switch c.kind {
	case reflect.Interface:
		if vt.Implements(c.t) {
			fv.Set(reflect.ValueOf(v))
			return nil
		}
		return errScanMismatch
	case reflect.Pointer:
		if vt.AssignableTo(c.t) {
			fv.Set(reflect.ValueOf(v))
			return nil
		}
		nv := reflect.New(c.elem.t)
		if err := scanStore(c.elem, nv.Elem(), v); err != nil {
			return err
		}
		fv.Set(nv)
		return nil
	}
	if vt.AssignableTo(c.t) {
		fv.Set(reflect.ValueOf(v))
		return nil
	}
	if c.scanner {
		return scanViaScanner(c, fv, v)
	}
	switch x := v.(type) {
	case int64:
		return scanStoreInt(c, fv, x)
	case uint64:
		return scanStoreUint(c, fv, x)
	case float64:
		return scanStoreFloat(c, fv, x)
	case string:
		return scanStoreString(c, fv, x)
	case []byte:
		return scanStoreBytes(c, fv, x)
	case json.RawMessage:
		return scanStoreJSON(c, fv, x)
	case Decimal:
		return scanStoreDecimal(c, fv, x)
	case bool:
		if c.kind == reflect.Bool {
			fv.SetBool(x)
			return nil
		}
		return errScanMismatch
	case []any:
		return scanStoreSlice(c, fv, len(x), func(i int) any { return x[i] })
	case Infinity:
		if c.t == scanTimeType {
			return fmt.Errorf("%s has no time.Time value", x)
		}
		return errScanMismatch
	case time.Time, time.Duration, Interval, Unchanged, map[string]any:
		return errScanMismatch
	}
	// Other types: by kind (int, int32, float32, named string types, typed slices...).
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return scanStoreInt(c, fv, rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return scanStoreUint(c, fv, rv.Uint())
	case reflect.Float32, reflect.Float64:
		return scanStoreFloat(c, fv, rv.Float())
	case reflect.String:
		return scanStoreString(c, fv, rv.String())
	case reflect.Bool:
		if c.kind == reflect.Bool {
			fv.SetBool(rv.Bool())
			return nil
		}
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return scanStoreBytes(c, fv, rv.Bytes())
		}
		return scanStoreSlice(c, fv, rv.Len(), func(i int) any { return rv.Index(i).Interface() })
	}
	return errScanMismatch
}

// scanAssign stores v into fv, which has v's type. Scalars go through the typed
// setters, which are cheaper than reflect.Value.Set.
func scanAssign(fv reflect.Value, v any) {
	switch x := v.(type) {
	case int64:
		fv.SetInt(x)
	case string:
		fv.SetString(x)
	case float64:
		fv.SetFloat(x)
	case bool:
		fv.SetBool(x)
	case uint64:
		fv.SetUint(x)
	default:
		fv.Set(reflect.ValueOf(v))
	}
}

func scanOverflow(v any, t reflect.Type) error {
	return fmt.Errorf("value %v overflows %s", v, scanTypeName(t))
}

func scanStoreInt(c *scanConv, fv reflect.Value, x int64) error {
	switch c.kind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if fv.OverflowInt(x) {
			return scanOverflow(x, c.t)
		}
		fv.SetInt(x)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if x < 0 || fv.OverflowUint(uint64(x)) {
			return scanOverflow(x, c.t)
		}
		fv.SetUint(uint64(x))
		return nil
	case reflect.Float32, reflect.Float64:
		fv.SetFloat(float64(x))
		return nil
	case reflect.Bool:
		if x == 0 || x == 1 {
			fv.SetBool(x == 1)
			return nil
		}
		return fmt.Errorf("value %d is not 0 or 1", x)
	}
	if c.t == scanDecimalType {
		neg, u := x < 0, uint64(x)
		if neg {
			u = -u
		}
		fv.Set(reflect.ValueOf(newDecimal(neg, strconv.FormatUint(u, 10), 0)))
		return nil
	}
	return errScanMismatch
}

func scanStoreUint(c *scanConv, fv reflect.Value, x uint64) error {
	switch c.kind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if x > 1<<63-1 || fv.OverflowInt(int64(x)) {
			return scanOverflow(x, c.t)
		}
		fv.SetInt(int64(x))
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if fv.OverflowUint(x) {
			return scanOverflow(x, c.t)
		}
		fv.SetUint(x)
		return nil
	case reflect.Float32, reflect.Float64:
		fv.SetFloat(float64(x))
		return nil
	case reflect.Bool:
		if x <= 1 {
			fv.SetBool(x == 1)
			return nil
		}
		return fmt.Errorf("value %d is not 0 or 1", x)
	}
	if c.t == scanDecimalType {
		fv.Set(reflect.ValueOf(newDecimal(false, strconv.FormatUint(x, 10), 0)))
		return nil
	}
	return errScanMismatch
}

func scanStoreFloat(c *scanConv, fv reflect.Value, x float64) error {
	switch c.kind {
	case reflect.Float32, reflect.Float64:
		if fv.OverflowFloat(x) {
			return scanOverflow(x, c.t)
		}
		fv.SetFloat(x)
		return nil
	}
	return errScanMismatch
}

func scanStoreString(c *scanConv, fv reflect.Value, s string) error {
	if c.text {
		return scanViaText(c, fv, []byte(s))
	}
	switch {
	case c.kind == reflect.String:
		fv.SetString(s)
		return nil
	case c.bytes:
		fv.SetBytes([]byte(s))
		return nil
	}
	return errScanMismatch
}

func scanStoreBytes(c *scanConv, fv reflect.Value, b []byte) error {
	if c.text {
		return scanViaText(c, fv, b)
	}
	switch {
	case c.kind == reflect.String:
		fv.SetString(string(b))
		return nil
	case c.bytes:
		fv.SetBytes(b)
		return nil
	}
	return errScanMismatch
}

func scanStoreJSON(c *scanConv, fv reflect.Value, j json.RawMessage) error {
	switch {
	case c.kind == reflect.String:
		fv.SetString(string(j))
		return nil
	case c.bytes:
		fv.SetBytes(j)
		return nil
	}
	nv := reflect.New(c.t)
	if err := json.Unmarshal(j, nv.Interface()); err != nil {
		return err
	}
	fv.Set(nv.Elem())
	return nil
}

func scanStoreDecimal(c *scanConv, fv reflect.Value, d Decimal) error {
	switch c.kind {
	case reflect.String:
		if !c.text {
			fv.SetString(d.String())
			return nil
		}
	case reflect.Float32, reflect.Float64:
		return scanStoreFloat(c, fv, d.Float64())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if !d.IsFinite() {
			return errScanMismatch
		}
		s := d.String()
		if i := strings.IndexByte(s, '.'); i >= 0 {
			if strings.Trim(s[i+1:], "0") != "" {
				return fmt.Errorf("value %s is not a whole number", s)
			}
			s = s[:i]
		}
		if s[0] == '-' {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return scanOverflow(s, c.t)
			}
			return scanStoreInt(c, fv, n)
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return scanOverflow(s, c.t)
		}
		return scanStoreUint(c, fv, n)
	}
	if c.t == scanRatType {
		r, err := d.Rat()
		if err != nil {
			return err
		}
		fv.Set(reflect.ValueOf(r).Elem())
		return nil
	}
	if c.text {
		return scanViaText(c, fv, []byte(d.String()))
	}
	return errScanMismatch
}

// scanStoreSlice converts n elements, got through at, into a new slice for fv.
func scanStoreSlice(c *scanConv, fv reflect.Value, n int, at func(int) any) error {
	if c.kind != reflect.Slice {
		return errScanMismatch
	}
	s := reflect.MakeSlice(c.t, n, n)
	for i := 0; i < n; i++ {
		e := at(i)
		if e == nil {
			continue // NULL element: zero value
		}
		if err := scanStore(c.elem, s.Index(i), e); err != nil {
			if err == errScanMismatch {
				return fmt.Errorf("element %d (%s) cannot be stored in %s", i, scanTypeName(reflect.TypeOf(e)), scanTypeName(c.elem.t))
			}
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	fv.Set(s)
	return nil
}

// scanViaText calls UnmarshalText on a new value and stores it on success.
func scanViaText(c *scanConv, fv reflect.Value, b []byte) error {
	nv := reflect.New(c.t)
	if err := nv.Interface().(encoding.TextUnmarshaler).UnmarshalText(b); err != nil {
		return err
	}
	fv.Set(nv.Elem())
	return nil
}

// scanViaScanner calls Scan (database/sql style) on a new value and stores it on success.
func scanViaScanner(c *scanConv, fv reflect.Value, v any) error {
	switch x := v.(type) {
	case Decimal:
		v = x.String()
	case json.RawMessage:
		v = []byte(x)
	}
	nv := reflect.New(c.t)
	if err := nv.Interface().(scanValueScanner).Scan(v); err != nil {
		return err
	}
	fv.Set(nv.Elem())
	return nil
}

// scanBuildConv describes t, sharing descriptions through seen so recursive types end.
func scanBuildConv(t reflect.Type, seen map[reflect.Type]*scanConv) *scanConv {
	if c, ok := seen[t]; ok {
		return c
	}
	c := &scanConv{t: t, kind: t.Kind()}
	seen[t] = c
	switch c.kind {
	case reflect.Interface:
		return c
	case reflect.Pointer:
		c.elem = scanBuildConv(t.Elem(), seen)
		return c
	case reflect.Slice:
		c.bytes = t.Elem().Kind() == reflect.Uint8
		c.elem = scanBuildConv(t.Elem(), seen)
	}
	pt := reflect.PointerTo(t)
	c.scanner = pt.Implements(scanScannerType)
	c.text = pt.Implements(scanTextUnmarType)
	return c
}

// scanCandidate is a field that may receive a column, before dominance is resolved.
type scanCandidate struct {
	field  int // index in plan.fields
	depth  int
	tagged bool
}

func scanBuildPlan(t reflect.Type) *scanPlan {
	p := &scanPlan{name: t.Name(), byName: map[string]int{}, byFold: map[string]int{}}
	if p.name == "" {
		p.name = "struct"
	}
	tags := map[string][]scanCandidate{}  // exact tag name
	folds := map[string][]scanCandidate{} // lower-case and snake_case names of untagged fields
	seen := map[reflect.Type]*scanConv{}

	var walk func(t reflect.Type, index []int, path string, depth int, inside map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, path string, depth int, inside map[reflect.Type]bool) {
		inside[t] = true
		defer delete(inside, t)
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("cdc")
			if tag == "-" {
				continue
			}
			if j := strings.IndexByte(tag, ','); j >= 0 {
				tag = tag[:j]
			}
			idx := append(append([]int(nil), index...), i)
			name := sf.Name
			if path != "" {
				name = path + "." + sf.Name
			}
			if sf.Anonymous {
				ft := sf.Type
				isPtr := ft.Kind() == reflect.Pointer
				if isPtr {
					ft = ft.Elem()
				}
				if !sf.IsExported() && (isPtr || ft.Kind() != reflect.Struct) {
					continue // cannot allocate (or set) through an unexported embedded pointer
				}
				if tag == "" && ft.Kind() == reflect.Struct {
					if !inside[ft] {
						walk(ft, idx, name, depth+1, inside)
					}
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			fi := len(p.fields)
			p.fields = append(p.fields, scanField{index: idx, path: name, conv: scanBuildConv(sf.Type, seen)})
			if tag != "" {
				tags[tag] = append(tags[tag], scanCandidate{field: fi, depth: depth, tagged: true})
				continue
			}
			lower := strings.ToLower(sf.Name)
			folds[lower] = append(folds[lower], scanCandidate{field: fi, depth: depth})
			if snake := scanSnake(sf.Name); snake != lower {
				folds[snake] = append(folds[snake], scanCandidate{field: fi, depth: depth})
			}
		}
	}
	walk(t, nil, "", 0, map[reflect.Type]bool{})

	for key, cands := range tags {
		if fi, ok := scanDominant(cands); ok {
			p.byName[key] = fi
		}
	}
	for key, cands := range folds {
		if fi, ok := scanDominant(cands); ok {
			p.byFold[key] = fi
			if _, tagged := p.byName[key]; !tagged {
				p.byName[key] = fi
			}
		}
	}
	return p
}

// scanDominant picks the shallowest candidate; a tie at that depth matches nothing.
func scanDominant(cands []scanCandidate) (int, bool) {
	best, n := -1, 0
	for i, c := range cands {
		switch {
		case best < 0 || c.depth < cands[best].depth:
			best, n = i, 1
		case c.depth == cands[best].depth && c.field != cands[best].field:
			n++
		}
	}
	if n != 1 {
		return 0, false
	}
	return cands[best].field, true
}

// scanSnake returns the snake_case form of a Go name: OrderID → order_id,
// CreatedAt → created_at, HTTPServer → http_server, Address2 → address2.
func scanSnake(name string) string {
	runes := []rune(name)
	var b strings.Builder
	for i, r := range runes {
		if unicode.IsUpper(r) {
			if i > 0 && runes[i-1] != '_' {
				prev := runes[i-1]
				nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
