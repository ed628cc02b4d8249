package transform_test

import (
	"context"
	"fmt"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/transform"
)

func ExampleUnwrap() {
	orders := cdc.TableID{Database: "shop", Schema: "public", Name: "orders"}
	events := []*cdc.Event{
		{Op: cdc.OpUpdate, Table: orders, Key: cdc.RowOf("id", int64(1)),
			Before: cdc.RowOf("id", int64(1), "status", "new"),
			After:  cdc.RowOf("id", int64(1), "status", "paid")},
		{Op: cdc.OpDelete, Table: orders, Key: cdc.RowOf("id", int64(2)),
			Before: cdc.RowOf("id", int64(2), "status", "paid")},
	}

	// Debezium's defaults: the new state, deletes as tombstones.
	unwrap := transform.Unwrap(transform.UnwrapAddFields("__", "op", "table"))
	// Debezium's rewrite mode: deletes keep their last state and are flagged.
	rewrite := transform.Unwrap(transform.UnwrapDeletes(transform.DeleteRewrite))

	for _, tr := range []cdc.Transform{unwrap, rewrite} {
		for _, orig := range events {
			ev := *orig
			ev.Before, ev.After = orig.Before.Clone(), orig.After.Clone()
			keep, err := tr.Apply(context.Background(), &ev)
			if err != nil {
				panic(err)
			}
			fmt.Printf("%s keep=%v key=%v before=%v after=%v\n", ev.Op, keep, ev.Key.Map(), ev.Before.IsZero(), ev.After.Map())
		}
	}
	// Output:
	// u keep=true key=map[id:1] before=true after=map[__op:u __table:orders id:1 status:paid]
	// d keep=true key=map[id:2] before=true after=map[]
	// u keep=true key=map[id:1] before=true after=map[__deleted:false id:1 status:paid]
	// d keep=true key=map[id:2] before=true after=map[__deleted:true id:2 status:paid]
}

func ExampleFilterExpr() {
	filter, err := transform.FilterExpr(`op != "d" && after.priority == "HIGH"`)
	if err != nil {
		panic(err)
	}
	orders := cdc.TableID{Schema: "public", Name: "orders"}
	for _, ev := range []*cdc.Event{
		{Op: cdc.OpCreate, Table: orders, After: cdc.RowOf("id", int64(1), "priority", "HIGH")},
		{Op: cdc.OpRead, Table: orders, After: cdc.RowOf("id", int64(2), "priority", "HIGH")},
		{Op: cdc.OpCreate, Table: orders, After: cdc.RowOf("id", int64(3), "priority", "LOW")},
		{Op: cdc.OpDelete, Table: orders, Before: cdc.RowOf("id", int64(1), "priority", "HIGH")},
		{Op: cdc.OpTruncate, Table: orders}, // not a row change: passes
	} {
		keep, err := filter.Apply(context.Background(), ev)
		if err != nil {
			panic(err)
		}
		fmt.Println(ev.Op, ev.Row().Map()["id"], keep)
	}

	// An expression that fails on an event is an error, not a silent drop.
	strict := transform.MustFilterExpr(`after.amount > 100`)
	_, err = strict.Apply(context.Background(), &cdc.Event{Op: cdc.OpDelete, Table: orders, Before: cdc.RowOf("id", int64(1))})
	fmt.Println(err != nil)
	// Output:
	// c 1 true
	// r 2 true
	// c 3 false
	// d 1 false
	// t <nil> true
	// true
}

func ExampleRoute() {
	route, err := transform.Route(`app\.public\.(.*)`, "shop.$1")
	if err != nil {
		panic(err)
	}
	for _, dest := range []string{"app.public.orders", "app.audit.log"} {
		ev := &cdc.Event{Op: cdc.OpCreate, Destination: dest}
		if _, err := route.Apply(context.Background(), ev); err != nil {
			panic(err)
		}
		fmt.Println(dest, "->", ev.Destination)
	}

	// Content-based: the first matching expression wins.
	byContent := transform.MustContentRouter([]transform.ContentRoute{
		{Expr: `after.region == "eu"`, Destination: "orders.eu"},
		{Expr: `after.total > 1000`, Destination: "orders.big"},
	}, "orders.other")
	for _, after := range []cdc.Row{
		cdc.RowOf("region", "eu", "total", int64(5)),
		cdc.RowOf("region", "us", "total", int64(5000)),
		cdc.RowOf("region", "us", "total", int64(5)),
	} {
		ev := &cdc.Event{Op: cdc.OpCreate, After: after, Destination: "app.public.orders"}
		if _, err := byContent.Apply(context.Background(), ev); err != nil {
			panic(err)
		}
		fmt.Println(ev.Destination)
	}
	// Output:
	// app.public.orders -> shop.orders
	// app.audit.log -> app.audit.log
	// orders.eu
	// orders.big
	// orders.other
}
