package mysql

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // literal values in parsed DDL
	"github.com/tributary-cdc/cdc"
)

// tableInfo is a table's columns and primary key: as information_schema describes it
// now, or as the schema history has it at a binlog position.
type tableInfo struct {
	cols    []colInfo
	byName  map[string]int
	pk      []string // primary-key columns in key order
	charset string   // the table's default character set (for columns added later)
}

// index rebuilds byName and the columns' pk flags.
func (t *tableInfo) index() {
	t.byName = make(map[string]int, len(t.cols))
	for i := range t.cols {
		t.byName[t.cols[i].name] = i
		t.cols[i].pk = slices.Contains(t.pk, t.cols[i].name)
	}
}

// loadTable reads a table's columns and primary key; nil when the table does not exist.
func loadTable(ctx context.Context, conn *client.Conn, flavor, db, table string) (*tableInfo, error) {
	m, err := loadTables(ctx, conn, flavor, "TABLE_SCHEMA = "+quoteString(db)+" AND TABLE_NAME = "+quoteString(table))
	if err != nil {
		return nil, fmt.Errorf("mysql: reading the columns of %s.%s: %w", db, table, err)
	}
	return m[db+"."+table], nil
}

// loadTables reads the columns and primary keys of the base tables matching where (a
// condition on TABLE_SCHEMA and TABLE_NAME), by "db.table", in four queries whatever
// their number.
func loadTables(ctx context.Context, conn *client.Conn, flavor, where string) (map[string]*tableInfo, error) {
	out := map[string]*tableInfo{}
	r, err := query(ctx, conn, "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_COLLATION FROM information_schema.TABLES t "+
		"WHERE t.TABLE_TYPE = 'BASE TABLE' AND "+where)
	if err != nil {
		return nil, err
	}
	var dbs []string
	for i := range r.RowNumber() {
		db, _ := cell(r, i, 0)
		name, _ := cell(r, i, 1)
		coll, _ := cell(r, i, 2)
		out[db+"."+name] = &tableInfo{byName: map[string]int{}, charset: collationCharsetName(coll)}
		if !slices.Contains(dbs, db) {
			dbs = append(dbs, db)
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	jsonCols, err := mariadbJSONColumns(ctx, conn, flavor, dbs)
	if err != nil {
		return nil, err
	}
	r, err = query(ctx, conn, "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, LOWER(DATA_TYPE), COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, CHARACTER_SET_NAME, "+
		"CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, COLUMN_KEY"+
		" FROM information_schema.COLUMNS c WHERE "+where+" ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION")
	if err != nil {
		return nil, err
	}
	num := func(i, j int) int {
		s, _ := cell(r, i, j)
		n, _ := strconv.Atoi(s)
		return n
	}
	for i := range r.RowNumber() {
		db, _ := cell(r, i, 0)
		name, _ := cell(r, i, 1)
		t := out[db+"."+name]
		if t == nil { // a view
			continue
		}
		var c colInfo
		c.name, _ = cell(r, i, 2)
		c.dataType, _ = cell(r, i, 3)
		c.columnType, _ = cell(r, i, 4)
		nullable, _ := cell(r, i, 5)
		c.nullable = nullable == "YES"
		if def, null := cell(r, i, 6); !null && !(flavor == gmysql.MariaDBFlavor && def == "NULL") {
			c.def = &def
		}
		c.charset, _ = cell(r, i, 7)
		c.length = num(i, 8)
		c.precision = num(i, 9)
		c.scale = num(i, 10)
		if c.class() == "datetime" || c.class() == "time" {
			c.precision = num(i, 11)
		}
		key, _ := cell(r, i, 12)
		c.pk = key == "PRI"
		c.json = jsonCols[jsonColumnKey(db, name, c.name)]
		ct := strings.ToLower(c.columnType)
		c.unsigned = strings.Contains(ct, "unsigned")
		if c.dataType == "enum" || c.dataType == "set" {
			c.values = parseEnumValues(c.columnType)
		}
		if c.charset == "" && c.class() == "str" && c.kind() == cdc.KindBytes {
			c.charset = "binary"
		}
		t.byName[c.name] = len(t.cols)
		t.cols = append(t.cols, c)
	}
	r, err = query(ctx, conn, "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "+where+
		" AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION")
	if err != nil {
		return nil, err
	}
	for i := range r.RowNumber() {
		db, _ := cell(r, i, 0)
		name, _ := cell(r, i, 1)
		col, _ := cell(r, i, 2)
		if t := out[db+"."+name]; t != nil {
			t.pk = append(t.pk, col)
		}
	}
	for _, t := range out {
		if len(t.pk) == 0 { // fall back on COLUMN_KEY (key order unknown: column order)
			for _, c := range t.cols {
				if c.pk {
					t.pk = append(t.pk, c.name)
				}
			}
		}
	}
	return out, nil
}

// loadModel reads the schemas of every table of the captured databases, and their
// default character sets, from information_schema.
func (s *Source) loadModel(ctx context.Context, conn *client.Conn, flavor string) (*schemaModel, error) {
	m := &schemaModel{tables: map[string]*tableInfo{}}
	dbs, in, err := s.modelledDatabases(ctx, conn)
	if err != nil {
		return nil, err
	}
	if m.dbs = dbs; in == "" {
		return m, nil
	}
	tables, err := loadTables(ctx, conn, flavor, "TABLE_SCHEMA IN ("+in+")")
	if err != nil {
		return nil, fmt.Errorf("mysql: reading the schemas of the captured databases: %w", err)
	}
	m.tables = tables
	return m, nil
}

// modelledDatabases lists the databases whose tables the history keeps (every
// captured table is in one), with their default character sets, and as a sorted list
// of quoted names for an IN condition ("" for none). Queries of information_schema
// restricted to them are much cheaper than over the whole server: MariaDB opens every
// table of the databases a query may touch.
func (s *Source) modelledDatabases(ctx context.Context, conn *client.Conn) (map[string]string, string, error) {
	r, err := query(ctx, conn, "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return nil, "", fmt.Errorf("mysql: listing the databases: %w", err)
	}
	dbs := map[string]string{}
	var in []string
	for i := range r.RowNumber() {
		db, _ := cell(r, i, 0)
		cs, _ := cell(r, i, 1)
		if s.cfg.models(db) {
			dbs[db] = cs
			in = append(in, quoteString(db))
		}
	}
	slices.Sort(in)
	return dbs, strings.Join(in, ", "), nil
}

// collationCharsetName names the character set of a collation ("" when unknown).
func collationCharsetName(coll string) string {
	if coll == "" {
		return ""
	}
	if c, err := charset.GetCollationByName(coll); err == nil {
		return c.CharsetName
	}
	if i := strings.IndexByte(coll, '_'); i > 0 { // MariaDB's own collations: utf8mb4_uca1400_ai_ci
		return strings.ToLower(coll[:i])
	}
	return ""
}

// mariadbJSONColumns finds MariaDB's JSON columns in the databases (by
// jsonColumnKey): JSON is LONGTEXT there, with a CHECK (json_valid(`col`))
// constraint. One query for all the tables: checking each column with a correlated
// subquery on CHECK_CONSTRAINTS took over 100 ms even for one table.
func mariadbJSONColumns(ctx context.Context, conn *client.Conn, flavor string, dbs []string) (map[string]bool, error) {
	if flavor != gmysql.MariaDBFlavor || len(dbs) == 0 {
		return nil, nil
	}
	in := make([]string, len(dbs))
	for i, db := range dbs {
		in[i] = quoteString(db)
	}
	r, err := query(ctx, conn, "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "+
		"WHERE CONSTRAINT_SCHEMA IN ("+strings.Join(in, ", ")+") AND CHECK_CLAUSE LIKE 'json\\_valid(`%`)'")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for i := range r.RowNumber() {
		db, _ := cell(r, i, 0)
		name, _ := cell(r, i, 1)
		clause, _ := cell(r, i, 2)
		// The clause as the server stores it, json_valid(`col`) with the column as
		// declared, however the user wrote it.
		if len(clause) < len("json_valid(``)") {
			continue
		}
		col := clause[len("json_valid(`") : len(clause)-len("`)")]
		out[jsonColumnKey(db, name, col)] = true
	}
	return out, nil
}

// jsonColumnKey identifies a column for mariadbJSONColumns; column names compare
// without case, as the server compares them.
func jsonColumnKey(db, table, column string) string {
	return db + "\x00" + table + "\x00" + strings.ToLower(column)
}

// parseEnumValues reads the members of an ENUM or SET column type, enum('a','b'),
// in which a quote inside a member is doubled.
func parseEnumValues(columnType string) []string {
	i := strings.IndexByte(columnType, '(')
	if i < 0 {
		return nil
	}
	s := columnType[i+1:]
	var out []string
	for len(s) > 0 && s[0] == '\'' {
		var b strings.Builder
		j := 1
		for j < len(s) {
			if s[j] == '\'' {
				if j+1 < len(s) && s[j+1] == '\'' {
					b.WriteByte('\'')
					j += 2
					continue
				}
				break
			}
			b.WriteByte(s[j])
			j++
		}
		out = append(out, b.String())
		s = s[min(j+1, len(s)):]
		s = strings.TrimPrefix(s, ",")
	}
	return out
}

// realType is the column type of a table map column, with ENUM and SET (written as
// STRING) resolved.
func realType(tm *replication.TableMapEvent, i int) byte {
	tp := tm.ColumnType[i]
	if tp == gmysql.MYSQL_TYPE_STRING {
		if rt := byte(tm.ColumnMeta[i] >> 8); rt == gmysql.MYSQL_TYPE_ENUM || rt == gmysql.MYSQL_TYPE_SET {
			return rt
		}
	}
	return tp
}

// tmMeta is the table map's optional metadata, computed once per decoder.
type tmMeta struct {
	names      []string
	unsigned   map[int]bool
	enums      map[int][]string
	sets       map[int][]string
	collations map[int]uint64
	enumColl   map[int]uint64
}

func newTMMeta(tm *replication.TableMapEvent) tmMeta {
	var m tmMeta
	if len(tm.ColumnName) == int(tm.ColumnCount) {
		m.names = tm.ColumnNameString()
	}
	m.unsigned = tm.UnsignedMap()
	m.enums = tm.EnumStrValueMap()
	m.sets = tm.SetStrValueMap()
	m.collations = tm.CollationMap()
	m.enumColl = tm.EnumSetCollationMap()
	return m
}

// colFromTableMap describes column i from the table map alone: for a column the
// catalog no longer has (binlog_row_metadata = FULL only).
func colFromTableMap(tm *replication.TableMapEvent, m tmMeta, i int, name string) colInfo {
	c := colInfo{name: name, nullable: true, unsigned: m.unsigned[i]}
	if avail, nullable := tm.Nullable(i); avail {
		c.nullable = nullable
	}
	meta := tm.ColumnMeta[i]
	cs := ""
	if id, ok := m.collations[i]; ok {
		cs = collationCharset(id)
	} else if id, ok := m.enumColl[i]; ok {
		cs = collationCharset(id)
	}
	bin := cs == "binary"
	pick := func(text, binary string) string {
		if bin {
			return binary
		}
		return text
	}
	switch realType(tm, i) {
	case gmysql.MYSQL_TYPE_TINY:
		c.dataType = "tinyint"
	case gmysql.MYSQL_TYPE_SHORT:
		c.dataType = "smallint"
	case gmysql.MYSQL_TYPE_INT24:
		c.dataType = "mediumint"
	case gmysql.MYSQL_TYPE_LONG:
		c.dataType = "int"
	case gmysql.MYSQL_TYPE_LONGLONG:
		c.dataType = "bigint"
	case gmysql.MYSQL_TYPE_NEWDECIMAL:
		c.dataType, c.precision, c.scale = "decimal", int(meta>>8), int(meta&0xff)
	case gmysql.MYSQL_TYPE_FLOAT:
		c.dataType = "float"
	case gmysql.MYSQL_TYPE_DOUBLE:
		c.dataType = "double"
	case gmysql.MYSQL_TYPE_BIT:
		c.dataType, c.length = "bit", int(meta>>8)*8+int(meta&0xff)
	case gmysql.MYSQL_TYPE_DATE, gmysql.MYSQL_TYPE_NEWDATE:
		c.dataType = "date"
	case gmysql.MYSQL_TYPE_DATETIME, gmysql.MYSQL_TYPE_DATETIME2:
		c.dataType, c.precision = "datetime", int(meta)
	case gmysql.MYSQL_TYPE_TIMESTAMP, gmysql.MYSQL_TYPE_TIMESTAMP2:
		c.dataType, c.precision = "timestamp", int(meta)
	case gmysql.MYSQL_TYPE_TIME, gmysql.MYSQL_TYPE_TIME2:
		c.dataType, c.precision = "time", int(meta)
	case gmysql.MYSQL_TYPE_YEAR:
		c.dataType = "year"
	case gmysql.MYSQL_TYPE_VARCHAR, gmysql.MYSQL_TYPE_VAR_STRING:
		c.dataType = pick("varchar", "varbinary")
	case gmysql.MYSQL_TYPE_STRING:
		c.dataType = pick("char", "binary")
		if meta >= 256 {
			b0, b1 := meta>>8, meta&0xff
			c.length = int(b1 | ((b0&0x30)^0x30)<<4)
		} else {
			c.length = int(meta)
		}
	case gmysql.MYSQL_TYPE_BLOB, gmysql.MYSQL_TYPE_TINY_BLOB, gmysql.MYSQL_TYPE_MEDIUM_BLOB, gmysql.MYSQL_TYPE_LONG_BLOB:
		c.dataType = pick("text", "blob")
	case gmysql.MYSQL_TYPE_JSON:
		c.dataType = "json"
	case gmysql.MYSQL_TYPE_ENUM:
		c.dataType, c.values = "enum", m.enums[i]
	case gmysql.MYSQL_TYPE_SET:
		c.dataType, c.values = "set", m.sets[i]
	case gmysql.MYSQL_TYPE_GEOMETRY:
		c.dataType = "geometry"
	default:
		c.dataType = "type" + strconv.Itoa(int(realType(tm, i)))
	}
	if c.class() == "str" || c.class() == "enum" || c.class() == "set" {
		c.charset = cs
	}
	c.columnType = c.dataType
	if c.unsigned {
		c.columnType += " unsigned"
	}
	return c
}

// collationCharset names the character set of a collation id ("" when unknown).
func collationCharset(id uint64) string {
	if id == 63 {
		return "binary"
	}
	if c, err := charset.GetCollationByID(int(id)); err == nil {
		return c.CharsetName
	}
	return ""
}

// tableState is what the stream knows of a table, by "db.table".
type tableState struct {
	id      cdc.TableID
	capture bool
	info    *tableInfo // nil until loaded; reloaded after DDL
	loaded  bool
	gen     int              // incremented at every reload
	schema  *cdc.TableSchema // the schema of the last events, shared while it does not change
}

// decoder turns the rows of one table map into events.
type decoder struct {
	tm      *replication.TableMapEvent // the table map it was built for
	gen     int
	table   *tableState
	capture bool
	schema  *cdc.TableSchema
	idx     []int // binlog column -> schema column, -1 when excluded
	conv    []func(any) (any, error)
	keyIdx  []int // schema columns of the key
	keyCols []string
}

// sameTableMap reports whether two table maps describe the same columns.
func sameTableMap(a, b *replication.TableMapEvent) bool {
	eq2 := func(x, y [][]byte) bool { return slices.EqualFunc(x, y, bytes.Equal) }
	eq3 := func(x, y [][][]byte) bool {
		return slices.EqualFunc(x, y, func(p, q [][]byte) bool { return eq2(p, q) })
	}
	return a.TableID == b.TableID && bytes.Equal(a.Schema, b.Schema) && bytes.Equal(a.Table, b.Table) &&
		bytes.Equal(a.ColumnType, b.ColumnType) && slices.Equal(a.ColumnMeta, b.ColumnMeta) &&
		bytes.Equal(a.NullBitmap, b.NullBitmap) && bytes.Equal(a.SignednessBitmap, b.SignednessBitmap) &&
		eq2(a.ColumnName, b.ColumnName) && eq3(a.EnumStrValue, b.EnumStrValue) && eq3(a.SetStrValue, b.SetStrValue) &&
		slices.Equal(a.DefaultCharset, b.DefaultCharset) && slices.Equal(a.ColumnCharset, b.ColumnCharset) &&
		slices.Equal(a.EnumSetDefaultCharset, b.EnumSetDefaultCharset) && slices.Equal(a.EnumSetColumnCharset, b.EnumSetColumnCharset) &&
		slices.Equal(a.PrimaryKey, b.PrimaryKey)
}

// columnsFor decides the columns of a table map: with column names in the table map
// (binlog_row_metadata = FULL) each column is matched to the catalog by name, and
// described by the table map alone when the catalog no longer has it (or has it with
// another type); without names the catalog's columns are taken in order.
func columnsFor(tm *replication.TableMapEvent, info *tableInfo) ([]colInfo, []string, error) {
	m := newTMMeta(tm)
	n := int(tm.ColumnCount)
	cols := make([]colInfo, n)
	name := string(tm.Schema) + "." + string(tm.Table)
	if m.names != nil {
		for i := range n {
			var c colInfo
			found := false
			if info != nil {
				if j, ok := info.byName[m.names[i]]; ok && info.cols[j].compatible(binlogClass(realType(tm, i))) {
					c, found = info.cols[j], true
				}
			}
			if !found {
				c = colFromTableMap(tm, m, i, m.names[i])
			}
			// The event's own metadata wins where it has it.
			if u, ok := m.unsigned[i]; ok {
				c.unsigned = u
			}
			if v, ok := m.enums[i]; ok {
				c.values = v
			}
			if v, ok := m.sets[i]; ok {
				c.values = v
			}
			c.pk = false
			cols[i] = c
		}
		var pk []string
		for _, k := range tm.PrimaryKey {
			if int(k) < n {
				pk = append(pk, m.names[k])
				cols[k].pk = true
			}
		}
		if tm.PrimaryKey == nil && info != nil { // no key metadata: the catalog's key
			for _, k := range info.pk {
				if i := slices.Index(m.names, k); i >= 0 {
					pk = append(pk, k)
					cols[i].pk = true
				}
			}
		}
		return cols, pk, nil
	}
	if info == nil {
		return nil, nil, fmt.Errorf("mysql: table %s is in the binlog but neither the schema history nor the server has it, and the binlog does not carry its column names "+
			"(the history began after the table was dropped, or a DDL statement was skipped): set binlog_row_metadata = FULL on the server, or take a new snapshot", name)
	}
	if len(info.cols) != n {
		return nil, nil, fmt.Errorf("mysql: table %s has %d columns in the binlog event but %d in the schema history at that position: "+
			"the history missed a change (it began after the event, or a DDL statement was skipped); set binlog_row_metadata = FULL "+
			"on the server, or take a new snapshot", name, n, len(info.cols))
	}
	for i := range n {
		cols[i] = info.cols[i]
		if u, ok := m.unsigned[i]; ok {
			cols[i].unsigned = u
		}
		if bc := binlogClass(realType(tm, i)); !cols[i].compatible(bc) {
			return nil, nil, fmt.Errorf("mysql: column %s of %s is %s in the schema history but the binlog event has another type: "+
				"the history missed a change (it began after the event, or a DDL statement was skipped); "+
				"set binlog_row_metadata = FULL on the server, or take a new snapshot",
				cols[i].name, name, cols[i].columnType)
		}
	}
	return cols, info.pk, nil
}

// buildSchema makes the schema of the captured (not excluded) columns; idx maps the
// given columns to schema columns (-1 when excluded).
func (st *stream) buildSchema(t *tableState, cols []colInfo, pk []string) (*cdc.TableSchema, []int) {
	cfg := &st.src.cfg
	idx := make([]int, len(cols))
	var sc []cdc.Column
	for i := range cols {
		if cfg.excluded(t.id.Database, t.id.Name, cols[i].name) {
			idx[i] = -1
			continue
		}
		c := cols[i]
		c.pk = slices.Contains(pk, c.name)
		idx[i] = len(sc)
		sc = append(sc, c.column())
	}
	var keep []string
	for _, k := range pk {
		if !cfg.excluded(t.id.Database, t.id.Name, k) {
			keep = append(keep, k)
		}
	}
	s := cdc.NewTableSchema(t.id, sc, keep)
	if len(keep) == 0 {
		s.PrimaryKey = nil
	}
	return st.share(t, s), idx
}

// share returns the table's current schema when s equals it, otherwise s as the next
// version.
func (st *stream) share(t *tableState, s *cdc.TableSchema) *cdc.TableSchema {
	if old := t.schema; old != nil {
		if reflect.DeepEqual(old.Columns, s.Columns) && slices.Equal(old.PrimaryKey, s.PrimaryKey) {
			return old
		}
		s.Version = old.Version + 1
	}
	t.schema = s
	return s
}

// table returns the state of db.name, with its columns as the schema history has
// them at the stream's read position.
func (st *stream) table(ctx context.Context, db, name string) (*tableState, error) {
	key := db + "." + name
	t := st.tables[key]
	if t == nil {
		t = &tableState{id: cdc.TableID{Database: db, Name: name}, capture: st.src.cfg.captures(db, name)}
		st.tables[key] = t
	}
	if t.capture && !t.loaded {
		info := st.hist.cur.tables[key]
		if info == nil {
			var err error
			if info, err = st.discover(ctx, db, name); err != nil {
				return nil, err
			}
			if info == nil && st.isSequence(ctx, db, name) {
				// MariaDB writes a sequence's state as row events of its name: not
				// changes of a table.
				t.capture = false
			}
		}
		t.info, t.loaded = info, true
		t.gen++
	}
	return t, nil
}

// discover reads a captured table the history does not have from the catalog (its
// database was not captured when the history began, or the history began after it was
// created), and records it in the history at the read position.
func (st *stream) discover(ctx context.Context, db, name string) (*tableInfo, error) {
	info, err := loadTable(ctx, st.meta, st.info.flavor, db, name)
	if err != nil || info == nil {
		return nil, err
	}
	st.req.Log().Debug("table not in the schema history: using its current definition", "table", db+"."+name)
	st.hist.record(histEntry{at: binlogPos{st.file, st.next}, gtid: st.txGTID, tables: map[string]*tableInfo{db + "." + name: info}})
	return info, st.hist.save(ctx)
}

// isSequence reports whether db.name is a MariaDB sequence.
func (st *stream) isSequence(ctx context.Context, db, name string) bool {
	if st.info.flavor != gmysql.MariaDBFlavor {
		return false
	}
	r, err := query(ctx, st.meta, "SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = "+quoteString(db)+
		" AND TABLE_NAME = "+quoteString(name))
	if err != nil || r.RowNumber() == 0 {
		return false
	}
	typ, _ := cell(r, 0, 0)
	return typ == "SEQUENCE"
}

// invalidate drops what the stream knows of a table's columns.
func (st *stream) invalidate(db, name string) {
	if t := st.tables[db+"."+name]; t != nil {
		t.loaded, t.info = false, nil
		t.gen++
	}
}

// tableMap builds (or reuses) the decoder of a table map event.
func (st *stream) tableMap(ctx context.Context, tm *replication.TableMapEvent) error {
	db, name := string(tm.Schema), string(tm.Table)
	if d := st.maps[tm.TableID]; d != nil && sameTableMap(d.tm, tm) && (!d.capture || d.gen == d.table.gen && d.table.loaded) {
		return nil
	}
	t, err := st.table(ctx, db, name)
	if err != nil {
		return err
	}
	d := &decoder{tm: tm, table: t, gen: t.gen, capture: t.capture}
	st.maps[tm.TableID] = d
	if !t.capture {
		return nil
	}
	cols, pk, err := columnsFor(tm, t.info)
	if err != nil {
		return err
	}
	d.schema, d.idx = st.buildSchema(t, cols, pk)
	d.conv = make([]func(any) (any, error), len(cols))
	for i := range cols {
		if d.idx[i] >= 0 {
			d.conv[i] = binlogDecoder(&cols[i])
		}
	}
	for _, k := range d.schema.PrimaryKey {
		d.keyIdx = append(d.keyIdx, d.schema.Index(k))
		d.keyCols = append(d.keyCols, k)
	}
	return nil
}

// row decodes one row image into vals (len = schema columns).
func (d *decoder) row(img []any, skipped []int, vals []any) (cdc.Row, error) {
	if len(img) != len(d.idx) {
		return cdc.Row{}, fmt.Errorf("mysql: %s: row of %d columns, table map of %d", d.table.id, len(img), len(d.idx))
	}
	for _, i := range skipped { // not in a partial row image (binlog_row_image MINIMAL, NOBLOB)
		if j := d.idx[i]; j >= 0 {
			vals[j] = cdc.Unchanged{}
		}
	}
	for i, v := range img {
		j := d.idx[i]
		if j < 0 || v == nil {
			continue
		}
		x, err := d.conv[i](v)
		if err != nil {
			return cdc.Row{}, fmt.Errorf("mysql: %s column %s: %w", d.table.id, d.schema.Columns[j].Name, err)
		}
		vals[j] = x
	}
	return cdc.NewRow(d.schema.Names(), vals), nil
}

// key builds the key row from a decoded row; a key column missing from it (a partial
// after image leaves out an unchanged key) comes from before.
func (d *decoder) key(r, before cdc.Row, vals []any) cdc.Row {
	if len(d.keyIdx) == 0 || r.IsZero() {
		return cdc.Row{}
	}
	for i, j := range d.keyIdx {
		vals[i] = r.At(j)
		if _, missing := vals[i].(cdc.Unchanged); missing && !before.IsZero() {
			vals[i] = before.At(j)
		}
	}
	return cdc.NewRow(d.keyCols, vals)
}

// ddlKeyword returns the statement's first keyword, upper-case, after comments.
func ddlKeyword(q string) string {
	for {
		q = strings.TrimLeft(q, " \t\r\n")
		switch {
		case strings.HasPrefix(q, "/*") && !strings.HasPrefix(q, "/*!") && !strings.HasPrefix(q, "/*M!"):
			i := strings.Index(q, "*/")
			if i < 0 {
				return ""
			}
			q = q[i+2:]
			continue
		case strings.HasPrefix(q, "#") || strings.HasPrefix(q, "-- "):
			i := strings.IndexByte(q, '\n')
			if i < 0 {
				return ""
			}
			q = q[i+1:]
			continue
		}
		break
	}
	end := strings.IndexFunc(q, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		end = len(q)
	}
	return strings.ToUpper(q[:end])
}

// ddlTarget is a table a DDL statement changes.
type ddlTarget struct {
	db, name string
	truncate bool
}

// ddlTables names the tables a schema-changing statement affects; ok is false when
// the statement could not be parsed. A DROP DATABASE yields a target with an empty
// name.
func ddlTables(p *parser.Parser, q, defaultDB string) (out []ddlTarget, ok bool) {
	stmt, err := p.ParseOneStmt(q, "", "")
	if err != nil {
		return nil, false
	}
	return ddlTargets(stmt, defaultDB), true
}

// ddlTargets names the tables a parsed statement affects.
func ddlTargets(stmt ast.StmtNode, defaultDB string) (out []ddlTarget) {
	add := func(tn *ast.TableName, truncate bool) {
		if tn == nil {
			return
		}
		db := tn.Schema.O
		if db == "" {
			db = defaultDB
		}
		out = append(out, ddlTarget{db: db, name: tn.Name.O, truncate: truncate})
	}
	switch s := stmt.(type) {
	case *ast.AlterTableStmt:
		add(s.Table, false)
		for _, spec := range s.Specs {
			add(spec.NewTable, false)
		}
	case *ast.CreateTableStmt:
		add(s.Table, false)
	case *ast.DropTableStmt:
		if !s.IsView {
			for _, t := range s.Tables {
				add(t, false)
			}
		}
	case *ast.RenameTableStmt:
		for _, tt := range s.TableToTables {
			add(tt.OldTable, false)
			add(tt.NewTable, false)
		}
	case *ast.TruncateTableStmt:
		add(s.Table, true)
	case *ast.CreateIndexStmt:
		add(s.Table, false)
	case *ast.DropIndexStmt:
		add(s.Table, false)
	case *ast.DropDatabaseStmt:
		out = append(out, ddlTarget{db: s.Name.O})
	}
	return out
}

// ddl handles a statement of the binlog: a schema change is applied to the schema
// history (and saved) and becomes an OpSchema event per captured table it names
// (OpTruncate for TRUNCATE TABLE).
func (st *stream) ddl(ctx context.Context, q, defaultDB string) error {
	if !ddlRelevant(q) {
		return nil
	}
	if st.parser == nil {
		st.parser = parser.New()
	}
	at := binlogPos{st.file, st.next}
	stmt, err := st.parser.ParseOneStmt(normalizeDDL(q), "", "")
	if err != nil {
		if !st.touchesCaptured(q, defaultDB) {
			st.req.Log().Debug("skipping a DDL statement the parser cannot read, about no captured database", "ddl", q, "err", err)
			return nil
		}
		if st.src.cfg.SkipUnparseableDDL {
			st.req.Log().Warn("skipping a DDL statement the parser cannot read (Config.SkipUnparseableDDL): "+
				"the schema history does not follow it, so rows of the tables it changed may decode wrongly",
				"ddl", q, "at", at.String(), "err", err)
			return nil
		}
		return fmt.Errorf("mysql: cannot parse the DDL statement at %s, so the schema history cannot follow it: %q (%v); "+
			"set Config.SkipUnparseableDDL to log and skip such statements (rows of the tables it changes may then decode wrongly "+
			"unless binlog_row_metadata = FULL), or report the statement", at, q, err)
	}
	ap := &ddlApplier{m: st.hist.cur, defaultDB: defaultDB, flavor: st.info.flavor, captures: st.src.cfg.models,
		lookup:        func(db, name string) (*tableInfo, error) { return loadTable(ctx, st.meta, st.info.flavor, db, name) },
		serverCharset: st.info.charset}
	if err := ap.apply(stmt); err != nil {
		return fmt.Errorf("mysql: applying the DDL statement at %s to the schema history (statement %q): %w", at, q, err)
	}
	if ap.tables != nil || ap.dbs != nil {
		// ap changed cur already: only the entry is added.
		st.hist.entries = append(st.hist.entries, histEntry{at: at, gtid: st.txGTID, db: defaultDB, sql: q, tables: ap.tables, dbs: ap.dbs})
		st.hist.compact()
		if err := st.hist.save(ctx); err != nil {
			return err
		}
	}
	targets := ddlTargets(stmt, defaultDB)
	var expanded []ddlTarget
	for _, tg := range targets {
		if tg.name != "" {
			expanded = append(expanded, tg)
			continue
		}
		var names []ddlTarget
		for _, t := range st.tables { // DROP DATABASE
			if t.id.Database == tg.db {
				names = append(names, ddlTarget{db: t.id.Database, name: t.id.Name})
			}
		}
		slices.SortFunc(names, func(a, b ddlTarget) int { return strings.Compare(a.name, b.name) })
		expanded = append(expanded, names...)
	}
	for _, tg := range expanded {
		st.invalidate(tg.db, tg.name)
		if !st.src.cfg.captures(tg.db, tg.name) {
			continue
		}
		key := tg.db + "." + tg.name
		if info, ok := ap.tables[key]; ok && info == nil && !tg.truncate {
			// Dropped or renamed away by this statement. Not st.table: it would take
			// a table of that name in today's catalog (created later) for this one.
			t := st.tables[key]
			if t == nil {
				t = &tableState{id: cdc.TableID{Database: tg.db, Name: tg.name}, capture: true}
				st.tables[key] = t
			}
			t.info, t.loaded, t.schema = nil, true, nil
			ev := cdc.Event{Op: cdc.OpSchema, Table: t.id, DDL: q}
			st.emit(&ev)
			continue
		}
		t, err := st.table(ctx, tg.db, tg.name)
		if err != nil {
			return err
		}
		ev := cdc.Event{Op: cdc.OpSchema, Table: t.id, DDL: q}
		switch {
		case tg.truncate:
			ev.Op, ev.DDL, ev.Schema = cdc.OpTruncate, "", t.schema
			if t.schema == nil && t.info != nil {
				ev.Schema, _ = st.buildSchema(t, t.info.cols, t.info.pk)
			}
		case t.info != nil:
			ev.Schema, _ = st.buildSchema(t, t.info.cols, t.info.pk)
		default:
			t.schema = nil // dropped
		}
		st.emit(&ev)
	}
	return nil
}

// touchesCaptured guesses whether a statement the parser cannot read is about a
// captured database: its default database is captured, or it names one.
func (st *stream) touchesCaptured(q, defaultDB string) bool {
	if defaultDB != "" && st.src.cfg.models(defaultDB) {
		return true
	}
	lq := strings.ToLower(q)
	for db := range st.hist.cur.dbs {
		l := strings.ToLower(db)
		if strings.Contains(lq, l+".") || strings.Contains(lq, "`"+l+"`") {
			return true
		}
	}
	return false
}
