package sourcetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/offsets"
)

// CrashChild is the consumer process of a source's SIGKILL crash test: the test
// binary, re-executed, runs an engine over the source with a file offset store and
// logs every handled event, so that the parent can kill it at any moment, start
// another, and check from the log that nothing was lost.
//
// The log has one line per handled event, "<op> <id> <version>" (op r, c, u or d; the
// version "-" for a delete), and "R <attempt>" before each reconnect, each written
// with one write(2): a SIGKILL loses nothing that was written.
type CrashChild struct {
	Source cdc.Source
	Dir    string // holds offsets.json
	Log    string // the log's path, appended to
	// Row returns the row id and version of an event; ok false leaves the event out of
	// the log (schema events, say), an error stops the child.
	Row func(ev cdc.Event) (id, version int64, ok bool, err error)
	// Marker is the id of the row written last: the child exits 0 once it has handled it.
	Marker int64
	// Pace, when above 0, makes the child sleep a millisecond every Pace events, so
	// that the snapshot and the stream both last long enough to be killed in.
	Pace int
}

// IDVersion is a CrashChild.Row for tables with integer columns id and version:
// those of the row after the change.
func IDVersion(ev cdc.Event) (id, version int64, ok bool, err error) {
	if id, err = ev.After.Int64("id"); err != nil {
		return 0, 0, false, err
	}
	version, err = ev.After.Int64("version")
	return id, version, true, err
}

// errMarker stops the child's engine once the marker row is handled.
var errMarker = errors.New("marker handled")

// Run runs the child and returns its exit code: 0 once the marker is handled, 1 when
// the engine stopped with an error, 2 when it could not start.
func (c CrashChild) Run() int {
	f, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	eng, err := cdc.NewEngine(c.Source, cdc.WithName("crash"),
		cdc.WithOffsetStore(offsets.NewFile(filepath.Join(c.Dir, "offsets.json"))),
		cdc.WithCommitInterval(10*time.Millisecond),
		cdc.WithReconnectBackoff(50*time.Millisecond, 500*time.Millisecond),
		cdc.WithHooks(reconnectLog{f}),
		cdc.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	n := 0
	buf := make([]byte, 0, 32)
	err = eng.Run(context.Background(), func(_ context.Context, ev cdc.Event) error {
		id, v, ok, err := c.Row(ev)
		if err != nil || !ok {
			return err
		}
		switch ev.Op {
		case cdc.OpRead, cdc.OpCreate, cdc.OpUpdate, cdc.OpDelete:
		default:
			return fmt.Errorf("unexpected %v event", ev.Op)
		}
		buf = strconv.AppendInt(append(append(buf[:0], ev.Op.String()...), ' '), id, 10)
		if ev.Op == cdc.OpDelete {
			buf = append(buf, " -"...)
		} else {
			buf = strconv.AppendInt(append(buf, ' '), v, 10)
		}
		if _, err := f.Write(append(buf, '\n')); err != nil {
			return err
		}
		if id == c.Marker {
			return errMarker
		}
		if n++; c.Pace > 0 && n%c.Pace == 0 {
			time.Sleep(time.Millisecond)
		}
		return nil
	})
	if errors.Is(err, errMarker) {
		return 0
	}
	fmt.Fprintln(os.Stderr, "child: engine stopped:", err)
	return 1
}

// reconnectLog appends "R <attempt>" to the child's log before every reconnect.
type reconnectLog struct{ f *os.File }

func (h reconnectLog) OnReconnect(attempt int, _ error, _ time.Duration) {
	h.f.Write([]byte("R " + strconv.Itoa(attempt) + "\n"))
}

// CrashLine is one line of a crash child's log.
type CrashLine struct {
	Op      byte // r c u d, or R for a reconnect
	ID, Ver int64
}

// ReadCrashLog reads a crash child's log (none yet: no lines). A running child may be
// writing a line: only complete lines are read.
func ReadCrashLog(t testing.TB, path string) []CrashLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	var out []CrashLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "R" {
			out = append(out, CrashLine{Op: 'R'})
			continue
		}
		if len(f) != 3 || len(f[0]) != 1 || !strings.Contains("rcud", f[0]) {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		l := CrashLine{Op: f[0][0]}
		var err1, err2 error
		l.ID, err1 = strconv.ParseInt(f[1], 10, 64)
		if l.Op != 'd' {
			l.Ver, err2 = strconv.ParseInt(f[2], 10, 64)
		}
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		out = append(out, l)
	}
	return out
}

// CrashRun is the log of one child run of a crash test. Kind "resnap" marks a run
// that took the snapshot again: the versions it reads may be older than those an
// earlier run streamed, so it is not held to the versions before it.
type CrashRun struct {
	Kind  string
	Lines []CrashLine
}

// VerifyCrashRuns checks the logs of a crash test's runs, in order, against the
// table's final state (id -> version), the changes the writer knows committed (id ->
// versions) and the ids 1..snapRows that were in the table before the first run:
//
//   - in each run, snapshot reads come in key order, and an id's streamed versions
//     increase (so do all its versions, outside "resnap" runs);
//   - the state rebuilt from all the logs in order is the table, and each row's final
//     version was delivered;
//   - every id 1..snapRows was read by a snapshot;
//   - every committed change was delivered, and by the stream: a snapshot read alone
//     would mean the stream skipped it.
//
// It returns the number of events logged and of repeated deliveries (at least once:
// repeats are allowed, and counted).
func VerifyCrashRuns(t testing.TB, runs []CrashRun, want map[int64]int64, committed map[int64][]int64, snapRows int64) (events, dups int) {
	t.Helper()
	state := map[int64]int64{}
	delivered := map[[2]int64]string{} // (id, version) -> ops seen
	snapRead := map[int64]bool{}
	for k, r := range runs {
		last := map[int64]int64{}   // per id, last version in this run (all ops)
		lastCU := map[int64]int64{} // per id, last version streamed in this run
		lastRead := int64(-1 << 62)
		for i, l := range r.Lines {
			if l.Op == 'R' {
				continue
			}
			events++
			key := [2]int64{l.ID, l.Ver}
			if strings.Contains(delivered[key], string(l.Op)) {
				dups++
			}
			delivered[key] += string(l.Op)
			if l.Op == 'd' {
				delete(state, l.ID)
			} else {
				state[l.ID] = l.Ver
			}
			switch l.Op {
			case 'r':
				snapRead[l.ID] = true
				if l.ID <= lastRead {
					t.Fatalf("run %d (%s), line %d: snapshot read id %d after id %d: not in key order", k, r.Kind, i+1, l.ID, lastRead)
				}
				lastRead = l.ID
			case 'c', 'u':
				if old, ok := lastCU[l.ID]; ok && l.Ver <= old {
					t.Fatalf("run %d (%s), line %d: id %d streamed version %d after %d", k, r.Kind, i+1, l.ID, l.Ver, old)
				}
				lastCU[l.ID] = l.Ver
			}
			if r.Kind != "resnap" && l.Op != 'd' {
				if old, ok := last[l.ID]; ok && l.Ver <= old {
					t.Fatalf("run %d (%s), line %d: id %d went from version %d to %d (%c)", k, r.Kind, i+1, l.ID, old, l.Ver, l.Op)
				}
				last[l.ID] = l.Ver
			}
		}
	}
	for id, v := range want {
		got, ok := state[id]
		if !ok {
			t.Fatalf("id %d (version %d) is missing from the rebuilt state", id, v)
		}
		if got != v {
			t.Fatalf("id %d: rebuilt version %d, table has %d", id, got, v)
		}
		if delivered[[2]int64{id, v}] == "" {
			t.Fatalf("id %d: final version %d never delivered", id, v)
		}
	}
	if len(state) != len(want) {
		t.Fatalf("rebuilt %d rows, table has %d", len(state), len(want))
	}
	for id := int64(1); id <= snapRows; id++ {
		if !snapRead[id] {
			t.Fatalf("id %d was never read by the snapshot", id)
		}
	}
	onlyRead, example := 0, ""
	for id, vs := range committed {
		for _, v := range vs {
			ops := delivered[[2]int64{id, v}]
			if ops == "" {
				t.Fatalf("committed change id %d version %d was never delivered", id, v)
			}
			if !strings.ContainsAny(ops, "cu") {
				onlyRead++
				example = fmt.Sprintf("id %d version %d", id, v)
			}
		}
	}
	if onlyRead > 0 {
		t.Fatalf("%d committed changes (e.g. %s) were only delivered by snapshot reads, never streamed", onlyRead, example)
	}
	return events, dups
}
