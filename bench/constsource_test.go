package bench

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// constSource returns copies of one prebuilt batch until n events are out, so reading
// it costs almost nothing and an engine benchmark over it measures the engine itself.
type constSource struct {
	n     int
	batch []cdc.Event
}

func newConstSource(n int) *constSource {
	schema := cdc.NewTableSchema(cdc.TableID{Database: "shop", Schema: "public", Name: "orders"},
		[]cdc.Column{{Name: "id", Kind: cdc.KindInt, PrimaryKey: true}, {Name: "status", Kind: cdc.KindString}}, nil)
	batch := make([]cdc.Event, 256)
	for i := range batch {
		ev := cdc.Event{Op: cdc.OpUpdate, Table: schema.Table, Schema: schema,
			Key:      cdc.NewRow(schema.Names()[:1], []any{int64(i)}),
			After:    cdc.NewRow(schema.Names(), []any{int64(i), "paid"}),
			Position: cdc.Position(`{"v":1,"n":1}`)}
		ev.SetID("const")
		batch[i] = ev
	}
	return &constSource{n: n, batch: batch}
}

func (s *constSource) Open(context.Context, cdc.OpenRequest) (cdc.Stream, error) {
	return &constStream{left: s.n, batch: s.batch}, nil
}

type constStream struct {
	left  int
	batch []cdc.Event
}

func (s *constStream) Read(ctx context.Context) ([]cdc.Event, error) {
	if s.left == 0 {
		return nil, io.EOF
	}
	n := min(s.left, len(s.batch))
	s.left -= n
	out := make([]cdc.Event, n)
	copy(out, s.batch)
	return out, nil
}

func (s *constStream) Commit(context.Context, cdc.Position) error { return nil }
func (s *constStream) Close() error                               { return nil }

func BenchmarkConstStreamRaw(b *testing.B) {
	st, _ := newConstSource(b.N).Open(context.Background(), cdc.OpenRequest{})
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for {
		evs, err := st.Read(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		n += len(evs)
	}
	if n != b.N {
		b.Fatalf("read %d", n)
	}
}

func BenchmarkConstEngineRun(b *testing.B) {
	e, err := cdc.NewEngine(newConstSource(b.N), cdc.WithCommitInterval(100*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	if err := e.Run(context.Background(), func(context.Context, cdc.Event) error { n++; return nil }); err != nil || n != b.N {
		b.Fatalf("%v, %d events", err, n)
	}
}

func BenchmarkConstEngineRunBatch(b *testing.B) {
	e, err := cdc.NewEngine(newConstSource(b.N), cdc.WithBatch(1000, time.Millisecond), cdc.WithCommitInterval(100*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	err = e.RunBatch(context.Background(), func(_ context.Context, evs []cdc.Event) error { n += len(evs); return nil })
	if err != nil || n != b.N {
		b.Fatalf("%v, %d events", err, n)
	}
}
