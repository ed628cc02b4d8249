package postgres

import (
	"context"
	"fmt"
	"github.com/tributary-cdc/cdc/internal/feed"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-cdc/cdc"
)

// snapshot reads every captured table of the publication as OpRead events inside one
// REPEATABLE READ transaction. With name (a slot just created with EXPORT_SNAPSHOT) the
// transaction sees exactly the data before the slot's consistent point, so streaming
// continues with no gap and no overlap. Resuming an interrupted snapshot there is no
// exported snapshot any more: the remaining tables are read as they are now, and the
// stream, which starts at the slot's consistent point, replays the changes since —
// at least once, converging to the right state.
//
// Tables are read in primary-key order, one streamed query per table or key range; the
// last row of each chunk carries a position recording the table and key reached, so a
// crash resumes there. With SnapshotParallelism above 1, readers on their own
// connections import the snapshot of this transaction (pg_export_snapshot) and read the
// next tables, or the next key ranges of a large table with an integer key, ahead;
// their rows are still delivered in table and key order, so positions keep meaning
// "everything up to here".
func (st *stream) snapshot(ctx context.Context, start position, name string) error {
	begin := "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	if name != "" {
		begin += "; SET TRANSACTION SNAPSHOT " + quoteLiteral(name)
	}
	if _, err := query(ctx, st.meta, begin); err != nil {
		return fmt.Errorf("postgres: starting the snapshot transaction: %w", err)
	}
	rows, err := query(ctx, st.meta, `SELECT c.oid, n.nspname, c.relname, c.reltuples::bigint FROM pg_publication_tables p
		JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
		WHERE p.pubname = `+quoteLiteral(st.src.cfg.Publication)+` ORDER BY 2, 3`)
	if err != nil {
		return err
	}
	progress := *start.Snapshot
	var tables []*snapTable
	for _, r := range rows {
		full := r[1] + "." + r[2]
		if !st.src.cfg.captures(r[1], r[2]) || slices.Contains(progress.Done, full) {
			continue
		}
		var after []string
		if progress.Table == full {
			after = progress.After
		}
		t, err := st.planTable(ctx, r[0], r[1], r[2], r[3], after)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	out := &feed.Marker{}
	if len(progress.Done) > 0 || progress.Table != "" {
		out.Resumed()
	}
	if st.src.cfg.SnapshotParallelism > 1 && len(tables) > 0 {
		err = st.snapshotParallel(ctx, tables, &progress, out)
	} else {
		for _, t := range tables {
			d := &snapDelivery{ctx: ctx, st: st, t: t, progress: &progress, out: out}
			for _, u := range t.units {
				if err = st.readUnit(ctx, st.meta, t, u, d.deliver); err != nil {
					return err
				}
			}
		}
	}
	if err == nil {
		err = out.Finish(st.sender(ctx))
	}
	if err != nil {
		return err
	}
	if _, err := query(ctx, st.meta, "COMMIT"); err != nil {
		return err
	}
	// The snapshot is complete: from here on the position is the stream's.
	hb := cdc.Event{Op: cdc.OpHeartbeat, Position: lsnPosition(st.startLSN)}
	return st.send(ctx, []cdc.Event{hb})
}

// snapTable is one table to read: its relation, select list and key ranges.
type snapTable struct {
	rel   *relation
	full  string
	cols  []catalogColumn
	sel   []string // quoted column names
	pk    []string // quoted key columns
	pkAt  []int    // positions of the key columns in the select list
	from  string
	total int64
	units []snapUnit
}

// snapUnit is a key range of a table, read by one query.
type snapUnit struct {
	where string // "" or a condition on the key
	last  bool   // the table's last range
}

// snapBatch is a batch of rows of a unit, with the key of its last row.
type snapBatch struct {
	evs  []cdc.Event
	last []string
	end  bool // the unit's last batch
}

// planTable reads a table's columns and splits it into key ranges: one range unless
// SnapshotParallelism > 1 and the table has a single integer key (then up to four
// ranges per reader, of about a chunk's key width at least).
func (st *stream) planTable(ctx context.Context, relid, schemaName, table, reltuples string, after []string) (*snapTable, error) {
	cols, err := tableColumns(ctx, st.meta, relid)
	if err != nil {
		return nil, err
	}
	rel, err := st.buildRelation(ctx, schemaName, table, cols, nil)
	if err != nil {
		return nil, err
	}
	// The stream compares its first Relation message for the table with this one, so
	// a column added since the snapshot makes a schema event and a new version.
	if id, err := strconv.ParseUint(relid, 10, 32); err == nil {
		st.rels[uint32(id)] = rel
	}
	t := &snapTable{rel: rel, full: schemaName + "." + table, cols: cols,
		from: quoteIdent(schemaName) + "." + quoteIdent(table)}
	t.total, _ = strconv.ParseInt(reltuples, 10, 64)
	var pkOID uint32
	for _, c := range cols {
		if c.pk {
			t.pkAt = append(t.pkAt, len(t.sel))
			t.pk = append(t.pk, quoteIdent(c.name))
			pkOID = c.oid
		}
		t.sel = append(t.sel, quoteIdent(c.name))
	}
	var where string
	if len(after) > 0 {
		lits := make([]string, len(after))
		for i, v := range after {
			lits[i] = quoteLiteral(v)
		}
		where = "(" + strings.Join(t.pk, ", ") + ") > (" + strings.Join(lits, ", ") + ")"
	}
	par := int64(st.src.cfg.SnapshotParallelism)
	size := int64(st.src.cfg.SnapshotChunkSize)
	intKey := len(t.pk) == 1 && (pkOID == 20 || pkOID == 21 || pkOID == 23)
	if par > 1 && intKey {
		q := "SELECT min(" + t.pk[0] + "), max(" + t.pk[0] + ") FROM " + t.from
		if where != "" {
			q += " WHERE " + where
		}
		r, err := query(ctx, st.meta, q)
		if err != nil {
			return nil, fmt.Errorf("postgres: key range of %s: %w", t.full, err)
		}
		lo, err1 := strconv.ParseInt(r[0][0], 10, 64)
		hi, err2 := strconv.ParseInt(r[0][1], 10, 64)
		if err1 == nil && err2 == nil && hi > lo {
			// Ranges of about equal key width, a few per reader so a skewed table
			// still keeps every reader busy.
			n := min(4*par, (hi-lo)/size+1)
			step := (hi - lo + n) / n
			prev := ""
			for i := int64(0); i < n; i++ {
				var conds []string
				if where != "" {
					conds = append(conds, where)
				}
				if prev != "" {
					conds = append(conds, t.pk[0]+" > "+prev)
				}
				if i < n-1 {
					b := strconv.FormatInt(lo+(i+1)*step-1, 10)
					conds = append(conds, t.pk[0]+" <= "+b)
					prev = b
				}
				t.units = append(t.units, snapUnit{where: strings.Join(conds, " AND "), last: i == n-1})
			}
			return t, nil
		}
	}
	t.units = []snapUnit{{where: where, last: true}}
	return t, nil
}

// readUnit reads one key range with one streamed query (the server keeps producing
// rows while they are decoded, where a query per chunk would leave both sides
// waiting in turn) and hands its rows over in batches of SnapshotChunkSize.
func (st *stream) readUnit(ctx context.Context, conn *pgconn.PgConn, t *snapTable, u snapUnit, deliver func(snapBatch) error) error {
	q := "SELECT " + strings.Join(t.sel, ", ") + " FROM " + t.from
	if u.where != "" {
		q += " WHERE " + u.where
	}
	if len(t.pk) > 0 {
		q += " ORDER BY " + strings.Join(t.pk, ", ")
	}
	size := st.src.cfg.SnapshotChunkSize
	rel := t.rel
	evs := st.req.NewBatch(size)
	var mem snapMem
	cols := st.snapColumns(t, &mem)
	formats := make([]int16, len(cols))
	for i, c := range cols {
		formats[i] = c.format
	}
	var idBuf []byte
	prefix := "pg:snapshot:" + t.full + ":"
	// The key text of the last row, as the ends of its columns in its ID: the resume
	// key is cut from the ID instead of being copied for every row.
	var lastID string
	keyEnd := make([]int, len(t.pkAt))
	lastKey := func() []string {
		key := make([]string, len(keyEnd))
		start := len(prefix)
		for k, end := range keyEnd {
			key[k], start = lastID[start:end], end+1
		}
		return key
	}
	ncols := len(rel.schema.Columns)
	var slab, keySlab []any
	// The extended protocol, for per-column result formats; the rows still stream.
	rr := conn.ExecParams(ctx, q, nil, nil, nil, formats)
	defer rr.Close()
	for rr.NextRow() {
		// A full batch is handed over when the next row arrives, so the unit's
		// last batch is never empty (its last row can be marked).
		if len(evs) == size {
			b := snapBatch{evs: evs}
			if len(t.pk) > 0 { // the key reached, to resume after
				b.last = lastKey()
			}
			if err := deliver(b); err != nil {
				return err
			}
			evs = st.req.NewBatch(size)
		}
		vals := rr.Values()
		// Rows and keys are cut from per-batch slabs (capped, so an append to one
		// row never reaches the next): two allocations per batch, not per row.
		if len(slab) < ncols {
			slab = make([]any, size*ncols)
		}
		row := slab[:ncols:ncols]
		slab = slab[ncols:]
		for i, v := range vals {
			j := rel.idx[i]
			if j < 0 || v == nil {
				continue
			}
			var err error
			if row[j], err = cols[i].dec(v); err != nil {
				return fmt.Errorf("postgres: snapshot of %s, column %s: %w", t.full, t.cols[i].name, err)
			}
		}
		idBuf = append(idBuf[:0], prefix...)
		for k, i := range t.pkAt {
			if k > 0 {
				idBuf = append(idBuf, ',')
			}
			idBuf = cols[i].appendKey(idBuf, vals[i])
			keyEnd[k] = len(idBuf)
		}
		// Built in place: appending a literal would build it aside and copy it, 440 bytes.
		evs = evs[:len(evs)+1]
		ev := &evs[len(evs)-1] // zero: NewBatch's arrays are
		ev.Op, ev.Table, ev.Schema = cdc.OpRead, rel.table, rel.schema
		ev.After = cdc.NewRow(rel.schema.Names(), row)
		if nkey := len(rel.keyIdx); nkey > 0 {
			if len(keySlab) < nkey {
				keySlab = make([]any, size*nkey)
			}
			key := keySlab[:nkey:nkey]
			keySlab = keySlab[nkey:]
			for k, j := range rel.keyIdx {
				key[k] = row[j]
			}
			ev.Key = cdc.NewRow(rel.keyCols, key)
		}
		ev.Source.Connector = "postgresql"
		ev.Source.Snapshot = cdc.SnapshotTrue
		lastID = mem.text.String(idBuf)
		ev.SetID(lastID)
	}
	if _, err := rr.Close(); err != nil {
		return classify(fmt.Errorf("postgres: snapshot of %s: %w", t.full, err))
	}
	// The end of a range is a resume point too: ranges are delivered in key order.
	b := snapBatch{evs: evs, end: true}
	if len(t.pk) > 0 && len(evs) > 0 {
		b.last = lastKey()
	}
	return deliver(b)
}

// snapDelivery hands a table's batches to the engine in order, with positions.
type snapDelivery struct {
	ctx      context.Context
	st       *stream
	t        *snapTable
	progress *snapshot
	out      *feed.Marker
	read     int64
	unit     int // index of the unit being delivered
}

func (d *snapDelivery) deliver(b snapBatch) error {
	st, t, progress := d.st, d.t, d.progress
	d.read += int64(len(b.evs))
	final := b.end && t.units[d.unit].last
	var pos cdc.Position
	switch {
	case final:
		progress.Done = append(progress.Done, t.full)
		progress.Table, progress.After = "", nil
	case b.last != nil:
		progress.Table, progress.After = t.full, b.last
	}
	if final || b.last != nil {
		pos = position{LSN: st.startLSN.String(), Snapshot: &snapshot{Done: slices.Clone(progress.Done),
			Table: progress.Table, After: progress.After}}.encode()
	}
	if b.end {
		d.unit++
	}
	if len(b.evs) == 0 && pos == nil {
		return nil
	}
	// A table without a key is read in one pass: its batches carry no position
	// (nil: not a resume point) until the end.
	if err := d.out.SendAt(b.evs, pos, st.sender(d.ctx)); err != nil {
		return err
	}
	st.req.SnapshotProgress(cdc.SnapshotProgress{Table: t.rel.table, RowsRead: d.read, RowsTotal: t.total, Done: final})
	return nil
}

// snapshotParallel reads the tables' units on SnapshotParallelism connections that
// import this transaction's snapshot, and delivers them in order.
func (st *stream) snapshotParallel(ctx context.Context, tables []*snapTable, progress *snapshot, out *feed.Marker) error {
	r, err := query(ctx, st.meta, "SELECT pg_export_snapshot()")
	if err != nil {
		return fmt.Errorf("postgres: exporting the snapshot for parallel readers: %w", err)
	}
	name := r[0][0]
	type job struct {
		t   *snapTable
		u   snapUnit
		out chan snapBatch
		err chan error // one value when the reader is done
	}
	var jobs []*job
	for _, t := range tables {
		for _, u := range t.units {
			jobs = append(jobs, &job{t: t, u: u, out: make(chan snapBatch, 2), err: make(chan error, 1)})
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan *job)
	var wg sync.WaitGroup
	readers := min(st.src.cfg.SnapshotParallelism, len(jobs))
	conns := make([]*pgconn.PgConn, 0, readers)
	defer func() {
		cancel()
		wg.Wait()
		for _, c := range conns {
			c.Close(context.Background())
		}
	}()
	for range readers {
		conn, err := st.src.connect(ctx, false)
		if err != nil {
			return err
		}
		conns = append(conns, conn)
		if _, err := query(ctx, conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT "+quoteLiteral(name)); err != nil {
			return fmt.Errorf("postgres: importing the snapshot into a parallel reader: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				j.err <- st.readUnit(wctx, conn, j.t, j.u, func(b snapBatch) error {
					select {
					case j.out <- b:
						return nil
					case <-wctx.Done():
						return wctx.Err()
					}
				})
				close(j.out)
			}
		}()
	}
	go func() { // hand out units in order
		defer close(next)
		for _, j := range jobs {
			select {
			case next <- j:
			case <-wctx.Done():
				return
			}
		}
	}()
	var d *snapDelivery
	for _, j := range jobs {
		if d == nil || d.t != j.t {
			d = &snapDelivery{ctx: ctx, st: st, t: j.t, progress: progress, out: out}
		}
		for b := range j.out {
			if err := d.deliver(b); err != nil {
				return err
			}
		}
		if err := <-j.err; err != nil {
			return err
		}
	}
	return nil
}
