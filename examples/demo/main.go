// Command demo prints a live change stream.
//
// Until the PostgreSQL source lands it streams from the scripted fake source
// (cdctest.Source): a generator writes a few order changes every second, the engine
// delivers them as typed events, and positions go to a file offset store, so stopping
// and restarting the demo resumes where it stopped. The flags say where and how long.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/offsets"
)

// Order is the typed view of a row of the fake source's shop.public.orders table.
type Order struct {
	ID      int64  `cdc:"id"`
	Seq     int64  `cdc:"seq"`
	Version int64  `cdc:"version"`
	Payload string `cdc:"payload"`
}

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "tributary-demo"), "directory for the offsets file")
	duration := flag.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	rate := flag.Int("rate", 3, "changes written per second")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	if err := run(ctx, os.Stdout, *dir, *rate); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, dir string, rate int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	store := offsets.NewFile(filepath.Join(dir, "demo.offsets"))
	src := cdctest.NewSource(cdctest.SourceConfig{Live: true, Keys: 5, CommitTime: true})

	// The fake source replays from the stored position, so a restarted demo needs the
	// script to reach that far: regenerate the history first.
	if pos, err := store.Load(ctx, "demo"); err != nil {
		return err
	} else if pos != nil {
		n, err := cdctest.ParsePosition(pos)
		if err != nil {
			return err
		}
		src.Generate(n)
		fmt.Fprintf(out, "resuming after change %d (stored in %s)\n", n, store.Path())
	}

	eng, err := cdc.NewEngine(src,
		cdc.WithName("demo"),
		cdc.WithOffsetStore(store),
		cdc.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		return err
	}

	go func() { // the "application" writing to the database
		t := time.NewTicker(time.Second / time.Duration(max(rate, 1)))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				src.Generate(1)
			}
		}
	}()

	fmt.Fprintln(out, "streaming changes of shop.public.orders (Ctrl-C to stop)")
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		o, err := cdc.Decode[Order](ev.After)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-6s %s %-22s id=%d version=%d seq=%d lag=%s\n",
			opName(ev.Op), ev.ID(), ev.Destination, o.ID, o.Version, o.Seq,
			time.Since(ev.Source.CommitTime).Round(time.Microsecond))
		return nil
	})
	if err != nil && ctx.Err() == nil {
		return err
	}
	st := eng.Stats()
	fmt.Fprintf(out, "stopped: %d events handled, position %s saved in %s\n", st.EventsHandled, st.LastCommitted, store.Path())
	return nil
}

func opName(op cdc.Op) string {
	switch op {
	case cdc.OpCreate:
		return "INSERT"
	case cdc.OpUpdate:
		return "UPDATE"
	case cdc.OpDelete:
		return "DELETE"
	}
	return op.String()
}
