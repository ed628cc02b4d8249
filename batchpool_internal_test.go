package cdc

import (
	"testing"
	"unsafe"
)

func TestBatchPool(t *testing.T) {
	p := newBatchPool()
	for _, c := range []struct{ n, class int }{{1, 0}, {8, 0}, {9, 1}, {512, 6}, {513, 7}, {1 << 16, 13}, {1<<16 + 1, -1}} {
		if got := class(c.n); got != c.class {
			t.Errorf("class(%d) = %d, want %d", c.n, got, c.class)
		}
	}
	a := p.get(300)
	if len(a) != 0 || cap(a) != 512 {
		t.Fatalf("get(300): len %d cap %d, want 0 and 512", len(a), cap(a))
	}
	a = append(a, Event{Op: OpCreate})
	p.put(a)
	if b := p.get(500); unsafe.SliceData(b[:1]) != unsafe.SliceData(a[:1]) || len(b) != 0 {
		t.Fatal("a returned array of the right class is not reused")
	} else if b[:1][0].Op != 0 {
		t.Fatal("a reused array still holds its old event (sources build events in place)")
	}
	if b := p.get(100); cap(b) != 128 {
		t.Fatalf("get(100) after a 512 was taken: cap %d, want 128 (classes are separate)", cap(b))
	}
	foreign := make([]Event, 0, 512) // the source's own array: never handed out by the pool
	p.put(foreign)
	if b := p.get(512); unsafe.SliceData(b[:1]) == unsafe.SliceData(foreign[:1]) {
		t.Fatal("the pool handed out an array it did not make")
	}
}
