package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-cdc/cdc"
)

// relation is what the stream knows of a table: its schema and a decoder per column.
type relation struct {
	table   cdc.TableID
	schema  *cdc.TableSchema
	capture bool
	idx     []int // pgoutput column i -> schema column, -1 when excluded
	decs    []func([]byte) (any, error)
	keyIdx  []int // schema columns of the key
	keyCols []string
	oids    []uint32
}

// catalogColumn is a column as the catalog describes it.
type catalogColumn struct {
	name    string
	oid     uint32
	typmod  int32
	notNull bool
	pk      bool
	def     *string // the default expression, nil when none
}

// tableColumns reads a table's columns, nullability and primary key.
func tableColumns(ctx context.Context, conn *pgconn.PgConn, relid string) ([]catalogColumn, error) {
	rows, err := query(ctx, conn, `SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull,
		coalesce(a.attnum = ANY(i.indkey), false), d.adbin IS NOT NULL AND a.attgenerated = '', coalesce(pg_get_expr(d.adbin, d.adrelid), '')
		FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = `+relid+` AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`)
	if err != nil {
		return nil, err
	}
	cols := make([]catalogColumn, len(rows))
	for i, r := range rows {
		oid, _ := strconv.ParseUint(r[1], 10, 32)
		typmod, _ := strconv.ParseInt(r[2], 10, 32)
		cols[i] = catalogColumn{name: r[0], oid: uint32(oid), typmod: int32(typmod), notNull: r[3] == "t", pk: r[4] == "t"}
		if r[5] == "t" {
			def := r[6]
			cols[i].def = &def
		}
	}
	return cols, nil
}

// awaitVisible waits until the effects of committed transaction xid are visible to
// new snapshots. The walsender may send a transaction as soon as its commit record is
// in the WAL, a moment before the committing backend makes it visible: a catalog query
// right then can miss the column that the transaction's DDL added, or see an old
// NOT NULL or default. It reports false when the transaction is still not visible
// after 10 seconds (something else is wrong; the catalog as it is still beats
// stopping the stream).
func awaitVisible(ctx context.Context, conn *pgconn.PgConn, xid uint32) (bool, error) {
	delay := 500 * time.Microsecond
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := query(ctx, conn, "SELECT txid_current_snapshot()::text")
		if err != nil {
			return false, fmt.Errorf("postgres: reading the current snapshot: %w", err)
		}
		visible, err := visibleIn(rows[0][0], xid)
		if err != nil || visible || time.Now().After(deadline) {
			return visible, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// visibleIn tells whether the 32-bit xid of a committed transaction is visible in a
// txid snapshot ("xmin:xmax:xip,..." with 64-bit, epoch-qualified ids).
func visibleIn(snap string, xid uint32) (bool, error) {
	parts := strings.Split(snap, ":")
	if len(parts) != 3 {
		return false, fmt.Errorf("postgres: unexpected snapshot %q", snap)
	}
	xmin, err1 := strconv.ParseUint(parts[0], 10, 64)
	xmax, err2 := strconv.ParseUint(parts[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return false, fmt.Errorf("postgres: unexpected snapshot %q: %w", snap, err)
	}
	// xid's epoch is xmax's, unless that puts it 2^31 or more ahead of xmax: ids live
	// within half the 32-bit space, so then it is from the epoch before. An id at or
	// above xmax has not completed as far as this snapshot knows — the walsender may
	// send a transaction before its commit has reached the proc array.
	full := xmax&^0xFFFFFFFF | uint64(xid)
	if full >= xmax {
		if full-xmax < 1<<31 {
			return false, nil
		}
		if full < 1<<32 {
			return true, nil // older than the first epoch's ids: long frozen
		}
		full -= 1 << 32
	}
	if full < xmin {
		return true, nil
	}
	if parts[2] != "" {
		for _, s := range strings.Split(parts[2], ",") {
			if s == strconv.FormatUint(full, 10) {
				return false, nil
			}
		}
	}
	return true, nil
}

// buildRelation makes the decoders and schema of a table from its columns; keyFlags
// marks the replica-identity columns (pgoutput's key flag), nil to use the primary key.
func (st *stream) buildRelation(ctx context.Context, schemaName, table string, cols []catalogColumn, keyFlags []bool) (*relation, error) {
	cfg := &st.src.cfg
	oids := make([]uint32, len(cols))
	for i, c := range cols {
		oids[i] = c.oid
	}
	if err := loadTypes(ctx, st.meta, st.types, oids); err != nil {
		return nil, fmt.Errorf("postgres: reading the types of %s.%s: %w", schemaName, table, err)
	}
	rel := &relation{table: cdc.TableID{Database: st.db, Schema: schemaName, Name: table},
		capture: cfg.captures(schemaName, table), oids: oids}
	var schemaCols []cdc.Column
	for i, c := range cols {
		if cfg.excluded(schemaName, table, c.name) {
			rel.idx = append(rel.idx, -1)
			rel.decs = append(rel.decs, nil)
			continue
		}
		name, kind, dec := decoderFor(c.oid, c.typmod, st.types)
		key := c.pk
		if keyFlags != nil {
			key = keyFlags[i]
		}
		if key {
			rel.keyIdx = append(rel.keyIdx, len(schemaCols))
			rel.keyCols = append(rel.keyCols, c.name)
		}
		rel.idx = append(rel.idx, len(schemaCols))
		rel.decs = append(rel.decs, dec)
		col := cdc.Column{Name: c.name, Type: name, Kind: kind, Nullable: !c.notNull, PrimaryKey: c.pk, Default: c.def}
		typmodDetails(&col, c.oid, c.typmod)
		schemaCols = append(schemaCols, col)
	}
	rel.schema = cdc.NewTableSchema(rel.table, schemaCols, nil)
	return rel, nil
}

// relation handles a pgoutput Relation message: the table's current shape. A change of
// columns from what the stream knew is emitted as an OpSchema event.
func (st *stream) relation(ctx context.Context, m *pglogrepl.RelationMessage) error {
	relid := strconv.FormatUint(uint64(m.RelationID), 10)
	if st.inTx {
		visible, err := awaitVisible(ctx, st.meta, st.txXid)
		if err != nil {
			return err
		}
		if !visible {
			st.req.Log().Warn("a committed transaction stayed invisible for 10 s: reading the table's nullability and defaults anyway",
				"xid", st.txXid, "table", m.Namespace+"."+m.RelationName)
		}
	}
	// The catalog is today's: replaying older WAL after a restart, a column dropped
	// since is missing from it and is reported nullable, without default or key flag.
	catalog, err := tableColumns(ctx, st.meta, relid)
	if err != nil {
		return err
	}
	notNull := map[string]catalogColumn{}
	for _, c := range catalog {
		notNull[c.name] = c
	}
	cols := make([]catalogColumn, len(m.Columns))
	keys := make([]bool, len(m.Columns))
	hasPK := false
	for i, c := range m.Columns {
		cc := notNull[c.Name]
		cols[i] = catalogColumn{name: c.Name, oid: c.DataType, typmod: c.TypeModifier, notNull: cc.notNull, pk: cc.pk, def: cc.def}
		keys[i] = c.Flags&1 != 0 // part of the replica identity
		hasPK = hasPK || cc.pk
	}
	if hasPK {
		// The key is the primary key, also under REPLICA IDENTITY FULL (which flags
		// every column) or USING INDEX; the replica identity is the key only without one.
		for i := range cols {
			keys[i] = cols[i].pk
		}
	}
	rel, err := st.buildRelation(ctx, m.Namespace, m.RelationName, cols, keys)
	if err != nil {
		return err
	}
	old := st.rels[m.RelationID]
	if old != nil {
		rel.schema.Version = old.schema.Version
		if !sameColumns(old.schema, rel.schema) {
			rel.schema.Version++
			if rel.capture {
				ev := cdc.Event{Op: cdc.OpSchema, Table: rel.table, Schema: rel.schema}
				if st.inTx {
					if st.emit(ctx, &ev) {
						st.pending = append(st.pending, ev)
					}
				} else {
					ev.Source.Connector = "postgresql"
					ev.SetID("pg:schema:" + st.lastEnd.String() + ":" + rel.table.String())
					st.pending = append(st.pending, ev)
				}
			}
		}
	}
	st.rels[m.RelationID] = rel
	return nil
}

func sameColumns(a, b *cdc.TableSchema) bool {
	if len(a.Columns) != len(b.Columns) {
		return false
	}
	for i := range a.Columns {
		x, y := a.Columns[i], b.Columns[i]
		if x.Name != y.Name || x.Type != y.Type || x.Nullable != y.Nullable || x.PrimaryKey != y.PrimaryKey ||
			(x.Default == nil) != (y.Default == nil) || (x.Default != nil && *x.Default != *y.Default) {
			return false
		}
	}
	return true
}

// row decodes a tuple. Unchanged TOAST values become cdc.Unchanged.
func (rel *relation) row(t *pglogrepl.TupleData) (cdc.Row, error) {
	vals := make([]any, len(rel.schema.Columns))
	for i, c := range t.Columns {
		if i >= len(rel.idx) {
			return cdc.Row{}, fmt.Errorf("postgres: %s: tuple has %d columns, relation %d", rel.table, len(t.Columns), len(rel.idx))
		}
		j := rel.idx[i]
		if j < 0 {
			continue
		}
		switch c.DataType {
		case pglogrepl.TupleDataTypeNull:
		case pglogrepl.TupleDataTypeToast:
			vals[j] = cdc.Unchanged{}
		case pglogrepl.TupleDataTypeText:
			v, err := rel.decs[i](c.Data)
			if err != nil {
				return cdc.Row{}, fmt.Errorf("postgres: %s.%s: %w", rel.table, rel.schema.Columns[j].Name, err)
			}
			vals[j] = v
		default:
			return cdc.Row{}, fmt.Errorf("postgres: %s: unsupported tuple data type %q", rel.table, c.DataType)
		}
	}
	return cdc.NewRow(rel.schema.Names(), vals), nil
}

// key builds the key row from the new row, or the old one (deletes, key-only tuples).
func (rel *relation) key(before, after cdc.Row) cdc.Row {
	if len(rel.keyIdx) == 0 {
		return cdc.Row{}
	}
	src := after
	if src.IsZero() {
		src = before
	}
	if src.IsZero() {
		return cdc.Row{}
	}
	vals := make([]any, len(rel.keyIdx))
	for i, j := range rel.keyIdx {
		vals[i] = src.At(j)
	}
	return cdc.NewRow(rel.keyCols, vals)
}

// typmodDetails fills a column's length, precision and scale from its type modifier.
func typmodDetails(col *cdc.Column, oid uint32, typmod int32) {
	if typmod < 0 {
		return
	}
	switch oid {
	case 1700: // numeric(p,s)
		col.Precision = int((typmod - 4) >> 16 & 0xffff)
		col.Scale = int(int16((typmod - 4) & 0xffff))
	case 1042, 1043: // char(n), varchar(n)
		col.Length = int(typmod - 4)
	case 1083, 1114, 1184, 1266: // time, timestamp, timestamptz, timetz (p)
		col.Precision = int(typmod)
	case 1560, 1562: // bit(n), varbit(n)
		col.Length = int(typmod)
	}
}
