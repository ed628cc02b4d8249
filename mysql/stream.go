package mysql

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/tributary-cdc/cdc/internal/feed"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/tributary-cdc/cdc"
)

// midTxEvery is how many rows of a transaction pass between mid-transaction resume
// positions (begin position + rows done), so a restart inside a huge transaction
// skips what was handled instead of starting it over.
const midTxEvery = 1024

// pendingMax is the most events handed to Read at once.
const pendingMax = 512

// stream owns the query connection meta (catalog queries, snapshot reads) and, while
// streaming, a BinlogSyncer; both are used only by run's goroutine.
type stream struct {
	src  *Source
	req  cdc.OpenRequest
	info serverInfo
	meta *client.Conn
	// readers are the snapshot's extra connections (SnapshotParallelism > 1), open
	// from Open until the snapshot ends.
	readers []*client.Conn

	*feed.Feed               // Read
	done       chan struct{} // run returned
	cancel     context.CancelFunc

	// how to start, set by Open
	snap           *snapshot // non-nil: snapshot first, with this progress
	ended          bool      // nothing to deliver (initial_only after its snapshot)
	startHeartbeat bool      // announce the start position (it was not asked for)
	skipFile       string    // resume inside the transaction beginning at skipFile:skipPos ...
	skipPos        uint32
	skipN          int64  // ... after this many rows
	skipGTID       string // ... or the transaction with this GTID, when byGTID
	byGTID         bool   // start after the GTID state gtids, not at file:next (another server)
	startServer    string // the server file:next belong to, for the snapshot's positions

	// catalog, owned by run
	tables map[string]*tableState // "db.table"
	maps   map[uint64]*decoder    // table id of the binlog
	parser *parser.Parser
	hist   *history // the schemas by binlog position; cur is at the read position

	// binlog state, owned by run
	enc  posEncoder
	file string // current binlog file
	next uint32 // position after the last event read
	// gtids is the GTID state after the last transaction read (nil when the server's
	// transactions have no GTIDs or its state is unknown), gtidsText its text.
	gtids       *gtidTracker
	gtidsText   string
	serverID    uint32 // of the last event read
	inTx        bool
	explicit    bool // the transaction ends with XID or COMMIT, not with its statement
	txFile      string
	txBegin     uint32 // position of the transaction's first event (GTID or BEGIN)
	txGTID      string
	txTime      time.Time
	txID        string // "mysql:<file>:<begin>:"
	txOrder     int64
	txSkip      int64
	lastMid     int64
	txEvents    int
	txInPending bool // the last pending event belongs to the open transaction
	markFile    string
	markPos     uint32    // the last position handed out
	markTime    time.Time // when
	pending     []cdc.Event
	idBuf       []byte
}

func newStream(s *Source, req cdc.OpenRequest, info serverInfo, meta *client.Conn) *stream {
	return &stream{src: s, req: req, info: info, meta: meta, Feed: feed.New("mysql"),
		done:   make(chan struct{}),
		tables: map[string]*tableState{}, maps: map[uint64]*decoder{}}
}

func (st *stream) start() {
	var ctx context.Context
	ctx, st.cancel = context.WithCancel(context.Background()) // the stream outlives Open's ctx
	go st.run(ctx)
}

// Commit implements cdc.Stream. The binlog protocol has no acknowledgement: the
// server keeps its files by its own expiry settings whatever the consumer committed,
// so there is nothing to tell it. Commit only checks the position.
func (st *stream) Commit(_ context.Context, pos cdc.Position) error {
	p, err := parsePosition(pos)
	// A snapshot resumed on another server hands out that server's positions until
	// the stream starts: they cannot be compared with this server's.
	if err == nil && st.hist != nil && (p.Server == "" || p.Server == st.info.identity) {
		st.hist.commit(binlogPos{p.File, p.Pos})
	}
	return err
}

// Close implements cdc.Stream.
func (st *stream) Close() error {
	if !st.Feed.Close() {
		return nil
	}
	if st.cancel != nil {
		st.cancel()
		<-st.done
	}
	st.closeReaders()
	st.meta.Close()
	return nil
}

// closeReaders closes the extra snapshot connections (ending their transactions).
// Only run, and Close once run has returned, call it.
func (st *stream) closeReaders() {
	closeAll(st.readers)
	st.readers = nil
}

func (st *stream) run(ctx context.Context) {
	defer close(st.done)
	defer st.cancel()
	var err error
	switch {
	case st.ended:
		err = io.EOF
	case st.snap != nil:
		st.req.SetState(cdc.StateSnapshotting)
		err = st.snapshot(ctx)
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

// send hands events to Read.
func (st *stream) send(ctx context.Context, evs []cdc.Event) error {
	return st.Send(ctx, evs, nil, nil)
}

// sender is send bound to a context, for feed.Marker.
func (st *stream) sender(ctx context.Context) func([]cdc.Event) error {
	return func(evs []cdc.Event) error { return st.send(ctx, evs) }
}

func (st *stream) flush(ctx context.Context) error {
	if len(st.pending) == 0 {
		return nil
	}
	evs := st.pending
	// Room for twice the last batch: a rows event of a large transaction holds
	// hundreds of rows, and one that does not fit is handed over on its own.
	st.pending = st.req.NewBatch(min(2*pendingMax, max(8, 2*len(evs))))
	st.txInPending = false
	return st.send(ctx, evs)
}

// quietLogger hands go-mysql's log records (Info for every connect and rotate, Error
// for failures the stream reports itself) to the engine's logger at Debug.
type quietLogger struct{ h slog.Handler }

func (q quietLogger) Enabled(ctx context.Context, _ slog.Level) bool {
	return q.h.Enabled(ctx, slog.LevelDebug)
}

func (q quietLogger) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return q.h.Handle(ctx, r)
}

func (q quietLogger) WithAttrs(a []slog.Attr) slog.Handler { return quietLogger{q.h.WithAttrs(a)} }
func (q quietLogger) WithGroup(n string) slog.Handler      { return quietLogger{q.h.WithGroup(n)} }

type binlogItem struct {
	ev  *replication.BinlogEvent
	err error
}

func (st *stream) stream(ctx context.Context) error {
	cfg := &st.src.cfg
	host, port := cfg.Addr, uint16(0)
	if h, p, err := net.SplitHostPort(cfg.Addr); err == nil {
		n, _ := strconv.ParseUint(p, 10, 16)
		host, port = h, uint16(n)
	}
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: cfg.ServerID, Flavor: st.info.flavor, Host: host, Port: port,
		User: cfg.User, Password: cfg.Password, TLSConfig: cfg.TLS, Localhost: st.src.replicaHost(),
		// DATETIME and TIMESTAMP as time.Time; decimals as their exact text (UseDecimal
		// would go through shopspring/decimal, whose String drops trailing zeros).
		ParseTime: true, TimestampStringLocation: time.UTC,
		// No ReadTimeout: go-mysql would set a read deadline for every packet (a
		// twentieth of the time of a large transaction); the loop below watches for
		// silence only while it waits.
		HeartbeatPeriod: cfg.HeartbeatPeriod,
		// The engine reconnects from the last safe position; go-mysql's own retry
		// would resume in the middle of a transaction.
		DisableRetrySync:    true,
		EventCacheCount:     256,
		RowsEventDecodeFunc: st.decodeRows,
		Logger:              slog.New(quietLogger{st.req.Log().Handler()}),
	})
	defer syncer.Close()
	var streamer *replication.BinlogStreamer
	var err error
	if st.byGTID {
		// The server names the file and position it starts from in its first
		// (artificial) rotate event.
		st.req.Log().Info("starting the binlog stream from a GTID state: the stored position is from another server",
			"gtids", st.gtidsText, "server_id", cfg.ServerID)
		st.file, st.next = "", 4
		if streamer, err = syncer.StartSyncGTID(st.gtids.set()); err != nil {
			return classify(fmt.Errorf("mysql: starting the binlog stream after GTID state %s: %w", st.gtidsText, err))
		}
	} else {
		st.req.Log().Debug("starting the binlog stream", "file", st.file, "pos", st.next, "server_id", cfg.ServerID)
		if streamer, err = syncer.StartSync(gmysql.Position{Name: st.file, Pos: st.next}); err != nil {
			return classify(fmt.Errorf("mysql: starting the binlog stream at %s:%d: %w", st.file, st.next, err))
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items := make(chan binlogItem, 256)
	go func() { // reads ahead, so the loop below knows when nothing more is waiting
		for {
			ev, err := streamer.GetEvent(ctx)
			select {
			case items <- binlogItem{ev, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	st.pending = st.req.NewBatch(64)
	silentFor := 3*cfg.HeartbeatPeriod + time.Second
	st.markFile, st.markPos, st.markTime = st.file, st.next, time.Now()
	if st.startHeartbeat {
		st.startHeartbeat = false
		st.markFile = ""
		st.heartbeat()
	}
	for {
		var it binlogItem
		select {
		case it = <-items:
		default:
			// Nothing waiting: hand over what is pending, then wait. Inside a
			// transaction, wait for its end first (the server writes a transaction to
			// the binlog at once, when it commits), so its last event carries the
			// position rather than a heartbeat after it.
			if !st.inTx {
				if err := st.flush(ctx); err != nil {
					return err
				}
			}
			silence := time.NewTimer(silentFor)
			select {
			case it = <-items:
				silence.Stop()
			case <-silence.C:
				return cdc.Retryable(fmt.Errorf("mysql: no binlog event or heartbeat for %v after %s:%d (heartbeat period %v): "+
					"the connection is taken for broken", silentFor, st.file, st.next, cfg.HeartbeatPeriod))
			case <-ctx.Done():
				silence.Stop()
				return ctx.Err()
			}
		}
		if it.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if isSameIDError(it.err) {
				return st.src.serverIDConflict(fmt.Sprintf("the server disconnected this stream for it: %v", it.err))
			}
			if st.byGTID && st.file == "" {
				return gtidStreamError(it.err, st.gtidsText)
			}
			return streamError(it.err, st.file, st.next)
		}
		if err := st.event(ctx, it.ev); err != nil {
			return err
		}
		if len(st.pending) >= pendingMax {
			if err := st.flush(ctx); err != nil {
				return err
			}
		}
	}
}

// decodeRowsSigned decodes a rows event as go-mysql does, but without the table map's
// signedness: go-mysql builds a map of it for every row image (a tenth of the
// allocations of a large transaction), while binlogDecoder applies the signedness
// itself. It runs on go-mysql's parsing goroutine, and the table map is shared with
// the stream's goroutine, whose calls of its methods cache results in it: the rows
// are decoded with a table map holding only the column types, never by changing or
// copying the original.
func decodeRowsSigned(re *replication.RowsEvent, data []byte) error {
	pos, err := re.DecodeHeader(data)
	if err != nil {
		return err
	}
	if tm := re.Table; tm != nil && len(tm.SignednessBitmap) > 0 {
		re.Table = &replication.TableMapEvent{TableID: tm.TableID, ColumnCount: tm.ColumnCount,
			ColumnType: tm.ColumnType, ColumnMeta: tm.ColumnMeta}
		defer func() { re.Table = tm }()
	}
	return re.DecodeData(pos, data)
}

// decodeRows decodes a rows event (decodeRowsSigned); one go-mysql cannot decode
// (MariaDB's COMPRESSED columns) fails the stream only if its table is captured. The
// rows of an uncaptured one are dropped uncounted, with a warning: changes after them
// in the same transaction get other TxOrder numbers (and IDs) than if they were
// decoded. It runs on go-mysql's parsing goroutine.
func (st *stream) decodeRows(re *replication.RowsEvent, data []byte) error {
	err := decodeRowsSigned(re, data)
	if err == nil || re.Table == nil {
		return err
	}
	db, name := string(re.Table.Schema), string(re.Table.Table)
	if st.src.cfg.captures(db, name) {
		return fmt.Errorf("mysql: cannot decode a rows event of captured table %s.%s (MariaDB COMPRESSED columns are not supported): %w", db, name, err)
	}
	re.Rows, re.SkippedColumns = nil, nil
	st.src.warnOnce(st.req.Log(), "undecodable:"+db+"."+name, "cannot decode the rows of a table that is not captured; they are skipped, "+
		"so changes after them in the same transaction are numbered (TxOrder, event IDs) without them",
		"table", db+"."+name, "err", err)
	return nil
}

// streamError classifies an error of the binlog stream: connection failures are
// retryable, server errors and undecodable events are not.
func streamError(err error, file string, pos uint32) error {
	err = fmt.Errorf("mysql: reading the binlog after %s:%d: %w", file, pos, err)
	var me *gmysql.MyError
	var ee *replication.EventError
	switch {
	case errors.As(err, &me) && me.Code == gmysql.ER_MASTER_FATAL_ERROR_READING_BINLOG &&
		(strings.Contains(me.Message, "first log file") || strings.Contains(me.Message, "purged")):
		return fmt.Errorf("%w: %w", cdc.ErrPositionLost, err)
	case errors.As(err, &me):
		return classify(err)
	case errors.As(err, &ee):
		return err
	case errors.Is(err, replication.ErrSyncClosed), errors.Is(err, replication.ErrNeedSyncAgain):
		return cdc.Retryable(err)
	}
	var ne net.Error
	if errors.Is(err, gmysql.ErrBadConn) || errors.As(err, &ne) || cdc.IsRetryable(err) {
		return cdc.Retryable(err)
	}
	return err
}

// event handles one binlog event.
func (st *stream) event(ctx context.Context, ev *replication.BinlogEvent) error {
	h := ev.Header
	var start uint32 // where the event begins
	if h.LogPos >= h.EventSize {
		start = h.LogPos - h.EventSize
	}
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		st.file, st.next = string(e.NextLogName), uint32(e.Position)
		if h.Flags&replication.LOG_EVENT_ARTIFICIAL_F == 0 && !st.inTx {
			st.heartbeat() // the server moved to the next file
		}
		return nil
	case *replication.HeartbeatEvent:
		st.req.SourceStatus(cdc.SourceStatus{ServerPosition: e.Filename + ":" + strconv.FormatUint(uint64(h.LogPos), 10), RetainedBytes: -1})
		if !st.inTx {
			st.heartbeat()
		}
		return nil
	}
	if h.LogPos > 0 {
		st.next = h.LogPos
	}
	st.serverID = h.ServerID
	switch e := ev.Event.(type) {
	case *replication.MariadbGTIDEvent:
		st.begin(start, e.GTID.String(), h.Timestamp)
		st.explicit = !e.IsStandalone()
	case *replication.GTIDEvent:
		gtid := ""
		if e.GNO > 0 {
			gtid = uuidString(e.SID) + ":" + strconv.FormatInt(e.GNO, 10)
		}
		st.begin(start, gtid, h.Timestamp)
		if e.ImmediateCommitTimestamp > 0 {
			st.txTime = e.ImmediateCommitTime().UTC()
		}
	case *replication.GtidTaggedLogEvent:
		gtid := ""
		if e.GNO > 0 {
			gtid = uuidString(e.SID) + ":" + e.Tag.String() + ":" + strconv.FormatInt(e.GNO, 10)
		}
		st.begin(start, gtid, h.Timestamp)
	case *replication.QueryEvent:
		return st.queryEvent(ctx, h, start, e)
	case *replication.XIDEvent:
		st.commit(h.LogPos)
	case *replication.TableMapEvent:
		return st.tableMap(ctx, e)
	case *replication.RowsEvent:
		if n := len(st.pending); n > 0 && n+len(e.Rows) > cap(st.pending) {
			// Hand over what is pending rather than grow the slice (copying every event).
			if err := st.flush(ctx); err != nil {
				return err
			}
		}
		return st.rows(h, start, e)
	case *replication.TransactionPayloadEvent: // MySQL 8 binlog_transaction_compression
		for _, inner := range e.Events {
			if err := st.event(ctx, inner); err != nil {
				return err
			}
		}
	}
	return nil
}

func (st *stream) queryEvent(ctx context.Context, h *replication.EventHeader, start uint32, e *replication.QueryEvent) error {
	q := string(e.Query)
	switch strings.ToUpper(strings.TrimSpace(q)) {
	case "BEGIN":
		if !st.inTx {
			st.begin(start, "", h.Timestamp)
		}
		st.explicit = true
		return nil
	case "COMMIT", "ROLLBACK":
		st.commit(h.LogPos)
		return nil
	}
	if kw := ddlKeyword(q); kw == "XA" || kw == "SAVEPOINT" {
		return nil
	}
	if !st.inTx {
		st.begin(start, "", h.Timestamp)
	}
	if err := st.ddl(ctx, q, string(e.Schema)); err != nil {
		return err
	}
	if !st.explicit { // a statement that is its own transaction (DDL)
		st.commit(h.LogPos)
	}
	return nil
}

// begin starts a transaction whose first event begins at start.
func (st *stream) begin(start uint32, gtid string, ts uint32) {
	st.inTx, st.explicit = true, false
	st.txFile, st.txBegin, st.txGTID = st.file, start, gtid
	st.txTime = time.Unix(int64(ts), 0).UTC()
	st.txOrder, st.txSkip, st.lastMid, st.txEvents, st.txInPending = 0, 0, 0, 0, false
	if st.skipN > 0 {
		// The stream was opened inside this transaction: skip the rows handled.
		if st.byGTID && gtid != "" && gtid == st.skipGTID || !st.byGTID && st.skipFile == st.file && st.skipPos == start {
			st.txSkip, st.lastMid = st.skipN, st.skipN
		} else {
			st.req.Log().Warn("the stored position is inside a transaction, but the stream did not start with it; no rows skipped",
				"file", st.skipFile, "pos", st.skipPos, "found", st.file+":"+strconv.FormatUint(uint64(start), 10))
		}
		st.skipN = 0
	}
	// A GTID names the transaction on every server of a replication topology, so the
	// IDs stay the same after a failover.
	if gtid != "" {
		st.idBuf = append(append(append(st.idBuf[:0], "mysql:"...), gtid...), ':')
	} else {
		st.idBuf = append(append(append(append(st.idBuf[:0], "mysql:"...), st.file...), ':'), strconv.FormatUint(uint64(start), 10)...)
		st.idBuf = append(st.idBuf, ':')
	}
	st.txID = string(st.idBuf)
}

// commit ends the transaction at end (the position after its last event): its last
// event carries the position, or a heartbeat does.
func (st *stream) commit(end uint32) {
	if !st.inTx {
		return
	}
	st.inTx = false
	st.txSkip = 0
	if st.txGTID != "" && st.gtids != nil {
		st.advanceGTIDs(st.txGTID)
	}
	if st.txEvents == 0 {
		// Only uncaptured changes: let the position follow now and then.
		if time.Since(st.markTime) >= st.src.cfg.HeartbeatPeriod {
			st.heartbeat()
		}
		return
	}
	pos := st.enc.at(st.file, end, 0, st.gtidsText, "")
	if n := len(st.pending); st.txInPending && n > 0 {
		st.pending[n-1].Position = pos
	} else {
		hb := cdc.Event{Op: cdc.OpHeartbeat, Position: pos}
		hb.Source.Connector = st.info.flavor
		st.pending = append(st.pending, hb)
	}
	st.markFile, st.markPos, st.markTime = st.file, end, time.Now()
}

// heartbeat queues a heartbeat carrying the current position when it moved since the
// last position handed out. Only between transactions.
func (st *stream) heartbeat() {
	if st.file == st.markFile && st.next == st.markPos {
		return
	}
	if st.file == "" {
		return // started from a GTID state: no position on this server yet
	}
	hb := cdc.Event{Op: cdc.OpHeartbeat, Position: st.enc.at(st.file, st.next, 0, st.gtidsText, "")}
	hb.Source.Connector = st.info.flavor
	st.pending = append(st.pending, hb)
	st.markFile, st.markPos, st.markTime = st.file, st.next, time.Now()
}

// stamp gives a transaction's event its metadata, ID and, every midTxEvery rows, a
// mid-transaction position.
func (st *stream) stamp(ev *cdc.Event) {
	ev.Source.Connector = st.info.flavor
	ev.Source.CommitTime = st.txTime
	ev.Source.GTID = st.txGTID
	ev.Source.TxID = st.txGTID
	if ev.Source.TxID == "" {
		ev.Source.TxID = st.txFile + ":" + strconv.FormatUint(uint64(st.txBegin), 10)
	}
	ev.Source.TxOrder = st.txOrder
	st.idBuf = strconv.AppendInt(append(st.idBuf[:0], st.txID...), st.txOrder, 10)
	ev.SetID(string(st.idBuf))
	if st.txOrder-st.lastMid >= midTxEvery {
		// The state before the transaction: a restart from GTIDs starts with it.
		ev.Position = st.enc.at(st.txFile, st.txBegin, st.txOrder, st.gtidsText, st.txGTID)
		st.lastMid = st.txOrder
	}
	st.txEvents++
	st.txInPending = true
}

// emit queues an event of the open transaction that is not a row (schema, truncate).
func (st *stream) emit(ev *cdc.Event) {
	st.txOrder++
	if st.txOrder <= st.txSkip {
		return
	}
	ev.Source.File, ev.Source.Pos, ev.Source.ServerID = st.file, uint64(st.txBegin), st.serverID
	st.pending = append(st.pending, *ev)
	st.stamp(&st.pending[len(st.pending)-1])
}

// rows turns a rows event into change events.
func (st *stream) rows(h *replication.EventHeader, start uint32, e *replication.RowsEvent) error {
	d := st.maps[e.TableID]
	if d == nil {
		return fmt.Errorf("mysql: rows event at %s:%d for table id %d without its table map event", st.file, start, e.TableID)
	}
	if !st.inTx {
		st.begin(start, "", h.Timestamp)
		st.explicit = true
	}
	var op cdc.Op
	step := 1
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert:
		op = cdc.OpCreate
	case replication.EnumRowsEventTypeUpdate:
		op, step = cdc.OpUpdate, 2
	case replication.EnumRowsEventTypeDelete:
		op = cdc.OpDelete
	default:
		return fmt.Errorf("mysql: unknown rows event type at %s:%d", st.file, start)
	}
	n := len(e.Rows) / step
	if !d.capture {
		st.txOrder += int64(n) // keep row numbering stable whatever is captured
		return nil
	}
	ncols, nkey := len(d.schema.Columns), len(d.keyIdx)
	// One allocation for the values of all rows of the event, cut with capped slices.
	slab := make([]any, n*(step*ncols+nkey))
	take := func(k int) []any {
		s := slab[:k:k]
		slab = slab[k:]
		return s
	}
	for r := 0; r < n; r++ {
		st.txOrder++
		if st.txOrder <= st.txSkip {
			continue
		}
		img := e.Rows[r*step]
		// Built in place at the end of pending: an Event is large, copying it costs.
		st.pending = append(st.pending, cdc.Event{Op: op, Table: d.table.id, Schema: d.schema})
		ev := &st.pending[len(st.pending)-1]
		var err error
		switch op {
		case cdc.OpCreate:
			ev.After, err = d.row(img, skipped(e, r*step), take(ncols))
		case cdc.OpDelete:
			ev.Before, err = d.row(img, skipped(e, r*step), take(ncols))
		case cdc.OpUpdate:
			if ev.Before, err = d.row(img, skipped(e, r*step), take(ncols)); err == nil {
				ev.After, err = d.row(e.Rows[r*step+1], skipped(e, r*step+1), take(ncols))
			}
		}
		if err != nil {
			return fmt.Errorf("%w (event at %s:%d)", err, st.file, start)
		}
		if op == cdc.OpDelete {
			ev.Key = d.key(ev.Before, cdc.Row{}, take(nkey))
		} else {
			ev.Key = d.key(ev.After, ev.Before, take(nkey))
		}
		ev.Source.ServerID, ev.Source.File, ev.Source.Pos, ev.Source.Row = h.ServerID, st.file, uint64(start), r
		st.stamp(ev)
	}
	return nil
}

// skipped returns the columns missing from row image i of a rows event (partial
// row images only).
func skipped(e *replication.RowsEvent, i int) []int {
	if i < len(e.SkippedColumns) {
		return e.SkippedColumns[i]
	}
	return nil
}

func uuidString(b []byte) string {
	if len(b) != 16 {
		return hex.EncodeToString(b)
	}
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
