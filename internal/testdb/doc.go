// Package testdb starts throw-away database servers for tests: PostgreSQL
// (with wal_level=logical), MariaDB (with a ROW/FULL binary log and GTIDs),
// Redis and NATS (with JetStream). Every server runs as a real local process
// on a free 127.0.0.1 port with its data in a fresh temporary directory that
// is deleted again on Close. Nothing is mocked.
//
// # Per test
//
// The New* helpers start a server and register Close with t.Cleanup:
//
//	func TestSomething(t *testing.T) {
//		pg := testdb.NewPostgres(t)
//		dsn := pg.CreateDatabase(t, "orders")
//		pg.Exec(t, "SELECT 1")
//		// ... use pg.DSN / dsn ...
//	}
//
// Options tweak the server, for example to test error paths:
//
//	testdb.NewPostgres(t, testdb.PostgresOptions{Settings: map[string]string{"wal_level": "replica"}})
//	testdb.NewMariaDB(t, testdb.MariaDBOptions{Args: []string{"--binlog-format=STATEMENT"}})
//
// PostgreSQL and MariaDB take about 1.5-2 s to start (most of it is creating
// the data directory); Redis and NATS take a few tens of milliseconds.
//
// # Once per package
//
// To share one server between the tests of a package, start it in TestMain
// and give each test its own database:
//
//	var pg *testdb.Postgres
//
//	func TestMain(m *testing.M) {
//		var err error
//		pg, err = testdb.StartPostgres(testdb.PostgresOptions{})
//		if errors.Is(err, testdb.ErrNotInstalled) && os.Getenv("CI") == "" {
//			fmt.Println("skipping:", err)
//			os.Exit(0)
//		}
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		code := m.Run()
//		pg.Close()
//		os.Exit(code)
//	}
//
// Restart, Stop and Start restart a server on the same port and data
// directory, e.g. to test reconnection and resuming.
//
// # Missing servers
//
// When a binary is not installed, the Start* functions return an error
// wrapping ErrNotInstalled and the New* helpers skip the test — or fail it
// when the CI environment variable is set, because a missing server in CI is
// a broken setup. On Debian/Ubuntu:
//
//	apt-get install postgresql mariadb-server redis-server nats-server
//
// PostgreSQL is looked up on PATH (initdb and postgres from the same
// directory), then in the newest /usr/lib/postgresql/*/bin. When the tests
// run as root, PostgreSQL runs as the "postgres" system user and MariaDB
// with --user=root.
//
// # Using existing servers
//
// These environment variables make the helpers describe an existing server
// instead of starting one:
//
//	TRIBUTARY_TEST_POSTGRES_DSN  e.g. postgres://postgres@db:5432/postgres?sslmode=disable
//	TRIBUTARY_TEST_MYSQL_DSN     go-sql-driver form, e.g. root:pw@tcp(db:3306)/test?parseTime=true&multiStatements=true
//	TRIBUTARY_TEST_REDIS_ADDR    e.g. 127.0.0.1:6379
//	TRIBUTARY_TEST_NATS_URL      e.g. nats://127.0.0.1:4222
//
// Such a server is never stopped or modified beyond what the tests do:
// Close is a no-op, Restart/Stop/Start return an error, and asking for
// Settings or Args fails, because they cannot be applied. CreateDatabase
// drops an existing database of the same name first, so reruns work.
// The server must be configured for CDC (logical WAL, ROW binlog) already.
package testdb
