package mysql

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	pmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"
)

// ddlRelevant reports whether a statement can change the tables or databases the
// history models: CREATE/ALTER/DROP of a TABLE, INDEX or DATABASE, RENAME TABLE and
// TRUNCATE. Views, triggers, routines, users, sequences and temporary tables are not
// tables of the binlog's row events, so a statement about them is never parsed (and
// never fails the stream).
func ddlRelevant(q string) bool {
	words := ddlWords(q, 6)
	if len(words) == 0 {
		return false
	}
	skip := map[string]bool{"OR": true, "REPLACE": true, "UNIQUE": true, "FULLTEXT": true, "SPATIAL": true,
		"ONLINE": true, "OFFLINE": true, "IGNORE": true}
	obj := ""
	for _, w := range words[1:] {
		if !skip[w] {
			obj = w
			break
		}
	}
	switch words[0] {
	case "TRUNCATE":
		return true
	case "RENAME":
		return obj == "TABLE" || obj == "TABLES"
	case "CREATE", "ALTER", "DROP":
		return obj == "TABLE" || obj == "INDEX" || obj == "DATABASE" || obj == "SCHEMA"
	}
	return false
}

// mariadbOnly rewrites MariaDB syntax the TiDB parser does not read into the MySQL
// syntax of the same effect on the columns.
var mariadbOnly = []struct {
	re  *regexp.Regexp
	out string
}{
	// CREATE OR REPLACE TABLE: the new definition replaces the old one in the model
	// either way.
	{regexp.MustCompile(`(?is)^(\s*(?:/\*.*?\*/\s*)*CREATE\s+)OR\s+REPLACE\s+((?:TEMPORARY\s+)?TABLE\b)`), "${1}${2}"},
	{regexp.MustCompile(`(?i)\bALGORITHM\s*=\s*NOCOPY\b`), "ALGORITHM=INPLACE"},
}

func normalizeDDL(q string) string {
	for _, r := range mariadbOnly {
		q = r.re.ReplaceAllString(q, r.out)
	}
	return q
}

// ddlWords returns the first n keywords of a statement, upper-case, after comments.
func ddlWords(q string, n int) []string {
	var out []string
	for len(out) < n {
		kw := ddlKeyword(q)
		if kw == "" {
			break
		}
		out = append(out, kw)
		q = strings.TrimLeft(q, " \t\r\n")
		for strings.HasPrefix(q, "/*") || strings.HasPrefix(q, "#") || strings.HasPrefix(q, "-- ") {
			// ddlKeyword skipped these: skip them here too.
			if strings.HasPrefix(q, "/*") {
				i := strings.Index(q, "*/")
				if i < 0 {
					return out
				}
				q = strings.TrimLeft(q[i+2:], " \t\r\n")
			} else {
				i := strings.IndexByte(q, '\n')
				if i < 0 {
					return out
				}
				q = strings.TrimLeft(q[i+1:], " \t\r\n")
			}
		}
		q = q[len(kw):]
	}
	return out
}

// ddlApplier applies one parsed statement to a model, collecting the tables and
// databases it changes.
type ddlApplier struct {
	m         *schemaModel
	defaultDB string
	flavor    string
	captures  func(db string) bool // the database is modelled
	// lookup reads a table from the catalog: for a table the model does not have
	// (CREATE TABLE ... LIKE a table of an uncaptured database, RENAME from one) and
	// for CREATE TABLE ... SELECT, whose columns come from the query.
	lookup func(db, name string) (*tableInfo, error)
	// serverCharset is the server's character_set_server: the default of databases
	// created without a character set.
	serverCharset string

	tables map[string]*tableInfo
	dbs    map[string]string
}

func (a *ddlApplier) name(tn *ast.TableName) (db, key string) {
	db = tn.Schema.O
	if db == "" {
		db = a.defaultDB
	}
	return db, db + "." + tn.Name.O
}

func (a *ddlApplier) get(key string) *tableInfo { return a.m.tables[key] }

func (a *ddlApplier) set(db, key string, t *tableInfo) {
	if !a.captures(db) {
		return
	}
	if a.tables == nil {
		a.tables = map[string]*tableInfo{}
	}
	if t != nil {
		t.index()
	}
	a.tables[key] = t
	if t == nil {
		delete(a.m.tables, key)
	} else {
		a.m.tables[key] = t
	}
}

func (a *ddlApplier) setDB(db, cs string) {
	if !a.captures(db) {
		return
	}
	if a.dbs == nil {
		a.dbs = map[string]string{}
	}
	a.dbs[db] = cs
	if cs == "" {
		delete(a.m.dbs, db)
	} else {
		a.m.dbs[db] = cs
	}
}

// copyTable returns a deep enough copy of t to change its columns.
func copyTable(t *tableInfo) *tableInfo {
	return &tableInfo{cols: slices.Clone(t.cols), pk: slices.Clone(t.pk), charset: t.charset}
}

// apply changes the model by stmt.
func (a *ddlApplier) apply(stmt ast.StmtNode) error {
	switch s := stmt.(type) {
	case *ast.CreateTableStmt:
		return a.createTable(s)
	case *ast.AlterTableStmt:
		return a.alterTable(s)
	case *ast.DropTableStmt:
		if s.IsView || s.TemporaryKeyword != ast.TemporaryNone {
			return nil
		}
		for _, tn := range s.Tables {
			db, key := a.name(tn)
			if a.get(key) != nil {
				a.set(db, key, nil)
			}
		}
	case *ast.RenameTableStmt:
		for _, tt := range s.TableToTables {
			if err := a.rename(tt.OldTable, tt.NewTable); err != nil {
				return err
			}
		}
	case *ast.DropIndexStmt:
		if strings.EqualFold(s.IndexName, "PRIMARY") {
			db, key := a.name(s.Table)
			if t := a.get(key); t != nil {
				t = copyTable(t)
				t.pk = nil
				a.set(db, key, t)
			}
		}
	case *ast.CreateDatabaseStmt:
		a.setDB(s.Name.O, a.dbCharset(s.Options, a.m.dbs[s.Name.O]))
	case *ast.AlterDatabaseStmt:
		db := s.Name.O
		if s.AlterDefaultDatabase || db == "" {
			db = a.defaultDB
		}
		if cs := a.dbCharset(s.Options, ""); cs != "" {
			a.setDB(db, cs)
		}
	case *ast.DropDatabaseStmt:
		db := s.Name.O
		for key := range a.m.tables {
			if strings.HasPrefix(key, db+".") {
				a.set(db, key, nil)
			}
		}
		a.setDB(db, "")
	}
	// TRUNCATE, CREATE/DROP INDEX: no column changes.
	return nil
}

func (a *ddlApplier) dbCharset(opts []*ast.DatabaseOption, def string) string {
	cs := def
	for _, o := range opts {
		switch o.Tp {
		case ast.DatabaseOptionCharset:
			cs = strings.ToLower(o.Value)
		case ast.DatabaseOptionCollate:
			if c := collationCharsetName(o.Value); c != "" {
				cs = c
			}
		}
	}
	if cs == "" {
		cs = a.serverCharset // what the server gives a database created without one
	}
	if cs == "" {
		cs = "utf8mb4"
	}
	return cs
}

func (a *ddlApplier) rename(from, to *ast.TableName) error {
	fdb, fkey := a.name(from)
	tdb, tkey := a.name(to)
	t := a.get(fkey)
	if t == nil && a.captures(tdb) {
		var err error
		if t, err = a.lookup(tdb, to.Name.O); err != nil { // the catalog has it under the new name now
			return err
		}
	}
	if a.get(fkey) != nil {
		a.set(fdb, fkey, nil)
	}
	if t != nil {
		a.set(tdb, tkey, copyTable(t))
	}
	return nil
}

// tableCharset is the default character set of a new table in db.
func (a *ddlApplier) tableCharset(db string, opts []*ast.TableOption, def string) (cs string, convert bool) {
	cs = def
	for _, o := range opts {
		switch o.Tp {
		case ast.TableOptionCharset:
			cs = strings.ToLower(o.StrValue)
			convert = convert || o.UintValue == ast.TableOptionCharsetWithConvertTo
		case ast.TableOptionCollate:
			if c := collationCharsetName(o.StrValue); c != "" {
				cs = c
			}
		}
	}
	if cs == "" {
		cs = a.m.dbs[db]
	}
	return cs, convert
}

func (a *ddlApplier) createTable(s *ast.CreateTableStmt) error {
	if s.TemporaryKeyword != ast.TemporaryNone {
		return nil
	}
	db, key := a.name(s.Table)
	if !a.captures(db) || s.IfNotExists && a.get(key) != nil {
		return nil
	}
	if s.ReferTable != nil {
		rdb, rkey := a.name(s.ReferTable)
		t := a.get(rkey)
		if t == nil {
			var err error
			if t, err = a.lookup(rdb, s.ReferTable.Name.O); err != nil {
				return err
			}
		}
		if t != nil {
			a.set(db, key, copyTable(t))
		}
		return nil
	}
	if s.Select != nil {
		// The columns come from the query: only the server knows them. Row-based
		// binlogs usually log the statement with its columns spelled out instead.
		t, err := a.lookup(db, s.Table.Name.O)
		if err != nil {
			return err
		}
		a.set(db, key, t)
		return nil
	}
	t := &tableInfo{}
	t.charset, _ = a.tableCharset(db, s.Options, "")
	for _, def := range s.Cols {
		c, pk := a.column(def, t.charset)
		t.cols = append(t.cols, c)
		if pk {
			t.pk = []string{c.name}
		}
	}
	for _, con := range s.Constraints {
		if con.Tp == ast.ConstraintPrimaryKey {
			t.pk = a.keyColumns(t, con)
		}
	}
	a.notNullKey(t)
	a.set(db, key, t)
	return nil
}

// keyColumns names the columns of a PRIMARY KEY constraint as the table spells them.
func (a *ddlApplier) keyColumns(t *tableInfo, con *ast.Constraint) []string {
	var pk []string
	for _, k := range con.Keys {
		if k.Column == nil {
			continue // a functional key part
		}
		i := findCol(t, k.Column.Name.O)
		if i < 0 {
			i = findCol(t, marker(k.Column.Name.O)) // changed by another clause of an ALTER
		}
		if i >= 0 {
			pk = append(pk, t.cols[i].name)
		}
	}
	return pk
}

// notNullKey makes the primary-key columns NOT NULL, as the server does.
func (a *ddlApplier) notNullKey(t *tableInfo) {
	for i := range t.cols {
		if slices.Contains(t.pk, t.cols[i].name) {
			t.cols[i].nullable = false
		}
	}
}

// findCol finds a column by name; column names are case-insensitive.
func findCol(t *tableInfo, name string) int {
	for i := range t.cols {
		if strings.EqualFold(t.cols[i].name, name) {
			return i
		}
	}
	return -1
}

// place inserts c into cols at pos (nil or none: at the end; otherwise FIRST or
// AFTER a column), or, with at >= 0, replaces cols[at] and moves it when pos says so.
func place(cols []colInfo, c colInfo, at int, pos *ast.ColumnPosition) ([]colInfo, error) {
	if at >= 0 {
		if pos == nil || pos.Tp == ast.ColumnPositionNone {
			cols[at] = c
			return cols, nil
		}
		cols = slices.Delete(cols, at, at+1)
	}
	if pos == nil || pos.Tp == ast.ColumnPositionNone {
		return append(cols, c), nil
	}
	if pos.Tp == ast.ColumnPositionFirst {
		return slices.Insert(cols, 0, c), nil
	}
	for i := range cols {
		if rel := pos.RelativeColumn.Name.O; strings.EqualFold(cols[i].name, rel) || cols[i].name == marker(rel) {
			return slices.Insert(cols, i+1, c), nil
		}
	}
	return append(cols, c), nil // the server refused such a statement: not in the binlog
}

func (a *ddlApplier) alterTable(s *ast.AlterTableStmt) error {
	db, key := a.name(s.Table)
	old := a.get(key)
	if old == nil {
		if !a.captures(db) {
			return nil
		}
		// Not modelled (the table predates the history, in a database captured since):
		// the catalog's current definition is the best there is.
		t, err := a.lookup(db, s.Table.Name.O)
		if err != nil || t == nil {
			return err
		}
		if renamedAway(s) { // the catalog has it under its new name
			a.set(db, key, nil)
			return nil
		}
		a.set(db, key, t)
		return nil
	}
	t := copyTable(old)
	// The clauses name columns as they were before the statement (the server resolves
	// them so: RENAME COLUMN a TO b, RENAME COLUMN b TO a swaps two columns). Each
	// column a clause changes is renamed to a marker first, so a rename earlier in the
	// statement cannot make a later clause find another column; markers left at the
	// end get their names back.
	orig := map[string]string{} // marker -> original name
	for _, spec := range s.Specs {
		src := sourceColumn(spec)
		if src == "" {
			continue
		}
		m := marker(src)
		if _, done := orig[m]; done {
			continue
		}
		if i := findCol(t, src); i >= 0 {
			orig[m] = t.cols[i].name
			for j, k := range t.pk {
				if strings.EqualFold(k, t.cols[i].name) {
					t.pk[j] = m
				}
			}
			t.cols[i].name = m
		}
	}
	resolve := func(name string) string {
		if _, ok := orig[marker(name)]; ok {
			return marker(name)
		}
		return name
	}
	for _, spec := range s.Specs {
		if err := a.alterSpec(t, spec, resolve); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	for i := range t.cols {
		if name, ok := orig[t.cols[i].name]; ok {
			t.cols[i].name = name
		}
	}
	for j, k := range t.pk {
		if name, ok := orig[k]; ok {
			t.pk[j] = name
		}
	}
	a.notNullKey(t)
	for _, spec := range s.Specs {
		if spec.Tp == ast.AlterTableRenameTable && spec.NewTable != nil {
			ndb, nkey := a.name(spec.NewTable)
			if nkey != key {
				a.set(db, key, nil)
				db, key = ndb, nkey
			}
		}
	}
	a.set(db, key, t)
	return nil
}

func renamedAway(s *ast.AlterTableStmt) bool {
	for _, spec := range s.Specs {
		if spec.Tp == ast.AlterTableRenameTable {
			return true
		}
	}
	return false
}

// marker stands for an original column while an ALTER's clauses are applied; no
// identifier can contain the NUL byte.
func marker(name string) string { return "\x00" + strings.ToLower(name) }

// sourceColumn is the existing column a clause changes, by its name before the
// statement, or "".
func sourceColumn(spec *ast.AlterTableSpec) string {
	switch spec.Tp {
	case ast.AlterTableDropColumn, ast.AlterTableChangeColumn, ast.AlterTableRenameColumn:
		if spec.OldColumnName != nil {
			return spec.OldColumnName.Name.O
		}
	case ast.AlterTableModifyColumn, ast.AlterTableAlterColumn:
		if len(spec.NewColumns) > 0 && spec.NewColumns[0].Name != nil {
			return spec.NewColumns[0].Name.Name.O
		}
	}
	return ""
}

// alterSpec applies one clause; resolve maps a column name of the clause to the
// column it means (see alterTable).
func (a *ddlApplier) alterSpec(t *tableInfo, spec *ast.AlterTableSpec, resolve func(string) string) error {
	var err error
	switch spec.Tp {
	case ast.AlterTableAddColumns:
		for _, def := range spec.NewColumns {
			c, pk := a.column(def, t.charset)
			at := findCol(t, c.name)
			if at >= 0 && spec.IfNotExists {
				continue
			}
			pos := spec.Position
			if len(spec.NewColumns) > 1 {
				pos = nil
			}
			if at >= 0 {
				// Already there: the model was read just after the statement ran
				// (see stableModel). Applying it again must give the same table.
				if pos == nil || pos.Tp == ast.ColumnPositionNone {
					pos = &ast.ColumnPosition{Tp: ast.ColumnPositionNone}
					t.cols = slices.Delete(t.cols, at, at+1)
					at = -1
				}
			}
			if t.cols, err = place(t.cols, c, at, pos); err != nil {
				return err
			}
			if pk {
				t.pk = []string{c.name}
			}
		}
		for _, con := range spec.NewConstraints {
			if con.Tp == ast.ConstraintPrimaryKey {
				t.pk = a.keyColumns(t, con)
			}
		}
	case ast.AlterTableDropColumn:
		at := findCol(t, resolve(spec.OldColumnName.Name.O))
		if at < 0 { // IF EXISTS, or applied already
			return nil
		}
		name := t.cols[at].name
		t.cols = slices.Delete(t.cols, at, at+1)
		t.pk = slices.DeleteFunc(t.pk, func(k string) bool { return k == name })
	case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
		oldName := spec.NewColumns[0].Name.Name.O
		if spec.Tp == ast.AlterTableChangeColumn {
			oldName = spec.OldColumnName.Name.O
		}
		at := findCol(t, resolve(oldName))
		if at < 0 {
			at = findCol(t, spec.NewColumns[0].Name.Name.O) // applied already
		}
		if at < 0 { // IF EXISTS
			return nil
		}
		prev := t.cols[at].name
		c, pk := a.column(spec.NewColumns[0], t.charset)
		if t.cols, err = place(t.cols, c, at, spec.Position); err != nil {
			return err
		}
		for i, k := range t.pk {
			if k == prev {
				t.pk[i] = c.name
			}
		}
		if pk && !slices.Contains(t.pk, c.name) {
			t.pk = []string{c.name}
		}
	case ast.AlterTableRenameColumn:
		at := findCol(t, resolve(spec.OldColumnName.Name.O))
		if at < 0 { // applied already
			return nil
		}
		prev := t.cols[at].name
		t.cols[at].name = spec.NewColumnName.Name.O
		for i, k := range t.pk {
			if k == prev {
				t.pk[i] = t.cols[at].name
			}
		}
	case ast.AlterTableAlterColumn:
		def := spec.NewColumns[0]
		at := findCol(t, resolve(def.Name.Name.O))
		if at < 0 {
			return nil
		}
		// DROP DEFAULT has no options; SET DEFAULT an option of no type with the value.
		t.cols[at].def = nil
		for _, o := range def.Options {
			if o.Expr != nil {
				t.cols[at].def = a.defaultText(o.Expr)
			}
		}
	case ast.AlterTableAddConstraint:
		if spec.Constraint != nil && spec.Constraint.Tp == ast.ConstraintPrimaryKey {
			t.pk = a.keyColumns(t, spec.Constraint)
		}
	case ast.AlterTableDropPrimaryKey:
		t.pk = nil
	case ast.AlterTableDropIndex:
		if strings.EqualFold(spec.Name, "PRIMARY") {
			t.pk = nil
		}
	case ast.AlterTableOption:
		cs, convert := a.tableCharset("", spec.Options, t.charset)
		if cs == "" {
			return nil
		}
		if convert {
			for i := range t.cols {
				if c := &t.cols[i]; c.charset != "" && c.charset != "binary" && !c.json {
					c.charset = cs
				}
			}
		}
		t.charset = cs
	}
	return nil
}

// column describes a column definition; pk reports an inline PRIMARY KEY.
func (a *ddlApplier) column(def *ast.ColumnDef, tableCharset string) (c colInfo, pk bool) {
	ft := def.Tp
	tp := ft.GetType()
	c = colInfo{name: def.Name.Name.O, nullable: true, unsigned: pmysql.HasUnsignedFlag(ft.GetFlag())}
	cs, coll := strings.ToLower(ft.GetCharset()), ft.GetCollate()
	for _, o := range def.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull:
			c.nullable = false
		case ast.ColumnOptionNull:
			c.nullable = true
		case ast.ColumnOptionPrimaryKey:
			pk, c.nullable = true, false
		case ast.ColumnOptionDefaultValue:
			c.def = a.defaultText(o.Expr)
		case ast.ColumnOptionCollate:
			coll = o.StrValue
		}
	}
	if cs == "" && coll != "" {
		cs = collationCharsetName(coll)
	}
	flen, dec := ft.GetFlen(), ft.GetDecimal()
	text := func(name string) { // a character type: binary when its character set is
		if cs == "binary" {
			name = strings.NewReplacer("text", "blob", "char", "binary").Replace(name)
		} else if cs == "" {
			cs = tableCharset
		}
		c.dataType = name
		c.charset = cs
	}
	switch tp {
	case pmysql.TypeTiny, pmysql.TypeShort, pmysql.TypeInt24, pmysql.TypeLong, pmysql.TypeLonglong:
		c.dataType = map[byte]string{pmysql.TypeTiny: "tinyint", pmysql.TypeShort: "smallint", pmysql.TypeInt24: "mediumint",
			pmysql.TypeLong: "int", pmysql.TypeLonglong: "bigint"}[tp]
		width := map[string][2]int{"tinyint": {4, 3}, "smallint": {6, 5}, "mediumint": {9, 8}, "int": {11, 10}, "bigint": {20, 20}}[c.dataType]
		prec := map[string]int{"tinyint": 3, "smallint": 5, "mediumint": 7, "int": 10, "bigint": 19}[c.dataType]
		if flen <= 0 {
			flen = width[0]
			if c.unsigned {
				flen = width[1]
			}
		}
		if c.unsigned && c.dataType == "bigint" {
			prec = 20
		}
		c.precision = prec
		c.columnType = c.dataType + "(" + strconv.Itoa(flen) + ")"
	case pmysql.TypeNewDecimal:
		if flen <= 0 {
			flen = 10
		}
		dec = max(dec, 0)
		c.dataType, c.precision, c.scale = "decimal", flen, dec
		c.columnType = fmt.Sprintf("decimal(%d,%d)", flen, dec)
	case pmysql.TypeFloat, pmysql.TypeDouble:
		c.dataType = "float"
		c.precision = 12
		if tp == pmysql.TypeDouble {
			c.dataType, c.precision = "double", 22
		}
		c.columnType = c.dataType
		if flen > 0 && dec >= 0 {
			c.columnType += fmt.Sprintf("(%d,%d)", flen, dec)
			c.precision, c.scale = flen, dec
		}
	case pmysql.TypeBit:
		if flen <= 0 {
			flen = 1
		}
		c.dataType, c.length = "bit", flen
		c.precision = flen
		c.columnType = fmt.Sprintf("bit(%d)", flen)
	case pmysql.TypeDate:
		c.dataType = "date"
	case pmysql.TypeDatetime, pmysql.TypeTimestamp, pmysql.TypeDuration:
		c.dataType = map[byte]string{pmysql.TypeDatetime: "datetime", pmysql.TypeTimestamp: "timestamp", pmysql.TypeDuration: "time"}[tp]
		c.precision = max(dec, 0)
		c.columnType = c.dataType
		if dec > 0 {
			c.columnType += "(" + strconv.Itoa(dec) + ")"
		}
	case pmysql.TypeYear:
		c.dataType, c.columnType = "year", "year(4)"
	case pmysql.TypeVarchar, pmysql.TypeVarString, pmysql.TypeString:
		if tp == pmysql.TypeString {
			text("char")
			if flen < 0 {
				flen = 1
			}
		} else {
			text("varchar")
		}
		c.length = max(flen, 0)
		c.columnType = c.dataType + "(" + strconv.Itoa(c.length) + ")"
	case pmysql.TypeTinyBlob, pmysql.TypeBlob, pmysql.TypeMediumBlob, pmysql.TypeLongBlob:
		name := map[byte]string{pmysql.TypeTinyBlob: "tinytext", pmysql.TypeBlob: "text", pmysql.TypeMediumBlob: "mediumtext",
			pmysql.TypeLongBlob: "longtext"}[tp]
		c.length = map[byte]int{pmysql.TypeTinyBlob: 255, pmysql.TypeBlob: 65535, pmysql.TypeMediumBlob: 16777215,
			pmysql.TypeLongBlob: 4294967295}[tp]
		text(name)
		c.columnType = c.dataType
	case pmysql.TypeJSON:
		if a.flavor == gmysql.MariaDBFlavor {
			// MariaDB's JSON is LONGTEXT with a json_valid check, utf8mb4.
			c.dataType, c.columnType, c.charset, c.json, c.length = "longtext", "longtext", "utf8mb4", true, 4294967295
		} else {
			c.dataType, c.columnType = "json", "json"
		}
	case pmysql.TypeEnum, pmysql.TypeSet:
		name := "enum"
		if tp == pmysql.TypeSet {
			name = "set"
		}
		c.values = slices.Clone(ft.GetElems())
		if cs == "" {
			cs = tableCharset
		}
		c.dataType, c.charset = name, cs
		quoted := make([]string, len(c.values))
		for i, v := range c.values {
			quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		c.columnType = name + "(" + strings.Join(quoted, ",") + ")"
	case pmysql.TypeGeometry:
		c.dataType, c.columnType = "geometry", "geometry"
	default:
		c.dataType = strings.ToLower(types.TypeStr(tp))
		if c.dataType == "" {
			c.dataType = "type" + strconv.Itoa(int(tp))
		}
		c.columnType = c.dataType
	}
	if c.columnType == "" {
		c.columnType = c.dataType
	}
	if c.unsigned {
		c.columnType += " unsigned"
	}
	if pmysql.HasZerofillFlag(ft.GetFlag()) {
		c.columnType += " zerofill"
	}
	return c, pk
}

// defaultText renders a DEFAULT as information_schema.COLUMNS.COLUMN_DEFAULT does:
// MariaDB quotes string literals and writes NULL as no default; MySQL leaves strings
// unquoted.
func (a *ddlApplier) defaultText(e ast.ExprNode) *string {
	if v, ok := e.(ast.ValueExpr); ok {
		if v.GetValue() == nil {
			return nil
		}
		if s, ok := v.GetValue().(string); ok {
			if a.flavor != gmysql.MariaDBFlavor {
				return &s
			}
			q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
			return &q
		}
	}
	var b strings.Builder
	if err := e.Restore(format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordLowercase|format.RestoreNameBackQuotes, &b)); err != nil {
		return nil
	}
	s := b.String()
	return &s
}
