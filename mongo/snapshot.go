package mongo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/feed"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A snapshot reads every captured collection in _id order after the change stream was
// opened, so the stream's resume point (st.startTok) is from before the first read:
// every write during the copy is in the stream that follows (see doc.go, Snapshots).

type snapBatch struct {
	evs  []cdc.Event
	ids  []bson.RawValue // the exact _id of each event, for the snapshot progress
	done bool            // the collection is finished
	err  error
}

func (st *stream) snapshot(ctx context.Context) error {
	colls, err := st.src.collections(ctx, st.client)
	if err != nil {
		return err
	}
	prog := *st.snap
	var m feed.Marker
	if !st.freshSnap {
		m.Resumed()
	}
	startID, _ := tokenID(st.startTok)
	todo := colls[:0:0]
	for _, c := range colls {
		if !slices.Contains(prog.Done, c.String()) {
			todo = append(todo, c)
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel: the readers use the client, which Close disconnects
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Collections are read ahead by up to SnapshotParallelism readers; delivery stays
	// in collection order, so positions stay monotonic.
	chans := make([]chan snapBatch, len(todo))
	for i := range chans {
		chans[i] = make(chan snapBatch, 2)
	}
	sem := make(chan struct{}, st.src.cfg.SnapshotParallelism)
	resumeColl, resumeAfter := prog.Coll, prog.After // prog changes as rows are delivered
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, c := range todo {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			var after json.RawMessage
			if c.String() == resumeColl {
				after = resumeAfter
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				st.readCollection(ctx, c, after, chans[i])
			}()
		}
	}()
	send := func(evs []cdc.Event) error { return st.send(ctx, evs) }
	for i, c := range todo {
		var rows int64
		// An estimate from collection metadata, for progress reports only.
		total, _ := st.client.Database(c.Database).Collection(c.Name).EstimatedDocumentCount(ctx)
		finished := false
		for b := range chans[i] {
			if b.err != nil {
				return b.err
			}
			if b.done {
				finished = true
				prog.Done = append(prog.Done, c.String())
				prog.Coll, prog.After = "", nil
				st.req.SnapshotProgress(cdc.SnapshotProgress{Table: c, RowsRead: rows, RowsTotal: total, Done: true})
				break
			}
			rows += int64(len(b.evs))
			for j := range b.evs {
				ev := &b.evs[j]
				after, err := idJSON(b.ids[j])
				if err != nil {
					return err
				}
				prog.Coll, prog.After = c.String(), after
				p := prog
				p.Done = slices.Clip(p.Done)
				pos, err := encodePosition(position{Token: tokenJSON(st.startTok), Snapshot: &p})
				if err != nil {
					return err
				}
				ev.Position = pos
				ev.SetID("snapshot:" + startID + ":" + c.String() + ":" + string(after))
				st.shape(ev)
			}
			if err := m.Send(b.evs, send); err != nil {
				return err
			}
			st.req.SnapshotProgress(cdc.SnapshotProgress{Table: c, RowsRead: rows, RowsTotal: total})
		}
		if !finished {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("mongo: the snapshot reader of %s stopped early", c)
		}
	}
	// The end of the snapshot: streaming starts at the token taken before it.
	pos, err := encodePosition(position{Token: tokenJSON(st.startTok)})
	if err != nil {
		return err
	}
	if err := m.Send([]cdc.Event{{Op: cdc.OpHeartbeat, Position: pos, Source: cdc.SourceInfo{Connector: "mongodb"}}}, send); err != nil {
		return err
	}
	return m.Finish(send)
}

// idJSON is {"_id": v} in canonical Extended JSON: exact for every BSON type, so a
// resumed snapshot continues after the very same _id.
func idJSON(id bson.RawValue) (json.RawMessage, error) {
	doc, err := bson.Marshal(bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return nil, fmt.Errorf("mongo: snapshot _id %s: %w", id, err)
	}
	b, err := bson.MarshalExtJSON(bson.Raw(doc), true, false)
	if err != nil {
		return nil, fmt.Errorf("mongo: snapshot _id %s: %w", id, err)
	}
	return b, nil
}

// readCollection reads one collection in _id order, after the _id in after (Extended
// JSON of {"_id": v}), into out.
func (st *stream) readCollection(ctx context.Context, c cdc.TableID, after json.RawMessage, out chan<- snapBatch) {
	defer close(out)
	emit := func(b snapBatch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	filter := bson.D{}
	if len(after) > 0 {
		var a bson.Raw
		if err := bson.UnmarshalExtJSON(after, true, &a); err != nil {
			emit(snapBatch{err: fmt.Errorf("%w: mongo: snapshot position _id %s: %v", cdc.ErrCorruptOffsets, after, err)})
			return
		}
		filter = bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: a.Lookup("_id")}}}}
	}
	coll := st.client.Database(c.Database).Collection(c.Name)
	cur, err := coll.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(st.src.cfg.BatchSize))
	if err != nil {
		emit(snapBatch{err: classify(err, "snapshot of "+c.String())})
		return
	}
	defer cur.Close(context.Background())
	for {
		evs, ids, err := readBatch(ctx, cur, c, st.req.NewBatch(int(st.src.cfg.BatchSize)))
		if err != nil {
			emit(snapBatch{err: classify(err, "snapshot of "+c.String())})
			return
		}
		if len(evs) == 0 {
			emit(snapBatch{done: true})
			return
		}
		if !emit(snapBatch{evs: evs, ids: ids}) {
			return
		}
	}
}

// readBatch appends up to cap(evs) documents to evs as snapshot reads, and returns
// them with their exact _id values.
func readBatch(ctx context.Context, cur *mongo.Cursor, c cdc.TableID, evs []cdc.Event) ([]cdc.Event, []bson.RawValue, error) {
	n := cap(evs)
	var ids []bson.RawValue
	for len(evs) < n && cur.Next(ctx) {
		doc := cur.Current
		idv := doc.Lookup("_id")
		ev := cdc.Event{Op: cdc.OpRead, Table: c, After: row(doc),
			Key:    cdc.NewRow([]string{"_id"}, []any{value(idv)}),
			Source: cdc.SourceInfo{Connector: "mongodb", Snapshot: cdc.SnapshotTrue}}
		evs = append(evs, ev)
		ids = append(ids, bson.RawValue{Type: idv.Type, Value: append([]byte(nil), idv.Value...)})
		if cur.RemainingBatchLength() == 0 {
			break
		}
	}
	return evs, ids, cur.Err()
}
