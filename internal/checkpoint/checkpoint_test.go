package checkpoint

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func p(s string) []byte { return []byte(s) }

func TestInOrder(t *testing.T) {
	tr := New()
	a := tr.Track(p("a"))
	b := tr.Track(nil) // inside a transaction: not a resume point
	c := tr.Track(p("c"))
	if pos, _, _ := tr.Committable(); pos != nil {
		t.Fatalf("nothing done, committable = %q", pos)
	}
	tr.Done(a)
	if pos, seq, _ := tr.Committable(); string(pos) != "a" || seq != a {
		t.Fatalf("after a: %q %d", pos, seq)
	}
	tr.Done(b)
	if pos, _, _ := tr.Committable(); string(pos) != "a" {
		t.Fatalf("b has no position, committable must stay a, got %q", pos)
	}
	tr.Done(c)
	if pos, seq, n := tr.Committable(); string(pos) != "c" || seq != c || n != 3 {
		t.Fatalf("after c: %q %d %d", pos, seq, n)
	}
	if tr.InFlight() != 0 {
		t.Fatalf("in flight %d", tr.InFlight())
	}
}

func TestOutOfOrderNeverPassesUnhandled(t *testing.T) {
	tr := New()
	s1 := tr.Track(p("1"))
	s2 := tr.Track(p("2"))
	s3 := tr.Track(p("3"))
	tr.Done(s3) // dropped by a transform while 1 and 2 wait for the handler
	tr.Done(s2)
	if pos, _, _ := tr.Committable(); pos != nil {
		t.Fatalf("event 1 is unhandled, committable must be nil, got %q", pos)
	}
	tr.Done(s1)
	if pos, _, _ := tr.Committable(); string(pos) != "3" {
		t.Fatalf("got %q, want 3", pos)
	}
	tr.Done(s1) // twice: no-op
	tr.Done(99) // never tracked: no-op
	if pos, _, n := tr.Committable(); string(pos) != "3" || n != 3 {
		t.Fatalf("got %q %d", pos, n)
	}
}

// TestRandom checks the invariant against a model under random interleavings,
// across ring growth and wrap-around.
func TestRandom(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			tr := New()
			var seqs []uint64
			var pos [][]byte
			done := map[uint64]bool{}
			for step := 0; step < 3000; step++ {
				if rng.IntN(3) > 0 {
					var ps []byte
					if rng.IntN(4) > 0 {
						ps = p(fmt.Sprint(len(seqs)))
					}
					seqs = append(seqs, tr.Track(ps))
					pos = append(pos, ps)
				} else if len(seqs) > 0 {
					i := rng.IntN(len(seqs))
					tr.Done(seqs[i])
					done[seqs[i]] = true
				}
				// Model: last positioned event of the done prefix.
				var want []byte
				for i, s := range seqs {
					if !done[s] {
						break
					}
					if pos[i] != nil {
						want = pos[i]
					}
				}
				got, _, _ := tr.Committable()
				if string(got) != string(want) {
					t.Fatalf("step %d: committable %q, model %q", step, got, want)
				}
			}
		})
	}
}

func TestDoneRange(t *testing.T) {
	tr := New()
	var first, last uint64
	for i := 0; i < 200; i++ {
		s := tr.Track(p(fmt.Sprint(i)))
		if i == 0 {
			first = s
		}
		last = s
	}
	tr.DoneRange(first+1, last)
	if pos, _, _ := tr.Committable(); pos != nil {
		t.Fatalf("first unhandled, got %q", pos)
	}
	tr.DoneRange(first, first)
	if pos, _, n := tr.Committable(); string(pos) != "199" || n != 200 {
		t.Fatalf("got %q %d", pos, n)
	}
}

func BenchmarkTrackDone(b *testing.B) {
	tr := New()
	pos := p("x")
	b.ReportAllocs()
	for b.Loop() {
		tr.Done(tr.Track(pos))
	}
}
