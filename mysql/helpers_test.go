package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
)

// shared is the MariaDB server of the tests that do not need one of their own. With
// TRIBUTARY_TEST_MYSQL_DSN set it is that server instead, MariaDB or MySQL, and so is
// every server testdb.NewMariaDB returns: tests that need a server of their own (other
// settings, restarts) skip there, saying why (see needOwnServer).
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

// needOwnServer skips t when the tests run against an external server
// (TRIBUTARY_TEST_MYSQL_DSN): t needs a server it starts, restarts or changes, for the
// reason given ("restarts the server"). It does nothing otherwise.
func needOwnServer(t testing.TB, why string) {
	t.Helper()
	shared.SkipIfExternal(t, why)
}

// versions caches SELECT VERSION() per server address.
var versions sync.Map

// serverVersion returns the server's SELECT VERSION(), e.g. "10.11.6-MariaDB-log" or
// "8.0.36".
func serverVersion(t testing.TB, m *testdb.MariaDB) string {
	t.Helper()
	if v, ok := versions.Load(m.Addr); ok {
		return v.(string)
	}
	v := one(t, dial(t, m), "SELECT VERSION()")
	versions.Store(m.Addr, v)
	return v
}

// isMariaDB tells MariaDB from MySQL by the server's version.
func isMariaDB(t testing.TB, m *testdb.MariaDB) bool {
	t.Helper()
	return strings.Contains(serverVersion(t, m), "MariaDB")
}

// needMariaDB skips t on a MySQL server, which only an external server can be, for
// the reason given ("uses MariaDB's INET6 type"). A server testdb started must be
// MariaDB: that fails t.
func needMariaDB(t testing.TB, m *testdb.MariaDB, why string) {
	t.Helper()
	if isMariaDB(t, m) {
		return
	}
	if !m.External() {
		t.Fatalf("the server testdb started is not MariaDB (version %s)", serverVersion(t, m))
	}
	m.SkipIfExternal(t, "is MariaDB-only, the server is MySQL "+serverVersion(t, m)+": "+why)
}

// binlogFile returns the server's current binary log file: SHOW MASTER STATUS, or SHOW
// BINARY LOG STATUS on MySQL 8.4, which dropped the former.
func binlogFile(t testing.TB, c *client.Conn) string {
	t.Helper()
	r, err := c.Execute("SHOW MASTER STATUS")
	if err != nil {
		r, err = c.Execute("SHOW BINARY LOG STATUS")
	}
	if err != nil {
		t.Fatalf("reading the binlog position: %v", err)
	}
	if r.RowNumber() == 0 {
		t.Fatal("SHOW MASTER STATUS: no rows (binary logging off?)")
	}
	s, _ := r.GetString(0, 0)
	return s
}

// rowMetadata returns the server's binlog_row_metadata (FULL, MINIMAL or NO_LOG).
func rowMetadata(t testing.TB, m *testdb.MariaDB) string {
	t.Helper()
	return strings.ToUpper(one(t, dial(t, m), "SELECT @@GLOBAL.binlog_row_metadata"))
}

// serverWithRowMetadata returns a server whose binlog_row_metadata is one of want:
// the shared server if it has one of them, or else a server of the test's own started
// with the first. An external server without it cannot be reconfigured (other tests
// share it): t skips.
func serverWithRowMetadata(t testing.TB, want ...string) *testdb.MariaDB {
	t.Helper()
	have := rowMetadata(t, shared)
	for _, w := range want {
		if have == w {
			return shared
		}
	}
	needOwnServer(t, fmt.Sprintf("needs binlog_row_metadata %s, and the server has %s", strings.Join(want, " or "), have))
	return testdb.NewMariaDB(t, testdb.MariaDBOptions{Args: []string{"--binlog-row-metadata=" + want[0]}})
}

// insertSeq is testdb.InsertSeq: rows lo..hi from a portable row generator.
func insertSeq(table, cols string, lo, hi int) string { return testdb.InsertSeq(table, cols, lo, hi) }
