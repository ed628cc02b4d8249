package mongo

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/feed"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// stream is one open change stream: a reader goroutine takes the snapshot (when
// there is one), then reads the change stream and hands batches to Read.
type stream struct {
	src    *Source
	req    cdc.OpenRequest
	client *mongo.Client
	feed   *feed.Feed

	cs        *mongo.ChangeStream
	startTok  bson.Raw      // resume point of the stream after the snapshot
	snap      *snapProgress // non-nil: a snapshot to take or finish
	freshSnap bool
	ended     bool // snapshot mode initial_only with the snapshot done

	schemas map[string]*cdc.TableSchema
	lastTxn string
	txOrder int64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newStream(s *Source, req cdc.OpenRequest, client *mongo.Client) *stream {
	return &stream{src: s, req: req, client: client, feed: feed.New("mongo"), schemas: map[string]*cdc.TableSchema{}}
}

func (st *stream) start() {
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		if err := st.run(ctx); err != nil && ctx.Err() == nil {
			st.feed.Fail(err)
		}
	}()
}

// Read implements cdc.Stream.
func (st *stream) Read(ctx context.Context) ([]cdc.Event, error) { return st.feed.Read(ctx) }

// Commit implements cdc.Stream. MongoDB keeps no per-consumer state to confirm: the
// oplog is trimmed by size and age alone, whatever consumers have read.
func (st *stream) Commit(context.Context, cdc.Position) error { return nil }

// Close implements cdc.Stream.
func (st *stream) Close() error {
	if !st.feed.Close() {
		return nil
	}
	st.cancel()
	st.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if st.cs != nil {
		st.cs.Close(ctx)
	}
	st.client.Disconnect(ctx)
	return nil
}

func (st *stream) send(ctx context.Context, evs []cdc.Event) error {
	return st.feed.Send(ctx, evs, nil, nil)
}

func (st *stream) run(ctx context.Context) error {
	if st.ended {
		return io.EOF
	}
	if st.snap != nil {
		st.req.SetState(cdc.StateSnapshotting)
		if err := st.snapshot(ctx); err != nil {
			return err
		}
		if st.src.cfg.SnapshotMode == cdc.SnapshotInitialOnly {
			return io.EOF
		}
	}
	st.req.SetState(cdc.StateStreaming)
	return st.streamChanges(ctx)
}

// streamChanges reads the change stream. The driver resumes by itself once after a
// resumable error, from the token of the last event it returned, which is the last
// event handed on; when that fails too the error is returned as retryable and the
// engine reopens the source from its committed position.
func (st *stream) streamChanges(ctx context.Context) error {
	cs := st.cs
	max := int(st.src.cfg.BatchSize)
	var lastBeat []byte
	for {
		var batch []cdc.Event
		var skipped bson.Raw // token of the last event out of scope, to advance the position
		for len(batch) < max {
			if !cs.TryNext(ctx) {
				break
			}
			ev, keep, err := st.event(cs.Current)
			if err != nil {
				return err
			}
			if keep {
				batch = append(batch, ev)
				skipped = nil
			} else {
				skipped = cs.Current.Lookup("_id").Document()
			}
			if cs.RemainingBatchLength() == 0 {
				break
			}
		}
		if err := cs.Err(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			err = classify(err, "reading the change stream")
			var hl *HistoryLostError
			if errors.As(err, &hl) && st.src.cfg.SnapshotMode == cdc.SnapshotWhenNeeded {
				// The stream fell off the oplog: reopening finds the position lost
				// and takes a new snapshot.
				return cdc.Retryable(err)
			}
			return err
		}
		if skipped == nil && len(batch) == 0 {
			// An empty getMore: its postBatchResumeToken is the server's current resume
			// point; a heartbeat carries it so the stored position keeps up on an idle or
			// filtered stream.
			if tok := cs.ResumeToken(); tok != nil && string(tok) != string(lastBeat) {
				skipped = tok
			}
		}
		if skipped != nil {
			lastBeat = append(lastBeat[:0], skipped...)
			if pos, err := encodePosition(position{Token: tokenJSON(skipped)}); err == nil {
				batch = append(batch, cdc.Event{Op: cdc.OpHeartbeat, Position: pos, Source: cdc.SourceInfo{Connector: "mongodb"}})
			}
		}
		if len(batch) > 0 {
			if err := st.send(ctx, batch); err != nil {
				return err
			}
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
		if cs.ID() == 0 {
			// The server closed the cursor: after an invalidate event (the watched
			// collection or database was dropped or renamed). Reopen after it.
			tok := cs.ResumeToken()
			cs.Close(context.Background())
			ncs, err := st.src.watch(ctx, st.client, tok)
			if err != nil {
				return err
			}
			st.cs, cs = ncs, ncs
		}
	}
}

// event maps a change event; keep is false for namespaces out of scope.
func (st *stream) event(raw bson.Raw) (cdc.Event, bool, error) {
	c, err := decodeChange(raw)
	if err != nil {
		return cdc.Event{}, false, err
	}
	ev := c.ev
	cfg := &st.src.cfg
	if ev.Table.Database != "" && c.op != "invalidate" {
		if ev.Table.Name == "" {
			if !cfg.captures(ev.Table.Database, "") {
				return ev, false, nil
			}
		} else if !cfg.captures(ev.Table.Database, ev.Table.Name) {
			return ev, false, nil
		}
	}
	if c.op == "invalidate" && ev.Table.Database == "" {
		// The event has no namespace: it is about the stream's own scope.
		ev.Table.Database, ev.Table.Name = st.src.scope()
	}
	if c.txn != "" {
		if c.txn == st.lastTxn {
			st.txOrder++
		} else {
			st.lastTxn, st.txOrder = c.txn, 1
		}
		ev.Source.TxOrder = st.txOrder
	} else {
		st.lastTxn = ""
	}
	st.shape(&ev)
	return ev, true, nil
}

// shape drops excluded fields and attaches the schema.
func (st *stream) shape(ev *cdc.Event) {
	cfg := &st.src.cfg
	if len(cfg.ExcludeFields) > 0 {
		for _, r := range []*cdc.Row{&ev.Before, &ev.After} {
			for _, n := range append([]string(nil), r.Names()...) {
				if n != "_id" && cfg.excludedField(ev.Table.Database, ev.Table.Name, n) {
					r.Delete(n)
				}
			}
		}
	}
	r := ev.Row()
	if r.IsZero() {
		r = ev.Key
	}
	if !r.IsZero() {
		ev.Schema = st.schema(ev.Table, r)
	}
}

// schema describes a document's top-level fields. MongoDB has no schema: it is derived
// from each document and shared between documents of the same shape.
func (st *stream) schema(t cdc.TableID, r cdc.Row) *cdc.TableSchema {
	var key strings.Builder
	key.WriteString(t.String())
	for i, n := range r.Names() {
		key.WriteByte(0)
		key.WriteString(n)
		key.WriteByte(byte(goKind(r.At(i))))
	}
	k := key.String()
	if s, ok := st.schemas[k]; ok {
		return s
	}
	if len(st.schemas) > 4096 {
		st.schemas = map[string]*cdc.TableSchema{}
	}
	cols := make([]cdc.Column, r.Len())
	for i, n := range r.Names() {
		kd := goKind(r.At(i))
		cols[i] = cdc.Column{Name: n, Kind: kd, Type: kindType(kd), Nullable: n != "_id", PrimaryKey: n == "_id"}
	}
	s := cdc.NewTableSchema(t, cols, []string{"_id"})
	st.schemas[k] = s
	return s
}

// goKind is the Kind of a mapped value (the schema is derived after mapping).
func goKind(v any) cdc.Kind {
	switch v.(type) {
	case bool:
		return cdc.KindBool
	case int64:
		return cdc.KindInt
	case uint64:
		return cdc.KindUint
	case float64:
		return cdc.KindFloat
	case cdc.Decimal:
		return cdc.KindDecimal
	case string:
		return cdc.KindString
	case []byte:
		return cdc.KindBytes
	case time.Time:
		return cdc.KindTimestamp
	case []any:
		return cdc.KindArray
	case map[string]any:
		return cdc.KindDocument
	}
	return cdc.KindUnknown
}

func kindType(k cdc.Kind) string {
	switch k {
	case cdc.KindBool:
		return "bool"
	case cdc.KindInt:
		return "long"
	case cdc.KindUint:
		return "timestamp"
	case cdc.KindFloat:
		return "double"
	case cdc.KindDecimal:
		return "decimal"
	case cdc.KindString:
		return "string"
	case cdc.KindBytes:
		return "binData"
	case cdc.KindTimestamp:
		return "date"
	case cdc.KindArray:
		return "array"
	case cdc.KindDocument:
		return "object"
	}
	return "null"
}
