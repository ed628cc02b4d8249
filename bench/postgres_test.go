package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

// BenchmarkPostgresStreaming streams the same WAL with the engine (no-op handler,
// offset commits on) and with pg_recvlogical writing pgoutput to /dev/null, and reports
// rows/s of both and their ratio. Rows: TRIBUTARY_BENCH_ROWS (default 1000000) in one
// transaction ("1tx") and TRIBUTARY_BENCH_TXS single-row transactions ("small", default
// 100000). Both read with the same protocol options (version 2, in-progress
// transactions streamed). Run with -benchtime=1x: each iteration builds its own data.
func BenchmarkPostgresStreaming(b *testing.B) {
	recv, err := exec.LookPath("pg_recvlogical")
	if err != nil {
		b.Skip("pg_recvlogical not installed")
	}
	pg, err := testdb.StartPostgres(testdb.PostgresOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close()
	rows := envInt("TRIBUTARY_BENCH_ROWS", 1000000)
	txs := envInt("TRIBUTARY_BENCH_TXS", 100000)
	for _, c := range []struct {
		name string
		n    int
		sql  string
	}{
		{"1tx", rows, fmt.Sprintf("INSERT INTO t SELECT g, 'row ' || g, g * 1.5 FROM generate_series(1, %d) g", rows)},
		{"small", txs, fmt.Sprintf(`DO $$ BEGIN FOR i IN 1..%d LOOP INSERT INTO t VALUES (i, 'row ' || i, i * 1.5); COMMIT; END LOOP; END $$`, txs)},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				db := fmt.Sprintf("bench_%s_%d", c.name, i)
				dsn := pg.CreateDatabase(b, db)
				run := func(q string) {
					conn, err := pgconn.Connect(context.Background(), dsn)
					if err != nil {
						b.Fatal(err)
					}
					defer conn.Close(context.Background())
					if _, err := conn.Exec(context.Background(), q).ReadAll(); err != nil {
						b.Fatal(err)
					}
				}
				run(`CREATE TABLE t (id int PRIMARY KEY, name text, amount numeric); CREATE PUBLICATION p FOR TABLE t`)
				run(`SELECT pg_create_logical_replication_slot('s_engine_` + db + `', 'pgoutput')`)
				run(`SELECT pg_create_logical_replication_slot('s_recv_` + db + `', 'pgoutput')`)
				run(c.sql)
				endRes, _ := func() (string, error) {
					conn, err := pgconn.Connect(context.Background(), dsn)
					if err != nil {
						return "", err
					}
					defer conn.Close(context.Background())
					r, err := conn.Exec(context.Background(), "SELECT pg_current_wal_lsn()").ReadAll()
					if err != nil {
						return "", err
					}
					return string(r[0].Rows[0][0]), nil
				}()
				end, _ := pglogrepl.ParseLSN(endRes)

				b.StopTimer()
				start := time.Now()
				cmd := exec.Command(recv, "-d", dsn, "--slot", "s_recv_"+db, "--start", "--no-loop", "-E", end.String(),
					"-o", "proto_version=2", "-o", "streaming=on", "-o", "messages=true", "-o", "publication_names=p", "-f", "/dev/null")
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("pg_recvlogical: %v: %s", err, out)
				}
				recvTook := time.Since(start)

				src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "s_engine_" + db, Publication: "p",
					SnapshotMode: cdc.SnapshotNever, NoCreate: true})
				if err != nil {
					b.Fatal(err)
				}
				store := newFileStore(b)
				eng, err := cdc.NewEngine(src, cdc.WithOffsetStore(store))
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				done := fmt.Errorf("done")
				start = time.Now()
				b.StartTimer()
				err = eng.Run(context.Background(), func(_ context.Context, ev cdc.Event) error {
					if n++; n == c.n {
						return done
					}
					return nil
				})
				b.StopTimer()
				engTook := time.Since(start)
				if !errors.Is(err, done) {
					b.Fatalf("Run: %v after %d events", err, n)
				}
				b.ReportMetric(float64(c.n)/engTook.Seconds(), "engine_rows/s")
				b.ReportMetric(float64(c.n)/recvTook.Seconds(), "recvlogical_rows/s")
				b.ReportMetric(recvTook.Seconds()/engTook.Seconds(), "ratio")
				b.ReportMetric(float64(peakRSS())/(1<<20), "peak_rss_MB")
				b.StartTimer()
			}
		})
	}
}

// BenchmarkPostgresSnapshot reads one table of TRIBUTARY_BENCH_ROWS rows (default
// 1000000) with an initial_only snapshot (no-op handler, offset commits on) and with
// COPY ... TO STDOUT into io.Discard over one connection, and reports rows/s of both
// and their ratio, with one and with two snapshot readers. Run with -benchtime=1x.
func BenchmarkPostgresSnapshot(b *testing.B) {
	pg, err := testdb.StartPostgres(testdb.PostgresOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close()
	rows := envInt("TRIBUTARY_BENCH_ROWS", 1000000)
	dsn := pg.CreateDatabase(b, "snap")
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE t (id int PRIMARY KEY, name text, amount numeric, at timestamptz);
		INSERT INTO t SELECT g, 'row ' || g, g * 1.5, now() FROM generate_series(1, %d) g`, rows)).ReadAll(); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE t").ReadAll(); err != nil {
		b.Fatal(err)
	}
	for _, par := range []int{1, 2} {
		b.Run(fmt.Sprintf("readers=%d", par), func(b *testing.B) { benchSnapshot(b, conn, dsn, rows, par) })
	}
}

func benchSnapshot(b *testing.B, conn *pgconn.PgConn, dsn string, rows, par int) {
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		start := time.Now()
		if _, err := conn.CopyTo(ctx, io.Discard, "COPY t TO STDOUT"); err != nil {
			b.Fatal(err)
		}
		copyTook := time.Since(start)

		src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: fmt.Sprintf("snap_%d", i), Publication: "snap",
			Tables: []string{"public.t"}, SnapshotMode: cdc.SnapshotInitialOnly, SnapshotParallelism: par})
		if err != nil {
			b.Fatal(err)
		}
		engTook := timeSnapshot(b, src, rows)
		if _, err := conn.Exec(ctx, fmt.Sprintf("SELECT pg_drop_replication_slot('snap_%d')", i)).ReadAll(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rows)/engTook.Seconds(), "engine_rows/s")
		b.ReportMetric(float64(rows)/copyTook.Seconds(), "copy_rows/s")
		b.ReportMetric(copyTook.Seconds()/engTook.Seconds(), "ratio")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak_rss_MB")
		b.StartTimer()
	}
}

// timeSnapshot runs an initial_only snapshot of src through an engine (no-op handler,
// file offsets), with the benchmark timer on, and returns how long it took; it fails
// the benchmark unless exactly rows rows were read.
func timeSnapshot(b *testing.B, src cdc.Source, rows int) time.Duration {
	eng, err := cdc.NewEngine(src, cdc.WithOffsetStore(newFileStore(b)))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	start := time.Now()
	b.StartTimer()
	err = eng.Run(context.Background(), func(_ context.Context, ev cdc.Event) error {
		if ev.Op == cdc.OpRead {
			n++
		}
		return nil
	})
	b.StopTimer()
	took := time.Since(start)
	if err != nil || n != rows {
		b.Fatalf("Run: %v after %d rows, want %d", err, n, rows)
	}
	return took
}

// peakRSS is the process's peak resident set size in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss << 10
}

func newFileStore(b *testing.B) cdc.OffsetStore {
	return offsetsFile(filepath.Join(b.TempDir(), "offsets.json"))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
