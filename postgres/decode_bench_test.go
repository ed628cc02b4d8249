package postgres

import (
	"encoding/binary"
	"testing"
)

// Per-value decoding cost of the types that dominate snapshot profiles.
func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct {
		name string
		dec  func([]byte) (any, error)
		in   string
	}{
		{"int4", decodeInt, "123456"},
		{"numeric", decodeNumeric, "185185.5"},
		{"text", decodeString, "row 123456"},
		{"timestamptz", decodeTimestampTZ, "2026-11-24 19:26:26.123456+00"},
	} {
		in := []byte(c.in)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.dec(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The same values as the snapshot reads them: int4 and timestamptz in binary format,
// numeric and text cut from an arena.Strings, all boxed in arena.Boxes (see snapdecode.go).
func BenchmarkSnapDecode(b *testing.B) {
	var m snapMem
	for _, c := range []struct {
		name string
		oid  uint32
		in   []byte
	}{
		{"int4", oidInt4, binary.BigEndian.AppendUint32(nil, 123456)},
		{"numeric", oidNumeric, []byte("185185.5")},
		{"text", oidText, []byte("row 123456")},
		{"timestamptz", oidTimestampTZ, binary.BigEndian.AppendUint64(nil, 848_000_000_123_456)},
	} {
		name, kind, dec := decoderFor(c.oid, -1, nil)
		col := snapColumnFor(catalogColumn{oid: c.oid}, name, kind, dec, nil, &m)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := col.dec(c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
