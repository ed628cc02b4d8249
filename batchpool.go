package cdc

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"
)

// Batch recycling. Every event a source returns sits in a batch array the source
// allocated; at hundreds of bytes per event, allocating, zeroing and collecting
// those arrays costs more than the engine's own work (an alternating benchmark: about
// 150 ns per event fresh, under 30 ns reused). The engine therefore gives the array of
// a batch back once every event in it is done — handled, dropped or a heartbeat —
// and OpenRequest.NewBatch hands it out again. Nothing refers to a done event: handlers
// get copies, and transforms and hooks see *Event only during their call.

// batchPool keeps free batch arrays by capacity class (powers of two from 8 to
// 64Ki events), so a one-event transaction never pins an array sized for a snapshot
// chunk. It only takes back arrays it made: a source may return slices of arrays it
// keeps for itself. It knows them by weak pointers, so an array a source drops
// instead of returning is still collected.
type batchPool struct {
	free [numClasses]chan []Event
	mu   sync.Mutex
	ours map[weak.Pointer[Event]]struct{} // the arrays made by get and not dropped
	made int
}

const (
	minClassLog = 3  // 8 events
	maxClassLog = 16 // 65,536 events
	numClasses  = maxClassLog - minClassLog + 1
)

func newBatchPool() *batchPool {
	p := &batchPool{ours: map[weak.Pointer[Event]]struct{}{}}
	for i := range p.free {
		// Up to 8 spare arrays per class, fewer of the largest: at most ~30 MB each.
		p.free[i] = make(chan []Event, min(8, 1<<max(0, numClasses-1-i)))
	}
	return p
}

// class is the capacity class for n events, or -1 beyond the largest.
func class(n int) int {
	c := max(bits.Len(uint(n-1)), minClassLog) - minClassLog
	if c >= numClasses {
		return -1
	}
	return c
}

// get returns an empty slice with room for n events (up to twice as many).
func (p *batchPool) get(n int) []Event {
	c := class(n)
	if p == nil || n <= 0 || c < 0 {
		return make([]Event, 0, n)
	}
	select {
	case b := <-p.free[c]:
		return b
	default:
	}
	b := make([]Event, 0, 1<<(c+minClassLog))
	p.mu.Lock()
	p.ours[weak.Make(unsafe.SliceData(b[:1]))] = struct{}{}
	if p.made++; p.made%256 == 0 {
		for w := range p.ours {
			if w.Value() == nil { // collected: its source dropped it
				delete(p.ours, w)
			}
		}
	}
	p.mu.Unlock()
	return b
}

func (p *batchPool) put(b []Event) {
	if cap(b) == 0 {
		return
	}
	first := weak.Make(unsafe.SliceData(b[:1]))
	p.mu.Lock()
	_, ok := p.ours[first]
	p.mu.Unlock()
	if !ok {
		return
	}
	// Cleared here, by the consumer, rather than event by event by the source's reader,
	// which is the snapshot's bottleneck: NewBatch's spare capacity is zero Events, and
	// a spare array holds no stale pointers for the GC to follow.
	clear(b)
	select {
	case p.free[class(cap(b))] <- b[:0]:
	default: // enough spare arrays of this size: let the GC have this one
		p.mu.Lock()
		delete(p.ours, first)
		p.mu.Unlock()
	}
}

// batchRef counts the events of one batch that are not done yet, plus one held by the
// reader until it has prepared them all; the last release recycles the array.
type batchRef struct {
	left atomic.Int32
	evs  []Event
	pool *batchPool
}

func (b *batchRef) release() {
	if b != nil && b.left.Add(-1) == 0 {
		b.pool.put(b.evs)
	}
}
