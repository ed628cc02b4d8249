// Package feed is the plumbing the database sources share: a goroutine that reads the
// database hands batches of events to the engine's Read calls (Feed), and snapshot
// batches go out one batch behind so Debezium's first/last markers land on the right
// rows (Marker).
package feed

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/cdc"
)

type batch struct {
	evs []cdc.Event
	err error
}

// Feed connects a source's reader goroutine (Send, Fail) to cdc.Stream.Read. Read
// is called by one goroutine; Send and Fail by the reader.
type Feed struct {
	name      string
	out       chan batch
	closed    chan struct{}
	closeOnce atomic.Bool
	final     error // what Read returns forever after
}

// New returns a feed; name prefixes its errors ("postgres", "mysql").
func New(name string) *Feed {
	return &Feed{name: name, out: make(chan batch, 4), closed: make(chan struct{})}
}

// Read implements cdc.Stream.Read: the next batch, the reader's error (forever after),
// the context's error, or a retryable error once the feed is closed.
func (f *Feed) Read(ctx context.Context) ([]cdc.Event, error) {
	if f.final != nil {
		return nil, f.final
	}
	select {
	case b := <-f.out:
		if b.err != nil {
			f.final = b.err
		}
		return b.evs, b.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.closed:
		return nil, cdc.Retryable(errors.New(f.name + ": stream closed"))
	}
}

// Send hands a batch to Read; the engine owns it from then on. While Read does not
// take it (backpressure), Send calls onTick at each tick, so a source can keep its
// server connection alive; tick and onTick may be nil.
func (f *Feed) Send(ctx context.Context, evs []cdc.Event, tick <-chan time.Time, onTick func() error) error {
	for {
		select {
		case f.out <- batch{evs: evs}:
			return nil
		case <-tick:
			if err := onTick(); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Fail hands the reader's terminal error to Read (unless the feed is closed first).
func (f *Feed) Fail(err error) {
	select {
	case f.out <- batch{err: err}:
	case <-f.closed:
	}
}

// Close makes Read and Fail return; it reports whether this call closed the feed.
func (f *Feed) Close() bool {
	if f.closeOnce.Swap(true) {
		return false
	}
	close(f.closed)
	return true
}

// Marker sends snapshot batches one batch behind, so that Debezium's markers can be
// placed: "first" on the snapshot's first row (not on a resumed snapshot's, see
// Resumed), "last" on its last row, whichever table it is in.
type Marker struct {
	first bool // placed already
	held  []cdc.Event
}

// Resumed says the snapshot continues an earlier one: it has no first row.
func (m *Marker) Resumed() { m.first = true }

// Send queues a batch; send is how batches reach the engine.
func (m *Marker) Send(evs []cdc.Event, send func([]cdc.Event) error) error {
	if !m.first && len(evs) > 0 && evs[0].Op == cdc.OpRead {
		m.first = true
		evs[0].Source.Snapshot = cdc.SnapshotFirst
	}
	if len(m.held) == 0 {
		m.held = evs
		return nil
	}
	if len(evs) > 0 && evs[0].Op == cdc.OpRead { // rows: the held batch is not the last
		held := m.held
		m.held = evs
		return send(held)
	}
	m.held = append(m.held, evs...) // a position without rows stays behind the held rows
	return nil
}

// SendAt queues a batch whose last event is a resume point at pos (nil: none). A
// batch without rows sends pos on a heartbeat, or nothing when pos is nil.
func (m *Marker) SendAt(evs []cdc.Event, pos cdc.Position, send func([]cdc.Event) error) error {
	if len(evs) == 0 {
		if pos == nil {
			return nil
		}
		evs = append(evs, cdc.Event{Op: cdc.OpHeartbeat})
	}
	evs[len(evs)-1].Position = pos
	return m.Send(evs, send)
}

// Finish marks the last row (a one-row snapshot's row is "last") and sends what is held.
func (m *Marker) Finish(send func([]cdc.Event) error) error {
	for i := len(m.held) - 1; i >= 0; i-- {
		if ev := &m.held[i]; ev.Op == cdc.OpRead {
			ev.Source.Snapshot = cdc.SnapshotLast
			break
		}
	}
	if len(m.held) == 0 {
		return nil
	}
	held := m.held
	m.held = nil
	return send(held)
}
