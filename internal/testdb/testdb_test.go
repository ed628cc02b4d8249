package testdb

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func assertGone(t *testing.T, dir string) {
	t.Helper()
	if dir == "" {
		t.Fatal("server has no directory")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory %s still exists after Close (stat err %v)", dir, err)
	}
}

func pgQueryString(t *testing.T, dsn, query string) string {
	t.Helper()
	ctx := ctxT(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, query).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	start := time.Now()
	p := NewPostgres(t)
	t.Logf("PostgreSQL started in %v on %s", time.Since(start), p.DSN)
	ctx := ctxT(t)

	if p.Host != "127.0.0.1" || p.Port == 0 || !strings.Contains(p.DSN, "127.0.0.1:") {
		t.Fatalf("unexpected fields %+v", p)
	}
	if got := pgQueryString(t, p.DSN, "SHOW wal_level"); got != "logical" {
		t.Errorf("wal_level = %q, want logical", got)
	}
	if got := pgQueryString(t, p.DSN, "SHOW max_replication_slots"); got != "20" {
		t.Errorf("max_replication_slots = %q, want 20", got)
	}
	if got := pgQueryString(t, p.DSN, "SHOW server_encoding"); got != "UTF8" {
		t.Errorf("server_encoding = %q, want UTF8", got)
	}

	// A replication connection proves pg_hba allows replication over TCP.
	rc, err := pgconn.Connect(ctx, p.DSN+"&replication=database")
	if err != nil {
		t.Fatalf("replication connection: %v", err)
	}
	res, err := rc.Exec(ctx, "IDENTIFY_SYSTEM").ReadAll()
	if err != nil {
		t.Fatalf("IDENTIFY_SYSTEM: %v", err)
	}
	if len(res) != 1 || len(res[0].Rows) != 1 {
		t.Fatalf("IDENTIFY_SYSTEM returned %+v", res)
	}
	t.Logf("IDENTIFY_SYSTEM: systemid=%s timeline=%s xlogpos=%s dbname=%s",
		res[0].Rows[0][0], res[0].Rows[0][1], res[0].Rows[0][2], res[0].Rows[0][3])
	rc.Close(ctx)

	// CreateDatabase + Exec with and without arguments.
	dsn := p.CreateDatabase(t, "cdc test")
	if !strings.Contains(dsn, "/cdc%20test?") {
		t.Errorf("CreateDatabase DSN = %q", dsn)
	}
	if got := pgQueryString(t, dsn, "SELECT current_database()"); got != "cdc test" {
		t.Errorf("current_database = %q", got)
	}
	p.Exec(t, "CREATE TABLE kept (id int primary key, v text); INSERT INTO kept VALUES (1, 'a')")
	p.Exec(t, "INSERT INTO kept VALUES ($1, $2)", 2, "b")

	// Restart keeps port and data.
	port := p.Port
	start = time.Now()
	if err := p.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	t.Logf("PostgreSQL restarted in %v", time.Since(start))
	if p.Port != port {
		t.Errorf("port changed from %d to %d", port, p.Port)
	}
	if got := pgQueryString(t, p.DSN, "SELECT string_agg(v, ',' ORDER BY id) FROM kept"); got != "a,b" {
		t.Errorf("after restart rows = %q, want a,b", got)
	}
	if got := pgQueryString(t, dsn, "SELECT current_database()"); got != "cdc test" {
		t.Errorf("created database lost after restart: %q", got)
	}

	// Stop / Start.
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if conn, err := pgx.Connect(ctx, p.DSN); err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("Start on running server: %v", err)
	}
	p.Exec(t, "SELECT 1")
}

func TestPostgresSettings(t *testing.T) {
	t.Parallel()
	p := NewPostgres(t, PostgresOptions{Settings: map[string]string{"wal_level": "replica"}},
		PostgresOptions{Settings: map[string]string{"application_name": "testdb"}})
	if got := pgQueryString(t, p.DSN, "SHOW wal_level"); got != "replica" {
		t.Errorf("wal_level = %q, want replica", got)
	}
	if got := pgQueryString(t, p.DSN, "SHOW max_wal_senders"); got != "20" {
		t.Errorf("max_wal_senders = %q, want 20 (defaults must remain)", got)
	}
}

func TestPostgresBadSetting(t *testing.T) {
	t.Parallel()
	if _, err := findPostgresBinDir(); err != nil {
		skipOrFail(t, err)
	}
	_, err := StartPostgres(PostgresOptions{Settings: map[string]string{"no_such_setting": "1"}})
	if err == nil {
		t.Fatal("expected an error for an unknown setting")
	}
	if !strings.Contains(err.Error(), "no_such_setting") {
		t.Errorf("error does not include the server log: %v", err)
	}
}

func TestPostgresCloseRemovesDir(t *testing.T) {
	t.Parallel()
	p := NewPostgres(t) // for the skip logic; closed explicitly below
	dir := p.dir
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	assertGone(t, dir)
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func mariaVar(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var n, v string
	if err := db.QueryRow("SHOW VARIABLES LIKE '"+name+"'").Scan(&n, &v); err != nil {
		t.Fatalf("SHOW VARIABLES LIKE %s: %v", name, err)
	}
	return v
}

func openMaria(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMariaDB(t *testing.T) {
	t.Parallel()
	start := time.Now()
	m := NewMariaDB(t)
	t.Logf("MariaDB started in %v on %s", time.Since(start), m.DSN)

	if m.User != "root" || m.Password != "" || m.Addr != m.Host+":"+strconv.Itoa(m.Port) {
		t.Fatalf("unexpected fields %+v", m)
	}
	db := openMaria(t, m.DSN)
	for name, want := range map[string]string{
		"log_bin":             "ON",
		"binlog_format":       "ROW",
		"binlog_row_image":    "FULL",
		"binlog_row_metadata": "FULL",
		"log_slave_updates":   "ON",
		"server_id":           "1",
	} {
		if got := mariaVar(t, db, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := mariaVar(t, db, "gtid_domain_id"); got == "" {
		t.Error("gtid_domain_id missing")
	}

	m.Exec(t, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a')")
	m.Exec(t, "INSERT INTO t VALUES (?, ?)", 2, "b")
	var pos string
	if err := db.QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
		t.Fatal(err)
	}
	if pos == "" {
		t.Error("gtid_binlog_pos empty after writes")
	}
	t.Logf("gtid_binlog_pos = %s", pos)

	// Grants work (no --skip-grant-tables): a restricted user is restricted.
	m.Exec(t, "CREATE USER 'cdc'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON test.* TO 'cdc'@'%'")
	cdc := openMaria(t, "cdc:pw@tcp("+m.Addr+")/test")
	var n int
	if err := cdc.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Errorf("cdc user SELECT: n=%d err=%v", n, err)
	}
	_, err := cdc.Exec("SHOW BINARY LOGS")
	var myErr *mysql.MySQLError
	if !errors.As(err, &myErr) || myErr.Number != 1227 {
		t.Errorf("SHOW BINARY LOGS as restricted user: %v, want error 1227 (access denied)", err)
	}

	// CreateDatabase.
	dsn := m.CreateDatabase(t, "cdc_db")
	other := openMaria(t, dsn)
	var cur string
	if err := other.QueryRow("SELECT DATABASE()").Scan(&cur); err != nil || cur != "cdc_db" {
		t.Errorf("DATABASE() = %q, %v", cur, err)
	}
	if !strings.Contains(dsn, "parseTime=true") {
		t.Errorf("CreateDatabase DSN lost parameters: %s", dsn)
	}

	// Restart keeps port and data.
	port := m.Port
	start = time.Now()
	if err := m.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	t.Logf("MariaDB restarted in %v", time.Since(start))
	if m.Port != port {
		t.Errorf("port changed")
	}
	db2 := openMaria(t, m.DSN)
	if err := db2.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Errorf("after restart: n=%d err=%v", n, err)
	}

	if err := m.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := m.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	m.Exec(t, "SELECT 1")
}

func TestMariaDBArgs(t *testing.T) {
	t.Parallel()
	m := NewMariaDB(t, MariaDBOptions{Args: []string{"--binlog-format=STATEMENT"}})
	if got := mariaVar(t, openMaria(t, m.DSN), "binlog_format"); got != "STATEMENT" {
		t.Errorf("binlog_format = %q, want STATEMENT", got)
	}
}

func TestMariaDBSkipLogBin(t *testing.T) {
	t.Parallel()
	m := NewMariaDB(t, MariaDBOptions{Args: []string{"--skip-log-bin"}})
	if got := mariaVar(t, openMaria(t, m.DSN), "log_bin"); got != "OFF" {
		t.Errorf("log_bin = %q, want OFF", got)
	}
}

func TestMariaDBCloseRemovesDir(t *testing.T) {
	t.Parallel()
	m := NewMariaDB(t)
	dir := m.dir
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	assertGone(t, dir)
}

func TestRedis(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := NewRedis(t)
	t.Logf("Redis started in %v on %s", time.Since(start), r.Addr)
	line, err := dialLine(ctxT(t), r.Addr, "PING\r\n")
	if err != nil || line != "+PONG" {
		t.Fatalf("PING: %q %v", line, err)
	}
	dir := r.srv.dir
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, dir)
	if _, err := dialLine(ctxT(t), r.Addr, "PING\r\n"); err == nil {
		t.Error("Redis still answers after Close")
	}
}

func TestNATS(t *testing.T) {
	t.Parallel()
	start := time.Now()
	n := NewNATS(t)
	t.Logf("NATS started in %v on %s", time.Since(start), n.URL)
	addr := strings.TrimPrefix(n.URL, "nats://")
	line, err := dialLine(ctxT(t), addr, "")
	if err != nil || !strings.HasPrefix(line, "INFO ") {
		t.Fatalf("greeting: %q %v", line, err)
	}
	if !strings.Contains(line, `"jetstream":true`) {
		t.Errorf("JetStream not enabled: %s", line)
	}
	dir := n.srv.dir
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, dir)
}

// TestExternal runs serially (t.Setenv) before the parallel tests start.
func TestExternal(t *testing.T) {
	p, err := StartPostgres(PostgresOptions{})
	if errors.Is(err, ErrNotInstalled) {
		skipOrFail(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	t.Setenv(EnvPostgresDSN, p.DSN)
	ext := NewPostgres(t)
	if ext.Port != p.Port || ext.Host != "127.0.0.1" || ext.DSN != p.DSN {
		t.Errorf("external = %+v", ext)
	}
	for name, f := range map[string]func() error{"Restart": ext.Restart, "Stop": ext.Stop, "Start": ext.Start} {
		if err := f(); err == nil || !strings.Contains(err.Error(), "external") {
			t.Errorf("%s on external server: %v", name, err)
		}
	}
	if got := pgQueryString(t, ext.CreateDatabase(t, "ext_db"), "SELECT current_database()"); got != "ext_db" {
		t.Errorf("current_database = %q", got)
	}
	ext.CreateDatabase(t, "ext_db") // rerun-safe
	if _, err := StartPostgres(PostgresOptions{Settings: map[string]string{"wal_level": "replica"}}); err == nil ||
		!strings.Contains(err.Error(), EnvPostgresDSN) {
		t.Errorf("settings on external server: %v", err)
	}
	if err := ext.Close(); err != nil {
		t.Error(err)
	}
	p.Exec(t, "SELECT 1") // closing the external handle left the server alone

	t.Setenv(EnvMySQLDSN, "u:secret@tcp(db.example:3307)/x?parseTime=true")
	m, err := StartMariaDB(MariaDBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Host != "db.example" || m.Port != 3307 || m.User != "u" || m.Password != "secret" || m.Addr != "db.example:3307" {
		t.Errorf("external MariaDB = %+v", m)
	}
	if err := m.Restart(); err == nil {
		t.Error("Restart on external MariaDB succeeded")
	}
	if _, err := StartMariaDB(MariaDBOptions{Args: []string{"--skip-log-bin"}}); err == nil {
		t.Error("Args on external MariaDB accepted")
	}

	t.Setenv(EnvRedisAddr, "10.0.0.1:6379")
	if r, err := StartRedis(); err != nil || r.Addr != "10.0.0.1:6379" || r.Close() != nil {
		t.Errorf("external Redis: %+v %v", r, err)
	}
	t.Setenv(EnvNATSURL, "nats://10.0.0.1:4222")
	if n, err := StartNATS(); err != nil || n.URL != "nats://10.0.0.1:4222" || n.Close() != nil {
		t.Errorf("external NATS: %+v %v", n, err)
	}
}

func TestFindBinaryNotInstalled(t *testing.T) {
	t.Parallel()
	_, err := findBinary([]string{"tributary-no-such-server"}, "/nonexistent/tributary-no-such-server")
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
}

func TestVersionLess(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want bool
	}{{"9.6", "15", true}, {"15", "9.6", false}, {"14", "15", true}, {"15", "15", false}, {"16", "15", false}} {
		if got := versionLess(c.a, c.b); got != c.want {
			t.Errorf("versionLess(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestPgDSNWithDatabase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://u@h:5/postgres?sslmode=disable": "postgres://u@h:5/db?sslmode=disable",
		"host=h port=5 dbname=postgres":             "host=h port=5 dbname=postgres dbname='db'",
	} {
		got, err := pgDSNWithDatabase(in, "db")
		if err != nil || got != want {
			t.Errorf("pgDSNWithDatabase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestPortClashDetected(t *testing.T) {
	t.Parallel()
	bin, err := findBinary([]string{"redis-server"}, "/usr/bin/redis-server")
	if err != nil {
		skipOrFail(t, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	proc, err := startProcess(bin, []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir},
		dir, filepath.Join(dir, "server.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.kill()
	err = proc.waitReady(func(ctx context.Context) error {
		_, err := dialLine(ctx, l.Addr().String(), "PING\r\n")
		return err
	})
	if !errors.Is(err, errPortInUse) {
		t.Fatalf("err = %v, want errPortInUse", err)
	}
}

// skipOrFail skips a test whose server binary is missing, except under CI, where a
// missing server is a failure.
func skipOrFail(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(err)
	}
	t.Skip(err)
}
