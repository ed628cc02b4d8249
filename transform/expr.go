package transform

import (
	"fmt"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/tributary-cdc/cdc"
)

// Event expressions (Filter, ContentRouter, Expr predicates) are written in
// github.com/expr-lang/expr over these variables:
//
//	op           "c", "u", "d", "r", "t", "m", "s"
//	table        "namespace.table" (schema.table for PostgreSQL, database.table otherwise)
//	database, schema, name   the parts of the table name
//	key, before, after       the rows as maps (nil when the event has no such row)
//	source       connector, name, snapshot, ts_ms, tx_id, tx_order, lsn, commit_lsn,
//	             server_id, gtid, file, pos, row, and any source extra fields
//	destination  the routing name
//	headers      the event headers as a map (first value per key)
//
// Decimal values appear as float64 in event expressions (compare them with numbers);
// cdc.Unchanged values appear as nil. Expressions are compiled once, at construction.
type eventExpr struct {
	src  string
	prog *vm.Program
	envs sync.Pool // *exprEnv: maps reused between evaluations
	uses exprVars  // the variables the expression reads: only those are filled
}

// exprVars is a set of the environment's variables.
type exprVars uint16

const (
	exprOp exprVars = 1 << iota
	exprTable
	exprDatabase
	exprSchema
	exprName
	exprKey
	exprBefore
	exprAfter
	exprSource
	exprDestination
	exprHeaders

	exprAll exprVars = 1<<iota - 1
)

var exprVarBits = map[string]exprVars{
	"op": exprOp, "table": exprTable, "database": exprDatabase, "schema": exprSchema,
	"name": exprName, "key": exprKey, "before": exprBefore, "after": exprAfter,
	"source": exprSource, "destination": exprDestination, "headers": exprHeaders,
}

// exprUses collects the variables an expression reads. $env (the whole environment)
// reads them all.
type exprUses struct{ vars exprVars }

func (u *exprUses) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok {
		if id.Value == "$env" {
			u.vars = exprAll
		}
		u.vars |= exprVarBits[id.Value]
	}
}

type exprEnv struct {
	vars                     map[string]any
	key, before, after, hdrs map[string]any
	source                   map[string]any
}

var sampleEnv = map[string]any{
	"op": "", "table": "", "database": "", "schema": "", "name": "",
	"key": map[string]any{}, "before": map[string]any{}, "after": map[string]any{},
	"source": map[string]any{}, "destination": "", "headers": map[string]any{},
}

// compileEventExpr compiles an event expression. asBool requires a boolean result.
func compileEventExpr(src string, asBool bool) (*eventExpr, error) {
	opts := []expr.Option{expr.Env(sampleEnv)}
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: expression %q: %v", cdc.ErrInvalidConfig, src, err)
	}
	e := &eventExpr{src: src, prog: prog, uses: exprAll}
	if node := prog.Node(); node != nil {
		var u exprUses
		ast.Walk(&node, &u)
		e.uses = u.vars
	}
	e.envs.New = func() any {
		env := &exprEnv{
			vars: make(map[string]any, len(sampleEnv)),
			key:  map[string]any{}, before: map[string]any{}, after: map[string]any{},
			hdrs: map[string]any{}, source: map[string]any{},
		}
		return env
	}
	return e, nil
}

// eval runs the expression over the event. The result must not keep references to
// the maps of the environment (they are reused).
func (e *eventExpr) eval(ev *cdc.Event) (any, error) {
	env := e.envs.Get().(*exprEnv)
	env.fillVars(ev, e.uses)
	out, err := vm.Run(e.prog, env.vars)
	e.envs.Put(env)
	if err != nil {
		return nil, fmt.Errorf("transform: expression %q on %s event of %s: %w", e.src, ev.Op, ev.Table, err)
	}
	return out, nil
}

func (e *eventExpr) bool(ev *cdc.Event) (bool, error) {
	out, err := e.eval(ev)
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

// exprOps holds the op codes boxed once, so setting "op" does not allocate.
var exprOps = func() (a [16]any) {
	for i := range a {
		a[i] = cdc.Op(i).String()
	}
	return a
}()

// fillVars sets the variables in uses; the others keep whatever they held (nil, or
// what release left), which is fine because the expression does not read them.
func (env *exprEnv) fillVars(ev *cdc.Event, uses exprVars) {
	v := env.vars
	if uses&exprOp != 0 {
		if int(ev.Op) < len(exprOps) {
			v["op"] = exprOps[ev.Op]
		} else {
			v["op"] = ev.Op.String()
		}
	}
	if uses&exprTable != 0 {
		v["table"] = ev.Table.Namespace() + "." + ev.Table.Name
	}
	if uses&exprDatabase != 0 {
		v["database"] = ev.Table.Database
	}
	if uses&exprSchema != 0 {
		v["schema"] = ev.Table.Schema
	}
	if uses&exprName != 0 {
		v["name"] = ev.Table.Name
	}
	if uses&exprKey != 0 {
		v["key"] = rowMap(env.key, ev.Key)
	}
	if uses&exprBefore != 0 {
		v["before"] = rowMap(env.before, ev.Before)
	}
	if uses&exprAfter != 0 {
		v["after"] = rowMap(env.after, ev.After)
	}
	if uses&exprDestination != 0 {
		v["destination"] = ev.Destination
	}
	if uses&exprHeaders != 0 {
		clear(env.hdrs)
		for i := len(ev.Headers) - 1; i >= 0; i-- { // first value per key wins
			env.hdrs[ev.Headers[i].Key] = ev.Headers[i].Value
		}
		v["headers"] = env.hdrs
	}
	if uses&exprSource == 0 {
		return
	}
	s, src := env.source, &ev.Source
	clear(s)
	for k, x := range src.Extra {
		s[k] = x
	}
	s["connector"] = src.Connector
	s["name"] = src.Name
	s["snapshot"] = string(src.Snapshot)
	var tsMS int64
	if !src.CommitTime.IsZero() {
		tsMS = src.CommitTime.UnixMilli()
	}
	s["ts_ms"] = tsMS
	s["tx_id"] = src.TxID
	s["tx_order"] = src.TxOrder
	s["lsn"] = src.LSN
	s["commit_lsn"] = src.CommitLSN
	s["server_id"] = src.ServerID
	s["gtid"] = src.GTID
	s["file"] = src.File
	s["pos"] = src.Pos
	s["row"] = src.Row
	v["source"] = s
}

// rowMap fills m with the row's columns for an expression; a zero row is nil.
func rowMap(m map[string]any, r cdc.Row) map[string]any {
	if r.IsZero() {
		return nil
	}
	clear(m)
	for i := 0; i < r.Len(); i++ {
		m[r.Name(i)] = exprValue(r.At(i))
	}
	return m
}

// exprValue converts a column value to what expressions compare naturally.
func exprValue(v any) any {
	switch x := v.(type) {
	case cdc.Decimal:
		return x.Float64()
	case cdc.Unchanged:
		return nil
	}
	return v
}

// Expr is a predicate from an event expression (see the package documentation for the
// variables), compiled now. Evaluation errors count as no match.
func Expr(expression string) (Predicate, error) {
	e, err := compileEventExpr(expression, true)
	if err != nil {
		return nil, err
	}
	return PredicateFunc(func(ev *cdc.Event) bool {
		ok, err := e.bool(ev)
		return err == nil && ok
	}), nil
}

// MustExpr is Expr that panics on a bad expression, for expressions written in code.
func MustExpr(expression string) Predicate {
	p, err := Expr(expression)
	if err != nil {
		panic(err)
	}
	return p
}
