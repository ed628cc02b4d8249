package mongo_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/sourcetest"
	"github.com/tributary-cdc/cdc/mongo"
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

// crashChild runs an engine over one collection (see sourcetest.CrashChild), logging
// each document's _id and its field v.
func crashChild(dir, uri, ns string) int {
	src, err := mongo.New(mongo.Config{URI: uri, Collections: []string{ns}, BatchSize: 100, SnapshotParallelism: 2,
		MaxAwaitTime: 200 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return sourcetest.CrashChild{Source: src, Dir: dir, Log: filepath.Join(dir, "log"), Marker: crashMarker, Pace: 4,
		Row: func(ev cdc.Event) (id, v int64, ok bool, err error) {
			if ev.Op != cdc.OpRead && ev.Op != cdc.OpCreate && ev.Op != cdc.OpUpdate {
				return 0, 0, false, nil
			}
			if id, err = ev.Key.Int64("_id"); err != nil {
				return 0, 0, false, err
			}
			v, _ = ev.After.Int64("v")
			if uf, ok := ev.Source.Extra["updatedFields"].(map[string]any); ok {
				v, _ = uf["v"].(int64)
			}
			return id, v, true, nil
		}}.Run()
}

type crashLine = sourcetest.CrashLine

func readCrashLog(t *testing.T, path string) []crashLine { return sourcetest.ReadCrashLog(t, path) }

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
	count := func(op byte) func([]crashLine) bool {
		base := countOp(readCrashLog(t, logPath), op)
		return func(ls []crashLine) bool { return countOp(ls, op) >= base+300 }
	}

	// 1: killed during the snapshot.
	cmd := start()
	// The writer starts once the first document is read: the stream's resume point is
	// taken before that, so every write must come as an update event (the snapshot
	// overlap may add more).
	waitLines(func(ls []crashLine) bool { return len(ls) > countOp(ls, 'R') }) // an event, not only a reconnect
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
		waitLines(count('r'))
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
	waitLines(func(ls []crashLine) bool { return countOp(ls, 'u') >= 300 && distinctReads(ls) >= crashDocs })
	kill(cmd)
	for range 4 {
		cmd = start()
		waitLines(count('u'))
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
		if l.Op == 'R' {
			continue
		}
		if l.Op == 'r' {
			// A snapshot read shows the document when it was read, which may already
			// include writes whose events come after it: only stream events are
			// checked for order.
			read[l.ID] = true
			continue
		}
		seen[l.ID] = append(seen[l.ID], l.Ver)
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

func countOp(ls []crashLine, op byte) int {
	n := 0
	for _, l := range ls {
		if l.Op == op {
			n++
		}
	}
	return n
}

func distinctReads(ls []crashLine) int {
	ids := map[int64]bool{}
	for _, l := range ls {
		if l.Op == 'r' {
			ids[l.ID] = true
		}
	}
	return len(ids)
}
