// Package bench measures Tributary side by side with the raw tools and peers. Each
// benchmark's op is one event, so ns/op is ns/event and allocs/op is allocs/event.
//
// The engine benchmarks here run over the fake source; BenchmarkFakeStreamRaw reads
// the same stream without the engine, so the difference is the engine's overhead
// (tracking, transforms, queue, handler call, commits).
package bench

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/offsets"
)

func source(n int) *cdctest.Source {
	return cdctest.NewSource(cdctest.SourceConfig{Events: n, Keys: 1000, TxSize: 1, BatchSize: 256})
}

func BenchmarkFakeStreamRaw(b *testing.B) {
	src := source(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	st, err := src.Open(context.Background(), cdc.OpenRequest{})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for {
		evs, err := st.Read(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n += len(evs)
	}
	if n != b.N {
		b.Fatalf("read %d", n)
	}
}

func engine(b *testing.B, n int, opts ...cdc.Option) *cdc.Engine {
	opts = append([]cdc.Option{cdc.WithOffsetStore(offsets.NewFile(b.TempDir() + "/offsets.json")),
		cdc.WithCommitInterval(100 * time.Millisecond)}, opts...)
	e, err := cdc.NewEngine(source(n), opts...)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func BenchmarkEngineRun(b *testing.B) {
	e := engine(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	if err := e.Run(context.Background(), func(context.Context, cdc.Event) error { n++; return nil }); err != nil {
		b.Fatal(err)
	}
	if n != b.N {
		b.Fatalf("handled %d", n)
	}
}

func BenchmarkEngineEvents(b *testing.B) {
	e := engine(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for _, err := range e.Events(context.Background()) {
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != b.N {
		b.Fatalf("handled %d", n)
	}
}

func BenchmarkEngineRunBatch(b *testing.B) {
	e := engine(b, b.N, cdc.WithBatch(1000, time.Millisecond))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	err := e.RunBatch(context.Background(), func(_ context.Context, evs []cdc.Event) error { n += len(evs); return nil })
	if err != nil {
		b.Fatal(err)
	}
	if n != b.N {
		b.Fatalf("handled %d", n)
	}
}

func BenchmarkEngineRunWithTransform(b *testing.B) {
	rename := cdc.TransformFunc(func(_ context.Context, ev *cdc.Event) (bool, error) {
		ev.Destination = "orders"
		return true, nil
	})
	e := engine(b, b.N, cdc.WithTransforms(rename))
	b.ReportAllocs()
	b.ResetTimer()
	if err := e.Run(context.Background(), func(context.Context, cdc.Event) error { return nil }); err != nil {
		b.Fatal(err)
	}
}

func offsetsFile(path string) cdc.OffsetStore { return offsets.NewFile(path) }
