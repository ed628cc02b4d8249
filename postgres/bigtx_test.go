package postgres_test

import (
	"context"
	"fmt"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const (
	bigTxRows   = 1_000_000
	bigTxMaxRSS = 200 << 20
)

// TestMillionRowTransaction: one transaction of a million inserts streams through the
// engine, every row in order, with the consumer's peak RSS under 200 MB: the server
// streams the transaction before it commits and the source spills it to disk.
func TestMillionRowTransaction(t *testing.T) {
	pg := streamingServer(t)
	dsn := pg.CreateDatabase(t, "big")
	exec(t, dsn, "CREATE TABLE big (id bigint PRIMARY KEY, note text NOT NULL, at timestamptz NOT NULL)")
	// The consumer is its own program, built without the race detector (whose shadow
	// memory would swamp the figure) whatever flags the tests run with.
	goTool, err := osexec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "txconsumer")
	if out, err := osexec.Command(goTool, "build", "-o", exe, "./internal/txconsumer").CombinedOutput(); err != nil {
		t.Fatalf("building the consumer: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := osexec.CommandContext(ctx, exe, "-dsn", dsn, "-dir", dir, "-rows", fmt.Sprint(bigTxRows))
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The slot exists once the child has opened the source: from then on every
	// change is kept for it.
	for queryOne(t, dsn, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'big'") != "1" {
		if ctx.Err() != nil {
			t.Fatalf("the consumer never created its slot: %s", errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	exec(t, dsn, fmt.Sprintf("INSERT INTO big SELECT g, md5(g::text), now() FROM generate_series(1, %d) g", bigTxRows))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("consumer: %v\n%s%s", err, out.String(), errOut.String())
	}
	var rows, rssKB, spilled int64
	var secs float64
	if _, err := fmt.Sscanf(out.String(), "rows=%d maxrss_kb=%d spilled=%d seconds=%g", &rows, &rssKB, &spilled, &secs); err != nil {
		t.Fatalf("consumer output %q: %v", out.String(), err)
	}
	t.Logf("%d rows in %.1f s, peak RSS %d MB, %d transaction(s) spilled", rows, secs, rssKB>>10, spilled)
	if rows != bigTxRows {
		t.Fatalf("consumer handled %d rows, want %d", rows, bigTxRows)
	}
	if rssKB<<10 > bigTxMaxRSS {
		t.Fatalf("consumer peak RSS %d MB, want under %d MB", rssKB>>10, bigTxMaxRSS>>20)
	}
	if spilled < 1 {
		t.Fatal("the transaction never went to a spill file: the test does not exercise spilling")
	}
}
