// Command txconsumer is the consumer process of the postgres package's million-row
// transaction test: it streams public.big through an engine until it has handled
// -rows creates, in id order, then prints its row count, peak RSS and spill count.
// It is its own program so that its RSS is only the consumer's, and is built without
// the race detector even when the tests run with it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/offsets"
	"github.com/tributary-cdc/cdc/postgres"
)

func main() {
	dsn := flag.String("dsn", "", "database")
	dir := flag.String("dir", "", "directory for offsets and spill files")
	rows := flag.Int64("rows", 1_000_000, "creates to handle before stopping")
	flag.Parse()
	if err := run(*dsn, *dir, *rows); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dsn, dir string, rows int64) error {
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "big", Publication: "big",
		Tables: []string{"public.big"}, SnapshotMode: cdc.SnapshotNever, SpillDir: dir})
	if err != nil {
		return err
	}
	eng, err := cdc.NewEngine(src, cdc.WithName("big"),
		cdc.WithOffsetStore(offsets.NewFile(filepath.Join(dir, "offsets.json"))))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n int64
	start := time.Now()
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		if ev.Op != cdc.OpCreate {
			return nil
		}
		id, err := ev.After.Int64("id")
		if err != nil {
			return err
		}
		if id != n+1 {
			return fmt.Errorf("row %d arrived after row %d", id, n)
		}
		if n = id; n == rows {
			cancel()
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("engine: %w", err)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("rows=%d maxrss_kb=%d spilled=%d seconds=%.1f\n", n, ru.Maxrss, src.SpilledTransactions(), time.Since(start).Seconds())
	return nil
}
