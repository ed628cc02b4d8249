package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/sourcetest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/offsets"
	"github.com/tributary-cdc/cdc/postgres"
)

// Environment of a crash-test child (the test binary re-executed by TestCrashRestartPostgres).
const (
	pgCrashEnvDir = "TRIBUTARY_PGCRASH_CHILD_DIR" // holds offsets.json
	pgCrashEnvDSN = "TRIBUTARY_PGCRASH_CHILD_DSN"
	pgCrashEnvLog = "TRIBUTARY_PGCRASH_CHILD_LOG"
	// pgCrashEnvDrain set: the final run drains the backlog unpaced (a paced drain of
	// tens of thousands of changes could outlast the deadline on a loaded machine).
	pgCrashEnvDrain = "TRIBUTARY_PGCRASH_CHILD_DRAIN"

	pgCrashRows   = 5000 // rows in the table before the first child starts
	pgCrashMarker = -1   // id of the row written last: the final child stops after it
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(pgCrashEnvDir); dir != "" {
		os.Exit(pgCrashChild(dir, os.Getenv(pgCrashEnvDSN), os.Getenv(pgCrashEnvLog)))
	}

	os.Exit(m.Run())
}

// pgCrashChild runs an engine over public.items (see sourcetest.CrashChild).
func pgCrashChild(dir, dsn, logPath string) int {
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "crash", Publication: "crash",
		Tables: []string{"public.items"}, SnapshotChunkSize: 200, SnapshotParallelism: 2, StatusInterval: time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	pace := 3
	if os.Getenv(pgCrashEnvDrain) != "" {
		pace = 0
	}
	return sourcetest.CrashChild{Source: src, Dir: dir, Log: logPath, Marker: pgCrashMarker, Pace: pace,
		Row: func(ev cdc.Event) (id, v int64, ok bool, err error) {
			if ev.Op == cdc.OpDelete {
				id, err = ev.Key.Int64("id")
				return id, 0, true, err
			}
			return sourcetest.IDVersion(ev)
		}}.Run()
}

// pgLine is one line of a child log.
type pgLine = sourcetest.CrashLine

func readPgLog(t *testing.T, path string) []pgLine { return sourcetest.ReadCrashLog(t, path) }

// tableState returns id -> version of public.items.
func tableState(t *testing.T, dsn string) map[int64]int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	res, err := conn.Exec(ctx, "SELECT id, version FROM items").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, r := range res[0].Rows {
		id, _ := strconv.ParseInt(string(r[0]), 10, 64)
		v, _ := strconv.ParseInt(string(r[1]), 10, 64)
		out[id] = v
	}
	return out
}

// crashWriter is the application: small committed transactions updating random rows
// (version = version + 1) and inserting new ones, reconnecting when the server restarts.
// It records every (id, version) it knows to be committed.
type crashWriter struct {
	dsn       string
	stop      chan struct{}
	done      chan struct{}
	committed map[int64][]int64 // written by run only; read after done
	txs       atomic.Int64      // committed transactions
	errs      atomic.Int64      // failed ones (server restart)
	mu        sync.Mutex
	err       error // a failure lasting too long
}

func (w *crashWriter) fail(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

// failure returns why the writer gave up, or nil.
func (w *crashWriter) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *crashWriter) run() {
	defer close(w.done)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	next := int64(pgCrashRows + 1)
	var conn *pgconn.PgConn
	defer func() {
		if conn != nil {
			conn.Close(ctx)
		}
	}()
	lastOK := time.Now()
	for {
		select {
		case <-w.stop:
			return
		case <-time.After(2 * time.Millisecond):
		}
		if conn == nil {
			c, err := pgconn.Connect(ctx, w.dsn)
			if err != nil {
				w.errs.Add(1)
				if time.Since(lastOK) > 20*time.Second {
					w.fail(fmt.Errorf("writer: no connection for 20 s: %w", err))
					return
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
			conn = c
		}
		q := "BEGIN;"
		skip := -1 // the result of a statement rolled back to a savepoint
		if rng.IntN(40) == 0 {
			// A large transaction, which the server streams before it commits (the test
			// server's logical_decoding_work_mem is tiny), with a rolled back savepoint.
			a := 1 + rng.Int64N(pgCrashRows-1500)
			q += fmt.Sprintf("UPDATE items SET version = version + 1 WHERE id BETWEEN %d AND %d RETURNING id, version;", a, a+1499)
			q += "SAVEPOINT s;"
			q += fmt.Sprintf("UPDATE items SET version = version + 1 WHERE id BETWEEN %d AND %d RETURNING id, version;", a, a+999)
			q += "ROLLBACK TO SAVEPOINT s;"
			skip = 3
		}
		var inserted []int64
		for range 1 + rng.IntN(3) {
			if rng.IntN(4) == 0 {
				q += fmt.Sprintf("INSERT INTO items VALUES (%d, 0) RETURNING id, version;", next)
				inserted = append(inserted, next)
				next++ // never reused, even when the outcome is unknown
			} else {
				q += fmt.Sprintf("UPDATE items SET version = version + 1 WHERE id = %d RETURNING id, version;", 1+rng.Int64N(next-1))
			}
		}
		res, err := conn.Exec(ctx, q+"COMMIT").ReadAll()
		if err != nil {
			// Connection lost (server restart): the outcome is unknown, record nothing.
			w.errs.Add(1)
			conn.Close(ctx)
			conn = nil
			if time.Since(lastOK) > 20*time.Second {
				w.fail(fmt.Errorf("writer: failing for 20 s: %w", err))
				return
			}
			continue
		}
		lastOK = time.Now()
		w.txs.Add(1)
		for i, r := range res {
			if i == skip {
				continue
			}
			for _, row := range r.Rows {
				id, _ := strconv.ParseInt(string(row[0]), 10, 64)
				v, _ := strconv.ParseInt(string(row[1]), 10, 64)
				w.committed[id] = append(w.committed[id], v)
			}
		}
	}
}

// TestCrashRestartPostgres: a consumer in a child process is killed with SIGKILL at
// random points, during the initial snapshot and while streaming, and restarted each
// time, while the application keeps writing; the PostgreSQL server is also restarted
// once under a streaming child, which must reconnect by itself. The events logged by
// all children, applied in order, must rebuild the table; the snapshot must read every
// initial row, in key order within a run; every committed change must be streamed; and
// within one run no row goes back to an older version (a duplicate or an older version
// may only come after a restart), except that a run resuming a snapshot without the
// exported snapshot reads rows as they are now and then streams the changes since the
// slot's consistent point (see the package documentation): there only the streamed
// changes of a row must keep increasing.
func TestCrashRestartPostgres(t *testing.T) {
	pg := streamingServer(t) // large transactions are streamed before they commit
	dsn := pg.CreateDatabase(t, "crash")
	exec(t, dsn, fmt.Sprintf(`CREATE TABLE items (id int PRIMARY KEY, version int NOT NULL);
		INSERT INTO items SELECT g, 0 FROM generate_series(1, %d) g`, pgCrashRows))
	dir := t.TempDir()
	store := offsets.NewFile(filepath.Join(dir, "offsets.json"))
	began := time.Now()
	deadline := began.Add(50 * time.Second)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))

	w := &crashWriter{dsn: dsn, stop: make(chan struct{}), done: make(chan struct{}), committed: map[int64][]int64{}}
	writerStarted := false
	stopWriter := func() {
		if !writerStarted {
			return
		}
		select {
		case <-w.stop:
		default:
			close(w.stop)
		}
		<-w.done
	}
	t.Cleanup(stopWriter)

	slotExists := func() bool {
		ctx := context.Background()
		conn, err := pgconn.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		res, err := conn.Exec(ctx, "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'crash'").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return len(res[0].Rows) > 0
	}

	// How a run starts decides what it may deliver:
	//   fresh:    no slot yet; exported snapshot, then the stream from its consistent point.
	//   resnap:   a snapshot resumed (or restarted) without the exported snapshot: the
	//             rows are read as they are now and the stream replays the changes since
	//             the slot's consistent point, so a row can go back to an older version.
	//   stream:   streaming from a stored stream position.
	type run struct {
		kind       string
		log        string
		stderr     string
		lines      []pgLine
		phase      string // where the kill landed: "snapshot" or "stream"
		restartAt  int    // number of log lines when the server restart began; -1 when none
		restartsIn int    // reconnects logged after the restart
	}
	var runs []*run
	kills, snapKills, streamKills, restarts := 0, 0, 0, 0
	// The running child; exited receives its exit status.
	var child *osexec.Cmd
	var exited chan error
	t.Cleanup(func() {
		if child != nil { // a failure left it running
			child.Process.Kill()
			<-exited
			child = nil
		}
	})
	lineCount := func(path string) int {
		data, _ := os.ReadFile(path)
		return bytes.Count(data, []byte{'\n'})
	}
	childErr := func(r *run, err error) {
		out, _ := os.ReadFile(r.stderr)
		t.Fatalf("run %d (%s) exited by itself: %v\nstderr:\n%s", len(runs)-1, r.kind, err, out)
	}

	for k := 0; ; k++ {
		if time.Now().After(deadline) {
			t.Fatalf("the test ran out of time after %d runs, %d kills", k, kills)
		}
		pos, err := store.Load(context.Background(), "crash")
		if err != nil {
			t.Fatalf("run %d: loading the stored position: %v", k, err)
		}
		r := &run{log: filepath.Join(dir, fmt.Sprintf("run-%d.log", k)), stderr: filepath.Join(dir, fmt.Sprintf("run-%d.stderr", k)), restartAt: -1}
		switch {
		case pos == nil && !slotExists():
			r.kind = "fresh"
		case pos == nil || bytes.Contains(pos, []byte(`"snapshot"`)):
			r.kind = "resnap"
		default:
			r.kind = "stream"
		}
		runs = append(runs, r)
		final := kills >= 10 && snapKills >= 3 && streamKills >= 5 && restarts == 1
		if final {
			stopWriter()
			if err := w.failure(); err != nil {
				t.Fatal(err)
			}
			exec(t, dsn, fmt.Sprintf("INSERT INTO items VALUES (%d, 0)", pgCrashMarker))
		}

		errf, err := os.Create(r.stderr)
		if err != nil {
			t.Fatal(err)
		}
		child = osexec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), pgCrashEnvDir+"="+dir, pgCrashEnvDSN+"="+dsn, pgCrashEnvLog+"="+r.log)
		if final {
			child.Env = append(child.Env, pgCrashEnvDrain+"=1")
		}
		child.Stderr = errf
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		errf.Close()
		exited = make(chan error, 1)
		go func(c *osexec.Cmd, ch chan<- error) { ch <- c.Wait() }(child, exited)

		if final {
			select {
			case err := <-exited:
				child = nil
				if err != nil {
					childErr(r, err)
				}
			case <-time.After(time.Until(deadline)):
				t.Fatalf("the final run did not reach the marker row in time (%d lines logged)", lineCount(r.log))
			}
			r.lines = readPgLog(t, r.log)
			t.Logf("%6.2fs run %d (%s): reached the marker after %d lines", time.Since(began).Seconds(), k, r.kind, len(r.lines))
			break
		}

		// Let the child make progress before killing it.
		for lineCount(r.log) == 0 {
			select {
			case err := <-exited:
				child = nil
				childErr(r, err)
			case <-time.After(5 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d logged nothing", k)
			}
		}
		if !writerStarted {
			// The slot exists and its snapshot is being read: from now on every commit
			// comes after the slot's consistent point, so the stream must deliver it.
			writerStarted = true
			go w.run()
		}
		delay := time.Duration(200+rng.IntN(300)) * time.Millisecond
		if r.kind == "stream" {
			delay = time.Duration(100+rng.IntN(400)) * time.Millisecond
		}
		if r.kind == "stream" && restarts == 0 && streamKills >= 2 {
			time.Sleep(time.Duration(50+rng.IntN(200)) * time.Millisecond)
			r.restartAt = lineCount(r.log)
			if err := pg.Restart(); err != nil {
				t.Fatalf("restarting PostgreSQL: %v", err)
			}
			restarts++
			// The child must reconnect by itself and go on.
			for {
				lines := readPgLog(t, r.log)
				after, recon := 0, 0
				for _, l := range lines[r.restartAt:] {
					if l.Op == 'R' {
						recon++
						after = 0
					} else if recon > 0 {
						after++
					}
				}
				if recon > 0 && after >= 50 {
					r.restartsIn = recon
					break
				}
				select {
				case err := <-exited:
					child = nil
					childErr(r, err)
				case <-time.After(20 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					pgCrashDiagnostics(t, dsn, w)
					child.Process.Signal(syscall.SIGQUIT) // the child dumps its goroutines to stderr
					<-exited
					child = nil
					out, _ := os.ReadFile(r.stderr)
					t.Fatalf("run %d did not resume after the server restart (%d reconnects, %d events since)\nstderr:\n%s", k, recon, after, out)
				}
			}
		}
		select {
		case err := <-exited:
			child = nil
			childErr(r, err)
		case <-time.After(delay):
		}
		if err := child.Process.Signal(syscall.SIGKILL); err != nil {
			err := <-exited // it has just exited by itself
			child = nil
			childErr(r, err)
		}
		<-exited
		child = nil
		kills++
		r.lines = readPgLog(t, r.log)
		r.phase = "snapshot"
		for i := len(r.lines) - 1; i >= 0; i-- {
			if op := r.lines[i].Op; op != 'R' {
				if op != 'r' {
					r.phase = "stream"
				}
				break
			}
		}
		if r.phase == "snapshot" {
			snapKills++
		} else {
			streamKills++
		}
		t.Logf("%6.2fs run %d (%s): killed in the %s after %d lines", time.Since(began).Seconds(), k, r.kind, r.phase, len(r.lines))
		if err := w.failure(); err != nil {
			t.Fatal(err)
		}
	}
	elapsedRuns := time.Since(began)

	// The state rebuilt from all logs, in order, is the table; every committed
	// change is delivered, all of them made after the slot's consistent point.
	var logs []sourcetest.CrashRun
	for _, r := range runs {
		logs = append(logs, sourcetest.CrashRun{Kind: r.kind, Lines: r.lines})
	}
	want := tableState(t, dsn)
	events, dups := sourcetest.VerifyCrashRuns(t, logs, want, w.committed, pgCrashRows)
	changes := 0
	for _, vs := range w.committed {
		changes += len(vs)
	}

	kinds := map[string]int{}
	var restartRun *run
	for _, r := range runs {
		kinds[r.kind]++
		if r.restartAt >= 0 {
			restartRun = r
		}
	}
	if kills < 10 || snapKills < 3 || streamKills < 5 || restarts != 1 || restartRun == nil {
		t.Fatalf("%d kills (%d in the snapshot, %d streaming), %d server restarts", kills, snapKills, streamKills, restarts)
	}
	if w.txs.Load() == 0 || changes == 0 {
		t.Fatal("the writer committed nothing")
	}
	t.Logf("%d runs (%v) in %v: %d kills (%d in the snapshot, %d streaming), 1 server restart (child reconnected after %d attempt(s))",
		len(runs), kinds, elapsedRuns.Round(time.Millisecond), kills, snapKills, streamKills, restartRun.restartsIn)
	streamed := queryOne(t, dsn, "SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = 'crash'")
	t.Logf("writer: %d transactions, %d committed changes, %d errors; %d events logged, %d duplicate deliveries; %d rows match; %s transactions streamed before their commit",
		w.txs.Load(), changes, w.errs.Load(), events, dups, len(want), streamed)
	if streamed == "0" {
		t.Fatal("no transaction was streamed before its commit: the test does not exercise protocol version 2 streaming")
	}
}

// TestPostgresServerRestartMidStream: the server is restarted twice while an
// application inserts rows 1..2000 one transaction each; the engine must reconnect by
// itself, and deliver every row, in order, exactly once.
func TestPostgresServerRestartMidStream(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := pg.CreateDatabase(t, "restart")
	exec(t, dsn, "CREATE TABLE items (id int PRIMARY KEY)")
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "restart", Publication: "restart",
		Tables: []string{"public.items"}, StatusInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var conn *pgconn.PgConn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	sourcetest.RestartMidStream{
		Source: src,
		Rows:   2000,
		Insert: func(ctx context.Context, id int) error {
			if conn == nil {
				c, err := pgconn.Connect(ctx, dsn)
				if err != nil {
					return err
				}
				conn = c
			}
			// ON CONFLICT: the commit of a retried insert may have succeeded.
			q := fmt.Sprintf("INSERT INTO items VALUES (%d) ON CONFLICT DO NOTHING", id)
			if _, err := conn.Exec(ctx, q).ReadAll(); err != nil {
				conn.Close(context.Background())
				conn = nil
				return err
			}
			return nil
		},
		Restart: pg.Restart,
	}.Run(t)
}

// pgCrashDiagnostics logs the server's view of a stuck crash test.
func pgCrashDiagnostics(t *testing.T, dsn string, w *crashWriter) {
	t.Logf("writer: %d transactions, %d errors", w.txs.Load(), w.errs.Load())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Logf("diagnostics: %v", err)
		return
	}
	defer conn.Close(ctx)
	res, err := conn.Exec(ctx, `SELECT pid, backend_type, state, wait_event, left(query, 80) FROM pg_stat_activity;
		SELECT slot_name, active, active_pid, restart_lsn, confirmed_flush_lsn FROM pg_replication_slots;
		SELECT pg_current_wal_lsn(), max(version), count(*) FROM items`).ReadAll()
	for _, r := range res {
		for _, row := range r.Rows {
			t.Logf("diagnostics: %q", row)
		}
	}
	if err != nil {
		t.Logf("diagnostics: %v", err)
	}
}

// TestPostgresServerRestartMidSnapshot: see sourcetest.RestartMidSnapshot.
func TestPostgresServerRestartMidSnapshot(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := pg.CreateDatabase(t, "restartsnap")
	const rows = 20000
	exec(t, dsn, "CREATE TABLE big (id int PRIMARY KEY, s text)")
	exec(t, dsn, fmt.Sprintf("INSERT INTO big SELECT g, 'x' FROM generate_series(1, %d) g", rows))
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "restartsnap", Publication: "restartsnap",
		Tables: []string{"public.big"}, SnapshotMode: cdc.SnapshotInitialOnly, SnapshotChunkSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.RestartMidSnapshot{Source: src, Rows: rows, Restart: pg.Restart}.Run(t)
}
