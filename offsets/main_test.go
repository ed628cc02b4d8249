package offsets_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tributary-cdc/cdc/internal/testdb"
)

// The database servers are started once per test binary, by the first test that needs
// them, and stopped by TestMain.
var (
	pgOnce   sync.Once
	pgServer *testdb.Postgres
	pgErr    error
	myOnce   sync.Once
	myServer *testdb.MariaDB
	myErr    error
	serial   atomic.Int64 // makes database, table and prefix names unique
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" { // a saver process of TestFileProcesses
		if err := fileChildSaver(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if pgServer != nil {
		pgServer.Close()
	}
	if myServer != nil {
		myServer.Close()
	}
	os.Exit(code)
}

func postgresServer(tb testing.TB) *testdb.Postgres {
	tb.Helper()
	pgOnce.Do(func() { pgServer, pgErr = testdb.StartPostgres(testdb.PostgresOptions{}) })
	startFailed(tb, "PostgreSQL", pgErr)
	return pgServer
}

func mariadbServer(tb testing.TB) *testdb.MariaDB {
	tb.Helper()
	myOnce.Do(func() { myServer, myErr = testdb.StartMariaDB(testdb.MariaDBOptions{}) })
	startFailed(tb, "MariaDB", myErr)
	return myServer
}

// startFailed skips the test when the server is not installed (fails it when the CI
// environment variable is set, like the testdb.New* helpers), and fails it on other errors.
func startFailed(tb testing.TB, what string, err error) {
	tb.Helper()
	switch {
	case err == nil:
	case errors.Is(err, testdb.ErrNotInstalled) && os.Getenv("CI") == "":
		tb.Skipf("%s not available: %v", what, err)
	default:
		tb.Fatalf("start %s: %v", what, err)
	}
}

// uniqueName returns prefix followed by a number no other call returned.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, serial.Add(1))
}

// postgresDB opens a new, empty database on the shared PostgreSQL server.
func postgresDB(tb testing.TB) *sql.DB {
	tb.Helper()
	dsn := postgresServer(tb).CreateDatabase(tb, uniqueName("offsets_"))
	return openDB(tb, "pgx", dsn)
}

// mariaDB opens a new, empty database on the shared MariaDB server.
func mariaDB(tb testing.TB) *sql.DB {
	tb.Helper()
	dsn := mariadbServer(tb).CreateDatabase(tb, uniqueName("offsets_"))
	return openDB(tb, "mysql", dsn)
}

func openDB(tb testing.TB, driver, dsn string) *sql.DB {
	tb.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", driver, err)
	}
	tb.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), ctxTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		tb.Fatalf("ping %s: %v", driver, err)
	}
	return db
}
