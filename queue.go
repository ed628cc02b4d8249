package cdc

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// item is one entry of the queue between the reader goroutine and the handler:
// an event with its checkpoint sequence number, or the stream's end (err may be nil
// for a clean end, io.EOF having been translated).
type item struct {
	ev    *Event
	batch *batchRef // the batch ev lives in, released once ev is done
	seq   uint64
	size  int64
	end   bool
	err   error
}

// queue is a bounded single-producer single-consumer FIFO, limited by count and by
// approximate bytes. Wake-ups go through one-slot channels so both sides can also
// wait on a context.
type queue struct {
	mu        sync.Mutex
	buf       []item
	head      int
	bytes     int64
	maxEvents int
	maxBytes  int64
	notEmpty  chan struct{}
	notFull   chan struct{}
}

func newQueue(maxEvents int, maxBytes int64) *queue {
	return &queue{maxEvents: maxEvents, maxBytes: maxBytes,
		notEmpty: make(chan struct{}, 1), notFull: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (q *queue) lenLocked() int { return len(q.buf) - q.head }

// push appends items, blocking while the queue is full. An end item is always admitted.
func (q *queue) push(ctx context.Context, items []item) error {
	for len(items) > 0 {
		q.mu.Lock()
		n := 0
		for n < len(items) {
			full := q.lenLocked() > 0 && (q.lenLocked() >= q.maxEvents || q.bytes >= q.maxBytes)
			if full && !items[n].end {
				break
			}
			q.buf = append(q.buf, items[n])
			q.bytes += items[n].size
			n++
		}
		q.mu.Unlock()
		if n > 0 {
			signal(q.notEmpty)
			items = items[n:]
			continue
		}
		select {
		case <-q.notFull:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// pop moves up to max items into dst. It blocks until at least one item is there; then,
// if wait > 0, it waits up to wait for the batch to fill.
func (q *queue) pop(ctx context.Context, dst []item, max int, wait time.Duration) ([]item, error) {
	var deadline <-chan time.Time
	for {
		q.mu.Lock()
		for q.lenLocked() > 0 && len(dst) < max {
			it := q.buf[q.head]
			q.buf[q.head] = item{}
			q.head++
			q.bytes -= it.size
			dst = append(dst, it)
			if it.end {
				max = len(dst) // nothing comes after the end
			}
		}
		if q.head == len(q.buf) {
			q.buf, q.head = q.buf[:0], 0
		} else if q.head > 1024 && q.head > len(q.buf)/2 {
			n := copy(q.buf, q.buf[q.head:])
			clear(q.buf[n:]) // drop references to handled events
			q.buf = q.buf[:n]
			q.head = 0
		}
		q.mu.Unlock()
		if len(dst) > 0 {
			signal(q.notFull)
		}
		if len(dst) >= max || (len(dst) > 0 && wait <= 0) {
			return dst, nil
		}
		if len(dst) > 0 && deadline == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-q.notEmpty:
		case <-deadline:
			return dst, nil
		case <-ctx.Done():
			return dst, ctx.Err()
		}
	}
}

func (q *queue) stats() (int, int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lenLocked(), q.bytes
}

// eventSize estimates the memory an event holds, for the queue's byte limit. It is an
// estimate: fixed overhead plus the variable-length values.
func eventSize(ev *Event) int64 {
	n := int64(512 + len(ev.Position) + len(ev.DDL))
	for _, r := range [3]*Row{&ev.Key, &ev.Before, &ev.After} {
		for _, v := range r.values {
			n += 16 + valueSize(v)
		}
	}
	if ev.Message != nil {
		n += int64(len(ev.Message.Content))
	}
	return n
}

func valueSize(v any) int64 {
	switch x := v.(type) {
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	case json.RawMessage:
		return int64(len(x))
	case []any:
		n := int64(24)
		for _, e := range x {
			n += 16 + valueSize(e)
		}
		return n
	case []string:
		n := int64(24)
		for _, e := range x {
			n += 16 + int64(len(e))
		}
		return n
	case map[string]any:
		n := int64(48)
		for k, e := range x {
			n += 32 + int64(len(k)) + valueSize(e)
		}
		return n
	}
	return 8
}
