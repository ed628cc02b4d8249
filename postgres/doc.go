// Package postgres is a Tributary source that streams changes from PostgreSQL with
// logical replication and the built-in pgoutput plugin (PostgreSQL 10+; tested on 15).
//
//	src, err := postgres.New(postgres.Config{
//		ConnString:  "postgres://cdc@db/shop",
//		Slot:        "orders_sync",
//		Publication: "orders_sync",
//		Tables:      []string{"public.orders"},
//	})
//	eng, err := cdc.NewEngine(src, cdc.WithOffsetStore(offsets.NewFile("orders.offsets")))
//
// # Server set-up
//
// wal_level = logical (a restart is needed), and a role with the REPLICATION attribute
// and SELECT on the captured tables. The source creates the publication and the slot
// when they are missing, unless Config.NoCreate is set. Open names the fix for each
// problem it finds: wrong wal_level, missing privilege, a slot in use by another
// process, a slot gone while a position is stored (cdc.ErrPositionLost), a table not
// in the publication.
//
// # Snapshot and stream
//
// With no stored position (snapshot mode initial) the source creates the slot with an
// exported snapshot and reads the captured tables inside it, so streaming starts exactly
// where the snapshot ends. Tables are read in primary-key chunks; each chunk's last row
// carries a position, so a crash resumes the snapshot instead of restarting it. The
// exported snapshot dies with its connection: a resumed snapshot reads the remaining
// tables as they are then, and the stream replays from the slot's consistent point, so
// some changes arrive twice (at least once, converging to the right state). This also
// happens within one run when the server restarts during the snapshot: after the
// reconnect a row can go back to an older version until the stream catches up.
// Config.SnapshotParallelism adds readers on their own connections that import the same
// snapshot (pg_export_snapshot) and read the next tables, or the next key ranges of a
// table with a single integer key, ahead of delivery; rows still arrive in table and key
// order. The snapshot's first and last rows carry SourceInfo.Snapshot "first" and
// "last", like Debezium's.
//
// # Schema changes
//
// pgoutput sends a Relation message (names, types, replica-identity flags) before the
// first change of a table whose shape changed. When its columns, types, nullability,
// key or defaults differ from what the stream knew (after a snapshot: what the snapshot
// read), the source emits an OpSchema event and increments TableSchema.Version; the
// next change carries the new schema. Nullability, defaults and the primary key are not
// in the message: they are read from the catalog when it arrives (after waiting until
// the DDL's transaction is visible, which can trail its commit record by a moment). A
// consumer far behind therefore sees today's values of those three, like Debezium's
// connector does, and a column dropped since is reported nullable without a default.
// Versions count from 0 again after a restart.
//
// # Keys and Before
//
// Key is the primary key (the replica identity's columns for a table without one).
// Before depends on the table's REPLICA IDENTITY: FULL sends the whole old row;
// DEFAULT and USING INDEX send only the identity's columns, and only when an update
// changes them or on a delete: Before then holds just those columns, and an update
// that keeps them has no Before. A delete under USING INDEX is keyed by the index
// columns, the only ones sent.
//
// # Large transactions
//
// On PostgreSQL 14 and later the source asks for protocol version 2 with streaming of
// in-progress transactions: once a transaction outgrows the server's
// logical_decoding_work_mem, the server sends its changes before it commits, in blocks
// interleaved with other transactions. Nothing of it may be delivered before the commit,
// so the source keeps those changes, in memory up to Config.TxMemory (shared by all
// open transactions) and beyond that in an unlinked temporary file in Config.SpillDir.
// At the stream commit it replays them, in batches, as one transaction; a stream abort
// discards the transaction, a subtransaction abort (ROLLBACK TO SAVEPOINT) drops that
// subtransaction's changes. Changes are numbered the same whether a transaction was
// streamed or not, so the mid-transaction positions below resume either way. Measured:
// one transaction of a million inserts streams with a peak RSS under 100 MB.
// Config.NoTxStreaming falls back to protocol version 1, where the server holds each
// transaction until it commits.
//
// # Positions
//
//	{"v":1,"lsn":"0/16B3748"}                          after a transaction or heartbeat
//	{"v":1,"lsn":"0/16B3748","tx":"0/16C0000","n":1024} inside a large transaction
//
// The stream confirms to the server (standby status update, every StatusInterval and
// while the engine applies backpressure) only what the engine committed. Keepalives
// with nothing in flight become heartbeats that advance the position, so an idle
// database does not make the slot retain WAL forever. Config.HeartbeatInterval also
// writes a heartbeat message (pg_logical_emit_message) that comes back through the slot,
// for set-ups where keepalives are rare.
//
// Values follow the mapping of package cdc; see decoderFor for the type-by-type details.
package postgres
