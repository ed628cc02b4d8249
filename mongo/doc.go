// Package mongo is a Tributary source for MongoDB: an initial snapshot of the captured
// collections, then change streams, with each event's own resume token as its position.
//
// # Set-up
//
// Change streams need a replica set or a sharded cluster (a one-member replica set is
// enough: mongod --replSet rs0, then rs.initiate()); against a standalone mongod, Open
// fails and says so. The user needs the find and changeStream actions on the captured
// namespaces (the built-in read role has both) and listDatabases to capture a whole
// deployment. Pre-images (Config.Before) and the whenAvailable / required post-images
// need MongoDB 6.0 and collections created or modified with
// changeStreamPreAndPostImages: {enabled: true}.
//
//	src, err := mongo.New(mongo.Config{
//		URI:         "mongodb://cdc:secret@db1,db2,db3/?replicaSet=rs0",
//		Collections: []string{"shop.orders", "shop.customers"},
//	})
//
// The capture scope is Collections (exact "db.coll" names), or Database, or the whole
// deployment (admin, config and local excepted), narrowed by IncludeDatabases,
// ExcludeDatabases, IncludeCollections and ExcludeCollections (path.Match patterns). The
// source opens the narrowest change stream that covers the scope (a collection, a
// database, or the deployment) and drops events of other namespaces on the client; it
// adds no pipeline stages, so every event's resume token stays the server's.
// ExcludeFields removes top-level fields ("db.coll.field") from Before and After.
//
// # Events
//
//	insert                    OpCreate, After = fullDocument
//	update                    OpUpdate, After = the post-image (see FullDocument),
//	                          Before = the pre-image when Config.Before and available
//	replace                   OpUpdate, Source.Extra["operationType"] = "replace"
//	delete                    OpDelete, Before = the pre-image when available
//	drop, rename, dropDatabase,
//	invalidate, create, ...   OpSchema, DDL = "drop shop.orders", "rename shop.a to shop.b", ...
//
// Key is {_id}. Source.Extra holds operationType, clusterTime (uint64, seconds << 32 |
// increment), and for updates updatedFields (map[string]any, dotted paths as MongoDB
// sends them), removedFields ([]string), truncatedArrays and disambiguatedPaths; inside
// transactions lsid and txnNumber too, and Source.TxID is "<lsid uuid>:<txnNumber>" with
// Source.TxOrder counting the transaction's events as they arrive. Source.CommitTime is
// wallTime (MongoDB 6.0+), or the clusterTime's seconds.
//
// FullDocument picks the post-image of updates: updateLookup (the default) reads the
// document when the server prepares the event, so it may already contain later changes
// (use updatedFields for the update's own values) or be missing when the document was
// deleted since; whenAvailable and required use the post-image recorded at write time;
// "default" sends none. Without a post-image, After is the key plus updatedFields, and
// Source.Extra["partial"] is true.
//
// When the watched collection (a collection stream) or database (a database stream)
// is dropped or renamed, MongoDB ends the stream with invalidate; the source delivers the
// drop/rename and invalidate events and reopens the stream after the invalidate event
// (startAfter), so capture goes on if the collection is created again.
//
// # Positions
//
//	{"v":1,"token":{"_data":"8265A1B2C4000000022B022C0100..."}}
//	{"v":1,"token":{...},"snapshot":{"done":["shop.a"],"coll":"shop.b","after":{"_id":{"$oid":"..."}}}}
//
// A streamed event's position is its own resume token (its _id), never the cursor's
// cached token: resuming after it (startAfter) delivers exactly the events after that
// one, also inside a transaction, where each event has its own token. The event ID is
// the token's _data. Heartbeat events carry the server's postBatchResumeToken while the
// stream is idle, or the token of the last event of another namespace, so the stored
// position keeps up with the oplog. Commit confirms nothing to the server: MongoDB keeps
// no per-consumer state, and the oplog is trimmed by size and age alone.
//
// A stream opened without a position and with snapshot mode never starts at the
// server's current point; as with the MySQL source, the source remembers, per engine
// name and for its lifetime, where its first such stream started, so a later stream
// without a position re-delivers from there (like a replication slot nobody confirmed).
//
// When the stored token is no longer in the oplog, Open fails with a *HistoryLostError
// (MongoDB's ChangeStreamHistoryLost, code 286), which wraps cdc.ErrPositionLost; with
// snapshot mode when_needed the source takes a new snapshot instead, also when a
// running stream falls off the oplog (the error is then retryable, and the reopened
// source finds the position lost).
//
// # Snapshots
//
// Before reading anything, the source opens the change stream and keeps its resume
// token (the postBatchResumeToken of the opening aggregate). It then reads every
// captured collection with find, sorted by _id, in collection-name order, and afterwards
// streams from that token. No write made during the copy is lost: each is in the stream.
// Writes made during the copy can be seen twice: in the document as the snapshot read
// it and again as a change event after the snapshot (documented overlap, like
// Debezium's). Until the stream passes the point where the snapshot ended, a document
// can therefore seem to go back to an earlier state; applying every event in order
// still ends at the collection's state, since every change after the snapshot's start
// is streamed, in order.
//
// Each read's position records the collections done and the last _id read (as
// canonical Extended JSON, exact for every BSON type), so a restart continues the
// snapshot after that _id, with the same start token. SnapshotParallelism reads that
// many collections at the same time; delivery stays in collection and _id order. The
// snapshot is not a point-in-time read (MongoDB's snapshot read concern is limited to
// minutes): the overlap above makes it consistent with the stream instead.
//
// # Values
//
//	BSON type                        Go value
//	double                           float64
//	int32, int64                     int64
//	decimal128                       cdc.Decimal (exact: 1.10 stays 1.10; NaN, ±Infinity kept)
//	string, symbol, javascript       string
//	objectId                         string (24 hex digits)
//	bool                             bool
//	date                             time.Time, UTC, millisecond precision
//	timestamp                        uint64: seconds << 32 | increment
//	binData subtype 4 (UUID)         string, canonical UUID
//	binData, other subtypes          []byte (subtype 3, legacy UUID, included: its byte order is driver-specific)
//	regex                            string "/pattern/options"
//	object                           map[string]any (nested field order is not kept; top-level order is, in Row)
//	array                            []any of mapped elements
//	null, undefined                  nil
//	minKey, maxKey                   string "MinKey", "MaxKey"
//	dbPointer                        string "<ns>.<oid hex>"
//
// The event schema (Event.Schema) is derived from each document's top-level fields and
// shared between documents of the same shape; _id is the primary key.
//
// # Errors and reconnects
//
// Open reports a standalone server, missing privileges (code 13), an invalid URI
// (cdc.ErrInvalidConfig, the password hidden) and, on a first start (no stored
// position), a collection of Collections that does not exist. While streaming, the
// driver resumes by itself once after a resumable error (network errors,
// CursorNotFound, errors labelled ResumableChangeStreamError), from the token of the
// last event it returned, which is the last event the source handed on; if that fails
// too, the error is returned as retryable and the engine reopens the source from its
// committed position.
//
// # Not done
//
// Sharded clusters are expected to work (the source treats a mongos like a replica set)
// but untested; shard keys in documentKey are not added to Key. No server-side $match
// filtering: scope filtering happens on the client. Large-event splitting
// ($changeStreamSplitLargeEvent) is not used: an event over 16 MiB fails the stream as
// MongoDB reports it. Snapshot reads of one collection are not split into parallel _id
// ranges. Views and time-series collections are not snapshotted.
//
// # Testing
//
// No MongoDB server can be installed on the machines this package is developed on.
// The end-to-end tests run, through the real driver over TCP, against the wire-protocol
// test server in internal/mongotest (its package documentation lists what it does not
// model), plus golden tests decoding change-event documents written after MongoDB's
// documentation (testdata). Set TRIBUTARY_TEST_MONGO_URI to a real replica set to run
// the same suite against it; fault tests that need control of the server process
// (restarts, oplog truncation, standalone and unauthorized modes) use the test server in
// both cases. The source has been verified against the test server only.
package mongo
