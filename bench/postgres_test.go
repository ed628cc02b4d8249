package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
// rows/s of both and their ratio. Rows: TRIBUTARY_BENCH_ROWS (default 200000) in one
// transaction ("1tx") and TRIBUTARY_BENCH_TXS single-row transactions ("small", default
// 20000). Run with -benchtime=1x: each iteration builds its own data.
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
	rows := envInt("TRIBUTARY_BENCH_ROWS", 200000)
	txs := envInt("TRIBUTARY_BENCH_TXS", 20000)
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
					"-o", "proto_version=1", "-o", "publication_names=p", "-f", "/dev/null")
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
				b.StartTimer()
			}
		})
	}
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
