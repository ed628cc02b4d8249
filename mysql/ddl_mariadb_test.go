package mysql

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/tributary-cdc/cdc/internal/testdb"
)

// diffTables describes how the schema history's model of a table differs from the
// catalog's; "" when they agree in everything the stream uses.
func diffTables(model, catalog *tableInfo) string {
	if model == nil || catalog == nil {
		if model == catalog {
			return ""
		}
		return fmt.Sprintf("model %s, catalog %s", describe(model), describe(catalog))
	}
	var d []string
	// The catalog read names a table's character set after its collation, and the
	// parser's collations call utf8mb3 utf8 (utf8mb3_general_ci is utf8, MariaDB's
	// utf8mb3_unicode_520_ci utf8mb3): the same character set either way.
	if cs := strings.NewReplacer("utf8mb3", "utf8"); cs.Replace(model.charset) != cs.Replace(catalog.charset) {
		d = append(d, fmt.Sprintf("table charset %q, catalog %q", model.charset, catalog.charset))
	}
	if !slices.Equal(model.pk, catalog.pk) {
		d = append(d, fmt.Sprintf("primary key %v, catalog %v", model.pk, catalog.pk))
	}
	if len(model.cols) != len(catalog.cols) {
		d = append(d, fmt.Sprintf("columns %s, catalog %s", describe(model), describe(catalog)))
		return strings.Join(d, "; ")
	}
	for i := range model.cols {
		m, c := model.cols[i], catalog.cols[i]
		str := func(p *string) string {
			if p == nil {
				return "<nil>"
			}
			return *p
		}
		for _, f := range []struct {
			name      string
			got, want any
		}{
			{"name", m.name, c.name}, {"data type", m.dataType, c.dataType}, {"column type", m.columnType, c.columnType},
			{"unsigned", m.unsigned, c.unsigned}, {"nullable", m.nullable, c.nullable}, {"default", str(m.def), str(c.def)},
			{"charset", m.charset, c.charset}, {"length", m.length, c.length}, {"precision", m.precision, c.precision},
			{"scale", m.scale, c.scale}, {"values", fmt.Sprint(m.values), fmt.Sprint(c.values)}, {"json", m.json, c.json},
			{"pk", m.pk, c.pk}, {"kind", m.kind(), c.kind()},
		} {
			if f.got != f.want {
				d = append(d, fmt.Sprintf("column %d (%s) %s %v, catalog %v", i+1, c.name, f.name, f.got, f.want))
			}
		}
	}
	return strings.Join(d, "; ")
}

// mariadbCheck runs statements on a MariaDB server and applies the ones its binlog
// records, as the stream does, to a model that began with the database empty: after
// each statement the model of every table must agree with the catalog.
type mariadbCheck struct {
	t       *testing.T
	conn    *client.Conn
	db      string
	charset string
	m       *schemaModel
	p       *parser.Parser
	seen    map[string]bool // differences reported
}

func (c *mariadbCheck) exec(q string) *gmysql.Result {
	c.t.Helper()
	r, err := c.conn.Execute(q)
	if err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
	return r
}

// logged returns the statements the binlog recorded from (file, pos) on.
func (c *mariadbCheck) logged(file string, pos int64) []string {
	c.t.Helper()
	r := c.exec(fmt.Sprintf("SHOW BINLOG EVENTS IN '%s' FROM %d", file, pos))
	var out []string
	for i := range r.RowNumber() {
		typ, _ := r.GetString(i, 2)
		info, _ := r.GetString(i, 5)
		if typ != "Query" {
			continue
		}
		// SHOW BINLOG EVENTS shows the default database as a USE before the statement.
		if prefix := "use " + quoteIdent(c.db) + "; "; strings.HasPrefix(info, prefix) {
			info = info[len(prefix):]
		}
		out = append(out, info)
	}
	return out
}

// step runs q, applies what the binlog recorded to the model and compares. It returns
// the statements the binlog recorded.
func (c *mariadbCheck) step(q string) []string {
	c.t.Helper()
	r := c.exec("SHOW MASTER STATUS")
	file, _ := r.GetString(0, 0)
	pos, _ := r.GetInt(0, 1)
	c.exec(q)
	logged := c.logged(file, pos)
	var targets []ddlTarget
	for _, l := range logged {
		if !ddlRelevant(l) {
			continue
		}
		stmt, err := c.p.ParseOneStmt(normalizeDDL(l), "", "")
		if err != nil {
			c.t.Fatalf("%s\n  logged as %s\n  normalized %s\n  does not parse: %v", q, l, normalizeDDL(l), err)
		}
		a := &ddlApplier{m: c.m, defaultDB: c.db, flavor: gmysql.MariaDBFlavor, serverCharset: c.charset,
			captures: func(db string) bool { return db == c.db },
			lookup: func(db, name string) (*tableInfo, error) {
				return loadTable(context.Background(), c.conn, gmysql.MariaDBFlavor, db, name)
			}}
		if err := a.apply(stmt); err != nil {
			c.t.Fatalf("%s: %v", l, err)
		}
		targets = append(targets, ddlTargets(stmt, c.db)...)
	}
	for _, tg := range targets {
		key := tg.db + "." + tg.name
		catalog, err := loadTable(context.Background(), c.conn, gmysql.MariaDBFlavor, tg.db, tg.name)
		if err != nil {
			c.t.Fatal(err)
		}
		c.compare(q, logged, key, c.m.tables[key], catalog)
	}
	return logged
}

func (c *mariadbCheck) compare(q string, logged []string, key string, model, catalog *tableInfo) {
	c.t.Helper()
	if d := diffTables(model, catalog); d != "" && !c.seen[key+d] {
		c.seen[key+d] = true
		c.t.Errorf("after %s\n  (logged as %q)\n  %s: %s", q, logged, key, d)
	}
}

// compareAll compares every table of the database.
func (c *mariadbCheck) compareAll(after string) {
	c.t.Helper()
	catalog, err := loadTables(context.Background(), c.conn, gmysql.MariaDBFlavor, "TABLE_SCHEMA = "+quoteString(c.db))
	if err != nil {
		c.t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(catalog))
	for k := range c.m.tables {
		if _, ok := catalog[k]; !ok && strings.HasPrefix(k, c.db+".") {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		c.compare(after, nil, k, c.m.tables[k], catalog[k])
	}
}

// TestDDLMariaDBCatalog runs MariaDB-specific DDL on a MariaDB server and checks that
// the schema history's model of each table, built from the statements of the binlog,
// agrees with the catalog's (what a snapshot or a stream that began later reads).
func TestDDLMariaDBCatalog(t *testing.T) {
	c := newMariaDBCheck(t, "ddlcheck")

	for _, q := range mariadbDDL {
		c.step(q)
	}
	c.compareAll("the statements above")

	c.exec("SET SESSION system_versioning_alter_history = KEEP")
	// System versioning is refused: the binlog writes the rows of a system-versioned
	// table with hidden row_start and row_end columns (and history rows as inserts),
	// which information_schema.COLUMNS does not show, and the catalog read does not
	// take such a table for a base table.
	for _, q := range []string{
		"CREATE TABLE sv (id INT PRIMARY KEY, a INT) WITH SYSTEM VERSIONING",
		"CREATE TABLE sv2 (id INT, a INT WITH SYSTEM VERSIONING, b INT)",
		"CREATE TABLE sv3 (id INT, s TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE, e TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE, " +
			"PERIOD FOR SYSTEM_TIME(s, e)) WITH SYSTEM VERSIONING",
		"ALTER TABLE sv ADD COLUMN b INT WITHOUT SYSTEM VERSIONING",
		"ALTER TABLE sv DROP SYSTEM VERSIONING",
		"ALTER TABLE sv ADD SYSTEM VERSIONING",
	} {
		r := c.exec("SHOW MASTER STATUS")
		file, _ := r.GetString(0, 0)
		pos, _ := r.GetInt(0, 1)
		c.exec(q)
		logged := c.logged(file, pos)
		if len(logged) != 1 {
			t.Fatalf("%s logged as %q", q, logged)
		}
		if _, err := c.p.ParseOneStmt(normalizeDDL(logged[0]), "", ""); err == nil {
			t.Errorf("%s parses (as %s); want it refused", logged[0], normalizeDDL(logged[0]))
		}
	}
}

var mariadbDDL = []string{
	// Integer display widths, as MariaDB writes them in COLUMN_TYPE.
	"CREATE TABLE ints (a INT, b INT(5), c INT UNSIGNED, d INT ZEROFILL, e INT(4) UNSIGNED ZEROFILL, f TINYINT, g TINYINT(1), h TINYINT UNSIGNED, " +
		"i SMALLINT, j SMALLINT UNSIGNED, k MEDIUMINT, l MEDIUMINT UNSIGNED, m BIGINT, n BIGINT UNSIGNED, o BIGINT(30) ZEROFILL, p BOOL, q INTEGER, " +
		"r INT1, s INT2, t INT3, u INT4, v INT8, w MIDDLEINT, x SMALLINT ZEROFILL, y BOOLEAN, z MEDIUMINT(3) ZEROFILL)",
	"CREATE TABLE nums (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, y YEAR, y4 YEAR(4), bt BIT, b5 BIT(5), f FLOAT, f7 FLOAT(7), f30 FLOAT(30), " +
		"fd FLOAT(5,2) UNSIGNED, d DOUBLE, dp DOUBLE PRECISION, r REAL, dd DOUBLE(6,3), n NUMERIC, n5 NUMERIC(5), dc DEC(7,3), fx FIXED(4,1), du DECIMAL(9,4) UNSIGNED ZEROFILL)",
	// MariaDB 10.7's types.
	"CREATE TABLE u (id INT PRIMARY KEY, a UUID, b INET4 NOT NULL DEFAULT '0.0.0.0', c INET6 DEFAULT '::1', d UUID DEFAULT uuid(), `uuid` UUID, inet6 INET4)",
	"ALTER TABLE u ADD COLUMN e UUID FIRST, ADD f INET6 AFTER a, MODIFY b INET4 NULL, CHANGE c c2 INET6 NOT NULL DEFAULT '::2', ADD COLUMN IF NOT EXISTS (g INET4, h UUID)",
	"ALTER TABLE u MODIFY COLUMN IF EXISTS e VARCHAR(36), CHANGE COLUMN IF EXISTS nothere c2 INT, MODIFY IF EXISTS nothere INT, DROP COLUMN IF EXISTS nothere",
	"CREATE TABLE u2 AS SELECT * FROM u",
	// Invisible columns are in the catalog and the binlog's rows.
	"CREATE TABLE inv (id INT PRIMARY KEY, h INT INVISIBLE DEFAULT 5, v VARCHAR(5) INVISIBLE, invisible INT, w INT NOT NULL DEFAULT 1 INVISIBLE COMMENT 'x')",
	"ALTER TABLE inv ADD COLUMN h2 INT INVISIBLE, MODIFY h INT NOT NULL DEFAULT 6 INVISIBLE, CHANGE invisible invisible2 BIGINT INVISIBLE FIRST",
	"ALTER TABLE inv CHANGE invisible2 invisible INT, ADD INDEX i (invisible)",
	"ALTER TABLE inv DROP COLUMN invisible",
	// Lock waits, ONLINE, IF EXISTS.
	"CREATE TABLE w (id INT PRIMARY KEY, a INT, CONSTRAINT ck CHECK (a > 0), UNIQUE KEY uk (a))",
	"ALTER TABLE w WAIT 5 ADD COLUMN b INT",
	"ALTER TABLE w NOWAIT ADD COLUMN c INT",
	"CREATE INDEX ib ON w (b) WAIT 5",
	"CREATE INDEX ic ON w (c) NOWAIT",
	"DROP INDEX ib ON w WAIT 3",
	"TRUNCATE TABLE w WAIT 2",
	"RENAME TABLE w WAIT 2 TO w2",
	"RENAME TABLE w2 NOWAIT TO w",
	"ALTER ONLINE TABLE w ADD COLUMN d INT",
	"ALTER ONLINE IGNORE TABLE w ADD COLUMN e INT",
	"ALTER TABLE IF EXISTS w ADD COLUMN f INT",
	"ALTER TABLE IF EXISTS nothere ADD COLUMN z INT",
	"ALTER ONLINE TABLE IF EXISTS w WAIT 1 ADD COLUMN g INT",
	"ALTER TABLE w DROP CONSTRAINT IF EXISTS ck, DROP CONSTRAINT IF EXISTS nope, DROP FOREIGN KEY IF EXISTS fk",
	"ALTER TABLE w RENAME COLUMN IF EXISTS f TO f2, RENAME COLUMN IF EXISTS nope TO x, DROP INDEX IF EXISTS nope",
	"ALTER TABLE w ADD INDEX IF NOT EXISTS ia (a), ADD UNIQUE KEY IF NOT EXISTS uk (a), ADD KEY IF NOT EXISTS ia (a)",
	"CREATE INDEX IF NOT EXISTS ic ON w (c)",
	"ALTER TABLE w ADD CONSTRAINT IF NOT EXISTS ck2 CHECK (b > 0)",
	"ALTER TABLE w DROP CONSTRAINT `PRIMARY`",
	"ALTER TABLE w ADD PRIMARY KEY IF NOT EXISTS (id), RENAME INDEX IF EXISTS ia TO ia2",
	"ALTER TABLE w ADD PRIMARY KEY IF NOT EXISTS (a, id)",
	"ALTER TABLE w ADD INDEX ig (a) IGNORED, ADD INDEX ig2 (b) COMMENT 'c' NOT IGNORED",
	"ALTER TABLE w ALTER INDEX ig NOT IGNORED, ALTER INDEX ig2 IGNORED",
	"CREATE OR REPLACE INDEX ig ON w (c)",
	"RENAME TABLE IF EXISTS nothere TO n2",
	// COMPRESSED columns.
	"CREATE TABLE cz (id INT PRIMARY KEY, a BLOB COMPRESSED, b VARCHAR(100) COMPRESSED, c TEXT COMPRESSED=zlib CHARACTER SET utf8mb4, " +
		"d VARBINARY(50) COMPRESSED NOT NULL DEFAULT 'x', e TEXT /*M!100301 COMPRESSED*/ CHARACTER SET latin2 COLLATE latin2_bin)",
	"ALTER TABLE cz MODIFY b VARCHAR(200) COMPRESSED NOT NULL, ADD f LONGTEXT COMPRESSED AFTER id",
	// Table options.
	"CREATE TABLE aria (id INT PRIMARY KEY, a VARCHAR(5)) ENGINE=Aria PAGE_CHECKSUM=1 TRANSACTIONAL=1 ROW_FORMAT=PAGE",
	"ALTER TABLE aria ENGINE=Aria TRANSACTIONAL=0, ROW_FORMAT=PAGE",
	"CREATE TABLE gen (a INT, b INT AS (a + 1) PERSISTENT, c INT GENERATED ALWAYS AS (a) VIRTUAL, d INT AS (a * 2) STORED)",
	// Sequences are not tables of the history.
	"CREATE SEQUENCE sq",
	"CREATE TABLE sq2 (`next_not_cached_value` bigint(21) NOT NULL, `minimum_value` bigint(21) NOT NULL, `maximum_value` bigint(21) NOT NULL, " +
		"`start_value` bigint(21) NOT NULL, `increment` bigint(21) NOT NULL, `cache_size` bigint(21) unsigned NOT NULL, " +
		"`cycle_option` tinyint(1) unsigned NOT NULL, `cycle_count` bigint(21) NOT NULL) SEQUENCE=1",
	// CREATE TABLE ... SELECT is logged as a CREATE TABLE with the columns.
	"CREATE TABLE src (id INT PRIMARY KEY, v VARCHAR(5) CHARACTER SET utf8mb4, n DECIMAL(5,2) UNSIGNED, l VARCHAR(5) CHARACTER SET latin2)",
	"CREATE TABLE ctas AS SELECT * FROM src",
	"CREATE TABLE ctas2 (x INT, id BIGINT) SELECT id, v FROM src",
	"CREATE TABLE ctas3 (KEY (id)) IGNORE SELECT id, v, 1+1 AS two, UUID() AS u, NOW() AS t FROM src",
	"CREATE OR REPLACE TABLE ctas3 AS SELECT 1 AS a",
	"CREATE TABLE ctas4 ENGINE=Aria AS SELECT 5 AS c, l FROM src",
	// Character sets and collations the parser does not know.
	"CREATE TABLE cs (a VARCHAR(5) CHARACTER SET latin2, b TEXT CHARSET cp1251 COLLATE cp1251_bin, c CHAR(3) COLLATE utf8mb3_icelandic_ci, " +
		"d VARCHAR(5) COLLATE latin1_nopad_bin, e VARCHAR(5) CHARACTER SET utf16, f VARCHAR(5) CHARACTER SET utf8mb3, g VARCHAR(3) CHARACTER SET ucs2, " +
		"h VARCHAR(4) COLLATE utf8mb4_nopad_bin, i VARCHAR(5) CHARACTER SET latin2 DEFAULT _latin2'x') DEFAULT CHARSET=koi8r",
	"ALTER TABLE cs ADD j VARCHAR(3), CONVERT TO CHARACTER SET cp1250",
	"ALTER TABLE cs CONVERT TO CHARACTER SET sjis COLLATE sjis_bin, ADD k TEXT",
	"ALTER TABLE cs DEFAULT CHARACTER SET = big5, ADD l VARCHAR(3)",
	"CREATE TABLE cs2 (a VARCHAR(5)) CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_520_ci",
	"CREATE TABLE cs3 (a VARCHAR(5)) COLLATE=latin1_nopad_bin",
	// Defaults.
	"CREATE TABLE df (id INT, c VARCHAR(40) DEFAULT uuid(), f DATETIME DEFAULT CURRENT_TIMESTAMP, g DATETIME(3) DEFAULT now(3) ON UPDATE now(3), " +
		"h DATE DEFAULT curdate(), j BIGINT DEFAULT uuid_short(), k VARCHAR(40) DEFAULT sys_guid(), l DOUBLE DEFAULT rand(), m VARCHAR(5) DEFAULT 'x''y', " +
		"n INT DEFAULT -1, o DECIMAL(5,2) DEFAULT 1.5, p BIT(3) DEFAULT b'101', q VARCHAR(5) DEFAULT _utf8mb4'x', r INT DEFAULT TRUE, s DOUBLE DEFAULT 1e3, " +
		"t TIMESTAMP NOT NULL DEFAULT '2000-01-01 00:00:00', u INT DEFAULT NULL, v VARCHAR(5) DEFAULT X'41', w INT DEFAULT 0x41, y INT DEFAULT unix_timestamp(), " +
		"z TEXT DEFAULT 'txt', z2 JSON DEFAULT '{}', z3 VARCHAR(5) DEFAULT '', z6 DATETIME DEFAULT '2020-01-01', z7 TIME DEFAULT '10:00', z8 INT DEFAULT '5', " +
		"z9 ENUM('a','b') DEFAULT 'b', za VARCHAR(5) DEFAULT 'a\\\\b')",
	// A UNIQUE key of NOT NULL columns is the primary key of a table without one.
	"CREATE TABLE pk1 (x INT, a INT NOT NULL, b INT NOT NULL, c INT, UNIQUE KEY uc (c), UNIQUE KEY uab (b, a))",
	"CREATE TABLE pk2 (id SERIAL, v INT)",
	"CREATE TABLE pk3 (a VARCHAR(10) NOT NULL, b INT NOT NULL, UNIQUE KEY (a(3)))",
	"ALTER TABLE pk3 ADD UNIQUE KEY (b)",
	"CREATE TABLE pk4 (a INT NOT NULL, b INT)",
	"CREATE UNIQUE INDEX ua ON pk4 (a)",
	// CONVERT TO a character set of longer characters makes TEXT columns longer.
	"CREATE TABLE conv (a TINYTEXT, b TEXT, c MEDIUMTEXT, d VARCHAR(10), e TEXT CHARACTER SET utf8mb4) CHARSET latin1",
	"ALTER TABLE conv CONVERT TO CHARACTER SET utf8mb4",
	"ALTER TABLE conv CONVERT TO CHARACTER SET latin1",
	"CREATE TABLE df2 (id INT, b VARCHAR(40) DEFAULT (uuid()), c DATE DEFAULT CURRENT_DATE, t TIME DEFAULT CURRENT_TIME, t2 TIME(2) DEFAULT curtime(2), " +
		"lt DATETIME DEFAULT LOCALTIMESTAMP, u VARCHAR(5) DEFAULT 5, f FLOAT DEFAULT 1.25, dd DOUBLE DEFAULT 0.1, d3 DATETIME(3) DEFAULT '2020-01-01 10:00:00.5', " +
		"yy YEAR DEFAULT 99, bb BIT(8) DEFAULT 7, ss SET('a','b') DEFAULT 'b,a', q VARCHAR(9) DEFAULT 'it''s', q2 VARCHAR(9) DEFAULT \"dq\", nl VARCHAR(9) DEFAULT 'a\\nb', " +
		"neg DECIMAL(6,2) DEFAULT -0.5, big BIGINT UNSIGNED DEFAULT 18446744073709551615, dt DATE DEFAULT 20200102, ts TIMESTAMP(6) NULL DEFAULT NULL, " +
		"lc VARCHAR(9) DEFAULT lower('X'), mb VARCHAR(9) CHARACTER SET utf8mb4 DEFAULT 'ü', hx BINARY(2) DEFAULT 'a', nw DATETIME DEFAULT NOW(), " +
		"ct TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, p5 INT DEFAULT (5), ps VARCHAR(3) DEFAULT ('x'), dz DATETIME DEFAULT '2020-1-2 3:4:5')",
	"ALTER TABLE df2 ALTER COLUMN u SET DEFAULT (concat('a', 'b')), ALTER q SET DEFAULT 7, ALTER COLUMN id SET DEFAULT (1 + 2), MODIFY lc VARCHAR(9) DEFAULT upper(`q`)",
	"CREATE TABLE dfx (id INT, a INT DEFAULT (1+1), d VARCHAR(80) DEFAULT USER(), e INT DEFAULT (id*2), i VARCHAR(10) DEFAULT CONCAT('a','b'), x VARCHAR(9) DEFAULT (concat(i, 'z')), z4 INT DEFAULT id)",
}

// newMariaDBCheck starts a MariaDB server and a check on a fresh database in it, with
// an empty model of that database.
func newMariaDBCheck(t *testing.T, prefix string) *mariadbCheck {
	m := testdb.NewMariaDB(t)
	conn, err := client.Connect(m.Addr, m.User, m.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	db := fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano()%1_000_000)
	c := &mariadbCheck{t: t, conn: conn, db: db, p: parser.New(), seen: map[string]bool{}}
	c.exec("SET NAMES utf8mb4")
	c.exec("CREATE DATABASE " + quoteIdent(db))
	t.Cleanup(func() { c.exec("DROP DATABASE IF EXISTS " + quoteIdent(db)) })
	c.exec("USE " + quoteIdent(db))
	r := c.exec("SELECT @@character_set_server, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " + quoteString(db))
	c.charset, _ = r.GetString(0, 0)
	dbCharset, _ := r.GetString(0, 1)
	c.m = &schemaModel{tables: map[string]*tableInfo{}, dbs: map[string]string{db: dbCharset}}
	return c
}
