package mysql_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/sourcetest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
	"github.com/tributary-cdc/cdc/offsets"
)

// Environment of a crash-test child (the test binary re-executed by TestCrashRestart).
const (
	crashEnvDir  = "TRIBUTARY_MYCRASH_CHILD_DIR" // holds offsets.json
	crashEnvAddr = "TRIBUTARY_MYCRASH_CHILD_ADDR"
	crashEnvLog  = "TRIBUTARY_MYCRASH_CHILD_LOG"

	crashRows     = 5000 // rows in the table before the first child starts
	crashMarker   = -1   // id of the row written last: the final child stops after it
	crashServerID = 4242 // fixed, as in production: a restarted child meets its predecessor's registration
)

// crashChild runs an engine over test.items (see sourcetest.CrashChild), saving
// positions and the schema history in a file store.
func crashChild(dir, addr, logPath string) int {
	src, err := mysql.New(mysql.Config{Addr: addr, User: "root", Tables: []string{"test.items"}, ServerID: crashServerID,
		SnapshotChunkSize: 200, HeartbeatPeriod: 300 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return sourcetest.CrashChild{Source: src, Dir: dir, Log: logPath, Marker: crashMarker, Pace: 4,
		Row: func(ev cdc.Event) (id, v int64, ok bool, err error) {
			if ev.Op == cdc.OpSchema {
				return 0, 0, false, nil
			}
			return sourcetest.IDVersion(ev)
		}}.Run()
}

// crashLine is one line of a child log.
type crashLine = sourcetest.CrashLine

func readCrashLog(t *testing.T, path string) []crashLine { return sourcetest.ReadCrashLog(t, path) }

// crashWriter is the application: small committed transactions updating random rows
// (version = version + 1) and inserting new ones, now and then one updating 1500 rows,
// reconnecting when the server restarts. It records every (id, version) it knows to
// be committed; after a failed commit (outcome unknown) it reads the versions again.
type crashWriter struct {
	addr      string
	stop      chan struct{}
	done      chan struct{}
	committed map[int64][]int64 // written by run only; read after done
	bigReq    chan struct{}     // the next transaction updates 3000 rows ...
	bigAt     chan int64        // ... from this id on, sent once it is committed
	txs       atomic.Int64
	bigTxs    atomic.Int64 // of them, updates of 1500 or 3000 rows
	errs      atomic.Int64
	mu        sync.Mutex
	err       error // a failure lasting too long
}

func (w *crashWriter) fail(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

func (w *crashWriter) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *crashWriter) run() {
	defer close(w.done)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	versions := map[int64]int64{}
	var conn *client.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	lastOK := time.Now()
	next := int64(0)
	for {
		select {
		case <-w.stop:
			return
		case <-time.After(5 * time.Millisecond): // slower than the paced consumer
		}
		if conn == nil {
			c, err := client.Connect(w.addr, "root", "", "test")
			if err == nil {
				var r *mysqlResult
				r, err = loadVersions(c)
				if err == nil {
					versions, next = r.versions, r.maxID+1
				}
			}
			if err != nil {
				if c != nil {
					c.Close()
				}
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
		changed := map[int64]int64{} // id -> versions added
		var inserted []int64
		stmts := []string{"BEGIN"}
		var forced bool
		select {
		case <-w.bigReq:
			forced = true
		default:
		}
		bigFrom := int64(0)
		if forced || rng.IntN(400) == 0 {
			// A large transaction: mid-transaction positions every 1024 rows.
			size := int64(1500)
			if forced {
				size = 3000
			}
			bigFrom = 1 + rng.Int64N(crashRows-size)
			stmts = append(stmts, fmt.Sprintf("UPDATE items SET version = version + 1 WHERE id BETWEEN %d AND %d", bigFrom, bigFrom+size-1))
			for id := bigFrom; id < bigFrom+size; id++ {
				changed[id]++
			}
		}
		for range 1 + rng.IntN(3) {
			if rng.IntN(4) == 0 {
				stmts = append(stmts, fmt.Sprintf("INSERT INTO items (id, version) VALUES (%d, 0)", next))
				inserted = append(inserted, next)
				next++
			} else {
				id := 1 + rng.Int64N(next-1)
				stmts = append(stmts, fmt.Sprintf("UPDATE items SET version = version + 1 WHERE id = %d", id))
				changed[id]++
			}
		}
		stmts = append(stmts, "COMMIT")
		var err error
		for _, s := range stmts {
			if _, err = conn.Execute(s); err != nil {
				break
			}
		}
		if err != nil {
			// Connection lost (server restart): the outcome is unknown, record nothing.
			if forced {
				w.bigReq <- struct{}{} // try again
			}
			w.errs.Add(1)
			conn.Close()
			conn = nil
			if time.Since(lastOK) > 20*time.Second {
				w.fail(fmt.Errorf("writer: failing for 20 s: %w", err))
				return
			}
			continue
		}
		lastOK = time.Now()
		w.txs.Add(1)
		if len(changed) >= 1500 {
			w.bigTxs.Add(1)
		}
		for _, id := range inserted {
			versions[id] = 0
			w.committed[id] = append(w.committed[id], 0)
		}
		for id, n := range changed {
			for range n {
				versions[id]++
				w.committed[id] = append(w.committed[id], versions[id])
			}
		}
		if forced {
			w.bigAt <- bigFrom
		}
	}
}

type mysqlResult struct {
	versions map[int64]int64
	maxID    int64
}

func loadVersions(c *client.Conn) (*mysqlResult, error) {
	r, err := c.Execute("SELECT id, version FROM test.items")
	if err != nil {
		return nil, err
	}
	out := &mysqlResult{versions: map[int64]int64{}}
	for i := range r.RowNumber() {
		id, _ := r.GetInt(i, 0)
		v, _ := r.GetInt(i, 1)
		out.versions[id] = v
		out.maxID = max(out.maxID, id)
	}
	return out, nil
}

// TestCrashRestart: a consumer in a child process is killed with SIGKILL at random
// points, during the initial snapshot and while streaming (1500-row transactions
// among the small ones: a run may resume inside one, from a mid-transaction
// position), and restarted each time, while the application keeps writing;
// the MariaDB server is also restarted once under a streaming child, which must
// reconnect by itself; and columns are added and moved twice meanwhile, on a server
// with binlog_row_metadata = MINIMAL, so the rows decode only through the schema
// history each restart reloads from the offsets file. The events logged by all
// children, applied in order, must rebuild the table; the snapshot must read every
// initial row, in key order within a run; every committed change must be streamed;
// and within one run no row goes back to an older version, except that a run
// resuming a snapshot reads rows as they are now and then streams the changes since
// the first snapshot's position (see the package documentation): there only the
// streamed changes of a row must keep increasing. Streaming runs alternate between
// the primary and a replica of it (a failover and back at every restart): each
// resumes from the other server's position by GTID, inside large transactions too.
func TestCrashRestart(t *testing.T) {
	needOwnServer(t, "restarts the server, and starts it with binlog_row_metadata = MINIMAL")
	m := testdb.NewMariaDB(t, testdb.MariaDBOptions{Args: []string{"--binlog-row-metadata=MINIMAL"}})
	replica := replicaOf(t, m, "--binlog-row-metadata=MINIMAL")
	c := dial(t, m)
	run(t, c, "CREATE TABLE test.items (id INT PRIMARY KEY, version INT NOT NULL)",
		insertSeq("test.items", "seq, 0", 1, crashRows))
	dir := t.TempDir()
	store := offsets.NewFile(filepath.Join(dir, "offsets.json"))
	began := time.Now()
	deadline := began.Add(80 * time.Second) // about 10 s on an idle machine
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))

	w := &crashWriter{addr: m.Addr, stop: make(chan struct{}), done: make(chan struct{}), committed: map[int64][]int64{},
		bigReq: make(chan struct{}, 1), bigAt: make(chan int64, 1)}
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
	// Schema changes that a decoder without the history would get wrong: a column
	// added first shifts id and version to other places in the row image.
	ddls := []string{"ALTER TABLE test.items ADD COLUMN note VARCHAR(10) FIRST",
		"ALTER TABLE test.items ADD COLUMN extra BIGINT NOT NULL DEFAULT 7 AFTER id, MODIFY version INT NOT NULL FIRST"}

	type runInfo struct {
		kind       string // fresh, resnap, stream
		log        string
		stderr     string
		lines      []crashLine
		phase      string
		restartAt  int
		restartsIn int
		addr       string
	}
	var runs []*runInfo
	kills, snapKills, streamKills, restarts, midTx, bigKills := 0, 0, 0, 0, 0, 0
	streamRuns, replicaRuns, failovers, midTxFailovers := 0, 0, 0, 0
	var child *osexec.Cmd
	var exited chan error
	t.Cleanup(func() {
		if child != nil {
			child.Process.Kill()
			<-exited
			child = nil
		}
	})
	lineCount := func(path string) int {
		data, _ := os.ReadFile(path)
		return bytes.Count(data, []byte{'\n'})
	}
	childErr := func(r *runInfo, err error) {
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
		r := &runInfo{log: filepath.Join(dir, fmt.Sprintf("run-%d.log", k)), stderr: filepath.Join(dir, fmt.Sprintf("run-%d.stderr", k)), restartAt: -1}
		switch {
		case pos == nil:
			r.kind = "fresh"
		case bytes.Contains(pos, []byte(`"snapshot"`)):
			r.kind = "resnap"
		default:
			r.kind = "stream"
			if bytes.Contains(pos, []byte(`"n":`)) {
				midTx++
			}
		}
		r.addr = m.Addr
		if r.kind == "stream" {
			if streamRuns++; streamRuns%2 == 0 {
				r.addr = replica.Addr
				replicaRuns++
			}
			// The stored position names the server that wrote it.
			if from := bytes.Contains(pos, []byte(`"server":"2"`)); from != (r.addr == replica.Addr) {
				failovers++
				if bytes.Contains(pos, []byte(`"n":`)) {
					midTxFailovers++
				}
			}
		}
		runs = append(runs, r)
		final := kills >= 10 && snapKills >= 3 && streamKills >= 5 && restarts == 1 && len(ddls) == 0 && bigKills >= 2
		if final {
			stopWriter()
			if err := w.failure(); err != nil {
				t.Fatal(err)
			}
			run(t, dial(t, m), fmt.Sprintf("INSERT INTO test.items (id, version) VALUES (%d, 0)", crashMarker))
		}

		errf, err := os.Create(r.stderr)
		if err != nil {
			t.Fatal(err)
		}
		child = osexec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), crashEnvDir+"="+dir, crashEnvAddr+"="+r.addr, crashEnvLog+"="+r.log)
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
			r.lines = readCrashLog(t, r.log)
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
			// Wait for a stored position: from then on every restart streams from the
			// first snapshot's binlog position, so every commit must be streamed.
			for {
				if p, _ := store.Load(context.Background(), "crash"); p != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the first child stored no position")
				}
				time.Sleep(5 * time.Millisecond)
			}
			writerStarted = true
			go w.run()
		}
		delay := time.Duration(200+rng.IntN(300)) * time.Millisecond
		if r.kind != "stream" && snapKills >= 3 {
			// Enough kills in the snapshot: let this run reach the stream.
			for streaming := false; !streaming; {
				for _, l := range readCrashLog(t, r.log) {
					streaming = streaming || l.Op == 'c' || l.Op == 'u'
				}
				select {
				case err := <-exited:
					child = nil
					childErr(r, err)
				case <-time.After(10 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatalf("run %d (%s) never reached the stream", k, r.kind)
				}
			}
			delay = time.Duration(50+rng.IntN(200)) * time.Millisecond
		}
		if r.kind == "stream" {
			delay = time.Duration(100+rng.IntN(400)) * time.Millisecond
			if len(ddls) > 0 && streamKills >= 1 {
				run(t, c, ddls[0])
				ddls = ddls[1:]
			}
		}
		if r.kind == "stream" && restarts == 0 && streamKills >= 2 && r.addr == m.Addr {
			time.Sleep(time.Duration(50+rng.IntN(200)) * time.Millisecond)
			r.restartAt = lineCount(r.log)
			t0 := time.Now()
			if err := m.Restart(); err != nil {
				t.Fatalf("restarting MariaDB: %v", err)
			}
			t.Logf("%6.2fs run %d: MariaDB restarted in %v", time.Since(began).Seconds(), k, time.Since(t0).Round(time.Millisecond))
			c = dial(t, m)
			restarts++
			for {
				lines := readCrashLog(t, r.log)
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
					t.Logf("%6.2fs run %d: the child reconnected and goes on", time.Since(began).Seconds(), k)
					break
				}
				select {
				case err := <-exited:
					child = nil
					childErr(r, err)
				case <-time.After(20 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					child.Process.Signal(syscall.SIGQUIT)
					<-exited
					child = nil
					out, _ := os.ReadFile(r.stderr)
					t.Fatalf("run %d did not resume after the server restart (%d reconnects, %d events since; writer %d txs, %d errors)\nstderr:\n%s",
						k, recon, after, w.txs.Load(), w.errs.Load(), out)
				}
			}
		}
		if r.kind == "stream" && restarts == 1 && bigKills < 2 {
			// Kill the child in the middle of a 3000-row transaction, once it stored its
			// first mid-transaction position (row 1024).
			base := len(readCrashLog(t, r.log))
			w.bigReq <- struct{}{}
			var from int64
			select {
			case from = <-w.bigAt:
			case <-time.After(time.Until(deadline)):
				t.Fatal("the writer did not commit the large transaction")
			}
			for done := false; !done; {
				// The transaction's rows arrive together, in id order: count the
				// longest run of ids from, from+1, ...
				n, run := 0, 0
				for _, l := range readCrashLog(t, r.log)[base:] {
					switch {
					case l.Op == 'R':
					case l.Op == 'u' && l.ID == from+int64(run):
						run++
					case l.Op == 'u' && l.ID == from:
						run = 1
					default:
						run = 0
					}
					n = max(n, run)
				}
				select {
				case err := <-exited:
					child = nil
					childErr(r, err)
				case <-time.After(5 * time.Millisecond):
				}
				// Right after the engine stored the mid-transaction position, so that
				// few rows past it were handled: the next run must deliver them.
				if n >= 1024 {
					p, _ := store.Load(context.Background(), "crash")
					done = bytes.Contains(p, []byte(`"n":1024`)) || n >= 2000
				}
				if time.Now().After(deadline) {
					t.Fatalf("run %d handled %d rows of the large transaction", k, n)
				}
			}
			bigKills++
		} else {
			select {
			case err := <-exited:
				child = nil
				childErr(r, err)
			case <-time.After(delay):
			}
		}
		if err := child.Process.Signal(syscall.SIGKILL); err != nil {
			err := <-exited
			child = nil
			childErr(r, err)
		}
		<-exited
		child = nil
		kills++
		r.lines = readCrashLog(t, r.log)
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

	res, err := loadVersions(dial(t, m))
	if err != nil {
		t.Fatal(err)
	}
	var logs []sourcetest.CrashRun
	for _, r := range runs {
		logs = append(logs, sourcetest.CrashRun{Kind: r.kind, Lines: r.lines})
	}
	want := res.versions
	events, dups := sourcetest.VerifyCrashRuns(t, logs, want, w.committed, crashRows)
	changes := 0
	for _, vs := range w.committed {
		changes += len(vs)
	}

	kinds := map[string]int{}
	var restartRun *runInfo
	for _, r := range runs {
		kinds[r.kind]++
		if r.restartAt >= 0 {
			restartRun = r
		}
	}
	if midTx == 0 {
		t.Fatal("no run resumed from a position inside a transaction")
	}
	if kills < 10 || snapKills < 3 || streamKills < 5 {
		t.Fatalf("%d kills (%d in the snapshot, %d streaming): want 10, 3 and 5 at least", kills, snapKills, streamKills)
	}
	if replicaRuns < 2 || failovers < 3 {
		t.Fatalf("%d runs on the replica, %d resumed from the other server's position: want 2 and 3 at least", replicaRuns, failovers)
	}
	if restartRun == nil || w.txs.Load() == 0 || changes == 0 {
		t.Fatalf("no server restart under a streaming child, or the writer committed nothing (%d txs)", w.txs.Load())
	}
	t.Logf("%d runs (%v, %d resumed inside a transaction) in %v: %d kills (%d in the snapshot, %d streaming), "+
		"1 server restart (child reconnected after %d attempt(s)), 2 DDLs",
		len(runs), kinds, midTx, elapsedRuns.Round(time.Millisecond), kills, snapKills, streamKills, restartRun.restartsIn)
	t.Logf("%d streaming runs on the replica; %d runs resumed from the other server's position by GTID (%d inside a transaction)",
		replicaRuns, failovers, midTxFailovers)
	t.Logf("writer: %d transactions (%d of 1500 rows), %d committed changes, %d errors; %d events logged, %d duplicate deliveries; %d rows match",
		w.txs.Load(), w.bigTxs.Load(), changes, w.errs.Load(), events, dups, len(want))
}
