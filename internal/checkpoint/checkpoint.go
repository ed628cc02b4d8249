// Package checkpoint maps handled events to the highest position that is safe to commit.
//
// Events are tracked in the order the source delivered them, each with its resume
// position (nil when the event is not a safe resume point). They may be marked done in
// any order: transforms drop events on the reader goroutine while earlier events still
// wait for the handler. The committable position is the position of the last event of
// the longest done prefix that has a position: every event before it is handled, and
// the source can resume right after it. This is the "capped" checkpointer of redpanda
// connect, with a ring buffer so steady state does not allocate.
package checkpoint

import (
	"sync"
)

// Tracker is safe for concurrent use.
type Tracker struct {
	mu      sync.Mutex
	ring    []entry // ring buffer of in-flight events
	head    int     // index of the oldest in-flight event in ring
	n       int     // number of in-flight events
	base    uint64  // sequence number of ring[head]
	next    uint64  // sequence number of the next tracked event
	safe    []byte  // committable position
	safeSeq uint64  // sequence number of the event safe belongs to (0: none yet)
	handled uint64  // count of events done in the prefix, for commit statistics
}

type entry struct {
	pos  []byte
	done bool
}

// New returns an empty tracker. Sequence numbers start at 1.
func New() *Tracker {
	return &Tracker{ring: make([]entry, 64), base: 1, next: 1}
}

// Track records an event in delivery order and returns its sequence number.
func (t *Tracker) Track(pos []byte) uint64 {
	t.mu.Lock()
	if t.n == len(t.ring) {
		t.grow()
	}
	t.ring[(t.head+t.n)%len(t.ring)] = entry{pos: pos}
	t.n++
	seq := t.next
	t.next++
	t.mu.Unlock()
	return seq
}

// TrackMany records n events at once (one lock) whose positions pos(i) returns, and
// returns the sequence number of the first; the others follow consecutively.
func (t *Tracker) TrackMany(n int, pos func(i int) []byte) uint64 {
	t.mu.Lock()
	first := t.next
	for i := 0; i < n; i++ {
		if t.n == len(t.ring) {
			t.grow()
		}
		t.ring[(t.head+t.n)%len(t.ring)] = entry{pos: pos(i)}
		t.n++
	}
	t.next += uint64(n)
	t.mu.Unlock()
	return first
}

func (t *Tracker) grow() {
	ring := make([]entry, len(t.ring)*2)
	for i := 0; i < t.n; i++ {
		ring[i] = t.ring[(t.head+i)%len(t.ring)]
	}
	t.ring, t.head = ring, 0
}

// DoneNoPos marks an event handled and forgets its position, so it can never become
// the committable position (for events whose position the offset store will not hold).
func (t *Tracker) DoneNoPos(seq uint64) {
	t.mu.Lock()
	if seq >= t.base && seq < t.base+uint64(t.n) {
		t.ring[(t.head+int(seq-t.base))%len(t.ring)].pos = nil
	}
	t.mu.Unlock()
	t.DoneRange(seq, seq)
}

// Done marks the event with sequence number seq as handled. Marking an event twice,
// or one that was never tracked, is a no-op.
func (t *Tracker) Done(seq uint64) {
	t.DoneRange(seq, seq)
}

// DoneRange marks events from through to (inclusive) as handled.
func (t *Tracker) DoneRange(from, to uint64) {
	t.mu.Lock()
	if from < t.base {
		from = t.base
	}
	if to >= t.base+uint64(t.n) {
		to = t.base + uint64(t.n) - 1
	}
	for s := from; s <= to && s >= t.base; s++ {
		t.ring[(t.head+int(s-t.base))%len(t.ring)].done = true
	}
	// Pop the done prefix, remembering the last safe position in it.
	for t.n > 0 {
		e := &t.ring[t.head]
		if !e.done {
			break
		}
		if e.pos != nil {
			t.safe, t.safeSeq = e.pos, t.base
		}
		*e = entry{}
		t.head = (t.head + 1) % len(t.ring)
		t.n--
		t.base++
		t.handled++
	}
	t.mu.Unlock()
}

// Committable returns the highest safe position (nil if none yet), the sequence number
// of its event, and how many events have been handled in order so far.
func (t *Tracker) Committable() (pos []byte, seq uint64, handled uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.safe, t.safeSeq, t.handled
}

// InFlight returns the number of tracked events not yet popped (handled or not).
func (t *Tracker) InFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}
