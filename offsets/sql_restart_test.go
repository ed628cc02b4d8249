package offsets_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/offsets"
)

// TestSQLSurvivesDatabaseRestart: after a server restart the pool holds connections
// the server closed; Load and Save must still succeed and the saved position survive.
func TestSQLSurvivesDatabaseRestart(t *testing.T) {
	pg := testdb.NewPostgres(t)
	my := testdb.NewMariaDB(t)
	cases := []struct {
		name, driver, dsn string
		dialect           offsets.Dialect
		restart           func() error
	}{
		{"postgres", "pgx", pg.DSN, offsets.Postgres, pg.Restart},
		{"mariadb", "mysql", my.DSN, offsets.MySQL, my.Restart},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			db, err := sql.Open(c.driver, c.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxIdleConns(4)
			s, err := offsets.NewSQL(db, offsets.SQLConfig{Dialect: c.dialect})
			if err != nil {
				t.Fatal(err)
			}
			// Fill the pool with several idle connections.
			conns := make([]*sql.Conn, 3)
			for i := range conns {
				if conns[i], err = db.Conn(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for _, cn := range conns {
				cn.Close()
			}
			if err := s.Save(ctx, "k", []byte(`{"v":1,"n":1}`)); err != nil {
				t.Fatal(err)
			}
			if err := c.restart(); err != nil {
				t.Fatal(err)
			}
			pos, err := s.Load(ctx, "k")
			if err != nil || string(pos) != `{"v":1,"n":1}` {
				t.Fatalf("Load after restart = %q, %v", pos, err)
			}
			if err := c.restart(); err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx, "k", []byte(`{"v":1,"n":2}`)); err != nil {
				t.Fatalf("Save after restart: %v", err)
			}
			if pos, err := s.Load(ctx, "k"); err != nil || string(pos) != `{"v":1,"n":2}` {
				t.Fatalf("Load = %q, %v", pos, err)
			}
		})
	}
}

// TestSQLWhileDatabaseDown: with the server stopped, Load fails with an error the
// engine retries (cdc.IsRetryable), and works again once the server is back.
func TestSQLWhileDatabaseDown(t *testing.T) {
	pg := testdb.NewPostgres(t)
	db, err := sql.Open("pgx", pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := offsets.NewSQL(db, offsets.SQLConfig{Dialect: offsets.Postgres})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Load(ctx, "k")
	if err == nil || !cdc.IsRetryable(err) {
		t.Fatalf("Load with the server down = %v; want an error marked retryable", err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "k"); err != nil {
		t.Fatalf("Load after the server came back: %v", err)
	}
}
