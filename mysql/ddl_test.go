package mysql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/offsets"
)

// describe renders a table of a model: "col:type[:null][=default] ... pk(a,b) cs".
func describe(t *tableInfo) string {
	if t == nil {
		return "<none>"
	}
	var parts []string
	for _, c := range t.cols {
		s := c.name + ":" + c.columnType
		if c.nullable {
			s += ":null"
		}
		if c.def != nil {
			s += "=" + *c.def
		}
		if c.charset != "" {
			s += "@" + c.charset
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ") + " pk(" + strings.Join(t.pk, ",") + ")"
}

// TestApplyDDL applies statements to a model, each after the ones before it, and
// checks the table they produce: the history's model of the schema without a server.
func TestApplyDDL(t *testing.T) {
	m := &schemaModel{tables: map[string]*tableInfo{}, dbs: map[string]string{"db": "latin1", "other": "utf8mb4"}}
	p := parser.New()
	steps := []struct{ q, table, want string }{
		{"CREATE TABLE t (id INT NOT NULL, name VARCHAR(10) DEFAULT 'x''y', amount DECIMAL(8,2) UNSIGNED, PRIMARY KEY (id)) DEFAULT CHARSET=utf8mb4",
			"db.t", "id:int(11) name:varchar(10):null='x''y'@utf8mb4 amount:decimal(8,2) unsigned:null pk(id)"},
		{"ALTER TABLE t ADD COLUMN first_col TINYINT FIRST, ADD COLUMN mid BIGINT UNSIGNED NOT NULL DEFAULT 7 AFTER id, DROP COLUMN amount",
			"db.t", "first_col:tinyint(4):null id:int(11) mid:bigint(20) unsigned=7 name:varchar(10):null='x''y'@utf8mb4 pk(id)"},
		{"ALTER TABLE t CHANGE COLUMN name label VARCHAR(20) CHARACTER SET latin1 NOT NULL, MODIFY mid INT FIRST, RENAME COLUMN first_col TO f",
			"db.t", "mid:int(11):null f:tinyint(4):null id:int(11) label:varchar(20)@latin1 pk(id)"},
		{"ALTER TABLE t ALTER COLUMN f SET DEFAULT 3, DROP PRIMARY KEY, ADD PRIMARY KEY (id, f)",
			"db.t", "mid:int(11):null f:tinyint(4)=3 id:int(11) label:varchar(20)@latin1 pk(id,f)"},
		{"ALTER TABLE t ALTER COLUMN f DROP DEFAULT, CONVERT TO CHARACTER SET utf8mb4", "db.t",
			"mid:int(11):null f:tinyint(4) id:int(11) label:varchar(20)@utf8mb4 pk(id,f)"},
		{"CREATE TABLE other.u LIKE t", "other.u", "mid:int(11):null f:tinyint(4) id:int(11) label:varchar(20)@utf8mb4 pk(id,f)"},
		{"CREATE TABLE v (a VARBINARY(4), b BLOB, c TEXT, d ENUM('x','y''s') NOT NULL, e SET('p','q'), f JSON, g DATETIME(3), h BIT(3), i CHAR(2) COLLATE utf8mb4_bin, j DOUBLE)",
			"db.v", "a:varbinary(4):null@binary b:blob:null@binary c:text:null@latin1 d:enum('x','y''s')@latin1 e:set('p','q'):null@latin1 " +
				"f:longtext:null@utf8mb4 g:datetime(3):null h:bit(3):null i:char(2):null@utf8mb4 j:double:null pk()"},
		{"RENAME TABLE t TO tmp, v TO t, tmp TO v", "db.t", "a:varbinary(4):null@binary b:blob:null@binary c:text:null@latin1 d:enum('x','y''s')@latin1 " +
			"e:set('p','q'):null@latin1 f:longtext:null@utf8mb4 g:datetime(3):null h:bit(3):null i:char(2):null@utf8mb4 j:double:null pk()"},
		{"", "db.v", "mid:int(11):null f:tinyint(4) id:int(11) label:varchar(20)@utf8mb4 pk(id,f)"},
		{"", "db.tmp", "<none>"},
		{"ALTER TABLE v RENAME TO w, ADD COLUMN z INT", "db.w", "mid:int(11):null f:tinyint(4) id:int(11) label:varchar(20)@utf8mb4 z:int(11):null pk(id,f)"},
		{"", "db.v", "<none>"},
		{"CREATE OR REPLACE TABLE w (k INT PRIMARY KEY)", "db.w", "k:int(11) pk(k)"},
		{"ALTER TABLE w ADD COLUMN IF NOT EXISTS k INT, ADD COLUMN IF NOT EXISTS n INT UNSIGNED, ALGORITHM=NOCOPY", "db.w", "k:int(11) n:int(10) unsigned:null pk(k)"},
		// Clauses name the columns as they were before the statement, as the server does.
		{"CREATE TABLE sw (id INT PRIMARY KEY, a INT, b VARCHAR(5))", "db.sw", "id:int(11) a:int(11):null b:varchar(5):null@latin1 pk(id)"},
		{"ALTER TABLE sw RENAME COLUMN a TO b, RENAME COLUMN b TO a", "db.sw", "id:int(11) b:int(11):null a:varchar(5):null@latin1 pk(id)"},
		{"ALTER TABLE sw CHANGE b c BIGINT, DROP COLUMN a, ADD COLUMN a INT FIRST", "db.sw", "a:int(11):null id:int(11) c:bigint(20):null pk(id)"},
		{"ALTER TABLE sw CHANGE id k INT, CHANGE c id INT NOT NULL, DROP PRIMARY KEY, ADD PRIMARY KEY (id)", "db.sw", "a:int(11):null k:int(11):null id:int(11) pk(id)"},
		{"ALTER TABLE w DROP INDEX `PRIMARY`", "db.w", "k:int(11) n:int(10) unsigned:null pk()"},
		{"ALTER TABLE w ADD PRIMARY KEY (k)", "db.w", "k:int(11) n:int(10) unsigned:null pk(k)"},
		{"DROP INDEX `primary` ON w", "db.w", "k:int(11) n:int(10) unsigned:null pk()"},
		// A database created without a character set gets the server's (latin1 here).
		{"CREATE DATABASE fresh", "", ""},
		{"CREATE TABLE fresh.t (s VARCHAR(10))", "fresh.t", "s:varchar(10):null@latin1 pk()"},
		{"CREATE TABLE notcaptured.x (a INT)", "notcaptured.x", "<none>"},
		{"DROP TABLE IF EXISTS w, nothere", "db.w", "<none>"},
		{"DROP DATABASE other", "other.u", "<none>"},
	}
	for _, s := range steps {
		if s.q != "" {
			stmt, err := p.ParseOneStmt(normalizeDDL(s.q), "", "")
			if err != nil {
				t.Fatalf("%s: %v", s.q, err)
			}
			a := &ddlApplier{m: m, defaultDB: "db", flavor: gmysql.MariaDBFlavor, serverCharset: "latin1",
				captures: func(db string) bool { return db != "notcaptured" },
				lookup: func(db, name string) (*tableInfo, error) {
					return nil, fmt.Errorf("unexpected lookup of %s.%s", db, name)
				}}
			if err := a.apply(stmt); err != nil {
				t.Fatalf("%s: %v", s.q, err)
			}
		}
		if s.table == "" {
			continue
		}
		if got := describe(m.tables[s.table]); got != s.want {
			t.Fatalf("after %q, %s is\n  %s\nwant\n  %s", s.q, s.table, got, s.want)
		}
	}
	if _, ok := m.dbs["other"]; ok {
		t.Fatal("DROP DATABASE left the database in the model")
	}
}

func TestDDLRelevant(t *testing.T) {
	for q, want := range map[string]bool{
		"ALTER TABLE t ADD c INT": true, "alter online table t force": true, "CREATE OR REPLACE TABLE t (a INT)": true,
		"/* x */ CREATE UNIQUE INDEX i ON t (a)": true, "DROP TABLE `t` /* generated by server */": true,
		"RENAME TABLE a TO b": true, "TRUNCATE t": true, "CREATE DATABASE d": true, "DROP SCHEMA d": true,
		"CREATE VIEW v AS SELECT 1": false, "CREATE OR REPLACE VIEW v AS SELECT 1": false, "DROP TEMPORARY TABLE IF EXISTS t": false,
		"CREATE DEFINER=`root`@`%` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @a = 1": false, "CREATE USER u": false,
		"CREATE SEQUENCE s": false, "GRANT ALL ON *.* TO u": false, "": false,
	} {
		if got := ddlRelevant(q); got != want {
			t.Errorf("ddlRelevant(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestHistoryPersistence: a history saved and loaded gives the same model at every
// position; versions and damage are reported as corrupt offsets naming the key.
func TestHistoryPersistence(t *testing.T) {
	ctx := context.Background()
	store := &memStore{}
	col := func(name string) colInfo {
		return colInfo{name: name, dataType: "int", columnType: "int(11)", nullable: true}
	}
	t1 := &tableInfo{cols: []colInfo{col("id"), col("a")}, pk: []string{"id"}, charset: "utf8mb4"}
	t1.index()
	t2 := &tableInfo{cols: []colInfo{col("id"), col("a"), col("b")}, pk: []string{"id"}, charset: "utf8mb4"}
	t2.index()
	h := newHistory(store, "n/schema-history", "mariadb", binlogPos{"mysql-bin.000009", 100},
		&schemaModel{tables: map[string]*tableInfo{"db.t": t1}, dbs: map[string]string{"db": "utf8mb4"}})
	h.record(histEntry{at: binlogPos{"mysql-bin.000010", 50}, db: "db", sql: "ALTER TABLE t ADD b INT", tables: map[string]*tableInfo{"db.t": t2}})
	h.record(histEntry{at: binlogPos{"mysql-bin.000010", 90}, db: "db", sql: "DROP TABLE t", tables: map[string]*tableInfo{"db.t": nil}})
	if err := h.save(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   binlogPos
		want string
	}{
		{binlogPos{"mysql-bin.000009", 100}, "id:int(11):null a:int(11):null pk(id)"},
		{binlogPos{"mysql-bin.000010", 49}, "id:int(11):null a:int(11):null pk(id)"},
		{binlogPos{"mysql-bin.000010", 50}, "id:int(11):null a:int(11):null b:int(11):null pk(id)"},
		{binlogPos{"mysql-bin.000010", 90}, "<none>"},
		{binlogPos{"mysql-bin.1000000", 4}, "<none>"}, // the file number widened
	} {
		got, err := loadHistory(ctx, store, "n/schema-history")
		if err != nil {
			t.Fatal(err)
		}
		if !got.rewind(c.at) {
			t.Fatalf("rewind(%s) reports a position before the base", c.at)
		}
		if d := describe(got.cur.tables["db.t"]); d != c.want {
			t.Fatalf("at %s: %s, want %s", c.at, d, c.want)
		}
	}
	if h2, _ := loadHistory(ctx, store, "n/schema-history"); h2.rewind(binlogPos{"mysql-bin.000009", 99}) {
		t.Fatal("rewind before the base reported no problem")
	}
	for _, bad := range []string{`{"v":2,"base":{}}`, `not json`, `{"v":1}`, `{"v":1,"base":{"file":"f","pos":4,"tables":{}},"ddl":[{"file":"","pos":1}]}`} {
		store.Save(ctx, "k", cdc.Position(bad))
		_, err := loadHistory(ctx, store, "k")
		if !errors.Is(err, cdc.ErrCorruptOffsets) || !strings.Contains(err.Error(), `"k"`) || !strings.Contains(err.Error(), "new snapshot") {
			t.Fatalf("loading %s: %v; want ErrCorruptOffsets naming the key and the fix", bad, err)
		}
	}
	store.Save(ctx, "k", cdc.Position(`{"v":2,"base":{}}`))
	if _, err := loadHistory(ctx, store, "k"); !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("a newer version: %v", err)
	}
}

// TestApplyDDLTwice: a statement applied to a model that already shows its effect (the
// model was read just after it ran) leaves the model as it is.
func TestApplyDDLTwice(t *testing.T) {
	p := parser.New()
	m := &schemaModel{tables: map[string]*tableInfo{}, dbs: map[string]string{"db": "utf8mb4"}}
	apply := func(q string) {
		stmt, err := p.ParseOneStmt(q, "", "")
		if err != nil {
			t.Fatal(err)
		}
		a := &ddlApplier{m: m, defaultDB: "db", flavor: gmysql.MariaDBFlavor, captures: func(string) bool { return true }}
		if err := a.apply(stmt); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	apply("CREATE TABLE t (id INT PRIMARY KEY, gone INT, b INT, old INT)")
	for _, q := range []string{
		"ALTER TABLE t ADD COLUMN a INT FIRST, DROP COLUMN gone, CHANGE old renamed BIGINT, RENAME COLUMN b TO c, ADD COLUMN z INT",
		"ALTER TABLE t MODIFY z INT AFTER a",
	} {
		apply(q)
		once := describe(m.tables["db.t"])
		apply(q)
		if twice := describe(m.tables["db.t"]); twice != once {
			t.Fatalf("%s applied twice:\n  %s\nonce:\n  %s", q, twice, once)
		}
	}
	if got, want := describe(m.tables["db.t"]), "a:int(11):null z:int(11):null id:int(11) c:int(11):null renamed:bigint(20):null pk(id)"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestRewindBeforeBase: a start position older than the history's base keeps the base
// but from that position on, so statements read again after it keep the history in
// position order and it still loads.
func TestRewindBeforeBase(t *testing.T) {
	store := offsets.NewMemory()
	base := &schemaModel{tables: map[string]*tableInfo{}, dbs: map[string]string{"db": "utf8mb4"}}
	h := newHistory(store, "h", gmysql.MariaDBFlavor, binlogPos{"mysql-bin.000002", 500}, base)
	if h.rewind(binlogPos{"mysql-bin.000001", 300}) {
		t.Fatal("rewind before the base reported success")
	}
	h.record(histEntry{at: binlogPos{"mysql-bin.000001", 400}, dbs: map[string]string{"db2": "latin1"}})
	if err := h.save(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := loadHistory(context.Background(), store, "h"); err != nil {
		t.Fatalf("the history saved after a rewind before its base does not load: %v", err)
	}
}
