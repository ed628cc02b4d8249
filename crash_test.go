package cdc_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/offsets"
)

const crashEvents = 30000

func TestMain(m *testing.M) {
	if dir := os.Getenv("TRIBUTARY_CRASH_CHILD_DIR"); dir != "" {
		os.Exit(crashChild(dir, os.Getenv("TRIBUTARY_CRASH_CHILD_LOG")))
	}
	os.Exit(m.Run())
}

// crashChild consumes the fake source with a File offset store, appending the index of
// every handled event to log. One write(2) per event: a SIGKILL loses nothing written.
func crashChild(dir, log string) int {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	src := cdctest.NewSource(cdctest.SourceConfig{Events: crashEvents, Keys: 50, TxSize: 3, BatchSize: 32})
	e, err := cdc.NewEngine(src, cdc.WithName("crash"),
		cdc.WithOffsetStore(offsets.NewFile(filepath.Join(dir, "offsets.json"))),
		cdc.WithCommitInterval(5*time.Millisecond))
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

// TestCrashRestart kills a consumer with SIGKILL at random points and restarts it.
// Every event must be handled at least once, each run must go on in order from the
// stored position, and the stored position never passes an unhandled event.
func TestCrashRestart(t *testing.T) {
	dir, err := os.MkdirTemp("", "tributary-crash-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	store := offsets.NewFile(filepath.Join(dir, "offsets.json"))
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
		runs = append(runs, run{start: start, events: readLog(t, log), killed: killed})
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
	t.Logf("%d runs, %d kills, %d duplicate deliveries (all after a committed position)", len(runs), kills, dups)
}

func readLog(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		out = append(out, n)
	}
	return out
}
