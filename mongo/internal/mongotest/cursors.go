package mongotest

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// cursor is an open find or change-stream cursor.
type cursor struct {
	id int64
	ns string
	// find
	docs []bson.D
	// change stream
	stream     bool
	db, coll   string // scope: coll "" for a database, db "" for the deployment
	after      uint64 // seq of the last entry examined
	fullDoc    string
	beforeDoc  string
	expanded   bool
	closed     bool // invalidated: the next batch is the last
	invalidate *entry
}

var cursorSeq int64 = 1000

// token encodes a resume point: the cluster time (so tokens sort in time like
// MongoDB's), the oplog seq, and whether the token is an invalidate event's.
func token(ts bson.Timestamp, seq uint64, invalidate bool) bson.D {
	kind := 0
	if invalidate {
		kind = 1
	}
	return bson.D{{Key: "_data", Value: fmt.Sprintf("82%08X%08X%016X%02X", ts.T, ts.I, seq, kind)}}
}

// parseToken returns the seq a token resumes after.
func parseToken(v any) (uint64, bool, error) {
	d, ok := v.(bson.D)
	if !ok {
		return 0, false, errorf(9, "FailedToParse", "resume token must be a document, not %T", v)
	}
	data, _ := get(d, "_data").(string)
	if len(data) != 2+8+8+16+2 || !strings.HasPrefix(data, "82") {
		return 0, false, errorf(9, "FailedToParse", "malformed resume token %v: not one of this server's tokens", d)
	}
	if _, err := hex.DecodeString(data); err != nil {
		return 0, false, errorf(9, "FailedToParse", "malformed resume token %v", d)
	}
	seq, err := strconv.ParseUint(data[18:34], 16, 64)
	if err != nil {
		return 0, false, errorf(9, "FailedToParse", "malformed resume token %v", d)
	}
	return seq, data[34:] == "01", nil
}

func (s *Server) aggregate(db string, cmd bson.D) (bson.D, error) {
	pipeline, _ := get(cmd, "pipeline").(bson.A)
	if len(pipeline) == 0 {
		return nil, errorf(2, "BadValue", "mongotest: only $changeStream aggregations are modeled")
	}
	first, _ := pipeline[0].(bson.D)
	if len(first) != 1 || first[0].Key != "$changeStream" {
		return nil, errorf(2, "BadValue", "mongotest: only $changeStream aggregations are modeled, not %v", first)
	}
	for _, st := range pipeline[1:] {
		d, _ := st.(bson.D)
		name := ""
		if len(d) > 0 {
			name = d[0].Key
		}
		return nil, errorf(2, "BadValue", "mongotest: pipeline stage %s after $changeStream is not modeled", name)
	}
	if s.opts.Standalone {
		return nil, errorf(40573, "Location40573", "The $changeStream stage is only supported on replica sets")
	}
	opts, _ := first[0].Value.(bson.D)
	cur := &cursor{stream: true, db: db, fullDoc: "default", beforeDoc: "off"}
	switch c := cmd[0].Value.(type) {
	case string:
		cur.coll = c
		cur.ns = db + "." + c
	default:
		cur.ns = db + ".$cmd.aggregate"
		if db == "admin" {
			if get(opts, "allChangesForCluster") != true {
				return nil, errorf(73, "InvalidNamespace", "$changeStream may not be opened on the internal admin database")
			}
			cur.db = ""
		}
	}
	if v, ok := get(opts, "fullDocument").(string); ok {
		cur.fullDoc = v
	}
	if v, ok := get(opts, "fullDocumentBeforeChange").(string); ok {
		cur.beforeDoc = v
	}
	cur.expanded = get(opts, "showExpandedEvents") == true
	switch cur.fullDoc {
	case "default", "updateLookup", "whenAvailable", "required":
	default:
		return nil, errorf(9, "FailedToParse", "unknown fullDocument mode %q", cur.fullDoc)
	}
	switch cur.beforeDoc {
	case "off", "whenAvailable", "required":
	default:
		return nil, errorf(9, "FailedToParse", "unknown fullDocumentBeforeChange mode %q", cur.beforeDoc)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	tok := get(opts, "startAfter")
	if tok == nil {
		tok = get(opts, "resumeAfter")
	} else if get(opts, "resumeAfter") != nil {
		return nil, errorf(40674, "Location40674", "Only one type of resume option is allowed, but multiple were found.")
	}
	switch {
	case tok != nil:
		seq, inval, err := parseToken(tok)
		if err != nil {
			return nil, err
		}
		if inval && get(opts, "resumeAfter") != nil {
			return nil, errorf(260, "InvalidResumeToken", "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification.")
		}
		if seq > s.lastSeq {
			return nil, errorf(280, "ChangeStreamFatalError", "cannot resume stream; the resume token was not found: it is newer than the oplog")
		}
		if seq+1 < s.firstIn {
			return nil, errorf(286, "ChangeStreamHistoryLost",
				"Executor error during aggregate command on namespace: %s :: caused by :: Resume of change stream was not possible, as the resume point may no longer be in the oplog.", cur.ns)
		}
		cur.after = seq
	case get(opts, "startAtOperationTime") != nil:
		at, _ := get(opts, "startAtOperationTime").(bson.Timestamp)
		if at.Compare(s.lostTS) <= 0 && (s.lostTS != bson.Timestamp{}) {
			return nil, errorf(286, "ChangeStreamHistoryLost", "Resume of change stream was not possible, as the resume point may no longer be in the oplog.")
		}
		cur.after = s.firstIn - 1
		for _, e := range s.oplog {
			if e.ts.Compare(at) >= 0 {
				break
			}
			cur.after = e.seq
		}
	default:
		cur.after = s.lastSeq
	}
	if cur.coll != "" && cur.fullDoc == "required" {
		if c := s.coll(cur.db, cur.coll, false); c != nil && !c.prePost {
			return nil, errorf(53, "NoMatchingDocument",
				"fullDocument:required requested, but the collection %s has changeStreamPreAndPostImages disabled", cur.ns)
		}
	}
	batchSize := 101
	if cs, ok := get(cmd, "cursor").(bson.D); ok && get(cs, "batchSize") != nil {
		batchSize = int(asInt(get(cs, "batchSize")))
	}
	batch, err := s.nextEvents(cur, batchSize)
	if err != nil {
		return nil, err
	}
	return s.cursorReply(cur, "firstBatch", batch), nil
}

// cursorReply registers a cursor that is not exhausted and builds the reply. Called
// with mu held.
func (s *Server) cursorReply(cur *cursor, field string, batch bson.A) bson.D {
	id := int64(0)
	if cur.id == 0 && (cur.stream && !cur.closed || len(cur.docs) > 0) {
		cursorSeq++
		cur.id = cursorSeq
		s.cursors[cur.id] = cur
	}
	if cur.stream && cur.closed || !cur.stream && len(cur.docs) == 0 {
		delete(s.cursors, cur.id)
	} else {
		id = cur.id
	}
	if batch == nil {
		batch = bson.A{}
	}
	c := bson.D{{Key: field, Value: batch}}
	if cur.stream {
		c = append(c, bson.E{Key: "postBatchResumeToken", Value: s.pbrt(cur)})
	}
	c = append(c, bson.E{Key: "id", Value: id}, bson.E{Key: "ns", Value: cur.ns})
	return bson.D{{Key: "cursor", Value: c}}
}

// pbrt is the resume token of the position after everything the cursor examined.
func (s *Server) pbrt(cur *cursor) bson.D {
	ts := s.ts
	for i := len(s.oplog) - 1; i >= 0; i-- {
		if s.oplog[i].seq <= cur.after {
			ts = s.oplog[i].ts
			break
		}
	}
	if cur.invalidate != nil {
		return token(cur.invalidate.ts, cur.invalidate.seq, true)
	}
	return token(ts, cur.after, false)
}

// nextEvents collects up to n events for a change-stream cursor. Called with mu held.
func (s *Server) nextEvents(cur *cursor, n int) (bson.A, error) {
	var out bson.A
	if cur.closed {
		return out, nil
	}
	if cur.after+1 < s.firstIn {
		return nil, errorf(286, "ChangeStreamHistoryLost", "Resume of change stream was not possible, as the resume point may no longer be in the oplog.")
	}
	for _, e := range s.oplog {
		if len(out) >= n {
			break
		}
		if e.seq <= cur.after {
			continue
		}
		cur.after = e.seq
		if !cur.matches(e) {
			continue
		}
		ev, err := s.event(cur, e, false)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
		invalid := cur.coll != "" && (e.op == "drop" || e.op == "rename") ||
			cur.coll == "" && cur.db != "" && e.op == "dropDatabase"
		if invalid {
			inv, _ := s.event(cur, e, true)
			out = append(out, inv)
			cur.closed = true
			cur.invalidate = e
			break
		}
	}
	return out, nil
}

func (cur *cursor) matches(e *entry) bool {
	switch {
	case cur.db == "":
		if e.db == "admin" || e.db == "config" || e.db == "local" {
			return false
		}
	case cur.coll == "":
		if e.db != cur.db {
			return false
		}
	default:
		if e.db != cur.db || e.coll != cur.coll || e.dbEntry() {
			return false
		}
	}
	return e.op != "create" || cur.expanded
}

// event renders an oplog entry as a change event, in the shape MongoDB documents.
func (s *Server) event(cur *cursor, e *entry, invalidate bool) (bson.D, error) {
	ev := bson.D{{Key: "_id", Value: token(e.ts, e.seq, invalidate)}}
	if invalidate {
		return append(ev, bson.E{Key: "operationType", Value: "invalidate"}, bson.E{Key: "clusterTime", Value: e.ts},
			bson.E{Key: "wallTime", Value: bson.NewDateTimeFromTime(e.wall)}), nil
	}
	ev = append(ev, bson.E{Key: "operationType", Value: e.op}, bson.E{Key: "clusterTime", Value: e.ts},
		bson.E{Key: "wallTime", Value: bson.NewDateTimeFromTime(e.wall)})
	if e.lsid != nil {
		ev = append(ev, bson.E{Key: "lsid", Value: e.lsid}, bson.E{Key: "txnNumber", Value: e.txnNumber})
	}
	if e.dbEntry() {
		return append(ev, bson.E{Key: "ns", Value: bson.D{{Key: "db", Value: e.db}}}), nil
	}
	ev = append(ev, bson.E{Key: "collectionUUID", Value: bson.Binary{Subtype: 4, Data: e.uuid[:]}},
		bson.E{Key: "ns", Value: bson.D{{Key: "db", Value: e.db}, {Key: "coll", Value: e.coll}}})
	switch e.op {
	case "rename":
		return append(ev, bson.E{Key: "to", Value: bson.D{{Key: "db", Value: e.toDB}, {Key: "coll", Value: e.toColl}}}), nil
	case "drop", "create":
		return ev, nil
	}
	ev = append(ev, bson.E{Key: "documentKey", Value: bson.D{{Key: "_id", Value: e.id}}})
	if e.op == "update" {
		ev = append(ev, bson.E{Key: "updateDescription", Value: bson.D{
			{Key: "updatedFields", Value: e.updated},
			{Key: "removedFields", Value: stringsA(e.removed)},
			{Key: "truncatedArrays", Value: bson.A{}},
		}})
	}
	var full bson.D
	switch {
	case e.op == "insert" || e.op == "replace":
		full = e.post
	case e.op == "update" && cur.fullDoc == "updateLookup":
		// updateLookup reads the document as it is now, not as the update left it.
		if c := s.coll(e.db, e.coll, false); c != nil {
			full = c.docs[idKey(e.id)]
		}
		if full == nil {
			ev = append(ev, bson.E{Key: "fullDocument", Value: nil})
		}
	case e.op == "update" && (cur.fullDoc == "whenAvailable" || cur.fullDoc == "required"):
		if e.prePost {
			full = e.post
		} else if cur.fullDoc == "required" {
			return nil, errorf(280, "ChangeStreamFatalError", "Change stream was configured to require a post-image for all update, delete and replace events, but the post-image was not found for event: %s.%s %v", e.db, e.coll, e.id)
		}
	}
	if full != nil {
		ev = append(ev, bson.E{Key: "fullDocument", Value: full})
	}
	if cur.beforeDoc != "off" && e.op != "insert" {
		if e.prePost && e.pre != nil {
			ev = append(ev, bson.E{Key: "fullDocumentBeforeChange", Value: e.pre})
		} else if cur.beforeDoc == "required" {
			return nil, errorf(280, "ChangeStreamFatalError", "Change stream was configured to require a pre-image for all update, delete and replace events, but the pre-image was not found for event: %s.%s %v", e.db, e.coll, e.id)
		} else {
			ev = append(ev, bson.E{Key: "fullDocumentBeforeChange", Value: nil})
		}
	}
	return ev, nil
}

func stringsA(ss []string) bson.A {
	a := bson.A{}
	for _, s := range ss {
		a = append(a, s)
	}
	return a
}

func (s *Server) getMore(cmd bson.D) (bson.D, error) {
	id := asInt(cmd[0].Value)
	n := int(asInt(get(cmd, "batchSize")))
	if n <= 0 {
		n = 1000
	}
	wait := time.Duration(asInt(get(cmd, "maxTimeMS"))) * time.Millisecond
	if wait <= 0 {
		wait = time.Second
	}
	deadline := time.Now().Add(wait)
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		cur := s.cursors[id]
		if cur == nil {
			return nil, &cmdError{code: 43, name: "CursorNotFound", msg: fmt.Sprintf("cursor id %d not found", id)}
		}
		if !cur.stream {
			k := min(n, len(cur.docs))
			batch := bson.A{}
			for _, d := range cur.docs[:k] {
				batch = append(batch, d)
			}
			cur.docs = cur.docs[k:]
			return s.cursorReply(cur, "nextBatch", batch), nil
		}
		batch, err := s.nextEvents(cur, n)
		if err != nil {
			delete(s.cursors, id)
			return nil, err
		}
		left := time.Until(deadline)
		if len(batch) > 0 || cur.closed || left <= 0 {
			return s.cursorReply(cur, "nextBatch", batch), nil
		}
		changed := s.changed
		s.mu.Unlock()
		timer := time.NewTimer(left)
		select {
		case <-changed:
		case <-timer.C:
		}
		timer.Stop()
		s.mu.Lock()
		if s.ln == nil { // stopped while waiting: the connection is gone
			return nil, nil
		}
	}
}

func (s *Server) killCursors(cmd bson.D) (bson.D, error) {
	ids, _ := get(cmd, "cursors").(bson.A)
	killed := bson.A{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range ids {
		id := asInt(v)
		if _, ok := s.cursors[id]; ok {
			delete(s.cursors, id)
			killed = append(killed, id)
		}
	}
	return bson.D{{Key: "cursorsKilled", Value: killed}, {Key: "cursorsNotFound", Value: bson.A{}},
		{Key: "cursorsAlive", Value: bson.A{}}, {Key: "cursorsUnknown", Value: bson.A{}}}, nil
}

func (s *Server) find(db string, cmd bson.D) (bson.D, error) {
	collName, _ := cmd[0].Value.(string)
	filter, _ := get(cmd, "filter").(bson.D)
	var lower any
	inclusive := false
	switch {
	case len(filter) == 0:
	case len(filter) == 1 && filter[0].Key == "_id":
		cond, ok := filter[0].Value.(bson.D)
		if !ok || len(cond) != 1 || cond[0].Key != "$gt" && cond[0].Key != "$gte" {
			return nil, errorf(2, "BadValue", "mongotest: filter %v is not modeled: use {} or {_id: {$gt: v}}", filter)
		}
		lower, inclusive = cond[0].Value, cond[0].Key == "$gte"
	default:
		return nil, errorf(2, "BadValue", "mongotest: filter %v is not modeled: use {} or {_id: {$gt: v}}", filter)
	}
	if sortSpec, ok := get(cmd, "sort").(bson.D); ok && len(sortSpec) > 0 && (sortSpec[0].Key != "_id" || asInt(sortSpec[0].Value) != 1) {
		return nil, errorf(2, "BadValue", "mongotest: sort %v is not modeled: use {_id: 1}", sortSpec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := &cursor{ns: db + "." + collName}
	if c := s.coll(db, collName, false); c != nil {
		for _, k := range sortedIDs(c) {
			d := c.docs[k]
			if lower != nil {
				cmp := compare(get(d, "_id"), lower)
				if cmp < 0 || cmp == 0 && !inclusive {
					continue
				}
			}
			cur.docs = append(cur.docs, d)
		}
	}
	if lim := int(asInt(get(cmd, "limit"))); lim > 0 && lim < len(cur.docs) {
		cur.docs = cur.docs[:lim]
	}
	n := 101
	if get(cmd, "batchSize") != nil {
		n = int(asInt(get(cmd, "batchSize")))
	}
	k := min(n, len(cur.docs))
	batch := bson.A{}
	for _, d := range cur.docs[:k] {
		batch = append(batch, d)
	}
	cur.docs = cur.docs[k:]
	return s.cursorReply(cur, "firstBatch", batch), nil
}

func (s *Server) count(db string, cmd bson.D) (bson.D, error) {
	collName, _ := cmd[0].Value.(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if c := s.coll(db, collName, false); c != nil {
		n = len(c.docs)
	}
	return bson.D{{Key: "n", Value: int32(n)}}, nil
}

func (s *Server) listDatabases() (bson.D, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dbs := bson.A{}
	for _, name := range sortedNames(s.dbs) {
		dbs = append(dbs, bson.D{{Key: "name", Value: name}, {Key: "sizeOnDisk", Value: int64(4096)}, {Key: "empty", Value: false}})
	}
	return bson.D{{Key: "databases", Value: dbs}, {Key: "totalSize", Value: int64(4096 * len(dbs))}}, nil
}

func (s *Server) listCollections(db string, cmd bson.D) (bson.D, error) {
	filter, _ := get(cmd, "filter").(bson.D)
	want, _ := get(filter, "name").(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := &cursor{ns: db + ".$cmd.listCollections"}
	for _, name := range sortedNames(s.dbs[db]) {
		if want != "" && name != want {
			continue
		}
		c := s.dbs[db][name]
		opts := bson.D{}
		if c.prePost {
			opts = bson.D{{Key: "changeStreamPreAndPostImages", Value: bson.D{{Key: "enabled", Value: true}}}}
		}
		cur.docs = append(cur.docs, bson.D{{Key: "name", Value: name}, {Key: "type", Value: "collection"}, {Key: "options", Value: opts},
			{Key: "info", Value: bson.D{{Key: "readOnly", Value: false}, {Key: "uuid", Value: bson.Binary{Subtype: 4, Data: c.uuid[:]}}}}})
	}
	batch := bson.A{}
	for _, d := range cur.docs {
		batch = append(batch, d)
	}
	cur.docs = nil
	return s.cursorReply(cur, "firstBatch", batch), nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
