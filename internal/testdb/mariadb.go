package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// EnvMySQLDSN names the environment variable that points the MariaDB helpers
// at an existing server (go-sql-driver DSN form) instead of starting one.
const EnvMySQLDSN = "TRIBUTARY_TEST_MYSQL_DSN"

// mariadbSpeedArgs trade durability for start-up and test speed; they are
// used both when bootstrapping and when running the server.
var mariadbSpeedArgs = []string{
	"--innodb-flush-method=nosync",
	"--innodb-doublewrite=0",
}

// MariaDB is a running MariaDB server with binary logging set up for CDC.
type MariaDB struct {
	Host     string // "127.0.0.1"
	Port     int
	User     string // "root"
	Password string // ""
	DSN      string // "root@tcp(127.0.0.1:PORT)/test?parseTime=true&multiStatements=true"
	Addr     string // "127.0.0.1:PORT"

	server
	dataDir string
	bin     string // mariadbd
	extra   []string
}

// MariaDBOptions configures StartMariaDB / NewMariaDB.
type MariaDBOptions struct {
	// Args are extra mariadbd arguments, appended after the defaults so they
	// override them (e.g. "--binlog-format=STATEMENT", "--skip-log-bin").
	Args []string
}

// NewMariaDB starts a MariaDB server for the test and closes it in
// t.Cleanup. A missing installation skips the test (fails it when CI is set).
func NewMariaDB(t testing.TB, opts ...MariaDBOptions) *MariaDB {
	t.Helper()
	var merged MariaDBOptions
	for _, o := range opts {
		merged.Args = append(merged.Args, o.Args...)
	}
	m, err := StartMariaDB(merged)
	if err != nil {
		handleStartErr(t, "MariaDB", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("closing MariaDB: %v", err)
		}
	})
	return m
}

// StartMariaDB starts a MariaDB server in a fresh temporary directory, or
// describes the server named by TRIBUTARY_TEST_MYSQL_DSN. The caller must
// call Close.
func StartMariaDB(opts MariaDBOptions) (*MariaDB, error) {
	if dsn := os.Getenv(EnvMySQLDSN); dsn != "" {
		return externalMariaDB(dsn, opts)
	}
	installBin, err := findBinary([]string{"mariadb-install-db", "mysql_install_db"},
		"/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db")
	if err != nil {
		return nil, err
	}
	serverBin, err := findBinary([]string{"mariadbd", "mysqld"}, "/usr/sbin/mariadbd", "/usr/sbin/mysqld")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tributary-mariadb-*")
	if err != nil {
		return nil, fmt.Errorf("testdb: %w", err)
	}
	m := &MariaDB{
		Host:    "127.0.0.1",
		User:    "root",
		dataDir: filepath.Join(dir, "data"),
		bin:     serverBin,
		extra:   append([]string(nil), opts.Args...),
	}
	m.server = server{name: "MariaDB", envVar: EnvMySQLDSN, dir: dir, stopSig: sigTerminate,
		closeProc: func(p *process) { p.kill() }, launch: m.launch}
	if err := m.install(installBin); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := m.launchOnFreePort(m.setPort); err != nil {
		return nil, err
	}
	return m, nil
}

func externalMariaDB(dsn string, opts MariaDBOptions) (*MariaDB, error) {
	if len(opts.Args) > 0 {
		return nil, fmt.Errorf("testdb: cannot apply mariadbd arguments %q: %s points at an external server; unset it to let the test start its own server", opts.Args, EnvMySQLDSN)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("testdb: parsing %s: %w", EnvMySQLDSN, err)
	}
	m := &MariaDB{User: cfg.User, Password: cfg.Passwd, DSN: dsn, Addr: cfg.Addr,
		server: server{name: "MariaDB", envVar: EnvMySQLDSN, external: true}}
	if host, port, err := net.SplitHostPort(cfg.Addr); err == nil {
		m.Host = host
		m.Port, _ = strconv.Atoi(port)
	} else {
		m.Host = cfg.Addr
	}
	return m, nil
}

func (m *MariaDB) setPort(port int) {
	m.Port = port
	m.Addr = net.JoinHostPort(m.Host, strconv.Itoa(port))
	m.DSN = fmt.Sprintf("root@tcp(%s)/test?parseTime=true&multiStatements=true", m.Addr)
}

func (m *MariaDB) tmpDir() string { return filepath.Join(m.dir, "tmp") }

// install creates the system tables, the passwordless root accounts
// (root@localhost, root@127.0.0.1, ...) and the test database.
func (m *MariaDB) install(bin string) error {
	// A private tmpdir keeps MariaDB's temporary files (#sql-temptable-*)
	// away from other processes using the shared temp directory.
	if err := os.Mkdir(m.tmpDir(), 0o700); err != nil {
		return fmt.Errorf("testdb: %w", err)
	}
	initSQL := filepath.Join(m.dir, "init.sql")
	if err := os.WriteFile(initSQL, []byte("CREATE DATABASE IF NOT EXISTS test;\n"), 0o644); err != nil {
		return fmt.Errorf("testdb: %w", err)
	}
	args := []string{
		"--no-defaults", // must come first
		"--datadir=" + m.dataDir,
		"--auth-root-authentication-method=normal",
		"--skip-test-db",
		"--skip-name-resolve",
		"--extra-file=" + initSQL,
		"--tmpdir=" + m.tmpDir(),
	}
	if isRoot() {
		args = append(args, "--user=root")
	}
	args = append(args, mariadbSpeedArgs...)
	return runLogged(bin, args, m.dir, filepath.Join(m.dir, "install.log"), nil)
}

// launch starts mariadbd on m.Port and waits until root can connect. Must be
// called with m.mu held or before m is shared.
func (m *MariaDB) launch() error {
	args := []string{
		"--no-defaults", // must come first
		"--datadir=" + m.dataDir,
		"--socket=" + filepath.Join(m.dir, "mysqld.sock"),
		"--pid-file=" + filepath.Join(m.dir, "mysqld.pid"),
		"--tmpdir=" + m.tmpDir(),
		"--port=" + strconv.Itoa(m.Port),
		"--bind-address=127.0.0.1",
		"--log-bin=mysql-bin",
		"--server-id=1",
		"--binlog-format=ROW",
		"--binlog-row-image=FULL",
		"--binlog-row-metadata=FULL",
		"--log-slave-updates",
		"--gtid-strict-mode=ON",
		"--skip-name-resolve",
		"--innodb-flush-log-at-trx-commit=2",
	}
	args = append(args, mariadbSpeedArgs...)
	if isRoot() {
		args = append(args, "--user=root")
	}
	args = append(args, m.extra...)
	proc, err := startProcess(m.bin, args, m.dir, filepath.Join(m.dir, "server.log"), nil)
	if err != nil {
		return err
	}
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = m.Addr
	cfg.Timeout = 2 * time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		proc.kill()
		return fmt.Errorf("testdb: %w", err)
	}
	err = proc.waitReady(func(ctx context.Context) error {
		db := sql.OpenDB(connector)
		defer db.Close()
		return db.PingContext(ctx)
	})
	if err != nil {
		proc.kill()
		return err
	}
	m.proc = proc
	return nil
}

// CreateDatabase (re)creates an empty database and returns a DSN for it
// (m.DSN with the database name replaced). An existing database of that
// name is dropped first, so reruns against an external server work.
func (m *MariaDB) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	ident := "`" + strings.ReplaceAll(name, "`", "``") + "`"
	m.Exec(t, "DROP DATABASE IF EXISTS "+ident)
	m.Exec(t, "CREATE DATABASE "+ident)
	cfg, err := mysql.ParseDSN(m.DSN)
	if err != nil {
		t.Fatalf("testdb: parsing DSN: %v", err)
	}
	cfg.DBName = name
	return cfg.FormatDSN()
}

// Exec runs sql using m.DSN and fails the test on error. Several statements
// may be given at once (multiStatements is enabled for servers started here).
func (m *MariaDB) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("mysql", m.DSN)
	if err != nil {
		t.Fatalf("testdb: opening MariaDB: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
		t.Fatalf("testdb: MariaDB exec %q: %v", query, err)
	}
}
