package postgres

import (
	"context"
	"fmt"
	"github.com/tributary-cdc/cdc/internal/feed"
	"io"
	"slices"
	"strconv"
	"strings"
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

// heartbeatPrefix is the prefix of the source's own heartbeat messages.
const heartbeatPrefix = "tributary.heartbeat"

// pendingMax is the most events handed to Read at once inside a transaction.
const pendingMax = 512

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

	*feed.Feed               // Read
	done       chan struct{} // run returned
	cancel     context.CancelFunc

	confirmed atomic.Uint64 // LSN the engine committed; reported to the server

	startLSN pglogrepl.LSN
	skipTx   string // resume inside this transaction (commit LSN) ...
	skipN    int64  // ... after this many changes

	// in-progress transactions streamed by the server (protocol version 2), owned by run
	spool *spool
	chunk *spoolTx // the transaction whose block is being received, nil between blocks

	// transaction state, owned by run
	lastEnd  pglogrepl.LSN // end LSN of the last whole transaction (or heartbeat) sent
	inTx     bool
	txLSN    pglogrepl.LSN
	txTime   time.Time
	txID     string
	txXid    uint32
	txOrder  int64
	txSkip   int64
	txEvents int
	pending  []cdc.Event
	status   *time.Ticker
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
	if !st.Feed.Close() {
		return nil
	}
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
		st.Fail(err)
	}
}

// send hands events to Read, answering the server with status updates while the
// engine applies backpressure, so a slow handler does not make the server drop us.
func (st *stream) send(ctx context.Context, evs []cdc.Event) error {
	return st.Send(ctx, evs, st.tick(), func() error { return st.sendStatus(ctx) })
}

// sender is send bound to a context, for feed.Marker.
func (st *stream) sender(ctx context.Context) func([]cdc.Event) error {
	return func(evs []cdc.Event) error { return st.send(ctx, evs) }
}

// tick fires at each status interval once streaming has started.
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
	st.pending = st.req.NewBatch(min(pendingMax, max(8, 2*len(evs))))
	return st.send(ctx, evs)
}

// serverMajor is the server's major version (0 when unknown).
func serverMajor(conn *pgconn.PgConn) int {
	v := conn.ParameterStatus("server_version")
	if i := strings.IndexAny(v, ". "); i >= 0 {
		v = v[:i]
	}
	n, _ := strconv.Atoi(v)
	return n
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
	cfg := &st.src.cfg
	args := []string{"proto_version '1'", "publication_names " + quoteLiteral(quoteIdent(cfg.Publication)), "messages 'true'"}
	if !cfg.NoTxStreaming && serverMajor(st.repl) >= 14 {
		args[0] = "proto_version '2'"
		args = append(args, "streaming 'on'")
		st.spool = newSpool(cfg.SpillDir, cfg.TxMemory, &st.src.spilled)
		defer st.spool.close()
	}
	err := pglogrepl.StartReplication(ctx, st.repl, cfg.Slot, st.startLSN, pglogrepl.StartReplicationOptions{PluginArgs: args})
	if err != nil {
		return classify(fmt.Errorf("postgres: starting replication on slot %q: %w", st.src.cfg.Slot, err))
	}
	st.lastEnd = st.startLSN
	st.status = time.NewTicker(cfg.StatusInterval)
	defer st.status.Stop()
	wait := cfg.StatusInterval
	var heartbeat <-chan time.Time
	if cfg.HeartbeatInterval > 0 {
		hb := time.NewTicker(cfg.HeartbeatInterval)
		defer hb.Stop()
		heartbeat = hb.C
		wait = min(wait, cfg.HeartbeatInterval)
	}
	st.pending = st.req.NewBatch(pendingMax)
	for {
		select {
		case <-st.status.C:
			if err := st.sendStatus(ctx); err != nil {
				return err
			}
		case <-heartbeat:
			if _, err := query(ctx, st.meta, "SELECT pg_logical_emit_message(false, "+quoteLiteral(heartbeatPrefix)+", '')"); err != nil {
				return fmt.Errorf("postgres: writing a heartbeat message (grant EXECUTE on pg_logical_emit_message, or set HeartbeatInterval to 0): %w", err)
			}
		default:
		}
		rctx, cancel := context.WithTimeout(ctx, wait)
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
	data := xld.WALData
	if len(data) == 0 {
		return nil
	}
	if st.chunk != nil {
		// Inside a block of an in-progress transaction: keep its changes until the
		// transaction commits.
		switch data[0] {
		case 'I', 'U', 'D', 'T', 'R', 'Y', 'M':
			if data[0] != 'M' || len(data) > 5 && data[5]&1 != 0 {
				return st.spool.add(st.chunk, data)
			}
			// A non-transactional message belongs to no transaction: deliver it now.
			data = append([]byte{data[0]}, data[5:]...)
		}
	}
	switch data[0] {
	case 'S', 'E', 'c', 'A':
		msg, err := pglogrepl.ParseV2(data, false)
		if err != nil {
			return fmt.Errorf("postgres: decoding pgoutput message: %w", err)
		}
		return st.streamControl(ctx, msg)
	}
	msg, err := pglogrepl.Parse(data)
	if err != nil {
		return fmt.Errorf("postgres: decoding pgoutput message: %w", err)
	}
	return st.handle(ctx, msg)
}

// streamControl handles the messages that frame in-progress transactions.
func (st *stream) streamControl(ctx context.Context, msg pglogrepl.Message) error {
	switch m := msg.(type) {
	case *pglogrepl.StreamStartMessageV2:
		st.chunk = st.spool.tx(m.Xid)
	case *pglogrepl.StreamStopMessageV2:
		st.chunk = nil
	case *pglogrepl.StreamAbortMessageV2:
		st.spool.abort(m.Xid, m.SubXid)
	case *pglogrepl.StreamCommitMessageV2:
		st.begin(m.CommitLSN, m.CommitTime, m.Xid)
		if t := st.spool.txs[m.Xid]; t != nil {
			err := st.spool.replay(t, func(data []byte) error {
				msg, err := pglogrepl.Parse(data)
				if err != nil {
					return fmt.Errorf("postgres: decoding a streamed pgoutput message: %w", err)
				}
				if err := st.handle(ctx, msg); err != nil {
					return err
				}
				select { // a long replay must still answer the server
				case <-st.tick():
					return st.sendStatus(ctx)
				default:
					return nil
				}
			})
			st.spool.drop(t)
			if err != nil {
				return err
			}
		}
		return st.commit(ctx, m.TransactionEndLSN)
	}
	return nil
}

func (st *stream) begin(finalLSN pglogrepl.LSN, commitTime time.Time, xid uint32) {
	st.inTx, st.txLSN, st.txTime, st.txID, st.txXid = true, finalLSN, commitTime.UTC(), strconv.FormatUint(uint64(xid), 10), xid
	st.txOrder, st.txEvents, st.txSkip = 0, 0, 0
	if st.skipTx != "" && st.skipTx == finalLSN.String() {
		st.txSkip = st.skipN
	}
}

func (st *stream) commit(ctx context.Context, end pglogrepl.LSN) error {
	st.inTx = false
	st.skipTx = ""
	pos := lsnPosition(end)
	// Whatever is pending belongs to this transaction (pending is flushed at every
	// commit), but a transaction whose changes filled a batch exactly has nothing
	// pending any more: then a heartbeat carries its end position.
	if len(st.pending) > 0 {
		st.pending[len(st.pending)-1].Position = pos
	} else {
		hb := cdc.Event{Op: cdc.OpHeartbeat, Position: pos}
		st.pending = append(st.pending, hb)
	}
	st.lastEnd = end
	return st.flush(ctx)
}

// handle applies one pgoutput message of a transaction (or outside one).
func (st *stream) handle(ctx context.Context, msg pglogrepl.Message) error {
	var err error
	switch m := msg.(type) {
	case *pglogrepl.BeginMessage:
		st.begin(m.FinalLSN, m.CommitTime, m.Xid)
	case *pglogrepl.CommitMessage:
		return st.commit(ctx, m.TransactionEndLSN)
	case *pglogrepl.RelationMessage:
		return st.relation(ctx, m)
	case *pglogrepl.InsertMessage:
		err = st.change(ctx, cdc.OpCreate, m.RelationID, nil, m.Tuple, false)
	case *pglogrepl.UpdateMessage:
		err = st.change(ctx, cdc.OpUpdate, m.RelationID, m.OldTuple, m.NewTuple, m.OldTupleType == pglogrepl.UpdateMessageTupleTypeKey)
	case *pglogrepl.DeleteMessage:
		err = st.change(ctx, cdc.OpDelete, m.RelationID, m.OldTuple, nil, m.OldTupleType == pglogrepl.DeleteMessageTupleTypeKey)
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
		if !m.Transactional && m.Prefix == heartbeatPrefix {
			if st.inTx {
				return nil
			}
			hb := cdc.Event{Op: cdc.OpHeartbeat, Position: lsnPosition(m.LSN)}
			hb.Source.Connector = "postgresql"
			st.pending = append(st.pending, hb)
			st.lastEnd = max(st.lastEnd, m.LSN)
			return st.flush(ctx)
		}
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

// change builds a row event. oldKeyOnly marks an old tuple that has only the replica
// identity's key columns (REPLICA IDENTITY DEFAULT or USING INDEX): its other columns
// are not known, so Before gets the key columns only rather than NULLs that would look
// like real values.
func (st *stream) change(ctx context.Context, op cdc.Op, relID uint32, oldT, newT *pglogrepl.TupleData, oldKeyOnly bool) error {
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
	if oldKeyOnly && !ev.Before.IsZero() {
		// The identity columns are the ones sent (they are NOT NULL by rule).
		full := ev.Before
		var names []string
		var vals []any
		for i, c := range oldT.Columns {
			if j := rel.idx[i]; j >= 0 && c.DataType != pglogrepl.TupleDataTypeNull {
				names = append(names, full.Name(j))
				vals = append(vals, full.At(j))
			}
		}
		ev.Before = cdc.NewRow(names, vals)
		if ev.After.IsZero() && !slices.Equal(names, rel.keyCols) {
			// A delete under REPLICA IDENTITY USING INDEX: the primary key was not
			// sent, the identity is all there is to key the row by.
			ev.Key = ev.Before
		}
	}
	if !st.emit(ctx, ev) {
		*ev = cdc.Event{} // NewBatch's spare capacity is zero Events
		st.pending = st.pending[:len(st.pending)-1]
	}
	return nil
}
