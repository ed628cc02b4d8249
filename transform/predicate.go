package transform

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync/atomic"

	"github.com/tributary-cdc/cdc"
)

// A Predicate selects events. Predicates are evaluated on the engine's reader goroutine
// for every event, so they must be cheap and must not modify the event.
type Predicate interface {
	Match(ev *cdc.Event) bool
}

// PredicateFunc adapts a function to Predicate.
type PredicateFunc func(ev *cdc.Event) bool

// Match calls f.
func (f PredicateFunc) Match(ev *cdc.Event) bool { return f(ev) }

// Tables matches events whose table matches one of the path.Match patterns.
// A pattern is compared with the table's "namespace.table" (schema.table for PostgreSQL,
// database.table for MySQL and MongoDB) and, when it has two dots, with the full
// "database.schema.table". Bad patterns are reported by MustTables / TablesErr; Tables
// panics on them, like regexp.MustCompile, because patterns are written in code.
func Tables(patterns ...string) Predicate {
	p, err := TablesErr(patterns...)
	if err != nil {
		panic(err)
	}
	return p
}

// TablesErr is Tables returning malformed patterns as an error (for patterns read from
// configuration).
func TablesErr(patterns ...string) (Predicate, error) {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("%w: table pattern %q is malformed: %v", cdc.ErrInvalidConfig, p, err)
		}
	}
	pats := append([]string(nil), patterns...)
	// The last table seen and whether it matched: events come in runs of one table.
	// An atomic pointer, not plain variables: one predicate may serve several engines,
	// each calling it from its own reader goroutine.
	var last atomic.Pointer[tableMatch]
	return PredicateFunc(func(ev *cdc.Event) bool {
		if m := last.Load(); m != nil && m.table == ev.Table {
			return m.ok
		}
		ok := matchTable(pats, ev.Table)
		last.Store(&tableMatch{table: ev.Table, ok: ok})
		return ok
	}), nil
}

type tableMatch struct {
	table cdc.TableID
	ok    bool
}

func matchTable(patterns []string, t cdc.TableID) bool {
	short := t.Namespace() + "." + t.Name
	for _, p := range patterns {
		name := short
		if strings.Count(p, ".") >= 2 {
			name = t.String()
		}
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// Ops matches events with one of the operations.
func Ops(ops ...cdc.Op) Predicate {
	var set [256]bool
	for _, o := range ops {
		set[o] = true
	}
	return PredicateFunc(func(ev *cdc.Event) bool { return set[ev.Op] })
}

// Not negates a predicate.
func Not(p Predicate) Predicate {
	return PredicateFunc(func(ev *cdc.Event) bool { return !p.Match(ev) })
}

// All matches when every predicate matches (and when there are none).
func All(ps ...Predicate) Predicate {
	return PredicateFunc(func(ev *cdc.Event) bool {
		for _, p := range ps {
			if !p.Match(ev) {
				return false
			}
		}
		return true
	})
}

// Any matches when at least one predicate matches.
func Any(ps ...Predicate) Predicate {
	return PredicateFunc(func(ev *cdc.Event) bool {
		for _, p := range ps {
			if p.Match(ev) {
				return true
			}
		}
		return false
	})
}

// When limits a transform to the events p matches; other events pass through unchanged.
func When(p Predicate, t cdc.Transform) cdc.Transform {
	return cdc.TransformFunc(func(ctx context.Context, ev *cdc.Event) (bool, error) {
		if !p.Match(ev) {
			return true, nil
		}
		return t.Apply(ctx, ev)
	})
}

// Chain composes transforms into one, applied in order; a dropped event stops the chain.
func Chain(ts ...cdc.Transform) cdc.Transform {
	return cdc.TransformFunc(func(ctx context.Context, ev *cdc.Event) (bool, error) {
		for _, t := range ts {
			keep, err := t.Apply(ctx, ev)
			if err != nil || !keep {
				return keep, err
			}
		}
		return true, nil
	})
}
