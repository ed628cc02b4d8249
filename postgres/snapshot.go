package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

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
// Tables are read in primary-key order, chunk by chunk; the last row of each chunk
// carries a position recording the table and key reached, so a crash resumes there.
func (st *stream) snapshot(ctx context.Context, start position, name string) error {
	begin := "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	if name != "" {
		begin += "; SET TRANSACTION SNAPSHOT " + quoteLiteral(name)
	}
	if _, err := query(ctx, st.meta, begin); err != nil {
		return fmt.Errorf("postgres: starting the snapshot transaction: %w", err)
	}
	rows, err := query(ctx, st.meta, `SELECT c.oid, n.nspname, c.relname FROM pg_publication_tables p
		JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
		WHERE p.pubname = `+quoteLiteral(st.src.cfg.Publication)+` ORDER BY 2, 3`)
	if err != nil {
		return err
	}
	progress := *start.Snapshot
	for _, r := range rows {
		full := r[1] + "." + r[2]
		if !st.src.cfg.captures(r[1], r[2]) || slices.Contains(progress.Done, full) {
			continue
		}
		var after []string
		if progress.Table == full {
			after = progress.After
		}
		if err := st.snapshotTable(ctx, r[0], r[1], r[2], &progress, after); err != nil {
			return err
		}
	}
	if _, err := query(ctx, st.meta, "COMMIT"); err != nil {
		return err
	}
	// The snapshot is complete: from here on the position is the stream's.
	hb := cdc.Event{Op: cdc.OpHeartbeat, Position: lsnPosition(st.startLSN)}
	return st.send(ctx, []cdc.Event{hb})
}

func (st *stream) snapshotTable(ctx context.Context, relid, schemaName, table string, progress *snapshot, after []string) error {
	cols, err := tableColumns(ctx, st.meta, relid)
	if err != nil {
		return err
	}
	rel, err := st.buildRelation(ctx, schemaName, table, cols, nil)
	if err != nil {
		return err
	}
	full := schemaName + "." + table
	var sel, pk []string
	var pkAt []int // positions of the key columns in the select list
	for _, c := range cols {
		if c.pk {
			pkAt = append(pkAt, len(sel))
			pk = append(pk, quoteIdent(c.name))
		}
		sel = append(sel, quoteIdent(c.name))
	}
	from := quoteIdent(schemaName) + "." + quoteIdent(table)
	chunk := st.src.cfg.SnapshotChunkSize
	if len(pk) == 0 {
		chunk = 0 // no key to resume by: one pass, position at the end
	}
	var total int64
	if r, err := query(ctx, st.meta, "SELECT reltuples::bigint FROM pg_class WHERE oid = "+relid); err == nil && len(r) == 1 {
		total, _ = strconv.ParseInt(r[0][0], 10, 64)
	}
	var read int64
	for {
		q := "SELECT " + strings.Join(sel, ", ") + " FROM " + from
		if len(after) > 0 {
			lits := make([]string, len(after))
			for i, v := range after {
				lits[i] = quoteLiteral(v)
			}
			q += " WHERE (" + strings.Join(pk, ", ") + ") > (" + strings.Join(lits, ", ") + ")"
		}
		if chunk > 0 {
			q += " ORDER BY " + strings.Join(pk, ", ") + " LIMIT " + strconv.Itoa(chunk)
		}
		res := st.meta.Exec(ctx, q)
		var evs []cdc.Event
		var last []string
		for res.NextResult() {
			rr := res.ResultReader()
			for rr.NextRow() {
				vals := rr.Values()
				row := make([]any, len(rel.schema.Columns))
				for i, v := range vals {
					j := rel.idx[i]
					if j < 0 || v == nil {
						continue
					}
					if row[j], err = rel.decs[i](v); err != nil {
						res.Close()
						return fmt.Errorf("postgres: snapshot of %s, column %s: %w", full, cols[i].name, err)
					}
				}
				last = last[:0]
				for _, i := range pkAt {
					last = append(last, string(vals[i]))
				}
				ev := cdc.Event{Op: cdc.OpRead, Table: rel.table, Schema: rel.schema,
					After: cdc.NewRow(rel.schema.Names(), row)}
				ev.Key = rel.key(cdc.Row{}, ev.After)
				ev.Source.Connector = "postgresql"
				ev.Source.Snapshot = cdc.SnapshotTrue
				ev.SetID("pg:snapshot:" + full + ":" + strings.Join(last, ","))
				evs = append(evs, ev)
			}
			if _, err := rr.Close(); err != nil {
				res.Close()
				return classify(fmt.Errorf("postgres: snapshot of %s: %w", full, err))
			}
		}
		if err := res.Close(); err != nil {
			return classify(fmt.Errorf("postgres: snapshot of %s: %w", full, err))
		}
		read += int64(len(evs))
		finished := chunk == 0 || len(evs) < chunk
		if finished {
			progress.Done = append(progress.Done, full)
			progress.Table, progress.After = "", nil
		} else {
			progress.Table, progress.After = full, slices.Clone(last)
		}
		pos := position{LSN: st.startLSN.String(), Snapshot: &snapshot{Done: slices.Clone(progress.Done),
			Table: progress.Table, After: progress.After}}.encode()
		if len(evs) == 0 {
			evs = append(evs, cdc.Event{Op: cdc.OpHeartbeat})
		}
		evs[len(evs)-1].Position = pos
		if err := st.send(ctx, evs); err != nil {
			return err
		}
		st.req.SnapshotProgress(cdc.SnapshotProgress{Table: rel.table, RowsRead: read, RowsTotal: total, Done: finished})
		if finished {
			return nil
		}
		after = progress.After
	}
}
