// Package arena cuts the values of snapshot rows from shared allocations: strings from
// large append-only buffers, and interfaces boxing numbers, times and decimals from
// typed slabs. A snapshot decodes millions of rows, each with several values that the
// Go runtime would otherwise allocate one by one (a string copy, and a heap object for
// every non-pointer value put into an interface); here it is one allocation per
// thousands of bytes or hundreds of values.
//
// The price is retention: a value keeps its whole chunk alive. For snapshot rows,
// which are handled and dropped batch by batch, that is some batches' worth at most,
// unless a handler keeps values for longer. Neither type is safe for concurrent use:
// each snapshot reader has its own.
package arena

import (
	"encoding/json"
	"time"
	"unsafe"

	"github.com/tributary-cdc/cdc"
)

// Strings cuts strings from large append-only buffers. Bytes handed out are never
// written again, as unsafe.String requires.
type Strings struct{ buf []byte }

// Chunk is the size of a Strings buffer: the largest small-object size class.
const Chunk = 32 << 10

// Alloc returns n bytes to write a string into, before handing it out with Cut.
func (a *Strings) Alloc(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		if n > Chunk/8 { // a large value gets its own allocation
			return make([]byte, n)
		}
		a.buf = make([]byte, 0, Chunk)
	}
	m := len(a.buf)
	a.buf = a.buf[:m+n]
	return a.buf[m : m+n : m+n]
}

// Cut returns b, filled by the caller after Alloc, as a string. b must not be written
// again.
func Cut(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// String returns a string of b, copied into the arena.
func (a *Strings) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	d := a.Alloc(len(b))
	copy(d, b)
	return Cut(d)
}

// Boxable are the types Box boxes: none is pointer-shaped, so an interface holding
// one points to its value.
type Boxable interface {
	int64 | uint64 | float64 | bool | string | time.Time | time.Duration | cdc.Decimal | cdc.Interval |
		[]byte | json.RawMessage | []string
}

// Box boxes values into interfaces that point into a shared array instead of a heap
// object each: one allocation per BoxChunk values instead of one per value. It builds
// the interface from its two words (type, pointer to the value), the layout the gc
// compiler uses for every interface; TestBox checks it for every Boxable type. A slot
// is written once, before its interface exists, and never again.
type Box[T Boxable] struct {
	typ  unsafe.Pointer // T's type word
	free []T
}

// BoxChunk is the number of values of one Box allocation.
const BoxChunk = 256

type eface struct{ typ, data unsafe.Pointer }

// Box returns v in an interface, as any(v) would.
func (s *Box[T]) Box(v T) any {
	if len(s.free) == 0 {
		if s.typ == nil {
			var zero any = *new(T)
			s.typ = (*eface)(unsafe.Pointer(&zero)).typ
		}
		s.free = make([]T, BoxChunk)
	}
	p := &s.free[0]
	*p = v
	s.free = s.free[1:]
	var out any
	*(*eface)(unsafe.Pointer(&out)) = eface{typ: s.typ, data: unsafe.Pointer(p)}
	return out
}
