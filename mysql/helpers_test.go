package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
)

// shared is the MariaDB server of the tests that do not need one of their own.
var shared *testdb.MariaDB

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnvDir); dir != "" { // a consumer process of TestCrashRestart
		os.Exit(crashChild(dir, os.Getenv(crashEnvAddr), os.Getenv(crashEnvLog)))
	}
	var err error
	shared, err = testdb.StartMariaDB(testdb.MariaDBOptions{})
	if errors.Is(err, testdb.ErrNotInstalled) && os.Getenv("CI") == "" {
		fmt.Println("skipping: MariaDB is not installed:", err)
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	shared.Close()
	os.Exit(code)
}

var dbSeq atomic.Int32

// newDB creates a fresh database on the server and returns its name.
func newDB(t testing.TB, m *testdb.MariaDB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s%d", prefix, dbSeq.Add(1))
	m.CreateDatabase(t, name)
	return name
}

// dial opens a go-mysql connection to the server (autocommit, utf8mb4).
func dial(t testing.TB, m *testdb.MariaDB) *client.Conn {
	t.Helper()
	c, err := client.Connect(m.Addr, m.User, m.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Execute("SET NAMES utf8mb4"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run executes statements on c, failing the test on error.
func run(t testing.TB, c *client.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := c.Execute(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// one returns the first column of the first row of a query.
func one(t testing.TB, c *client.Conn, q string) string {
	t.Helper()
	r, err := c.Execute(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if r.RowNumber() == 0 {
		t.Fatalf("%s: no rows", q)
	}
	s, _ := r.GetString(0, 0)
	return s
}

// newSource returns a source for the server with the given configuration.
func newSource(t testing.TB, m *testdb.MariaDB, cfg mysql.Config) *mysql.Source {
	t.Helper()
	cfg.Addr, cfg.User, cfg.Password = m.Addr, m.User, m.Password
	if cfg.HeartbeatPeriod == 0 {
		cfg.HeartbeatPeriod = time.Second
	}
	src, err := mysql.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// open opens a stream, failing the test on error.
func open(t testing.TB, src cdc.Source, pos cdc.Position) cdc.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := src.Open(ctx, cdc.OpenRequest{Name: "test", Position: pos})
	if err != nil {
		t.Fatalf("Open(%s): %v", pos, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// stateHook is a cdc.HookStateChange from a function.
type stateHook func(from, to cdc.State)

func (h stateHook) OnStateChange(from, to cdc.State) { h(from, to) }
