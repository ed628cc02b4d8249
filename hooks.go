package cdc

import (
	"log/slog"
	"time"
)

// Hook is any value implementing one or more of the hook interfaces below
// (HookEventRead, HookCommit, ...). The engine finds out which by type assertion, once,
// at NewEngine. Hooks are called synchronously: keep them fast. A metrics adapter
// (Prometheus, OpenTelemetry) lives outside this package and implements the ones it needs.
type Hook any

// HookEventRead is called for each event read from the source, before transforms,
// with the lag behind the source commit time (0 when the source gives no commit time).
// ev is valid during the call only.
type HookEventRead interface {
	OnEventRead(ev *Event, lag time.Duration)
}

// HookEventHandled is called after the handler accepted a batch of n events
// (n is 1 for Run and Events).
type HookEventHandled interface {
	OnEventsHandled(n int, took time.Duration)
}

// CommitInfo describes one attempt to save and confirm a position.
type CommitInfo struct {
	Position Position
	Events   int64         // events handled since the previous successful commit
	Took     time.Duration // offset store save plus source confirmation
	Err      error
}

// HookCommit is called after every commit attempt, successful or not.
type HookCommit interface {
	OnCommit(CommitInfo)
}

// HookReconnect is called before the engine waits delay and reconnects after err.
type HookReconnect interface {
	OnReconnect(attempt int, err error, delay time.Duration)
}

// SnapshotProgress is a source's report on the snapshot of one table.
type SnapshotProgress struct {
	Table     TableID
	RowsRead  int64
	RowsTotal int64 // an estimate; 0 when unknown
	Done      bool
}

// HookSnapshotProgress receives snapshot progress reports.
type HookSnapshotProgress interface {
	OnSnapshotProgress(SnapshotProgress)
}

// SourceStatus is a source's report on its position on the server.
type SourceStatus struct {
	// ServerPosition is the server's current write position, as the source prints it.
	ServerPosition string
	// RetainedBytes is how much the server keeps for this consumer (PostgreSQL: WAL
	// retained by the slot); -1 when unknown.
	RetainedBytes int64
}

// HookSourceStatus receives source status reports.
type HookSourceStatus interface {
	OnSourceStatus(SourceStatus)
}

// State is the engine's lifecycle state.
type State uint8

// Engine states.
const (
	StateIdle State = iota
	StateStarting
	StateSnapshotting
	StateStreaming
	StateReconnecting
	StateStopped
	StateFailed
)

var stateNames = [...]string{"idle", "starting", "snapshotting", "streaming", "reconnecting", "stopped", "failed"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// HookStateChange is called on every state change.
type HookStateChange interface {
	OnStateChange(from, to State)
}

// Stats is a snapshot of an engine's counters, from Engine.Stats.
type Stats struct {
	State          State
	EventsRead     int64 // from the source, before transforms
	EventsHandled  int64 // accepted by the handler
	EventsDropped  int64 // dropped by transforms (counted as handled for positions)
	Commits        int64 // successful offset commits
	CommitErrors   int64
	Reconnects     int64
	QueuedEvents   int   // read but not yet handled
	QueuedBytes    int64 // their approximate size
	Lag            time.Duration
	LastCommitted  Position // last position saved in the offset store
	LastCommitTime time.Time
	SnapshotTables int // tables whose snapshot is done (from progress reports)
	SourceStatus   SourceStatus
}

var discardLogger = slog.New(slog.DiscardHandler)

type hookSet struct {
	read     []HookEventRead
	handled  []HookEventHandled
	commit   []HookCommit
	recon    []HookReconnect
	snapshot []HookSnapshotProgress
	status   []HookSourceStatus
	state    []HookStateChange
}

func newHookSet(hooks []Hook) (hookSet, bool) {
	var s hookSet
	ok := true
	for _, h := range hooks {
		any := false
		if x, is := h.(HookEventRead); is {
			s.read, any = append(s.read, x), true
		}
		if x, is := h.(HookEventHandled); is {
			s.handled, any = append(s.handled, x), true
		}
		if x, is := h.(HookCommit); is {
			s.commit, any = append(s.commit, x), true
		}
		if x, is := h.(HookReconnect); is {
			s.recon, any = append(s.recon, x), true
		}
		if x, is := h.(HookSnapshotProgress); is {
			s.snapshot, any = append(s.snapshot, x), true
		}
		if x, is := h.(HookSourceStatus); is {
			s.status, any = append(s.status, x), true
		}
		if x, is := h.(HookStateChange); is {
			s.state, any = append(s.state, x), true
		}
		ok = ok && any
	}
	return s, ok
}
