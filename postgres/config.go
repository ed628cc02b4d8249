package postgres

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/confcheck"
)

// Config configures a PostgreSQL source. ConnString, Slot and Publication are required.
type Config struct {
	// ConnString is a libpq connection string or URL. The user needs the REPLICATION
	// attribute (or superuser) and SELECT on the captured tables.
	ConnString string
	// Slot is the logical replication slot (created when missing unless NoCreate).
	Slot string
	// Publication is the publication whose tables are streamed (created when missing
	// unless NoCreate: for Tables when given, otherwise FOR ALL TABLES).
	Publication string
	// Tables limits capture to these tables, "schema.table", with path.Match patterns
	// ("public.order_*"). Empty: every table of the publication.
	Tables []string
	// ExcludeTables removes tables matched by Tables.
	ExcludeTables []string
	// ExcludeColumns drops columns from events: "schema.table.column", patterns allowed.
	ExcludeColumns []string
	// SnapshotMode: initial (default), never, initial_only, when_needed, always.
	SnapshotMode cdc.SnapshotMode
	// SnapshotChunkSize is how many rows a snapshot reads between resume points (default 1024).
	SnapshotChunkSize int
	// SnapshotParallelism is how many connections read the snapshot (default 1). Each
	// imports the same snapshot; they read the next tables, or the next key ranges of a
	// large table with a single integer key, ahead of delivery, which stays in table and
	// key order.
	SnapshotParallelism int
	// StatusInterval is how often the source reports its confirmed position to the
	// server, also while the handler is slow (default 10s; must be below the server's
	// wal_sender_timeout).
	StatusInterval time.Duration
	// HeartbeatInterval, when set, makes the source write a logical decoding message
	// (pg_logical_emit_message, prefix "tributary.heartbeat", not transactional) this
	// often, like Debezium's heartbeat action query. The message comes back through the
	// slot as a heartbeat that advances the position, even when the server sends no
	// keepalives; it is never delivered to handlers.
	HeartbeatInterval time.Duration
	// NoCreate forbids creating the slot and the publication: they must exist.
	NoCreate bool

	// TxMemory is how many bytes of not yet committed, streamed transactions the source
	// holds in memory (default 16 MiB). On PostgreSQL 14 and later the server streams a
	// transaction before it commits once it outgrows logical_decoding_work_mem; the source
	// buffers those changes until the commit arrives and spills them to an unlinked
	// temporary file beyond this budget, so a transaction of any size needs bounded RAM.
	TxMemory int64
	// SpillDir is where spill files go (default os.TempDir()).
	SpillDir string
	// NoTxStreaming turns protocol version 2 streaming of in-progress transactions off:
	// the server then keeps each transaction (spilling on its side) until it commits.
	NoTxStreaming bool
}

var identRe = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func (c *Config) validate() error {
	var errs []string
	if c.ConnString == "" {
		errs = append(errs, "ConnString is empty: set a connection string such as postgres://user@host/db")
	}
	if !identRe.MatchString(c.Slot) {
		errs = append(errs, fmt.Sprintf("Slot %q is not a valid slot name: use lower-case letters, digits and underscores", c.Slot))
	}
	if c.Publication == "" {
		errs = append(errs, "Publication is empty: name the publication to stream")
	}
	mode, msg := confcheck.SnapshotMode(c.SnapshotMode)
	if msg != "" {
		errs = append(errs, msg)
	}
	c.SnapshotMode = mode
	errs = append(errs, confcheck.Patterns(c.Tables, c.ExcludeTables, c.ExcludeColumns)...)
	for _, p := range append(append([]string{}, c.Tables...), c.ExcludeTables...) {
		if strings.Count(p, ".") != 1 {
			errs = append(errs, fmt.Sprintf("table %q must be schema-qualified: \"public.orders\"", p))
		}
	}
	for _, p := range c.ExcludeColumns {
		if strings.Count(p, ".") != 2 {
			errs = append(errs, fmt.Sprintf("column %q must be \"schema.table.column\"", p))
		}
	}
	if c.SnapshotChunkSize == 0 {
		c.SnapshotChunkSize = 1024
	}
	if c.SnapshotChunkSize < 0 {
		errs = append(errs, "SnapshotChunkSize is negative")
	}
	if c.SnapshotParallelism == 0 {
		c.SnapshotParallelism = 1
	}
	if c.SnapshotParallelism < 0 {
		errs = append(errs, "SnapshotParallelism is negative")
	}
	if c.StatusInterval == 0 {
		c.StatusInterval = 10 * time.Second
	}
	if c.StatusInterval < 0 {
		errs = append(errs, "StatusInterval is negative")
	}
	if c.HeartbeatInterval < 0 {
		errs = append(errs, "HeartbeatInterval is negative")
	}
	if c.TxMemory == 0 {
		c.TxMemory = 16 << 20
	}
	if c.TxMemory < 0 {
		errs = append(errs, "TxMemory is negative")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: postgres.Config: %s", cdc.ErrInvalidConfig, strings.Join(errs, "; "))
	}
	return nil
}

// captures reports whether the table "schema.name" is captured.
func (c *Config) captures(schema, name string) bool {
	full := schema + "." + name
	match := func(list []string) bool {
		for _, p := range list {
			if ok, _ := path.Match(p, full); ok {
				return true
			}
		}
		return false
	}
	return (len(c.Tables) == 0 || match(c.Tables)) && !match(c.ExcludeTables)
}

// excluded reports whether a column is excluded.
func (c *Config) excluded(schema, table, column string) bool {
	full := schema + "." + table + "." + column
	for _, p := range c.ExcludeColumns {
		if ok, _ := path.Match(p, full); ok {
			return true
		}
	}
	return false
}
