package cdc_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/offsets"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"
)

const crashEvents = 30000

func TestMain(m *testing.M) {
	if dir := os.Getenv("TRIBUTARY_CRASH_CHILD_DIR"); dir != "" {
		os.Exit(crashChild(dir, os.Getenv("TRIBUTARY_CRASH_CHILD_LOG")))
	}
	os.Exit(m.Run())
}

// crashStore opens the offset store a crash test uses: TRIBUTARY_CRASH_STORE is
// file, postgres, mariadb or redis; TRIBUTARY_CRASH_STORE_ADDR the server's DSN or address.
func crashStore(dir string) (cdc.OffsetStore, func(), error) {
	addr := os.Getenv("TRIBUTARY_CRASH_STORE_ADDR")
	switch kind := os.Getenv("TRIBUTARY_CRASH_STORE"); kind {
	case "", "file":
		return offsets.NewFile(filepath.Join(dir, "offsets.json")), func() {}, nil
	case "postgres", "mariadb":
		driver, dialect := "pgx", offsets.Postgres
		if kind == "mariadb" {
			driver, dialect = "mysql", offsets.MySQL
		}
		db, err := sql.Open(driver, addr)
		if err != nil {
			return nil, nil, err
		}
		s, err := offsets.NewSQL(db, offsets.SQLConfig{Dialect: dialect})
		return s, func() { db.Close() }, err
	case "redis":
		c := redis.NewClient(&redis.Options{Addr: addr})
		return offsets.NewRedis(c, ""), func() { c.Close() }, nil
	default:
		return nil, nil, fmt.Errorf("unknown store %q", kind)
	}
}

// crashChild consumes the fake source, saving positions in the store under test and
// appending the index of every handled event to log. One write(2) per event: a
// SIGKILL loses nothing written.
func crashChild(dir, log string) int {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	store, closeStore, err := crashStore(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer closeStore()
	src := &startLog{Source: cdctest.NewSource(cdctest.SourceConfig{Events: crashEvents, Keys: 50, TxSize: 3, BatchSize: 32}), f: f}
	// Saves fail while a database restarts: tolerate that for a few seconds.
	e, err := cdc.NewEngine(src, cdc.WithName("crash"), cdc.WithOffsetStore(store),
		cdc.WithCommitInterval(5*time.Millisecond), cdc.WithCommitFailureLimit(1000))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	buf := make([]byte, 0, 16)
	err = e.Run(context.Background(), func(_ context.Context, ev cdc.Event) error {
		buf = strconv.AppendInt(buf[:0], int64(cdctest.Seq(ev)), 10)
		buf = append(buf, '\n')
		if _, err := f.Write(buf); err != nil {
			return err
		}
		if cdctest.Seq(ev)%8 == 0 {
			// Pace the run (at least ~4 s for the whole script, with or without -race)
			// so that the kills land mid-stream.
			time.Sleep(time.Millisecond)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startLog writes "start <n>" to the log at the run's first Open: the position the run
// really starts from. The test cannot read it beforehand: a SQL offset write a killed
// consumer sent just before the kill can still commit after the process is gone.
type startLog struct {
	*cdctest.Source
	f      *os.File
	opened bool
}

func (s *startLog) Open(ctx context.Context, req cdc.OpenRequest) (cdc.Stream, error) {
	if !s.opened {
		n := 0
		if req.Position != nil {
			var err error
			if n, err = cdctest.ParsePosition(req.Position); err != nil {
				return nil, err
			}
		}
		if _, err := fmt.Fprintf(s.f, "start %d\n", n); err != nil {
			return nil, err
		}
		s.opened = true
	}
	return s.Source.Open(ctx, req)
}

// TestCrashRestart kills a consumer with SIGKILL at random points and restarts it, for
// every offset store; the database holding the SQL stores' offsets is also restarted
// while a consumer runs. Every event must be handled at least once, each run must go
// on in order from the stored position, and the stored position never passes an
// unhandled event.
func TestCrashRestart(t *testing.T) {
	t.Run("file", func(t *testing.T) { crashRestart(t, "file", "", nil) })
	t.Run("postgres", func(t *testing.T) {
		pg := testdb.NewPostgres(t)
		crashRestart(t, "postgres", pg.DSN, pg.Restart)
	})
	t.Run("mariadb", func(t *testing.T) {
		m := testdb.NewMariaDB(t)
		crashRestart(t, "mariadb", m.DSN, m.Restart)
	})
	// The test Redis keeps nothing on disk, so there is no restart to survive.
	t.Run("redis", func(t *testing.T) { crashRestart(t, "redis", testdb.NewRedis(t).Addr, nil) })
}

func crashRestart(t *testing.T, kind, addr string, restartDB func() error) {
	dir, err := os.MkdirTemp("", "tributary-crash-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("TRIBUTARY_CRASH_STORE", kind)
	t.Setenv("TRIBUTARY_CRASH_STORE_ADDR", addr)
	store, closeStore, err := crashStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	restarts := 0
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))

	type run struct {
		start  int
		events []int
		killed bool
	}
	var runs []run
	kills := 0
	for k := 0; ; k++ {
		if k > 60 {
			t.Fatal("the consumer never finished")
		}
		start := 0
		if pos, err := store.Load(context.Background(), "crash"); err != nil {
			t.Fatalf("run %d: loading the stored position: %v", k, err)
		} else if pos != nil {
			if start, err = cdctest.ParsePosition(pos); err != nil {
				t.Fatal(err)
			}
		}
		log := filepath.Join(dir, fmt.Sprintf("run-%d.log", k))
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "TRIBUTARY_CRASH_CHILD_DIR="+dir, "TRIBUTARY_CRASH_CHILD_LOG="+log)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		killed := false
		if restartDB != nil && (kills == 3 || kills == 7) && restarts < 2 {
			time.Sleep(time.Duration(20+rng.IntN(100)) * time.Millisecond)
			if err := restartDB(); err != nil {
				t.Fatalf("restarting the database: %v", err)
			}
			restarts++
		}
		if kills < 12 {
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("run %d failed: %v", k, err)
				}
			case <-time.After(time.Duration(30+rng.IntN(300)) * time.Millisecond):
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				<-exited
				killed = true
				kills++
			}
		} else if err := <-exited; err != nil {
			t.Fatalf("final run failed: %v", err)
		}
		logged, events := readLog(t, log)
		if logged >= 0 {
			start = logged
		}
		runs = append(runs, run{start: start, events: events, killed: killed})
		if !killed {
			break
		}
	}

	seen := make([]bool, crashEvents)
	dups := 0
	for k, r := range runs {
		for i, n := range r.events {
			if n != r.start+i {
				t.Fatalf("run %d (from %d): event %d is %d, want %d: lost or out of order", k, r.start, i, n, r.start+i)
			}
			if seen[n] {
				dups++
			}
			seen[n] = true
		}
		if k+1 < len(runs) {
			next := runs[k+1].start
			if next < r.start {
				t.Fatalf("stored position went back from %d to %d", r.start, next)
			}
			if next > r.start+len(r.events) {
				t.Fatalf("run %d handled up to %d but stored %d: committed past an unhandled event",
					k, r.start+len(r.events)-1, next)
			}
		}
	}
	for n, ok := range seen {
		if !ok {
			t.Fatalf("event %d was never handled", n)
		}
	}
	last := runs[len(runs)-1]
	if last.start+len(last.events) != crashEvents {
		t.Fatalf("final run ended at %d", last.start+len(last.events))
	}
	if kills < 10 {
		t.Fatalf("only %d kills landed before the consumer finished: make the run longer", kills)
	}
	if restartDB != nil && restarts != 2 {
		t.Fatalf("the database was restarted %d times, want 2", restarts)
	}
	t.Logf("%d runs, %d kills, %d database restarts, %d duplicate deliveries (all after a committed position)",
		len(runs), kills, restarts, dups)
}

func readLog(t *testing.T, path string) (start int, events []int) {
	t.Helper()
	start = -1 // killed before it opened the source
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return start, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "start "); ok {
			if start, err = strconv.Atoi(rest); err != nil {
				t.Fatalf("%s: bad line %q", path, sc.Text())
			}
			continue
		}
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		out = append(out, n)
	}
	return start, out
}
