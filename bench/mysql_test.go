package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
)

// BenchmarkMySQLStreaming streams the same binlog with the engine (no-op handler,
// offset commits on) and with mariadb-binlog --read-from-remote-server --verbose,
// which decodes every row into a pseudo-SQL comment, writing to /dev/null, and reports
// rows/s of both and their ratio (mariadb-binlog's time / the engine's), and the rows/s
// of mariadb-binlog without --verbose (row events copied as base64, not decoded). Rows:
// TRIBUTARY_BENCH_ROWS (default 1000000) in one transaction ("1tx") and
// TRIBUTARY_BENCH_TXS single-row transactions ("small", default 100000). Run with
// -benchtime=1x: each iteration builds its own data.
func BenchmarkMySQLStreaming(b *testing.B) {
	toolPath, err := exec.LookPath("mariadb-binlog")
	if err != nil {
		b.Skip("mariadb-binlog not installed")
	}
	m, err := testdb.StartMariaDB(testdb.MariaDBOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	rows := envInt("TRIBUTARY_BENCH_ROWS", 1000000)
	txs := envInt("TRIBUTARY_BENCH_TXS", 100000)
	for _, c := range []struct {
		name string
		n    int
		sql  []string
	}{
		{"1tx", rows, []string{fmt.Sprintf("INSERT INTO t SELECT seq, CONCAT('row ', seq), seq * 1.5 FROM test.seq_1_to_%d", rows)}},
		{"small", txs, []string{
			// autocommit inside a procedure: one transaction per INSERT.
			fmt.Sprintf(`CREATE PROCEDURE fill() BEGIN DECLARE i INT DEFAULT 1; WHILE i <= %d DO
				INSERT INTO t VALUES (i, CONCAT('row ', i), i * 1.5); SET i = i + 1; END WHILE; END`, txs),
			"CALL fill()"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				db := fmt.Sprintf("bench_%s_%d", c.name, i)
				m.CreateDatabase(b, db)
				conn, err := sql.Open("mysql", "root@tcp("+m.Addr+")/"+db)
				if err != nil {
					b.Fatal(err)
				}
				runSQL := func(q string) {
					if _, err := conn.Exec(q); err != nil {
						b.Fatalf("%s: %v", q, err)
					}
				}
				runSQL("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2))")
				var startFile, skip1, skip2 string
				var startPos uint32
				if err := conn.QueryRow("SHOW MASTER STATUS").Scan(&startFile, &startPos, &skip1, &skip2); err != nil {
					b.Fatal(err)
				}
				for _, q := range c.sql {
					runSQL(q)
				}
				runSQL("FLUSH BINARY LOGS") // the raw tool stops at the end of the last file
				conn.Close()

				tool := func(extra ...string) time.Duration {
					start := time.Now()
					args := append([]string{"--read-from-remote-server", "--host=127.0.0.1", "--port=" + strconv.Itoa(m.Port),
						"--user=root", "--start-position=" + strconv.FormatUint(uint64(startPos), 10), "--to-last-log",
						"--result-file=/dev/null"}, extra...)
					if out, err := exec.Command(toolPath, append(args, startFile)...).CombinedOutput(); err != nil {
						b.Fatalf("mariadb-binlog: %v: %s", err, out)
					}
					return time.Since(start)
				}
				rawTook := tool()             // row events copied as base64 BINLOG statements
				toolTook := tool("--verbose") // and every row decoded into a commented pseudo-SQL statement

				src, err := mysql.New(mysql.Config{Addr: m.Addr, User: "root", Tables: []string{db + ".t"}, SnapshotMode: cdc.SnapshotNever})
				if err != nil {
					b.Fatal(err)
				}
				store := newFileStore(b)
				p := fmt.Sprintf(`{"v":1,"file":%q,"pos":%d}`, startFile, startPos)
				if err := store.Save(context.Background(), "bench", cdc.Position(p)); err != nil {
					b.Fatal(err)
				}
				eng, err := cdc.NewEngine(src, cdc.WithName("bench"), cdc.WithOffsetStore(store))
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				done := errors.New("done")
				start := time.Now()
				b.StartTimer()
				err = eng.Run(context.Background(), func(_ context.Context, ev cdc.Event) error {
					if ev.Op == cdc.OpCreate {
						if n++; n == c.n {
							return done
						}
					}
					return nil
				})
				b.StopTimer()
				engTook := time.Since(start)
				if !errors.Is(err, done) {
					b.Fatalf("Run: %v after %d rows", err, n)
				}
				b.ReportMetric(float64(c.n)/engTook.Seconds(), "engine_rows/s")
				b.ReportMetric(float64(c.n)/toolTook.Seconds(), "mariadbbinlog_rows/s")
				b.ReportMetric(float64(c.n)/rawTook.Seconds(), "mariadbbinlog_undecoded_rows/s")
				b.ReportMetric(toolTook.Seconds()/engTook.Seconds(), "ratio")
				b.ReportMetric(float64(peakRSS())/(1<<20), "peak_rss_MB")
				b.StartTimer()
			}
		})
	}
}
