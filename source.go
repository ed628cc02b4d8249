package cdc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// A Source opens change streams. The postgres, mysql and mongo packages implement it;
// cdctest.Source is a scripted fake.
type Source interface {
	// Open starts a stream that delivers every change after req.Position (or, with a
	// nil position, starts according to the source's snapshot mode). Open returns errors
	// about the server's settings and privileges here, before any event is read.
	Open(ctx context.Context, req OpenRequest) (Stream, error)
}

// Stream is one open change stream.
//
// Read and Commit may be called from different goroutines at the same time; Close may be
// called concurrently with both and makes a blocked Read return.
type Stream interface {
	// Read blocks until at least one event is available and returns them in commit order.
	// It must return promptly when ctx is done: the engine waits for it to shut down.
	// The caller owns the returned slice (the engine recycles arrays that came from
	// OpenRequest.NewBatch once their events are done). Read returns io.EOF itself (not
	// wrapped) when the stream has ended for good (snapshot mode initial_only), an error
	// for which IsRetryable is true when the connection was lost (a network io.EOF
	// wrapped in it is such an error, not the end), and ctx.Err() when ctx is done.
	Read(ctx context.Context) ([]Event, error)

	// Commit tells the source that everything up to pos is durably stored in the offset
	// store, so the server may discard it (PostgreSQL: confirm the LSN as flushed).
	// pos is a Position this stream, or an earlier stream of the same source in the
	// same run (before a reconnect), returned on an event.
	Commit(ctx context.Context, pos Position) error

	// Close releases the stream's connections.
	Close() error
}

// OpenRequest is what the engine gives a source when it opens a stream.
type OpenRequest struct {
	// Name is the engine name; sources use it in Event.Source.Name and to name
	// auxiliary state.
	Name string
	// Position is the stored position to resume after, or nil.
	Position Position
	// Offsets is the engine's offset store. Sources may keep auxiliary state in it
	// (the MySQL schema history) under keys derived from Name with AuxKey.
	Offsets OffsetStore
	// Logger is never nil when the engine opens the stream.
	Logger *slog.Logger
	// Reporter receives state changes, snapshot progress and source status. Call it
	// through the request's methods, which accept a nil Reporter.
	Reporter Reporter

	batches *batchPool
}

// NewBatch returns an empty event slice with room for n events, for Read to fill and
// return. Inside the engine it reuses the array of a batch whose events are all done,
// which saves allocating and collecting hundreds of bytes per event; elsewhere it is
// make([]Event, 0, n). Either way the slice's spare capacity holds zero Events, so a
// source may extend the slice and set an element's fields in place.
func (r OpenRequest) NewBatch(n int) []Event { return r.batches.get(n) }

// AuxKey returns the offset-store key for a source's auxiliary state, e.g.
// AuxKey("schema-history") = "<name>/schema-history".
func (r OpenRequest) AuxKey(suffix string) string { return r.Name + "/" + suffix }

// Log returns the request's logger, or a logger that discards everything.
func (r OpenRequest) Log() *slog.Logger {
	if r.Logger == nil {
		return discardLogger
	}
	return r.Logger
}

// SetState reports the stream's state (snapshotting, streaming).
func (r OpenRequest) SetState(s State) {
	if r.Reporter != nil {
		r.Reporter.SetState(s)
	}
}

// SnapshotProgress reports snapshot progress of one table.
func (r OpenRequest) SnapshotProgress(p SnapshotProgress) {
	if r.Reporter != nil {
		r.Reporter.SnapshotProgress(p)
	}
}

// SourceStatus reports the source's own view of its health (server lag, retained WAL).
func (r OpenRequest) SourceStatus(s SourceStatus) {
	if r.Reporter != nil {
		r.Reporter.SourceStatus(s)
	}
}

// Reporter is implemented by the engine; sources report through OpenRequest's methods.
type Reporter interface {
	SetState(State)
	SnapshotProgress(SnapshotProgress)
	SourceStatus(SourceStatus)
}

// SnapshotMode says when a source takes a snapshot of the captured tables.
type SnapshotMode string

// Snapshot modes, shared by all sources.
const (
	// SnapshotInitial snapshots when there is no stored position, then streams. The default.
	SnapshotInitial SnapshotMode = "initial"
	// SnapshotNever only streams, from the stored position or the server's current one.
	SnapshotNever SnapshotMode = "never"
	// SnapshotInitialOnly snapshots when there is no stored position, then ends (io.EOF).
	SnapshotInitialOnly SnapshotMode = "initial_only"
	// SnapshotWhenNeeded is SnapshotInitial, and snapshots again when the stored position
	// is gone from the server instead of failing with ErrPositionLost.
	SnapshotWhenNeeded SnapshotMode = "when_needed"
	// SnapshotAlways snapshots at every start, then streams.
	SnapshotAlways SnapshotMode = "always"
)

// ParseSnapshotMode accepts the mode names above; "" means SnapshotInitial.
func ParseSnapshotMode(s string) (SnapshotMode, error) {
	switch m := SnapshotMode(strings.ToLower(s)); m {
	case "":
		return SnapshotInitial, nil
	case SnapshotInitial, SnapshotNever, SnapshotInitialOnly, SnapshotWhenNeeded, SnapshotAlways:
		return m, nil
	}
	return "", fmt.Errorf("%w: snapshot mode %q is unknown: use initial, never, initial_only, when_needed or always",
		ErrInvalidConfig, s)
}

// A Transform changes an event in place before the handler sees it. Returning
// keep=false drops the event: it counts as handled. An error stops the engine; the
// event is not handled. Transforms run in order on the engine's reader goroutine.
// ev is valid during the call only (its memory is reused later): keep a copy, not the
// pointer.
type Transform interface {
	Apply(ctx context.Context, ev *Event) (keep bool, err error)
}

// TransformFunc adapts a function to Transform.
type TransformFunc func(ctx context.Context, ev *Event) (keep bool, err error)

// Apply calls f.
func (f TransformFunc) Apply(ctx context.Context, ev *Event) (bool, error) { return f(ctx, ev) }
