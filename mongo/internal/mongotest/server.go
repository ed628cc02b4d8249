// Package mongotest is a small MongoDB server for tests: it speaks the wire protocol
// (OP_MSG, and the legacy OP_QUERY of the driver's first handshake) over TCP to the real
// Go driver, acting as the primary of a one-member replica set, and keeps databases,
// collections and an oplog of change events in memory.
//
// What it models, after MongoDB's published documentation of change events and resume
// tokens:
//
//   - hello / isMaster as a replica-set primary ("rs0"), or as a standalone server
//     (Options.Standalone: no setName, and $changeStream fails with code 40573 like
//     MongoDB's "only supported on replica sets" error);
//   - aggregate with a single $changeStream stage on a collection, a database or the
//     whole deployment (admin, allChangesForCluster), with resumeAfter, startAfter,
//     startAtOperationTime, fullDocument (default, updateLookup, whenAvailable, required),
//     fullDocumentBeforeChange (off, whenAvailable, required) and showExpandedEvents (create
//     events); postBatchResumeToken on every batch; getMore waiting up to maxTimeMS for new
//     events; killCursors;
//   - change events insert, update (updateDescription with updatedFields and
//     removedFields; truncatedArrays is always empty), replace, delete, drop, rename,
//     dropDatabase and invalidate (collection streams on drop/rename of the collection,
//     database streams on dropDatabase), with clusterTime, wallTime, collectionUUID, and
//     lsid and txnNumber for writes of a transaction;
//   - resume tokens {_data: "<hex>"} opaque to clients; every event has its own, and one
//     transaction's events share a clusterTime but not a token. Resuming from a token
//     whose successors were removed with TruncateOplog fails with code 286
//     ChangeStreamHistoryLost, as MongoDB does when the oplog rolled over;
//   - find (filter {} or {_id: {$gt|$gte: v}}, sort by _id, limit, batchSize), count,
//     listDatabases, listCollections, and the writes insert, update (replacement documents
//     and $set, $unset, $inc on top-level fields; upsert), delete (by _id or all), drop,
//     dropDatabase, renameCollection, create and collMod (changeStreamPreAndPostImages);
//   - transactions: writes with lsid, txnNumber and autocommit:false are held until
//     commitTransaction and then applied atomically with one clusterTime;
//     abortTransaction discards them;
//   - faults: Stop and Start (a restart: data and oplog kept, cursors and connections
//     lost), DropConnections, TruncateOplog, and Options.Unauthorized (every data command
//     fails with code 13 Unauthorized).
//
// What it does not model: authentication and TLS, compression, other pipeline stages
// ($match, $project, ... are rejected with an error naming them), query operators
// beyond the above, indexes other than the unique _id, read and write concerns (every
// write is immediately majority-committed), read isolation inside transactions (reads
// see committed data only, writes are staged), sharding (no mongos, no shard keys in
// documentKey), elections and more than one member, the streaming (awaitable) hello
// protocol (it sends no topologyVersion, so the driver polls), oplog size limits (the
// oplog only shrinks through TruncateOplog), the real KeyString encoding of resume
// tokens, expanded events other than create, resharding, the updateDescription fields
// truncatedArrays (always empty) and disambiguatedPaths (absent), updates of nested
// fields (dotted paths are rejected), views, retryable-write deduplication (a write
// retried after a lost reply is applied again), and $changeStreamSplitLargeEvent.
package mongotest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Options configure a Server.
type Options struct {
	// Standalone makes the server answer hello as a standalone mongod: change streams
	// are refused.
	Standalone bool
	// Unauthorized makes every data command fail with code 13 Unauthorized, like a user
	// without the changeStream / find privileges.
	Unauthorized bool
}

// Server is a MongoDB test server. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	addr string

	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	dbs     map[string]map[string]*collection
	oplog   []*entry
	lastSeq uint64 // seq of the newest entry ever written
	firstIn uint64 // seq of the oldest entry kept (lastSeq+1 when none)
	lostTS  bson.Timestamp
	ts      bson.Timestamp
	cursors map[int64]*cursor
	txns    map[string]*txn
	changed chan struct{} // closed and replaced when the oplog grows or the server stops
}

type collection struct {
	uuid    [16]byte
	prePost bool
	docs    map[string]bson.D
}

// entry is one change in the oplog.
type entry struct {
	seq       uint64
	ts        bson.Timestamp
	wall      time.Time
	op        string // insert, update, replace, delete, drop, rename, dropDatabase, create
	db, coll  string
	uuid      [16]byte
	id        any    // _id of the document
	post, pre bson.D // images, kept when the collection has pre- and post-images on, or always for insert/replace
	prePost   bool
	updated   bson.D
	removed   []string
	toDB      string
	toColl    string
	lsid      bson.D
	txnNumber int64
}

type txn struct {
	cmds []staged
}

type staged struct {
	db  string
	cmd bson.D
}

var reqID atomic.Int32

func nextID() int32 { return reqID.Add(1) }

// Start starts a server on a free loopback port; t's cleanup stops it.
func Start(t testing.TB, opts ...Options) *Server {
	t.Helper()
	s := &Server{dbs: map[string]map[string]*collection{}, cursors: map[int64]*cursor{}, txns: map[string]*txn{},
		conns: map[net.Conn]struct{}{}, changed: make(chan struct{}), firstIn: 1}
	if len(opts) > 0 {
		s.opts = opts[0]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mongotest: %v", err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URI is a connection string for the driver. The heartbeat is fast so that the driver
// notices a restart quickly.
func (s *Server) URI() string {
	if s.opts.Standalone {
		return "mongodb://" + s.addr + "/?heartbeatFrequencyMS=500"
	}
	return "mongodb://" + s.addr + "/?replicaSet=rs0&heartbeatFrequencyMS=500"
}

func (s *Server) serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.ln != ln {
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.handle(c)
			}()
		}
	}()
}

// Stop stops the server like a shutdown: connections and cursors are gone, the data and
// the oplog are kept for Start.
func (s *Server) Stop() {
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		c.Close()
	}
	s.cursors = map[int64]*cursor{}
	s.txns = map[string]*txn{}
	s.wake()
	s.mu.Unlock()
	s.wg.Wait()
}

// Start restarts a stopped server on the same address.
func (s *Server) Start() error {
	var ln net.Listener
	var err error
	for range 50 { // the port may linger briefly after Stop
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("mongotest: restart on %s: %w", s.addr, err)
	}
	s.serve(ln)
	return nil
}

// DropConnections closes every client connection, as a network fault would.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// TruncateOplog removes every oplog entry older than the newest n, as the capped oplog
// does when it rolls over: resuming before them fails with ChangeStreamHistoryLost.
func (s *Server) TruncateOplog(keep int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if keep < 0 {
		keep = 0
	}
	if len(s.oplog) <= keep {
		return
	}
	cut := len(s.oplog) - keep
	s.lostTS = s.oplog[cut-1].ts
	s.oplog = append([]*entry(nil), s.oplog[cut:]...)
	if len(s.oplog) > 0 {
		s.firstIn = s.oplog[0].seq
	} else {
		s.firstIn = s.lastSeq + 1
	}
}

// OplogLen is the number of change entries kept.
func (s *Server) OplogLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.oplog)
}

// wake tells waiting getMores that something changed. Called with mu held.
func (s *Server) wake() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// tick returns a new cluster time. Called with mu held.
func (s *Server) tick() bson.Timestamp {
	now := uint32(time.Now().Unix())
	if now > s.ts.T {
		s.ts = bson.Timestamp{T: now, I: 1}
	} else {
		s.ts.I++
	}
	return s.ts
}

func (s *Server) appendEntry(e *entry) {
	s.lastSeq++
	e.seq = s.lastSeq
	if e.wall.IsZero() {
		e.wall = time.Now()
	}
	if len(s.oplog) == 0 {
		s.firstIn = e.seq
	}
	s.oplog = append(s.oplog, e)
}

func (s *Server) handle(c net.Conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	for {
		req, err := readRequest(c)
		if err != nil {
			return
		}
		reply := s.dispatch(req)
		if reply == nil { // connection closed by the server while waiting
			return
		}
		if err := writeReply(c, req, reply); err != nil {
			return
		}
	}
}

// cmdError is a server error reply.
type cmdError struct {
	code   int32
	name   string
	msg    string
	labels []string
}

func (e *cmdError) Error() string { return e.msg }

func errorf(code int32, name, format string, args ...any) *cmdError {
	return &cmdError{code: code, name: name, msg: fmt.Sprintf(format, args...)}
}

func (s *Server) dispatch(req *request) bson.D {
	if len(req.cmd) == 0 {
		return s.errReply(errorf(59, "CommandNotFound", "empty command"))
	}
	name := req.cmd[0].Key
	var reply bson.D
	var err error
	switch name {
	case "hello", "isMaster", "ismaster":
		reply = s.hello()
	case "ping", "endSessions", "buildInfo", "buildinfo", "getParameter":
		reply = bson.D{{Key: "version", Value: "7.0.0"}, {Key: "versionArray", Value: bson.A{int32(7), int32(0), int32(0), int32(0)}}}
	default:
		if s.opts.Unauthorized {
			err = errorf(13, "Unauthorized", "not authorized on %s to execute command { %s: ... }", req.db, name)
			break
		}
		reply, err = s.command(req, name)
	}
	if err != nil {
		var ce *cmdError
		if !errors.As(err, &ce) {
			ce = errorf(8000, "InternalError", "%v", err)
		}
		return s.errReply(ce)
	}
	if reply == nil {
		return nil
	}
	return s.ok(reply)
}

func (s *Server) ok(reply bson.D) bson.D {
	s.mu.Lock()
	ts := s.ts
	s.mu.Unlock()
	reply = append(reply, bson.E{Key: "ok", Value: 1.0})
	if !s.opts.Standalone {
		reply = append(reply, bson.E{Key: "operationTime", Value: ts}, bson.E{Key: "$clusterTime", Value: clusterTime(ts)})
	}
	return reply
}

func clusterTime(ts bson.Timestamp) bson.D {
	return bson.D{{Key: "clusterTime", Value: ts}, {Key: "signature", Value: bson.D{
		{Key: "hash", Value: bson.Binary{Data: make([]byte, 20)}}, {Key: "keyId", Value: int64(0)}}}}
}

func (s *Server) errReply(e *cmdError) bson.D {
	d := bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: e.msg}, {Key: "code", Value: e.code}, {Key: "codeName", Value: e.name}}
	if len(e.labels) > 0 {
		labels := bson.A{}
		for _, l := range e.labels {
			labels = append(labels, l)
		}
		d = append(d, bson.E{Key: "errorLabels", Value: labels})
	}
	return d
}

func (s *Server) hello() bson.D {
	s.mu.Lock()
	ts := s.ts
	s.mu.Unlock()
	d := bson.D{
		{Key: "helloOk", Value: true},
		{Key: "ismaster", Value: true},
		{Key: "isWritablePrimary", Value: true},
		{Key: "maxBsonObjectSize", Value: int32(16 << 20)},
		{Key: "maxMessageSizeBytes", Value: int32(maxMessage)},
		{Key: "maxWriteBatchSize", Value: int32(100000)},
		{Key: "localTime", Value: bson.NewDateTimeFromTime(time.Now())},
		{Key: "logicalSessionTimeoutMinutes", Value: int32(30)},
		{Key: "connectionId", Value: int32(1)},
		{Key: "minWireVersion", Value: int32(0)},
		{Key: "maxWireVersion", Value: int32(21)},
		{Key: "readOnly", Value: false},
	}
	if !s.opts.Standalone {
		oid, _ := bson.ObjectIDFromHex("7fffffff0000000000000001")
		d = append(d,
			bson.E{Key: "hosts", Value: bson.A{s.addr}},
			bson.E{Key: "setName", Value: "rs0"},
			bson.E{Key: "setVersion", Value: int32(1)},
			bson.E{Key: "secondary", Value: false},
			bson.E{Key: "primary", Value: s.addr},
			bson.E{Key: "me", Value: s.addr},
			bson.E{Key: "electionId", Value: oid},
			bson.E{Key: "lastWrite", Value: bson.D{
				{Key: "opTime", Value: bson.D{{Key: "ts", Value: ts}, {Key: "t", Value: int64(1)}}},
				{Key: "lastWriteDate", Value: bson.NewDateTimeFromTime(time.Now())},
			}},
		)
	}
	return d
}

func (s *Server) command(req *request, name string) (bson.D, error) {
	cmd := req.cmd
	if lsid, ok := get(cmd, "lsid").(bson.D); ok && get(cmd, "autocommit") == false && name != "commitTransaction" && name != "abortTransaction" {
		return s.stage(req.db, cmd, lsid)
	}
	switch name {
	case "aggregate":
		return s.aggregate(req.db, cmd)
	case "getMore":
		return s.getMore(cmd)
	case "killCursors":
		return s.killCursors(cmd)
	case "find":
		return s.find(req.db, cmd)
	case "count":
		return s.count(req.db, cmd)
	case "listDatabases":
		return s.listDatabases()
	case "listCollections":
		return s.listCollections(req.db, cmd)
	case "commitTransaction":
		return s.commit(cmd)
	case "abortTransaction":
		return s.abort(cmd)
	case "insert", "update", "delete", "drop", "dropDatabase", "renameCollection", "create", "collMod":
		s.mu.Lock()
		defer s.mu.Unlock()
		ts := s.tick()
		reply, err := s.write(req.db, cmd, ts, nil, 0)
		s.wake()
		return reply, err
	}
	return nil, errorf(59, "CommandNotFound", "no such command: '%s' (mongotest does not model it)", name)
}

func txnKey(lsid bson.D, n int64) string {
	id, _ := get(lsid, "id").(bson.Binary)
	return hex.EncodeToString(id.Data) + ":" + strconv.FormatInt(n, 10)
}

func (s *Server) stage(db string, cmd bson.D, lsid bson.D) (bson.D, error) {
	n := asInt(get(cmd, "txnNumber"))
	key := txnKey(lsid, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.txns[key]
	if t == nil {
		if get(cmd, "startTransaction") != true {
			return nil, &cmdError{code: 251, name: "NoSuchTransaction", msg: "Transaction " + strconv.FormatInt(n, 10) + " has been aborted.",
				labels: []string{"TransientTransactionError"}}
		}
		t = &txn{}
		s.txns[key] = t
	}
	switch cmd[0].Key {
	case "insert", "update", "delete":
	default:
		return nil, errorf(263, "OperationNotSupportedInTransaction", "mongotest: %s inside a transaction is not modeled", cmd[0].Key)
	}
	t.cmds = append(t.cmds, staged{db: db, cmd: cmd})
	// The reply counts what the write will do; it is applied at commit.
	var count int
	for _, k := range []string{"documents", "updates", "deletes"} {
		if a, ok := get(cmd, k).(bson.A); ok {
			count += len(a)
		}
	}
	return bson.D{{Key: "n", Value: int32(count)}, {Key: "nModified", Value: int32(count)}}, nil
}

func (s *Server) commit(cmd bson.D) (bson.D, error) {
	lsid, _ := get(cmd, "lsid").(bson.D)
	n := asInt(get(cmd, "txnNumber"))
	key := txnKey(lsid, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.txns[key]
	if t == nil {
		return bson.D{}, nil // a retried commit of a committed transaction
	}
	delete(s.txns, key)
	ts := s.tick()
	for _, st := range t.cmds {
		if _, err := s.write(st.db, st.cmd, ts, lsid, n); err != nil {
			return nil, err
		}
	}
	s.wake()
	return bson.D{}, nil
}

func (s *Server) abort(cmd bson.D) (bson.D, error) {
	lsid, _ := get(cmd, "lsid").(bson.D)
	s.mu.Lock()
	delete(s.txns, txnKey(lsid, asInt(get(cmd, "txnNumber"))))
	s.mu.Unlock()
	return bson.D{}, nil
}

func (s *Server) coll(db, name string, create bool) *collection {
	colls := s.dbs[db]
	if colls == nil {
		if !create {
			return nil
		}
		colls = map[string]*collection{}
		s.dbs[db] = colls
	}
	c := colls[name]
	if c == nil && create {
		c = &collection{docs: map[string]bson.D{}}
		copy(c.uuid[:], bson.NewObjectID().Hex())
		colls[name] = c
	}
	return c
}

// write applies a write command with the cluster time ts; lsid is set inside a
// transaction. Called with mu held.
func (s *Server) write(db string, cmd bson.D, ts bson.Timestamp, lsid bson.D, txnNumber int64) (bson.D, error) {
	name := cmd[0].Key
	collName, _ := cmd[0].Value.(string)
	add := func(e *entry) {
		e.ts, e.db, e.lsid, e.txnNumber = ts, db, lsid, txnNumber
		if e.coll == "" {
			e.coll = collName
		}
		s.appendEntry(e)
	}
	switch name {
	case "insert":
		c := s.coll(db, collName, true)
		docs, _ := get(cmd, "documents").(bson.A)
		n := 0
		var writeErrs bson.A
		for i, d := range docs {
			doc, _ := d.(bson.D)
			if get(doc, "_id") == nil {
				doc = append(bson.D{{Key: "_id", Value: bson.NewObjectID()}}, doc...)
			}
			k := idKey(get(doc, "_id"))
			if _, dup := c.docs[k]; dup {
				writeErrs = append(writeErrs, bson.D{{Key: "index", Value: int32(i)}, {Key: "code", Value: int32(11000)},
					{Key: "errmsg", Value: fmt.Sprintf("E11000 duplicate key error collection: %s.%s index: _id_ dup key: { _id: %v }", db, collName, get(doc, "_id"))}})
				break
			}
			c.docs[k] = doc
			add(&entry{op: "insert", uuid: c.uuid, id: get(doc, "_id"), post: doc, prePost: c.prePost})
			n++
		}
		r := bson.D{{Key: "n", Value: int32(n)}}
		if len(writeErrs) > 0 {
			r = append(r, bson.E{Key: "writeErrors", Value: writeErrs})
		}
		return r, nil
	case "update":
		c := s.coll(db, collName, true)
		ups, _ := get(cmd, "updates").(bson.A)
		var n, nMod int32
		var upserted bson.A
		for i, u := range ups {
			stmt, _ := u.(bson.D)
			q, _ := get(stmt, "q").(bson.D)
			change, ok := get(stmt, "u").(bson.D)
			if !ok {
				return nil, errorf(2, "BadValue", "mongotest: update %v: only replacement documents and $set/$unset/$inc are modeled", get(stmt, "u"))
			}
			ids, err := s.match(c, q)
			if err != nil {
				return nil, err
			}
			if len(ids) == 0 && get(stmt, "upsert") == true {
				id := get(q, "_id")
				if id == nil {
					id = bson.NewObjectID()
				}
				doc, err := applyUpdate(bson.D{{Key: "_id", Value: id}}, change)
				if err != nil {
					return nil, err
				}
				c.docs[idKey(id)] = doc
				add(&entry{op: "insert", uuid: c.uuid, id: id, post: doc, prePost: c.prePost})
				upserted = append(upserted, bson.D{{Key: "index", Value: int32(i)}, {Key: "_id", Value: id}})
				n++
				continue
			}
			if get(stmt, "multi") != true && len(ids) > 1 {
				ids = ids[:1]
			}
			for _, k := range ids {
				old := c.docs[k]
				doc, err := applyUpdate(old, change)
				if err != nil {
					return nil, err
				}
				n++
				if bytesEqual(old, doc) {
					continue
				}
				nMod++
				c.docs[k] = doc
				e := &entry{op: "replace", uuid: c.uuid, id: get(doc, "_id"), post: doc, pre: old, prePost: c.prePost}
				if isOperators(change) {
					e.op = "update"
					e.updated, e.removed = diff(old, doc)
				}
				add(e)
			}
		}
		r := bson.D{{Key: "n", Value: n}, {Key: "nModified", Value: nMod}}
		if len(upserted) > 0 {
			r = append(r, bson.E{Key: "upserted", Value: upserted})
		}
		return r, nil
	case "delete":
		c := s.coll(db, collName, false)
		dels, _ := get(cmd, "deletes").(bson.A)
		var n int32
		for _, d := range dels {
			stmt, _ := d.(bson.D)
			if c == nil {
				continue
			}
			q, _ := get(stmt, "q").(bson.D)
			ids, err := s.match(c, q)
			if err != nil {
				return nil, err
			}
			if asInt(get(stmt, "limit")) == 1 && len(ids) > 1 {
				ids = ids[:1]
			}
			for _, k := range ids {
				old := c.docs[k]
				delete(c.docs, k)
				add(&entry{op: "delete", uuid: c.uuid, id: get(old, "_id"), pre: old, prePost: c.prePost})
				n++
			}
		}
		return bson.D{{Key: "n", Value: n}}, nil
	case "create":
		if s.coll(db, collName, false) != nil {
			return nil, errorf(48, "NamespaceExists", "Collection %s.%s already exists.", db, collName)
		}
		c := s.coll(db, collName, true)
		if pp, ok := get(cmd, "changeStreamPreAndPostImages").(bson.D); ok {
			c.prePost = get(pp, "enabled") == true
		}
		add(&entry{op: "create", uuid: c.uuid})
		return bson.D{}, nil
	case "collMod":
		c := s.coll(db, collName, false)
		if c == nil {
			return nil, errorf(26, "NamespaceNotFound", "ns does not exist: %s.%s", db, collName)
		}
		if pp, ok := get(cmd, "changeStreamPreAndPostImages").(bson.D); ok {
			c.prePost = get(pp, "enabled") == true
		}
		return bson.D{}, nil
	case "drop":
		c := s.coll(db, collName, false)
		if c == nil {
			return bson.D{}, nil // MongoDB 7 drops a missing collection silently
		}
		delete(s.dbs[db], collName)
		add(&entry{op: "drop", uuid: c.uuid})
		return bson.D{{Key: "ns", Value: db + "." + collName}}, nil
	case "dropDatabase":
		colls := s.dbs[db]
		names := make([]string, 0, len(colls))
		for n := range colls {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			add(&entry{op: "drop", coll: n, uuid: colls[n].uuid})
		}
		delete(s.dbs, db)
		add(&entry{op: "dropDatabase", coll: "-"})
		return bson.D{{Key: "dropped", Value: db}}, nil
	case "renameCollection":
		from, _ := cmd[0].Value.(string)
		to, _ := get(cmd, "to").(string)
		fdb, fcoll, ok1 := strings.Cut(from, ".")
		tdb, tcoll, ok2 := strings.Cut(to, ".")
		if !ok1 || !ok2 {
			return nil, errorf(73, "InvalidNamespace", "invalid namespace %q or %q", from, to)
		}
		c := s.coll(fdb, fcoll, false)
		if c == nil {
			return nil, errorf(26, "NamespaceNotFound", "Source collection %s does not exist", from)
		}
		if s.coll(tdb, tcoll, false) != nil && get(cmd, "dropTarget") != true {
			return nil, errorf(48, "NamespaceExists", "target namespace exists")
		}
		delete(s.dbs[fdb], fcoll)
		s.coll(tdb, tcoll, true)
		s.dbs[tdb][tcoll] = c
		e := &entry{op: "rename", coll: fcoll, uuid: c.uuid, toDB: tdb, toColl: tcoll}
		e.ts, e.db = ts, fdb
		s.appendEntry(e)
		return bson.D{}, nil
	}
	return nil, errorf(59, "CommandNotFound", "no such command: '%s'", name)
}

func (e *entry) dbEntry() bool { return e.coll == "-" }

// match returns the keys of the documents that q selects: {} or {_id: v}.
func (s *Server) match(c *collection, q bson.D) ([]string, error) {
	switch {
	case len(q) == 0:
		return sortedIDs(c), nil
	case len(q) == 1 && q[0].Key == "_id":
		if _, isOp := q[0].Value.(bson.D); isOp {
			break
		}
		k := idKey(q[0].Value)
		if _, ok := c.docs[k]; ok {
			return []string{k}, nil
		}
		return nil, nil
	}
	return nil, errorf(2, "BadValue", "mongotest: query %v is not modeled: use {} or {_id: value}", q)
}

func isOperators(u bson.D) bool { return len(u) > 0 && strings.HasPrefix(u[0].Key, "$") }

func applyUpdate(old, u bson.D) (bson.D, error) {
	if !isOperators(u) {
		doc := bson.D{{Key: "_id", Value: get(old, "_id")}}
		for _, e := range u {
			if e.Key != "_id" {
				doc = append(doc, e)
			}
		}
		return doc, nil
	}
	doc := append(bson.D(nil), old...)
	for _, op := range u {
		fields, ok := op.Value.(bson.D)
		if !ok {
			return nil, errorf(9, "FailedToParse", "Modifiers operate on fields but we found type %T instead", op.Value)
		}
		for _, f := range fields {
			if strings.Contains(f.Key, ".") || f.Key == "_id" {
				return nil, errorf(2, "BadValue", "mongotest: update of %q is not modeled (top-level fields other than _id only)", f.Key)
			}
			switch op.Key {
			case "$set":
				doc = set(doc, f.Key, f.Value)
			case "$unset":
				doc = unset(doc, f.Key)
			case "$inc":
				cur := get(doc, f.Key)
				switch x := f.Value.(type) {
				case int32:
					doc = set(doc, f.Key, int32(asInt(cur))+x)
				case int64:
					doc = set(doc, f.Key, asInt(cur)+x)
				case float64:
					c, _ := cur.(float64)
					doc = set(doc, f.Key, c+x)
				}
			default:
				return nil, errorf(2, "BadValue", "mongotest: update operator %s is not modeled", op.Key)
			}
		}
	}
	return doc, nil
}

// diff computes updateDescription's updatedFields and removedFields at the top level.
func diff(old, doc bson.D) (bson.D, []string) {
	var updated bson.D
	removed := []string{}
	for _, e := range doc {
		if ov := get(old, e.Key); ov == nil && !has(old, e.Key) || !valueEqual(ov, e.Value) {
			updated = append(updated, e)
		}
	}
	for _, e := range old {
		if !has(doc, e.Key) {
			removed = append(removed, e.Key)
		}
	}
	if updated == nil {
		updated = bson.D{}
	}
	return updated, removed
}

func get(d bson.D, key string) any {
	for _, e := range d {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

func has(d bson.D, key string) bool {
	for _, e := range d {
		if e.Key == key {
			return true
		}
	}
	return false
}

func set(d bson.D, key string, v any) bson.D {
	for i := range d {
		if d[i].Key == key {
			d[i].Value = v
			return d
		}
	}
	return append(d, bson.E{Key: key, Value: v})
}

func unset(d bson.D, key string) bson.D {
	for i := range d {
		if d[i].Key == key {
			return append(d[:i:i], d[i+1:]...)
		}
	}
	return d
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func marshalValue(v any) []byte {
	b, _ := bson.Marshal(bson.D{{Key: "v", Value: v}})
	return b
}

func valueEqual(a, b any) bool { return bytes.Equal(marshalValue(a), marshalValue(b)) }

func bytesEqual(a, b bson.D) bool {
	x, _ := bson.Marshal(a)
	y, _ := bson.Marshal(b)
	return bytes.Equal(x, y)
}

// idKey is the map key of an _id value: its BSON encoding.
func idKey(v any) string { return string(marshalValue(v)) }

func sortedIDs(c *collection) []string {
	keys := make([]string, 0, len(c.docs))
	for k := range c.docs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return compare(get(c.docs[keys[i]], "_id"), get(c.docs[keys[j]], "_id")) < 0
	})
	return keys
}

// compare orders _id values as MongoDB does for the common types: numbers, then
// strings, then ObjectIDs; other types by their BSON encoding.
func compare(a, b any) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case int32, int64, float64:
		fa, fb := num(a), num(b)
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	case bson.ObjectID:
		y := b.(bson.ObjectID)
		return bytes.Compare(x[:], y[:])
	}
	return bytes.Compare(marshalValue(a), marshalValue(b))
}

func rank(v any) int {
	switch v.(type) {
	case int32, int64, float64, bson.Decimal128:
		return 1
	case string:
		return 2
	case bson.D:
		return 3
	case bson.Binary:
		return 5
	case bson.ObjectID:
		return 6
	}
	return 9
}

func num(v any) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func sortStrings(s []string) { sort.Strings(s) }
