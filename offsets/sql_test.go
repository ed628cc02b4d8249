package offsets_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/offsets"
)

// dialects are the databases the SQL store is tested against.
var dialects = []struct {
	name    string
	dialect offsets.Dialect
	open    func(testing.TB) *sql.DB
}{
	{"Postgres", offsets.Postgres, postgresDB},
	{"MariaDB", offsets.MySQL, mariaDB},
}

func newSQL(t testing.TB, db *sql.DB, d offsets.Dialect, table string) *offsets.SQL {
	t.Helper()
	s, err := offsets.NewSQL(db, offsets.SQLConfig{Dialect: d, Table: table})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSQL(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			db := d.open(t)
			cdctest.TestOffsetStore(t, func(t *testing.T) cdc.OffsetStore {
				return newSQL(t, db, d.dialect, uniqueName("offsets_"))
			})
		})
	}
}

func TestSQLKeys(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			testKeys(t, newSQL(t, d.open(t), d.dialect, ""))
		})
	}
}

func TestSQLConfig(t *testing.T) {
	db, err := sql.Open("pgx", "postgres://nobody@127.0.0.1:1/none?connect_timeout=1") // never connected
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"offsets", "_x", "cdc.offsets", "My_Offsets2", strings.Repeat("t", 63), strings.Repeat("s", 63) + "." + strings.Repeat("t", 63)} {
		s, err := offsets.NewSQL(db, offsets.SQLConfig{Dialect: offsets.Postgres, Table: table})
		if err != nil {
			t.Errorf("table %q: %v", table, err)
		} else if s.Table() != table {
			t.Errorf("Table() = %q, want %q", s.Table(), table)
		}
	}
	if s, err := offsets.NewSQL(db, offsets.SQLConfig{Dialect: offsets.MySQL}); err != nil || s.Table() != "tributary_offsets" {
		t.Errorf("default table: %v, %v", s, err)
	}
	bad := []offsets.SQLConfig{
		{Dialect: offsets.Postgres, Table: "a;drop table x"},
		{Dialect: offsets.Postgres, Table: `a"b`},
		{Dialect: offsets.MySQL, Table: "a`b"},
		{Dialect: offsets.Postgres, Table: "a.b.c"},
		{Dialect: offsets.Postgres, Table: "1abc"},
		{Dialect: offsets.Postgres, Table: "a b"},
		{Dialect: offsets.Postgres, Table: ".a"},
		{Dialect: offsets.Postgres, Table: "a."},
		{Dialect: offsets.Postgres, Table: "tëst"},
		{Dialect: offsets.Postgres, Table: strings.Repeat("t", 64)},
		{Table: "offsets"},
		{Dialect: "oracle"},
	}
	for _, cfg := range bad {
		if _, err := offsets.NewSQL(db, cfg); !errors.Is(err, cdc.ErrInvalidConfig) {
			t.Errorf("NewSQL(%+v) error = %v, want ErrInvalidConfig", cfg, err)
		}
	}
	if _, err := offsets.NewSQL(nil, offsets.SQLConfig{Dialect: offsets.Postgres}); !errors.Is(err, cdc.ErrInvalidConfig) {
		t.Errorf("NewSQL(nil) error = %v, want ErrInvalidConfig", err)
	}
	// A database that cannot be reached: an error, not a hang, and no ErrCorruptOffsets.
	s := newSQL(t, db, offsets.Postgres, "")
	if _, err := s.Load(testCtx(t), "a"); err == nil || errors.Is(err, cdc.ErrCorruptOffsets) {
		t.Errorf("Load from an unreachable database: %v", err)
	}
}

// TestSQLTable checks the table the store creates, and that stores share it.
func TestSQLTable(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := testCtx(t)
			db := d.open(t)
			table := uniqueName("shared_")
			if d.dialect == offsets.Postgres {
				if _, err := db.ExecContext(ctx, "CREATE SCHEMA cdc"); err != nil {
					t.Fatal(err)
				}
				table = "cdc." + table
			}
			s1 := newSQL(t, db, d.dialect, table)
			// NewSQL did not create it.
			if _, err := db.ExecContext(ctx, "SELECT 1 FROM "+table); err == nil {
				t.Fatal("NewSQL created the table: it must wait for the first Load or Save")
			}
			if err := s1.Save(ctx, "a", cdc.Position(`{"v":1}`)); err != nil {
				t.Fatal(err)
			}
			s2 := newSQL(t, db, d.dialect, table)
			if got, err := s2.Load(ctx, "a"); err != nil || string(got) != `{"v":1}` {
				t.Fatalf("another store on the table: Load = %q, %v", got, err)
			}
			var key string
			var pos []byte
			if err := db.QueryRowContext(ctx, "SELECT "+quote(d.dialect, "key")+", "+quote(d.dialect, "position")+" FROM "+table).Scan(&key, &pos); err != nil {
				t.Fatal(err)
			}
			if key != "a" || string(pos) != `{"v":1}` {
				t.Errorf("row = %q, %q", key, pos)
			}
			// Stores created before the table exist find it.
			s3 := newSQL(t, db, d.dialect, uniqueName("late_"))
			s4 := newSQL(t, db, d.dialect, s3.Table())
			if err := s3.Save(ctx, "b", cdc.Position("x")); err != nil {
				t.Fatal(err)
			}
			if got, err := s4.Load(ctx, "b"); err != nil || string(got) != "x" {
				t.Fatalf("Load = %q, %v", got, err)
			}
		})
	}
}

func quote(d offsets.Dialect, id string) string {
	if d == offsets.Postgres {
		return `"` + id + `"`
	}
	return "`" + id + "`"
}

// TestSQLSaveTx checks the exactly-once pattern: the position and the sink's rows commit
// together or not at all.
func TestSQLSaveTx(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := testCtx(t)
			db := d.open(t)
			if _, err := db.ExecContext(ctx, "CREATE TABLE sink_rows (id int PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			s := newSQL(t, db, d.dialect, "") // the table does not exist yet
			ph := "$1"
			if d.dialect == offsets.MySQL {
				ph = "?"
			}
			rows := func() int {
				var n int
				if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sink_rows").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			load := func(want string) {
				t.Helper()
				got, err := s.Load(ctx, "orders-sync")
				if err != nil || string(got) != want || (want == "") != (got == nil) {
					t.Fatalf("Load = %q, %v; want %q", got, err, want)
				}
			}
			batch := func(id int, pos string, commit bool) {
				t.Helper()
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				if _, err := tx.ExecContext(ctx, "INSERT INTO sink_rows (id) VALUES ("+ph+")", id); err != nil {
					t.Fatal(err)
				}
				if err := s.SaveTx(ctx, tx, "orders-sync", cdc.Position(pos)); err != nil {
					t.Fatal(err)
				}
				if got, err := s.LoadTx(ctx, tx, "orders-sync"); err != nil || string(got) != pos {
					t.Fatalf("LoadTx in the transaction = %q, %v; want %q", got, err, pos)
				}
				if commit {
					if err := tx.Commit(); err != nil {
						t.Fatal(err)
					}
				} else if err := tx.Rollback(); err != nil {
					t.Fatal(err)
				}
			}

			// Uncommitted: invisible outside the transaction.
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SaveTx(ctx, tx, "orders-sync", cdc.Position(`{"v":1,"lsn":"0/0"}`)); err != nil {
				t.Fatal(err)
			}
			load("")
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			load("")

			batch(1, `{"v":1,"lsn":"0/1"}`, true)
			load(`{"v":1,"lsn":"0/1"}`)
			if n := rows(); n != 1 {
				t.Fatalf("%d rows after the commit, want 1", n)
			}
			batch(2, `{"v":1,"lsn":"0/2"}`, false)
			load(`{"v":1,"lsn":"0/1"}`)
			if n := rows(); n != 1 {
				t.Fatalf("%d rows after the rollback, want 1", n)
			}
			batch(3, `{"v":1,"lsn":"0/3"}`, true)
			load(`{"v":1,"lsn":"0/3"}`)
			if n := rows(); n != 2 {
				t.Fatalf("%d rows after the second commit, want 2", n)
			}

			// A failed sink write aborts the batch: the position stays.
			tx, err = db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SaveTx(ctx, tx, "orders-sync", cdc.Position(`{"v":1,"lsn":"0/4"}`)); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO sink_rows (id) VALUES ("+ph+")", 1); err == nil {
				t.Fatal("duplicate row inserted")
			}
			tx.Rollback()
			load(`{"v":1,"lsn":"0/3"}`)

			if err := s.SaveTx(ctx, nil, "k", nil); err == nil {
				t.Error("SaveTx with a nil transaction: no error")
			}
			if _, err := s.LoadTx(ctx, nil, "k"); err == nil {
				t.Error("LoadTx with a nil transaction: no error")
			}
		})
	}
}

// TestSQLFirstUseInTx uses a new store for the first time inside a transaction: the table
// is created outside it, and the transaction still sees it.
func TestSQLFirstUseInTx(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := testCtx(t)
			db := d.open(t)
			s := newSQL(t, db, d.dialect, uniqueName("fresh_"))
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if got, err := s.LoadTx(ctx, tx, "k"); err != nil || got != nil {
				t.Fatalf("LoadTx = %q, %v; want nil, nil", got, err)
			}
			if err := s.SaveTx(ctx, tx, "k", cdc.Position("v")); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Load(ctx, "k"); err != nil || string(got) != "v" {
				t.Fatalf("Load = %q, %v", got, err)
			}
		})
	}
}

// TestSQLNullPosition reads a NULL position from a table created by hand.
func TestSQLNullPosition(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := testCtx(t)
			db := d.open(t)
			q := func(id string) string { return quote(d.dialect, id) }
			stmts := []string{
				"CREATE TABLE hand (" + q("key") + " varchar(255) PRIMARY KEY, " + q("position") + " " + map[offsets.Dialect]string{offsets.Postgres: "bytea", offsets.MySQL: "longblob"}[d.dialect] + ", " + q("updated_at") + " timestamp NULL)",
				"INSERT INTO hand (" + q("key") + ") VALUES ('k')",
			}
			for _, stmt := range stmts {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			s := newSQL(t, db, d.dialect, "hand")
			_, err := s.Load(ctx, "k")
			if !errors.Is(err, cdc.ErrCorruptOffsets) || !strings.Contains(err.Error(), "hand") {
				t.Fatalf("Load of a NULL position: %v, want ErrCorruptOffsets naming the table", err)
			}
			if err := s.Save(ctx, "k", cdc.Position("fixed")); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Load(ctx, "k"); err != nil || !bytes.Equal(got, cdc.Position("fixed")) {
				t.Fatalf("Load = %q, %v", got, err)
			}
		})
	}
}

// TestSQLPrecreatedTable checks a user that may use, but not create, the table.
func TestSQLPrecreatedTable(t *testing.T) {
	ctx := testCtx(t)
	srv := postgresServer(t)
	dsn := srv.CreateDatabase(t, uniqueName("offsets_"))
	admin := openDB(t, "pgx", dsn)
	role := uniqueName("engine_")
	for _, stmt := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
		`CREATE TABLE tributary_offsets ("key" varchar(255) PRIMARY KEY, "position" bytea NOT NULL, "updated_at" timestamptz NOT NULL DEFAULT now())`,
		"GRANT SELECT, INSERT, UPDATE ON tributary_offsets TO " + role,
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	userDSN := strings.Replace(dsn, "postgres://postgres@", "postgres://"+role+"@", 1)
	if userDSN == dsn {
		t.Fatalf("cannot change the user in %s", dsn)
	}
	user := openDB(t, "pgx", userDSN)
	s := newSQL(t, user, offsets.Postgres, "")
	if err := s.Save(ctx, "k", cdc.Position("v")); err != nil {
		t.Fatalf("Save to a table the user cannot create but may write: %v", err)
	}
	if got, err := s.Load(ctx, "k"); err != nil || string(got) != "v" {
		t.Fatalf("Load = %q, %v", got, err)
	}
	// Without the table, the error says what to do.
	s2 := newSQL(t, user, offsets.Postgres, "missing")
	err := s2.Save(ctx, "k", cdc.Position("v"))
	if err == nil || !strings.Contains(err.Error(), "create it beforehand") {
		t.Fatalf("Save without the right to create the table: %v", err)
	}
}

// TestSQLCancelled: a cancelled context fails Save without hanging.
func TestSQLCancelled(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			db := d.open(t)
			s := newSQL(t, db, d.dialect, "")
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := s.Save(ctx, "k", cdc.Position("v")); !errors.Is(err, context.Canceled) {
				t.Errorf("Save with a cancelled context before the table exists: %v", err)
			}
			if err := s.Save(testCtx(t), "k", cdc.Position("v")); err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx, "k", cdc.Position("w")); !errors.Is(err, context.Canceled) {
				t.Errorf("Save with a cancelled context: %v", err)
			}
		})
	}
}
