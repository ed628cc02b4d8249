package transform

// Compute: computed columns, like a generated column the table does not have
// (ksqlDB's SELECT price * quantity AS total, or a Kafka Connect InsertField with a
// value computed from the record). Each definition is "column = expression", written in
// github.com/expr-lang/expr over the row's columns and compiled once, at construction.
// Arithmetic on cdc.Decimal values is exact.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"

	"github.com/tributary-cdc/cdc"
)

// Compute adds (or replaces) columns computed from the others. Each definition is
// "column = expression":
//
//	total = price * quantity
//	label = upper(status) + "-" + string(id)
//	net   = total - (discount ?? 0)
//
// # Variables
//
// Every column of the row is a variable with the column's value (the cdc value
// mapping: int64, string, cdc.Decimal, time.Time, ...). A column whose name is not an
// identifier or is an expr keyword ("order-id", "in", "not") is available as
// row["order-id"]; row["x"] and row.x work for every column (and a column named "row"
// is only reachable as row["row"]). Definitions are applied in order, and later ones
// see the columns computed by earlier ones.
//
// Compute changes After of creates, snapshot reads and updates, and Before of updates
// and deletes (as if the table had a generated column), Before first. Other events pass
// through. The new column is appended to the row; it is not in Event.Schema.
//
// # NULL and missing columns
//
// A NULL column is nil, and so is a column the row does not have. An arithmetic
// operator (+ - * / % **, unary -) with a nil operand gives nil; an ordering comparison
// (< > <= >=) with a nil operand makes the whole result nil (SQL's unknown) without an
// error. == and != compare nil like any value. Use `x ?? default` to replace nulls.
//
// # Unchanged TOAST values
//
// A cdc.Unchanged value in After is replaced by the column's value in Before when
// Before has a non-NULL one (PostgreSQL REPLICA IDENTITY FULL). When it has not: if
// every column the expression reads is unchanged, the computed value is unchanged too
// and the column is set to cdc.Unchanged{}; if the expression also reads columns that
// did change, the true result cannot be known and Apply returns an error naming the
// column (rather than guessing a value). An expression that reads row[...] with a
// computed key, or $env, reads every column.
//
// # Decimal arithmetic
//
// When an operand of an arithmetic operator is a cdc.Decimal, the operation is exact and
// gives a cdc.Decimal:
//
//	a + b, a - b   scale max(scale(a), scale(b)):  1.50 + 2.1 = 3.60
//	a * b          scale scale(a) + scale(b):       1.50 * 2.1 = 3.150
//	a / b          scale max(scale(a), scale(b), 6), rounded half away from zero: 10.00 / 3 = 3.333333
//	a % b          scale max(scale(a), scale(b)), the sign of a (like Go and SQL): -7.5 % 2 = -1.5
//	a ** b         computed in float64 (a float64 result)
//
// Integers become decimals exactly (scale 0). A float64 operand is converted to the
// shortest decimal that round-trips to it (strconv's 'f', -1 form), so the literal 1.1
// means exactly 1.1: price * 1.1 is exact. Division or % by zero is an evaluation
// error. NaN and ±Infinity (PostgreSQL numeric) follow float64 rules, except that NaN
// equals NaN and sorts above every number, like PostgreSQL. Comparisons (< > <= >= ==
// !=) of a decimal with a number compare exact values (1.50 == 1.5 is true; a decimal
// never equals a string).
//
// decimal(x) converts an int, float, string or decimal to a cdc.Decimal;
// decimal(x, scale) also rounds it to scale digits (half away from zero).
// Without decimals, expr's own rules apply (int / int is a float64).
//
// Results: Go int kinds are stored as int64, unsigned kinds as uint64, float32 as
// float64; other results are stored as they are.
//
// # Errors
//
// A definition that does not parse or compile, or calls an unknown function, is an
// error wrapping cdc.ErrInvalidConfig.
// An evaluation error (a type mismatch, division by zero) stops the engine: Apply
// returns an error naming the column, the expression and the table.
func Compute(defs ...string) (cdc.Transform, error) {
	if len(defs) == 0 {
		return nil, fmt.Errorf("%w: Compute: no definitions: pass at least one \"column = expression\"", cdc.ErrInvalidConfig)
	}
	t := &computeTransform{}
	for i, def := range defs {
		d, err := compileComputeDef(def)
		if err != nil {
			return nil, fmt.Errorf("%w: Compute: definition %d %q: %v", cdc.ErrInvalidConfig, i, def, err)
		}
		t.usesRow = t.usesRow || d.usesRow
		t.defs = append(t.defs, d)
	}
	t.envs.New = func() any {
		env := &computeEnv{vars: make(map[string]any, 16)}
		if t.usesRow {
			env.row = make(map[string]any, 16)
		}
		return env
	}
	return t, nil
}

type computeTransform struct {
	defs    []computeDef
	usesRow bool
	envs    sync.Pool // *computeEnv
}

type computeDef struct {
	column  string
	src     string
	prog    *vm.Program
	refs    []string // the columns the expression reads
	allRefs bool     // reads row[...] with a computed key, or $env
	usesRow bool
}

type computeEnv struct {
	vars map[string]any
	row  map[string]any // the row variable, when an expression uses it
	vm   vm.VM
}

// errComputeNull aborts an evaluation whose result is NULL (an ordering comparison
// met a nil operand).
var errComputeNull = errors.New("transform: null operand")

func compileComputeDef(def string) (computeDef, error) {
	col, src, ok := strings.Cut(def, "=")
	col, src = strings.TrimSpace(col), strings.TrimSpace(src)
	if !ok || col == "" || src == "" || strings.HasPrefix(src, "=") || strings.ContainsAny(col[len(col)-1:], "<>!") {
		return computeDef{}, errors.New(`want "column = expression", e.g. "total = price * quantity"`)
	}
	d := computeDef{column: col, src: src}
	tree, err := parser.Parse(src)
	if err != nil {
		return computeDef{}, err
	}
	refs := &computeRefs{skip: map[*ast.IdentifierNode]bool{}, lets: map[string]bool{}}
	ast.Walk(&tree.Node, refs)
	for _, f := range refs.calls {
		// Builtins parse as BuiltinNode: a call by name is decimal() or a typo, which
		// AllowUndefinedVariables would otherwise leave to fail on every event.
		if f != "decimal" && !refs.lets[f] {
			return computeDef{}, fmt.Errorf("unknown function %s(): use an expr builtin or decimal()", f)
		}
	}
	refs.finish(&d)
	if d.prog, err = expr.Compile(src, computeOptions...); err != nil {
		return computeDef{}, err
	}
	return d, nil
}

// computeRefs collects the columns an expression reads.
type computeRefs struct {
	idents []*ast.IdentifierNode
	skip   map[*ast.IdentifierNode]bool // function names, row in row["x"]
	names  []string                     // row["x"], row.x
	lets   map[string]bool
	calls  []string // functions called by name
}

func (c *computeRefs) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		c.idents = append(c.idents, n)
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			c.skip[id] = true
			c.calls = append(c.calls, id.Value)
		}
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "row" {
			if s, ok := n.Property.(*ast.StringNode); ok {
				c.names = append(c.names, s.Value)
				c.skip[id] = true
			}
		}
	case *ast.VariableDeclaratorNode:
		c.lets[n.Name] = true
	}
}

func (c *computeRefs) finish(d *computeDef) {
	add := func(name string) {
		for _, r := range d.refs {
			if r == name {
				return
			}
		}
		d.refs = append(d.refs, name)
	}
	for _, n := range c.names {
		add(n)
		d.usesRow = true
	}
	for _, id := range c.idents {
		switch {
		case c.skip[id]:
			if id.Value == "row" {
				d.usesRow = true
			}
		case id.Value == "row":
			d.usesRow, d.allRefs = true, true
		case id.Value == "$env":
			d.allRefs = true
		case !c.lets[id.Value]:
			add(id.Value)
		}
	}
}

func (t *computeTransform) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	switch ev.Op {
	case cdc.OpCreate, cdc.OpRead, cdc.OpUpdate, cdc.OpDelete:
	default:
		return true, nil
	}
	env := t.envs.Get().(*computeEnv)
	defer t.envs.Put(env)
	if !ev.Before.IsZero() {
		if err := t.row(env, ev, &ev.Before, cdc.Row{}, "before"); err != nil {
			return false, err
		}
	}
	if !ev.After.IsZero() && ev.Op != cdc.OpDelete {
		if err := t.row(env, ev, &ev.After, ev.Before, "after"); err != nil {
			return false, err
		}
	}
	return true, nil
}

// row computes the columns of r; prev is the old row that resolves Unchanged values.
func (t *computeTransform) row(env *computeEnv, ev *cdc.Event, r *cdc.Row, prev cdc.Row, which string) error {
	clear(env.vars)
	if env.row != nil {
		clear(env.row)
	}
	for i := 0; i < r.Len(); i++ {
		name, v := r.Name(i), r.At(i)
		if _, ok := v.(cdc.Unchanged); ok && !prev.IsZero() {
			if pv, ok := prev.Get(name); ok && pv != nil && !cdc.IsUnchanged(pv) {
				v = pv
			}
		}
		env.set(name, v)
	}
	if env.row != nil {
		env.vars["row"] = env.row
	}
	for i := range t.defs {
		d := &t.defs[i]
		v, err := d.eval(env, r)
		if err != nil {
			return fmt.Errorf("transform: compute %s = %s on %s event of %s (%s): %w", d.column, d.src, ev.Op, ev.Table, which, err)
		}
		r.Set(d.column, v)
		env.set(d.column, v)
		if env.row != nil && d.column == "row" {
			env.vars["row"] = env.row
		}
	}
	return nil
}

func (env *computeEnv) set(name string, v any) {
	env.vars[name] = v
	if env.row != nil {
		env.row[name] = v
	}
}

func (d *computeDef) eval(env *computeEnv, r *cdc.Row) (any, error) {
	// Unchanged values the old row could not resolve.
	unchanged, total := 0, len(d.refs)
	var first string
	if d.allRefs {
		total = r.Len()
		for i := 0; i < r.Len(); i++ {
			if cdc.IsUnchanged(env.vars[r.Name(i)]) {
				if unchanged == 0 {
					first = r.Name(i)
				}
				unchanged++
			}
		}
	} else {
		for _, name := range d.refs {
			if cdc.IsUnchanged(env.vars[name]) {
				if unchanged == 0 {
					first = name
				}
				unchanged++
			}
		}
	}
	if unchanged > 0 {
		if unchanged == total {
			return cdc.Unchanged{}, nil
		}
		return nil, fmt.Errorf("column %q is an unchanged TOAST value that the source did not send, and the expression also "+
			"reads changed columns: set REPLICA IDENTITY FULL on the table so that Before carries the value", first)
	}
	out, err := env.vm.Run(d.prog, env.vars)
	if err != nil {
		if errors.Is(err, errComputeNull) {
			return nil, nil
		}
		return nil, err
	}
	return computeResult(out), nil
}

func computeResult(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint:
		return uint64(x)
	case uint32:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint8:
		return uint64(x)
	case float32:
		return float64(x)
	}
	return v
}

// The expr options shared by every definition: the environment, operator overloads
// that make decimals exact and nulls propagate, and the decimal() function.
var computeOptions = []expr.Option{
	expr.Env(map[string]any{"row": map[string]any{}}),
	expr.AllowUndefinedVariables(),
	expr.Function("__cdc_add", computeArith('+'), new(func(any, any) any)),
	expr.Function("__cdc_sub", computeArith('-'), new(func(any, any) any)),
	expr.Function("__cdc_mul", computeArith('*'), new(func(any, any) any)),
	expr.Function("__cdc_div", computeArith('/'), new(func(any, any) any)),
	expr.Function("__cdc_mod", computeArith('%'), new(func(any, any) any)),
	expr.Function("__cdc_pow", computeArith('^'), new(func(any, any) any)),
	expr.Function("__cdc_lt", computeOrder(func(c int) bool { return c < 0 }, runtime.Less), new(func(any, any) bool)),
	expr.Function("__cdc_gt", computeOrder(func(c int) bool { return c > 0 }, runtime.More), new(func(any, any) bool)),
	expr.Function("__cdc_le", computeOrder(func(c int) bool { return c <= 0 }, runtime.LessOrEqual), new(func(any, any) bool)),
	expr.Function("__cdc_ge", computeOrder(func(c int) bool { return c >= 0 }, runtime.MoreOrEqual), new(func(any, any) bool)),
	expr.Function("__cdc_eq", computeEqual(false), new(func(any, any) bool)),
	expr.Function("__cdc_ne", computeEqual(true), new(func(any, any) bool)),
	expr.Function("__cdc_neg", computeNeg, new(func(any) any)),
	expr.Function("decimal", computeDecimalFunc, new(func(any) any), new(func(any, int) any)),
	expr.Operator("+", "__cdc_add"),
	expr.Operator("-", "__cdc_sub"),
	expr.Operator("*", "__cdc_mul"),
	expr.Operator("/", "__cdc_div"),
	expr.Operator("%", "__cdc_mod"),
	expr.Operator("**", "__cdc_pow"),
	expr.Operator("^", "__cdc_pow"),
	expr.Operator("<", "__cdc_lt"),
	expr.Operator(">", "__cdc_gt"),
	expr.Operator("<=", "__cdc_le"),
	expr.Operator(">=", "__cdc_ge"),
	expr.Operator("==", "__cdc_eq"),
	expr.Operator("!=", "__cdc_ne"),
	expr.Patch(computeNegPatch{}),
}

// computeNegPatch turns unary minus into __cdc_neg, which knows decimals and nulls.
type computeNegPatch struct{}

func (computeNegPatch) Visit(node *ast.Node) {
	if n, ok := (*node).(*ast.UnaryNode); ok && n.Operator == "-" {
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__cdc_neg"}, Arguments: []ast.Node{n.Node}})
	}
}

func computeNeg(p ...any) (any, error) {
	switch x := p[0].(type) {
	case nil:
		return nil, nil
	case cdc.Decimal:
		return computeDecNeg(x), nil
	}
	return runtime.Negate(p[0]), nil
}

func computeArith(op byte) func(p ...any) (any, error) {
	return func(p ...any) (any, error) {
		a, b := p[0], p[1]
		if a == nil || b == nil {
			return nil, nil
		}
		if computeIsDec(a) || computeIsDec(b) {
			if d, ok := computeSmallArith(op, a, b); ok {
				return d, nil
			}
			da, db, _, err := computeDecOperands(a, b)
			if err != nil {
				return nil, err
			}
			return computeDecArith(op, da, db)
		}
		switch op {
		case '+':
			return runtime.Add(a, b), nil
		case '-':
			return runtime.Subtract(a, b), nil
		case '*':
			return runtime.Multiply(a, b), nil
		case '/':
			return runtime.Divide(a, b), nil
		case '%':
			return runtime.Modulo(a, b), nil
		}
		return runtime.Exponent(a, b), nil
	}
}

func computeOrder(test func(int) bool, fallback func(a, b any) bool) func(p ...any) (any, error) {
	return func(p ...any) (any, error) {
		a, b := p[0], p[1]
		if a == nil || b == nil {
			return nil, errComputeNull
		}
		if computeIsDec(a) || computeIsDec(b) {
			if c, ok := computeSmallCmp(a, b); ok {
				return test(c), nil
			}
			da, db, _, err := computeDecOperands(a, b)
			if err != nil {
				return nil, err
			}
			return test(computeDecCmp(da, db)), nil
		}
		return fallback(a, b), nil
	}
}

func computeEqual(negate bool) func(p ...any) (any, error) {
	return func(p ...any) (any, error) {
		a, b := p[0], p[1]
		var eq bool
		if c, ok := computeSmallCmp(a, b); ok && (computeIsDec(a) || computeIsDec(b)) {
			eq = c == 0
		} else if da, db, ok, err := computeDecOperands(a, b); ok && err == nil {
			eq = computeDecCmp(da, db) == 0
		} else if ok {
			eq = false // a decimal and a non-number (nil, string, ...)
		} else {
			eq = runtime.Equal(a, b)
		}
		return eq != negate, nil
	}
}

func computeDecimalFunc(p ...any) (any, error) {
	if p[0] == nil {
		return nil, nil
	}
	var d cdc.Decimal
	switch x := p[0].(type) {
	case string:
		var err error
		if d, err = cdc.ParseDecimal(strings.TrimSpace(x)); err != nil {
			return nil, err
		}
	default:
		var ok bool
		if d, ok = computeToDecimal(x); !ok {
			return nil, fmt.Errorf("decimal(): cannot convert %T to a decimal", x)
		}
	}
	if len(p) == 1 {
		return d, nil
	}
	scale, ok := toInt64(p[1])
	if !ok || scale < 0 || scale > 1000 {
		return nil, fmt.Errorf("decimal(): scale %v: want an integer from 0 to 1000", p[1])
	}
	return computeDecRound(d, int32(scale)), nil
}

// computeDecOperands reports whether a decimal takes part (ok) and converts both operands.
// err is set when a decimal meets a value that is not a number.
func computeDecOperands(a, b any) (da, db cdc.Decimal, ok bool, err error) {
	_, aDec := a.(cdc.Decimal)
	_, bDec := b.(cdc.Decimal)
	if !aDec && !bDec {
		return da, db, false, nil
	}
	var okA, okB bool
	da, okA = computeToDecimal(a)
	db, okB = computeToDecimal(b)
	if !okA || !okB {
		return da, db, true, fmt.Errorf("invalid operation: %T and %T (a decimal needs a number)", a, b)
	}
	return da, db, true, nil
}

func computeToDecimal(v any) (cdc.Decimal, bool) {
	switch x := v.(type) {
	case cdc.Decimal:
		return x, true
	case float64:
		return computeDecFromFloat(x), true
	case float32:
		return computeDecFromFloat(float64(x)), true
	case uint64:
		return cdc.NewDecimal(new(big.Int).SetUint64(x), 0), true
	case uint:
		return cdc.NewDecimal(new(big.Int).SetUint64(uint64(x)), 0), true
	case uint32:
		return cdc.NewDecimal(new(big.Int).SetUint64(uint64(x)), 0), true
	}
	if n, ok := toInt64(v); ok {
		return cdc.NewDecimal(big.NewInt(n), 0), true
	}
	return cdc.Decimal{}, false
}

func computeDecFromFloat(f float64) cdc.Decimal {
	switch {
	case math.IsNaN(f):
		return cdc.DecimalNaN
	case math.IsInf(f, 1):
		return cdc.DecimalPosInf
	case math.IsInf(f, -1):
		return cdc.DecimalNegInf
	}
	d, err := cdc.ParseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
	if err != nil { // cannot happen: 'f' format is a plain decimal
		panic(err)
	}
	return d
}

// computeDecParts returns unscaled and scale of a finite decimal.
func computeDecParts(d cdc.Decimal) (*big.Int, int32) {
	u, s, err := d.Unscaled()
	if err != nil { // only for non-finite values, which callers exclude
		panic(err)
	}
	return u, s
}

var computeTen = big.NewInt(10)

func computePow10(n int32) *big.Int {
	return new(big.Int).Exp(computeTen, big.NewInt(int64(n)), nil)
}

// computeDecAlign returns a and b as integers at the larger scale.
func computeDecAlign(a, b cdc.Decimal) (ua, ub *big.Int, scale int32) {
	ua, sa := computeDecParts(a)
	ub, sb := computeDecParts(b)
	scale = max(sa, sb)
	if sa < scale {
		ua.Mul(ua, computePow10(scale-sa))
	}
	if sb < scale {
		ub.Mul(ub, computePow10(scale-sb))
	}
	return ua, ub, scale
}

// computeDivScale is the minimum scale of a decimal quotient.
const computeDivScale = 6

func computeDecArith(op byte, a, b cdc.Decimal) (any, error) {
	if (op == '/' || op == '%') && b.IsFinite() && computeDecIsZero(b) {
		return nil, errors.New("division by zero")
	}
	if op == '^' {
		return math.Pow(a.Float64(), b.Float64()), nil
	}
	if !a.IsFinite() || !b.IsFinite() {
		x, y := a.Float64(), b.Float64()
		var f float64
		switch op {
		case '+':
			f = x + y
		case '-':
			f = x - y
		case '*':
			f = x * y
		case '/':
			f = x / y
		case '%':
			f = math.Mod(x, y)
		}
		return computeDecFromFloat(f), nil
	}
	switch op {
	case '+', '-', '%':
		ua, ub, s := computeDecAlign(a, b)
		switch op {
		case '+':
			ua.Add(ua, ub)
		case '-':
			ua.Sub(ua, ub)
		default:
			ua.Rem(ua, ub)
		}
		return cdc.NewDecimal(ua, s), nil
	case '*':
		ua, sa := computeDecParts(a)
		ub, sb := computeDecParts(b)
		return cdc.NewDecimal(ua.Mul(ua, ub), sa+sb), nil
	}
	// a/b = (ua/10^sa) / (ub/10^sb); at scale s: ua * 10^(sb+s) / (ub * 10^sa).
	ua, sa := computeDecParts(a)
	ub, sb := computeDecParts(b)
	s := max(sa, sb, computeDivScale)
	num := ua.Mul(ua, computePow10(sb+s))
	den := ub.Mul(ub, computePow10(sa))
	return cdc.NewDecimal(computeDivRoundHalfAway(num, den), s), nil
}

// computeDivRoundHalfAway returns num/den rounded half away from zero.
func computeDivRoundHalfAway(num, den *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	r.Abs(r).Lsh(r, 1)
	if r.CmpAbs(den) >= 0 {
		if num.Sign() != den.Sign() {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

func computeDecIsZero(d cdc.Decimal) bool {
	return strings.Trim(d.String(), "-0.") == ""
}

func computeDecNeg(d cdc.Decimal) cdc.Decimal {
	switch {
	case d.IsNaN():
		return d
	case d.IsInf(1):
		return cdc.DecimalNegInf
	case d.IsInf(-1):
		return cdc.DecimalPosInf
	}
	u, s := computeDecParts(d)
	return cdc.NewDecimal(u.Neg(u), s)
}

// computeDecRound rounds d to scale digits, half away from zero (or pads it with zeros).
func computeDecRound(d cdc.Decimal, scale int32) cdc.Decimal {
	if !d.IsFinite() {
		return d
	}
	u, s := computeDecParts(d)
	if s <= scale {
		return cdc.NewDecimal(u.Mul(u, computePow10(scale-s)), scale)
	}
	return cdc.NewDecimal(computeDivRoundHalfAway(u, computePow10(s-scale)), scale)
}

// computeDecCmp orders decimals like PostgreSQL: -Infinity < numbers < +Infinity < NaN.
func computeDecCmp(a, b cdc.Decimal) int {
	rank := func(d cdc.Decimal) int {
		switch {
		case d.IsNaN():
			return 2
		case d.IsInf(1):
			return 1
		case d.IsInf(-1):
			return -1
		}
		return 0
	}
	ra, rb := rank(a), rank(b)
	if ra != 0 || rb != 0 {
		switch {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return 0
	}
	if c, ok := computeSmallCmp(a, b); ok {
		return c
	}
	ua, ub, _ := computeDecAlign(a, b)
	return ua.Cmp(ub)
}

// The fast path: decimals of at most 18 digits as int64 unscaled values, with
// overflow checks that fall back to math/big.

// computeSmall returns the unscaled value and scale of a finite decimal of at most 18 digits.
func computeSmall(d cdc.Decimal) (int64, int32, bool) {
	if !d.IsFinite() {
		return 0, 0, false
	}
	s := d.String()
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var u int64
	scale, digits := int32(-1), 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			scale = 0
			continue
		}
		if digits++; digits > 18 {
			return 0, 0, false
		}
		u = u*10 + int64(c-'0')
		if scale >= 0 {
			scale++
		}
	}
	if neg {
		u = -u
	}
	return u, max(scale, 0), true
}

// computeSmallAlign brings x and y to the larger scale.
func computeSmallAlign(x int64, sx int32, y int64, sy int32) (int64, int64, int32, bool) {
	var ok bool
	switch {
	case sx < sy:
		x, ok = computeMulPow10(x, sy-sx)
		return x, y, sy, ok
	case sy < sx:
		y, ok = computeMulPow10(y, sx-sy)
		return x, y, sx, ok
	}
	return x, y, sx, true
}

func computeMulPow10(x int64, n int32) (int64, bool) {
	for ; n > 0; n-- {
		if x > math.MaxInt64/10 || x < -math.MaxInt64/10 {
			return 0, false
		}
		x *= 10
	}
	return x, true
}

// computeSmallCmp compares a and b on the fast path, when both are small enough.
func computeSmallCmp(a, b any) (int, bool) {
	if x, sx, ok := computeSmallOperand(a); ok {
		if y, sy, ok := computeSmallOperand(b); ok {
			if x, y, _, ok := computeSmallAlign(x, sx, y, sy); ok {
				return cmp.Compare(x, y), true
			}
		}
	}
	return 0, false
}

func computeIsDec(v any) bool { _, ok := v.(cdc.Decimal); return ok }

// computeSmallOperand is computeSmall for decimals and integers below 10^18.
func computeSmallOperand(v any) (int64, int32, bool) {
	if d, ok := v.(cdc.Decimal); ok {
		return computeSmall(d)
	}
	if n, ok := toInt64(v); ok && n < 1e18 && n > -1e18 {
		return n, 0, true
	}
	return 0, 0, false
}

// computeSmallArith computes + - * on the fast path, when a and b are small enough.
func computeSmallArith(op byte, a, b any) (cdc.Decimal, bool) {
	if op != '+' && op != '-' && op != '*' {
		return cdc.Decimal{}, false
	}
	x, sx, ok := computeSmallOperand(a)
	if !ok {
		return cdc.Decimal{}, false
	}
	y, sy, ok := computeSmallOperand(b)
	if !ok {
		return cdc.Decimal{}, false
	}
	var r int64
	var s int32
	switch op {
	case '+', '-':
		if x, y, s, ok = computeSmallAlign(x, sx, y, sy); !ok {
			return cdc.Decimal{}, false
		}
		if op == '-' {
			y = -y
		}
		r = x + y
		if (x > 0 && y > 0 && r < 0) || (x < 0 && y < 0 && r >= 0) || r == math.MinInt64 {
			return cdc.Decimal{}, false
		}
	case '*':
		hi, lo := bits.Mul64(uint64(computeAbs(x)), uint64(computeAbs(y)))
		if hi != 0 || lo > math.MaxInt64 {
			return cdc.Decimal{}, false
		}
		r, s = int64(lo), sx+sy
		if (x < 0) != (y < 0) {
			r = -r
		}
	default:
		return cdc.Decimal{}, false
	}
	return computeFormat(r, s), true
}

func computeAbs(x int64) int64 {
	if x < 0 {
		return -x // never MinInt64: at most 18 digits
	}
	return x
}

// computeFormat returns unscaled * 10^-scale.
func computeFormat(u int64, scale int32) cdc.Decimal {
	var buf [48]byte
	b := buf[:0]
	if u < 0 {
		b = append(b, '-')
		u = -u
	}
	var digits [20]byte
	ds := strconv.AppendInt(digits[:0], u, 10)
	if n := int(scale) - len(ds) + 1; n > 0 { // leading zeros so that one digit precedes the point
		for ; n > 0; n-- {
			b = append(b, '0')
		}
	}
	split := len(b) + len(ds) - int(scale)
	b = append(b, ds...)
	if scale > 0 {
		b = append(b[:split+1], b[split:]...)
		b[split] = '.'
	}
	d, err := cdc.ParseDecimal(string(b))
	if err != nil { // cannot happen: b is a plain decimal
		panic(err)
	}
	return d
}
