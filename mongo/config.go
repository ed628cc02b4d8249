package mongo

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/confcheck"
)

// Full-document modes for update events (Config.FullDocument).
const (
	// FullDocumentUpdateLookup reads the document's current version when the event is
	// delivered by the server (MongoDB's updateLookup): it may already include later
	// changes, or be missing when the document was deleted since.
	FullDocumentUpdateLookup = "updateLookup"
	// FullDocumentWhenAvailable uses the post-image recorded at write time when the
	// collection has changeStreamPreAndPostImages enabled (MongoDB 6.0+).
	FullDocumentWhenAvailable = "whenAvailable"
	// FullDocumentRequired is FullDocumentWhenAvailable, and the stream fails when a
	// post-image is missing.
	FullDocumentRequired = "required"
	// FullDocumentNone sends no post-image for updates: After has the key and the
	// updated fields only (Source.Extra["partial"] is true).
	FullDocumentNone = "default"
)

// Config configures a MongoDB source. URI is required.
type Config struct {
	// URI is a MongoDB connection string ("mongodb://user:pw@host1,host2/?replicaSet=rs0").
	// Change streams need a replica set or a sharded cluster. The user needs the find
	// and changeStream actions on the captured namespaces (the read role does), plus
	// listDatabases when capturing a whole deployment.
	URI string

	// Collections captures exactly these collections, "db.coll". With one collection the
	// source opens a collection change stream, with several of one database a database
	// stream, otherwise a deployment stream; events of other namespaces are dropped on
	// the client.
	Collections []string
	// Database captures every collection of one database. Ignored when Collections is set.
	// With neither, the whole deployment is captured (except admin, config and local).
	Database string

	// IncludeDatabases, ExcludeDatabases, IncludeCollections and ExcludeCollections
	// narrow the capture scope: databases by name, collections as "db.coll"; path.Match
	// patterns are allowed ("shop_*", "shop.tmp_*"). Empty include lists include all.
	IncludeDatabases   []string
	ExcludeDatabases   []string
	IncludeCollections []string
	ExcludeCollections []string
	// ExcludeFields drops top-level fields from events: "db.coll.field", patterns allowed.
	ExcludeFields []string

	// FullDocument is the post-image mode for updates (default FullDocumentUpdateLookup).
	FullDocument string
	// Before asks for pre-images (fullDocumentBeforeChange: whenAvailable) of updates,
	// replaces and deletes. MongoDB has them only for collections created or modified with
	// changeStreamPreAndPostImages: {enabled: true}; other events have no Before.
	Before bool

	// SnapshotMode: initial (default), never, initial_only, when_needed, always.
	SnapshotMode cdc.SnapshotMode
	// SnapshotParallelism is how many collections are read at the same time during a
	// snapshot (default 1). Delivery stays in collection and _id order.
	SnapshotParallelism int
	// BatchSize is the number of documents per server round trip, for snapshot reads
	// and change-stream batches (default 1000).
	BatchSize int32
	// MaxAwaitTime is how long the server holds an empty getMore on the change stream
	// (default 1s); the position advances at least this often on an idle deployment.
	MaxAwaitTime time.Duration
}

func (c *Config) validate() error {
	var errs []string
	if c.URI == "" {
		errs = append(errs, "URI is empty: set a connection string such as mongodb://host:27017/?replicaSet=rs0")
	} else if !strings.HasPrefix(c.URI, "mongodb://") && !strings.HasPrefix(c.URI, "mongodb+srv://") {
		errs = append(errs, fmt.Sprintf("URI %q must start with mongodb:// or mongodb+srv://", redact(c.URI)))
	}
	mode, msg := confcheck.SnapshotMode(c.SnapshotMode)
	if msg != "" {
		errs = append(errs, msg)
	}
	c.SnapshotMode = mode
	for _, ns := range c.Collections {
		db, coll, ok := strings.Cut(ns, ".")
		if !ok || db == "" || coll == "" {
			errs = append(errs, fmt.Sprintf("Collections entry %q must be \"db.coll\"", ns))
		}
		if strings.ContainsAny(ns, "*?[") {
			errs = append(errs, fmt.Sprintf("Collections entry %q has a pattern: list exact names, or use IncludeCollections for patterns", ns))
		}
	}
	if strings.ContainsAny(c.Database, "./ \"$*?[") {
		errs = append(errs, fmt.Sprintf("Database %q is not a database name", c.Database))
	}
	errs = append(errs, confcheck.Patterns(c.IncludeDatabases, c.ExcludeDatabases, c.IncludeCollections, c.ExcludeCollections, c.ExcludeFields)...)
	for _, p := range append(append([]string{}, c.IncludeCollections...), c.ExcludeCollections...) {
		if !strings.Contains(p, ".") {
			errs = append(errs, fmt.Sprintf("collection pattern %q must be \"db.coll\"", p))
		}
	}
	for _, p := range c.ExcludeFields {
		if strings.Count(p, ".") < 2 {
			errs = append(errs, fmt.Sprintf("ExcludeFields entry %q must be \"db.coll.field\"", p))
		}
	}
	switch c.FullDocument {
	case "":
		c.FullDocument = FullDocumentUpdateLookup
	case FullDocumentUpdateLookup, FullDocumentWhenAvailable, FullDocumentRequired, FullDocumentNone:
	default:
		errs = append(errs, fmt.Sprintf("FullDocument %q is unknown: use updateLookup, whenAvailable, required or default", c.FullDocument))
	}
	if c.SnapshotParallelism == 0 {
		c.SnapshotParallelism = 1
	}
	if c.SnapshotParallelism < 0 {
		errs = append(errs, "SnapshotParallelism is negative")
	}
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.BatchSize < 0 {
		errs = append(errs, "BatchSize is negative")
	}
	if c.MaxAwaitTime == 0 {
		c.MaxAwaitTime = time.Second
	}
	if c.MaxAwaitTime < 0 {
		errs = append(errs, "MaxAwaitTime is negative")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: mongo.Config: %s", cdc.ErrInvalidConfig, strings.Join(errs, "; "))
	}
	return nil
}

// redact hides a password in a URI for error messages.
func redact(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return uri
	}
	at := strings.LastIndex(rest, "@")
	slash := strings.Index(rest, "/")
	if at < 0 || slash >= 0 && slash < at {
		return uri
	}
	if user, _, ok := strings.Cut(rest[:at], ":"); ok {
		return scheme + "://" + user + ":xxxxx" + rest[at:]
	}
	return uri
}

func matchAny(list []string, s string) bool {
	for _, p := range list {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// captures reports whether the collection db.coll is in scope. coll "" asks about the
// database.
func (c *Config) captures(db, coll string) bool {
	if db == "admin" || db == "config" || db == "local" {
		return false
	}
	if len(c.IncludeDatabases) > 0 && !matchAny(c.IncludeDatabases, db) || matchAny(c.ExcludeDatabases, db) {
		return false
	}
	if c.Database != "" && len(c.Collections) == 0 && db != c.Database {
		return false
	}
	if coll == "" {
		if len(c.Collections) == 0 {
			return true
		}
		for _, ns := range c.Collections {
			if strings.HasPrefix(ns, db+".") {
				return true
			}
		}
		return false
	}
	ns := db + "." + coll
	if len(c.Collections) > 0 {
		found := false
		for _, x := range c.Collections {
			found = found || x == ns
		}
		if !found {
			return false
		}
	}
	return (len(c.IncludeCollections) == 0 || matchAny(c.IncludeCollections, ns)) && !matchAny(c.ExcludeCollections, ns)
}

// excludedField reports whether a top-level field is excluded.
func (c *Config) excludedField(db, coll, field string) bool {
	return len(c.ExcludeFields) > 0 && matchAny(c.ExcludeFields, db+"."+coll+"."+field)
}
