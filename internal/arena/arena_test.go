package arena

import (
	"encoding/json"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// TestBox checks that interfaces built by Box are ordinary interfaces: equal to the
// same values boxed by the compiler, seen by type switches and reflect, and intact
// after collections and after their chunk has been filled.
func TestBox(t *testing.T) {
	var (
		ints   Box[int64]
		uints  Box[uint64]
		floats Box[float64]
		bools  Box[bool]
		strs   Box[string]
		times  Box[time.Time]
		durs   Box[time.Duration]
		nums   Box[cdc.Decimal]
		ivals  Box[cdc.Interval]
		bytes  Box[[]byte]
		raws   Box[json.RawMessage]
		sets   Box[[]string]
	)
	want := []any{int64(-1), int64(1 << 40), uint64(math.MaxUint64), 1.5, math.Inf(-1), true, false, "", "x", strings.Repeat("y", 100),
		time.Date(2026, 11, 24, 1, 2, 3, 4, time.UTC), 36 * time.Hour,
		cdc.MustParseDecimal("-12.50"), cdc.DecimalNaN, cdc.Interval{Months: -1, Days: 2, Microseconds: 3},
		[]byte{1, 2}, json.RawMessage(`{"a":1}`), []string{"a", "b"}}
	box := func(v any) any {
		switch x := v.(type) {
		case int64:
			return ints.Box(x)
		case uint64:
			return uints.Box(x)
		case float64:
			return floats.Box(x)
		case bool:
			return bools.Box(x)
		case string:
			return strs.Box(x)
		case time.Time:
			return times.Box(x)
		case time.Duration:
			return durs.Box(x)
		case cdc.Decimal:
			return nums.Box(x)
		case cdc.Interval:
			return ivals.Box(x)
		case json.RawMessage:
			return raws.Box(x)
		case []byte:
			return bytes.Box(x)
		case []string:
			return sets.Box(x)
		}
		t.Fatalf("%T is not boxable", v)
		return nil
	}
	var got []any
	for range 3 * BoxChunk / len(want) {
		for _, v := range want {
			got = append(got, box(v))
		}
		runtime.GC()
	}
	for i, g := range got {
		w := want[i%len(want)]
		if !reflect.DeepEqual(g, w) || reflect.TypeOf(g) != reflect.TypeOf(w) {
			t.Fatalf("boxed %#v (%T) reads back as %#v (%T)", w, w, g, g)
		}
		if reflect.TypeOf(w).Comparable() && g != w {
			t.Fatalf("boxed %#v (%T) is not == to the compiler's box", w, w)
		}
		switch g.(type) {
		case int64, uint64, float64, bool, string, time.Time, time.Duration, cdc.Decimal, cdc.Interval, json.RawMessage, []byte, []string:
		default:
			t.Fatalf("type switch does not see %T", g)
		}
	}
}

func TestStrings(t *testing.T) {
	var a Strings
	var got, want []string
	for i := 0; i < 3*Chunk/10; i++ {
		w := strconv.Itoa(i * 7919)
		if i%1000 == 0 {
			w = strings.Repeat("z", Chunk/8+1) // its own allocation
		}
		buf := []byte(w)
		got, want = append(got, a.String(buf)), append(want, w)
		for j := range buf { // the caller reuses its buffer
			buf[j] = '#'
		}
	}
	runtime.GC()
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("string %d = %q, want %q", i, got[i], want[i])
		}
	}
	if s := a.String(nil); s != "" {
		t.Fatalf("empty string = %q", s)
	}
}
