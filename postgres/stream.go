package postgres

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tributary-cdc/cdc"
)

// midTxEvery is how often a change inside a transaction carries a resume position
// (commit LSN + changes done), so a restart inside a huge transaction skips what was
// handled instead of starting it over.
const midTxEvery = 1024

// pendingMax is the most events handed to Read at once inside a transaction.
const pendingMax = 512

type batch struct {
	evs []cdc.Event
	err error
}

// stream owns two connections: repl (replication protocol, read only by run) and meta
// (catalog queries and snapshot reads, also only used by run).
type stream struct {
	src   *Source
	req   cdc.OpenRequest
	repl  *pgconn.PgConn
	meta  *pgconn.PgConn
	types map[uint32]typeInfo
	rels  map[uint32]*relation
	db    string

	out       chan batch
	done      chan struct{} // run returned
	closed    chan struct{} // Close was called
	closeOnce atomic.Bool
	cancel    context.CancelFunc
	final     error // the error Read returns forever after

	confirmed atomic.Uint64 // LSN the engine committed; reported to the server

	startLSN pglogrepl.LSN
	skipTx   string // resume inside this transaction (commit LSN) ...
	skipN    int64  // ... after this many changes

	// transaction state, owned by run
	lastEnd  pglogrepl.LSN // end LSN of the last whole transaction (or heartbeat) sent
	inTx     bool
	txLSN    pglogrepl.LSN
	txTime   time.Time
	txID     string
	txOrder  int64
	txSkip   int64
	txEvents int
	pending  []cdc.Event
	status   *time.Ticker
}

// Read implements cdc.Stream.
func (st *stream) Read(ctx context.Context) ([]cdc.Event, error) {
	if st.final != nil {
		return nil, st.final
	}
	select {
	case b := <-st.out:
		if b.err != nil {
			st.final = b.err
		}
		return b.evs, b.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-st.closed:
		return nil, cdc.Retryable(fmt.Errorf("postgres: stream closed"))
	}
}

// Commit implements cdc.Stream: the LSN is reported as flushed at the next status update.
func (st *stream) Commit(_ context.Context, pos cdc.Position) error {
	p, lsn, err := parsePosition(pos)
	if err != nil {
		return err
	}
	if p.Snapshot != nil {
		return nil // the stream has not started: nothing to confirm beyond the start
	}
	for {
		old := st.confirmed.Load()
		if uint64(lsn) <= old || st.confirmed.CompareAndSwap(old, uint64(lsn)) {
			return nil
		}
	}
}

// Close implements cdc.Stream.
func (st *stream) Close() error {
	if st.closeOnce.Swap(true) {
		return nil
	}
	close(st.closed)
	if st.cancel != nil {
		st.cancel()
	}
	<-st.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st.repl.Close(ctx)
	st.meta.Close(ctx)
	return nil
}

func (st *stream) run(ctx context.Context, start position, snapshotName string) {
	defer close(st.done)
	defer st.cancel()
	var err error
	if start.Snapshot != nil {
		st.req.SetState(cdc.StateSnapshotting)
		err = st.snapshot(ctx, start, snapshotName)
		if err == nil && st.src.cfg.SnapshotMode == cdc.SnapshotInitialOnly {
			err = io.EOF
		}
	}
	if err == nil {
		st.req.SetState(cdc.StateStreaming)
		err = st.stream(ctx)
	}
	if err != nil && ctx.Err() == nil {
		select {
		case st.out <- batch{err: err}:
		case <-st.closed:
		}
	}
}

// send hands events to Read, answering the server with status updates while the
// engine applies backpressure, so a slow handler does not make the server drop us.
func (st *stream) send(ctx context.Context, evs []cdc.Event) error {
	for {
		select {
		case st.out <- batch{evs: evs}:
			return nil
		case <-st.tick():
			if err := st.sendStatus(ctx); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (st *stream) tick() <-chan time.Time {
	if st.status == nil {
		return nil
	}
	return st.status.C
}

func (st *stream) flush(ctx context.Context) error {
	if len(st.pending) == 0 {
		return nil
	}
	evs := st.pending
	// The engine owns the batch now. Size the next one like this one: large for bulk
	// transactions (no regrowth copies), small for single-row ones (no waste).
	st.pending = make([]cdc.Event, 0, min(pendingMax, max(8, 2*len(evs))))
	return st.send(ctx, evs)
}

func (st *stream) sendStatus(ctx context.Context) error {
	lsn := pglogrepl.LSN(st.confirmed.Load())
	err := pglogrepl.SendStandbyStatusUpdate(ctx, st.repl, pglogrepl.StandbyStatusUpdate{WALWritePosition: lsn})
	if err != nil {
		return classify(fmt.Errorf("postgres: sending status update: %w", err))
	}
	return nil
}

func (st *stream) stream(ctx context.Context) error {
	pub := st.src.cfg.Publication
	err := pglogrepl.StartReplication(ctx, st.repl, st.src.cfg.Slot, st.startLSN, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names " + quoteLiteral(quoteIdent(pub)), "messages 'true'"}})
	if err != nil {
		return classify(fmt.Errorf("postgres: starting replication on slot %q: %w", st.src.cfg.Slot, err))
	}
	st.lastEnd = st.startLSN
	st.status = time.NewTicker(st.src.cfg.StatusInterval)
	defer st.status.Stop()
	st.pending = make([]cdc.Event, 0, pendingMax)
	for {
		select {
		case <-st.status.C:
			if err := st.sendStatus(ctx); err != nil {
				return err
			}
		default:
		}
		rctx, cancel := context.WithTimeout(ctx, st.src.cfg.StatusInterval)
		msg, err := st.repl.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if pgconn.Timeout(err) {
				continue
			}
			return classify(fmt.Errorf("postgres: receiving: %w", err))
		}
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			return classify(fmt.Errorf("postgres: replication: %w", pgconn.ErrorResponseToPgError(m)))
		case *pgproto3.CopyData:
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(m.Data[1:])
				if err != nil {
					return fmt.Errorf("postgres: %w", err)
				}
				if err := st.keepalive(ctx, ka); err != nil {
					return err
				}
			case pglogrepl.XLogDataByteID:
				xld, err := pglogrepl.ParseXLogData(m.Data[1:])
				if err != nil {
					return fmt.Errorf("postgres: %w", err)
				}
				if err := st.xlog(ctx, xld); err != nil {
					return err
				}
			}
		}
	}
}

// keepalive answers the server and, when nothing is in flight, advances the position
// to the server's WAL end with a heartbeat, so an idle or uncaptured-only database does
// not make the slot retain WAL without bound.
func (st *stream) keepalive(ctx context.Context, ka pglogrepl.PrimaryKeepaliveMessage) error {
	if !st.inTx && ka.ServerWALEnd > st.lastEnd {
		if err := st.flush(ctx); err != nil {
			return err
		}
		st.lastEnd = ka.ServerWALEnd
		hb := cdc.Event{Op: cdc.OpHeartbeat, Position: lsnPosition(ka.ServerWALEnd)}
		hb.Source.Connector = "postgresql"
		if err := st.send(ctx, []cdc.Event{hb}); err != nil {
			return err
		}
	}
	st.req.SourceStatus(cdc.SourceStatus{ServerPosition: ka.ServerWALEnd.String(),
		RetainedBytes: int64(ka.ServerWALEnd) - int64(st.confirmed.Load())})
	if ka.ReplyRequested {
		return st.sendStatus(ctx)
	}
	return nil
}

func (st *stream) xlog(ctx context.Context, xld pglogrepl.XLogData) error {
	msg, err := pglogrepl.Parse(xld.WALData)
	if err != nil {
		return fmt.Errorf("postgres: decoding pgoutput message: %w", err)
	}
	switch m := msg.(type) {
	case *pglogrepl.BeginMessage:
		st.inTx, st.txLSN, st.txTime, st.txID = true, m.FinalLSN, m.CommitTime.UTC(), strconv.FormatUint(uint64(m.Xid), 10)
		st.txOrder, st.txEvents, st.txSkip = 0, 0, 0
		if st.skipTx != "" && st.skipTx == m.FinalLSN.String() {
			st.txSkip = st.skipN
		}
	case *pglogrepl.CommitMessage:
		st.inTx = false
		st.skipTx = ""
		pos := lsnPosition(m.TransactionEndLSN)
		// Whatever is pending belongs to this transaction (pending is flushed at every
		// commit), but a transaction whose changes filled a batch exactly has nothing
		// pending any more: then a heartbeat carries its end position.
		if len(st.pending) > 0 {
			st.pending[len(st.pending)-1].Position = pos
		} else {
			hb := cdc.Event{Op: cdc.OpHeartbeat, Position: pos}
			st.pending = append(st.pending, hb)
		}
		st.lastEnd = m.TransactionEndLSN
		return st.flush(ctx)
	case *pglogrepl.RelationMessage:
		return st.relation(ctx, m)
	case *pglogrepl.InsertMessage:
		err = st.change(ctx, cdc.OpCreate, m.RelationID, nil, m.Tuple)
	case *pglogrepl.UpdateMessage:
		err = st.change(ctx, cdc.OpUpdate, m.RelationID, m.OldTuple, m.NewTuple)
	case *pglogrepl.DeleteMessage:
		err = st.change(ctx, cdc.OpDelete, m.RelationID, m.OldTuple, nil)
	case *pglogrepl.TruncateMessage:
		for _, id := range m.RelationIDs {
			rel := st.rels[id]
			if rel == nil || !rel.capture {
				continue
			}
			ev := cdc.Event{Op: cdc.OpTruncate, Table: rel.table, Schema: rel.schema}
			if st.emit(ctx, &ev) {
				st.pending = append(st.pending, ev)
			}
		}
	case *pglogrepl.LogicalDecodingMessage:
		ev := cdc.Event{Op: cdc.OpMessage, Message: &cdc.Message{Prefix: m.Prefix,
			Content: slices.Clone(m.Content), Transactional: m.Transactional}}
		if !m.Transactional {
			ev.Position = lsnPosition(m.LSN)
			ev.SetID("pg:msg:" + m.LSN.String())
			ev.Source.Connector, ev.Source.LSN = "postgresql", uint64(m.LSN)
			st.pending = append(st.pending, ev)
			return st.flush(ctx)
		}
		if st.emit(ctx, &ev) {
			st.pending = append(st.pending, ev)
		}
	}
	if err != nil {
		return err
	}
	// Inside a transaction, hand over full batches: memory stays bounded however
	// large the transaction is.
	if len(st.pending) >= pendingMax {
		return st.flush(ctx)
	}
	return nil
}

// emit stamps a transactional event with its transaction metadata, ID and (every
// midTxEvery changes) a mid-transaction position; it returns false for changes a
// resumed stream has already delivered.
func (st *stream) emit(ctx context.Context, ev *cdc.Event) bool {
	st.txOrder++
	if st.txOrder <= st.txSkip {
		return false
	}
	st.txEvents++
	ev.Source.Connector = "postgresql"
	ev.Source.CommitTime = st.txTime
	ev.Source.TxID = st.txID
	ev.Source.TxOrder = st.txOrder
	ev.Source.CommitLSN = uint64(st.txLSN)
	ev.SetID("pg:" + st.txLSN.String() + ":" + strconv.FormatInt(st.txOrder, 10))
	if st.txOrder%midTxEvery == 0 {
		ev.Position = position{LSN: st.lastEnd.String(), TxLSN: st.txLSN.String(), TxDone: st.txOrder}.encode()
	}
	return true
}

func (st *stream) change(ctx context.Context, op cdc.Op, relID uint32, oldT, newT *pglogrepl.TupleData) error {
	rel := st.rels[relID]
	if rel == nil {
		return fmt.Errorf("postgres: change for relation %d before its relation message", relID)
	}
	if !rel.capture {
		st.txOrder++ // keep change numbering stable whatever is captured
		return nil
	}
	// Built in place at the end of pending: an Event is large, copying it costs.
	st.pending = append(st.pending, cdc.Event{Op: op, Table: rel.table, Schema: rel.schema})
	ev := &st.pending[len(st.pending)-1]
	var err error
	if oldT != nil {
		if ev.Before, err = rel.row(oldT); err != nil {
			return err
		}
	}
	if newT != nil {
		if ev.After, err = rel.row(newT); err != nil {
			return err
		}
	}
	ev.Key = rel.key(ev.Before, ev.After)
	if !st.emit(ctx, ev) {
		st.pending = st.pending[:len(st.pending)-1]
	}
	return nil
}
