package testdb

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EnvPostgresDSN names the environment variable that points the Postgres
// helpers at an existing server instead of starting one.
const EnvPostgresDSN = "TRIBUTARY_TEST_POSTGRES_DSN"

// pgDefaultSettings are passed as -c name=value to every server started here.
var pgDefaultSettings = map[string]string{
	"wal_level":             "logical",
	"max_replication_slots": "20",
	"max_wal_senders":       "20",
	"listen_addresses":      "127.0.0.1",
	"fsync":                 "off",
}

// pgHBA allows everything, including replication connections, without a
// password from loopback and the Unix socket.
const pgHBA = `# written by github.com/tributary-cdc/cdc/internal/testdb
local   all          all                  trust
host    all          all    127.0.0.1/32  trust
host    all          all    ::1/128       trust
local   replication  all                  trust
host    replication  all    127.0.0.1/32  trust
host    replication  all    ::1/128       trust
`

// Postgres is a running PostgreSQL server.
type Postgres struct {
	Host string // "127.0.0.1"
	Port int
	DSN  string // "postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable"

	server
	dataDir  string
	binDir   string
	runAs    *sysUser // nil: run as the current user
	settings map[string]string
}

// PostgresOptions configures StartPostgres / NewPostgres.
type PostgresOptions struct {
	// Settings are extra server settings passed as -c name=value; they
	// override the defaults (e.g. {"wal_level": "replica"}).
	Settings map[string]string
}

// NewPostgres starts a PostgreSQL server for the test and closes it in
// t.Cleanup. A missing installation skips the test (fails it when CI is set).
func NewPostgres(t testing.TB, opts ...PostgresOptions) *Postgres {
	t.Helper()
	var merged PostgresOptions
	for _, o := range opts {
		for k, v := range o.Settings {
			if merged.Settings == nil {
				merged.Settings = map[string]string{}
			}
			merged.Settings[k] = v
		}
	}
	p, err := StartPostgres(merged)
	if err != nil {
		handleStartErr(t, "PostgreSQL", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("closing PostgreSQL: %v", err)
		}
	})
	return p
}

// StartPostgres starts a PostgreSQL server in a fresh temporary directory,
// or describes the server named by TRIBUTARY_TEST_POSTGRES_DSN. The caller
// must call Close.
func StartPostgres(opts PostgresOptions) (*Postgres, error) {
	if dsn := os.Getenv(EnvPostgresDSN); dsn != "" {
		return externalPostgres(dsn, opts)
	}
	binDir, err := findPostgresBinDir()
	if err != nil {
		return nil, err
	}
	runAs, err := runAsUser("postgres")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tributary-pg-*")
	if err != nil {
		return nil, fmt.Errorf("testdb: %w", err)
	}
	settings := make(map[string]string, len(pgDefaultSettings)+len(opts.Settings)+2)
	for k, v := range pgDefaultSettings {
		settings[k] = v
	}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	settings["unix_socket_directories"] = dir
	p := &Postgres{
		Host:     "127.0.0.1",
		dataDir:  filepath.Join(dir, "data"),
		binDir:   binDir,
		runAs:    runAs,
		settings: settings,
	}
	p.server = server{name: "PostgreSQL", envVar: EnvPostgresDSN, dir: dir, stopSig: sigInterrupt, launch: p.launch,
		// Immediate shutdown: the data is thrown away anyway, and unlike SIGKILL it
		// lets the postmaster release its shared memory.
		closeProc: func(proc *process) { _ = proc.stop(sigQuit, 10*time.Second) }}
	if err := p.initdb(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := p.launchOnFreePort(p.setPort); err != nil {
		return nil, err
	}
	return p, nil
}

func externalPostgres(dsn string, opts PostgresOptions) (*Postgres, error) {
	if len(opts.Settings) > 0 {
		return nil, fmt.Errorf("testdb: cannot apply PostgreSQL settings %v: %s points at an external server; unset it to let the test start its own server", opts.Settings, EnvPostgresDSN)
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("testdb: parsing %s: %w", EnvPostgresDSN, err)
	}
	return &Postgres{Host: cfg.Host, Port: int(cfg.Port), DSN: dsn,
		server: server{name: "PostgreSQL", envVar: EnvPostgresDSN, external: true}}, nil
}

// findPostgresBinDir locates a directory holding both initdb and postgres:
// first via PATH, then the newest /usr/lib/postgresql/*/bin.
func findPostgresBinDir() (string, error) {
	if !platformSupported {
		return findBinary([]string{"postgres"})
	}
	hasBoth := func(dir string) bool {
		return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && hasBoth(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if hasBoth(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { // newest version first
		return versionLess(filepath.Base(filepath.Dir(dirs[j])), filepath.Base(filepath.Dir(dirs[i])))
	})
	for _, d := range dirs {
		if hasBoth(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: PostgreSQL initdb/postgres not found on PATH or in /usr/lib/postgresql/*/bin", ErrNotInstalled)
}

// versionLess compares dotted numeric versions ("9.6" < "15").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errx := strconv.Atoi(as[i])
		y, erry := strconv.Atoi(bs[i])
		if errx != nil || erry != nil {
			if as[i] != bs[i] {
				return as[i] < bs[i]
			}
			continue
		}
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

func (p *Postgres) setPort(port int) {
	p.Port = port
	p.settings["port"] = strconv.Itoa(port)
	p.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// initdb creates the cluster and installs a permissive pg_hba.conf.
func (p *Postgres) initdb() error {
	if err := chownAll(p.dir, p.runAs); err != nil {
		return fmt.Errorf("testdb: handing %s to user %s: %w", p.dir, p.runAs.name, err)
	}
	args := []string{"-D", p.dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"}
	if err := runLogged(filepath.Join(p.binDir, "initdb"), args, p.dir, filepath.Join(p.dir, "initdb.log"), p.runAs); err != nil {
		return err
	}
	hba := filepath.Join(p.dataDir, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte(pgHBA), 0o600); err != nil {
		return fmt.Errorf("testdb: writing pg_hba.conf: %w", err)
	}
	// Root-created log files and pg_hba.conf must be readable by the server.
	if err := chownAll(p.dir, p.runAs); err != nil {
		return fmt.Errorf("testdb: handing %s to user %s: %w", p.dir, p.runAs.name, err)
	}
	return nil
}

// launch starts the postmaster on p.Port and waits until it accepts
// connections. Must be called with p.mu held or before p is shared.
func (p *Postgres) launch() error {
	args := []string{"-D", p.dataDir}
	keys := make([]string, 0, len(p.settings))
	for k := range p.settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+p.settings[k])
	}
	proc, err := startProcess(filepath.Join(p.binDir, "postgres"), args, p.dir, filepath.Join(p.dir, "postgres.log"), p.runAs)
	if err != nil {
		return err
	}
	dsn := p.DSN
	err = proc.waitReady(func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
	if err != nil {
		proc.kill()
		return err
	}
	p.proc = proc
	return nil
}

// CreateDatabase (re)creates an empty database and returns a DSN for it.
// An existing database of that name is dropped first, so reruns against an
// external server work.
func (p *Postgres) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	ident := pgx.Identifier{name}.Sanitize()
	p.Exec(t, "DROP DATABASE IF EXISTS "+ident)
	p.Exec(t, "CREATE DATABASE "+ident)
	dsn, err := pgDSNWithDatabase(p.DSN, name)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return dsn
}

// Exec runs sql on the server's default database (postgres for servers
// started here) and fails the test on error. Without args, sql may hold
// several statements.
func (p *Postgres) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN)
	if err != nil {
		t.Fatalf("testdb: connecting to PostgreSQL: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("testdb: PostgreSQL exec %q: %v", sql, err)
	}
}

// pgDSNWithDatabase returns dsn (URL or keyword/value form) pointing at
// database db.
func pgDSNWithDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parsing DSN: %w", err)
		}
		u.Path = "/" + db
		u.RawPath = ""
		return u.String(), nil
	}
	// Keyword/value form: a later keyword overrides an earlier one.
	v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(db)
	return dsn + " dbname='" + v + "'", nil
}
