package postgres

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/tributary-cdc/cdc"
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
	// StatusInterval is how often the source reports its confirmed position to the
	// server, also while the handler is slow (default 10s; must be below the server's
	// wal_sender_timeout).
	StatusInterval time.Duration
	// NoCreate forbids creating the slot and the publication: they must exist.
	NoCreate bool
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
	mode, err := cdc.ParseSnapshotMode(string(c.SnapshotMode))
	if err != nil {
		errs = append(errs, "SnapshotMode "+strings.TrimPrefix(err.Error(), cdc.ErrInvalidConfig.Error()+": "))
	}
	c.SnapshotMode = mode
	for _, list := range [][]string{c.Tables, c.ExcludeTables, c.ExcludeColumns} {
		for _, p := range list {
			if _, err := path.Match(p, ""); err != nil {
				errs = append(errs, fmt.Sprintf("pattern %q is malformed: %v", p, err))
			}
		}
	}
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
	if c.StatusInterval == 0 {
		c.StatusInterval = 10 * time.Second
	}
	if c.StatusInterval < 0 {
		errs = append(errs, "StatusInterval is negative")
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
