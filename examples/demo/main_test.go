package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoStreamsAndResumes runs the demo twice: the second run resumes after the
// changes the first one handled.
func TestDemoStreamsAndResumes(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := run(ctx, &out, dir, 20); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	if n := strings.Count(first, "INSERT"); n != 5 {
		t.Fatalf("want the 5 keys inserted, got %d INSERT lines:\n%s", n, first)
	}
	if !strings.Contains(first, "UPDATE") || !strings.Contains(first, "demo.public.orders") {
		t.Fatalf("no updates or wrong destination:\n%s", first)
	}
	m := regexp.MustCompile(`stopped: (\d+) events handled`).FindStringSubmatch(first)
	if m == nil || m[1] == "0" {
		t.Fatalf("no summary:\n%s", first)
	}

	out.Reset()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	if err := run(ctx2, &out, dir, 20); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "resuming after change "+m[1]) {
		t.Fatalf("second run did not resume after %s:\n%s", m[1], out.String())
	}
	if strings.Contains(out.String(), "INSERT") {
		t.Fatalf("second run replayed the inserts:\n%s", out.String())
	}
}
