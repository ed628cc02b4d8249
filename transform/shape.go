package transform

// Shaping: Include, Exclude, Rename, Insert*, Cast, TimestampConverter and Flatten change
// the columns of Before and After (Kafka Connect's ReplaceField, InsertField, Cast,
// TimestampConverter and Flatten). They change creates, snapshot reads, updates and
// deletes — each of Before and After that is present — and let every other event
// (truncate, message, schema) pass through. Event.Key is left alone except by Rename,
// and Event.Schema (shared, read-only) keeps describing the table as the database has it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tributary-cdc/cdc"
)

// ---------------------------------------------------------------------------------------
// Helpers shared by the shaping, routing, filtering and unwrapping transforms.

// shapeConfigErr builds an error wrapping cdc.ErrInvalidConfig: "<fn>: <problem>".
func shapeConfigErr(fn, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", cdc.ErrInvalidConfig, fn, fmt.Sprintf(format, args...))
}

// shapeFailed is the transform a constructor without an error result returns for bad
// arguments: every Apply returns the configuration error, so the engine stops at the
// first event with a message that names the argument, instead of misbehaving.
type shapeFailed struct{ err error }

func (t shapeFailed) Apply(context.Context, *cdc.Event) (bool, error) { return false, t.err }

// shapeRowOp reports whether op is a row change (creates, snapshot reads, updates, deletes).
func shapeRowOp(op cdc.Op) bool {
	switch op {
	case cdc.OpCreate, cdc.OpRead, cdc.OpUpdate, cdc.OpDelete:
		return true
	}
	return false
}

// shapeSameNames reports whether a and b are the same slice (same array and length).
// Rows of one table share their names with the table schema, so identity is the
// common case; a plan cached for a names slice holds that slice, so its array can not
// be freed and reused for other names while the cache entry exists.
func shapeSameNames(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// shapeMemo caches plans computed from a row's column names, for the last few names
// slices seen. Rows of a table share one names slice (the schema's), so a transform
// derives its plan once per table and schema version instead of once per event. It is
// safe for concurrent use (one transform value may serve several engines).
type shapeMemo[P any] struct {
	entries [4]atomic.Pointer[shapeMemoEntry[P]]
	next    atomic.Uint32
}

type shapeMemoEntry[P any] struct {
	names []string
	plan  P
}

func (m *shapeMemo[P]) get(names []string, build func([]string) P) P {
	for i := range m.entries {
		if e := m.entries[i].Load(); e != nil && shapeSameNames(e.names, names) {
			return e.plan
		}
	}
	p := build(names)
	i := m.next.Add(1) % uint32(len(m.entries))
	m.entries[i].Store(&shapeMemoEntry[P]{names: names, plan: p})
	return p
}

// shapeColumns validates a column list: at least one when need, none empty, duplicates dropped.
func shapeColumns(fn string, columns []string, need bool) ([]string, error) {
	if need && len(columns) == 0 {
		return nil, shapeConfigErr(fn, "no columns: name at least one column")
	}
	out := make([]string, 0, len(columns))
	for i, c := range columns {
		if c == "" {
			return nil, shapeConfigErr(fn, "column %d is empty: name a column", i)
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// shapeShow renders a value for an error message, cut to 64 bytes.
func shapeShow(v any) string {
	s := fmt.Sprintf("%v", v)
	if len(s) > 64 {
		i := 61
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "..."
	}
	return strconv.Quote(s)
}

// ---------------------------------------------------------------------------------------
// Include and Exclude

// Include keeps only the named columns in Before and After, in the rows' own order
// (Kafka Connect's ReplaceField include). Names the rows do not have are ignored, so
// one Include can serve several tables; a row that has none of the columns becomes
// empty, which looks like an absent row (IsZero): limit Include to the tables that
// have the columns with When(Tables(...), ...). Key is left alone.
//
// Include without columns, or with an empty name, is a configuration error that every
// Apply returns (wrapping cdc.ErrInvalidConfig).
func Include(columns ...string) cdc.Transform {
	cols, err := shapeColumns("Include", columns, true)
	if err != nil {
		return shapeFailed{err}
	}
	return newShapeSelect(cols, true)
}

// Exclude removes the named columns from Before and After (Kafka Connect's ReplaceField
// exclude). Names the rows do not have are ignored. Key is left alone: excluding a
// primary-key column from the row does not remove it from the key.
//
// An empty name is a configuration error that every Apply returns.
func Exclude(columns ...string) cdc.Transform {
	cols, err := shapeColumns("Exclude", columns, false)
	if err != nil {
		return shapeFailed{err}
	}
	return newShapeSelect(cols, false)
}

type shapeSelect struct {
	cols    map[string]bool
	include bool
	memo    shapeMemo[*shapeSelectPlan]
	build   func([]string) *shapeSelectPlan
}

type shapeSelectPlan struct {
	all  bool     // every column stays: nothing to do
	keep []int    // indexes of the kept columns
	out  []string // their names, shared by every row the plan serves
}

func newShapeSelect(cols []string, include bool) *shapeSelect {
	t := &shapeSelect{cols: make(map[string]bool, len(cols)), include: include}
	for _, c := range cols {
		t.cols[c] = true
	}
	t.build = t.plan
	return t
}

func (t *shapeSelect) plan(names []string) *shapeSelectPlan {
	p := &shapeSelectPlan{}
	for i, n := range names {
		if t.cols[n] == t.include {
			p.keep = append(p.keep, i)
			p.out = append(p.out, n)
		}
	}
	p.all = len(p.keep) == len(names)
	if p.out == nil {
		p.out = []string{}
	}
	return p
}

func (t *shapeSelect) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !shapeRowOp(ev.Op) {
		return true, nil
	}
	t.row(&ev.Before)
	t.row(&ev.After)
	return true, nil
}

func (t *shapeSelect) row(r *cdc.Row) {
	if r.IsZero() {
		return
	}
	p := t.memo.get(r.Names(), t.build)
	if p.all {
		return
	}
	vals := make([]any, len(p.keep))
	for i, k := range p.keep {
		vals[i] = r.At(k)
	}
	*r = cdc.NewRow(p.out, vals)
}

// ---------------------------------------------------------------------------------------
// Rename

// Rename renames columns in Key, Before and After (Kafka Connect's ReplaceField
// renames). Each pair is "old:new"; an argument may hold several pairs separated by
// commas, as in Kafka Connect's configuration ("a:b,c:d"); spaces around pairs and
// names are ignored. Renames apply at once, so "a:b", "b:a" swaps two columns. Key is
// renamed too, so that key and row keep naming a column the same way.
//
// Rename returns an error wrapping cdc.ErrInvalidConfig for a malformed pair, an empty
// name, a column renamed twice, or two columns renamed to one name. Apply returns an
// error when a new name collides with a column the row already has.
func Rename(pairs ...string) (cdc.Transform, error) {
	m := map[string]string{}
	targets := map[string]string{}
	n := 0
	for _, arg := range pairs {
		for _, pair := range strings.Split(arg, ",") {
			pair = strings.TrimSpace(pair)
			n++
			from, to, ok := strings.Cut(pair, ":")
			from, to = strings.TrimSpace(from), strings.TrimSpace(to)
			if !ok || from == "" || to == "" || strings.Contains(to, ":") {
				return nil, shapeConfigErr("Rename", "pair %q is malformed: write \"old:new\"", pair)
			}
			if _, dup := m[from]; dup {
				return nil, shapeConfigErr("Rename", "column %q is renamed twice: keep one pair for it", from)
			}
			if prev, dup := targets[to]; dup {
				return nil, shapeConfigErr("Rename", "columns %q and %q are both renamed to %q: choose distinct names", prev, from, to)
			}
			m[from], targets[to] = to, from
		}
	}
	if n == 0 {
		return nil, shapeConfigErr("Rename", "no pairs: give at least one \"old:new\" pair")
	}
	t := &shapeRename{m: m}
	t.build = t.plan
	return t, nil
}

// MustRename is Rename that panics on bad pairs, for pairs written in code.
func MustRename(pairs ...string) cdc.Transform {
	t, err := Rename(pairs...)
	if err != nil {
		panic(err)
	}
	return t
}

type shapeRename struct {
	m     map[string]string
	memo  shapeMemo[*shapeRenamePlan]
	build func([]string) *shapeRenamePlan
}

type shapeRenamePlan struct {
	out []string // nil: no column of the row is renamed
	err error
}

func (t *shapeRename) plan(names []string) *shapeRenamePlan {
	var out []string
	for i, n := range names {
		if to, ok := t.m[n]; ok {
			if out == nil {
				out = slices.Clone(names)
			}
			out[i] = to
		}
	}
	if out == nil {
		return &shapeRenamePlan{}
	}
	seen := make(map[string]int, len(out))
	for i, n := range out {
		j, dup := seen[n]
		if !dup {
			seen[n] = i
			continue
		}
		if out[j] != names[j] {
			i = j // report the renamed one of the two
		}
		return &shapeRenamePlan{err: fmt.Errorf("transform: Rename: renaming %q to %q collides with the row's column %q: rename or exclude that column too",
			names[i], n, n)}
	}
	return &shapeRenamePlan{out: out}
}

func (t *shapeRename) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !shapeRowOp(ev.Op) {
		return true, nil
	}
	for _, r := range [...]*cdc.Row{&ev.Key, &ev.Before, &ev.After} {
		if r.IsZero() {
			continue
		}
		p := t.memo.get(r.Names(), t.build)
		if p.err != nil {
			return false, fmt.Errorf("%w (table %s)", p.err, ev.Table)
		}
		if p.out != nil {
			*r = cdc.NewRow(p.out, r.Values())
		}
	}
	return true, nil
}

// ---------------------------------------------------------------------------------------
// InsertStatic, InsertTimestamp, InsertSource

// InsertStatic sets a column to a fixed value in Before and After (Kafka Connect's
// InsertField static.field), adding the column at the end, or replacing the value when
// the row has the column. The value is shared by every event: use an immutable value of
// one of the types of the value mapping (string, int64, bool, ...).
//
// An empty column name is a configuration error that every Apply returns.
func InsertStatic(column string, value any) cdc.Transform {
	if column == "" {
		return shapeFailed{shapeConfigErr("InsertStatic", "column is empty: name the column to insert")}
	}
	return newShapeInsert(column, func(*cdc.Event) any { return value })
}

// InsertTimestamp sets a column to the processing time, a time.Time in UTC taken once
// per event, in Before and After (Kafka Connect's InsertField timestamp.field, which
// uses the record's time; the commit time is InsertSource(column, "ts_ms")).
//
// An empty column name is a configuration error that every Apply returns.
func InsertTimestamp(column string) cdc.Transform {
	return insertTimestamp(column, time.Now)
}

// insertTimestamp is InsertTimestamp with a clock, for tests.
func insertTimestamp(column string, now func() time.Time) cdc.Transform {
	if column == "" {
		return shapeFailed{shapeConfigErr("InsertTimestamp", "column is empty: name the column to insert")}
	}
	return newShapeInsert(column, func(*cdc.Event) any { return now().UTC() })
}

// InsertSource sets a column to a field of the event's source metadata, in Before and
// After. The fields are those of UnwrapAddFields: op, table, db, schema, lsn,
// commit_lsn, gtid, file, pos, ts_ms, tx_id, tx_order, connector, name, server_id, row
// and snapshot; see UnwrapAddFields for their types and NULLs.
//
// InsertSource returns an error wrapping cdc.ErrInvalidConfig for an empty column or
// an unknown field.
func InsertSource(column, field string) (cdc.Transform, error) {
	if column == "" {
		return nil, shapeConfigErr("InsertSource", "column is empty: name the column to insert")
	}
	get, err := unwrapSourceField("InsertSource", field)
	if err != nil {
		return nil, err
	}
	return newShapeInsert(column, get), nil
}

// MustInsertSource is InsertSource that panics on bad arguments, for constants in code.
func MustInsertSource(column, field string) cdc.Transform {
	t, err := InsertSource(column, field)
	if err != nil {
		panic(err)
	}
	return t
}

type shapeInsert struct {
	column string
	value  func(*cdc.Event) any
	memo   shapeMemo[[]string]
	build  func([]string) []string
}

func newShapeInsert(column string, value func(*cdc.Event) any) *shapeInsert {
	t := &shapeInsert{column: column, value: value}
	t.build = func(names []string) []string {
		out := make([]string, len(names)+1)
		copy(out, names)
		out[len(names)] = column
		return out
	}
	return t
}

func (t *shapeInsert) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !shapeRowOp(ev.Op) || (ev.Before.IsZero() && ev.After.IsZero()) {
		return true, nil
	}
	v := t.value(ev)
	t.row(&ev.Before, v)
	t.row(&ev.After, v)
	return true, nil
}

func (t *shapeInsert) row(r *cdc.Row, v any) {
	if r.IsZero() {
		return
	}
	if r.Has(t.column) {
		r.Set(t.column, v)
		return
	}
	out := t.memo.get(r.Names(), t.build)
	vals := make([]any, len(out))
	copy(vals, r.Values())
	vals[len(vals)-1] = v
	*r = cdc.NewRow(out, vals)
}

// ---------------------------------------------------------------------------------------
// Cast

// Cast targets.
var shapeCastTargets = map[string]func(any) (any, bool){
	"string":  shapeCastString,
	"int":     shapeCastInt,
	"int64":   shapeCastInt,
	"float":   shapeCastFloat,
	"float64": shapeCastFloat,
	"bool":    shapeCastBool,
	"boolean": shapeCastBool,
	"decimal": shapeCastDecimal,
}

// Cast converts the values of columns in Before and After to another type (Kafka
// Connect's Cast). spec maps a column to its target:
//
//	"string"            string: the text of the value (numbers in decimal, floats in
//	                    shortest form, cdc.Decimal as written, time.Time as RFC 3339 in
//	                    UTC, []byte as its bytes, bool as "true"/"false")
//	"int" ("int64")     int64: integers that fit, floats and decimals without a
//	                    fraction, bools as 0/1, decimal strings ("42")
//	"float" ("float64") float64: numbers (a decimal to its nearest float), numeric
//	                    strings, bools as 0/1
//	"bool" ("boolean")  bool: numbers (zero is false), strconv.ParseBool strings
//	                    ("true", "f", "1", ...)
//	"decimal"           cdc.Decimal: integers exactly, floats by their shortest text,
//	                    decimal strings ("12.50", "1e3", "NaN")
//
// NULL values and cdc.Unchanged markers are left as they are, and so are columns the
// row does not have. A value that can not be cast (a fraction cast to int, "abc" to
// float, a timestamp to bool) makes Apply return an error, wrapping cdc.ErrType, that
// names the column, the value and the target. Key is left alone.
//
// Cast returns an error wrapping cdc.ErrInvalidConfig for an empty spec, an empty
// column name or an unknown target.
func Cast(spec map[string]string) (cdc.Transform, error) {
	if len(spec) == 0 {
		return nil, shapeConfigErr("Cast", "spec is empty: map each column to a target type")
	}
	t := &shapeCast{}
	for col, target := range spec {
		if col == "" {
			return nil, shapeConfigErr("Cast", "a column name is empty: name the column to cast")
		}
		fn, ok := shapeCastTargets[strings.ToLower(target)]
		if !ok {
			return nil, shapeConfigErr("Cast", "column %q: target %q is unknown: use string, int, float, bool or decimal", col, target)
		}
		t.cols = append(t.cols, shapeCastCol{name: col, target: strings.ToLower(target), fn: fn})
	}
	// Map order is random: cast in column-name order so errors are deterministic.
	sort.Slice(t.cols, func(i, j int) bool { return t.cols[i].name < t.cols[j].name })
	return t, nil
}

// MustCast is Cast that panics on a bad spec, for specs written in code.
func MustCast(spec map[string]string) cdc.Transform {
	t, err := Cast(spec)
	if err != nil {
		panic(err)
	}
	return t
}

type shapeCast struct {
	cols []shapeCastCol
}

type shapeCastCol struct {
	name, target string
	fn           func(any) (any, bool)
}

func (t *shapeCast) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !shapeRowOp(ev.Op) {
		return true, nil
	}
	for _, r := range [...]*cdc.Row{&ev.Before, &ev.After} {
		if r.IsZero() {
			continue
		}
		for _, c := range t.cols {
			i := r.Index(c.name)
			if i < 0 {
				continue
			}
			v := r.At(i)
			if v == nil || cdc.IsUnchanged(v) {
				continue
			}
			nv, ok := c.fn(v)
			if !ok {
				return false, fmt.Errorf("transform: Cast: column %q of %s: cannot cast %T value %s to %s: %w",
					c.name, ev.Table, v, shapeShow(v), c.target, cdc.ErrType)
			}
			r.Set(c.name, nv)
		}
	}
	return true, nil
}

func shapeCastString(v any) (any, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	var buf [64]byte
	return string(appendText(buf[:0], v, false)), true
}

func shapeCastInt(v any) (any, bool) {
	if n, ok := toInt64(v); ok {
		return n, true
	}
	switch x := v.(type) {
	case float64:
		return shapeFloatInt(x)
	case float32:
		return shapeFloatInt(float64(x))
	case bool:
		if x {
			return int64(1), true
		}
		return int64(0), true
	case cdc.Decimal:
		if !x.IsFinite() {
			return nil, false
		}
		r, err := x.Rat()
		if err != nil || !r.IsInt() || !r.Num().IsInt64() {
			return nil, false
		}
		return r.Num().Int64(), true
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return nil, false
}

func shapeFloatInt(f float64) (any, bool) {
	// -2^63 is exact as a float64; 2^63 is the first value past MaxInt64.
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return nil, false
	}
	return int64(f), true
}

func shapeCastFloat(v any) (any, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int16:
		return float64(x), true
	case int8:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint8:
		return float64(x), true
	case bool:
		if x {
			return 1.0, true
		}
		return 0.0, true
	case cdc.Decimal:
		return x.Float64(), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return nil, false
}

func shapeCastBool(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	case cdc.Decimal:
		if x.IsNaN() {
			return nil, false
		}
		return !x.Equal(cdc.Decimal{}), true
	case float64:
		if math.IsNaN(x) {
			return nil, false
		}
		return x != 0, true
	case float32:
		if math.IsNaN(float64(x)) {
			return nil, false
		}
		return x != 0, true
	}
	if n, ok := toInt64(v); ok {
		return n != 0, true
	}
	switch v.(type) {
	case uint64, uint: // above MaxInt64: not zero
		return true, true
	}
	return nil, false
}

func shapeCastDecimal(v any) (any, bool) {
	switch x := v.(type) {
	case cdc.Decimal:
		return x, true
	case float64:
		return shapeFloatDecimal(x, 64)
	case float32:
		return shapeFloatDecimal(float64(x), 32)
	case string:
		d, err := cdc.ParseDecimal(x)
		return d, err == nil
	case bool:
		return nil, false
	}
	switch v.(type) {
	case int64, int, int32, int16, int8, uint64, uint, uint32, uint16, uint8:
		var buf [24]byte
		d, err := cdc.ParseDecimal(string(appendText(buf[:0], v, false)))
		return d, err == nil
	}
	return nil, false
}

func shapeFloatDecimal(f float64, bits int) (any, bool) {
	switch {
	case math.IsNaN(f):
		return cdc.DecimalNaN, true
	case math.IsInf(f, 1):
		return cdc.DecimalPosInf, true
	case math.IsInf(f, -1):
		return cdc.DecimalNegInf, true
	}
	d, err := cdc.ParseDecimal(strconv.FormatFloat(f, 'f', -1, bits))
	return d, err == nil
}

// ---------------------------------------------------------------------------------------
// TimestampConverter

// Targets of TimestampConverter.
const (
	TimestampUnixMillis = "unix_millis" // int64 milliseconds since the Unix epoch
	TimestampRFC3339    = "rfc3339"     // string, UTC, RFC 3339 with nanoseconds, trailing zeros dropped
	TimestampTime       = "time"        // time.Time in UTC
)

// TimestampConverter converts a timestamp column of Before and After to the target
// representation (Kafka Connect's TimestampConverter): TimestampUnixMillis,
// TimestampRFC3339 or TimestampTime. It accepts time.Time values, int64 (and other
// integer) milliseconds since the epoch, and RFC 3339 strings ("2024-01-02T03:04:05Z",
// with optional fractional seconds and any offset). Converting to milliseconds drops
// precision below a millisecond, rounding toward the past.
//
// PostgreSQL's ±infinity (cdc.Infinity) becomes math.MaxInt64 / math.MinInt64 as
// milliseconds, "infinity" / "-infinity" as text, and stays cdc.Infinity as time.
// NULL values, cdc.Unchanged markers and rows without the column are left as they are;
// any other value makes Apply return an error wrapping cdc.ErrType that names the
// column and the value. Key is left alone.
//
// TimestampConverter returns an error wrapping cdc.ErrInvalidConfig for an empty column
// or an unknown target.
func TimestampConverter(column string, target string) (cdc.Transform, error) {
	if column == "" {
		return nil, shapeConfigErr("TimestampConverter", "column is empty: name the timestamp column")
	}
	switch target {
	case TimestampUnixMillis, TimestampRFC3339, TimestampTime:
	default:
		return nil, shapeConfigErr("TimestampConverter", "target %q is unknown: use %q, %q or %q",
			target, TimestampUnixMillis, TimestampRFC3339, TimestampTime)
	}
	return &shapeTimestamp{column: column, target: target}, nil
}

// MustTimestampConverter is TimestampConverter that panics on bad arguments, for
// constants in code.
func MustTimestampConverter(column string, target string) cdc.Transform {
	t, err := TimestampConverter(column, target)
	if err != nil {
		panic(err)
	}
	return t
}

type shapeTimestamp struct {
	column, target string
}

func (t *shapeTimestamp) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !shapeRowOp(ev.Op) {
		return true, nil
	}
	for _, r := range [...]*cdc.Row{&ev.Before, &ev.After} {
		i := r.Index(t.column)
		if i < 0 {
			continue
		}
		v := r.At(i)
		if v == nil || cdc.IsUnchanged(v) {
			continue
		}
		nv, ok := t.convert(v)
		if !ok {
			return false, fmt.Errorf("transform: TimestampConverter: column %q of %s: %T value %s is not a timestamp (want time.Time, int64 milliseconds or an RFC 3339 string): %w",
				t.column, ev.Table, v, shapeShow(v), cdc.ErrType)
		}
		r.Set(t.column, nv)
	}
	return true, nil
}

func (t *shapeTimestamp) convert(v any) (any, bool) {
	var ts time.Time
	switch x := v.(type) {
	case time.Time:
		ts = x
	case cdc.Infinity:
		switch t.target {
		case TimestampUnixMillis:
			if x > 0 {
				return int64(math.MaxInt64), true
			}
			return int64(math.MinInt64), true
		case TimestampRFC3339:
			return x.String(), true
		}
		return x, true
	case string:
		p, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return nil, false
		}
		ts = p
	default:
		n, ok := toInt64(v)
		if !ok {
			return nil, false
		}
		ts = time.UnixMilli(n)
	}
	switch t.target {
	case TimestampUnixMillis:
		return ts.UnixMilli(), true
	case TimestampRFC3339:
		return ts.UTC().Format(time.RFC3339Nano), true
	}
	return ts.UTC(), true
}

// ---------------------------------------------------------------------------------------
// Flatten

// Flatten replaces nested values in Before and After with top-level columns named
// "parent<delimiter>child", recursively (Kafka Connect's Flatten; an empty delimiter
// means "."). Nested values are map[string]any (MongoDB documents) and json.RawMessage
// holding a JSON object (json / jsonb columns); strings and []byte are never parsed,
// even when they hold JSON, and arrays are left as they are.
//
// The new columns take the place of their parent, in the object's order for JSON and in
// sorted key order for maps (whose order Go does not keep). JSON values become Go
// values: strings, bools, nil for null, int64 for integers that fit, cdc.Decimal for
// other numbers (exact, never float64), json.RawMessage for arrays. An empty object
// leaves no column, like Kafka Connect. A JSON column that is not an object (an array,
// a number, null) is left as it is. Key is left alone.
//
// Apply returns an error for invalid JSON, and when a flattened name collides with
// another column of the row.
func Flatten(delimiter string) cdc.Transform {
	if delimiter == "" {
		delimiter = "."
	}
	return &shapeFlatten{delim: delimiter}
}

type shapeFlatten struct {
	delim string
}

func (t *shapeFlatten) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !shapeRowOp(ev.Op) {
		return true, nil
	}
	for _, r := range [...]*cdc.Row{&ev.Before, &ev.After} {
		if err := t.row(r); err != nil {
			return false, fmt.Errorf("transform: Flatten: %s: %w", ev.Table, err)
		}
	}
	return true, nil
}

func shapeNested(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return true
	case json.RawMessage:
		return shapeJSONObject(x)
	}
	return false
}

func shapeJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

func (t *shapeFlatten) row(r *cdc.Row) error {
	first := -1
	for i := 0; i < r.Len(); i++ {
		if shapeNested(r.At(i)) {
			first = i
			break
		}
	}
	if first < 0 {
		return nil
	}
	names := make([]string, 0, r.Len()+8)
	vals := make([]any, 0, r.Len()+8)
	names = append(names, r.Names()[:first]...)
	vals = append(vals, r.Values()[:first]...)
	var err error
	for i := first; i < r.Len(); i++ {
		v := r.At(i)
		if !shapeNested(v) {
			names = append(names, r.Name(i))
			vals = append(vals, v)
			continue
		}
		names, vals, err = t.flatten(names, vals, r.Name(i), v)
		if err != nil {
			return fmt.Errorf("column %q: %w", r.Name(i), err)
		}
	}
	if n, dup := shapeDuplicate(names); dup {
		return fmt.Errorf("flattened column %q collides with another column of the row: choose another delimiter", n)
	}
	*r = cdc.NewRow(names, vals)
	return nil
}

// shapeDuplicate returns a name that occurs twice.
func shapeDuplicate(names []string) (string, bool) {
	if len(names) <= 32 { // quadratic, but no map to allocate
		for i, n := range names {
			if slices.Contains(names[i+1:], n) {
				return n, true
			}
		}
		return "", false
	}
	seen := make(map[string]struct{}, len(names))
	for _, n := range names {
		if _, dup := seen[n]; dup {
			return n, true
		}
		seen[n] = struct{}{}
	}
	return "", false
}

func (t *shapeFlatten) flatten(names []string, vals []any, prefix string, v any) ([]string, []any, error) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var err error
		for _, k := range keys {
			child := x[k]
			if shapeNested(child) {
				names, vals, err = t.flatten(names, vals, prefix+t.delim+k, child)
				if err != nil {
					return nil, nil, err
				}
				continue
			}
			names = append(names, prefix+t.delim+k)
			vals = append(vals, child)
		}
		return names, vals, nil
	case json.RawMessage:
		return t.flattenJSON(names, vals, prefix, x)
	}
	return append(names, prefix), append(vals, v), nil
}

func (t *shapeFlatten) flattenJSON(names []string, vals []any, prefix string, raw json.RawMessage) ([]string, []any, error) {
	// Validate once, then walk the object with a scanner that may trust the syntax.
	if !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v)
		return nil, nil, fmt.Errorf("invalid JSON object: %v", err)
	}
	return t.walkJSON(names, vals, prefix, raw, shapeSkipSpace(raw, 0))
}

// walkJSON flattens the valid JSON object that starts at raw[i] ('{').
func (t *shapeFlatten) walkJSON(names []string, vals []any, prefix string, raw []byte, i int) ([]string, []any, error) {
	i = shapeSkipSpace(raw, i+1)
	for raw[i] != '}' {
		keyEnd := shapeJSONEnd(raw, i)
		key, err := shapeJSONString(raw[i:keyEnd])
		if err != nil {
			return nil, nil, err
		}
		i = shapeSkipSpace(raw, shapeSkipSpace(raw, keyEnd)+1) // past ':'
		end := shapeJSONEnd(raw, i)
		name := prefix + t.delim + key
		if raw[i] == '{' {
			names, vals, err = t.walkJSON(names, vals, name, raw, i)
			if err != nil {
				return nil, nil, err
			}
		} else {
			v, err := shapeJSONValue(raw[i:end])
			if err != nil {
				return nil, nil, err
			}
			names = append(names, name)
			vals = append(vals, v)
		}
		i = shapeSkipSpace(raw, end)
		if raw[i] == ',' {
			i = shapeSkipSpace(raw, i+1)
		}
	}
	return names, vals, nil
}

func shapeSkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// shapeJSONEnd returns the end of the valid JSON value that starts at b[i].
func shapeJSONEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(b)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = shapeJSONEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
		j++
	}
	return j
}

// shapeJSONString decodes a valid JSON string literal.
func shapeJSONString(lit []byte) (string, error) {
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1]), nil
	}
	var s string
	err := json.Unmarshal(lit, &s)
	return s, err
}

// shapeJSONValue converts a valid JSON scalar or array to a Go value.
func shapeJSONValue(raw []byte) (any, error) {
	switch raw[0] {
	case '[':
		return json.RawMessage(slices.Clip(raw)), nil
	case 'n':
		return nil, nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case '"':
		return shapeJSONString(raw)
	}
	s := string(raw)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	d, err := cdc.ParseDecimal(s)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON number %q", s)
	}
	return d, nil
}
