package postgres

import (
	"context"
	"fmt"
	"strconv"

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
}

// tableColumns reads a table's columns, nullability and primary key.
func tableColumns(ctx context.Context, conn *pgconn.PgConn, relid string) ([]catalogColumn, error) {
	rows, err := query(ctx, conn, `SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull,
		coalesce(a.attnum = ANY(i.indkey), false)
		FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
		WHERE a.attrelid = `+relid+` AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`)
	if err != nil {
		return nil, err
	}
	cols := make([]catalogColumn, len(rows))
	for i, r := range rows {
		oid, _ := strconv.ParseUint(r[1], 10, 32)
		typmod, _ := strconv.ParseInt(r[2], 10, 32)
		cols[i] = catalogColumn{name: r[0], oid: uint32(oid), typmod: int32(typmod), notNull: r[3] == "t", pk: r[4] == "t"}
	}
	return cols, nil
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
		schemaCols = append(schemaCols, cdc.Column{Name: c.name, Type: name, Kind: kind, Nullable: !c.notNull, PrimaryKey: c.pk})
	}
	rel.schema = cdc.NewTableSchema(rel.table, schemaCols, nil)
	return rel, nil
}

// relation handles a pgoutput Relation message: the table's current shape. A change of
// columns from what the stream knew is emitted as an OpSchema event.
func (st *stream) relation(ctx context.Context, m *pglogrepl.RelationMessage) error {
	relid := strconv.FormatUint(uint64(m.RelationID), 10)
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
	for i, c := range m.Columns {
		cc := notNull[c.Name]
		cols[i] = catalogColumn{name: c.Name, oid: c.DataType, typmod: c.TypeModifier, notNull: cc.notNull, pk: cc.pk}
		keys[i] = c.Flags&1 != 0
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
		if x.Name != y.Name || x.Type != y.Type || x.Nullable != y.Nullable {
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
