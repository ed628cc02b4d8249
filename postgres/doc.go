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
//
// # Positions
//
//	{"v":1,"lsn":"0/16B3748"}                          after a transaction or heartbeat
//	{"v":1,"lsn":"0/16B3748","tx":"0/16C0000","n":1024} inside a large transaction
//
// The stream confirms to the server (standby status update, every StatusInterval and
// while the engine applies backpressure) only what the engine committed. Keepalives
// with nothing in flight become heartbeats that advance the position, so an idle
// database does not make the slot retain WAL forever.
//
// Values follow the mapping of package cdc; see decoderFor for the type-by-type details.
package postgres
