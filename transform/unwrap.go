package transform

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tributary-cdc/cdc"
)

// DeleteMode says what Unwrap does with deletes (Debezium's delete.handling.mode /
// delete.tombstone.handling.mode).
type DeleteMode uint8

// Delete handling modes. The zero value is DeleteTombstone.
const (
	// DeleteTombstone turns a delete into a tombstone: Before and After are cleared,
	// Key and Op (cdc.OpDelete) stay, so a sink deletes the row by key (a Kafka
	// tombstone: a record with a key and no value). The default.
	DeleteTombstone DeleteMode = iota
	// DeleteDrop drops deletes.
	DeleteDrop
	// DeleteRewrite keeps the old row as the new state: After becomes Before (or Key
	// when the source sent no old row) plus the column "__deleted" = "true"; creates,
	// updates and snapshot reads get "__deleted" = "false". Op stays cdc.OpDelete.
	DeleteRewrite
)

// UnwrapDeletedColumn is the column DeleteRewrite adds, as Debezium does.
const UnwrapDeletedColumn = "__deleted"

func (m DeleteMode) String() string {
	switch m {
	case DeleteTombstone:
		return "tombstone"
	case DeleteDrop:
		return "drop"
	case DeleteRewrite:
		return "rewrite"
	}
	return fmt.Sprintf("DeleteMode(%d)", uint8(m))
}

// UnwrapOption configures Unwrap.
type UnwrapOption func(*unwrapConfig)

type unwrapConfig struct {
	deletes        DeleteMode
	dropTombstones bool
	fields         []unwrapField // into After
	headers        []unwrapField // into Headers
	errs           []error
}

type unwrapField struct {
	name string // prefix + field
	get  func(*cdc.Event) any
}

// UnwrapDeletes sets the delete handling mode (default DeleteTombstone).
func UnwrapDeletes(mode DeleteMode) UnwrapOption {
	return func(c *unwrapConfig) {
		if mode > DeleteRewrite {
			c.errs = append(c.errs, shapeConfigErr("UnwrapDeletes", "mode %d is unknown: use DeleteTombstone, DeleteDrop or DeleteRewrite", uint8(mode)))
			return
		}
		c.deletes = mode
	}
}

// UnwrapDropTombstones drops the deletes that would become tombstones (Debezium's
// drop.tombstones). With DeleteTombstone this drops every delete; with DeleteRewrite
// there are no tombstones and it does nothing.
func UnwrapDropTombstones() UnwrapOption {
	return func(c *unwrapConfig) { c.dropTombstones = true }
}

// UnwrapAddFields adds source metadata to After as columns named prefix+field, after
// the row's columns, in the order given (Debezium's add.fields; Debezium's prefix is
// "__", so UnwrapAddFields("__", "op", "table") adds "__op" and "__table"). A column the
// row already has is overwritten. Tombstones have no After and get no fields.
//
// The fields and their values (nil where the source has no such field, or it is not
// set):
//
//	op          string: "c", "u", "d" or "r"
//	table       string: the table (or collection) name
//	db          string: the database
//	schema      string: the schema (PostgreSQL)
//	lsn         uint64: the change's LSN (PostgreSQL)
//	commit_lsn  uint64: the commit's LSN (PostgreSQL)
//	gtid        string: the transaction's GTID (MySQL, MariaDB)
//	file        string: the binlog file (MySQL, MariaDB)
//	pos         uint64: the binlog position (MySQL, MariaDB)
//	row         int64: the row's index in its binlog rows event (MySQL, MariaDB)
//	server_id   int64: the writing server's id (MySQL, MariaDB)
//	ts_ms       int64: the commit time in milliseconds since the epoch (Debezium's
//	            source.ts_ms; not the processing time)
//	tx_id       string: the transaction id
//	tx_order    int64: the 1-based order of the event in its transaction
//	connector   string: "postgresql", "mysql", "mariadb", "mongodb"
//	name        string: the engine name
//	snapshot    string: "true", "first", "last", or "false" for streamed changes
//
// An unknown field makes Unwrap's transform fail (see Unwrap).
func UnwrapAddFields(prefix string, fields ...string) UnwrapOption {
	return func(c *unwrapConfig) {
		c.fields = unwrapAddFields(c, "UnwrapAddFields", c.fields, prefix, fields)
	}
}

// UnwrapAddHeaders adds source metadata to the event's headers, with keys
// prefix+field (Debezium's add.headers). The fields are those of UnwrapAddFields.
// Tombstones get headers too.
func UnwrapAddHeaders(prefix string, fields ...string) UnwrapOption {
	return func(c *unwrapConfig) {
		c.headers = unwrapAddFields(c, "UnwrapAddHeaders", c.headers, prefix, fields)
	}
}

func unwrapAddFields(c *unwrapConfig, fn string, to []unwrapField, prefix string, fields []string) []unwrapField {
	if len(fields) == 0 {
		c.errs = append(c.errs, shapeConfigErr(fn, "no fields: name at least one of %s", unwrapFieldList()))
		return to
	}
	for _, f := range fields {
		get, err := unwrapSourceField(fn, f)
		if err != nil {
			c.errs = append(c.errs, err)
			continue
		}
		name := prefix + f
		if slices.ContainsFunc(to, func(u unwrapField) bool { return u.name == name }) {
			continue
		}
		to = append(to, unwrapField{name: name, get: get})
	}
	return to
}

// Unwrap turns change events into the new state of the row, like Debezium's
// ExtractNewRecordState: creates, updates and snapshot reads keep After and lose
// Before; deletes become tombstones (or are dropped, or rewritten: see DeleteMode).
// Truncate, message and schema events pass through untouched. Key is never changed.
//
// Bad options (an unknown field name, an unknown delete mode) make every Apply of the
// returned transform fail with an error wrapping cdc.ErrInvalidConfig, so the engine
// stops at the first event; UnwrapErr reports them at construction instead.
func Unwrap(opts ...UnwrapOption) cdc.Transform {
	t, err := UnwrapErr(opts...)
	if err != nil {
		return shapeFailed{err}
	}
	return t
}

// UnwrapErr is Unwrap returning bad options as an error (for options read from
// configuration).
func UnwrapErr(opts ...UnwrapOption) (cdc.Transform, error) {
	var c unwrapConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if len(c.errs) > 0 {
		return nil, c.errs[0]
	}
	t := &unwrapT{cfg: c, add: slices.Clone(c.fields)}
	if c.deletes == DeleteRewrite {
		t.add = append(t.add, unwrapField{name: UnwrapDeletedColumn})
	}
	t.build = t.plan
	return t, nil
}

type unwrapT struct {
	cfg   unwrapConfig
	add   []unwrapField // columns added to After (the last one is __deleted in rewrite mode)
	memo  shapeMemo[*unwrapPlan]
	build func([]string) *unwrapPlan
}

// unwrapPlan places the added columns in a row with given names.
type unwrapPlan struct {
	out []string // the names of the extended row
	pos []int    // for each added column, its index in out
}

func (t *unwrapT) plan(names []string) *unwrapPlan {
	p := &unwrapPlan{out: slices.Clip(names), pos: make([]int, len(t.add))}
	for k, f := range t.add {
		i := slices.Index(p.out, f.name)
		if i < 0 {
			i = len(p.out)
			p.out = append(p.out[:len(p.out):len(p.out)], f.name)
		}
		p.pos[k] = i
	}
	return p
}

// Boxed constants: storing them in an interface does not allocate.
var (
	unwrapTrue  any = "true"
	unwrapFalse any = "false"
)

func (t *unwrapT) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	deleted := unwrapFalse
	switch ev.Op {
	case cdc.OpCreate, cdc.OpUpdate, cdc.OpRead:
		ev.Before = cdc.Row{}
	case cdc.OpDelete:
		switch t.cfg.deletes {
		case DeleteDrop:
			return false, nil
		case DeleteTombstone:
			if t.cfg.dropTombstones {
				return false, nil
			}
			ev.Before, ev.After = cdc.Row{}, cdc.Row{}
			t.headers(ev)
			return true, nil
		}
		row := ev.Before
		if row.IsZero() {
			row = ev.Key
		}
		ev.Before, ev.After = cdc.Row{}, row
		deleted = unwrapTrue
	default:
		return true, nil
	}
	if len(t.add) > 0 && (!ev.After.IsZero() || ev.Op == cdc.OpDelete) {
		t.extend(ev, deleted)
	}
	t.headers(ev)
	return true, nil
}

// extend adds the metadata columns (and __deleted) to After, in a new values slice.
func (t *unwrapT) extend(ev *cdc.Event, deleted any) {
	p := t.memo.get(ev.After.Names(), t.build)
	vals := make([]any, len(p.out))
	copy(vals, ev.After.Values())
	for k, f := range t.add {
		if f.get == nil {
			vals[p.pos[k]] = deleted
			continue
		}
		vals[p.pos[k]] = f.get(ev)
	}
	ev.After = cdc.NewRow(p.out, vals)
}

func (t *unwrapT) headers(ev *cdc.Event) {
	for _, h := range t.cfg.headers {
		ev.SetHeader(h.name, h.get(ev))
	}
}

// Source metadata fields for UnwrapAddFields, UnwrapAddHeaders and InsertSource.
var unwrapSourceFields = map[string]func(*cdc.Event) any{
	"op":         func(ev *cdc.Event) any { return unwrapOpValue(ev.Op) },
	"table":      func(ev *cdc.Event) any { return unwrapString(ev.Table.Name) },
	"db":         func(ev *cdc.Event) any { return unwrapString(ev.Table.Database) },
	"schema":     func(ev *cdc.Event) any { return unwrapString(ev.Table.Schema) },
	"lsn":        func(ev *cdc.Event) any { return unwrapUint(ev.Source.LSN) },
	"commit_lsn": func(ev *cdc.Event) any { return unwrapUint(ev.Source.CommitLSN) },
	"gtid":       func(ev *cdc.Event) any { return unwrapString(ev.Source.GTID) },
	"file":       func(ev *cdc.Event) any { return unwrapString(ev.Source.File) },
	"pos":        func(ev *cdc.Event) any { return unwrapUint(ev.Source.Pos) },
	"row": func(ev *cdc.Event) any {
		if ev.Source.File == "" && ev.Source.GTID == "" {
			return nil // not a binlog source
		}
		return int64(ev.Source.Row)
	},
	"server_id": func(ev *cdc.Event) any {
		if ev.Source.ServerID == 0 {
			return nil
		}
		return int64(ev.Source.ServerID)
	},
	"ts_ms": func(ev *cdc.Event) any {
		if ev.Source.CommitTime.IsZero() {
			return nil
		}
		return ev.Source.CommitTime.UnixMilli()
	},
	"tx_id": func(ev *cdc.Event) any { return unwrapString(ev.Source.TxID) },
	"tx_order": func(ev *cdc.Event) any {
		if ev.Source.TxOrder == 0 {
			return nil
		}
		return ev.Source.TxOrder
	},
	"connector": func(ev *cdc.Event) any { return unwrapString(ev.Source.Connector) },
	"name":      func(ev *cdc.Event) any { return unwrapString(ev.Source.Name) },
	"snapshot": func(ev *cdc.Event) any {
		switch ev.Source.Snapshot {
		case cdc.SnapshotFalse:
			return unwrapFalse
		case cdc.SnapshotTrue:
			return unwrapTrue
		}
		return string(ev.Source.Snapshot)
	},
}

// unwrapOps holds the op codes boxed once.
var unwrapOps = func() (a [16]any) {
	for i := range a {
		a[i] = cdc.Op(i).String()
	}
	return a
}()

func unwrapOpValue(op cdc.Op) any {
	if int(op) < len(unwrapOps) {
		return unwrapOps[op]
	}
	return op.String()
}

func unwrapString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func unwrapUint(u uint64) any {
	if u == 0 {
		return nil
	}
	return u
}

func unwrapFieldList() string {
	return strings.Join(slices.Sorted(maps.Keys(unwrapSourceFields)), ", ")
}

// unwrapSourceField returns the getter of a source metadata field.
func unwrapSourceField(fn, field string) (func(*cdc.Event) any, error) {
	get, ok := unwrapSourceFields[field]
	if !ok {
		return nil, shapeConfigErr(fn, "field %q is unknown: use one of %s", field, unwrapFieldList())
	}
	return get, nil
}
