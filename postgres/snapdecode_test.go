package postgres

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/tributary-cdc/cdc"
)

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
