package cdc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
)

// mapStore is a minimal offset store for engine tests, with fault injection and a log
// of saves.
type mapStore struct {
	mu       sync.Mutex
	m        map[string]cdc.Position
	saves    []cdc.Position
	failNext int  // fail this many saves
	failAll  bool // fail every save
}

func newMapStore() *mapStore { return &mapStore{m: map[string]cdc.Position{}} }

func (s *mapStore) Load(_ context.Context, key string) (cdc.Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

func (s *mapStore) Save(_ context.Context, key string, pos cdc.Position) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAll || s.failNext > 0 {
		s.failNext--
		return errors.New("disk full")
	}
	s.m[key] = append(cdc.Position(nil), pos...)
	s.saves = append(s.saves, s.m[key])
	return nil
}

func (s *mapStore) get(key string) cdc.Position {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key]
}

func storedIndex(t *testing.T, s *mapStore, key string) int {
	t.Helper()
	p := s.get(key)
	if p == nil {
		return 0
	}
	n, err := cdctest.ParsePosition(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newEngine(t *testing.T, src cdc.Source, opts ...cdc.Option) *cdc.Engine {
	t.Helper()
	opts = append([]cdc.Option{cdc.WithCommitInterval(5 * time.Millisecond),
		cdc.WithReconnectBackoff(time.Millisecond, 5*time.Millisecond)}, opts...)
	e, err := cdc.NewEngine(src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// collect runs the engine to the end of the script, returning the handled indexes.
func collect(t *testing.T, e *cdc.Engine) []int {
	t.Helper()
	var got []int
	err := e.Run(ctxT(t), func(_ context.Context, ev cdc.Event) error {
		got = append(got, cdctest.Seq(ev))
		return nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return got
}

func assertSeq(t *testing.T, got []int, from, to int) {
	t.Helper()
	if len(got) != to-from {
		t.Fatalf("got %d events, want %d (%d..%d)", len(got), to-from, from, to-1)
	}
	for i, n := range got {
		if n != from+i {
			t.Fatalf("event %d is script index %d, want %d: lost or reordered", i, n, from+i)
		}
	}
}

func TestRunDeliversEverythingAndCommits(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 1000, TxSize: 4})
	store := newMapStore()
	e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithName("orders"))
	assertSeq(t, collect(t, e), 0, 1000)
	if n := storedIndex(t, store, "orders"); n != 1000 {
		t.Fatalf("stored position %d, want 1000", n)
	}
	commits := src.Commits()
	if len(commits) == 0 || string(commits[len(commits)-1]) != string(cdctest.Position(1000)) {
		t.Fatalf("source not told the final position: %q", commits)
	}
	st := e.Stats()
	if st.EventsRead != 1000 || st.EventsHandled != 1000 || st.State != cdc.StateStopped || st.Commits == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHandlerErrorStopsWithoutCommittingTheEvent(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 1000})
	store := newMapStore()
	e := newEngine(t, src, cdc.WithOffsetStore(store))
	boom := errors.New("sink down")
	err := e.Run(ctxT(t), func(_ context.Context, ev cdc.Event) error {
		if cdctest.Seq(ev) == 500 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "fake:500") {
		t.Fatalf("Run = %v, want the handler error naming the event", err)
	}
	if n := storedIndex(t, store, "tributary"); n != 500 {
		t.Fatalf("stored %d, want exactly 500 (everything before the failed event, not it)", n)
	}
	// A new engine (a restart) resumes at the failed event.
	assertSeq(t, collect(t, newEngine(t, src, cdc.WithOffsetStore(store))), 500, 1000)
}

func TestPositionsOnlyAtTransactionBoundaries(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 100, TxSize: 10})
	store := newMapStore()
	e := newEngine(t, src, cdc.WithOffsetStore(store))
	err := e.Run(ctxT(t), func(_ context.Context, ev cdc.Event) error {
		if cdctest.Seq(ev) == 57 {
			return errors.New("stop")
		}
		return nil
	})
	if err == nil {
		t.Fatal("want error")
	}
	if n := storedIndex(t, store, "tributary"); n != 50 {
		t.Fatalf("stored %d, want 50: the last transaction boundary before the unhandled event", n)
	}
}

func TestBreakLeavesEventUnhandled(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 1000})
	store := newMapStore()
	e := newEngine(t, src, cdc.WithOffsetStore(store))
	count := 0
	for ev, err := range e.Events(ctxT(t)) {
		if err != nil {
			t.Fatal(err)
		}
		if cdctest.Seq(ev) == 300 {
			break
		}
		count++
	}
	if count != 300 {
		t.Fatalf("handled %d", count)
	}
	if n := storedIndex(t, store, "tributary"); n != 300 {
		t.Fatalf("stored %d, want 300", n)
	}
	if st := e.Stats().State; st != cdc.StateStopped {
		t.Fatalf("state %v", st)
	}
	// The same engine runs again and resumes with the unhandled event.
	var first = -1
	for ev, err := range e.Events(ctxT(t)) {
		if err != nil {
			t.Fatal(err)
		}
		first = cdctest.Seq(ev)
		break
	}
	if first != 300 {
		t.Fatalf("resumed at %d, want 300", first)
	}
}

func TestEventsIteratorYieldsTerminalErrorOnce(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 1000})
	src.FailAfter(50, errors.New("permission denied for table orders"))
	e := newEngine(t, src)
	seq := e.Events(ctxT(t))
	var n, errs int
	for _, err := range seq {
		if err != nil {
			errs++
			if !strings.Contains(err.Error(), "permission denied") {
				t.Fatalf("error %v", err)
			}
			continue
		}
		n++
	}
	if n != 50 || errs != 1 {
		t.Fatalf("events %d errors %d, want 50 and 1", n, errs)
	}
	for _, err := range seq {
		if err == nil || !strings.Contains(err.Error(), "only once") {
			t.Fatalf("reusing the iterator: %v", err)
		}
	}
}

func TestHandlerPanicIsAnError(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 100})
	store := newMapStore()
	e := newEngine(t, src, cdc.WithOffsetStore(store))
	err := e.Run(ctxT(t), func(_ context.Context, ev cdc.Event) error {
		if cdctest.Seq(ev) == 42 {
			var m map[string]int
			m["x"] = 1 // nil map write
		}
		return nil
	})
	var pe *cdc.PanicError
	if !errors.As(err, &pe) || !errors.Is(err, cdc.ErrHandlerPanic) || len(pe.Stack) == 0 {
		t.Fatalf("Run = %v, want a *PanicError", err)
	}
	if n := storedIndex(t, store, "tributary"); n != 42 {
		t.Fatalf("stored %d, want 42", n)
	}
	if e.Stats().State != cdc.StateFailed {
		t.Fatalf("state %v", e.Stats().State)
	}
}

func TestPanicInRangeBodyPropagatesAfterSaving(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 100})
	store := newMapStore()
	e := newEngine(t, src, cdc.WithOffsetStore(store))
	func() {
		defer func() {
			if p := recover(); p != "body" {
				t.Fatalf("recovered %v, want the loop body's panic", p)
			}
		}()
		for ev := range e.Events(ctxT(t)) {
			if cdctest.Seq(ev) == 10 {
				panic("body")
			}
		}
	}()
	if n := storedIndex(t, store, "tributary"); n != 10 {
		t.Fatalf("stored %d, want 10", n)
	}
	assertSeq(t, collect(t, e), 10, 100) // the engine is usable again
}

func TestReconnectAfterDroppedConnections(t *testing.T) {
	// Drops in the middle of transactions: the engine reopens at the last boundary it
	// read and skips what it already has.
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 600, TxSize: 7, BatchSize: 5})
	src.DropAfter(100)
	src.DropAfter(253)
	src.DropAfter(254)
	var recon atomic.Int32
	e := newEngine(t, src, cdc.WithHooks(reconnectHook{&recon}))
	assertSeq(t, collect(t, e), 0, 600)
	if got := e.Stats().Reconnects; got != 3 || recon.Load() != 3 {
		t.Fatalf("reconnects %d (hook %d), want 3", got, recon.Load())
	}
	if opens := src.Opens(); len(opens) != 4 {
		t.Fatalf("opens %q", opens)
	}
}

type reconnectHook struct{ n *atomic.Int32 }

func (h reconnectHook) OnReconnect(int, error, time.Duration) { h.n.Add(1) }

func TestOpenRetriesRetryableErrorsOnly(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 10})
	src.FailOpen(cdc.Retryable(errors.New("connection refused")), cdc.Retryable(errors.New("starting up")))
	assertSeq(t, collect(t, newEngine(t, src)), 0, 10)

	src = cdctest.NewSource(cdctest.SourceConfig{Events: 10})
	src.FailOpen(errors.New("password authentication failed"))
	err := newEngine(t, src).Run(ctxT(t), func(context.Context, cdc.Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		t.Fatalf("Run = %v", err)
	}
	if n := len(src.Opens()); n != 1 {
		t.Fatalf("a terminal open error was retried: %d opens", n)
	}

	src = cdctest.NewSource(cdctest.SourceConfig{Events: 10})
	src.FailOpen(cdc.Retryable(errors.New("a")), cdc.Retryable(errors.New("b")), cdc.Retryable(errors.New("c")))
	err = newEngine(t, src, cdc.WithMaxReconnects(2)).Run(ctxT(t), func(context.Context, cdc.Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "gave up after 2") {
		t.Fatalf("Run = %v, want giving up", err)
	}
}

func TestPositionLostIsTerminal(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 10})
	src.LoseHistoryBefore(5)
	store := newMapStore()
	store.m["tributary"] = cdctest.Position(2)
	err := newEngine(t, src, cdc.WithOffsetStore(store)).Run(ctxT(t), func(context.Context, cdc.Event) error { return nil })
	if !errors.Is(err, cdc.ErrPositionLost) {
		t.Fatalf("Run = %v, want ErrPositionLost", err)
	}
}

// commitCheckSource verifies, at every Commit, that the offset store already holds the
// position: nothing is confirmed to the database that the store does not have.
type commitCheckSource struct {
	*cdctest.Source
	store *mapStore
	bad   atomic.Value
	n     atomic.Int32
}

func (s *commitCheckSource) Open(ctx context.Context, req cdc.OpenRequest) (cdc.Stream, error) {
	st, err := s.Source.Open(ctx, req)
	if err != nil {
		return nil, err
	}
	return commitCheckStream{st, s}, nil
}

type commitCheckStream struct {
	cdc.Stream
	s *commitCheckSource
}

func (c commitCheckStream) Commit(ctx context.Context, pos cdc.Position) error {
	c.s.n.Add(1)
	if got := c.s.store.get("tributary"); string(got) != string(pos) {
		c.s.bad.Store(fmt.Sprintf("source told %s while the store holds %s", pos, got))
	}
	return c.Stream.Commit(ctx, pos)
}

func TestStoreSavedBeforeSourceIsTold(t *testing.T) {
	store := newMapStore()
	src := &commitCheckSource{Source: cdctest.NewSource(cdctest.SourceConfig{Events: 20000, TxSize: 3}), store: store}
	e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithCommitInterval(time.Millisecond))
	err := e.Run(ctxT(t), func(context.Context, cdc.Event) error { time.Sleep(time.Microsecond); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if b := src.bad.Load(); b != nil {
		t.Fatal(b)
	}
	if src.n.Load() < 2 {
		t.Fatalf("only %d commits: the test did not exercise anything", src.n.Load())
	}
}

func TestFailingOffsetStore(t *testing.T) {
	t.Run("transient", func(t *testing.T) {
		src := cdctest.NewSource(cdctest.SourceConfig{Events: 100})
		store := newMapStore()
		store.failNext = 2
		var hookErrs atomic.Int32
		e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithHooks(commitHook{&hookErrs}))
		err := e.Run(ctxT(t), func(context.Context, cdc.Event) error { time.Sleep(100 * time.Microsecond); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if n := storedIndex(t, store, "tributary"); n != 100 {
			t.Fatalf("stored %d", n)
		}
		if hookErrs.Load() != 2 || e.Stats().CommitErrors != 2 {
			t.Fatalf("commit errors: hook %d stats %d", hookErrs.Load(), e.Stats().CommitErrors)
		}
	})
	t.Run("persistent", func(t *testing.T) {
		src := cdctest.NewSource(cdctest.SourceConfig{Live: true, Events: 100})
		store := newMapStore()
		store.failAll = true
		e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithCommitFailureLimit(3))
		err := e.Run(ctxT(t), func(context.Context, cdc.Event) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "offset saves failed") || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("Run = %v", err)
		}
		if c := src.Commits(); len(c) != 0 {
			t.Fatalf("source told %q although nothing was saved", c)
		}
	})
}

type commitHook struct{ errs *atomic.Int32 }

func (h commitHook) OnCommit(ci cdc.CommitInfo) {
	if ci.Err != nil {
		h.errs.Add(1)
	}
}

func TestBackpressureBoundsMemory(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 3000, Payload: 4096, BatchSize: 64})
	const maxEvents = 100
	e := newEngine(t, src, cdc.WithQueueLimits(maxEvents, 1<<20))
	var worst int64
	err := e.Run(ctxT(t), func(context.Context, cdc.Event) error {
		time.Sleep(50 * time.Microsecond)
		st := e.Stats()
		if ahead := st.EventsRead - st.EventsHandled; ahead > worst {
			worst = ahead
		}
		if st.QueuedBytes > 1<<20+64*5000 {
			t.Errorf("queued %d bytes", st.QueuedBytes)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Read ahead is bounded by the queue (about 1 MiB of ~4.6 KB events, so ~230 at
	// most), the handler's local buffer (256) and one source batch (64).
	if worst > maxEvents+256+64 {
		t.Fatalf("the engine read %d events ahead of a slow handler", worst)
	}
	if worst < 10 {
		t.Fatalf("read ahead only %d: the engine does not pipeline", worst)
	}
}

func TestTransformsDropRouteAndFail(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 100, TxSize: 1})
	store := newMapStore()
	dropEven := cdc.TransformFunc(func(_ context.Context, ev *cdc.Event) (bool, error) {
		return cdctest.Seq(*ev)%2 == 1, nil
	})
	var dests []string
	reroute := cdc.TransformFunc(func(_ context.Context, ev *cdc.Event) (bool, error) {
		dests = append(dests, ev.Destination)
		ev.Destination = "audit"
		ev.After.Set("seen", true)
		return true, nil
	})
	e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithName("shop"), cdc.WithTransforms(dropEven, reroute))
	var got []int
	err := e.Run(ctxT(t), func(_ context.Context, ev cdc.Event) error {
		if ev.Destination != "audit" || !ev.After.Has("seen") || ev.Source.Name != "shop" {
			return fmt.Errorf("transform not applied: %+v", ev)
		}
		got = append(got, cdctest.Seq(ev))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 || got[0] != 1 || e.Stats().EventsDropped != 50 {
		t.Fatalf("got %d events, dropped %d", len(got), e.Stats().EventsDropped)
	}
	if dests[0] != "shop.public.orders" {
		t.Fatalf("default destination %q", dests[0])
	}
	if n := storedIndex(t, store, "shop"); n != 100 {
		t.Fatalf("stored %d: dropped events count as handled", n)
	}
	// The generated table's names are shared by all events: Set must not have changed them.
	if src.Schema().Names()[len(src.Schema().Names())-1] == "seen" || len(src.Schema().Names()) != 4 {
		t.Fatal("a transform changed the shared schema names")
	}

	failing := cdc.TransformFunc(func(_ context.Context, ev *cdc.Event) (bool, error) {
		if cdctest.Seq(*ev) == 7 {
			return false, errors.New("bad expression")
		}
		return true, nil
	})
	store = newMapStore()
	e = newEngine(t, cdctest.NewSource(cdctest.SourceConfig{Events: 100}), cdc.WithOffsetStore(store), cdc.WithTransforms(failing))
	n := 0
	err = e.Run(ctxT(t), func(context.Context, cdc.Event) error { n++; return nil })
	if err == nil || !strings.Contains(err.Error(), "bad expression") || n != 7 {
		t.Fatalf("Run = %v after %d events", err, n)
	}
	if got := storedIndex(t, store, "tributary"); got != 7 {
		t.Fatalf("stored %d, want 7", got)
	}
}

func TestRunBatch(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 5003, BatchSize: 100})
	store := newMapStore()
	dropSome := cdc.TransformFunc(func(_ context.Context, ev *cdc.Event) (bool, error) {
		return cdctest.Seq(*ev)%10 != 3, nil
	})
	e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithBatch(64, 5*time.Millisecond), cdc.WithTransforms(dropSome))
	var got []int
	batches := 0
	err := e.RunBatch(ctxT(t), func(_ context.Context, evs []cdc.Event) error {
		if len(evs) == 0 || len(evs) > 64 {
			return fmt.Errorf("batch of %d", len(evs))
		}
		batches++
		for _, ev := range evs {
			got = append(got, cdctest.Seq(ev))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("out of order at %d", i)
		}
	}
	if len(got) != 5003-500 || batches < len(got)/64 {
		t.Fatalf("%d events in %d batches", len(got), batches)
	}
	if n := storedIndex(t, store, "tributary"); n != 5003 {
		t.Fatalf("stored %d", n)
	}

	// A failing batch commits nothing of itself.
	store = newMapStore()
	e = newEngine(t, cdctest.NewSource(cdctest.SourceConfig{Events: 1000}), cdc.WithOffsetStore(store), cdc.WithBatch(100, 0))
	failedAt := -1
	err = e.RunBatch(ctxT(t), func(_ context.Context, evs []cdc.Event) error {
		if cdctest.Seq(evs[len(evs)-1]) >= 300 {
			failedAt = cdctest.Seq(evs[0])
			return errors.New("bulk insert failed")
		}
		return nil
	})
	if err == nil || failedAt < 0 || storedIndex(t, store, "tributary") != failedAt {
		t.Fatalf("Run = %v, stored %d, want %d (the failed batch's first event)", err, storedIndex(t, store, "tributary"), failedAt)
	}
}

func TestCloseStopsAndSaves(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Live: true, Events: 200})
	store := newMapStore()
	e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithCommitInterval(time.Hour))
	handled := make(chan struct{}, 1000)
	res := make(chan error, 1)
	go func() {
		res <- e.Run(context.Background(), func(context.Context, cdc.Event) error { handled <- struct{}{}; return nil })
	}()
	for range 200 {
		<-handled
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatalf("Run after Close = %v, want nil", err)
	}
	if n := storedIndex(t, store, "tributary"); n != 200 {
		t.Fatalf("stored %d: the final commit on shutdown is missing", n)
	}
	if err := e.Run(context.Background(), func(context.Context, cdc.Event) error { return nil }); !errors.Is(err, cdc.ErrClosed) {
		t.Fatalf("Run after Close = %v", err)
	}
	_ = e.Close() // twice is fine
}

func TestContextCancelStopsWithItsError(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Live: true, Events: 10})
	e := newEngine(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := e.Run(ctx, func(context.Context, cdc.Event) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if st := e.Stats().State; st != cdc.StateStopped {
		t.Fatalf("state after cancel %v, want stopped: a cancelled context is not a failure", st)
	}
	// Cancelled with a cause (as signal.NotifyContext does): still context.Canceled.
	cctx, ccancel := context.WithCancelCause(context.Background())
	src.Generate(5)
	err = e.Run(cctx, func(context.Context, cdc.Event) error { ccancel(errors.New("interrupt signal received")); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a cause = %v, want context.Canceled", err)
	}
	if err := e.Run(ctx, func(context.Context, cdc.Event) error { return nil }); !errors.Is(err, context.Canceled) ||
		!strings.Contains(err.Error(), "already done") {
		t.Fatalf("Run with a done context = %v", err)
	}
	if len(src.Opens()) != 2 {
		t.Fatalf("opened %d times; a done context must not open the source", len(src.Opens()))
	}
}

func TestConcurrentRunIsRefused(t *testing.T) {
	e := newEngine(t, cdctest.NewSource(cdctest.SourceConfig{Live: true}))
	started := make(chan struct{})
	go func() {
		close(started)
		_ = e.Run(context.Background(), func(context.Context, cdc.Event) error { return nil })
	}()
	<-started
	deadline := time.Now().Add(5 * time.Second)
	for e.Stats().State != cdc.StateStreaming && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := e.Run(context.Background(), func(context.Context, cdc.Event) error { return nil }); !errors.Is(err, cdc.ErrRunning) {
		t.Fatalf("second Run = %v", err)
	}
	e.Close()
}

func TestMemoryPositionsWithoutStore(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 100})
	e := newEngine(t, src)
	n := 0
	_ = e.Run(ctxT(t), func(context.Context, cdc.Event) error {
		if n == 40 {
			return errors.New("stop")
		}
		n++
		return nil
	})
	assertSeq(t, collect(t, e), 40, 100)
}

func TestBadConfiguration(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{})
	cases := map[string]struct {
		src  cdc.Source
		opts []cdc.Option
		want string
	}{
		"nil source":       {nil, nil, "source"},
		"nil option":       {src, []cdc.Option{nil}, "option"},
		"empty name":       {src, []cdc.Option{cdc.WithName("")}, "WithName"},
		"interval":         {src, []cdc.Option{cdc.WithCommitInterval(0)}, "WithCommitInterval"},
		"queue":            {src, []cdc.Option{cdc.WithQueueLimits(0, 10)}, "WithQueueLimits"},
		"batch":            {src, []cdc.Option{cdc.WithBatch(0, time.Second)}, "WithBatch"},
		"backoff":          {src, []cdc.Option{cdc.WithReconnectBackoff(time.Second, time.Millisecond)}, "WithReconnectBackoff"},
		"reconnects":       {src, []cdc.Option{cdc.WithMaxReconnects(-1)}, "WithMaxReconnects"},
		"commit failures":  {src, []cdc.Option{cdc.WithCommitFailureLimit(0)}, "WithCommitFailureLimit"},
		"nil store":        {src, []cdc.Option{cdc.WithOffsetStore(nil)}, "WithOffsetStore"},
		"nil transform":    {src, []cdc.Option{cdc.WithTransforms(nil)}, "WithTransforms"},
		"not a hook":       {src, []cdc.Option{cdc.WithHooks(42)}, "WithHooks"},
		"handler no store": {src, []cdc.Option{cdc.WithOffsetsSavedByHandler()}, "WithOffsetStore"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e, err := cdc.NewEngine(c.src, c.opts...)
			if e != nil || !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NewEngine = %v, %v; want ErrInvalidConfig naming %s", e, err, c.want)
			}
		})
	}
	_, err := cdc.NewEngine(src, cdc.WithName(""), cdc.WithCommitInterval(-1))
	if !strings.Contains(err.Error(), "WithName") || !strings.Contains(err.Error(), "WithCommitInterval") {
		t.Fatalf("every problem must be reported: %v", err)
	}
	e := newEngine(t, src)
	if err := e.Run(context.Background(), nil); !errors.Is(err, cdc.ErrInvalidConfig) {
		t.Fatalf("nil handler: %v", err)
	}
	//lint:ignore SA1012 checking the nil-context error
	if err := e.Run(nil, func(context.Context, cdc.Event) error { return nil }); !errors.Is(err, cdc.ErrInvalidConfig) { //nolint:staticcheck
		t.Fatalf("nil context: %v", err)
	}
}

type allHooks struct {
	mu       sync.Mutex
	read     int
	handled  int
	commits  int
	states   []cdc.State
	maxLag   time.Duration
	snapshot int
}

func (h *allHooks) OnEventRead(_ *cdc.Event, lag time.Duration) {
	h.mu.Lock()
	h.read++
	h.maxLag = max(h.maxLag, lag)
	h.mu.Unlock()
}
func (h *allHooks) OnEventsHandled(n int, _ time.Duration) {
	h.mu.Lock()
	h.handled += n
	h.mu.Unlock()
}
func (h *allHooks) OnCommit(cdc.CommitInfo) { h.mu.Lock(); h.commits++; h.mu.Unlock() }
func (h *allHooks) OnStateChange(_, to cdc.State) {
	h.mu.Lock()
	h.states = append(h.states, to)
	h.mu.Unlock()
}
func (h *allHooks) OnSnapshotProgress(cdc.SnapshotProgress) { h.mu.Lock(); h.snapshot++; h.mu.Unlock() }

func TestHooksAndStats(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 500, CommitTime: true})
	h := &allHooks{}
	e := newEngine(t, src, cdc.WithHooks(h))
	err := e.Run(ctxT(t), func(context.Context, cdc.Event) error { time.Sleep(10 * time.Microsecond); return nil })
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.read != 500 || h.handled != 500 || h.commits == 0 {
		t.Fatalf("hooks read %d handled %d commits %d", h.read, h.handled, h.commits)
	}
	if h.maxLag <= 0 {
		t.Fatal("lag not reported")
	}
	want := []cdc.State{cdc.StateStarting, cdc.StateStreaming, cdc.StateStopped}
	if fmt.Sprint(h.states) != fmt.Sprint(want) {
		t.Fatalf("states %v, want %v", h.states, want)
	}
	st := e.Stats()
	if string(st.LastCommitted) != string(cdctest.Position(500)) || st.LastCommitTime.IsZero() || st.Lag <= 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOffsetsSavedByHandler(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 100})
	store := newMapStore()
	e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithOffsetsSavedByHandler())
	err := e.Run(ctxT(t), func(ctx context.Context, ev cdc.Event) error {
		if cdctest.Seq(ev) < 60 {
			return store.Save(ctx, "tributary", ev.Position) // in a real sink: inside the data's transaction
		}
		return errors.New("stop")
	})
	if err == nil {
		t.Fatal("want error")
	}
	if len(store.saves) != 60 || storedIndex(t, store, "tributary") != 60 {
		t.Fatalf("the engine saved positions itself: %d saves, stored %d", len(store.saves), storedIndex(t, store, "tributary"))
	}
	if c := src.Commits(); len(c) == 0 || string(c[len(c)-1]) != string(cdctest.Position(60)) {
		t.Fatalf("handled positions not confirmed to the source: %q", c)
	}
}

// TestSlowHandlerStillCommits: with a handler slower than the commit interval the
// position keeps moving while a batch of queued events is being handled.
func TestSlowHandlerStillCommits(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 300})
	store := newMapStore()
	e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithCommitInterval(10*time.Millisecond))
	err := e.Run(ctxT(t), func(_ context.Context, ev cdc.Event) error {
		if cdctest.Seq(ev) == 200 {
			// All 300 events were queued at once; by now commits must have followed.
			deadline := time.Now().Add(5 * time.Second)
			for storedIndex(t, store, "tributary") < 150 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if n := storedIndex(t, store, "tributary"); n < 150 {
				return fmt.Errorf("stored position %d while handling event 200", n)
			}
		}
		time.Sleep(200 * time.Microsecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPanicsOnEngineGoroutinesAreErrors(t *testing.T) {
	t.Run("transform", func(t *testing.T) {
		boom := cdc.TransformFunc(func(_ context.Context, ev *cdc.Event) (bool, error) {
			if cdctest.Seq(*ev) == 5 {
				panic("transform bug")
			}
			return true, nil
		})
		store := newMapStore()
		e := newEngine(t, cdctest.NewSource(cdctest.SourceConfig{Events: 20}), cdc.WithOffsetStore(store), cdc.WithTransforms(boom))
		err := e.Run(ctxT(t), func(context.Context, cdc.Event) error { return nil })
		if !errors.Is(err, cdc.ErrHandlerPanic) || !strings.Contains(err.Error(), "transform bug") {
			t.Fatalf("Run = %v", err)
		}
		if n := storedIndex(t, store, "tributary"); n != 5 {
			t.Fatalf("stored %d, want 5", n)
		}
	})
	t.Run("hook", func(t *testing.T) {
		e := newEngine(t, cdctest.NewSource(cdctest.SourceConfig{Events: 20}), cdc.WithHooks(panicHook{}))
		err := e.Run(ctxT(t), func(context.Context, cdc.Event) error { return nil })
		if !errors.Is(err, cdc.ErrHandlerPanic) || !strings.Contains(err.Error(), "hook bug") {
			t.Fatalf("Run = %v", err)
		}
	})
}

type panicHook struct{}

func (panicHook) OnEventRead(*cdc.Event, time.Duration) { panic("hook bug") }

func TestHandlerSavedOffsetsNeverConfirmUnsavedPositions(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 10})
	src.Emit(cdc.Event{Op: cdc.OpHeartbeat}) // index 10, position 11
	store := newMapStore()
	dropTail := cdc.TransformFunc(func(_ context.Context, ev *cdc.Event) (bool, error) {
		return cdctest.Seq(*ev) < 5, nil // 5..9 dropped, as for an uninteresting table
	})
	e := newEngine(t, src, cdc.WithOffsetStore(store), cdc.WithOffsetsSavedByHandler(), cdc.WithTransforms(dropTail))
	err := e.Run(ctxT(t), func(ctx context.Context, ev cdc.Event) error {
		return store.Save(ctx, "tributary", ev.Position)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range src.Commits() {
		if n, _ := cdctest.ParsePosition(c); n > 5 {
			t.Fatalf("source told %s, but the handler only saved up to position 5", c)
		}
	}
	if len(src.Commits()) == 0 {
		t.Fatal("nothing confirmed to the source")
	}
}

func TestNoDeliveryAfterCancel(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 1000, BatchSize: 500})
	e := newEngine(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	after := 0
	err := e.Run(ctx, func(context.Context, cdc.Event) error {
		if ctx.Err() != nil {
			after++
		}
		if after == 0 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || after > 1 {
		t.Fatalf("Run = %v; %d events delivered after the context was cancelled", err, after)
	}
}

type closeOnStop struct{ e **cdc.Engine }

func (h closeOnStop) OnStateChange(_, to cdc.State) {
	if to == cdc.StateStopped || to == cdc.StateFailed {
		(*h.e).Close()
	}
}

func TestCloseFromStateHook(t *testing.T) {
	var e *cdc.Engine
	e = newEngine(t, cdctest.NewSource(cdctest.SourceConfig{Events: 10}), cdc.WithHooks(closeOnStop{&e}))
	done := make(chan error, 1)
	go func() { done <- e.Run(context.Background(), func(context.Context, cdc.Event) error { return nil }) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close from a state hook deadlocked")
	}
}

func TestCommitLimitErrorReportedOnce(t *testing.T) {
	store := newMapStore()
	store.failAll = true
	e := newEngine(t, cdctest.NewSource(cdctest.SourceConfig{Live: true, Events: 100}),
		cdc.WithOffsetStore(store), cdc.WithCommitFailureLimit(3))
	err := e.Run(ctxT(t), func(context.Context, cdc.Event) error { return nil })
	if err == nil || strings.Count(err.Error(), "disk full") != 1 {
		t.Fatalf("Run = %v; want the store error exactly once", err)
	}
}

// heartbeatOnReopen is a fake source whose streams, after a reconnect, first send a
// heartbeat (as a keepalive would) before re-sending the events after the position.
type heartbeatOnReopen struct{ *cdctest.Source }

func (s heartbeatOnReopen) Open(ctx context.Context, req cdc.OpenRequest) (cdc.Stream, error) {
	st, err := s.Source.Open(ctx, req)
	if err != nil || len(s.Opens()) == 1 {
		return st, err
	}
	return &hbStream{Stream: st, pos: req.Position}, nil
}

type hbStream struct {
	cdc.Stream
	pos  cdc.Position
	sent bool
}

func (h *hbStream) Read(ctx context.Context) ([]cdc.Event, error) {
	if !h.sent {
		h.sent = true
		return []cdc.Event{{Op: cdc.OpHeartbeat, Position: h.pos}}, nil
	}
	return h.Stream.Read(ctx)
}

func TestReconnectSkipIgnoresHeartbeats(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 100, TxSize: 10, BatchSize: 3})
	src.DropAfter(15) // mid-transaction: 5 unpositioned events to skip after reopening at 10
	assertSeq(t, collect(t, newEngine(t, heartbeatOnReopen{src})), 0, 100)
}

// TestWrappedEOFIsNotTheEnd: only io.EOF itself ends a stream. An error wrapping it is
// what a read from a socket the server closed gives, mid-way: the engine reconnects
// and delivers everything (it used to end Run with nil, losing the rest).
func TestWrappedEOFIsNotTheEnd(t *testing.T) {
	src := cdctest.NewSource(cdctest.SourceConfig{Events: 100, TxSize: 10, BatchSize: 3})
	assertSeq(t, collect(t, newEngine(t, eofOnFirstStream{src})), 0, 100)
}

// eofOnFirstStream is a fake source whose first stream fails after its first batch
// with an error wrapping io.EOF.
type eofOnFirstStream struct{ *cdctest.Source }

func (s eofOnFirstStream) Open(ctx context.Context, req cdc.OpenRequest) (cdc.Stream, error) {
	st, err := s.Source.Open(ctx, req)
	if err != nil || len(s.Opens()) > 1 {
		return st, err
	}
	return &eofStream{Stream: st}, nil
}

type eofStream struct {
	cdc.Stream
	reads int
}

func (e *eofStream) Read(ctx context.Context) ([]cdc.Event, error) {
	if e.reads++; e.reads > 1 {
		return nil, fmt.Errorf("reading a result: %w", io.EOF)
	}
	return e.Stream.Read(ctx)
}
