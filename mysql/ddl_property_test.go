package mysql

import (
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser"
	past "github.com/pingcap/tidb/pkg/parser/ast"
)

// testFileDDL returns the DDL statements written as constant strings (literals and
// concatenations of literals) in the package's DDL test files.
func testFileDDL(t *testing.T) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for _, name := range []string{"ddl_test.go", "ddl_mariadb_test.go"} {
		f, err := goparser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var str func(e ast.Expr) (string, bool)
		str = func(e ast.Expr) (string, bool) {
			switch e := e.(type) {
			case *ast.BasicLit:
				if e.Kind != token.STRING {
					return "", false
				}
				s, err := strconv.Unquote(e.Value)
				return s, err == nil
			case *ast.BinaryExpr:
				if e.Op != token.ADD {
					return "", false
				}
				x, ok1 := str(e.X)
				y, ok2 := str(e.Y)
				return x + y, ok1 && ok2
			case *ast.ParenExpr:
				return str(e.X)
			}
			return "", false
		}
		ast.Inspect(f, func(n ast.Node) bool {
			e, ok := n.(ast.Expr)
			if !ok {
				return true
			}
			if s, ok := str(e); ok {
				if ddlRelevant(s) {
					out = append(out, s)
				}
				return false
			}
			return true
		})
	}
	return out
}

// propertyWords are words the rewrites of normalizeDDL look for, and names of
// types and character sets, used as identifiers in the templates below.
var propertyWords = []string{"uuid", "inet4", "inet6", "invisible", "visible", "compressed", "persistent", "stored", "virtual",
	"ignored", "page", "wait", "nowait", "online", "nocopy", "algorithm", "default", "charset", "collate", "latin2", "utf8mb3",
	"koi8r", "cp1251", "json", "text", "blob", "_latin2", "_big5", "zlib", "current_date", "now", "id", "my_uuid", "uuid_x",
	"x_invisible", "if", "exists", "comment", "key", "index", "check", "xor", "div", "mod", "row_format", "truncate",
	"`uuid`", "`in visible`", "`a``b`", "`wait 5`", "address", "tables", "columns", "select", "database", "schema"}

// propertyTemplates use %[1]s as an identifier.
var propertyTemplates = []string{
	"CREATE TABLE %[1]s (id INT PRIMARY KEY, a INT)",
	"CREATE TABLE t (id INT PRIMARY KEY, %[1]s INT, b VARCHAR(10) DEFAULT '%[1]s', c INT COMMENT '%[1]s')",
	"CREATE TABLE t (id INT, %[1]s VARCHAR(36) NOT NULL, x INT, PRIMARY KEY (id), KEY %[1]s (%[1]s), UNIQUE KEY (x))",
	"CREATE TABLE t (a INT, %[1]s INT AS (a + 1) STORED, c INT AS (a * 2) VIRTUAL)",
	"CREATE TABLE t (a INT, %[1]s INT NOT NULL DEFAULT 0, CHECK (a <> %[1]s))",
	"CREATE TABLE t (a INT, b INT, CHECK (a xor %[1]s), CONSTRAINT %[1]s CHECK (b > 0))",
	"CREATE TABLE t (text TEXT, json JSON, %[1]s INT, b INT)",
	"CREATE TABLE t (a INT) COMMENT '%[1]s' /* %[1]s */",
	"CREATE TABLE t (a TEXT COMMENT '%[1]s', %[1]s TEXT COMMENT 'it''s', c VARCHAR(5) DEFAULT '\\'%[1]s', d INT DEFAULT (%[1]s))",
	"CREATE TABLE t (a INT, %[1]s DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, c INT)",
	"CREATE TABLE t (a INT, %[1]s VARCHAR(5) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, c INT)",
	"CREATE TABLE t2 (a INT) SELECT a, b %[1]s FROM src",
	"CREATE TABLE %[1]s LIKE t",
	"CREATE TABLE t2 LIKE %[1]s",
	"ALTER TABLE %[1]s ADD x INT",
	"ALTER TABLE db.%[1]s ADD x INT, DROP a",
	"ALTER TABLE t ADD %[1]s INT",
	"ALTER TABLE t ADD COLUMN %[1]s INT AFTER id",
	"ALTER TABLE t ADD COLUMN (%[1]s INT, z BIGINT)",
	"ALTER TABLE t ADD x INT AFTER %[1]s",
	"ALTER TABLE t CHANGE a %[1]s BIGINT NOT NULL",
	"ALTER TABLE t CHANGE COLUMN a %[1]s BIGINT",
	"ALTER TABLE t CHANGE %[1]s a BIGINT",
	"ALTER TABLE t CHANGE text %[1]s TEXT",
	"ALTER TABLE t CHANGE json %[1]s INT",
	"ALTER TABLE t CHANGE COLUMN text %[1]s MEDIUMTEXT",
	"ALTER TABLE t MODIFY %[1]s TEXT",
	"ALTER TABLE t MODIFY COLUMN %[1]s VARCHAR(20) FIRST",
	"ALTER TABLE t DROP %[1]s",
	"ALTER TABLE t DROP COLUMN %[1]s, ADD y INT",
	"ALTER TABLE t DROP CHECK %[1]s, ADD y INT",
	"ALTER TABLE t DROP INDEX %[1]s, ADD y INT",
	"ALTER TABLE t DROP PARTITION %[1]s",
	"ALTER TABLE t RENAME COLUMN a TO %[1]s",
	"ALTER TABLE t RENAME COLUMN %[1]s TO a",
	"ALTER TABLE t RENAME TO %[1]s",
	"ALTER TABLE t RENAME %[1]s",
	"ALTER TABLE t ALTER %[1]s SET DEFAULT 1",
	"ALTER TABLE t ALTER COLUMN %[1]s DROP DEFAULT",
	"ALTER TABLE t ADD INDEX %[1]s (a), ADD UNIQUE KEY u_%[1]s (b)",
	"ALTER TABLE t ADD UNIQUE %[1]s (a)",
	"ALTER TABLE t ADD CONSTRAINT %[1]s PRIMARY KEY (a)",
	"ALTER TABLE t ADD CONSTRAINT %[1]s FOREIGN KEY (a) REFERENCES p (%[1]s) ON DELETE SET DEFAULT",
	"ALTER TABLE t ORDER BY a, %[1]s",
	"TRUNCATE TABLE %[1]s",
	"TRUNCATE %[1]s",
	"RENAME TABLE t TO %[1]s",
	"RENAME TABLE %[1]s TO t2, t TO %[1]s",
	"DROP TABLE %[1]s",
	"DROP TABLE IF EXISTS t, %[1]s",
	"CREATE INDEX %[1]s ON t (a)",
	"CREATE UNIQUE INDEX i ON %[1]s (a)",
	"DROP INDEX %[1]s ON t",
	"DROP INDEX i ON %[1]s",
	"CREATE DATABASE %[1]s",
	"CREATE DATABASE %[1]s CHARACTER SET latin1",
	"ALTER DATABASE %[1]s CHARACTER SET latin1",
	"ALTER SCHEMA %[1]s DEFAULT CHARSET utf8mb4",
	"ALTER DATABASE %[1]s COLLATE utf8mb4_bin",
	"DROP DATABASE %[1]s",
}

// propertyDDL are statements the parser reads as they are; normalizeDDL must not
// change what they do to the model.
var propertyDDL = []string{
	// Defaults with parentheses, functions, quotes and backslashes.
	"CREATE TABLE t (a VARCHAR(20) DEFAULT 'DEFAULT (1+1)', b VARCHAR(20) DEFAULT 'it''s', c VARCHAR(20) DEFAULT \"x\"\"y\", d VARCHAR(20) DEFAULT 'a\\'b', " +
		"e VARCHAR(20) DEFAULT 'a\\\\', f INT DEFAULT 1)",
	"CREATE TABLE t (a VARCHAR(20) DEFAULT 'uuid() INVISIBLE', b VARCHAR(20) DEFAULT 'x) PERSISTENT', c VARCHAR(20) DEFAULT ', d UUID', d INT)",
	"CREATE TABLE t (a VARCHAR(20) DEFAULT '\\\\', b INT DEFAULT (1), c VARCHAR(20) DEFAULT '; DROP TABLE t; CREATE TABLE u (a INT)')",
	"CREATE TABLE t (a DATETIME DEFAULT CURRENT_TIMESTAMP, b DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), c TIMESTAMP DEFAULT NOW(), " +
		"d DATETIME DEFAULT LOCALTIME, e DATETIME DEFAULT LOCALTIMESTAMP(), f DATE DEFAULT '2020-01-02')",
	"CREATE TABLE t (a INT DEFAULT -1, b DECIMAL(5,2) DEFAULT +1.5, c FLOAT DEFAULT .5, d DOUBLE DEFAULT 1e-3, e BIT(3) DEFAULT b'101', f VARCHAR(3) DEFAULT x'41', " +
		"g INT DEFAULT 0x41, h VARCHAR(3) DEFAULT N'x', i INT DEFAULT TRUE, j INT DEFAULT NULL, k VARCHAR(3) DEFAULT _utf8mb4'k', l VARCHAR(3) DEFAULT _binary'l')",
	"CREATE TABLE t (a INT DEFAULT (5), b VARCHAR(5) DEFAULT ('x'), c INT DEFAULT (-2), d VARCHAR(36) DEFAULT (uuid()), e DATETIME DEFAULT (NOW()))",
	"CREATE TABLE t (a INT DEFAULT(5), b VARCHAR(5) DEFAULT('x'))",
	"CREATE TABLE t (a DATETIME DEFAULT (CURRENT_TIMESTAMP), b DATETIME(3) DEFAULT (NOW(3)), c INT DEFAULT (0x41), d VARCHAR(5) DEFAULT ('a' 'b'), " +
		"e DATETIME DEFAULT (LOCALTIMESTAMP), f VARCHAR(5) DEFAULT (N'x'), g VARCHAR(5) DEFAULT (_utf8mb4'x'), h BIT(3) DEFAULT (b'1'), i DOUBLE DEFAULT (1e3), " +
		"j DATE DEFAULT ('2020-01-01'), m TIMESTAMP NULL DEFAULT (NOW()), n VARCHAR(5) DEFAULT (x'41'), o INT DEFAULT (TRUE), p INT DEFAULT (- 2), q VARCHAR(5) DEFAULT 'a' 'b', " +
		"r INT DEFAULT (NULL), s VARCHAR(5) DEFAULT ( 'x' ), t DECIMAL(5,2) DEFAULT (.5), u INT DEFAULT (0b101), v VARCHAR(5) DEFAULT (\"it's\"))",
	"CREATE TABLE t (a VARCHAR(5) DEFAULT ('a\\'b'), b VARCHAR(9) DEFAULT ('(x)'), c INT DEFAULT 5 COMMENT 'DEFAULT (1)')",
	"ALTER TABLE t ALTER a SET DEFAULT (5), ALTER b SET DEFAULT ('x'), MODIFY c DATETIME DEFAULT (NOW())",
	"CREATE TABLE t (a INT, b VARCHAR(10) AS (CAST(a AS CHAR CHARACTER SET utf8mb4)) VIRTUAL, c VARCHAR(10) AS (CONVERT(a USING latin1)))",
	"CREATE TABLE t (a INT DEFAULT 1 COMMENT 'DEFAULT uuid()', b INT COMMENT 'it''s \\' a, c UUID', c INT)",
	"ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x)', ALTER b SET DEFAULT -5, ALTER c DROP DEFAULT",
	"ALTER TABLE t ALTER a SET DEFAULT (5)",
	// Comments and strings with the words.
	"CREATE TABLE t (a INT /* UUID INVISIBLE */ NOT NULL, b INT -- PERSISTENT, c UUID\n, c VARCHAR(5) # NOWAIT ) WAIT 1\n)",
	"/* ALTER ONLINE TABLE t WAIT 1 */ ALTER TABLE t ADD c INT COMMENT 'WAIT 5 NOWAIT IGNORED'",
	"CREATE TABLE t (a ENUM('uuid', 'x INVISIBLE', 'a''b', ')') DEFAULT 'uuid', b SET('PERSISTENT', 'COMPRESSED') DEFAULT 'COMPRESSED')",
	// Quoted identifiers.
	"CREATE TABLE `a b` (`c d` INT, `e``f` VARCHAR(5), `uuid` INT, `inet4 x` INT, `invisible` INT, `ignored` INT, `x) PERSISTENT` INT, PRIMARY KEY (`c d`))",
	"ALTER TABLE `a b` ADD `DEFAULT (1)` INT, CHANGE `c d` `c'd` BIGINT, ADD `x y` VARCHAR(3) AFTER `c d`",
	"CREATE TABLE `wait` (`nowait` INT, `compressed` TEXT, `page` INT) ROW_FORMAT=COMPACT",
	"CREATE TABLE \"dq\" (a INT)",
	// Checks, generated columns, partitions, foreign keys.
	"CREATE TABLE t (a INT, b INT, c INT AS (a + b) STORED, d INT GENERATED ALWAYS AS (a * 2) VIRTUAL, e VARCHAR(10) AS (CONCAT('x', a)) STORED NOT NULL, " +
		"CONSTRAINT ck CHECK (a > 0 AND b < 10), CHECK (c <> 5))",
	"CREATE TABLE t (id INT NOT NULL, d DATE, PRIMARY KEY (id, d)) PARTITION BY RANGE (YEAR(d)) (PARTITION p0 VALUES LESS THAN (2000), " +
		"PARTITION p1 VALUES LESS THAN MAXVALUE)",
	"CREATE TABLE t (id INT PRIMARY KEY, k INT) PARTITION BY HASH (id) PARTITIONS 4",
	"CREATE TABLE t (id INT PRIMARY KEY, r VARCHAR(5)) PARTITION BY LIST COLUMNS (r) (PARTITION p0 VALUES IN ('a', 'b'), PARTITION p1 VALUES IN ('c'))",
	"CREATE TABLE t (id INT PRIMARY KEY, p INT, FOREIGN KEY fk (p) REFERENCES parent (id) ON DELETE CASCADE ON UPDATE SET NULL, " +
		"CONSTRAINT fk2 FOREIGN KEY (p) REFERENCES parent (id) ON DELETE SET DEFAULT)",
	"CREATE TABLE t (id INT PRIMARY KEY, p INT REFERENCES parent (id))",
	"ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p (id), DROP FOREIGN KEY fk0, ADD CHECK (a > 0)",
	// Table options.
	"CREATE TABLE t (a INT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=COMPRESSED KEY_BLOCK_SIZE=8 STATS_PERSISTENT=1 COMMENT='x'",
	"CREATE TABLE t (a VARCHAR(5)) DEFAULT CHARACTER SET latin1 DEFAULT COLLATE latin1_bin",
	"ALTER TABLE t ENGINE=InnoDB, ALGORITHM=INPLACE, LOCK=NONE, ROW_FORMAT=DYNAMIC",
	"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
	"ALTER TABLE t CONVERT TO CHARACTER SET DEFAULT",
	"ALTER TABLE t DEFAULT CHARSET = utf8mb4",
	"ALTER TABLE t CHARACTER SET utf8mb3",
	"CREATE TABLE t (a VARCHAR(5) CHARACTER SET utf8mb3, b VARCHAR(5) CHARSET utf8 COLLATE utf8_bin, c TEXT CHARACTER SET binary, d VARCHAR(5) COLLATE utf8mb3_general_ci)",
	"CREATE DATABASE d DEFAULT CHARACTER SET utf8mb4 DEFAULT COLLATE utf8mb4_bin",
	"ALTER DATABASE CHARACTER SET latin1",
	// MySQL's invisible indexes and columns, index options.
	"CREATE TABLE t (a INT, b INT, KEY ka (a) INVISIBLE, UNIQUE KEY kb (b) VISIBLE COMMENT 'x')",
	"ALTER TABLE t ADD INDEX i (a) INVISIBLE, ALTER INDEX j VISIBLE, ALTER INDEX k INVISIBLE",
	"CREATE UNIQUE INDEX i ON t (a) INVISIBLE",
	"CREATE INDEX i ON t (a(10), b DESC) USING BTREE COMMENT 'NOWAIT' ALGORITHM=INPLACE LOCK=NONE",
	"CREATE INDEX i ON t ((a + 1))",
	"CREATE TABLE t (a INT, b INT, UNIQUE KEY (a, b), KEY ((a + b)))",
	// Many clauses.
	"ALTER TABLE t ADD COLUMN x INT FIRST, ADD COLUMN y VARCHAR(5) NOT NULL DEFAULT 'y' AFTER x, DROP COLUMN a, MODIFY b BIGINT UNSIGNED, CHANGE c c2 TEXT, " +
		"RENAME COLUMN d TO d2, ALTER e SET DEFAULT 3, ADD INDEX (x), DROP PRIMARY KEY, ADD PRIMARY KEY (x, y), ENGINE=InnoDB",
	"ALTER IGNORE TABLE t ADD UNIQUE KEY (a), FORCE",
	"ALTER TABLE t RENAME INDEX a TO b, RENAME KEY c TO d",
	"ALTER TABLE t ALGORITHM=COPY, ADD z INT",
	"ALTER TABLE t ADD COLUMN IF NOT EXISTS z INT, DROP COLUMN IF EXISTS a, ADD INDEX IF NOT EXISTS i (z), DROP INDEX IF EXISTS j",
	"ALTER TABLE t MODIFY COLUMN a INT NOT NULL AUTO_INCREMENT, ADD PRIMARY KEY (a)",
	"RENAME TABLE t TO t2, t2 TO t3",
	"RENAME TABLE db.t TO other.t",
	"CREATE TABLE IF NOT EXISTS t (a INT)",
	"CREATE TABLE t2 LIKE db.t",
	"CREATE TABLE t2 (LIKE t)",
	"DROP TABLE t, t2",
	"TRUNCATE t",
	"CREATE TEMPORARY TABLE t (a INT)",
	// Columns of every type.
	"CREATE TABLE t (a TINYINT(1) UNSIGNED ZEROFILL, b SMALLINT, c MEDIUMINT UNSIGNED, d BIGINT(20), e DECIMAL(10,3), f FLOAT(7,2), g DOUBLE PRECISION, " +
		"h BIT(8), i DATE, j TIME(3), k YEAR, l CHAR(5) BINARY, m VARBINARY(10), n TINYBLOB, o LONGTEXT, p ENUM('a','b') NOT NULL, q SET('x','y'), " +
		"r JSON, s GEOMETRY, u POINT, v SERIAL, w BOOL, x NATIONAL VARCHAR(5), y LONG VARCHAR, z TEXT(100))",
	"CREATE TABLE t (a TEXT, b BLOB, c VARCHAR(10) BINARY, d LONGBLOB, e JSON)",
}

// propertyCorpus is the statements of the test files, the templates with each word
// and propertyDDL.
func propertyCorpus(t *testing.T) []string {
	c := testFileDDL(t)
	for _, tpl := range propertyTemplates {
		for _, w := range propertyWords {
			c = append(c, fmt.Sprintf(tpl, w))
		}
	}
	c = append(c, propertyDDL...)
	// A statement spread over lines or in lower case is the same statement.
	for _, q := range slices.Clone(c) {
		c = append(c, strings.ReplaceAll(q, " ", "\n  "), strings.ToLower(q))
	}
	slices.Sort(c)
	return slices.Compact(c)
}

// propertyStart is a model for a statement: the tables it names (but the one a
// CREATE TABLE creates) with a column of each name the statement uses as an existing
// column, in the databases db and other.
func propertyStart(stmt past.StmtNode) *schemaModel {
	m := &schemaModel{tables: map[string]*tableInfo{}, dbs: map[string]string{"db": "latin1", "other": "utf8mb4"}}
	cols := propertyCols(stmt)
	created := ""
	if s, ok := stmt.(*past.CreateTableStmt); ok {
		db := s.Table.Schema.O
		if db == "" {
			db = "db"
		}
		created = db + "." + s.Table.Name.O
	}
	for _, tg := range ddlTargets(stmt, "db") {
		key := tg.db + "." + tg.name
		if tg.name == "" || key == created {
			continue
		}
		m.tables[key] = propertyTable(cols)
	}
	return m
}

// propertyCols are the columns of a table of propertyStart.
func propertyCols(stmt past.StmtNode) []colInfo {
	names := &columnNames{added: map[string]bool{}}
	stmt.Accept(names)
	var cols []colInfo
	seen := map[string]bool{}
	for _, n := range append([]string{"id", "a", "b", "text", "json"}, names.used...) {
		if seen[strings.ToLower(n)] || names.added[strings.ToLower(n)] {
			continue
		}
		seen[strings.ToLower(n)] = true
		cols = append(cols, colInfo{name: n, dataType: "varchar", columnType: "varchar(10)", nullable: true, charset: "latin1", length: 10})
	}
	return cols
}

func propertyTable(cols []colInfo) *tableInfo {
	t := &tableInfo{cols: slices.Clone(cols), pk: []string{"id"}, charset: "latin1"}
	t.index()
	return t
}

// columnNames collects the names of columns a statement uses, but the columns it
// adds.
type columnNames struct {
	used  []string
	added map[string]bool
}

func (v *columnNames) Enter(n past.Node) (past.Node, bool) {
	switch n := n.(type) {
	case *past.AlterTableSpec:
		if n.Tp == past.AlterTableAddColumns {
			for _, d := range n.NewColumns {
				v.added[strings.ToLower(d.Name.Name.O)] = true
			}
		}
	case *past.ColumnName:
		v.used = append(v.used, n.Name.O)
	}
	return n, false
}

func (v *columnNames) Leave(n past.Node) (past.Node, bool) { return n, true }

// markedDefaults collects the names of the columns whose DEFAULT normalizeDDL wrote
// as a marker string.
type markedDefaults struct{ names map[string]bool }

func (v *markedDefaults) Enter(n past.Node) (past.Node, bool) {
	if d, ok := n.(*past.ColumnDef); ok {
		for _, o := range d.Options {
			// (ALTER COLUMN ... SET DEFAULT: an option of no type.)
			if e, ok := o.Expr.(past.ValueExpr); ok {
				if s, ok := e.GetValue().(string); ok && strings.HasPrefix(s, ddlMarker+"default=") {
					v.names[strings.ToLower(d.Name.Name.O)] = true
				}
			}
		}
	}
	return n, false
}

func (v *markedDefaults) Leave(n past.Node) (past.Node, bool) { return n, true }

// renderModel renders a model in full, but the defaults of the columns named in
// exprDefault.
func renderModel(m *schemaModel, exprDefault map[string]bool) string {
	var b strings.Builder
	keys := make([]string, 0, len(m.tables))
	for k := range m.tables {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t := copyTable(m.tables[k])
		for i := range t.cols {
			if exprDefault[strings.ToLower(t.cols[i].name)] && t.cols[i].def != nil {
				t.cols[i].def = new(string)
				*t.cols[i].def = "<expression>"
			}
		}
		fmt.Fprintf(&b, "%s: %s cs=%s\n", k, describe(t), t.charset)
		for _, c := range t.cols {
			fmt.Fprintf(&b, "  %s: %s %s u=%v len=%d prec=%d scale=%d values=%q json=%v pk=%v\n", c.name, c.dataType, c.columnType,
				c.unsigned, c.length, c.precision, c.scale, c.values, c.json, c.pk)
		}
	}
	dbs := make([]string, 0, len(m.dbs))
	for k, v := range m.dbs {
		dbs = append(dbs, k+"="+v)
	}
	sort.Strings(dbs)
	fmt.Fprintf(&b, "dbs %v\n", dbs)
	return b.String()
}

// TestNormalizeDDLProperty: for statements the parser reads as they are, the
// statement normalizeDDL returns parses too and changes the model as the statement
// does.
func TestNormalizeDDLProperty(t *testing.T) {
	p := parser.New()
	n, kept := 0, 0
	for _, q := range propertyCorpus(t) {
		n++
		orig, err := p.ParseOneStmt(q, "", "")
		if err != nil {
			continue // the parser needs normalizeDDL for it: TestNormalizeDDL
		}
		kept++
		nq := normalizeDDL(q)
		norm, err := p.ParseOneStmt(nq, "", "")
		if err != nil {
			t.Errorf("%q\n  parses, but normalized as %q it does not: %v", q, nq, err)
			continue
		}
		// An expression default normalizeDDL writes as the catalog shows it (checked
		// against the server by the catalog tests), not as the parser restores it.
		marked := &markedDefaults{names: map[string]bool{}}
		norm.Accept(marked)
		exprDefault := marked.names
		for _, flavor := range []string{gmysql.MariaDBFlavor, gmysql.MySQLFlavor} {
			got := [2]string{}
			for i, stmt := range []past.StmtNode{orig, norm} {
				m := propertyStart(orig)
				a := &ddlApplier{m: m, defaultDB: "db", flavor: flavor, serverCharset: "latin1",
					captures: func(db string) bool { return db == "db" || db == "other" },
					lookup: func(db, name string) (*tableInfo, error) {
						return propertyTable(propertyCols(orig)), nil
					}}
				if err := a.apply(stmt); err != nil {
					got[i] = "error " + err.Error()
				} else {
					got[i] = renderModel(m, exprDefault)
				}
			}
			if got[0] != got[1] {
				t.Errorf("%q (%s)\n  normalized as %q\n  gives\n%s  instead of\n%s", q, flavor, nq, got[1], got[0])
			}
		}
	}
	t.Logf("%d statements, %d read by the parser as they are", n, kept)
}

// propertyMariaDB are statements whose meaning normalizeDDL once changed, run on a
// MariaDB server: the model built from the binlog must agree with the catalog.
var propertyMariaDB = []string{
	"CREATE TABLE pd (id INT PRIMARY KEY, a DATETIME DEFAULT (CURRENT_TIMESTAMP), b DATETIME(3) DEFAULT (NOW(3)), c INT DEFAULT (0x41), " +
		"d VARCHAR(5) DEFAULT ('a' 'b'), e DATETIME DEFAULT (LOCALTIMESTAMP), f VARCHAR(5) DEFAULT (N'x'), g VARCHAR(5) DEFAULT (_utf8mb4'x'), " +
		"h BIT(3) DEFAULT (b'1'), i DOUBLE DEFAULT (1e3), j DATE DEFAULT ('2020-01-01'), k INT DEFAULT(5), l VARCHAR(5) DEFAULT('x'), " +
		"m TIMESTAMP NULL DEFAULT (NOW()), n VARCHAR(5) DEFAULT (x'41'), o INT DEFAULT (TRUE), p INT DEFAULT (-2), q VARCHAR(5) DEFAULT 'a' 'b')",
	"CREATE TABLE pn (id INT PRIMARY KEY, invisible INT, nowait INT, address INT, text TEXT, json INT)",
	"ALTER TABLE pn CHANGE address uuid INT, CHANGE COLUMN text inet6 TEXT, CHANGE json inet4 BIGINT",
	"ALTER TABLE pn CHANGE COLUMN uuid address BIGINT, ADD COLUMN x UUID, CHANGE COLUMN inet6 i6 MEDIUMTEXT, ADD y INET6 AFTER id",
	"CREATE TABLE pc (id INT PRIMARY KEY, text TEXT, json TEXT)",
	"ALTER TABLE pc CHANGE text compressed TEXT, CHANGE COLUMN json text MEDIUMTEXT COMPRESSED NOT NULL",
	"ALTER TABLE pc CHANGE compressed json TINYTEXT",
	"CREATE TABLE pt (id INT PRIMARY KEY, a DATETIME DEFAULT (NOW() + INTERVAL 1 DAY), b DATETIME(2) DEFAULT (CURRENT_TIMESTAMP(2)), " +
		"c DATETIME DEFAULT (LOCALTIME), d DATE DEFAULT (CURRENT_DATE), e TIMESTAMP(3) NULL DEFAULT NOW(3) ON UPDATE NOW(3))",
	// The default database is not the one ALTER DATABASE changes.
	"ALTER DATABASE invisible CHARACTER SET cp1251",
	"CREATE TABLE pcs (id INT PRIMARY KEY, a VARCHAR(5))",
	"CREATE TABLE nowait (id INT PRIMARY KEY)",
	"TRUNCATE TABLE nowait",
	"CREATE TABLE ps (id INT PRIMARY KEY, a INT) SELECT 1 AS id, 2 a, 3 uuid",
	"CREATE TABLE pk (id INT PRIMARY KEY, b INT NOT NULL)",
	"ALTER TABLE pk ADD PRIMARY KEY IF NOT EXISTS (b) COMMENT 'x', ADD c INT",
}

// TestDDLPropertyMariaDBCatalog runs propertyMariaDB on a MariaDB server (see
// TestDDLMariaDBCatalog).
func TestDDLPropertyMariaDBCatalog(t *testing.T) {
	c := newMariaDBCheck(t, "ddlprop")
	c.exec("CREATE DATABASE IF NOT EXISTS invisible")
	defer c.exec("DROP DATABASE IF EXISTS invisible")
	for _, q := range propertyMariaDB {
		c.step(q)
	}
	c.compareAll("the statements above")
}
