package postgres

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// TestBoxSlab checks that interfaces built by boxSlab are ordinary interfaces: equal to
// the same values boxed by the compiler, seen by type switches and reflect, and intact
// after collections and after their chunk has been filled.
func TestBoxSlab(t *testing.T) {
	var m snapMem
	want := []any{int64(-1), int64(1 << 40), 1.5, math.Inf(-1), "", "x", strings.Repeat("y", 100),
		time.Date(2026, 11, 24, 1, 2, 3, 4, time.UTC), 36 * time.Hour,
		cdc.MustParseDecimal("-12.50"), cdc.DecimalNaN, cdc.Interval{Months: -1, Days: 2, Microseconds: 3}}
	box := func(v any) any {
		switch x := v.(type) {
		case int64:
			return m.ints.box(x)
		case float64:
			return m.floats.box(x)
		case string:
			return m.strs.box(x)
		case time.Time:
			return m.times.box(x)
		case time.Duration:
			return m.durs.box(x)
		case cdc.Decimal:
			return m.nums.box(x)
		case cdc.Interval:
			return m.ivals.box(x)
		}
		t.Fatalf("%T is not boxable", v)
		return nil
	}
	var got []any
	for range 3 * boxChunk / len(want) {
		for _, v := range want {
			got = append(got, box(v))
		}
		runtime.GC()
	}
	for i, g := range got {
		w := want[i%len(want)]
		if g != w || !reflect.DeepEqual(g, w) || reflect.TypeOf(g) != reflect.TypeOf(w) {
			t.Fatalf("boxed %#v (%T) reads back as %#v (%T)", w, w, g, g)
		}
		switch g.(type) {
		case int64, float64, string, time.Time, time.Duration, cdc.Decimal, cdc.Interval:
		default:
			t.Fatalf("type switch does not see %T", g)
		}
	}
}

func TestStrArena(t *testing.T) {
	var a strArena
	var got, want []string
	for i := 0; i < 3*arenaChunk/10; i++ {
		w := strconv.Itoa(i * 7919)
		if i%1000 == 0 {
			w = strings.Repeat("z", arenaChunk/8+1) // its own allocation
		}
		buf := []byte(w)
		got, want = append(got, a.str(buf)), append(want, w)
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
	if s := a.str(nil); s != "" {
		t.Fatalf("empty string = %q", s)
	}
}

// TestSnapKeyText: an integer key column read in binary has the key text PostgreSQL
// prints, which event IDs and resume positions hold.
func TestSnapKeyText(t *testing.T) {
	var m snapMem
	for _, c := range []struct {
		oid  uint32
		size int
		vals []int64
	}{
		{oidInt2, 2, []int64{math.MinInt16, -1, 0, math.MaxInt16}},
		{oidInt4, 4, []int64{math.MinInt32, -7, 0, 42, math.MaxInt32}},
		{oidInt8, 8, []int64{math.MinInt64, -1, 0, 1e18, math.MaxInt64}},
	} {
		col := snapColumnFor(catalogColumn{oid: c.oid, pk: true}, "k", cdc.KindInt, decodeInt, nil, &m)
		if col.format != binaryFormat || !col.intKey {
			t.Fatalf("key of OID %d: %+v", c.oid, col)
		}
		for _, v := range c.vals {
			b := binary.BigEndian.AppendUint64(nil, uint64(v))[8-c.size:]
			if got, want := string(col.appendKey([]byte("k:"), b)), "k:"+strconv.FormatInt(v, 10); got != want {
				t.Errorf("key text of %d (OID %d) = %q, want %q", v, c.oid, got, want)
			}
			if got, err := col.dec(b); err != nil || got != any(v) {
				t.Errorf("value of %d (OID %d) = %v, %v", v, c.oid, got, err)
			}
		}
	}
	// Other key types stay in text format, whatever their value format would be.
	for _, oid := range []uint32{oidUUID, oidTimestampTZ, oidDate, oidText, oidNumeric} {
		name, kind, dec := decoderFor(oid, -1, nil)
		if col := snapColumnFor(catalogColumn{oid: oid, pk: true}, name, kind, dec, nil, &m); col.format != textFormat || col.intKey {
			t.Errorf("key of OID %d: format %d, intKey %v", oid, col.format, col.intKey)
		}
		if got := string((snapColumn{}).appendKey(nil, []byte("2026-01-01"))); got != "2026-01-01" {
			t.Errorf("text key = %q", got)
		}
	}
	// An excluded integer key is still read for its text; other excluded columns are not decoded.
	if col := snapColumnFor(catalogColumn{oid: oidInt8, pk: true}, "", 0, nil, nil, &m); col.dec != nil || !col.intKey || col.format != binaryFormat {
		t.Errorf("excluded int8 key: %+v", col)
	}
}

func TestSnapBinaryLength(t *testing.T) {
	var m snapMem
	for _, oid := range []uint32{oidInt2, oidInt4, oidInt8, oidFloat4, oidFloat8, oidBool, oidDate, oidTime,
		oidTimestamp, oidTimestampTZ, oidInterval, oidUUID} {
		name, kind, dec := decoderFor(oid, -1, nil)
		col := snapColumnFor(catalogColumn{oid: oid}, name, kind, dec, nil, &m)
		if col.format != binaryFormat {
			t.Errorf("OID %d is read as text", oid)
			continue
		}
		_, err := col.dec(bytes.Repeat([]byte{1}, 3))
		var de *decodeError
		if !errors.As(err, &de) || !errors.Is(err, errBinaryLength) || de.Type != name {
			t.Errorf("%s from 3 bytes: %v", name, err)
		}
	}
}
