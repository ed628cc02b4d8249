package transform

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tributary-cdc/cdc"
)

func TestFilter(t *testing.T) {
	orders := Tables("public.orders")
	tests := []struct {
		name string
		tr   cdc.Transform
		ev   *cdc.Event
		keep bool
	}{
		{"table kept", Filter(orders), paOrderEvent(cdc.OpCreate), true},
		{"other table dropped", Filter(orders), &cdc.Event{Op: cdc.OpCreate, Table: cdc.TableID{Schema: "public", Name: "users"}, After: cdc.RowOf("id", int64(1))}, false},
		{"ops", Filter(Ops(cdc.OpCreate, cdc.OpRead)), paOrderEvent(cdc.OpRead), true},
		{"ops drop", Filter(Ops(cdc.OpCreate, cdc.OpRead)), paOrderEvent(cdc.OpUpdate), false},
		{"truncate passes by default", Filter(Ops(cdc.OpCreate)), paOtherEvents()[0], true},
		{"message passes by default", Filter(Ops(cdc.OpCreate)), paOtherEvents()[1], true},
		{"schema passes by default", Filter(Ops(cdc.OpCreate)), paOtherEvents()[2], true},
		{"all events: truncate dropped", Filter(Not(Ops(cdc.OpTruncate)), FilterAllEvents()), paOtherEvents()[0], false},
		{"all events: schema kept", Filter(Not(Ops(cdc.OpTruncate)), FilterAllEvents()), paOtherEvents()[2], true},
		{"func", FilterFunc(func(ev *cdc.Event) bool { return ev.Key.Len() == 1 }), paOrderEvent(cdc.OpDelete), true},
		{"func drop", FilterFunc(func(ev *cdc.Event) bool { return false }), paOrderEvent(cdc.OpDelete), false},
		{"func all events", FilterFunc(func(ev *cdc.Event) bool { return false }, FilterAllEvents()), paOtherEvents()[1], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := paCopy(tc.ev)
			if got := paApply(t, tc.tr, tc.ev); got != tc.keep {
				t.Errorf("keep = %v, want %v", got, tc.keep)
			}
			paRowEq(t, "After", tc.ev.After, want.After)
		})
	}
}

func TestFilterNil(t *testing.T) {
	for _, tr := range []cdc.Transform{Filter(nil), FilterFunc(nil)} {
		keep, err := tr.Apply(context.Background(), paOrderEvent(cdc.OpCreate))
		if keep {
			t.Error("kept")
		}
		paIsConfigErr(t, err, "nil")
	}
}

func TestFilterExpr(t *testing.T) {
	low := paOrderEvent(cdc.OpCreate)
	low.After.Set("priority", "LOW")
	unchanged := paOrderEvent(cdc.OpUpdate)
	unchanged.After.Set("priority", cdc.Unchanged{})
	null := paOrderEvent(cdc.OpUpdate)
	null.After.Set("priority", nil)
	hdr := paOrderEvent(cdc.OpCreate)
	hdr.SetHeader("tenant", "acme")
	hdr.Headers = append(hdr.Headers, cdc.Header{Key: "tenant", Value: "second"})
	mysql := &cdc.Event{Op: cdc.OpCreate, Table: cdc.TableID{Database: "shop", Name: "orders"}, After: cdc.RowOf("id", int64(1)),
		Source: cdc.SourceInfo{Connector: "mysql", File: "binlog.000001", Pos: 400, Extra: map[string]any{"thread": int64(9)}}}
	nested := &cdc.Event{Op: cdc.OpCreate, Table: paOrders, After: cdc.RowOf("doc", map[string]any{"a": map[string]any{"b": "x"}})}

	const highNotDeleted = `op != "d" && after.priority == "HIGH"`
	tests := []struct {
		expr string
		ev   *cdc.Event
		keep bool
	}{
		{highNotDeleted, paOrderEvent(cdc.OpCreate), true},
		{highNotDeleted, paOrderEvent(cdc.OpUpdate), true},
		{highNotDeleted, paOrderEvent(cdc.OpRead), true},
		{highNotDeleted, low, false},
		{highNotDeleted, paOrderEvent(cdc.OpDelete), false},
		{highNotDeleted, unchanged, false}, // Unchanged is nil in expressions
		{highNotDeleted, null, false},
		{highNotDeleted, paOtherEvents()[0], true}, // truncate passes
		{`after.priority == nil`, unchanged, true},
		{`op in ["c", "r"]`, paOrderEvent(cdc.OpRead), true},
		{`op in ["c", "r"]`, paOrderEvent(cdc.OpUpdate), false},
		{`after.amount > 12.4 && after.amount < 12.6`, paOrderEvent(cdc.OpCreate), true}, // Decimal as float64
		{`before.status == "new" && after.status == "paid"`, paOrderEvent(cdc.OpUpdate), true},
		{`after == nil && before.id == 7`, paOrderEvent(cdc.OpDelete), true},
		{`key.id == 7`, paOrderEvent(cdc.OpDelete), true},
		{`table == "public.orders" && database == "shop" && schema == "public" && name == "orders"`, paOrderEvent(cdc.OpCreate), true},
		{`table == "shop.orders" && schema == ""`, mysql, true},
		{`destination startsWith "app."`, paOrderEvent(cdc.OpCreate), true},
		{`source.connector == "postgresql" && source.lsn > 0 && source.tx_id == "901" && source.ts_ms == 1700000000123`, paOrderEvent(cdc.OpCreate), true},
		{`source.snapshot == "true"`, paOrderEvent(cdc.OpRead), true},
		{`source.file == "binlog.000001" && source.pos == 400 && source.thread == 9`, mysql, true},
		{`headers.tenant == "acme"`, hdr, true}, // first value per key
		{`headers.tenant == nil`, paOrderEvent(cdc.OpCreate), true},
		{`after.doc.a.b == "x"`, nested, true},
		{`$env.after.priority == "HIGH" && $env.op == "c"`, paOrderEvent(cdc.OpCreate), true},
		{`$env["source"].connector == "postgresql"`, paOrderEvent(cdc.OpCreate), true},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			tr, err := FilterExpr(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := paApply(t, tr, tc.ev); got != tc.keep {
				t.Errorf("keep = %v, want %v", got, tc.keep)
			}
		})
	}
}

func TestFilterExprErrors(t *testing.T) {
	for _, expr := range []string{``, `after.`, `op`, `1 + 2`, `op + 1`, `nosuchvar == 1`} {
		_, err := FilterExpr(expr)
		paIsConfigErr(t, err, "expression")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustFilterExpr did not panic")
			}
		}()
		MustFilterExpr(`after.`)
	}()

	// An evaluation error stops the engine, naming the expression and the table.
	tr := MustFilterExpr(`after.amount > 100`)
	keep, err := tr.Apply(context.Background(), paOrderEvent(cdc.OpDelete)) // no after: nil > 100
	if keep || err == nil {
		t.Fatalf("Apply = %v, %v; want an error", keep, err)
	}
	for _, s := range []string{`after.amount > 100`, "shop.public.orders", "d event"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	// A column is typed any at compile time: a non-boolean value fails at run time.
	if _, err := MustFilterExpr(`after.id`).Apply(context.Background(), paOrderEvent(cdc.OpCreate)); err == nil {
		t.Error("non-boolean result accepted")
	}
	// A guarded expression works on deletes.
	if paApply(t, MustFilterExpr(`(after?.amount ?? 0) > 100`), paOrderEvent(cdc.OpDelete)) {
		t.Error("guarded expression kept a delete")
	}

	// FilterOnError decides instead.
	var seen []error
	for _, want := range []bool{true, false} {
		tr := MustFilterExpr(`after.amount > 100`, FilterOnError(func(ev *cdc.Event, err error) (bool, error) {
			seen = append(seen, err)
			return want, nil
		}))
		if got := paApply(t, tr, paOrderEvent(cdc.OpDelete)); got != want {
			t.Errorf("onError keep = %v, want %v", got, want)
		}
	}
	if len(seen) != 2 || seen[0] == nil {
		t.Errorf("onError saw %v", seen)
	}
	stop := errors.New("stop")
	tr = MustFilterExpr(`after.amount > 100`, FilterOnError(func(*cdc.Event, error) (bool, error) { return false, stop }))
	if _, err := tr.Apply(context.Background(), paOrderEvent(cdc.OpDelete)); !errors.Is(err, stop) {
		t.Errorf("onError error = %v", err)
	}
	// Expression errors never reach the handler for events that are not decided.
	if !paApply(t, MustFilterExpr(`after.amount > 100`), paOtherEvents()[0]) {
		t.Error("truncate dropped")
	}
}

// The Expr predicate counts evaluation errors as no match (documented), unlike FilterExpr.
func TestExprPredicate(t *testing.T) {
	p := MustExpr(`after.amount > 100`)
	if p.Match(paOrderEvent(cdc.OpDelete)) {
		t.Error("error matched")
	}
	if !MustExpr(`after.amount > 10`).Match(paOrderEvent(cdc.OpCreate)) {
		t.Error("no match")
	}
	if _, err := Expr(`destination`); !errors.Is(err, cdc.ErrInvalidConfig) {
		t.Errorf("non-boolean expression: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustExpr did not panic")
			}
		}()
		MustExpr(`(`)
	}()
}

// Only the variables an expression reads are filled; the pooled environment never
// shows a variable of an earlier event.
func TestExprUses(t *testing.T) {
	tests := []struct {
		expr string
		uses exprVars
	}{
		{`op == "c"`, exprOp},
		{`after.x == 1 || before.x == 1`, exprAfter | exprBefore},
		{`source.lsn > 0 && headers.a == nil && key.id == 1`, exprSource | exprHeaders | exprKey},
		{`table == "a" && database == "" && schema == "" && name == "" && destination == ""`, exprTable | exprDatabase | exprSchema | exprName | exprDestination},
		{`$env.op == "c"`, exprAll},
		{`true`, 0},
		{`let x = after.a; x == 1`, exprAfter},
		{`any(after.tags, # == name)`, exprAfter | exprName},
	}
	for _, tc := range tests {
		e, err := compileEventExpr(tc.expr, true)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if e.uses != tc.uses {
			t.Errorf("%s: uses %b, want %b", tc.expr, e.uses, tc.uses)
		}
	}

	e, err := compileEventExpr(`after?.x`, false)
	if err != nil {
		t.Fatal(err)
	}
	a := &cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("x", int64(1))}
	d := &cdc.Event{Op: cdc.OpDelete, Before: cdc.RowOf("x", int64(2))}
	for i := 0; i < 3; i++ {
		if v, err := e.eval(a); err != nil || v != int64(1) {
			t.Fatalf("eval(create) = %v, %v", v, err)
		}
		if v, err := e.eval(d); err != nil || v != nil {
			t.Fatalf("eval(delete) = %v, %v; want nil (no after)", v, err)
		}
	}
}

func TestTables(t *testing.T) {
	pg := cdc.TableID{Database: "shop", Schema: "public", Name: "orders"}
	my := cdc.TableID{Database: "shop", Name: "orders"}
	tests := []struct {
		patterns []string
		table    cdc.TableID
		want     bool
	}{
		{[]string{"public.orders"}, pg, true},
		{[]string{"public.*"}, pg, true},
		{[]string{"*.orders"}, pg, true},
		{[]string{"shop.public.orders"}, pg, true},
		{[]string{"shop.*.orders"}, pg, true},
		{[]string{"other.public.orders"}, pg, false},
		{[]string{"shop.orders"}, pg, false},
		{[]string{"shop.orders"}, my, true},
		{[]string{"shop.order?"}, my, true},
		{[]string{"public.users", "shop.[o]rders"}, my, true},
		{[]string{"public.users"}, my, false},
		{nil, pg, false},
	}
	for _, tc := range tests {
		p := Tables(tc.patterns...)
		// Twice: the second answer comes from the last-table cache.
		for i := 0; i < 2; i++ {
			if got := p.Match(&cdc.Event{Table: tc.table}); got != tc.want {
				t.Errorf("Tables(%q).Match(%s) = %v, want %v", tc.patterns, tc.table, got, tc.want)
			}
		}
	}
	// The cache follows the table.
	p := Tables("public.orders")
	for i, tb := range []cdc.TableID{pg, {Schema: "public", Name: "users"}, pg, my} {
		if got, want := p.Match(&cdc.Event{Table: tb}), i%2 == 0 && i < 3; got != want {
			t.Errorf("event %d (%s): %v, want %v", i, tb, got, want)
		}
	}

	_, err := TablesErr("public.[orders")
	paIsConfigErr(t, err, "public.[orders")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Tables did not panic on a bad pattern")
			}
		}()
		Tables("a[")
	}()
}

// One Tables predicate may serve several engines at once (run with -race).
func TestTablesConcurrent(t *testing.T) {
	p := Tables("public.orders")
	tables := []cdc.TableID{{Schema: "public", Name: "orders"}, {Schema: "public", Name: "users"}}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				tb := tables[(i+g)%2]
				if got := p.Match(&cdc.Event{Table: tb}); got != (tb.Name == "orders") {
					t.Errorf("%s: %v", tb, got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestCombinators(t *testing.T) {
	c, u := paOrderEvent(cdc.OpCreate), paOrderEvent(cdc.OpUpdate)
	yes := PredicateFunc(func(*cdc.Event) bool { return true })
	no := Not(yes)
	checks := []struct {
		name string
		p    Predicate
		ev   *cdc.Event
		want bool
	}{
		{"Ops", Ops(cdc.OpCreate), c, true},
		{"Ops other", Ops(cdc.OpCreate), u, false},
		{"Ops none", Ops(), c, false},
		{"Not", Not(Ops(cdc.OpCreate)), u, true},
		{"All empty", All(), c, true},
		{"All", All(yes, Ops(cdc.OpCreate)), c, true},
		{"All one false", All(yes, no), c, false},
		{"Any empty", Any(), c, false},
		{"Any", Any(no, Ops(cdc.OpUpdate)), u, true},
		{"Any none", Any(no, no), u, false},
	}
	for _, tc := range checks {
		if got := tc.p.Match(tc.ev); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}

	// When: the transform runs on matching events only.
	tr := When(Ops(cdc.OpCreate), InsertStatic("flag", true))
	paApply(t, tr, c)
	paApply(t, tr, u)
	if v, _ := c.After.Get("flag"); v != true {
		t.Error("When did not run the transform on a match")
	}
	if u.After.Has("flag") {
		t.Error("When ran the transform on a non-match")
	}

	// Chain: in order, stops at a drop or an error.
	var ran []string
	step := func(name string, keep bool, err error) cdc.Transform {
		return cdc.TransformFunc(func(context.Context, *cdc.Event) (bool, error) {
			ran = append(ran, name)
			return keep, err
		})
	}
	if keep, err := Chain(step("a", true, nil), step("b", false, nil), step("c", true, nil)).Apply(context.Background(), c); keep || err != nil {
		t.Errorf("Chain = %v, %v", keep, err)
	}
	boom := errors.New("boom")
	if _, err := Chain(step("d", true, boom), step("e", true, nil)).Apply(context.Background(), c); !errors.Is(err, boom) {
		t.Errorf("Chain error = %v", err)
	}
	if keep, err := Chain().Apply(context.Background(), c); !keep || err != nil {
		t.Errorf("empty Chain = %v, %v", keep, err)
	}
	if got := strings.Join(ran, ""); got != "abd" {
		t.Errorf("Chain ran %q, want abd", got)
	}
}
