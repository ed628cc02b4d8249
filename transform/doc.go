// Package transform is the Debezium / Kafka Connect single-message-transform catalogue
// as cdc.Transform middleware.
//
// Transforms change an event in place before the handler sees it, in the order given
// to cdc.WithTransforms; a transform that drops an event marks it handled. Limit any
// transform to some events with When(predicate, t), and compose several with Chain.
//
// # Common rules
//
// Snapshot reads (cdc.OpRead) are treated like creates. Truncate, message and schema
// events pass through untouched unless a transform is about them (Route changes every
// event's destination; Filter decides them only with FilterAllEvents). NULL values
// (nil) and cdc.Unchanged markers (a TOAST value PostgreSQL did not send) are never
// converted: Cast and TimestampConverter leave them as they are, and a transform that
// needs a value it cannot know (PartitionKey on an unchanged column without an old
// value) returns an error rather than guess. Event.Schema is shared and read-only: it
// keeps describing the table as the database has it, whatever columns a transform
// adds, removes or renames.
//
// Arguments are checked at construction. Constructors that return an error wrap
// cdc.ErrInvalidConfig with a message that names the bad argument and the fix; their
// Must variants panic instead, for constants written in code. Constructors that do not
// return an error (Include, InsertStatic, Filter, Unwrap, ...) report bad arguments
// from every Apply, so the engine stops at the first event. Unwrap, the filters, the
// routers and the shaping transforms below are safe for concurrent use (one value may
// serve several engines), and compute what depends only on a table's columns (which
// columns to keep, where to add one) once per table and schema version, not per event.
//
// # Unwrapping
//
// Unwrap is Debezium's ExtractNewRecordState: the event keeps only the row's new state
// (After); deletes become tombstones (no Before, no After, Key kept), are dropped, or
// are rewritten with a "__deleted" column (DeleteMode). UnwrapAddFields and
// UnwrapAddHeaders copy source metadata (op, table, lsn, ts_ms, ...) into the row or the
// headers.
//
// # Filtering
//
// Filter keeps the events a Predicate matches (Tables, Ops, Expr, Not, All, Any),
// FilterFunc those a function accepts, and FilterExpr those a boolean event expression
// accepts. By default they decide row changes only. An expression that fails on an
// event stops the engine with an error naming the expression and the table, unless
// FilterOnError says otherwise: events are never dropped silently.
//
// # Routing
//
// Event.Destination names where an event goes (a topic, a stream, an index). Route
// rewrites it with a regular expression (Kafka Connect's RegexRouter: a full match,
// $1 references), RouteByField derives it from a column ("orders.${value}"), RouteByOp
// from the operation, and ContentRouter from the first of several expressions that
// holds. PartitionKey puts a stable FNV-1a hash of chosen columns (or the key) in the
// header HeaderPartitionKey, the same in every process and across restarts, so sinks
// can spread events over partitions while keeping each row's events in order.
//
// # Shaping
//
// Include and Exclude keep or drop columns of Before and After; Rename renames columns
// (in Key too); InsertStatic, InsertTimestamp and InsertSource add a column with a
// constant, the processing time or a source-metadata field; Cast converts columns to
// string, int64, float64, bool or cdc.Decimal; TimestampConverter converts a timestamp
// column between time.Time, Unix milliseconds and RFC 3339 text; Flatten lifts nested
// documents (map[string]any) and JSON objects (json.RawMessage) into top-level columns
// such as "address.city".
//
// # Privacy, outbox, computed and enriched columns, changed fields
//
// Mask, Hash, Truncate and Redact change named columns of Before and After (Hash also
// Key, since hashing keeps distinct values distinct); Outbox is Debezium's outbox event
// router (key = aggregate id, value = payload, header "id", destination from the
// aggregate type, "outbox.event.${routedByValue}" by default); Compute adds columns from
// expressions over the row with exact cdc.Decimal arithmetic; Enrich adds columns from a
// lookup function through a bounded LRU cache with a TTL and a failure policy;
// ChangedFields lists the changed (and optionally unchanged) columns of updates in the
// headers HeaderChangedFields and HeaderUnchangedFields. These are safe for concurrent
// use too.
//
// # Event expressions
//
// Expr, FilterExpr and ContentRouter take expressions in github.com/expr-lang/expr over
// the variables op ("c", "u", "d", "r", "t", "m", "s"), table ("namespace.table"),
// database, schema, name, key, before and after (rows as maps; nil when absent), source
// (connector, name, snapshot, ts_ms, tx_id, tx_order, lsn, commit_lsn, server_id, gtid,
// file, pos, row and any source-specific extra fields), destination and headers (first
// value per key). In expressions cdc.Decimal values are float64 and cdc.Unchanged
// values are nil. Guard optional values with ?. and ??: (after?.amount ?? 0) > 100.
// Expressions are compiled once, and each evaluation fills only the variables the
// expression reads.
package transform
