package transform

// Changed fields: ChangedFields compares Before and After of updates and lists the
// columns that changed in a header, like Debezium's ExtractChangedRecordState
// (header.changed.name / header.unchanged.name). Consumers use it to skip updates that
// do not touch the columns they care about, without comparing rows themselves.

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/tributary-cdc/cdc"
)

// Header keys written by ChangedFields.
const (
	HeaderChangedFields   = "changed_fields"
	HeaderUnchangedFields = "unchanged_fields"
)

// ChangedFieldsOption configures ChangedFields.
type ChangedFieldsOption func(*changedFieldsConfig)

type changedFieldsConfig struct {
	changed, unchanged string
}

// WithUnchangedFields also adds the header HeaderUnchangedFields listing the columns
// that did not change.
func WithUnchangedFields() ChangedFieldsOption {
	return func(c *changedFieldsConfig) { c.unchanged = HeaderUnchangedFields }
}

// ChangedFieldsHeaders sets the header keys; an empty key leaves that header out.
// The defaults are HeaderChangedFields and no unchanged-fields header.
func ChangedFieldsHeaders(changed, unchanged string) ChangedFieldsOption {
	return func(c *changedFieldsConfig) { c.changed, c.unchanged = changed, unchanged }
}

// ChangedFields adds to every update the header HeaderChangedFields: a []string of the
// columns of After whose value differs from Before, in After's column order (an empty,
// non-nil slice when nothing changed). With WithUnchangedFields it also adds
// HeaderUnchangedFields with the other columns of After.
//
// Values are compared by type: cdc.Decimal by value (1.5 equals 1.50), time.Time with
// Equal (the same instant in any location), []byte and json.RawMessage byte for byte
// (JSON is not normalised: {"a":1,"b":2} differs from {"b":2,"a":1}), float64 with NaN
// equal to NaN, []string element-wise, values of other types with == or, for maps and
// slices, reflect.DeepEqual. Values of different Go types are different.
//
// A cdc.Unchanged value in After counts as unchanged. A column After has and Before
// lacks counts as changed; columns only Before has are not listed.
//
// Updates without Before get no header at all: PostgreSQL sends the old row only with
// REPLICA IDENTITY FULL (or the old key when the key changed), MySQL only with
// binlog_row_image=FULL, and an absent header says "unknown", where an empty list would
// say "nothing changed". Events other than updates pass through unchanged.
func ChangedFields(opts ...ChangedFieldsOption) cdc.Transform {
	c := changedFieldsConfig{changed: HeaderChangedFields}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return cdc.TransformFunc(func(_ context.Context, ev *cdc.Event) (bool, error) {
		if ev.Op != cdc.OpUpdate || ev.Before.IsZero() || ev.After.IsZero() ||
			(c.changed == "" && c.unchanged == "") {
			return true, nil
		}
		n := ev.After.Len()
		// One backing array for both lists: changed fill it from the front, unchanged
		// from the back.
		all := make([]string, n)
		nc, nu := 0, n
		sameNames := slices.Equal(ev.Before.Names(), ev.After.Names())
		for i := 0; i < n; i++ {
			name := ev.After.Name(i)
			var changed bool
			av := ev.After.At(i)
			switch {
			case cdc.IsUnchanged(av):
			case sameNames:
				changed = !changedEqual(ev.Before.At(i), av)
			default:
				bv, ok := ev.Before.Get(name)
				changed = !ok || !changedEqual(bv, av)
			}
			if changed {
				all[nc] = name
				nc++
			} else {
				nu--
				all[nu] = name
			}
		}
		if c.changed != "" {
			ev.SetHeader(c.changed, all[:nc:nc])
		}
		if c.unchanged != "" {
			un := all[nu:]
			slices.Reverse(un) // filled from the back: restore column order
			ev.SetHeader(c.unchanged, un)
		}
		return true, nil
	})
}

// changedEqual is the type-aware equality documented on ChangedFields.
func changedEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case uint64:
		y, ok := b.(uint64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || (math.IsNaN(x) && math.IsNaN(y)))
	case cdc.Decimal:
		y, ok := b.(cdc.Decimal)
		return ok && x.Equal(y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case time.Duration:
		y, ok := b.(time.Duration)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case json.RawMessage:
		y, ok := b.(json.RawMessage)
		return ok && bytes.Equal(x, y)
	case []string:
		y, ok := b.([]string)
		return ok && slices.Equal(x, y)
	case cdc.Unchanged:
		// Unknown old value: report a change, so a consumer never misses one.
		return false
	case cdc.Infinity:
		y, ok := b.(cdc.Infinity)
		return ok && x == y
	case cdc.Interval:
		y, ok := b.(cdc.Interval)
		return ok && x == y
	}
	// Rare types (arrays, documents, custom values): reflection is acceptable here.
	return reflect.DeepEqual(a, b)
}
