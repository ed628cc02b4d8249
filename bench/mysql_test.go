package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
	if m.External() { // only an external server (TRIBUTARY_TEST_MYSQL_DSN) can be MySQL
		if v := mysqlVersion(b, m.DSN); !strings.Contains(v, "MariaDB") {
			m.SkipIfExternal(b, "compares with mariadb-binlog, and the server is MySQL "+v)
		}
	}
	rows := envInt("TRIBUTARY_BENCH_ROWS", 1000000)
	txs := envInt("TRIBUTARY_BENCH_TXS", 100000)
	for _, c := range []struct {
		name string
		n    int
		sql  []string
	}{
		{"1tx", rows, []string{insertSeq("t", "seq, CONCAT('row ', seq), seq * 1.5", rows)}},
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
				conn, err := sql.Open("mysql", m.CreateDatabase(b, db))
				if err != nil {
					b.Fatal(err)
				}
				runSQL := func(q string) {
					if _, err := conn.Exec(q); err != nil {
						b.Fatalf("%s: %v", q, err)
					}
				}
				runSQL("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2))")
				startFile, startPos, err := binlogPos(conn)
				if err != nil {
					b.Fatal(err)
				}
				for _, q := range c.sql {
					runSQL(q)
				}
				runSQL("FLUSH BINARY LOGS") // the raw tool stops at the end of the last file
				conn.Close()

				tool := func(extra ...string) time.Duration {
					start := time.Now()
					args := []string{"--read-from-remote-server", "--host=" + m.Host, "--port=" + strconv.Itoa(m.Port),
						"--user=" + m.User, "--start-position=" + strconv.FormatUint(uint64(startPos), 10), "--to-last-log",
						"--result-file=/dev/null"}
					if m.Password != "" {
						args = append(args, "--password="+m.Password)
					}
					args = append(args, extra...)
					if out, err := exec.Command(toolPath, append(args, startFile)...).CombinedOutput(); err != nil {
						b.Fatalf("mariadb-binlog: %v: %s", err, out)
					}
					return time.Since(start)
				}
				rawTook := tool()             // row events copied as base64 BINLOG statements
				toolTook := tool("--verbose") // and every row decoded into a commented pseudo-SQL statement

				src, err := mysql.New(mysql.Config{Addr: m.Addr, User: m.User, Password: m.Password, Tables: []string{db + ".t"}, SnapshotMode: cdc.SnapshotNever})
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

// mysqlVersion returns SELECT VERSION() of the server at dsn.
func mysqlVersion(b *testing.B, dsn string) string {
	b.Helper()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var v string
	if err := conn.QueryRow("SELECT VERSION()").Scan(&v); err != nil {
		b.Fatal(err)
	}
	return v
}

// binlogPos returns the server's current binlog file and position: SHOW MASTER STATUS,
// or SHOW BINARY LOG STATUS on MySQL 8.4, which dropped the former. The number of
// columns differs between servers (MySQL adds Executed_Gtid_Set).
func binlogPos(conn *sql.DB) (string, uint32, error) {
	rows, err := conn.Query("SHOW MASTER STATUS")
	if err != nil {
		rows, err = conn.Query("SHOW BINARY LOG STATUS")
	}
	if err != nil {
		return "", 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", 0, err
	}
	if !rows.Next() {
		return "", 0, fmt.Errorf("SHOW MASTER STATUS: no rows (binary logging off?): %v", rows.Err())
	}
	var file string
	var pos uint32
	dest := []any{&file, &pos}
	for range cols[2:] {
		dest = append(dest, new(sql.RawBytes))
	}
	if err := rows.Scan(dest...); err != nil {
		return "", 0, err
	}
	return file, pos, rows.Err()
}

// insertSeq inserts rows 1..n (testdb.InsertSeq: portable, outside the timed part).
func insertSeq(table, cols string, n int) string { return testdb.InsertSeq(table, cols, 1, n) }

// BenchmarkMySQLSnapshot reads one table of TRIBUTARY_BENCH_ROWS rows (default
// 1000000; INT key, VARCHAR, DECIMAL, DATETIME) with an initial_only snapshot (no-op
// handler, offset commits on) and with the mariadb client, mariadb --quick -e
// "SELECT * FROM t" into /dev/null, and reports rows/s of both and their ratio (the
// client's time / the engine's), with one and two snapshot readers (two readers split
// the tables, so with one table the second reader only adds its connection). Run with
// -benchtime=1x.
func BenchmarkMySQLSnapshot(b *testing.B) {
	client, err := exec.LookPath("mariadb")
	if err != nil {
		if client, err = exec.LookPath("mysql"); err != nil {
			b.Skip("no mariadb or mysql client installed")
		}
	}
	m, err := testdb.StartMariaDB(testdb.MariaDBOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	rows := envInt("TRIBUTARY_BENCH_ROWS", 1000000)
	conn, err := sql.Open("mysql", m.CreateDatabase(b, "bench_snap"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2), at DATETIME(6))",
		insertSeq("t", "seq, CONCAT('row ', seq), seq * 1.5, NOW(6)", rows),
		"ANALYZE TABLE t",
	} {
		if _, err := conn.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	for _, par := range []int{1, 2} {
		b.Run(fmt.Sprintf("readers=%d", par), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				args := []string{"--quick", "--batch", "--host=" + m.Host, "--port=" + strconv.Itoa(m.Port), "--user=" + m.User,
					"--database=bench_snap", "-e", "SELECT * FROM t"}
				if m.Password != "" {
					args = append(args, "--password="+m.Password)
				}
				devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
				if err != nil {
					b.Fatal(err)
				}
				cmd := exec.Command(client, args...)
				var stderr strings.Builder
				cmd.Stdout, cmd.Stderr = devnull, &stderr
				start := time.Now()
				if err := cmd.Run(); err != nil {
					b.Fatalf("%s: %v: %s", client, err, stderr.String())
				}
				toolTook := time.Since(start)
				devnull.Close()

				src, err := mysql.New(mysql.Config{Addr: m.Addr, User: m.User, Password: m.Password, Tables: []string{"bench_snap.t"},
					SnapshotMode: cdc.SnapshotInitialOnly, SnapshotParallelism: par})
				if err != nil {
					b.Fatal(err)
				}
				engTook := timeSnapshot(b, src, rows)
				b.ReportMetric(float64(rows)/engTook.Seconds(), "engine_rows/s")
				b.ReportMetric(float64(rows)/toolTook.Seconds(), "client_rows/s")
				b.ReportMetric(toolTook.Seconds()/engTook.Seconds(), "ratio")
				b.ReportMetric(float64(peakRSS())/(1<<20), "peak_rss_MB")
				b.StartTimer()
			}
		})
	}
}
