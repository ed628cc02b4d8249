package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/tributary-cdc/cdc"
)

// Source streams changes from a MySQL or MariaDB binary log.
type Source struct {
	cfg Config

	mu      sync.Mutex
	anchors map[string]position // engine name -> where its first stream without a position started
	warned  map[string]bool
	mem     memStore // schema histories of requests without an offset store
	nonce   string   // tells the source's replica registrations apart (replicaHost)
}

// New validates cfg and returns a source. It does not connect: Open does.
func New(cfg Config) (*Source, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Source{cfg: cfg, anchors: map[string]position{}, warned: map[string]bool{},
		nonce: strconv.FormatUint(rand.Uint64(), 36)}, nil
}

// ServerID is the replica server id the source registers with (Config.ServerID, or
// the random one New chose).
func (s *Source) ServerID() uint32 { return s.cfg.ServerID }

// warnOnce logs a warning once per source and key.
func (s *Source) warnOnce(log *slog.Logger, key, msg string, args ...any) {
	s.mu.Lock()
	done := s.warned[key]
	s.warned[key] = true
	s.mu.Unlock()
	if !done {
		log.Warn(msg, args...)
	}
}

// connect opens a query connection: utf8mb4, UTC, no SQL mode surprises.
func (s *Source) connect(ctx context.Context) (*client.Conn, error) {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := client.ConnectWithDialer(ctx, "", s.cfg.Addr, s.cfg.User, s.cfg.Password, "", dialer.DialContext,
		func(c *client.Conn) error {
			if s.cfg.TLS != nil {
				c.SetTLSConfig(s.cfg.TLS)
			}
			return nil
		})
	if err != nil {
		return nil, classify(fmt.Errorf("mysql: connecting to %s as %q: %w", s.cfg.Addr, s.cfg.User, err))
	}
	if _, err := query(ctx, conn, "SET NAMES utf8mb4, time_zone = '+00:00', sql_mode = ''"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("mysql: setting up the session: %w", err)
	}
	return conn, nil
}

// retryableCodes are server errors that go away by themselves: shutdown, killed
// connection, too many connections, lock waits.
var retryableCodes = map[uint16]bool{
	gmysql.ER_CON_COUNT_ERROR: true, gmysql.ER_SERVER_SHUTDOWN: true, gmysql.ER_NET_READ_INTERRUPTED: true,
	gmysql.ER_LOCK_WAIT_TIMEOUT: true, gmysql.ER_LOCK_DEADLOCK: true, gmysql.ER_QUERY_INTERRUPTED: true,
	1927: true, // ER_CONNECTION_KILLED (MariaDB)
	2006: true, // CR_SERVER_GONE_ERROR
	2013: true, // CR_SERVER_LOST
}

// classify marks connection-level failures retryable. Server errors are terminal
// unless they are in retryableCodes.
func classify(err error) error {
	if err == nil || cdc.IsRetryable(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var me *gmysql.MyError
	if errors.As(err, &me) {
		if retryableCodes[me.Code] {
			return cdc.Retryable(err)
		}
		return err
	}
	if errors.Is(err, gmysql.ErrBadConn) {
		return cdc.Retryable(err)
	}
	return err
}

// query runs a statement; ctx being done closes the connection to interrupt it.
func query(ctx context.Context, conn *client.Conn, q string) (*gmysql.Result, error) {
	stop := context.AfterFunc(ctx, func() { abort(conn) })
	r, err := conn.Execute(q)
	if !stop() && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, classify(err)
	}
	return r, nil
}

// abort closes a connection's socket; unlike client.Conn.Close it is safe while
// another goroutine uses the connection.
func abort(conn *client.Conn) {
	if conn.Conn != nil && conn.Conn.Conn != nil {
		conn.Conn.Conn.Close()
	}
}

// cell returns the text of a result cell ("" for NULL) and whether it is NULL.
func cell(r *gmysql.Result, row, col int) (string, bool) {
	if null, _ := r.IsNull(row, col); null {
		return "", true
	}
	s, _ := r.GetString(row, col)
	return strings.Clone(s), false
}

func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`).Replace(s) + "'"
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// serverInfo is what Open learns about the server.
type serverInfo struct {
	flavor      string // "mysql" or "mariadb" (go-mysql's flavor names and the connector names)
	charset     string // character_set_server
	version     string
	rowMetaFull bool   // binlog_row_metadata = FULL: table maps carry column names
	identity    string // serverIdentity
}

// check verifies the binlog settings and the privileges, naming the fix for each problem.
func (s *Source) check(ctx context.Context, conn *client.Conn, log *slog.Logger) (serverInfo, error) {
	info := serverInfo{flavor: gmysql.MySQLFlavor, version: conn.GetServerVersion()}
	if strings.Contains(strings.ToLower(info.version), "mariadb") {
		info.flavor = gmysql.MariaDBFlavor
	}
	r, err := query(ctx, conn, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata', 'character_set_server')")
	if err != nil {
		return info, fmt.Errorf("mysql: reading the binlog settings: %w", err)
	}
	vars := map[string]string{}
	for i := range r.RowNumber() {
		k, _ := cell(r, i, 0)
		v, _ := cell(r, i, 1)
		vars[strings.ToLower(k)] = strings.ToUpper(v)
	}
	info.charset = strings.ToLower(vars["character_set_server"])
	if vars["log_bin"] != "ON" {
		return info, fmt.Errorf("%w: mysql: binary logging is off on %s (log_bin = %s): start the server with --log-bin "+
			"(log_bin = mysql-bin in its configuration; MySQL 8 logs by default unless started with --skip-log-bin or --disable-log-bin)",
			cdc.ErrInvalidConfig, s.cfg.Addr, vars["log_bin"])
	}
	if f := vars["binlog_format"]; f != "ROW" {
		return info, fmt.Errorf("%w: mysql: binlog_format is %s on %s, the source needs ROW: run SET GLOBAL binlog_format = 'ROW' "+
			"and set binlog_format = ROW in the server's configuration (sessions already open keep their format until they reconnect)",
			cdc.ErrInvalidConfig, f, s.cfg.Addr)
	}
	if img := vars["binlog_row_image"]; img != "" && img != "FULL" && s.cfg.AllowPartialRowImages {
		s.warnOnce(log, "row-image", "binlog_row_image is not FULL (Config.AllowPartialRowImages): columns missing from a row image "+
			"are delivered as cdc.Unchanged, and before images may hold little more than the key", "binlog_row_image", img)
	} else if img != "" && img != "FULL" {
		return info, fmt.Errorf("%w: mysql: binlog_row_image is %s on %s, the source needs FULL (otherwise updates and deletes lack column values): "+
			"run SET GLOBAL binlog_row_image = 'FULL' and set binlog_row_image = FULL in the server's configuration, "+
			"or set Config.AllowPartialRowImages to accept rows with missing columns (delivered as cdc.Unchanged)",
			cdc.ErrInvalidConfig, img, s.cfg.Addr)
	}
	info.rowMetaFull = vars["binlog_row_metadata"] == "FULL"
	if !info.rowMetaFull {
		meta := vars["binlog_row_metadata"]
		if meta == "" {
			meta = "not supported"
		}
		s.mu.Lock()
		done := s.warned["row-metadata"]
		s.warned["row-metadata"] = true
		s.mu.Unlock()
		if !done {
			log.Info("binlog_row_metadata is not FULL: rows are decoded with the schema history alone; with FULL, events from "+
				"before the history began or after a skipped DDL statement decode too (MySQL 8.0.1+, MariaDB 10.5+)",
				"binlog_row_metadata", meta)
		}
	}
	if info.identity, err = serverIdentity(ctx, conn, info.flavor); err != nil {
		return info, err
	}
	return info, s.checkGrants(ctx, conn, log)
}

// checkGrants verifies REPLICATION SLAVE and REPLICATION CLIENT (BINLOG MONITOR on
// MariaDB 10.5+) from SHOW GRANTS.
func (s *Source) checkGrants(ctx context.Context, conn *client.Conn, log *slog.Logger) error {
	r, err := query(ctx, conn, "SHOW GRANTS")
	if err != nil {
		log.Warn("cannot read the user's grants; the privileges are not checked", "err", err)
		return nil
	}
	var lines []string
	for i := range r.RowNumber() {
		l, _ := cell(r, i, 0)
		lines = append(lines, l)
	}
	missing, viaRoles := missingGrants(lines)
	if len(missing) == 0 {
		return nil
	}
	user := "the user"
	if r, err := query(ctx, conn, "SELECT CURRENT_USER()"); err == nil && r.RowNumber() == 1 {
		cu, _ := cell(r, 0, 0)
		if i := strings.LastIndexByte(cu, '@'); i >= 0 {
			user = quoteString(cu[:i]) + "@" + quoteString(cu[i+1:])
		}
	}
	if viaRoles {
		log.Warn("the user's direct grants lack privileges the source needs; they may come from a role", "missing", missing, "user", user)
		return nil
	}
	return fmt.Errorf("%w: mysql: user %s lacks the %s privilege%s on *.*: run GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO %s (as an administrator)",
		cdc.ErrInvalidConfig, user, strings.Join(missing, " and "), map[bool]string{true: "s", false: ""}[len(missing) > 1], user)
}

// missingGrants reads SHOW GRANTS lines and lists the replication privileges not
// granted on *.*; viaRoles reports role grants, which SHOW GRANTS does not expand.
func missingGrants(lines []string) (missing []string, viaRoles bool) {
	have := map[string]bool{}
	for _, l := range lines {
		u := strings.ToUpper(strings.TrimSpace(l))
		if !strings.HasPrefix(u, "GRANT ") {
			continue
		}
		on := strings.Index(u, " ON ")
		to := strings.Index(u, " TO ")
		if on < 0 || to >= 0 && to < on {
			viaRoles = true // GRANT `role` TO `user`
			continue
		}
		target := strings.TrimSpace(u[on+4:])
		if !strings.HasPrefix(target, "*.*") {
			continue
		}
		for _, p := range strings.Split(u[len("GRANT "):on], ",") {
			have[strings.TrimSpace(p)] = true
		}
	}
	all := have["ALL PRIVILEGES"] || have["ALL"]
	if !all && !have["REPLICATION SLAVE"] && !have["REPLICATION REPLICA"] {
		missing = append(missing, "REPLICATION SLAVE")
	}
	if !all && !have["REPLICATION CLIENT"] && !have["BINLOG MONITOR"] {
		missing = append(missing, "REPLICATION CLIENT")
	}
	return missing, viaRoles
}

// binaryLogs lists the binlog files the server still has.
func binaryLogs(ctx context.Context, conn *client.Conn) ([]string, error) {
	r, err := query(ctx, conn, "SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("mysql: listing the binary logs (SHOW BINARY LOGS needs REPLICATION CLIENT): %w", err)
	}
	var out []string
	for i := range r.RowNumber() {
		f, _ := cell(r, i, 0)
		out = append(out, f)
	}
	return out, nil
}

// binlogStart is a point to stream from: a binlog position and, on MySQL, the
// executed GTID set read with it.
type binlogStart struct {
	file     string
	pos      uint32
	executed string
}

// masterStatus returns the server's current binlog position.
func masterStatus(ctx context.Context, conn *client.Conn) (binlogStart, error) {
	r, err := query(ctx, conn, "SHOW MASTER STATUS")
	if err != nil {
		var me *gmysql.MyError
		if !errors.As(err, &me) {
			return binlogStart{}, err
		}
		// MySQL 8.4 renamed it.
		if r, err = query(ctx, conn, "SHOW BINARY LOG STATUS"); err != nil {
			return binlogStart{}, fmt.Errorf("mysql: reading the current binlog position: %w", err)
		}
	}
	if r.RowNumber() == 0 {
		return binlogStart{}, fmt.Errorf("%w: mysql: the server reports no binlog position: is binary logging on?", cdc.ErrInvalidConfig)
	}
	file, _ := cell(r, 0, 0)
	p, _ := cell(r, 0, 1)
	pos, err := strconv.ParseUint(p, 10, 32)
	if err != nil {
		return binlogStart{}, fmt.Errorf("mysql: bad binlog position %q: %w", p, err)
	}
	at := binlogStart{file: file, pos: uint32(pos)}
	if r.ColumnNumber() >= 5 { // MySQL: Executed_Gtid_Set, read atomically with the position
		at.executed, _ = cell(r, 0, 4)
	}
	return at, nil
}

// Open implements cdc.Source.
func (s *Source) Open(ctx context.Context, req cdc.OpenRequest) (cdc.Stream, error) {
	var start position
	stored := req.Position != nil
	if stored {
		p, err := parsePosition(req.Position)
		if err != nil {
			return nil, err
		}
		start = p
	}
	meta, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (cdc.Stream, error) {
		meta.Close()
		return nil, err
	}
	info, err := s.check(ctx, meta, req.Log())
	if err != nil {
		return fail(err)
	}
	if err := s.checkServerID(ctx, meta); err != nil {
		return fail(err)
	}
	st := newStream(s, req, info, meta)
	fail = func(err error) (cdc.Stream, error) {
		st.closeReaders()
		meta.Close()
		return nil, err
	}
	st.enc.server = info.identity
	mode := s.cfg.SnapshotMode
	err = nil
	fresh := false // take a new snapshot from scratch
	var logs []string
	switch {
	case stored && start.Snapshot == nil && mode == cdc.SnapshotInitialOnly:
		// The snapshot is done: nothing more to deliver, whatever the binlog holds.
	case stored:
		if logs, err = binaryLogs(ctx, meta); err != nil {
			return fail(err)
		}
		var lost error
		switch {
		case s.sameServer(ctx, meta, info, start, logs):
		case start.GTIDs != "":
			// Another server (a failover, or a position from a replica): its binlog
			// files are its own, the GTIDs are the same.
			st.byGTID = true
			state, err := newGTIDTracker(info.flavor, start.GTIDs)
			if err != nil {
				return fail(fmt.Errorf("%w: %w", cdc.ErrCorruptOffsets, err))
			}
			if lost = s.checkGTIDStart(ctx, meta, info, state, logs); lost != nil && !errors.Is(lost, cdc.ErrPositionLost) {
				return fail(lost)
			}
		case !slices.Contains(logs, start.File):
			lost = fmt.Errorf("%w: mysql: binlog file %s of the stored position %s was purged from the server (it has %s): "+
				"take a new snapshot (SnapshotMode when_needed does it automatically, or delete the stored offsets), "+
				"and keep binlogs longer than the longest consumer outage (binlog_expire_logs_seconds / expire_logs_days)",
				cdc.ErrPositionLost, start.File, req.Position, describeLogs(logs))
		default:
			lost = fmt.Errorf("%w: mysql: the stored position %s was written on another server (%s, this is %s) and has no GTIDs, "+
				"so it means nothing here: take a new snapshot (SnapshotMode when_needed does it automatically, or delete the stored offsets); "+
				"with GTIDs on, positions resume on any server of the replication topology",
				cdc.ErrPositionLost, req.Position, start.Server, info.identity)
		}
		switch {
		case lost != nil && mode != cdc.SnapshotWhenNeeded:
			return fail(lost)
		case lost != nil:
			req.Log().Warn("the stored binlog position is lost: taking a new snapshot (snapshot mode when_needed)",
				"position", req.Position.String(), "err", lost)
			fresh, st.byGTID = true, false
		case start.Snapshot == nil && mode == cdc.SnapshotAlways:
			fresh, st.byGTID = true, false
		}
	case mode != cdc.SnapshotNever:
		fresh = true
	}
	switch {
	case fresh:
		var at binlogStart
		var base *schemaModel
		base, err = s.stableModel(ctx, meta, info.flavor, req.Log(), func() (err error) {
			closeAll(st.readers) // a DDL ran meanwhile: the snapshot starts again
			at, st.readers, err = s.beginSnapshot(ctx, meta, info)
			return err
		})
		if err != nil {
			return fail(err)
		}
		st.snap = &snapshot{}
		st.file, st.next, st.startServer = at.file, at.pos, info.identity
		if err = st.startGTIDs(ctx, "", at); err != nil {
			return fail(err)
		}
		if !stored {
			// Like a replication slot nobody confirmed: a later stream without a
			// position re-delivers what this one streams (see doc.go, Positions).
			a, ok := s.anchor(req.Name, position{File: at.file, Pos: at.pos, GTIDs: st.gtidsText, Server: info.identity})
			if ok && a.Server == info.identity && !(binlogPos{at.file, at.pos}).before(binlogPos{a.File, a.Pos}) && s.hasLog(ctx, meta, a.File) {
				st.file, st.next = a.File, a.Pos
				if err = st.startGTIDs(ctx, a.GTIDs, binlogStart{}); err != nil {
					return fail(err)
				}
				err = st.initHistory(ctx, nil, base, false)
				break
			}
		}
		err = st.initHistory(ctx, base, nil, false)
	case start.Snapshot != nil:
		// Resume the snapshot in a new transaction; the stream starts where the first
		// snapshot's did.
		if _, st.readers, err = s.beginSnapshot(ctx, meta, info); err != nil {
			return fail(err)
		}
		st.snap = start.Snapshot
		st.file, st.next, st.startServer = start.File, start.Pos, start.Server
		if err = st.startGTIDs(ctx, start.GTIDs, binlogStart{file: start.File, pos: start.Pos}); err != nil {
			return fail(err)
		}
		err = st.initHistory(ctx, nil, nil, true)
	case stored:
		if mode == cdc.SnapshotInitialOnly {
			st.ended = true // the snapshot is done: nothing more to deliver
			break
		}
		st.file, st.next = start.File, start.Pos
		st.skipFile, st.skipPos, st.skipN, st.skipGTID = start.File, start.Pos, start.TxDone, start.TxGTID
		if err = st.startGTIDs(ctx, start.GTIDs, binlogStart{file: start.File, pos: start.Pos}); err != nil {
			return fail(err)
		}
		err = st.initHistory(ctx, nil, nil, true)
	default: // snapshot mode never, no stored position
		var at binlogStart
		var base *schemaModel
		base, err = s.stableModel(ctx, meta, info.flavor, req.Log(), func() (err error) {
			at, err = masterStatus(ctx, meta)
			return err
		})
		if err != nil {
			return fail(err)
		}
		st.file, st.next = at.file, at.pos
		st.startHeartbeat = true
		if err = st.startGTIDs(ctx, "", at); err != nil {
			return fail(err)
		}
		a, ok := s.anchor(req.Name, position{File: at.file, Pos: at.pos, GTIDs: st.gtidsText, Server: info.identity})
		if ok && a.Server == info.identity && s.hasLog(ctx, meta, a.File) {
			st.file, st.next = a.File, a.Pos
			if err = st.startGTIDs(ctx, a.GTIDs, binlogStart{}); err != nil {
				return fail(err)
			}
			err = st.initHistory(ctx, nil, base, false)
			break
		}
		err = st.initHistory(ctx, base, nil, false)
	}
	if err != nil {
		return fail(err)
	}
	st.start()
	return st, nil
}

// stableModel reads the schemas of the captured databases around mark (which takes the
// binlog position the stream starts from), again until no DDL ran in between, so the
// model is the one valid at that position.
func (s *Source) stableModel(ctx context.Context, conn *client.Conn, flavor string, log *slog.Logger, mark func() error) (*schemaModel, error) {
	for attempt := 0; ; attempt++ {
		before, err := s.loadModel(ctx, conn, flavor)
		if err != nil {
			return nil, err
		}
		if err := mark(); err != nil {
			return nil, err
		}
		after, err := s.loadModel(ctx, conn, flavor)
		if err != nil {
			return nil, err
		}
		if reflect.DeepEqual(before, after) {
			return after, nil
		}
		if attempt == 4 {
			// DDL keeps running: go on with the later schemas. A statement between the
			// two reads that the stream then reads again is applied to them twice,
			// which the applier tolerates (IF NOT EXISTS semantics).
			log.Warn("the captured tables' schemas kept changing while the start position was taken; " +
				"starting with the schemas read after it")
			return after, nil
		}
		// A DDL ran meanwhile (a snapshot transaction is ended by the next
		// START TRANSACTION).
	}
}

// initHistory gives the stream its schema history, at the stream's start position:
// with base, a new history starting there; otherwise the stored one, rewound to the
// start, or, when none is stored, one starting with fallback (or the catalog's
// current schemas). resumed says the start is a stored position.
func (st *stream) initHistory(ctx context.Context, base, fallback *schemaModel, resumed bool) error {
	var store cdc.OffsetStore = &st.src.mem
	if st.req.Offsets != nil {
		store = st.req.Offsets
	}
	key := st.req.AuxKey(historyKeySuffix)
	at := binlogPos{st.file, st.next}
	if st.byGTID {
		// Positions of another server: the history begins again at this server's
		// oldest binlog, before any position it will record.
		logs, err := binaryLogs(ctx, st.meta)
		if err != nil {
			return err
		}
		if len(logs) == 0 {
			return fmt.Errorf("mysql: the server lists no binlog files")
		}
		at = binlogPos{logs[0], 4}
	}
	if base == nil {
		h, err := loadHistory(ctx, store, key)
		if err != nil {
			return err
		}
		switch {
		case h != nil && (st.byGTID || h.server != "" && h.server != st.info.identity && st.gtids != nil):
			// A history of another server's positions (a failover, or back after
			// one): find the start by GTID, and begin the history again at it.
			if !h.rewindGTIDs(st.gtids) {
				st.req.Log().Warn("the start position's GTID state does not include the schema history's first one: "+
					"events before the history's start decode with its first schemas", "start", st.gtidsText, "history", h.baseGTIDs)
			}
			base = h.cur
		case h != nil:
			if !h.rewind(at) {
				st.req.Log().Warn("the start position is older than the schema history, which begins later: "+
					"events before the history's start decode with its first schemas", "start", at.String(), "history", h.baseAt.String())
			}
			if h.server == "" {
				h.server = st.info.identity // a history of an earlier version
			}
			st.hist = h
			return nil
		default:
			if base = fallback; base == nil {
				m, err := st.src.loadModel(ctx, st.meta, st.info.flavor)
				if err != nil {
					return err
				}
				base = m
			}
			if resumed {
				st.req.Log().Warn("no schema history is stored for this position: starting one with the current schemas, "+
					"so events before the next DDL decode with them (right unless the tables changed since the position)",
					"key", key, "start", at.String())
			}
		}
	}
	st.hist = newHistory(store, key, st.info.flavor, at, base)
	st.hist.server, st.hist.baseGTIDs = st.info.identity, st.gtidsText
	return st.hist.save(ctx)
}

// startGTIDs sets the GTID state the stream starts with: stored, or the server's at
// the start position. A state the server cannot tell (MySQL without GTIDs) leaves
// the stream without one.
func (st *stream) startGTIDs(ctx context.Context, stored string, at binlogStart) error {
	st.gtids, st.gtidsText = nil, ""
	if stored != "" {
		g, err := newGTIDTracker(st.info.flavor, stored)
		if err != nil {
			return fmt.Errorf("%w: %w", cdc.ErrCorruptOffsets, err)
		}
		st.gtids, st.gtidsText = g, g.text
		return nil
	}
	if at.file == "" {
		return nil
	}
	g, err := gtidStateAt(ctx, st.meta, st.info, at.file, at.pos, at.executed)
	if err != nil {
		st.req.Log().Warn("cannot read the GTID state at the start position: positions will not record GTIDs, so they resume on this server only",
			"file", at.file, "pos", at.pos, "err", err)
		return nil
	}
	if g != nil {
		st.gtids, st.gtidsText = g, g.text
	}
	return nil
}

// anchor returns the start of the first stream opened without a position under the
// engine name, recording p as that start when there is none yet (ok=false).
func (s *Source) anchor(name string, p position) (position, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.anchors[name]; ok {
		return a, true
	}
	s.anchors[name] = p
	return p, false
}

// hasLog reports whether the server still has the binlog file.
func (s *Source) hasLog(ctx context.Context, conn *client.Conn, file string) bool {
	logs, err := binaryLogs(ctx, conn)
	return err == nil && slices.Contains(logs, file)
}

func describeLogs(logs []string) string {
	switch len(logs) {
	case 0:
		return "no binlog files"
	case 1:
		return logs[0]
	}
	return logs[0] + " to " + logs[len(logs)-1]
}
