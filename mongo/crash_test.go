package mongo_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/mongo"
	"github.com/tributary-cdc/cdc/offsets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Environment of a crash-test child (the test binary re-executed by TestCrashRestart).
const (
	crashEnvDir  = "TRIBUTARY_MONGOCRASH_CHILD_DIR" // holds offsets.json and log
	crashEnvURI  = "TRIBUTARY_MONGOCRASH_CHILD_URI"
	crashEnvColl = "TRIBUTARY_MONGOCRASH_CHILD_COLL"

	crashDocs   = 3000 // documents before the first child starts
	crashMarker = -1   // _id of the document inserted last: the child stops after it
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnvDir); dir != "" {
		os.Exit(crashChild(dir, os.Getenv(crashEnvURI), os.Getenv(crashEnvColl)))
	}
	os.Exit(m.Run())
}

var errMarker = errors.New("marker handled")

// crashChild runs an engine over one collection with a file offset store, appending
// "<op> <_id> <v>" to dir/log for every handled event with one write(2) each, so a
// SIGKILL loses nothing that was written. It returns 0 after handling the marker.
func crashChild(dir, uri, ns string) int {
	f, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	src, err := mongo.New(mongo.Config{URI: uri, Collections: []string{ns}, BatchSize: 100, SnapshotParallelism: 2,
		MaxAwaitTime: 200 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	eng, err := cdc.NewEngine(src, cdc.WithName("crash"),
		cdc.WithOffsetStore(offsets.NewFile(filepath.Join(dir, "offsets.json"))),
		cdc.WithCommitInterval(10*time.Millisecond),
		cdc.WithReconnectBackoff(50*time.Millisecond, 500*time.Millisecond),
		cdc.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	n := 0
	var buf []byte
	err = eng.Run(context.Background(), func(_ context.Context, ev cdc.Event) error {
		if ev.Op != cdc.OpRead && ev.Op != cdc.OpCreate && ev.Op != cdc.OpUpdate {
			return nil
		}
		id, err := ev.Key.Int64("_id")
		if err != nil {
			return err
		}
		v, _ := ev.After.Int64("v")
		if uf, ok := ev.Source.Extra["updatedFields"].(map[string]any); ok {
			v, _ = uf["v"].(int64)
		}
		buf = append(append(buf[:0], ev.Op.String()...), ' ')
		buf = strconv.AppendInt(buf, id, 10)
		buf = strconv.AppendInt(append(buf, ' '), v, 10)
		if _, err := f.Write(append(buf, '\n')); err != nil {
			return err
		}
		if id == crashMarker {
			return errMarker
		}
		if n++; n%4 == 0 {
			time.Sleep(time.Millisecond) // pace: the snapshot and the stream both take a while
		}
		return nil
	})
	if errors.Is(err, errMarker) {
		return 0
	}
	fmt.Fprintln(os.Stderr, "child: engine stopped:", err)
	return 1
}

type crashLine struct {
	op    string
	id, v int64
}

func readCrashLog(t *testing.T, path string) []crashLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []crashLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		parts := strings.Fields(sc.Text())
		if len(parts) != 3 {
			continue // a line cut by the kill cannot happen (one write each), but be safe
		}
		id, err1 := strconv.ParseInt(parts[1], 10, 64)
		v, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad log line %q", sc.Text())
		}
		out = append(out, crashLine{parts[0], id, v})
	}
	return out
}

// TestCrashRestart kills the consumer process with SIGKILL during the snapshot (up to
// three times) and while streaming (five times), while a writer keeps writing, and
// restarts it from its file offset store each time: every document and every write is
// handled, in order per key.
func TestCrashRestart(t *testing.T) {
	s := testServer(t)
	c := dial(t, s.uri)
	db := newDB("crash")
	coll := createColl(t, c, db, "items", false)
	fill(t, coll, 0, crashDocs)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "log")

	start := func() *osexec.Cmd {
		cmd := osexec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnvDir+"="+dir, crashEnvURI+"="+s.uri, crashEnvColl+"="+db+".items")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
			if stderr.Len() > 0 {
				t.Logf("child stderr: %q", stderr.String())
			}
		})
		return cmd
	}
	waitLines := func(pred func([]crashLine) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !pred(readCrashLog(t, logPath)) {
			if time.Now().After(deadline) {
				t.Fatalf("child made no progress (%d lines)", len(readCrashLog(t, logPath)))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	kill := func(cmd *osexec.Cmd) {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	count := func(op string) func([]crashLine) bool {
		base := 0
		for _, l := range readCrashLog(t, logPath) {
			if l.op == op {
				base++
			}
		}
		return func(ls []crashLine) bool {
			n := 0
			for _, l := range ls {
				if l.op == op {
					n++
				}
			}
			return n >= base+300
		}
	}

	// 1: killed during the snapshot.
	cmd := start()
	// The writer starts once the first document is read: the stream's resume point is
	// taken before that, so every write must come as an update event (the snapshot
	// overlap may add more).
	waitLines(func(ls []crashLine) bool { return len(ls) > 0 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &writer{coll: coll, keys: crashDocs, written: map[int64][]int64{}}
	done := make(chan error, 1)
	go func() {
		r := rand.New(rand.NewPCG(5, 6))
		for ctx.Err() == nil {
			if err := w.write(ctx, r); err != nil && ctx.Err() == nil {
				done <- err
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
		done <- nil
	}()

	// 1: killed three times during the snapshot (each restart resumes its progress).
	snapKills := 0
	for range 3 {
		waitLines(count("r"))
		kill(cmd)
		if distinctReads(readCrashLog(t, logPath)) >= crashDocs {
			cmd = start()
			break // the snapshot finished before this kill
		}
		snapKills++
		cmd = start()
	}
	if snapKills == 0 {
		t.Fatal("the snapshot finished before the first kill: make the child slower")
	}
	// 2: killed five times while streaming (after the snapshot's last document).
	waitLines(func(ls []crashLine) bool { return countOp(ls, "u") >= 300 && distinctReads(ls) >= crashDocs })
	kill(cmd)
	for range 4 {
		cmd = start()
		waitLines(count("u"))
		kill(cmd)
	}
	var lines []crashLine
	// 4: the final run handles everything up to the marker.
	cmd = start()
	time.Sleep(200 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(context.Background(), bson.D{{Key: "_id", Value: int64(crashMarker)}}); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("final child: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("final child did not reach the marker")
	}

	lines = readCrashLog(t, logPath)
	seen := map[int64][]int64{}
	read := map[int64]bool{}
	for _, l := range lines {
		if l.op == "r" {
			// A snapshot read shows the document when it was read, which may already
			// include writes whose events come after it: only stream events are
			// checked for order.
			read[l.id] = true
			continue
		}
		seen[l.id] = append(seen[l.id], l.v)
	}
	for id := int64(0); id < crashDocs; id++ {
		if !read[id] {
			t.Fatalf("document %d was never read by the snapshot", id)
		}
	}
	verify(t, w, &consumer{seen: seen})
	t.Logf("%d lines handled for %d documents and %d writes; %d kills in the snapshot, 5 streaming",
		len(lines), crashDocs, w.n.Load(), snapKills)
}

func countOp(ls []crashLine, op string) int {
	n := 0
	for _, l := range ls {
		if l.op == op {
			n++
		}
	}
	return n
}

func distinctReads(ls []crashLine) int {
	ids := map[int64]bool{}
	for _, l := range ls {
		if l.op == "r" {
			ids[l.id] = true
		}
	}
	return len(ids)
}
