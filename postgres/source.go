package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/feed"
)

// Source streams changes from PostgreSQL with logical replication (pgoutput).
type Source struct {
	cfg     Config
	warned  sync.Map // tables already warned about (string -> bool)
	spilled atomic.Int64
}

// SpilledTransactions is how many transactions streamed before their commit outgrew
// Config.TxMemory and went to a spill file, since the source was created.
func (s *Source) SpilledTransactions() int64 { return s.spilled.Load() }

// New validates cfg and returns a source. It does not connect: Open does.
func New(cfg Config) (*Source, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Source{cfg: cfg}, nil
}

// connect opens a connection; replication adds replication=database.
func (s *Source) connect(ctx context.Context, replication bool) (*pgconn.PgConn, error) {
	pc, err := pgconn.ParseConfig(s.cfg.ConnString)
	if err != nil {
		return nil, fmt.Errorf("%w: postgres.Config.ConnString: %v", cdc.ErrInvalidConfig, err)
	}
	for k, v := range sessionParams {
		pc.RuntimeParams[k] = v
	}
	if replication {
		pc.RuntimeParams["replication"] = "database"
	}
	// pgproto3 reads the socket 8 KiB at a time; a snapshot or a busy stream arrives
	// faster than that, and a larger read takes what the socket holds in one system call.
	pc.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(bufio.NewReaderSize(r, 64<<10), w)
	}
	conn, err := pgconn.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, classify(fmt.Errorf("postgres: connecting to %s:%d: %w", pc.Host, pc.Port, err))
	}
	return conn, nil
}

// classify marks connection-level failures retryable: lost or refused connections,
// a server shutting down or starting up.
func classify(err error) error {
	if err == nil || cdc.IsRetryable(err) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" {
			return cdc.Retryable(err)
		}
		return err
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return cdc.Retryable(err)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && !strings.Contains(err.Error(), "password") && !strings.Contains(err.Error(), "does not exist") {
		return cdc.Retryable(err)
	}
	return err
}

// query runs a simple-protocol query and returns its rows as text.
func query(ctx context.Context, conn *pgconn.PgConn, sql string) ([][]string, error) {
	res, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, classify(err)
	}
	var rows [][]string
	for _, r := range res {
		if r.Err != nil {
			return nil, classify(r.Err)
		}
		for _, row := range r.Rows {
			vals := make([]string, len(row))
			for i, v := range row {
				vals[i] = string(v)
			}
			rows = append(rows, vals)
		}
	}
	return rows, nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// check verifies the server settings and privileges, and creates the publication when
// allowed. It returns the slot's state.
func (s *Source) check(ctx context.Context, conn *pgconn.PgConn, stored bool) (slotExists bool, err error) {
	rows, err := query(ctx, conn, "SHOW wal_level")
	if err != nil {
		return false, err
	}
	if len(rows) == 1 && rows[0][0] != "logical" {
		return false, fmt.Errorf("%w: postgres: wal_level is %q, logical replication needs \"logical\": run ALTER SYSTEM SET wal_level = logical and restart the server",
			cdc.ErrInvalidConfig, rows[0][0])
	}
	rows, err = query(ctx, conn, "SELECT current_user, rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user")
	if err != nil {
		return false, err
	}
	if len(rows) == 1 && rows[0][1] != "t" {
		return false, fmt.Errorf("%w: postgres: role %q may not use replication: run ALTER ROLE %s WITH REPLICATION (as a superuser)",
			cdc.ErrInvalidConfig, rows[0][0], quoteIdent(rows[0][0]))
	}
	if err := s.checkPublication(ctx, conn); err != nil {
		return false, err
	}
	rows, err = query(ctx, conn, "SELECT plugin, active, coalesce(active_pid::text, ''), database = current_database() FROM pg_replication_slots WHERE slot_name = "+quoteLiteral(s.cfg.Slot))
	if err != nil {
		return false, err
	}
	if len(rows) == 0 {
		if stored && s.cfg.SnapshotMode != cdc.SnapshotWhenNeeded {
			return false, fmt.Errorf("%w: postgres: replication slot %q does not exist, so the changes after the stored position are gone: "+
				"take a new snapshot (SnapshotMode when_needed does it automatically, or delete the stored offsets)", cdc.ErrPositionLost, s.cfg.Slot)
		}
		if s.cfg.NoCreate {
			return false, fmt.Errorf("%w: postgres: replication slot %q does not exist and NoCreate is set: create it with SELECT pg_create_logical_replication_slot(%s, 'pgoutput')",
				cdc.ErrInvalidConfig, s.cfg.Slot, quoteLiteral(s.cfg.Slot))
		}
		return false, nil
	}
	plugin, active, pid, sameDB := rows[0][0], rows[0][1] == "t", rows[0][2], rows[0][3] == "t"
	if plugin != "pgoutput" {
		return false, fmt.Errorf("%w: postgres: slot %q uses the %q plugin, not pgoutput: use another slot name", cdc.ErrInvalidConfig, s.cfg.Slot, plugin)
	}
	if !sameDB {
		return false, fmt.Errorf("%w: postgres: slot %q belongs to another database: use another slot name", cdc.ErrInvalidConfig, s.cfg.Slot)
	}
	if active {
		// Often a previous consumer that has not been noticed gone yet: retry.
		return false, cdc.Retryable(fmt.Errorf("postgres: replication slot %q is in use by the process with PID %s: "+
			"stop the other consumer (or SELECT pg_terminate_backend(%s))", s.cfg.Slot, pid, pid))
	}
	return true, nil
}

// checkPublication makes sure the publication exists (creating it when allowed) and
// covers the configured tables, and warns about tables whose updates and deletes
// would arrive without a key.
func (s *Source) checkPublication(ctx context.Context, conn *pgconn.PgConn) error {
	rows, err := query(ctx, conn, "SELECT puballtables FROM pg_publication WHERE pubname = "+quoteLiteral(s.cfg.Publication))
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		if s.cfg.NoCreate {
			return fmt.Errorf("%w: postgres: publication %q does not exist and NoCreate is set: CREATE PUBLICATION %s FOR TABLE ...",
				cdc.ErrInvalidConfig, s.cfg.Publication, quoteIdent(s.cfg.Publication))
		}
		target := "ALL TABLES"
		if len(s.cfg.Tables) > 0 {
			tables, err := s.matchingTables(ctx, conn)
			if err != nil {
				return err
			}
			if len(tables) == 0 {
				return fmt.Errorf("%w: postgres: no table matches Tables %q: check the names (schema.table)", cdc.ErrInvalidConfig, s.cfg.Tables)
			}
			target = "TABLE " + strings.Join(tables, ", ")
		}
		if _, err := query(ctx, conn, "CREATE PUBLICATION "+quoteIdent(s.cfg.Publication)+" FOR "+target); err != nil {
			return fmt.Errorf("postgres: creating publication %q: %w (create it yourself and set NoCreate)", s.cfg.Publication, err)
		}
	}
	// Every configured, non-pattern table must be in the publication.
	rows, err = query(ctx, conn, "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = "+quoteLiteral(s.cfg.Publication))
	if err != nil {
		return err
	}
	in := map[string]bool{}
	for _, r := range rows {
		in[r[0]] = true
	}
	for _, t := range s.cfg.Tables {
		if !strings.ContainsAny(t, "*?[") && !in[t] {
			return fmt.Errorf("%w: postgres: table %s is not in publication %q (or does not exist): ALTER PUBLICATION %s ADD TABLE %s",
				cdc.ErrInvalidConfig, t, s.cfg.Publication, quoteIdent(s.cfg.Publication), t)
		}
	}
	return nil
}

// warnKeyless warns, once per table, about captured tables without a primary key whose
// replica identity sends no old values: their updates and deletes arrive without a key.
func (s *Source) warnKeyless(ctx context.Context, conn *pgconn.PgConn, log *slog.Logger) {
	rows, err := query(ctx, conn, `SELECT p.schemaname, p.tablename FROM pg_publication_tables p
		JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
		WHERE p.pubname = `+quoteLiteral(s.cfg.Publication)+` AND (c.relreplident = 'n' OR c.relreplident = 'd'
		AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))`)
	if err != nil {
		return // only a warning
	}
	for _, r := range rows {
		if !s.cfg.captures(r[0], r[1]) {
			continue
		}
		full := sqlName(r[0]) + "." + sqlName(r[1])
		if _, done := s.warned.LoadOrStore(full, true); done {
			continue
		}
		log.Warn("table has no primary key and its replica identity sends no old values: its updates and deletes will have no key or Before; "+
			"add a primary key, or run ALTER TABLE "+full+" REPLICA IDENTITY FULL (or USING INDEX a unique index)", "table", r[0]+"."+r[1])
	}
}

// sqlName quotes an identifier for a message only when SQL needs it.
func sqlName(id string) string {
	if identRe.MatchString(id) {
		return id
	}
	return quoteIdent(id)
}

// matchingTables lists the ordinary tables matched by Tables and not ExcludeTables,
// quoted for SQL.
func (s *Source) matchingTables(ctx context.Context, conn *pgconn.PgConn) ([]string, error) {
	rows, err := query(ctx, conn, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		if s.cfg.captures(r[0], r[1]) {
			out = append(out, quoteIdent(r[0])+"."+quoteIdent(r[1]))
		}
	}
	return out, nil
}

// Open implements cdc.Source.
func (s *Source) Open(ctx context.Context, req cdc.OpenRequest) (cdc.Stream, error) {
	var start position
	var startLSN pglogrepl.LSN
	if req.Position != nil {
		p, lsn, err := parsePosition(req.Position)
		if err != nil {
			return nil, err
		}
		start, startLSN = p, lsn
	}
	// Checks run on a plain connection first: a replication connection without the
	// privilege is refused before it could say why.
	meta, err := s.connect(ctx, false)
	if err != nil {
		return nil, err
	}
	exists, err := s.check(ctx, meta, req.Position != nil)
	if err != nil {
		meta.Close(context.Background())
		return nil, err
	}
	s.warnKeyless(ctx, meta, req.Log())
	repl, err := s.connect(ctx, true)
	if err != nil {
		meta.Close(context.Background())
		return nil, err
	}
	st := &stream{src: s, req: req, repl: repl, meta: meta, types: map[uint32]typeInfo{},
		rels: map[uint32]*relation{}, Feed: feed.New("postgres"), done: make(chan struct{})}
	fail := func(err error) (cdc.Stream, error) {
		repl.Close(context.Background())
		meta.Close(context.Background())
		return nil, err
	}
	if rows, err := query(ctx, meta, "SELECT current_database()"); err != nil {
		return fail(err)
	} else {
		st.db = rows[0][0]
	}
	mode := s.cfg.SnapshotMode
	snap := req.Position == nil && mode != cdc.SnapshotNever || mode == cdc.SnapshotAlways && start.Snapshot == nil ||
		!exists && req.Position != nil && mode == cdc.SnapshotWhenNeeded
	if start.Snapshot != nil {
		snap = true // resume an unfinished snapshot
	}
	var snapshotName string
	if !exists {
		action := "NOEXPORT_SNAPSHOT"
		if snap {
			action = "EXPORT_SNAPSHOT"
		}
		res, err := pglogrepl.CreateReplicationSlot(ctx, repl, s.cfg.Slot, "pgoutput",
			pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: action})
		if err != nil {
			return fail(fmt.Errorf("postgres: creating replication slot %q: %w", s.cfg.Slot, classify(err)))
		}
		lsn, err := pglogrepl.ParseLSN(res.ConsistentPoint)
		if err != nil {
			return fail(err)
		}
		req.Log().Info("created replication slot", "slot", s.cfg.Slot, "consistent_point", res.ConsistentPoint)
		startLSN, snapshotName = lsn, res.SnapshotName
		start = position{LSN: lsn.String()}
	} else if req.Position == nil || (mode == cdc.SnapshotAlways && start.Snapshot == nil) {
		// Streaming starts where the slot is; a snapshot taken now (without the slot's
		// exported snapshot) overlaps the stream: at least once, converging.
		rows, err := query(ctx, meta, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = "+quoteLiteral(s.cfg.Slot))
		if err != nil || len(rows) == 0 {
			return fail(fmt.Errorf("postgres: reading slot %q: %v", s.cfg.Slot, err))
		}
		if startLSN, err = pglogrepl.ParseLSN(rows[0][0]); err != nil {
			return fail(err)
		}
		start = position{LSN: startLSN.String()}
	}
	if snap && start.Snapshot == nil {
		start.Snapshot = &snapshot{}
	}
	st.startLSN, st.skipTx, st.skipN = startLSN, start.TxLSN, start.TxDone
	st.confirmed.Store(uint64(startLSN))
	ctx, st.cancel = context.WithCancel(context.Background()) // the stream outlives Open's ctx
	go st.run(ctx, start, snapshotName)
	return st, nil
}
