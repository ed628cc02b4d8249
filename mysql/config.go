package mysql

import (
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"path"
	"strings"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/confcheck"
)

// Config configures a MySQL / MariaDB source. Addr and User are required.
type Config struct {
	// Addr is the server's "host:port" (port 3306 when left out), or the path of its
	// unix socket.
	Addr string
	// User and Password log in. The user needs REPLICATION SLAVE and REPLICATION
	// CLIENT (MariaDB 10.5+: BINLOG MONITOR) on *.*, SELECT on the captured tables, and
	// on MySQL RELOAD for the snapshot's FLUSH TABLES WITH READ LOCK.
	User     string
	Password string
	// TLS, when set, encrypts both the query and the replication connection.
	TLS *tls.Config
	// ServerID is the id the source registers with as a replica. It must differ from
	// every server and replica of the topology: Open, and a running stream, fail with
	// an error naming it when another replica uses it (see the package documentation).
	// Default: a random id between 1,000,000 and 4,000,000,000, chosen by New.
	ServerID uint32

	// Databases limits capture to these databases (path.Match patterns, "shop_*").
	// Empty: every database except the system ones (mysql, information_schema,
	// performance_schema, sys).
	Databases []string
	// ExcludeDatabases removes databases matched by Databases.
	ExcludeDatabases []string
	// Tables limits capture to these tables, "db.table", patterns allowed ("shop.order_*").
	// Empty: every table of the captured databases.
	Tables []string
	// ExcludeTables removes tables matched by Tables.
	ExcludeTables []string
	// ExcludeColumns drops columns from events: "db.table.column", patterns allowed.
	ExcludeColumns []string

	// SnapshotMode: initial (default), never, initial_only, when_needed, always.
	SnapshotMode cdc.SnapshotMode
	// SnapshotChunkSize is how many rows one snapshot query reads, in primary-key order,
	// between resume points (default 1024).
	SnapshotChunkSize int
	// SnapshotParallelism is how many connections read the snapshot (default 1): each
	// takes the next table, or key range of a table with a single integer key (a few
	// ranges per reader), and tables and rows are still delivered in name and key
	// order. Above 1 the
	// readers' transactions start under a brief global read lock, also on MariaDB,
	// unless SnapshotLocking is LockTables or LockNone.
	SnapshotParallelism int
	// SnapshotLocking is how the snapshot finds the binlog position it is consistent
	// with (see the package documentation, "Snapshot locking"): LockAuto (default),
	// LockGlobal, LockTables or LockNone.
	SnapshotLocking SnapshotLocking

	// SkipUnparseableDDL logs and skips a DDL statement about a captured database that
	// the TiDB parser cannot read, instead of failing the stream with an error naming
	// the statement. The schema history then does not follow that statement: rows of
	// the tables it changed decode with the columns from before it (correct again with
	// binlog_row_metadata = FULL for the column names, signedness and ENUM/SET members).
	SkipUnparseableDDL bool

	// AllowPartialRowImages accepts a server with binlog_row_image MINIMAL or NOBLOB
	// (logged as a warning) instead of refusing it. Row images then hold only some
	// columns: the key (before images), the columns a statement set (after images),
	// or all but unchanged BLOB/TEXT columns (NOBLOB). A column missing from an
	// image is delivered as cdc.Unchanged{}, so Before of an update or delete may be
	// little more than the key.
	AllowPartialRowImages bool

	// HeartbeatPeriod is how often the server sends a heartbeat while it has no binlog
	// event to send (default 10s). An idle stream then still proves the connection is
	// alive, and the position of the changes to uncaptured tables is committed. A
	// connection silent for three periods is considered broken and is reopened.
	HeartbeatPeriod time.Duration
}

// systemDatabases are never captured.
var systemDatabases = map[string]bool{"mysql": true, "information_schema": true, "performance_schema": true, "sys": true}

func (c *Config) validate() error {
	var errs []string
	if c.Addr == "" {
		errs = append(errs, `Addr is empty: set the server address, "host:port"`)
	} else if _, _, err := net.SplitHostPort(c.Addr); err != nil && !strings.Contains(c.Addr, "/") { // not a socket path
		if strings.Count(c.Addr, ":") > 1 {
			errs = append(errs, fmt.Sprintf("Addr %q is not \"host:port\": write an IPv6 address in brackets, \"[::1]:3306\"", c.Addr))
		} else {
			c.Addr = net.JoinHostPort(c.Addr, "3306")
		}
	}
	if c.User == "" {
		errs = append(errs, "User is empty: name a user with the REPLICATION SLAVE and REPLICATION CLIENT privileges")
	}
	if c.ServerID == 0 {
		c.ServerID = 1_000_000 + uint32(rand.N(3_000_000_001))
	}
	mode, msg := confcheck.SnapshotMode(c.SnapshotMode)
	if msg != "" {
		errs = append(errs, msg)
	}
	c.SnapshotMode = mode
	if c.SnapshotParallelism == 0 {
		c.SnapshotParallelism = 1
	}
	if c.SnapshotParallelism < 0 {
		errs = append(errs, "SnapshotParallelism is negative: leave it 0 for one reader")
	}
	switch c.SnapshotLocking {
	case LockAuto, LockGlobal, LockTables, LockNone:
	default:
		errs = append(errs, fmt.Sprintf("SnapshotLocking %q is unknown: use \"\" (auto), global, tables or none", c.SnapshotLocking))
	}
	errs = append(errs, confcheck.Patterns(c.Databases, c.ExcludeDatabases, c.Tables, c.ExcludeTables, c.ExcludeColumns)...)
	for _, p := range c.Databases {
		if strings.Contains(p, ".") {
			errs = append(errs, fmt.Sprintf("Databases entry %q holds a dot: list database names there and \"db.table\" names in Tables", p))
		}
	}
	for _, p := range append(append([]string{}, c.Tables...), c.ExcludeTables...) {
		if strings.Count(p, ".") != 1 {
			errs = append(errs, fmt.Sprintf("table %q must be \"db.table\": \"shop.orders\"", p))
		}
	}
	for _, p := range c.ExcludeColumns {
		if strings.Count(p, ".") != 2 {
			errs = append(errs, fmt.Sprintf("ExcludeColumns entry %q must be \"db.table.column\"", p))
		}
	}
	if c.SnapshotChunkSize == 0 {
		c.SnapshotChunkSize = 1024
	}
	if c.SnapshotChunkSize < 0 {
		errs = append(errs, "SnapshotChunkSize is negative: leave it 0 for the default of 1024 rows")
	}
	if c.HeartbeatPeriod == 0 {
		c.HeartbeatPeriod = 10 * time.Second
	}
	if c.HeartbeatPeriod < 0 {
		errs = append(errs, "HeartbeatPeriod is negative: leave it 0 for the default of 10s")
	} else if c.HeartbeatPeriod < time.Millisecond {
		errs = append(errs, "HeartbeatPeriod is below the server's resolution of 1ms: use at least 1ms")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: mysql.Config: %s", cdc.ErrInvalidConfig, strings.Join(errs, "; "))
	}
	return nil
}

func matchAny(list []string, s string) bool {
	for _, p := range list {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// capturesDB reports whether tables of the database may be captured.
func (c *Config) capturesDB(db string) bool {
	if systemDatabases[strings.ToLower(db)] {
		return false
	}
	return (len(c.Databases) == 0 || matchAny(c.Databases, db)) && !matchAny(c.ExcludeDatabases, db)
}

// models reports whether the schema history keeps the tables of the database: a
// captured database that Tables (when set) names tables of.
func (c *Config) models(db string) bool {
	if !c.capturesDB(db) {
		return false
	}
	if len(c.Tables) == 0 {
		return true
	}
	for _, p := range c.Tables {
		if ok, _ := path.Match(p[:strings.IndexByte(p, '.')], db); ok {
			return true
		}
	}
	return false
}

// captures reports whether the table db.name is captured.
func (c *Config) captures(db, name string) bool {
	if !c.capturesDB(db) {
		return false
	}
	full := db + "." + name
	return (len(c.Tables) == 0 || matchAny(c.Tables, full)) && !matchAny(c.ExcludeTables, full)
}

// excluded reports whether a column is excluded.
func (c *Config) excluded(db, table, column string) bool {
	return matchAny(c.ExcludeColumns, db+"."+table+"."+column)
}

// SnapshotLocking says how a snapshot is made consistent with the binlog position the
// stream starts from.
type SnapshotLocking string

const (
	// LockAuto takes no lock on MariaDB (the transaction reports its own binlog
	// position) and a brief global read lock on MySQL.
	LockAuto SnapshotLocking = ""
	// LockGlobal holds FLUSH TABLES WITH READ LOCK while the snapshot transaction
	// starts and the position is read, then releases it (needs RELOAD).
	LockGlobal SnapshotLocking = "global"
	// LockTables holds LOCK TABLES ... READ on the captured tables for the whole
	// snapshot, for servers where a global lock is not allowed (needs LOCK TABLES):
	// writes to those tables wait until the snapshot ends.
	LockTables SnapshotLocking = "tables"
	// LockNone takes no lock. On MariaDB it is LockAuto. On MySQL the position is read
	// just before the snapshot transaction starts, so changes committed in between
	// are in the snapshot and streamed again after it (at least once, converging).
	LockNone SnapshotLocking = "none"
)
