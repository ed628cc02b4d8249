package cdc

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Option configures an Engine. Options are validated together by NewEngine.
type Option interface{ apply(*config) }

type optFunc func(*config)

func (f optFunc) apply(c *config) { f(c) }

type config struct {
	name               string
	store              OffsetStore
	transforms         []Transform
	logger             *slog.Logger
	hooks              []Hook
	commitInterval     time.Duration
	queueEvents        int
	queueBytes         int64
	batchEvents        int
	batchWait          time.Duration
	backoffMin         time.Duration
	backoffMax         time.Duration
	maxReconnects      int
	commitFailureLimit int
	shutdownTimeout    time.Duration
	handlerSaves       bool

	errs []error
}

func defaultConfig() config {
	return config{
		name:               "tributary",
		logger:             discardLogger,
		commitInterval:     time.Second,
		queueEvents:        8192,
		queueBytes:         64 << 20,
		batchEvents:        1000,
		batchWait:          100 * time.Millisecond,
		backoffMin:         100 * time.Millisecond,
		backoffMax:         30 * time.Second,
		commitFailureLimit: 10,
		shutdownTimeout:    10 * time.Second,
	}
}

func (c *config) fail(field, problem string) {
	c.errs = append(c.errs, ConfigError(field, problem))
}

func (c *config) validate() error {
	if c.name == "" {
		c.fail("WithName", "must not be empty: it is the key of the stored offsets")
	}
	if c.commitInterval <= 0 {
		c.fail("WithCommitInterval", fmt.Sprintf("is %v: use a positive interval such as time.Second", c.commitInterval))
	}
	if c.queueEvents < 1 || c.queueBytes < 1 {
		c.fail("WithQueueLimits", fmt.Sprintf("is (%d events, %d bytes): both must be at least 1", c.queueEvents, c.queueBytes))
	}
	if c.batchEvents < 1 || c.batchWait < 0 {
		c.fail("WithBatch", fmt.Sprintf("is (%d events, %v): use at least 1 event and a wait of 0 or more", c.batchEvents, c.batchWait))
	}
	if c.backoffMin <= 0 || c.backoffMax < c.backoffMin {
		c.fail("WithReconnectBackoff", fmt.Sprintf("is (%v, %v): min must be positive and max at least min", c.backoffMin, c.backoffMax))
	}
	if c.maxReconnects < 0 {
		c.fail("WithMaxReconnects", fmt.Sprintf("is %d: use 0 for unlimited or a positive count", c.maxReconnects))
	}
	if c.commitFailureLimit < 1 {
		c.fail("WithCommitFailureLimit", fmt.Sprintf("is %d: use at least 1", c.commitFailureLimit))
	}
	if c.handlerSaves && c.store == nil {
		c.fail("WithOffsetsSavedByHandler", "needs WithOffsetStore: the engine loads the handler's saved positions from it")
	}
	return errors.Join(c.errs...)
}

// WithName names the engine: it is the key of the stored offsets and the first part of
// every event's default Destination. Default "tributary"; give each engine sharing an
// offset store its own name.
func WithName(name string) Option { return optFunc(func(c *config) { c.name = name }) }

// WithOffsetStore sets where positions are saved. Without one, positions live in memory
// only: a second Run of the same Engine resumes, a new process starts over.
func WithOffsetStore(s OffsetStore) Option {
	return optFunc(func(c *config) {
		if s == nil {
			c.fail("WithOffsetStore", "is nil: pass a store from the offsets package, or leave the option out")
		}
		c.store = s
	})
}

// WithTransforms appends transforms; they run in order on every event before the handler.
func WithTransforms(ts ...Transform) Option {
	return optFunc(func(c *config) {
		for i, t := range ts {
			if t == nil {
				c.fail("WithTransforms", fmt.Sprintf("argument %d is nil", i))
				continue
			}
			c.transforms = append(c.transforms, t)
		}
	})
}

// WithLogger sets the logger. The engine logs reconnects and commit failures at Warn,
// lifecycle at Info, never row values. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return optFunc(func(c *config) {
		if l == nil {
			l = discardLogger
		}
		c.logger = l
	})
}

// WithHooks adds observers; each must implement at least one Hook interface.
func WithHooks(hooks ...Hook) Option {
	return optFunc(func(c *config) { c.hooks = append(c.hooks, hooks...) })
}

// WithCommitInterval sets how often the committable position is saved and confirmed to
// the source (default 1s). Positions are also committed when the engine stops.
func WithCommitInterval(d time.Duration) Option {
	return optFunc(func(c *config) { c.commitInterval = d })
}

// WithQueueLimits bounds the events read ahead of the handler, by count and by
// approximate size in bytes (defaults 8192 events, 64 MiB). When either is reached the
// engine stops reading, so a slow handler slows the source instead of growing memory.
// A single event larger than maxBytes is still admitted when the queue is empty.
func WithQueueLimits(maxEvents int, maxBytes int64) Option {
	return optFunc(func(c *config) { c.queueEvents, c.queueBytes = maxEvents, maxBytes })
}

// WithBatch sets RunBatch's batch size: at most maxEvents per call, and at most maxWait
// spent waiting to fill a batch once one event is there (defaults 1000, 100ms).
func WithBatch(maxEvents int, maxWait time.Duration) Option {
	return optFunc(func(c *config) { c.batchEvents, c.batchWait = maxEvents, maxWait })
}

// WithReconnectBackoff sets the exponential backoff between reconnects after a
// retryable error (defaults 100ms doubling to 30s, with jitter).
func WithReconnectBackoff(min, max time.Duration) Option {
	return optFunc(func(c *config) { c.backoffMin, c.backoffMax = min, max })
}

// WithMaxReconnects stops the engine after n consecutive failed reconnects
// (default 0: keep trying). The count resets when events flow again.
func WithMaxReconnects(n int) Option { return optFunc(func(c *config) { c.maxReconnects = n }) }

// WithCommitFailureLimit stops the engine after n consecutive failed offset saves
// (default 10). Single failures are logged, reported to HookCommit and retried at the
// next interval: nothing is confirmed to the source while saves fail.
func WithCommitFailureLimit(n int) Option {
	return optFunc(func(c *config) { c.commitFailureLimit = n })
}

// WithShutdownTimeout bounds the final commit when the engine stops (default 10s).
func WithShutdownTimeout(d time.Duration) Option {
	return optFunc(func(c *config) { c.shutdownTimeout = d })
}

// WithOffsetsSavedByHandler is for exactly-once sinks: the handler saves ev.Position
// itself, in the same database transaction as its data (offsets.SQL.SaveTx). The engine
// then loads positions from the store on start and confirms handled positions to the
// source, but never saves them itself, so a periodic save can never move the stored
// position back behind a transaction the handler committed.
func WithOffsetsSavedByHandler() Option {
	return optFunc(func(c *config) { c.handlerSaves = true })
}
