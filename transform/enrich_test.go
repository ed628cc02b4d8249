package transform_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/transform"
)

// pbLookup is a fake lookup that counts calls per key.
type pbLookup struct {
	mu    sync.Mutex
	calls map[any]int
	rows  map[any]cdc.Row
	err   error
}

func (l *pbLookup) fn(ctx context.Context, key any) (cdc.Row, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == nil {
		l.calls = map[any]int{}
	}
	l.calls[fmt.Sprint(key)]++
	if l.err != nil {
		return cdc.Row{}, l.err
	}
	if _, ok := key.([]byte); ok { // not a valid map key
		return cdc.Row{}, nil
	}
	return l.rows[key], nil
}

func (l *pbLookup) count(key any) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[fmt.Sprint(key)]
}

// pbClock is a settable clock.
type pbClock struct{ now time.Time }

func (c *pbClock) Now() time.Time { return c.now }

func TestEnrichEvents(t *testing.T) {
	ada := cdc.RowOf("name", "Ada", "tier", "gold")
	lookup := &pbLookup{rows: map[any]cdc.Row{int64(42): ada, "k": cdc.RowOf("name", "K")}}
	tr, err := transform.Enrich(transform.EnrichConfig{KeyColumn: "customer_id", Prefix: "customer_", Lookup: lookup.fn})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"id", "customer_id"}
	tests := []struct {
		name          string
		in            cdc.Event
		before, after cdc.Row
	}{
		{
			name:  "create: columns appended with the prefix, in lookup order",
			in:    cdc.Event{Op: cdc.OpCreate, After: cdc.NewRow(names, []any{int64(1), int64(42)})},
			after: cdc.RowOf("id", int64(1), "customer_id", int64(42), "customer_name", "Ada", "customer_tier", "gold"),
		},
		{
			name:  "snapshot read",
			in:    cdc.Event{Op: cdc.OpRead, After: cdc.RowOf("customer_id", "k")},
			after: cdc.RowOf("customer_id", "k", "customer_name", "K"),
		},
		{
			name:   "update: After only",
			in:     cdc.Event{Op: cdc.OpUpdate, Before: cdc.RowOf("customer_id", int64(42)), After: cdc.RowOf("customer_id", int64(42))},
			before: cdc.RowOf("customer_id", int64(42)),
			after:  cdc.RowOf("customer_id", int64(42), "customer_name", "Ada", "customer_tier", "gold"),
		},
		{
			name:   "delete: Before",
			in:     cdc.Event{Op: cdc.OpDelete, Before: cdc.RowOf("customer_id", int64(42))},
			before: cdc.RowOf("customer_id", int64(42), "customer_name", "Ada", "customer_tier", "gold"),
		},
		{
			name:  "existing column with the prefixed name is replaced",
			in:    cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("customer_name", "old", "customer_id", int64(42))},
			after: cdc.RowOf("customer_name", "Ada", "customer_id", int64(42), "customer_tier", "gold"),
		},
		{
			name:  "not found: nothing added",
			in:    cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("customer_id", int64(7))},
			after: cdc.RowOf("customer_id", int64(7)),
		},
		{
			name:  "null key: nothing added, no lookup",
			in:    cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("customer_id", nil)},
			after: cdc.RowOf("customer_id", nil),
		},
		{
			name:   "unchanged key taken from Before",
			in:     cdc.Event{Op: cdc.OpUpdate, Before: cdc.RowOf("customer_id", int64(42)), After: cdc.RowOf("customer_id", cdc.Unchanged{})},
			before: cdc.RowOf("customer_id", int64(42)),
			after:  cdc.RowOf("customer_id", cdc.Unchanged{}, "customer_name", "Ada", "customer_tier", "gold"),
		},
		{
			name:  "unchanged key without Before: nothing added",
			in:    cdc.Event{Op: cdc.OpUpdate, After: cdc.RowOf("customer_id", cdc.Unchanged{})},
			after: cdc.RowOf("customer_id", cdc.Unchanged{}),
		},
		{
			name: "truncate passes through",
			in:   cdc.Event{Op: cdc.OpTruncate},
		},
		{
			name:  "schema event passes through",
			in:    cdc.Event{Op: cdc.OpSchema, After: cdc.RowOf("customer_id", int64(42))},
			after: cdc.RowOf("customer_id", int64(42)),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := pbCopy(tc.in)
			if !pbApply(t, tr, ev) {
				t.Fatal("dropped")
			}
			pbRowEqual(t, "Before", ev.Before, tc.before)
			pbRowEqual(t, "After", ev.After, tc.after)
		})
	}
	if n := lookup.count(nil); n != 0 {
		t.Errorf("Lookup called %d times with a nil key", n)
	}
	if names[0] != "id" || names[1] != "customer_id" {
		t.Errorf("shared names changed: %v", names)
	}
	// Cached: one lookup per key over all events above; "not found" cached too.
	if n, m := lookup.count(int64(42)), lookup.count(int64(7)); n != 1 || m != 1 {
		t.Errorf("lookups: key 42 %d times, key 7 %d times; want 1 and 1", n, m)
	}
}

func TestEnrichCache(t *testing.T) {
	clock := &pbClock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	lookup := &pbLookup{rows: map[any]cdc.Row{"a": cdc.RowOf("v", 1), "b": cdc.RowOf("v", 2), "c": cdc.RowOf("v", 3)}}
	tr := pbT(transform.Enrich(transform.EnrichConfig{
		KeyColumn: "k", Lookup: lookup.fn, MaxEntries: 2, TTL: time.Minute, NegativeTTL: 10 * time.Second, Now: clock.Now,
	}))
	apply := func(key any) cdc.Row {
		ev := cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("k", key)}
		pbApply(t, tr, &ev)
		return ev.After
	}
	steps := []struct {
		advance time.Duration
		key     any
		calls   int // lookups of key so far
	}{
		{0, "a", 1},
		{0, "a", 1},                // cached
		{0, "b", 1},                // cache: b a
		{0, "a", 1},                // cache: a b
		{0, "c", 1},                // evicts b (least recently used): c a
		{0, "a", 1},                // still cached
		{0, "b", 2},                // was evicted; evicts c: b a
		{59 * time.Second, "a", 1}, // not expired yet
		{time.Second, "a", 2},      // expired after TTL
		{0, "zz", 1},               // negative answer cached
		{9 * time.Second, "zz", 1}, //
		{time.Second, "zz", 2},     // after NegativeTTL
	}
	for i, s := range steps {
		clock.now = clock.now.Add(s.advance)
		apply(s.key)
		if got := lookup.count(s.key); got != s.calls {
			t.Fatalf("step %d (%v): %d lookups, want %d", i, s.key, got, s.calls)
		}
	}
	pbRowEqual(t, "After", apply("a"), cdc.RowOf("k", "a", "v", 1))

	// Byte keys are compared by content; a negative NegativeTTL caches no misses;
	// a negative MaxEntries caches nothing.
	lookup = &pbLookup{rows: map[any]cdc.Row{}}
	tr = pbT(transform.Enrich(transform.EnrichConfig{KeyColumn: "k", Lookup: lookup.fn, NegativeTTL: -1}))
	for range 2 {
		ev := cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("k", []byte("x"))}
		pbApply(t, tr, &ev)
	}
	if n := lookup.count([]byte("x")); n != 2 {
		t.Errorf("negative results cached with NegativeTTL < 0: %d lookups", n)
	}
	lookup = &pbLookup{rows: map[any]cdc.Row{"x": cdc.RowOf("v", 1)}}
	tr = pbT(transform.Enrich(transform.EnrichConfig{KeyColumn: "k", Lookup: lookup.fn, MaxEntries: -1}))
	for range 3 {
		ev := cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("k", "x")}
		pbApply(t, tr, &ev)
	}
	if n := lookup.count("x"); n != 3 {
		t.Errorf("MaxEntries < 0: %d lookups, want 3", n)
	}
}

func TestEnrichErrors(t *testing.T) {
	boom := errors.New("boom")
	ev := func() *cdc.Event {
		return &cdc.Event{Op: cdc.OpCreate, Table: cdc.TableID{Schema: "public", Name: "orders"}, After: cdc.RowOf("k", "x")}
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	mk := func(policy string, l *pbLookup, col string) cdc.Transform {
		return pbT(transform.Enrich(transform.EnrichConfig{KeyColumn: col, Lookup: l.fn, OnError: policy, Logger: logger}))
	}

	// fail (default): the error, naming column and table; errors are not cached.
	l := &pbLookup{err: boom}
	tr := mk("", l, "k")
	for range 2 {
		keep, err := tr.Apply(context.Background(), ev())
		if keep || !errors.Is(err, boom) || !strings.Contains(err.Error(), `lookup of column "k" of public.orders`) {
			t.Fatalf("fail: keep=%v err=%v", keep, err)
		}
	}
	if l.count("x") != 2 {
		t.Errorf("error was cached")
	}
	keep, err := mk("", l, "nope").Apply(context.Background(), ev())
	if keep || err == nil || !strings.Contains(err.Error(), `has no column "nope": set EnrichConfig.KeyColumn`) {
		t.Errorf("missing column: keep=%v err=%v", keep, err)
	}

	// skip: kept without added columns, logged without the key value.
	logs.Reset()
	e := ev()
	keep, err = mk("skip", &pbLookup{err: boom}, "k").Apply(context.Background(), e)
	if !keep || err != nil || e.After.Len() != 1 {
		t.Errorf("skip: keep=%v err=%v after=%#v", keep, err, e.After)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "kept without added columns") {
		t.Errorf("skip log = %q", logs.String())
	}

	// drop
	logs.Reset()
	keep, err = mk("drop", &pbLookup{err: boom}, "k").Apply(context.Background(), ev())
	if keep || err != nil || !strings.Contains(logs.String(), "dropped") {
		t.Errorf("drop: keep=%v err=%v log=%q", keep, err, logs.String())
	}

	// A cancelled context is an error whatever the policy: never drop an event because
	// the engine is stopping.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cl := &pbLookup{err: context.Canceled}
	keep, err = mk("drop", cl, "k").Apply(ctx, ev())
	if keep || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled drop: keep=%v err=%v", keep, err)
	}
}

func TestEnrichConcurrent(t *testing.T) {
	// One Enrich value shared by several engines (goroutines); run with -race.
	lookup := &pbLookup{rows: map[any]cdc.Row{}}
	for i := range 50 {
		lookup.rows[int64(i)] = cdc.RowOf("v", i)
	}
	tr := pbT(transform.Enrich(transform.EnrichConfig{KeyColumn: "k", Lookup: lookup.fn, MaxEntries: 10}))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				k := int64((i * (g + 1)) % 50)
				ev := cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("k", k)}
				if _, err := tr.Apply(context.Background(), &ev); err != nil {
					t.Error(err)
					return
				}
				if v, _ := ev.After.Get("v"); v != int(k) {
					t.Errorf("key %d enriched with %v", k, v)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestEnrichConfigErrors(t *testing.T) {
	lk := func(context.Context, any) (cdc.Row, error) { return cdc.Row{}, nil }
	for _, tc := range []struct {
		cfg  transform.EnrichConfig
		want string
	}{
		{transform.EnrichConfig{Lookup: lk}, "KeyColumn is empty"},
		{transform.EnrichConfig{KeyColumn: "k"}, "Lookup is nil"},
		{transform.EnrichConfig{KeyColumn: "k", Lookup: lk, OnError: "ignore"}, `OnError is "ignore"`},
		{transform.EnrichConfig{KeyColumn: "k", Lookup: lk, TTL: -time.Second}, "TTL is -1s"},
	} {
		_, err := transform.Enrich(tc.cfg)
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want ErrInvalidConfig containing %q", err, tc.want)
		}
	}
}
