package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/offsets"
)

// TestDemoStreamsFromPostgres runs the demo against a throw-away PostgreSQL: the
// existing orders arrive as snapshot reads, then the application's changes stream in.
// A second run with the same offsets resumes instead of reading the snapshot again.
func TestDemoStreamsFromPostgres(t *testing.T) {
	pg := testdb.NewPostgres(t)
	store := offsets.NewFile(t.TempDir() + "/demo.offsets")
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	if err := run(ctx, &out, pg.DSN, store, 20); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	if n := strings.Count(first, "READ"); n != 3 {
		t.Fatalf("want the 3 existing orders as snapshot reads, got %d:\n%s", n, first)
	}
	for _, want := range []string{"INSERT", "UPDATE", "paid", "demo.public.orders", "total=", "lag="} {
		if !strings.Contains(first, want) {
			t.Fatalf("output lacks %q:\n%s", want, first)
		}
	}
	out.Reset()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if err := run(ctx2, &out, pg.DSN, store, 20); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "READ") || !strings.Contains(out.String(), "INSERT") {
		t.Fatalf("second run should resume streaming without a snapshot:\n%s", out.String())
	}
}
