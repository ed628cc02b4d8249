// Command demo prints a live change stream from PostgreSQL.
//
// By default it starts a throw-away PostgreSQL server (from the installed binaries, in a
// temporary directory, removed on exit), creates an orders table with a few rows, and
// runs a small "application" that keeps inserting, updating and deleting orders. The
// engine first snapshots the existing rows (READ), then streams every change as a typed
// Order. With -dsn it uses your server instead (wal_level = logical), and keeps its
// position in an offsets file, so stopping and starting it again resumes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/offsets"
	"github.com/tributary-cdc/cdc/postgres"
)

// Order is the typed view of a row of public.orders.
type Order struct {
	ID       int64       `cdc:"id"`
	Customer string      `cdc:"customer"`
	Status   string      `cdc:"status"`
	Total    cdc.Decimal `cdc:"total"`
}

func main() {
	dsn := flag.String("dsn", "", "PostgreSQL to stream from (default: start a throw-away server)")
	offsetsFile := flag.String("offsets", filepath.Join(os.TempDir(), "tributary-demo.offsets"), "offsets file, with -dsn")
	duration := flag.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	rate := flag.Int("rate", 2, "changes the demo application writes per second")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	var store cdc.OffsetStore = offsets.NewMemory()
	if *dsn == "" {
		fmt.Println("starting a throw-away PostgreSQL server ...")
		pg, err := testdb.StartPostgres(testdb.PostgresOptions{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err, "\n(install it with: apt-get install postgresql, or pass -dsn)")
			os.Exit(1)
		}
		defer pg.Close()
		*dsn = pg.DSN
	} else {
		store = offsets.NewFile(*offsetsFile)
	}
	if err := run(ctx, os.Stdout, *dsn, store, *rate); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, dsn string, store cdc.OffsetStore, rate int) error {
	app, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer app.Close(context.Background())
	if _, err := app.Exec(ctx, `CREATE TABLE IF NOT EXISTS orders (
			id serial PRIMARY KEY, customer text NOT NULL, status text NOT NULL,
			total numeric(10,2) NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
		ALTER TABLE orders REPLICA IDENTITY FULL; -- deletes carry the whole old row
		INSERT INTO orders (customer, status, total)
			SELECT c, 'new', 10 + length(c) FROM unnest(ARRAY['ada', 'grace', 'linus']) c
			WHERE NOT EXISTS (SELECT FROM orders)`).ReadAll(); err != nil {
		return err
	}

	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "tributary_demo", Publication: "tributary_demo",
		Tables: []string{"public.orders"}})
	if err != nil {
		return err
	}
	eng, err := cdc.NewEngine(src, cdc.WithName("demo"), cdc.WithOffsetStore(store),
		cdc.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		return err
	}

	wctx, stopWriter := context.WithCancel(ctx)
	written := make(chan struct{})
	go func() { defer close(written); write(wctx, app, rate) }()
	defer func() { stopWriter(); <-written }() // before app is closed

	fmt.Fprintln(out, "streaming changes of public.orders (Ctrl-C to stop)")
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		o, err := cdc.Decode[Order](ev.Row())
		if err != nil {
			return err
		}
		lag := ""
		if !ev.Source.CommitTime.IsZero() {
			lag = "lag=" + time.Since(ev.Source.CommitTime).Round(time.Millisecond).String()
		}
		fmt.Fprintf(out, "%-6s %-20s id=%-3d %-6s %-8s total=%-7s %s\n",
			opName(ev.Op), ev.Destination, o.ID, o.Customer, o.Status, o.Total, lag)
		return nil
	})
	if err != nil && ctx.Err() == nil {
		return err
	}
	st := eng.Stats()
	fmt.Fprintf(out, "stopped: %d events handled, position %s\n", st.EventsHandled, st.LastCommitted)
	return nil
}

// write is the demo application: orders are placed, paid, shipped, sometimes cancelled.
func write(ctx context.Context, app *pgconn.PgConn, rate int) {
	t := time.NewTicker(time.Second / time.Duration(max(rate, 1)))
	defer t.Stop()
	customers := []string{"ada", "grace", "linus", "barbara", "ken", "margaret"}
	steps := []string{
		"INSERT INTO orders (customer, status, total) VALUES ('%s', 'new', %d.%02d)",
		"UPDATE orders SET status = 'paid' WHERE id = (SELECT min(id) FROM orders WHERE status = 'new')",
		"UPDATE orders SET status = 'shipped' WHERE id = (SELECT min(id) FROM orders WHERE status = 'paid')",
		"DELETE FROM orders WHERE id = (SELECT min(id) FROM orders WHERE status = 'shipped')",
	}
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		q := steps[i%len(steps)]
		if i%len(steps) == 0 {
			q = fmt.Sprintf(q, customers[rand.IntN(len(customers))], 5+rand.IntN(200), rand.IntN(100))
		}
		if _, err := app.Exec(ctx, q).ReadAll(); err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "demo application:", err)
			return
		}
	}
}

func opName(op cdc.Op) string {
	switch op {
	case cdc.OpCreate:
		return "INSERT"
	case cdc.OpUpdate:
		return "UPDATE"
	case cdc.OpDelete:
		return "DELETE"
	case cdc.OpRead:
		return "READ"
	}
	return op.String()
}
