package cdctest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/tributary-cdc/cdc"
)

// SourceConfig scripts a fake Source.
type SourceConfig struct {
	// Events is the number of events generated up front, deterministically: event i
	// changes key i%Keys of table "shop.public.orders" (a create the first time a key
	// appears, updates after), with columns id, seq, version and payload.
	Events int
	// Keys is the number of distinct keys (default 10).
	Keys int
	// TxSize groups events in transactions of this many; only the last event of each
	// carries a Position (default 1: every event is a resume point).
	TxSize int
	// BatchSize is the most events one Read returns (default 64).
	BatchSize int
	// Payload is the length of each generated event's payload column (default 16).
	Payload int
	// Live keeps streams open at the end of the script: Read waits for Emit or Generate
	// instead of returning io.EOF.
	Live bool
	// ReadDelay is slept before every Read returns: a slow source.
	ReadDelay time.Duration
	// CommitTime, when set, stamps every generated event with the time it is read
	// (so lag is measurable); otherwise generated events carry a fixed commit time.
	CommitTime bool
}

// Source is a scripted fake cdc.Source for engine tests and for testing handlers
// without a database. Positions are {"v":1,"n":N}: resume at script index N.
// Faults are injected with FailAfter, DropAfter, FailOpen and LoseHistoryBefore.
// It is safe for concurrent use.
type Source struct {
	cfg SourceConfig

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced when the script grows
	emitted  []cdc.Event   // events appended after the generated ones
	generate int           // generated events (cfg.Events plus Generate calls)
	failAt   int
	failErr  error
	drops    []int
	openErrs []error
	lostTo   int
	opens    []cdc.Position
	commits  []cdc.Position
	schema   *cdc.TableSchema
	baseTime time.Time
}

// NewSource returns a fake source.
func NewSource(cfg SourceConfig) *Source {
	if cfg.Keys <= 0 {
		cfg.Keys = 10
	}
	if cfg.TxSize <= 0 {
		cfg.TxSize = 1
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 64
	}
	if cfg.Payload <= 0 {
		cfg.Payload = 16
	}
	table := cdc.TableID{Database: "shop", Schema: "public", Name: "orders"}
	schema := cdc.NewTableSchema(table, []cdc.Column{
		{Name: "id", Type: "bigint", Kind: cdc.KindInt, PrimaryKey: true},
		{Name: "seq", Type: "bigint", Kind: cdc.KindInt},
		{Name: "version", Type: "bigint", Kind: cdc.KindInt},
		{Name: "payload", Type: "text", Kind: cdc.KindString, Nullable: true},
	}, nil)
	return &Source{cfg: cfg, changed: make(chan struct{}), generate: cfg.Events, failAt: -1,
		schema: schema, baseTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Schema returns the schema of the generated table.
func (s *Source) Schema() *cdc.TableSchema { return s.schema }

// Generate appends n generated events to the script.
func (s *Source) Generate(n int) {
	s.mu.Lock()
	if len(s.emitted) > 0 {
		s.mu.Unlock()
		panic("cdctest: Generate after Emit is not supported: generated events come first")
	}
	s.generate += n
	s.notifyLocked()
	s.mu.Unlock()
}

// Emit appends events to the script. Their positions and IDs are set by the source
// unless the event has an ID already.
func (s *Source) Emit(evs ...cdc.Event) {
	s.mu.Lock()
	s.emitted = append(s.emitted, evs...)
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Source) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Len returns the number of events in the script.
func (s *Source) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.generate + len(s.emitted)
}

// FailAfter makes every stream fail with err once it has delivered the events before
// script index n. Use a plain error for a terminal failure.
func (s *Source) FailAfter(n int, err error) {
	s.mu.Lock()
	s.failAt, s.failErr = n, err
	s.mu.Unlock()
}

// DropAfter drops the connection once, when a stream reaches script index n: Read
// returns a retryable error and the stream is dead, as after a network failure.
func (s *Source) DropAfter(n int) {
	s.mu.Lock()
	s.drops = append(s.drops, n)
	s.mu.Unlock()
}

// FailOpen makes the next len(errs) calls to Open fail with these errors, in order.
func (s *Source) FailOpen(errs ...error) {
	s.mu.Lock()
	s.openErrs = append(s.openErrs, errs...)
	s.mu.Unlock()
}

// LoseHistoryBefore makes Open fail with cdc.ErrPositionLost for positions before n,
// as a server does after purging its log.
func (s *Source) LoseHistoryBefore(n int) {
	s.mu.Lock()
	s.lostTo = n
	s.mu.Unlock()
}

// Opens returns the positions streams were opened from.
func (s *Source) Opens() []cdc.Position {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]cdc.Position(nil), s.opens...)
}

// Commits returns the positions committed to streams, in order.
func (s *Source) Commits() []cdc.Position {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]cdc.Position(nil), s.commits...)
}

// Position returns the position of a fake source that resumes at script index n.
func Position(n int) cdc.Position { return cdc.Position(fmt.Sprintf(`{"v":1,"n":%d}`, n)) }

// ParsePosition returns the script index of a fake source position.
func ParsePosition(p cdc.Position) (int, error) {
	var v struct {
		V int  `json:"v"`
		N *int `json:"n"`
	}
	if err := json.Unmarshal(p, &v); err != nil || v.V != 1 || v.N == nil || *v.N < 0 {
		return 0, fmt.Errorf("%w: %q is not a position of the fake source", cdc.ErrCorruptOffsets, p)
	}
	return *v.N, nil
}

// Open implements cdc.Source.
func (s *Source) Open(ctx context.Context, req cdc.OpenRequest) (cdc.Stream, error) {
	start := 0
	if req.Position != nil {
		n, err := ParsePosition(req.Position)
		if err != nil {
			return nil, err
		}
		start = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opens = append(s.opens, req.Position)
	if len(s.openErrs) > 0 {
		err := s.openErrs[0]
		s.openErrs = s.openErrs[1:]
		return nil, err
	}
	if req.Position != nil && start < s.lostTo {
		return nil, fmt.Errorf("%w: the fake source purged its history before %d (position %d)", cdc.ErrPositionLost, s.lostTo, start)
	}
	req.SetState(cdc.StateStreaming)
	return &fakeStream{src: s, req: req, next: start, closed: make(chan struct{})}, nil
}

type fakeStream struct {
	src       *Source
	req       cdc.OpenRequest
	next      int
	dead      error
	closeOnce sync.Once
	closed    chan struct{}
}

var errStreamClosed = errors.New("cdctest: stream closed")

func (st *fakeStream) Read(ctx context.Context) ([]cdc.Event, error) {
	s := st.src
	if d := s.cfg.ReadDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-st.closed:
			t.Stop()
			return nil, errStreamClosed
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		select {
		case <-st.closed:
			return nil, errStreamClosed
		default:
		}
		if st.dead != nil {
			return nil, st.dead
		}
		s.mu.Lock()
		total := s.generate + len(s.emitted)
		end := min(total, st.next+s.cfg.BatchSize)
		if s.failAt >= 0 && st.next >= s.failAt {
			err := s.failErr
			s.mu.Unlock()
			return nil, err
		}
		if s.failAt >= st.next && s.failAt < end {
			end = s.failAt
		}
		for i, d := range s.drops {
			if d == st.next {
				s.drops = append(s.drops[:i], s.drops[i+1:]...)
				st.dead = cdc.Retryable(fmt.Errorf("cdctest: connection dropped at %d: %w", d, io.ErrUnexpectedEOF))
				s.mu.Unlock()
				return nil, st.dead
			}
			if d > st.next && d < end {
				end = d
			}
		}
		if end > st.next {
			evs := st.req.NewBatch(end - st.next) // recycled arrays, as real sources use
			for _, ev := range evs[:cap(evs)] {
				if !reflect.ValueOf(ev).IsZero() { // the sources build events in place
					s.mu.Unlock()
					return nil, fmt.Errorf("cdctest: NewBatch returned an array holding an old event: %+v", ev)
				}
			}
			for i := st.next; i < end; i++ {
				evs = append(evs, s.eventLocked(i))
			}
			st.next = end
			s.mu.Unlock()
			return evs, nil
		}
		if !s.cfg.Live {
			s.mu.Unlock()
			return nil, io.EOF
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-st.closed:
			return nil, errStreamClosed
		}
	}
}

// eventLocked returns a fresh copy of script event i.
func (s *Source) eventLocked(i int) cdc.Event {
	var ev cdc.Event
	if i < s.generate {
		ev = s.generated(i)
	} else {
		ev = s.emitted[i-s.generate]
		ev.Key, ev.Before, ev.After = ev.Key.Clone(), ev.Before.Clone(), ev.After.Clone()
		// Transforms change events in place: nothing of the script may be shared.
		ev.Headers = append([]cdc.Header(nil), ev.Headers...)
		if ev.Source.Extra != nil {
			ev.Source.Extra = maps.Clone(ev.Source.Extra)
		}
		if ev.Message != nil {
			m := *ev.Message
			m.Content = append([]byte(nil), m.Content...)
			ev.Message = &m
		}
		if ev.ID() == "" {
			ev.SetID(fmt.Sprintf("fake:%d", i))
		}
		ev.Position = nil
		ev.Source.Connector = "fake"
	}
	tx := s.cfg.TxSize
	ev.Source.TxID = fmt.Sprint(i / tx)
	ev.Source.TxOrder = int64(i%tx + 1)
	if i%tx == tx-1 {
		ev.Position = Position(i + 1)
	}
	return ev
}

var payloadChars = strings.Repeat("abcdefghijklmnopqrstuvwxyz", 64)

func (s *Source) generated(i int) cdc.Event {
	key := i % s.cfg.Keys
	op := cdc.OpUpdate
	if i < s.cfg.Keys {
		op = cdc.OpCreate
	}
	payload := payloadChars[:min(s.cfg.Payload, len(payloadChars))]
	if s.cfg.Payload > len(payloadChars) {
		payload = strings.Repeat("x", s.cfg.Payload)
	}
	names := s.schema.Names()
	ev := cdc.Event{
		Op:     op,
		Table:  s.schema.Table,
		Schema: s.schema,
		Key:    cdc.NewRow(names[:1], []any{int64(key)}),
		After:  cdc.NewRow(names, []any{int64(key), int64(i), int64(i / s.cfg.Keys), payload}),
	}
	if op == cdc.OpUpdate {
		ev.Before = cdc.NewRow(names, []any{int64(key), int64(i - s.cfg.Keys), int64(i/s.cfg.Keys - 1), payload})
	}
	ev.Source.Connector = "fake"
	if s.cfg.CommitTime {
		ev.Source.CommitTime = time.Now()
	} else {
		ev.Source.CommitTime = s.baseTime.Add(time.Duration(i) * time.Millisecond)
	}
	ev.SetID(fmt.Sprintf("fake:%d", i))
	return ev
}

// Seq returns the script index of an event the fake source produced.
func Seq(ev cdc.Event) int {
	var n int
	fmt.Sscanf(ev.ID(), "fake:%d", &n)
	return n
}

func (st *fakeStream) Commit(ctx context.Context, pos cdc.Position) error {
	if _, err := ParsePosition(pos); err != nil {
		return err
	}
	st.src.mu.Lock()
	st.src.commits = append(st.src.commits, append(cdc.Position(nil), pos...))
	st.src.mu.Unlock()
	return nil
}

func (st *fakeStream) Close() error {
	st.closeOnce.Do(func() { close(st.closed) })
	return nil
}
