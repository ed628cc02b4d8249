package mysql

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/arena"
	"github.com/tributary-cdc/cdc/internal/feed"
	"github.com/tributary-cdc/cdc/internal/textnum"
)

// beginSnapshot starts the snapshot on conn, and on SnapshotParallelism-1 more reader
// connections it returns, and returns the binlog position they are consistent with,
// according to Config.SnapshotLocking.
//
// MariaDB reports that position for the transaction itself (binlog_snapshot_file and
// binlog_snapshot_position after START TRANSACTION WITH CONSISTENT SNAPSHOT): no lock
// is needed. MySQL has no such status: a global read lock (FLUSH TABLES WITH READ
// LOCK) is held while the transaction starts and the position is read, then released.
// With table locks the captured tables stay locked, and the snapshot reads them
// without a transaction, until endSnapshot. Several readers need one position: they
// start their transactions under the global lock (also on MariaDB), or after the
// position is read with LockNone.
func (s *Source) beginSnapshot(ctx context.Context, conn *client.Conn, info serverInfo) (at binlogStart, readers []*client.Conn, err error) {
	// Extra readers connect first: the global lock, when taken, is held for as short
	// a time as possible.
	for range s.cfg.SnapshotParallelism - 1 {
		c, err := s.connect(ctx)
		if err != nil {
			closeAll(readers)
			return binlogStart{}, nil, err
		}
		readers = append(readers, c)
	}
	defer func() {
		if err != nil {
			closeAll(readers)
			readers = nil
		}
	}()
	all := append([]*client.Conn{conn}, readers...)
	for _, c := range all {
		if _, err := query(ctx, c, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
			return binlogStart{}, nil, fmt.Errorf("mysql: snapshot: %w", err)
		}
		// A slow consumer must not make the server drop a streamed snapshot read.
		if _, err := query(ctx, c, "SET SESSION net_write_timeout = 3600"); err != nil {
			return binlogStart{}, nil, fmt.Errorf("mysql: snapshot: %w", err)
		}
	}
	begin := func() error {
		for _, c := range all {
			if _, err := query(ctx, c, "START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
				return fmt.Errorf("mysql: starting the snapshot transaction: %w", err)
			}
		}
		return nil
	}
	mariadb := info.flavor == gmysql.MariaDBFlavor
	switch locking := s.cfg.SnapshotLocking; {
	case locking == LockTables:
		// Readers need no transaction: the locked tables do not change.
		at, err = s.lockTables(ctx, conn)
		return at, readers, err
	case mariadb && (locking == LockAuto || locking == LockNone) && len(readers) == 0:
		if err := begin(); err != nil {
			return binlogStart{}, nil, err
		}
		at.file, at.pos, err = snapshotPosition(ctx, conn)
		return at, readers, err
	case locking == LockNone:
		// Position first: what commits before the transactions start is streamed
		// again, never lost.
		if at, err = masterStatus(ctx, conn); err != nil {
			return binlogStart{}, nil, err
		}
		return at, readers, begin()
	}
	// A global read lock: MySQL's default, and what makes several readers'
	// transactions start at one position.
	if _, err := query(ctx, conn, "FLUSH TABLES WITH READ LOCK"); err != nil {
		if denied(err) {
			return binlogStart{}, nil, fmt.Errorf("%w: mysql: the snapshot needs FLUSH TABLES WITH READ LOCK, which needs the RELOAD privilege: "+
				"run GRANT RELOAD ON *.* TO the user, or set SnapshotLocking to tables or none (%v)", cdc.ErrInvalidConfig, err)
		}
		return binlogStart{}, nil, fmt.Errorf("mysql: taking the snapshot's global read lock: %w", err)
	}
	unlock := func() { query(context.Background(), conn, "UNLOCK TABLES") }
	if err := begin(); err != nil {
		unlock()
		return binlogStart{}, nil, err
	}
	at, err = masterStatus(ctx, conn)
	unlock()
	return at, readers, err
}

func closeAll(conns []*client.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// lockTables locks the captured tables for reading (all in one statement, as LOCK
// TABLES requires) and reads the binlog position.
func (s *Source) lockTables(ctx context.Context, conn *client.Conn) (binlogStart, error) {
	r, err := query(ctx, conn, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'")
	if err != nil {
		return binlogStart{}, fmt.Errorf("mysql: listing the tables to lock: %w", err)
	}
	var locks []string
	for i := range r.RowNumber() {
		db, _ := cell(r, i, 0)
		name, _ := cell(r, i, 1)
		if s.cfg.captures(db, name) {
			locks = append(locks, quoteIdent(db)+"."+quoteIdent(name)+" READ")
		}
	}
	if len(locks) > 0 {
		if _, err := query(ctx, conn, "LOCK TABLES "+strings.Join(locks, ", ")); err != nil {
			if denied(err) {
				return binlogStart{}, fmt.Errorf("%w: mysql: SnapshotLocking tables needs the LOCK TABLES privilege on the captured databases: "+
					"run GRANT LOCK TABLES ON <db>.* TO the user (%v)", cdc.ErrInvalidConfig, err)
			}
			return binlogStart{}, fmt.Errorf("mysql: locking the captured tables for the snapshot: %w", err)
		}
	}
	at, err := masterStatus(ctx, conn)
	if err != nil {
		query(context.Background(), conn, "UNLOCK TABLES")
		return binlogStart{}, err
	}
	return at, nil
}

// endSnapshot ends the snapshot transaction, or releases the table locks.
func endSnapshot(ctx context.Context, conn *client.Conn) error {
	if _, err := query(ctx, conn, "COMMIT"); err != nil {
		return fmt.Errorf("mysql: ending the snapshot transaction: %w", err)
	}
	if _, err := query(ctx, conn, "UNLOCK TABLES"); err != nil {
		return fmt.Errorf("mysql: releasing the snapshot's table locks: %w", err)
	}
	return nil
}

// snapshotPosition reads MariaDB's binlog position of the open snapshot transaction.
func snapshotPosition(ctx context.Context, conn *client.Conn) (string, uint32, error) {
	r, err := query(ctx, conn, "SHOW STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return "", 0, fmt.Errorf("mysql: reading the snapshot's binlog position: %w", err)
	}
	var file, pos string
	for i := range r.RowNumber() {
		k, _ := cell(r, i, 0)
		v, _ := cell(r, i, 1)
		switch strings.ToLower(k) {
		case "binlog_snapshot_file":
			file = v
		case "binlog_snapshot_position":
			pos = v
		}
	}
	p, err := strconv.ParseUint(pos, 10, 32)
	if file == "" || err != nil {
		return "", 0, fmt.Errorf("mysql: the server reports no snapshot binlog position (binlog_snapshot_file %q, binlog_snapshot_position %q)", file, pos)
	}
	return file, uint32(p), nil
}

// denied reports an access-denied error.
func denied(err error) bool {
	var me *gmysql.MyError
	return errors.As(err, &me) && (me.Code == gmysql.ER_SPECIFIC_ACCESS_DENIED_ERROR ||
		me.Code == gmysql.ER_ACCESS_DENIED_ERROR || me.Code == gmysql.ER_DBACCESS_DENIED_ERROR ||
		me.Code == gmysql.ER_TABLEACCESS_DENIED_ERROR)
}

// snapshot reads the captured tables inside the transaction beginBinlog started, in
// primary-key chunks. Each chunk's last row carries a position that records the
// tables done and the key reached, so a crash resumes the snapshot.
func (st *stream) snapshot(ctx context.Context) error {
	_, in, err := st.src.modelledDatabases(ctx, st.meta)
	if err != nil {
		return err
	}
	if in == "" {
		in = "NULL" // no database: no tables, but the snapshot still ends
	}
	r, err := query(ctx, st.meta, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "+
		"WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN ("+in+") ORDER BY TABLE_SCHEMA, TABLE_NAME")
	if err != nil {
		return fmt.Errorf("mysql: listing the tables to snapshot: %w", err)
	}
	progress := *st.snap
	var jobs []*snapJob
	out := &feed.Marker{}
	if len(progress.Done) > 0 || progress.Table != "" {
		out.Resumed()
	}
	for i := range r.RowNumber() {
		db, _ := cell(r, i, 0)
		name, _ := cell(r, i, 1)
		rows, _ := cell(r, i, 2)
		full := db + "." + name
		if !st.src.cfg.captures(db, name) || slices.Contains(progress.Done, full) {
			continue
		}
		var after []string
		if progress.Table == full {
			after = progress.After
		}
		total, _ := strconv.ParseInt(rows, 10, 64)
		job, err := st.planTable(ctx, db, name, total, after)
		if err != nil {
			return err
		}
		if job != nil {
			jobs = append(jobs, job)
		}
	}
	if len(st.readers) > 0 && (len(jobs) > 1 || len(jobs) == 1 && len(jobs[0].units) > 1) {
		err = st.snapshotParallel(ctx, jobs, &progress, out)
	} else {
	seq:
		for _, job := range jobs {
			d := st.delivery(ctx, job, &progress, out)
			for _, u := range job.units {
				if err = st.readJob(ctx, st.meta, job, job.sc, u, d.deliver); err != nil {
					break seq
				}
			}
		}
	}
	st.closeReaders()
	if err != nil {
		return err
	}
	if err := out.Finish(st.sender(ctx)); err != nil {
		return err
	}
	if err := endSnapshot(ctx, st.meta); err != nil {
		return err
	}
	// The snapshot is complete: from here on the position is the stream's.
	st.markFile, st.markPos = st.file, st.next
	hb := cdc.Event{Op: cdc.OpHeartbeat, Position: position{File: st.file, Pos: st.next, GTIDs: st.gtidsText, Server: st.startServer}.encode()}
	hb.Source.Connector = st.info.flavor
	return st.send(ctx, []cdc.Event{hb})
}

// snapCols is how a table is selected and decoded.
type snapCols struct {
	t      *tableState
	info   *tableInfo
	schema *cdc.TableSchema
	idx    []int // selected column -> schema column, -1 when excluded
	decs   []func([]byte) (any, error)
	pkAt   []int // selected columns of the key, in key order
	pkKind []cdc.Kind
	pkBit  []bool // BIT key columns: their bytes are a number
	pkCols []*colInfo
	keyIdx []int // schema column of each key column
	sel    string
	order  string
	from   string
	full   string
	prefix string // of the events' IDs
	mem    snapMem
}

// snapMem is where a table's snapshot values are cut from (see internal/arena).
type snapMem struct {
	text   arena.Strings
	ints   arena.Box[int64]
	uints  arena.Box[uint64]
	floats arena.Box[float64]
	strs   arena.Box[string]
	times  arena.Box[time.Time]
	nums   arena.Box[cdc.Decimal]
}

// snapJob is one table to read: how to select and decode it, where to start, and the
// key ranges (units) its rows are read in, in key order.
type snapJob struct {
	sc    *snapCols
	total int64
	after []string // the key of the last row read before a restart
	units []snapUnit
}

// snapUnit is a key range of a table, read by one streamed query.
type snapUnit struct {
	where string // conditions on the key besides the resume point: "" for all
	last  bool   // the table's last range
}

// snapChunk is a batch of rows of a table, with the key of its last row.
type snapChunk struct {
	evs  []cdc.Event
	last []string // nil for a table without a key (not a resume point)
	done bool     // the table's last batch
	end  bool     // the unit's last batch
	err  error
}

// planTable prepares the read of one table; nil when it was dropped meanwhile.
func (st *stream) planTable(ctx context.Context, db, name string, total int64, after []string) (*snapJob, error) {
	full := db + "." + name
	t, err := st.table(ctx, db, name)
	if err != nil {
		return nil, err
	}
	// The rows are read as the table is now: a resumed snapshot's transaction is
	// younger than the history's position.
	info, err := loadTable(ctx, st.meta, st.info.flavor, db, name)
	if err != nil {
		return nil, err
	}
	if info == nil { // dropped meanwhile
		return nil, nil
	}
	sc := &snapCols{t: t, info: info, from: quoteIdent(db) + "." + quoteIdent(name), full: full, prefix: "mysql:snapshot:" + full + ":"}
	sc.schema, sc.idx = st.buildSchema(t, info.cols, info.pk)
	for _, k := range sc.schema.PrimaryKey {
		sc.keyIdx = append(sc.keyIdx, sc.schema.Index(k))
	}
	var sel []string
	for i := range info.cols {
		c := &info.cols[i]
		sel = append(sel, quoteIdent(c.name))
		sc.decs = append(sc.decs, snapshotDecoder(c, &sc.mem))
	}
	for _, k := range info.pk {
		j := info.byName[k]
		sc.pkAt = append(sc.pkAt, j)
		sc.pkKind = append(sc.pkKind, info.cols[j].kind())
		sc.pkBit = append(sc.pkBit, info.cols[j].class() == "bit")
		sc.pkCols = append(sc.pkCols, &info.cols[j])
	}
	sc.sel = strings.Join(sel, ", ")
	var order []string
	for _, j := range sc.pkAt {
		order = append(order, sel[j])
	}
	sc.order = strings.Join(order, ", ")
	job := &snapJob{sc: sc, total: total, after: after}
	units, err := st.keyRanges(ctx, sc, info, after)
	if err != nil {
		return nil, err
	}
	if job.units = units; units == nil {
		job.units = []snapUnit{{last: true}}
	}
	return job, nil
}

// keyRanges splits a table with a single integer key into ranges of about equal key
// width, a few per reader so that a skewed table keeps every reader busy, when the
// snapshot has several readers and the table more than a chunk of rows; nil otherwise.
func (st *stream) keyRanges(ctx context.Context, sc *snapCols, info *tableInfo, after []string) ([]snapUnit, error) {
	par := int64(st.src.cfg.SnapshotParallelism)
	size := int64(st.src.cfg.SnapshotChunkSize)
	if par < 2 || len(sc.pkAt) != 1 || sc.pkCols[0].kind() != cdc.KindInt || sc.pkCols[0].class() == "bit" {
		return nil, nil
	}
	key := quoteIdent(sc.pkCols[0].name)
	q := "SELECT MIN(" + key + "), MAX(" + key + ") FROM " + sc.from
	if after != nil {
		w, err := sc.after(after)
		if err != nil {
			return nil, err
		}
		q += " WHERE " + w
	}
	r, err := query(ctx, st.meta, q)
	if err != nil {
		if notInSnapshot(err) {
			return nil, nil // dropped meanwhile: the read says so
		}
		return nil, snapshotErr(sc.full, err)
	}
	lo, null1 := cell(r, 0, 0)
	hi, null2 := cell(r, 0, 1)
	l, err1 := strconv.ParseInt(lo, 10, 64)
	h, err2 := strconv.ParseInt(hi, 10, 64)
	// A span that overflows int64 (or nearly) is not split: the range bounds would.
	if null1 || null2 || err1 != nil || err2 != nil || h-l < 2*size || h-l > math.MaxInt64/2 {
		return nil, nil
	}
	n := min(4*par, (h-l)/size+1)
	step := (h - l + n) / n
	units := make([]snapUnit, n)
	prev := ""
	for i := range n {
		var conds []string
		if prev != "" {
			conds = append(conds, key+" > "+prev)
		}
		if i < n-1 {
			b := strconv.FormatInt(l+(i+1)*step-1, 10)
			conds = append(conds, key+" <= "+b)
			prev = b
		}
		units[i] = snapUnit{where: strings.Join(conds, " AND "), last: i == n-1}
	}
	return units, nil
}

// forReader returns the table's columns with their own arena, for another reader.
func (sc *snapCols) forReader() *snapCols {
	c := *sc
	c.mem = snapMem{}
	c.decs = make([]func([]byte) (any, error), len(sc.info.cols))
	for i := range sc.info.cols {
		c.decs[i] = snapshotDecoder(&sc.info.cols[i], &c.mem)
	}
	return &c
}

// snapDelivery hands a table's chunks to the engine in order, with positions that
// record the tables done and the key reached.
type snapDelivery struct {
	ctx      context.Context
	st       *stream
	job      *snapJob
	progress *snapshot
	out      *feed.Marker
	read     int64
}

func (st *stream) delivery(ctx context.Context, job *snapJob, progress *snapshot, out *feed.Marker) *snapDelivery {
	return &snapDelivery{ctx: ctx, st: st, job: job, progress: progress, out: out}
}

func (d *snapDelivery) deliver(c snapChunk) error {
	st, progress, full := d.st, d.progress, d.job.sc.full
	var p cdc.Position
	if c.done || c.last != nil {
		if c.done {
			progress.Done = append(progress.Done, full)
			progress.Table, progress.After = "", nil
		} else {
			progress.Table, progress.After = full, c.last
		}
		p = position{File: st.file, Pos: st.next, GTIDs: st.gtidsText, Server: st.startServer,
			Snapshot: &snapshot{Done: slices.Clone(progress.Done), Table: progress.Table, After: progress.After}}.encode()
	}
	d.read += int64(len(c.evs))
	if len(c.evs) == 0 && p == nil {
		return nil
	}
	if err := d.out.SendAt(c.evs, p, st.sender(d.ctx)); err != nil {
		return err
	}
	st.req.SnapshotProgress(cdc.SnapshotProgress{Table: d.job.sc.t.id, RowsRead: d.read, RowsTotal: d.job.total, Done: c.done})
	return nil
}

// readJob reads one table on conn with one streamed query (the server keeps producing
// rows while they are decoded; a query per chunk would leave both sides waiting in
// turn) and hands its rows to emit in chunks of SnapshotChunkSize: in primary-key
// order after the key reached before a restart, each chunk with the key of its last
// row, or, without a key, in any order and resumable only at the end.
func (st *stream) readJob(ctx context.Context, conn *client.Conn, job *snapJob, sc *snapCols, u snapUnit, emit func(snapChunk) error) error {
	size := st.src.cfg.SnapshotChunkSize
	keyed := len(sc.pkAt) > 0
	q := "SELECT " + sc.sel + " FROM " + sc.from
	if keyed {
		var conds []string
		if job.after != nil {
			w, err := sc.after(job.after)
			if err != nil {
				return err
			}
			conds = append(conds, "("+w+")")
		}
		if u.where != "" {
			conds = append(conds, u.where)
		}
		if len(conds) > 0 {
			q += " WHERE " + strings.Join(conds, " AND ")
		}
		q += " ORDER BY " + sc.order
	}
	var (
		evs     = st.req.NewBatch(size)
		slab    []any
		n       int64
		keyBuf  = make([][]byte, len(sc.pkAt)) // the key text of the last row, reused
		idBuf   []byte
		lastKey = func() []string {
			out := make([]string, len(keyBuf))
			for k, b := range keyBuf {
				out[k] = string(b)
			}
			return out
		}
	)
	ncols := len(sc.schema.Columns) + len(sc.schema.PrimaryKey)
	stop := context.AfterFunc(ctx, func() { abort(conn) })
	err := selectRows(conn, q, len(sc.info.cols), func(row *textRow) error {
		// A full chunk is handed over when the next row arrives, so the table's last
		// chunk is never empty.
		if len(evs) == size {
			c := snapChunk{evs: evs}
			if keyed {
				c.last = lastKey()
			}
			if err := emit(c); err != nil {
				return err
			}
			evs = st.req.NewBatch(size)
		}
		// The values of a chunk's rows are cut from one slab (capped slices).
		if len(slab) < ncols {
			slab = make([]any, size*ncols)
		}
		vals := slab[:ncols:ncols]
		slab = slab[ncols:]
		idBuf = append(idBuf[:0], sc.prefix...)
		if keyed {
			for k := range keyBuf {
				var err error
				if keyBuf[k], err = sc.appendKeyText(keyBuf[k][:0], row, k); err != nil {
					return err
				}
				if k > 0 {
					idBuf = append(idBuf, ',')
				}
				idBuf = append(idBuf, keyBuf[k]...)
			}
		} else {
			n++
			idBuf = strconv.AppendInt(append(idBuf, '#'), n, 10)
		}
		// Built in place: appending a literal would build it aside and copy it, 440 bytes.
		evs = evs[:len(evs)+1]
		return sc.event(st, &evs[len(evs)-1], row, vals, sc.mem.text.String(idBuf))
	})
	if !stop() && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		if notInSnapshot(err) {
			return emit(snapChunk{last: job.after, done: true, end: true})
		}
		return snapshotErr(sc.full, err)
	}
	c := snapChunk{evs: evs, done: u.last, end: true}
	if keyed {
		if len(evs) > 0 {
			c.last = lastKey()
		} else if u.last {
			c.last = job.after // nothing after the key reached: still that key
		}
	}
	return emit(c)
}

// snapshotParallel reads tables on the stream's reader connections (each in a
// transaction at the snapshot's position, or under its table locks), each reader
// taking the next unit (a table, or a key range of one), while the units are delivered
// in order: positions keep meaning "every table before, and this one up to here". A
// reader runs at most a few chunks ahead of delivery.
func (st *stream) snapshotParallel(ctx context.Context, jobs []*snapJob, progress *snapshot, out *feed.Marker) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	// The units of all tables in delivery order; readers take the next one.
	type work struct {
		job *snapJob
		sc  *snapCols
		u   snapUnit
		out chan snapChunk
	}
	var works []work
	for _, job := range jobs {
		for i, u := range job.units {
			sc := job.sc
			if i > 0 { // units of one table are read at once: each decodes into its own arena
				sc = sc.forReader()
			}
			works = append(works, work{job: job, sc: sc, u: u, out: make(chan snapChunk, 4)})
		}
	}
	var next atomic.Int64
	for _, conn := range append([]*client.Conn{st.meta}, st.readers...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(works) {
					return
				}
				w := works[i]
				err := st.readJob(ctx, conn, w.job, w.sc, w.u, func(c snapChunk) error {
					select {
					case w.out <- c:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
				if err != nil {
					select {
					case w.out <- snapChunk{err: err, end: true}:
					case <-ctx.Done():
					}
					return
				}
			}
		}()
	}
	var d *snapDelivery
	tableDone := false
	for _, w := range works {
		if d == nil || d.job != w.job {
			d, tableDone = st.delivery(ctx, w.job, progress, out), false
		}
		for end := false; !end; {
			var c snapChunk
			select {
			case c = <-w.out:
			case <-ctx.Done():
				return ctx.Err()
			}
			if c.err != nil {
				return c.err
			}
			end = c.end
			if tableDone {
				continue // dropped meanwhile: another unit said so already
			}
			if err := d.deliver(c); err != nil {
				return err
			}
			tableDone = c.done
		}
	}
	return nil
}

// notInSnapshot reports a table dropped since the snapshot listed the tables
// (ER_NO_SUCH_TABLE): it is left out, and the stream, which starts at the snapshot's
// position, delivers the DROP.
func notInSnapshot(err error) bool {
	var me *gmysql.MyError
	return errors.As(err, &me) && me.Code == gmysql.ER_NO_SUCH_TABLE
}

// snapshotErr describes an error reading a table. A table created or altered after
// the snapshot transaction began cannot be read in it (ER_TABLE_DEF_CHANGED), nor a
// table created after the snapshot's table locks were taken (ER_TABLE_NOT_LOCKED; rows
// written before the snapshot's position may be in it): the error is retryable, and
// the snapshot resumes from its last position in a new transaction or under new locks
// (at least once, like any resumed snapshot).
func snapshotErr(table string, err error) error {
	var me *gmysql.MyError
	if errors.As(err, &me) && (me.Code == gmysql.ER_TABLE_DEF_CHANGED || me.Code == gmysql.ER_TABLE_NOT_LOCKED) {
		return cdc.Retryable(fmt.Errorf("mysql: table %s changed after the snapshot began, the snapshot resumes in a new transaction: %w", table, err))
	}
	return fmt.Errorf("mysql: snapshot of %s: %w", table, classify(err))
}

// event builds the OpRead event of a row in ev, its values (and key) in vals, which
// has room for both.
func (sc *snapCols) event(st *stream, ev *cdc.Event, row *textRow, vals []any, id string) error {
	key := vals[len(sc.schema.Columns):]
	vals = vals[:len(sc.schema.Columns):len(sc.schema.Columns)]
	for i, dec := range sc.decs {
		j := sc.idx[i]
		b := row.value(i)
		if j < 0 || b == nil {
			continue
		}
		v, err := dec(b)
		if err != nil {
			return fmt.Errorf("mysql: snapshot of %s, column %s: %w", sc.full, sc.info.cols[i].name, err)
		}
		vals[j] = v
	}
	// ev is zero: NewBatch's arrays are.
	ev.Op, ev.Table, ev.Schema = cdc.OpRead, sc.t.id, sc.schema
	ev.After = cdc.NewRow(sc.schema.Names(), vals)
	if len(sc.schema.PrimaryKey) > 0 {
		for i, at := range sc.keyIdx {
			key[i] = vals[at]
		}
		ev.Key = cdc.NewRow(sc.schema.PrimaryKey, key)
	}
	ev.Source.Connector = st.info.flavor
	ev.Source.Snapshot = cdc.SnapshotTrue
	ev.Source.File, ev.Source.Pos = st.file, uint64(st.next)
	ev.SetID(id)
	return nil
}

// appendKeyText appends the text of the row's k-th key column for positions and IDs:
// numbers in their plain decimal form (also for ZEROFILL columns), BIT as its number,
// binary strings in hex.
func (sc *snapCols) appendKeyText(b []byte, row *textRow, k int) ([]byte, error) {
	v := row.value(sc.pkAt[k])
	switch {
	case v == nil:
		return nil, fmt.Errorf("mysql: snapshot of %s: NULL in key column %s", sc.full, sc.pkCols[k].name)
	case sc.pkBit[k]:
		var x [8]byte
		copy(x[8-min(8, len(v)):], v)
		return strconv.AppendUint(b, binary.BigEndian.Uint64(x[:]), 10), nil
	case sc.pkKind[k] == cdc.KindInt || sc.pkKind[k] == cdc.KindUint:
		if plainInt(v) {
			return append(b, v...), nil
		}
		// ZEROFILL, or not a number at all.
		if sc.pkKind[k] == cdc.KindUint {
			n, err := textnum.ParseUint(v)
			if err != nil {
				return nil, fmt.Errorf("mysql: snapshot of %s, key column %s: %w", sc.full, sc.pkCols[k].name, badNumber(v, err))
			}
			return strconv.AppendUint(b, n, 10), nil
		}
		n, err := textnum.ParseInt(v)
		if err != nil {
			return nil, fmt.Errorf("mysql: snapshot of %s, key column %s: %w", sc.full, sc.pkCols[k].name, badNumber(v, err))
		}
		return strconv.AppendInt(b, n, 10), nil
	case sc.pkKind[k] == cdc.KindFloat: // as earlier versions wrote it: no exponent
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, fmt.Errorf("mysql: snapshot of %s, key column %s: %w", sc.full, sc.pkCols[k].name, err)
		}
		return strconv.AppendFloat(b, f, 'f', -1, 64), nil
	case sc.pkKind[k] == cdc.KindBytes:
		return hex.AppendEncode(b, v), nil
	default:
		return append(b, v...), nil
	}
}

// plainInt reports an integer's text as strconv formats it: a minus sign or not,
// then digits without leading zeros.
func plainInt(v []byte) bool {
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	if len(v) == 0 || v[0] == '0' && len(v) > 1 || len(v) > 20 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// after is the condition for the rows after a key:
// a > x OR (a = x AND b > y) OR ..., which both MySQL and MariaDB read as a range.
func (sc *snapCols) after(key []string) (string, error) {
	if len(key) != len(sc.pkAt) {
		return "", fmt.Errorf("%w: snapshot position for %s has a key of %d values, the table's key has %d columns",
			cdc.ErrCorruptOffsets, sc.full, len(key), len(sc.pkAt))
	}
	lits := make([]string, len(key))
	for k, v := range key {
		// ENUM and SET sort by their numbers, and compare with a number by it too;
		// compared with a string they compare as text, in another order.
		if c := sc.pkCols[k]; c.class() == "enum" || c.class() == "set" {
			var n uint64
			for _, m := range strings.Split(v, ",") {
				if i := slices.Index(c.values, m); i >= 0 && c.class() == "enum" {
					n = uint64(i + 1)
				} else if i >= 0 && i < 64 {
					n |= 1 << i
				}
			}
			lits[k] = strconv.FormatUint(n, 10)
			continue
		}
		switch sc.pkKind[k] {
		case cdc.KindInt, cdc.KindUint, cdc.KindFloat, cdc.KindDecimal:
			if v == "" || strings.Trim(v, "0123456789+-.eE") != "" {
				return "", fmt.Errorf("%w: snapshot position for %s has the key value %q for a numeric column", cdc.ErrCorruptOffsets, sc.full, v)
			}
			lits[k] = v
		case cdc.KindBytes:
			if _, err := hex.DecodeString(v); err != nil {
				return "", fmt.Errorf("%w: snapshot position for %s has a binary key value that is not hex: %q", cdc.ErrCorruptOffsets, sc.full, v)
			}
			lits[k] = "X'" + v + "'"
		default:
			lits[k] = quoteString(v)
		}
	}
	cols := strings.Split(sc.order, ", ")
	var ors []string
	for k := range key {
		var ands []string
		for j := 0; j < k; j++ {
			ands = append(ands, cols[j]+" = "+lits[j])
		}
		ands = append(ands, cols[k]+" > "+lits[k])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return strings.Join(ors, " OR "), nil
}
