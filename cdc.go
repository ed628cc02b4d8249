package cdc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/cdc/internal/checkpoint"
)

// Handler handles one event. Returning nil marks the event handled; an error stops the
// engine without marking it, and Run returns the error.
type Handler func(ctx context.Context, ev Event) error

// BatchHandler handles a batch of events in order. The slice is reused after the call
// returns: copy what you keep. Returning nil marks the whole batch handled.
type BatchHandler func(ctx context.Context, evs []Event) error

// Engine reads changes from a Source, runs transforms, hands events to a handler and
// commits positions as the delivery contract in the package documentation describes.
// An Engine runs one Run, RunBatch or Events loop at a time; after one ends, another
// may start and resumes from the committed position.
type Engine struct {
	src   Source
	cfg   config
	hooks hookSet
	log   *slog.Logger

	running atomic.Bool
	closed  atomic.Bool
	mu      sync.Mutex
	stop    context.CancelCauseFunc // cancels the current run, nil when idle
	done    chan struct{}           // closed when the current run has finished

	memPos Position // positions when there is no offset store

	state                                       atomic.Uint32
	read, handled, dropped, commits, commitErrs atomic.Int64
	reconnects                                  atomic.Int64
	lagNanos                                    atomic.Int64
	snapTables                                  atomic.Int64
	statMu                                      sync.Mutex
	lastCommitted                               Position
	lastCommitTime                              time.Time
	srcStatus                                   SourceStatus
	queue                                       atomic.Pointer[queue]
}

// errStopClose is the cancel cause of a run stopped by Close; errBreak stops a run whose
// iterator loop exited with break.
var (
	errStopClose   = errors.New("engine closed")
	errBreak       = errors.New("loop ended")
	errCommitLimit = errors.New("offset saves failed in a row")
)

// NewEngine returns an engine reading from src. Options are validated here; every
// problem is reported, each wrapping ErrInvalidConfig.
func NewEngine(src Source, opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	if src == nil {
		cfg.fail("source", "is nil: pass a source such as postgres.New(...)")
	}
	for i, o := range opts {
		if o == nil {
			cfg.fail("option", fmt.Sprintf("%d is nil", i))
			continue
		}
		o.apply(&cfg)
	}
	hooks, ok := newHookSet(cfg.hooks)
	if !ok {
		cfg.fail("WithHooks", "got a value that implements no hook interface (HookEventRead, HookCommit, ...)")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Engine{src: src, cfg: cfg, hooks: hooks, log: cfg.logger.With("engine", cfg.name)}, nil
}

// Run reads events and calls h for each, one at a time, in order, until ctx is done,
// Close is called, h returns an error, or the source ends (snapshot mode initial_only).
// It returns nil after Close or the end of the source, the context's error when ctx
// was cancelled, and otherwise the error that stopped it. A panic in h is returned as a
// *PanicError. The committable position is saved before Run returns.
func (e *Engine) Run(ctx context.Context, h Handler) error {
	if h == nil {
		return ConfigError("Run handler", "is nil")
	}
	return e.run(ctx, func(ctx context.Context, r *runner) error { return r.consumeEach(ctx, h, true) })
}

// RunBatch is Run for sinks that write in bulk: h gets up to WithBatch's maxEvents
// events at a time, in order.
func (e *Engine) RunBatch(ctx context.Context, h BatchHandler) error {
	if h == nil {
		return ConfigError("RunBatch handler", "is nil")
	}
	return e.run(ctx, func(ctx context.Context, r *runner) error { return r.consumeBatch(ctx, h) })
}

// Events returns an iterator over the events. An event counts as handled when the loop
// body returns to the iterator for the next one; break stops the engine with the current
// event unhandled. A terminal error is yielded once, with a zero Event, and ends the
// iteration. The iterator can be ranged over once.
func (e *Engine) Events(ctx context.Context) iter.Seq2[Event, error] {
	var used atomic.Bool
	return func(yield func(Event, error) bool) {
		if used.Swap(true) {
			yield(Event{}, errors.New("cdc: an Events iterator can be ranged over only once: call Events again"))
			return
		}
		broke := false
		err := e.run(ctx, func(ctx context.Context, r *runner) error {
			return r.consumeEach(ctx, func(_ context.Context, ev Event) error {
				if !yield(ev, nil) {
					broke = true
					return errBreak
				}
				return nil
			}, false)
		})
		if err != nil && !broke {
			yield(Event{}, err)
		}
	}
}

// Close stops a running loop, waits for it to save its position and return, and makes
// later calls fail with ErrClosed. It is safe to call more than once, and from state
// hooks. Do not call it from the handler, a range loop body or another hook: it would
// wait for itself. Return an error, break, or cancel the context there instead.
func (e *Engine) Close() error {
	e.closed.Store(true)
	e.mu.Lock()
	stop, done := e.stop, e.done
	e.mu.Unlock()
	if stop != nil {
		stop(errStopClose)
		<-done
	}
	return nil
}

// Stats returns a snapshot of the engine's counters.
func (e *Engine) Stats() Stats {
	s := Stats{
		State:          State(e.state.Load()),
		EventsRead:     e.read.Load(),
		EventsHandled:  e.handled.Load(),
		EventsDropped:  e.dropped.Load(),
		Commits:        e.commits.Load(),
		CommitErrors:   e.commitErrs.Load(),
		Reconnects:     e.reconnects.Load(),
		Lag:            time.Duration(e.lagNanos.Load()),
		SnapshotTables: int(e.snapTables.Load()),
	}
	if q := e.queue.Load(); q != nil {
		s.QueuedEvents, s.QueuedBytes = q.stats()
	}
	e.statMu.Lock()
	s.LastCommitted, s.LastCommitTime, s.SourceStatus = e.lastCommitted, e.lastCommitTime, e.srcStatus
	e.statMu.Unlock()
	return s
}

func (e *Engine) setState(s State) {
	old := State(e.state.Swap(uint32(s)))
	if old == s {
		return
	}
	e.log.Info("state", "from", old.String(), "to", s.String())
	for _, h := range e.hooks.state {
		h.OnStateChange(old, s)
	}
}

// reporter is the Reporter the engine hands to sources.
type reporter struct{ e *Engine }

func (r reporter) SetState(s State) { r.e.setState(s) }

func (r reporter) SnapshotProgress(p SnapshotProgress) {
	if p.Done {
		r.e.snapTables.Add(1)
	}
	for _, h := range r.e.hooks.snapshot {
		h.OnSnapshotProgress(p)
	}
}

func (r reporter) SourceStatus(s SourceStatus) {
	r.e.statMu.Lock()
	r.e.srcStatus = s
	r.e.statMu.Unlock()
	for _, h := range r.e.hooks.status {
		h.OnSourceStatus(s)
	}
}

func (e *Engine) run(ctx context.Context, consume func(context.Context, *runner) error) (err error) {
	if e.closed.Load() {
		return ErrClosed
	}
	if ctx == nil {
		return ConfigError("context", "is nil: pass context.Background() or a cancellable context")
	}
	if err := ctx.Err(); err != nil {
		if cause := context.Cause(ctx); cause != err {
			return fmt.Errorf("cdc: not started, the context is already done (%v): %w", cause, err)
		}
		return fmt.Errorf("cdc: not started, the context is already done: %w", err)
	}
	if !e.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer e.running.Store(false)

	rctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	e.mu.Lock()
	e.stop, e.done = cancel, done
	e.mu.Unlock()
	release := sync.OnceFunc(func() {
		e.mu.Lock()
		e.stop, e.done = nil, nil
		e.mu.Unlock()
		close(done)
	})
	defer release()
	if e.closed.Load() { // Close raced with the start
		cancel(errStopClose)
		return ErrClosed
	}

	e.setState(StateStarting)
	r := &runner{e: e, parent: ctx, ctx: rctx, cancel: cancel, tracker: checkpoint.New(),
		q: newQueue(e.cfg.queueEvents, e.cfg.queueBytes), batches: newBatchPool()}
	e.queue.Store(r.q)

	defer func() {
		// Runs on every exit, also while a panic from an Events loop body unwinds.
		cancel(errStopClose)
		r.wg.Wait()
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.shutdownTimeout)
		cerr := r.commit(fctx)
		fcancel()
		r.closeStream()
		if cerr != nil && r.failures > 0 && errors.Is(err, errCommitLimit) {
			cerr = nil // the same store failure already stopped the run
		}
		if cerr != nil {
			cerr = fmt.Errorf("cdc: final commit: %w", cerr)
			if err == nil {
				err = cerr
			} else {
				err = errors.Join(err, cerr)
			}
		}
		// Everything is saved and closed: let Close return before the state hooks run,
		// so a hook may call Close.
		release()
		switch {
		case err == nil || (cerr == nil && ctx.Err() != nil && errors.Is(err, ctx.Err())):
			e.setState(StateStopped)
		default:
			e.setState(StateFailed)
			e.log.Error("stopped", "err", err)
		}
	}()

	start, err := r.load(rctx)
	if err != nil {
		return r.stopErr(err)
	}
	r.startPos = start
	if err := r.open(rctx, start, 0); err != nil {
		return r.stopErr(err)
	}
	r.wg.Add(2)
	go r.readLoop()
	go r.commitLoop()

	err = consume(rctx, r)
	if errors.Is(err, errBreak) {
		err = nil
	}
	return r.stopErr(err)
}

// load reads the stored position, retrying while the store's errors are retryable
// (its database is restarting, say) and WithMaxReconnects allows.
func (r *runner) load(ctx context.Context) (Position, error) {
	e := r.e
	if e.cfg.store == nil {
		return e.memPos, nil
	}
	for attempt := 1; ; attempt++ {
		pos, err := e.cfg.store.Load(ctx, e.cfg.name)
		if err == nil {
			return pos, nil
		}
		err = fmt.Errorf("cdc: loading the position of %q from the offset store: %w", e.cfg.name, err)
		if ctx.Err() != nil || !IsRetryable(err) {
			return nil, err
		}
		if err := r.backoff(ctx, attempt, err); err != nil {
			return nil, err
		}
	}
}

// runner is the state of one run.
type runner struct {
	e        *Engine
	parent   context.Context // the caller's
	ctx      context.Context
	cancel   context.CancelCauseFunc
	tracker  *checkpoint.Tracker
	q        *queue
	wg       sync.WaitGroup
	startPos Position

	streamMu sync.Mutex
	stream   Stream
	told     uint64 // sequence number last confirmed to the current stream

	commitMu     sync.Mutex
	saved        uint64 // sequence number of the last saved position
	savedPos     Position
	savedHandled uint64
	failures     int

	destCache map[TableID]string
	lastTable TableID
	lastDest  string
	flushReq  atomic.Bool // set by the committer, cleared by the consumer when it marks done
	batches   *batchPool
}

// stopErr turns the reason a run ended into Run's result.
func (r *runner) stopErr(err error) error {
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	switch cause := context.Cause(r.ctx); {
	case cause == nil:
		return err
	case r.parent.Err() != nil:
		// The caller's context: return its Err, so errors.Is(err, context.Canceled)
		// holds even when it was cancelled with a cause (signal.NotifyContext).
		return r.parent.Err()
	case errors.Is(cause, errStopClose):
		return nil // Close
	default:
		return cause // a terminal error from the committer
	}
}

// open opens a stream, retrying retryable errors; attempt is the number of failed
// attempts already made in this outage (0 at start), so backoff keeps growing.
func (r *runner) open(ctx context.Context, pos Position, attempt int) error {
	req := OpenRequest{Name: r.e.cfg.name, Position: pos, Offsets: r.e.cfg.store,
		Logger: r.e.log, Reporter: reporter{r.e}, batches: r.batches}
	for {
		s, err := r.e.src.Open(ctx, req)
		if err == nil {
			r.streamMu.Lock()
			r.stream, r.told = s, 0
			r.streamMu.Unlock()
			if st := State(r.e.state.Load()); st == StateStarting || st == StateReconnecting {
				r.e.setState(StateStreaming)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !IsRetryable(err) {
			return fmt.Errorf("cdc: opening the source: %w", err)
		}
		attempt++
		r.e.setState(StateReconnecting)
		if err := r.backoff(ctx, attempt, err); err != nil {
			return err
		}
	}
}

// backoff waits before reconnect attempt n, or fails when the attempts are used up.
func (r *runner) backoff(ctx context.Context, attempt int, cause error) error {
	cfg := r.e.cfg
	if cfg.maxReconnects > 0 && attempt > cfg.maxReconnects {
		return fmt.Errorf("cdc: gave up after %d reconnect attempts: %w", cfg.maxReconnects, cause)
	}
	d := cfg.backoffMin << min(attempt-1, 30)
	if d > cfg.backoffMax || d <= 0 {
		d = cfg.backoffMax
	}
	d = d/2 + rand.N(d/2+1) // jitter: [d/2, d]
	r.e.reconnects.Add(1)
	r.e.log.Warn("reconnecting", "attempt", attempt, "in", d, "err", cause)
	for _, h := range r.e.hooks.recon {
		h.OnReconnect(attempt, cause, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *runner) closeStream() {
	r.streamMu.Lock()
	s := r.stream
	r.stream = nil
	r.streamMu.Unlock()
	if s != nil {
		if err := s.Close(); err != nil {
			r.e.log.Warn("closing the stream", "err", err)
		}
	}
}

// readLoop reads from the stream, runs transforms and fills the queue. It reconnects on
// retryable errors, resuming after the last safe position it read; events read after
// that position (not safe points themselves) are re-sent by the source and skipped here,
// so a reconnect neither loses nor repeats nor reorders events.
func (r *runner) readLoop() {
	defer r.wg.Done()
	ctx := r.ctx
	defer func() {
		// A panic in the source or a hook must not take the process down.
		if p := recover(); p != nil {
			err := fmt.Errorf("cdc: reading from the source: %w", &PanicError{Value: p, Stack: debug.Stack()})
			r.q.push(ctx, []item{{end: true, err: err}})
		}
	}()
	lastSafe := r.startPos
	afterSafe, skip := 0, 0
	attempt := 0
	items := make([]item, 0, 256)
	for {
		r.streamMu.Lock()
		s := r.stream
		r.streamMu.Unlock()
		evs, err := s.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// io.EOF itself ends the stream, as io.Reader's contract has it; an error
			// wrapping io.EOF is a connection that ended mid-way, for IsRetryable.
			if err == io.EOF {
				r.q.push(ctx, []item{{end: true}})
				return
			}
			if !IsRetryable(err) {
				r.q.push(ctx, []item{{end: true, err: fmt.Errorf("cdc: reading from the source: %w", err)}})
				return
			}
			r.e.setState(StateReconnecting)
			r.closeStream()
			attempt++
			err = r.backoff(ctx, attempt, err)
			if err == nil {
				err = r.open(ctx, lastSafe, attempt) // retries by itself while errors are retryable
			}
			if err != nil {
				if ctx.Err() == nil {
					r.q.push(ctx, []item{{end: true, err: err}})
				}
				return
			}
			skip = afterSafe
			continue
		}
		attempt = 0
		items = items[:0]
		if skip > 0 {
			// Skip the re-sent events we already have. Heartbeats are not re-sent
			// events (their timing differs between connections): drop them, uncounted.
			kept := evs[:0]
			for _, ev := range evs {
				switch {
				case ev.Op == OpHeartbeat && skip > 0:
				case skip > 0:
					skip--
				default:
					kept = append(kept, ev)
				}
			}
			clear(evs[len(kept):]) // a recycled array's spare capacity is zero Events
			evs = kept
		}
		ref := &batchRef{evs: evs, pool: r.batches}
		ref.left.Store(int32(len(evs)) + 1)
		seq := r.tracker.TrackMany(len(evs), func(i int) []byte { return evs[i].Position })
		if len(evs) > 0 {
			r.e.read.Add(int64(len(evs)))
			if ct := evs[len(evs)-1].Source.CommitTime; !ct.IsZero() {
				r.e.lagNanos.Store(int64(time.Since(ct)))
			}
		}
		for i := range evs {
			ev := &evs[i]
			if ev.Position != nil {
				lastSafe, afterSafe = ev.Position, 0
			} else if ev.Op != OpHeartbeat {
				afterSafe++
			}
			it, ok, err := r.prepare(ctx, ev, seq+uint64(i))
			if err != nil {
				items = append(items, item{end: true, err: err})
				r.q.push(ctx, items)
				return
			}
			if ok {
				it.batch = ref
				items = append(items, it)
			} else {
				ref.release()
			}
		}
		if len(items) > 0 {
			if r.q.push(ctx, items) != nil {
				return
			}
		}
		ref.release()
	}
}

// prepare tracks an event and runs the transforms. ok=false means it was consumed here
// (heartbeat or dropped) and already marked handled.
func (r *runner) prepare(ctx context.Context, ev *Event, seq uint64) (item, bool, error) {
	e := r.e
	for _, h := range e.hooks.read {
		var lag time.Duration
		if !ev.Source.CommitTime.IsZero() {
			lag = time.Since(ev.Source.CommitTime)
		}
		h.OnEventRead(ev, lag)
	}
	if ev.Op == OpHeartbeat {
		r.consumed(seq)
		return item{}, false, nil
	}
	ev.Source.Name = e.cfg.name
	if ev.Destination == "" {
		ev.Destination = r.destination(ev.Table)
	}
	for _, t := range e.cfg.transforms {
		keep, err := applySafe(ctx, t, ev)
		if err != nil {
			return item{}, false, fmt.Errorf("cdc: transform %T on event %s: %w", t, ev.ID(), err)
		}
		if !keep {
			e.dropped.Add(1)
			r.consumed(seq)
			return item{}, false, nil
		}
	}
	return item{ev: ev, seq: seq, size: eventSize(ev)}, true, nil
}

func applySafe(ctx context.Context, t Transform, ev *Event) (keep bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return t.Apply(ctx, ev)
}

// consumed marks an event the handler will not see (heartbeat, dropped) as handled.
// When the handler saves positions itself it never saves this one, so it must not
// become the position confirmed to the source.
func (r *runner) consumed(seq uint64) {
	if r.e.cfg.handlerSaves {
		r.tracker.DoneNoPos(seq)
	} else {
		r.tracker.Done(seq)
	}
}

func (r *runner) destination(t TableID) string {
	if t == r.lastTable && r.lastDest != "" {
		return r.lastDest // consecutive events mostly share a table
	}
	d := r.destinationOf(t)
	r.lastTable, r.lastDest = t, d
	return d
}

func (r *runner) destinationOf(t TableID) string {
	if d, ok := r.destCache[t]; ok {
		return d
	}
	d := r.e.cfg.name
	if t.Name != "" {
		if ns := t.Namespace(); ns != "" {
			d += "." + ns
		}
		d += "." + t.Name
	}
	if r.destCache == nil || len(r.destCache) > 10000 {
		r.destCache = make(map[TableID]string)
	}
	r.destCache[t] = d
	return d
}

func (r *runner) commitLoop() {
	defer r.wg.Done()
	defer func() {
		if p := recover(); p != nil { // in the offset store, the source's Commit or a hook
			r.cancel(fmt.Errorf("cdc: committing: %w", &PanicError{Value: p, Stack: debug.Stack()}))
		}
	}()
	t := time.NewTicker(r.e.cfg.commitInterval)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			r.flushReq.Store(true)
			if err := r.commit(r.ctx); err != nil && r.failures >= r.e.cfg.commitFailureLimit {
				r.cancel(fmt.Errorf("cdc: %d %w, stopping: %w", r.failures, errCommitLimit, err))
				return
			}
		}
	}
}

// commit saves the committable position and then confirms it to the source. The source
// never hears of a position the offset store does not hold.
func (r *runner) commit(ctx context.Context) error {
	r.commitMu.Lock()
	defer r.commitMu.Unlock()
	e := r.e
	pos, seq, handled := r.tracker.Committable()
	if pos == nil {
		return nil
	}
	if seq != r.saved {
		start := time.Now()
		var err error
		switch {
		case e.cfg.handlerSaves:
		case e.cfg.store == nil:
			e.memPos = pos
		default:
			err = e.cfg.store.Save(ctx, e.cfg.name, pos)
		}
		info := CommitInfo{Position: pos, Events: int64(handled - r.savedHandled), Took: time.Since(start), Err: err}
		if err != nil {
			r.failures++
			e.commitErrs.Add(1)
			e.log.Warn("saving the position failed; retrying at the next interval", "failures", r.failures, "err", err)
			for _, h := range e.hooks.commit {
				h.OnCommit(info)
			}
			return err
		}
		r.failures = 0
		r.saved, r.savedPos, r.savedHandled = seq, pos, handled
		e.commits.Add(1)
		e.statMu.Lock()
		e.lastCommitted, e.lastCommitTime = pos, time.Now()
		e.statMu.Unlock()
		for _, h := range e.hooks.commit {
			h.OnCommit(info)
		}
	}
	r.streamMu.Lock()
	s, told := r.stream, r.told
	r.streamMu.Unlock()
	if s == nil || told == r.saved {
		return nil
	}
	if err := s.Commit(ctx, r.savedPos); err != nil {
		// Not fatal: the position is saved, the source is told again next time.
		e.log.Warn("confirming the position to the source failed", "err", err)
		return nil
	}
	r.streamMu.Lock()
	if r.stream == s {
		r.told = r.saved
	}
	r.streamMu.Unlock()
	return nil
}

// next pops the next items for the handler; a nil slice with a nil error means the
// source ended cleanly.
func (r *runner) next(ctx context.Context, buf []item, max int, wait time.Duration) ([]item, error) {
	items, err := r.q.pop(ctx, buf[:0], max, wait)
	if err != nil && len(items) == 0 {
		return nil, err
	}
	return items, nil
}

func (r *runner) consumeEach(ctx context.Context, h Handler, recoverPanics bool) error {
	buf := make([]item, 0, 256)
	// Handled events are marked done once per popped batch, under one lock; the
	// deferred flush also marks them when the handler fails, a loop breaks or a range
	// body panics, so the final commit covers exactly the handled events.
	var first, last uint64
	flush := func() {
		if last != 0 {
			r.tracker.DoneRange(first, last)
			r.e.handled.Add(int64(last - first + 1))
			first, last = 0, 0
		}
	}
	defer flush()
	timed := len(r.e.hooks.handled) > 0
	stopped := ctx.Done()
	for {
		items, err := r.next(ctx, buf, cap(buf), 0)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.end {
				return it.err
			}
			select {
			case <-stopped: // Close, cancel or a terminal commit failure: deliver no more
				return ctx.Err()
			default:
			}
			var start time.Time
			if timed {
				start = time.Now()
			}
			if recoverPanics {
				err = callSafe(ctx, h, it.ev)
			} else {
				err = h(ctx, *it.ev)
			}
			if err != nil {
				if errors.Is(err, errBreak) {
					return err
				}
				if _, ok := err.(*PanicError); ok {
					return err
				}
				return fmt.Errorf("cdc: handler failed on event %s (%s %s): %w", it.ev.ID(), it.ev.Op, it.ev.Table, err)
			}
			it.batch.release()
			// Sequence numbers between handled events belong to events the reader
			// consumed itself (dropped, heartbeats): marking the range is right.
			if last == 0 {
				first = it.seq
			}
			last = it.seq
			for _, hk := range r.e.hooks.handled {
				hk.OnEventsHandled(1, time.Since(start))
			}
			if r.flushReq.Load() { // the committer ticked: a slow handler must not hold commits back
				r.flushReq.Store(false)
				flush()
			}
		}
		flush()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func callSafe(ctx context.Context, h Handler, ev *Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return h(ctx, *ev)
}

func (r *runner) consumeBatch(ctx context.Context, h BatchHandler) error {
	cfg := r.e.cfg
	buf := make([]item, 0, cfg.batchEvents)
	evs := make([]Event, 0, cfg.batchEvents)
	for {
		items, err := r.next(ctx, buf, cfg.batchEvents, cfg.batchWait)
		if err != nil {
			return err
		}
		evs = evs[:0]
		var endErr error
		ended := false
		for _, it := range items {
			if it.end {
				ended, endErr = true, it.err
				break
			}
			evs = append(evs, *it.ev)
			it.batch.release() // the handler gets the copy
		}
		if len(evs) > 0 {
			start := time.Now()
			if err := callBatchSafe(ctx, h, evs); err != nil {
				if _, ok := err.(*PanicError); ok {
					return err
				}
				return fmt.Errorf("cdc: batch handler failed on %d events from %s: %w", len(evs), evs[0].ID(), err)
			}
			// Sequence numbers between the first and last event of the batch belong to
			// the batch or to events already consumed by the reader (dropped, heartbeats).
			r.tracker.DoneRange(items[0].seq, items[len(evs)-1].seq)
			r.e.handled.Add(int64(len(evs)))
			for _, hk := range r.e.hooks.handled {
				hk.OnEventsHandled(len(evs), time.Since(start))
			}
		}
		if ended {
			return endErr
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func callBatchSafe(ctx context.Context, h BatchHandler, evs []Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return h(ctx, evs)
}
