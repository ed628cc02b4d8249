// Package cdc is an embeddable Change Data Capture engine: point it at PostgreSQL,
// MySQL/MariaDB or MongoDB and receive every committed change as a typed Go value,
// with positions stored so that a restart resumes where it stopped. No Kafka, no JVM.
//
// # Quick start
//
//	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "orders", Publication: "orders"})
//	eng, err := cdc.NewEngine(src,
//		cdc.WithName("orders-sync"),
//		cdc.WithOffsetStore(offsets.NewFile("orders.offsets")))
//	err = eng.Run(ctx, func(ctx context.Context, ev cdc.Event) error {
//		order, err := cdc.Decode[Order](ev.After)
//		...
//	})
//
// or, as an iterator:
//
//	for ev, err := range eng.Events(ctx) {
//		if err != nil { return err }
//		...
//	}
//
// A Source (packages postgres, mysql, mongo; cdctest.Source is a scripted fake) opens
// Streams; the Engine reads them, runs Transforms, calls the handler and commits
// positions to an OffsetStore (package offsets: memory, file, SQL, Redis).
//
// # Delivery contract: at least once, no bookkeeping by the user
//
//  1. An event is handled when Run's handler returns nil for it (RunBatch: for its
//     batch), or when the body of a range loop over Events returns to the iterator for
//     the next event. A handler error, a panic, or a break stops the engine without
//     marking the current event.
//  2. Events dropped by a transform, and heartbeats, count as handled.
//  3. The committable position is the highest one such that every event before it is
//     handled and that is a safe resume point: the source sets Event.Position only on
//     events after which it can resume (transaction ends, or positions that record the
//     row index inside a transaction).
//  4. Every commit interval (WithCommitInterval) and when the engine stops, the engine
//     saves that position in the offset store, and only after the save succeeded tells
//     the source (Stream.Commit; PostgreSQL then confirms the LSN as flushed). Nothing is
//     ever confirmed to the database that the offset store does not hold.
//  5. On restart the engine loads the position and the source resumes after it.
//     Events after the last commit may be delivered again; none is ever lost. Each
//     event has a stable Event.ID so a sink can drop the duplicates.
//  6. For an exactly-once effect, save ev.Position in the sink's own database
//     transaction (offsets.SQL.SaveTx) and use WithOffsetsSavedByHandler.
//  7. Retryable faults (IsRetryable: lost connections, a restarting server) are handled
//     inside the engine: it reconnects with exponential backoff and resumes after the last
//     safe position it read, skipping events it already has, so a reconnect neither loses
//     nor reorders events. Only terminal errors reach the caller, once. One exception:
//     a snapshot interrupted by a server restart resumes under a new snapshot, and the
//     stream then replays changes from before it, so a row can briefly go back to an
//     older version (at least once, converging; see the source's documentation).
//
// Reading runs ahead of the handler through a queue bounded in events and bytes
// (WithQueueLimits): a slow handler slows the source instead of growing memory.
//
// # Positions
//
// Positions are opaque bytes to the engine, encoded by each source as small versioned
// JSON that an operator can read, e.g. {"v":1,"lsn":"0/16B3748"}. They are stored under
// the engine name (WithName); sources keep auxiliary state (the MySQL schema history)
// under keys derived from it (OpenRequest.AuxKey).
//
// # Value mapping
//
// All sources put the same Go types in rows:
//
//	integer types                 int64; unsigned 64-bit: uint64
//	float, double                 float64
//	numeric, decimal              Decimal (exact; NaN and ±Infinity kept)
//	char, varchar, text, enum     string (UTF-8, converted from the column charset)
//	set (MySQL)                   []string
//	binary, blob, bytea           []byte
//	date                          time.Time at UTC midnight; ±infinity: Infinity
//	time                          time.Duration since midnight (negative or >24h kept)
//	datetime, timestamp           time.Time in UTC, full precision; ±infinity: Infinity
//	interval                      Interval
//	json, jsonb                   json.RawMessage
//	uuid                          string (canonical)
//	arrays                        []any of mapped elements
//	documents (MongoDB)           map[string]any
//	unchanged TOAST value         Unchanged (a typed marker, never a magic string)
//	unknown or extension types    string (text form); the type name is in the schema
//	NULL                          nil
//
// Row gives typed access (Int64, String, Decimal, ...), Scan into a struct, and the
// generic Decode[T], both driven by `cdc:"column"` struct tags.
//
// # Observability
//
// Hooks (WithHooks) are optional interfaces called by the engine: HookEventRead (with
// lag behind the source), HookEventHandled, HookCommit, HookReconnect,
// HookSnapshotProgress, HookSourceStatus and HookStateChange. This package imports no
// metrics library; adapters implement the hooks they need. Engine.Stats returns a
// snapshot of the counters. Logging goes through a *slog.Logger (WithLogger), quiet by
// default, and never logs row values.
package cdc
