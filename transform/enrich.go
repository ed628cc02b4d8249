package transform

// Enrich: adds columns looked up elsewhere (a customer's name for an order's
// customer_id, from a database, a service or a file) to each event, through a bounded
// LRU cache with a time-to-live, like a stream-table join in Kafka Streams or ksqlDB
// done inside the pipeline.

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tributary-cdc/cdc"
)

// EnrichConfig configures Enrich.
type EnrichConfig struct {
	// KeyColumn is the column whose value is passed to Lookup. Required.
	KeyColumn string

	// Lookup returns the columns to add for a key, as a row (cdc.RowOf("name", n,
	// "tier", t), or cdc.NewRow over names shared between calls). A row, not a map:
	// the added columns come out in the same order for every event, without sorting
	// map keys per event, and with the value types of other rows. A zero row (cdc.Row{})
	// and a nil error mean "not found": the event is kept without added columns.
	// Errors follow OnError. Lookup may be called by several goroutines at once when
	// the transform is shared by engines; it is never called with a nil key. Required.
	Lookup func(ctx context.Context, key any) (cdc.Row, error)

	// Prefix is put before the name of every added column ("customer_"). An added
	// column whose (prefixed) name the row already has replaces its value.
	Prefix string

	// MaxEntries bounds the cache; the least recently used entry is evicted first.
	// 0 means 10000; a negative value disables the cache (every event calls Lookup).
	MaxEntries int
	// TTL is how long a found row is cached. 0 means 5 minutes.
	TTL time.Duration
	// NegativeTTL is how long a "not found" answer is cached, so that events whose key
	// has no row do not call Lookup every time. 0 means TTL; a negative value does not
	// cache "not found" answers. Errors are never cached.
	NegativeTTL time.Duration

	// OnError says what to do when Lookup fails or KeyColumn is missing from the row:
	// "fail" (default: Apply returns the error and the engine stops), "skip" (keep the
	// event without the added columns, log at Warn) or "drop" (drop the event, log at
	// Warn). Whatever the policy, an error while ctx is done is returned, so an event
	// is never dropped or skipped because the engine is shutting down.
	OnError string

	// Logger receives the warnings of "skip" and "drop"; nil means slog.Default().
	// Key values are not logged.
	Logger *slog.Logger

	// Now is the clock of the cache; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Enrich adds the columns Lookup returns for the value of KeyColumn. It changes After
// of creates, snapshot reads and updates, and Before of deletes (Event.Row); other
// events pass through. A NULL key adds nothing and does not call Lookup. An unchanged
// (TOAST) key is taken from Before when Before has it, and adds nothing otherwise.
// The added columns are not in Event.Schema; rows that got no match lack them.
//
// The cache is safe for concurrent use (one mutex), so one Enrich value may be shared
// by engines; Lookup runs outside the lock, and two engines missing the same key at
// the same time may both call it. Keys are cached by Go value: int64(1) and
// cdc.Decimal 1 are different keys, []byte keys are compared by content.
func Enrich(cfg EnrichConfig) (cdc.Transform, error) {
	if cfg.KeyColumn == "" {
		return nil, fmt.Errorf("%w: EnrichConfig.KeyColumn is empty: name the column whose value is looked up", cdc.ErrInvalidConfig)
	}
	if cfg.Lookup == nil {
		return nil, fmt.Errorf("%w: EnrichConfig.Lookup is nil: set the function that returns the columns for a key", cdc.ErrInvalidConfig)
	}
	switch cfg.OnError {
	case "":
		cfg.OnError = "fail"
	case "fail", "skip", "drop":
	default:
		return nil, fmt.Errorf("%w: EnrichConfig.OnError is %q: use \"fail\", \"skip\" or \"drop\"", cdc.ErrInvalidConfig, cfg.OnError)
	}
	if cfg.TTL < 0 {
		return nil, fmt.Errorf("%w: EnrichConfig.TTL is %v: use a positive duration, or 0 for the default of 5 minutes", cdc.ErrInvalidConfig, cfg.TTL)
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = 10000
	}
	if cfg.TTL == 0 {
		cfg.TTL = 5 * time.Minute
	}
	if cfg.NegativeTTL == 0 {
		cfg.NegativeTTL = cfg.TTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &enrichTransform{cfg: cfg, entries: map[any]*list.Element{}}, nil
}

type enrichTransform struct {
	cfg EnrichConfig

	mu      sync.Mutex
	lru     list.List // of *enrichEntry, most recently used first
	entries map[any]*list.Element
}

type enrichEntry struct {
	key     any
	names   []string // prefixed; shared by every event that uses the entry
	values  []any
	found   bool
	expires time.Time
}

// enrichBytesKey is the cache key of []byte and json.RawMessage values.
type enrichBytesKey string

// enrichOtherKey is the cache key of values of other non-basic types.
type enrichOtherKey struct{ typ, text string }

func (t *enrichTransform) Apply(ctx context.Context, ev *cdc.Event) (bool, error) {
	var r *cdc.Row
	switch ev.Op {
	case cdc.OpCreate, cdc.OpRead, cdc.OpUpdate:
		r = &ev.After
	case cdc.OpDelete:
		r = &ev.Before
	default:
		return true, nil
	}
	if r.IsZero() {
		return true, nil
	}
	key, ok := r.Get(t.cfg.KeyColumn)
	if !ok {
		return t.fail(ctx, ev, fmt.Errorf("transform: enrich: row of %s has no column %q: set EnrichConfig.KeyColumn to one of its columns",
			ev.Table, t.cfg.KeyColumn))
	}
	if cdc.IsUnchanged(key) {
		key = nil
		if r == &ev.After {
			if bv, ok := ev.Before.Get(t.cfg.KeyColumn); ok && !cdc.IsUnchanged(bv) {
				key = bv
			}
		}
	}
	if key == nil {
		return true, nil
	}
	ck := enrichCacheKey(key)
	e := t.get(ck)
	if e == nil {
		found, err := t.cfg.Lookup(ctx, key)
		if err != nil {
			return t.fail(ctx, ev, fmt.Errorf("transform: enrich: lookup of column %q of %s: %w", t.cfg.KeyColumn, ev.Table, err))
		}
		e = t.newEntry(ck, found)
		t.put(e)
	}
	if e.found {
		enrichAdd(r, e.names, e.values)
	}
	return true, nil
}

func (t *enrichTransform) fail(ctx context.Context, ev *cdc.Event, err error) (bool, error) {
	if ctx.Err() != nil || t.cfg.OnError == "fail" {
		return false, err
	}
	log := t.cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	verb := "kept without added columns"
	if t.cfg.OnError == "drop" {
		verb = "dropped"
	}
	log.Warn("transform: enrich: event "+verb, slog.String("table", ev.Table.String()),
		slog.String("event_id", ev.ID()), slog.String("error", err.Error()))
	return t.cfg.OnError == "skip", nil
}

// enrichAdd appends the columns to r, or sets those r already has.
func enrichAdd(r *cdc.Row, names []string, values []any) {
	clash := false
	for _, n := range names {
		if r.Has(n) {
			clash = true
			break
		}
	}
	if clash {
		for i, n := range names {
			r.Set(n, values[i])
		}
		return
	}
	nn := make([]string, 0, r.Len()+len(names))
	nn = append(append(nn, r.Names()...), names...)
	vv := make([]any, 0, r.Len()+len(values))
	vv = append(append(vv, r.Values()...), values...)
	*r = cdc.NewRow(nn, vv)
}

func (t *enrichTransform) newEntry(ck any, found cdc.Row) *enrichEntry {
	e := &enrichEntry{key: ck, found: !found.IsZero()}
	ttl := t.cfg.TTL
	if e.found {
		e.names = make([]string, found.Len())
		for i := range e.names {
			e.names[i] = t.cfg.Prefix + found.Name(i)
		}
		e.values = append([]any(nil), found.Values()...)
	} else {
		ttl = t.cfg.NegativeTTL
	}
	e.expires = t.cfg.Now().Add(ttl)
	return e
}

func (t *enrichTransform) get(ck any) *enrichEntry {
	if t.cfg.MaxEntries < 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.entries[ck]
	if !ok {
		return nil
	}
	e := el.Value.(*enrichEntry)
	if !t.cfg.Now().Before(e.expires) {
		t.lru.Remove(el)
		delete(t.entries, ck)
		return nil
	}
	t.lru.MoveToFront(el)
	return e
}

func (t *enrichTransform) put(e *enrichEntry) {
	if t.cfg.MaxEntries < 0 || (!e.found && t.cfg.NegativeTTL < 0) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[e.key]; ok { // another engine put it meanwhile
		el.Value = e
		t.lru.MoveToFront(el)
		return
	}
	t.entries[e.key] = t.lru.PushFront(e)
	for t.lru.Len() > t.cfg.MaxEntries {
		last := t.lru.Back()
		t.lru.Remove(last)
		delete(t.entries, last.Value.(*enrichEntry).key)
	}
}

// enrichCacheKey turns a column value into a comparable map key.
func enrichCacheKey(v any) any {
	switch x := v.(type) {
	case string, int64, uint64, int, int32, float64, bool, cdc.Decimal, time.Duration, cdc.Infinity, cdc.Interval:
		return x
	case time.Time:
		return x.UTC().Round(0) // the same instant, whatever the location; no monotonic reading
	case []byte:
		return enrichBytesKey(x)
	case json.RawMessage:
		return enrichBytesKey(x)
	}
	return enrichOtherKey{typ: fmt.Sprintf("%T", v), text: string(appendText(nil, v, true))}
}
