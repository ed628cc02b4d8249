package codec

import (
	"context"
	"testing"

	"github.com/tributary-cdc/cdc/schema"
)

// Decoders are pure functions of their input: whatever the bytes, they return an
// event or an error, never panic or allocate without bound.

func FuzzAvroDecode(f *testing.F) {
	ctx := context.Background()
	reg := schema.NewMemoryRegistry(schema.Backward)
	a := AvroConfluent{Registry: reg}
	ts := allKinds()
	for _, ev := range events(ts) {
		k, v, err := a.Encode(ctx, ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(k, v)
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		_, _ = a.Decode(ctx, key, value, nil)
		_, _ = a.Decode(ctx, key, value, ts)
	})
}

func FuzzDebeziumJSONDecode(f *testing.F) {
	ctx := context.Background()
	ts := allKinds()
	for _, enc := range []DebeziumJSON{{Schemas: true}, {}} {
		for _, ev := range events(ts) {
			k, v, err := enc.Encode(ctx, ev)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(k, v)
		}
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		_, _ = DebeziumJSON{}.Decode(ctx, key, value, nil)
		_, _ = DebeziumJSON{}.Decode(ctx, key, value, ts)
		_, _ = UnwrappedJSON{}.Decode(ctx, key, value, ts)
	})
}

func FuzzParseIntervalISO(f *testing.F) {
	for _, s := range []string{"P1Y2M3DT4H5M6.78S", "P0Y-1M0DT0H0M-0.5S", "PT1S", "P2W"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := ParseIntervalISO(s)
		if err != nil {
			return
		}
		// What parses renders to a form that parses to the same interval.
		back, err := ParseIntervalISO(IntervalISO(iv))
		if err != nil || back != iv {
			t.Fatalf("%q → %v → %q → %v %v", s, iv, IntervalISO(iv), back, err)
		}
	})
}
