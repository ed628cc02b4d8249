package offsets

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/cdc"
)

// Dialect is the SQL dialect of the database an SQL store writes to.
type Dialect string

// The dialects.
const (
	Postgres Dialect = "postgres" // PostgreSQL, with a driver such as pgx ("pgx") or lib/pq
	MySQL    Dialect = "mysql"    // MySQL and MariaDB, with github.com/go-sql-driver/mysql
	MariaDB          = MySQL      // MariaDB speaks the MySQL dialect
)

// DefaultTable is the table SQL stores use when SQLConfig.Table is empty.
const DefaultTable = "tributary_offsets"

// SQLConfig configures an SQL store.
type SQLConfig struct {
	// Dialect is Postgres or MySQL (which covers MariaDB). Required.
	Dialect Dialect
	// Table is the table that holds the offsets: "name" or "schema.name" (for MySQL,
	// "database.name"), letters, digits and underscores, quoted as given (so case
	// matters in PostgreSQL). Default DefaultTable. It is created when missing.
	Table string
}

// SQL is an OffsetStore that keeps positions in a database table, one row per key:
//
//	-- PostgreSQL
//	CREATE TABLE tributary_offsets (
//	    "key"        varchar(255) PRIMARY KEY,
//	    "position"   bytea        NOT NULL,
//	    "updated_at" timestamptz  NOT NULL
//	)
//	-- MySQL, MariaDB
//	CREATE TABLE tributary_offsets (
//	    `key`        varbinary(255) NOT NULL PRIMARY KEY,
//	    `position`   longblob       NOT NULL,
//	    `updated_at` datetime(6)    NOT NULL -- UTC
//	) ENGINE=InnoDB
//
// The table is created by the first Load or Save that finds it missing (a failed
// attempt is retried by the next call), so the database user needs the right to create
// it, or an administrator creates it beforehand with the statement above. A Save is as
// durable as a committed transaction. In MySQL, values are limited by the server's
// max_allowed_packet (64 MB by default in MySQL 8, 16 MB in MariaDB).
//
// # Exactly-once sinks
//
// A sink that writes to the same database can store the position in its own transaction
// with SaveTx: the rows and the position then commit together, or not at all, so after a
// crash the engine resumes exactly after the last committed batch. Give the engine the
// same store (the same key, usually the engine name) so that it loads that position at
// start; the engine's own Save after the handler returns writes the same position again,
// which is harmless.
//
//	store, err := offsets.NewSQL(db, offsets.SQLConfig{Dialect: offsets.Postgres})
//	...
//	handler := func(ctx context.Context, ev *cdc.Event) error {
//		tx, err := db.BeginTx(ctx, nil)
//		if err != nil {
//			return err
//		}
//		defer tx.Rollback()
//		if _, err := tx.ExecContext(ctx, "INSERT INTO orders_copy ...", ...); err != nil {
//			return err
//		}
//		if ev.Position != nil {
//			if err := store.SaveTx(ctx, tx, "orders-sync", ev.Position); err != nil {
//				return err
//			}
//		}
//		return tx.Commit()
//	}
//
// The transaction must belong to the database the store was created with. When the
// table does not exist yet, SaveTx and LoadTx create it on another connection of the pool
// than the transaction's: with db.SetMaxOpenConns(1), call Load once before starting
// transactions.
type SQL struct {
	db      *sql.DB
	dialect Dialect
	table   string // as configured, for messages

	createQ, probeQ, loadQ, saveQ string

	ready atomic.Bool
	sem   chan struct{} // held while creating the table
}

var tableRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$`)

// NewSQL returns an SQL store writing to db. It does not touch the database: the table
// is created by the first Load or Save that needs it.
func NewSQL(db *sql.DB, cfg SQLConfig) (*SQL, error) {
	if db == nil {
		return nil, cdc.ConfigError("offsets.NewSQL db", "must not be nil: pass an open *sql.DB")
	}
	if cfg.Table == "" {
		cfg.Table = DefaultTable
	}
	if !tableRE.MatchString(cfg.Table) {
		return nil, cdc.ConfigError("SQLConfig.Table", fmt.Sprintf(
			"%q is not a valid table name: use \"name\" or \"schema.name\" made of letters, digits and underscores (at most 63 each), not starting with a digit",
			cfg.Table))
	}
	s := &SQL{db: db, dialect: cfg.Dialect, table: cfg.Table, sem: make(chan struct{}, 1)}
	var q func(string) string
	switch cfg.Dialect {
	case Postgres:
		q = func(id string) string { return `"` + id + `"` }
	case MySQL:
		q = func(id string) string { return "`" + id + "`" }
	default:
		return nil, cdc.ConfigError("SQLConfig.Dialect", fmt.Sprintf("%q is not supported: use offsets.Postgres or offsets.MySQL (also for MariaDB)", cfg.Dialect))
	}
	parts := strings.Split(cfg.Table, ".")
	for i, p := range parts {
		parts[i] = q(p)
	}
	t := strings.Join(parts, ".")
	key, pos, at := q("key"), q("position"), q("updated_at")
	s.probeQ = "SELECT " + key + ", " + pos + " FROM " + t + " WHERE 1 = 0"
	switch cfg.Dialect {
	case Postgres:
		s.createQ = "CREATE TABLE IF NOT EXISTS " + t + " (" +
			key + " varchar(255) PRIMARY KEY, " +
			pos + " bytea NOT NULL, " +
			at + " timestamptz NOT NULL DEFAULT now())"
		s.loadQ = "SELECT " + pos + " FROM " + t + " WHERE " + key + " = $1"
		s.saveQ = "INSERT INTO " + t + " (" + key + ", " + pos + ", " + at + ") VALUES ($1, $2, now()) " +
			"ON CONFLICT (" + key + ") DO UPDATE SET " + pos + " = EXCLUDED." + pos + ", " + at + " = EXCLUDED." + at
	case MySQL:
		s.createQ = "CREATE TABLE IF NOT EXISTS " + t + " (" +
			key + " VARBINARY(255) NOT NULL PRIMARY KEY, " +
			pos + " LONGBLOB NOT NULL, " +
			at + " DATETIME(6) NOT NULL) ENGINE=InnoDB"
		s.loadQ = "SELECT " + pos + " FROM " + t + " WHERE " + key + " = ?"
		s.saveQ = "INSERT INTO " + t + " (" + key + ", " + pos + ", " + at + ") VALUES (?, ?, UTC_TIMESTAMP(6)) " +
			"ON DUPLICATE KEY UPDATE " + pos + " = VALUES(" + pos + "), " + at + " = VALUES(" + at + ")"
	}
	return s, nil
}

// Table returns the name of the offsets table.
func (s *SQL) Table() string { return s.table }

// Load returns the position saved under key, or (nil, nil).
func (s *SQL) Load(ctx context.Context, key string) (cdc.Position, error) {
	var pos cdc.Position
	err := retry(ctx, func() (err error) {
		if err := s.prepare(ctx, key); err != nil {
			return err
		}
		pos, err = s.load(s.db.QueryRowContext(ctx, s.loadQ, key), key)
		return err
	})
	return pos, err
}

// Save stores pos under key, in a transaction of its own.
func (s *SQL) Save(ctx context.Context, key string, pos cdc.Position) error {
	return retry(ctx, func() error {
		if err := s.prepare(ctx, key); err != nil {
			return err
		}
		if _, err := s.db.ExecContext(ctx, s.saveQ, key, nonNil(pos)); err != nil {
			return fmt.Errorf("offsets: save %q to table %s: %w", key, s.table, err)
		}
		return nil
	})
}

// retry runs an idempotent statement up to three times. After a database restart the
// pool hands out connections the server has closed, and database/sql retries only
// those the driver reports as bad before use (PostgreSQL's 57P01 "terminating
// connection" arrives as a query error), so Load and Save try again on a new connection.
func retry(ctx context.Context, f func() error) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(attempt) * 50 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
		if err = f(); err == nil || ctx.Err() != nil || !transient(err) {
			return err
		}
	}
	// Still failing: the server is down or restarting. Marked retryable, the engine
	// keeps trying with its backoff instead of stopping.
	return cdc.Retryable(err)
}

// transient reports whether err is a lost or refused connection rather than a problem
// with the statement or the data: PostgreSQL SQLSTATE class 08 and 57P01-57P03
// (shutdown, crash, starting up), MySQL's class 08 (the SQLSTATE in its error text),
// driver.ErrBadConn, go-sql-driver's "invalid connection", and network errors.
func transient(err error) bool {
	if errors.Is(err, cdc.ErrCorruptOffsets) || errors.Is(err, cdc.ErrInvalidConfig) {
		return false
	}
	if cdc.IsRetryable(err) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		c := st.SQLState()
		return strings.HasPrefix(c, "08") || c == "57P01" || c == "57P02" || c == "57P03"
	}
	msg := err.Error()
	return mysqlConnState.MatchString(msg) || strings.Contains(msg, "invalid connection")
}

// mysqlConnState matches go-sql-driver's "Error 1053 (08S01): ..." for class 08.
var mysqlConnState = regexp.MustCompile(`Error \d+ \(08`)

// LoadTx is Load inside the caller's transaction: it sees positions the transaction
// saved but has not committed yet.
func (s *SQL) LoadTx(ctx context.Context, tx *sql.Tx, key string) (cdc.Position, error) {
	if tx == nil {
		return nil, errors.New("offsets: LoadTx: nil transaction")
	}
	if err := s.prepare(ctx, key); err != nil {
		return nil, err
	}
	return s.load(tx.QueryRowContext(ctx, s.loadQ, key), key)
}

// SaveTx stores pos under key inside the caller's transaction: the position is saved
// when, and only when, the transaction commits. See the SQL type for the exactly-once
// pattern. The table, when missing, is created outside the transaction.
func (s *SQL) SaveTx(ctx context.Context, tx *sql.Tx, key string, pos cdc.Position) error {
	if tx == nil {
		return errors.New("offsets: SaveTx: nil transaction")
	}
	if err := s.prepare(ctx, key); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.saveQ, key, nonNil(pos)); err != nil {
		return fmt.Errorf("offsets: save %q to table %s: %w", key, s.table, err)
	}
	return nil
}

func (s *SQL) load(row *sql.Row, key string) (cdc.Position, error) {
	var b sql.Null[[]byte]
	err := row.Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("offsets: load %q from table %s: %w", key, s.table, err)
	}
	if !b.Valid {
		return nil, fmt.Errorf("%w: table %s has a NULL position for key %q: delete the row to start over, which takes a new snapshot",
			cdc.ErrCorruptOffsets, s.table, key)
	}
	return clone(b.V), nil
}

func (s *SQL) prepare(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if s.ready.Load() {
		return nil
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.sem }()
	if s.ready.Load() {
		return nil
	}
	if s.probe(ctx) == nil {
		s.ready.Store(true)
		return nil
	}
	if _, err := s.db.ExecContext(ctx, s.createQ); err != nil {
		// Another process may have created it at the same time.
		if s.probe(ctx) == nil {
			s.ready.Store(true)
			return nil
		}
		return fmt.Errorf("offsets: create the offsets table %s (or create it beforehand, see offsets.SQL): %w", s.table, err)
	}
	s.ready.Store(true)
	return nil
}

// probe checks that the table exists with the columns the store uses.
func (s *SQL) probe(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, s.probeQ)
	if err != nil {
		return err
	}
	return rows.Close()
}

func nonNil(p cdc.Position) []byte {
	if p == nil {
		return []byte{}
	}
	return p
}

var _ cdc.OffsetStore = (*SQL)(nil)
