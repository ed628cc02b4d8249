package transform

import (
	"context"

	"github.com/tributary-cdc/cdc"
)

// FilterOption configures Filter, FilterFunc and FilterExpr.
type FilterOption func(*filterConfig)

type filterConfig struct {
	allEvents bool
	onError   func(ev *cdc.Event, err error) (bool, error)
}

// FilterAllEvents makes the filter decide every event. By default it decides row
// changes only (creates, snapshot reads, updates, deletes), and truncate, message and
// schema events pass through: a filter on row contents (after.status == "paid") must
// not drop DDL or truncates by accident. With FilterAllEvents, a filter can drop those
// too, e.g. Filter(Not(Ops(cdc.OpTruncate)), FilterAllEvents()).
func FilterAllEvents() FilterOption {
	return func(c *filterConfig) { c.allEvents = true }
}

// FilterOnError sets what FilterExpr does when its expression fails on an event (a
// comparison of NULL with a number, a field of a NULL value): handle returns whether
// to keep the event, or an error to stop the engine. handle may log the error and
// return (false, nil) to drop the event. By default the error is returned, naming the
// expression, the operation and the table. It has no effect on Filter and FilterFunc.
func FilterOnError(handle func(ev *cdc.Event, err error) (keep bool, _ error)) FilterOption {
	return func(c *filterConfig) { c.onError = handle }
}

func filterOptions(opts []FilterOption) filterConfig {
	var c filterConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// Filter keeps the events p matches and drops the others (Kafka Connect's Filter with a
// predicate, negated: Filter keeps, it does not discard). Dropped events count as
// handled. Only row changes are decided unless FilterAllEvents is given.
//
// A nil predicate is a configuration error that every Apply returns.
func Filter(p Predicate, opts ...FilterOption) cdc.Transform {
	if p == nil {
		return shapeFailed{shapeConfigErr("Filter", "predicate is nil: pass a Predicate such as Tables(...) or Expr(...)")}
	}
	return &filterT{match: p.Match, cfg: filterOptions(opts)}
}

// FilterFunc is Filter with a function: it keeps the events for which keep returns true.
// keep must not modify the event.
func FilterFunc(keep func(ev *cdc.Event) bool, opts ...FilterOption) cdc.Transform {
	if keep == nil {
		return shapeFailed{shapeConfigErr("FilterFunc", "function is nil: pass the function that selects events")}
	}
	return &filterT{match: keep, cfg: filterOptions(opts)}
}

type filterT struct {
	match func(*cdc.Event) bool
	cfg   filterConfig
}

func (t *filterT) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !t.cfg.allEvents && !shapeRowOp(ev.Op) {
		return true, nil
	}
	return t.match(ev), nil
}

// FilterExpr keeps the events for which a boolean event expression holds and drops the
// others, e.g.
//
//	op != "d" && after.priority == "HIGH"
//
// The expression is compiled now; see the package documentation for its variables.
// Snapshot reads have op "r": write op in ["c", "r"] to treat them like creates. Only
// row changes are decided unless FilterAllEvents is given.
//
// Unlike the Expr predicate, which counts an evaluation error as no match, FilterExpr
// does not drop an event silently when the expression fails on it (NULL compared with
// a number, a field of a NULL nested value): Apply returns an error naming the
// expression, the operation and the table, and the engine stops. Guard against
// absent values in the expression (after?.amount ?? 0) > 100, or pass FilterOnError to
// decide otherwise.
//
// FilterExpr returns an error wrapping cdc.ErrInvalidConfig when the expression does
// not compile or is not boolean.
func FilterExpr(expression string, opts ...FilterOption) (cdc.Transform, error) {
	e, err := compileEventExpr(expression, true)
	if err != nil {
		return nil, err
	}
	return &filterExprT{e: e, cfg: filterOptions(opts)}, nil
}

// MustFilterExpr is FilterExpr that panics on a bad expression, for expressions
// written in code.
func MustFilterExpr(expression string, opts ...FilterOption) cdc.Transform {
	t, err := FilterExpr(expression, opts...)
	if err != nil {
		panic(err)
	}
	return t
}

type filterExprT struct {
	e   *eventExpr
	cfg filterConfig
}

func (t *filterExprT) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !t.cfg.allEvents && !shapeRowOp(ev.Op) {
		return true, nil
	}
	ok, err := t.e.bool(ev)
	if err != nil {
		if t.cfg.onError != nil {
			return t.cfg.onError(ev, err)
		}
		return false, err
	}
	return ok, nil
}
