package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

// streamingServer starts PostgreSQL with the smallest logical_decoding_work_mem, so any
// transaction of more than a few hundred rows is streamed before it commits.
func streamingServer(t *testing.T) *testdb.Postgres {
	return testdb.NewPostgres(t, testdb.PostgresOptions{Settings: map[string]string{"logical_decoding_work_mem": "64kB"}})
}

// readTxs reads events until n transactions have ended and returns the ids of the
// orders created, per transaction, in delivery order.
func readTxs(t *testing.T, ctx context.Context, st cdc.Stream, n int) [][]int64 {
	t.Helper()
	var txs [][]int64
	var cur []int64
	lastOrder := map[string]int64{}
	for len(txs) < n {
		evs, err := st.Read(ctx)
		if err != nil {
			t.Fatalf("Read after %d transactions: %v", len(txs), err)
		}
		for _, ev := range evs {
			if ev.Op == cdc.OpCreate {
				id, err := ev.After.Int64("id")
				if err != nil {
					t.Fatal(err)
				}
				cur = append(cur, id)
				if o := ev.Source.TxOrder; o != lastOrder[ev.Source.TxID]+1 {
					t.Fatalf("order %d inside transaction %s follows %d", o, ev.Source.TxID, lastOrder[ev.Source.TxID])
				}
				lastOrder[ev.Source.TxID] = ev.Source.TxOrder
				if ev.ID() != "pg:"+pglsn(ev.Source.CommitLSN)+":"+strconv.FormatInt(ev.Source.TxOrder, 10) {
					t.Fatalf("event ID %q does not follow commit LSN and order", ev.ID())
				}
			}
			// A whole-transaction position; keepalive heartbeats between transactions
			// carry one too, but with no change before them.
			if ev.Position != nil && !containsTx(ev.Position) && (ev.Op != cdc.OpHeartbeat || len(cur) > 0) {
				txs = append(txs, cur)
				cur = nil
			}
		}
	}
	return txs
}

func pglsn(v uint64) string { return fmt.Sprintf("%X/%X", v>>32, uint32(v)) }

func seq(from, to int64) []int64 {
	var s []int64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStreamedTransactions: transactions the server streams before they commit
// (protocol version 2) are delivered only at their commit, whole, in commit order;
// an aborted one is never delivered, an aborted subtransaction's changes are dropped;
// both in memory and spilled to disk.
func TestStreamedTransactions(t *testing.T) {
	pg := streamingServer(t)
	for _, tc := range []struct {
		name  string
		mem   int64
		spill bool
	}{{"memory", 64 << 20, false}, {"spill", 32 << 10, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := newDB(t, pg)
			src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "txs_" + tc.name, Publication: "txs",
				Tables: []string{"public.orders"}, SnapshotMode: cdc.SnapshotNever, TxMemory: tc.mem, SpillDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			st, err := src.Open(ctx, cdc.OpenRequest{Name: "txs"})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()

			ins := func(from, to int) string {
				return fmt.Sprintf("INSERT INTO orders SELECT g, 'new', g FROM generate_series(%d, %d) g;", from, to)
			}
			// 1. a large committed transaction, 2. a large aborted one, 3. a large one
			// with a rolled back savepoint in the middle, 4. a small one.
			exec(t, dsn, "BEGIN;"+ins(1, 5000)+"COMMIT")
			exec(t, dsn, "BEGIN;"+ins(10001, 15000)+"ROLLBACK")
			exec(t, dsn, "BEGIN;"+ins(20001, 23000)+"SAVEPOINT s;"+ins(23001, 26000)+
				"SAVEPOINT s2;"+ins(26001, 26100)+"ROLLBACK TO SAVEPOINT s;"+ins(27001, 27100)+"COMMIT")
			exec(t, dsn, ins(30001, 30001))

			// 5. two large transactions interleaved, committed in the reverse order.
			a, b := connect(t, dsn), connect(t, dsn)
			run := func(c *pgconn.PgConn, sql string) {
				if _, err := c.Exec(ctx, sql).ReadAll(); err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
			}
			run(a, "BEGIN;"+ins(40001, 41000))
			run(b, "BEGIN;"+ins(50001, 51000))
			run(a, ins(41001, 42000))
			run(b, ins(51001, 52000))
			run(b, "COMMIT")
			run(a, "COMMIT")

			txs := readTxs(t, ctx, st, 5)
			want := [][]int64{seq(1, 5000), append(seq(20001, 23000), seq(27001, 27100)...), {30001},
				seq(50001, 52000), seq(40001, 42000)}
			for i := range want {
				if !equalIDs(txs[i], want[i]) {
					t.Fatalf("transaction %d delivered %d ids (%v...), want %d (%v...)", i+1, len(txs[i]), head(txs[i]), len(want[i]), head(want[i]))
				}
			}
			var streamed int64
			row := queryOne(t, dsn, "SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = 'txs_"+tc.name+"'")
			streamed, _ = strconv.ParseInt(row, 10, 64)
			if streamed < 3 {
				t.Fatalf("the server streamed %d transactions before their commit, want at least 3: the test does not exercise streaming", streamed)
			}
			spilled := src.SpilledTransactions()
			if tc.spill && spilled < 3 || !tc.spill && spilled != 0 {
				t.Fatalf("%d transactions spilled to disk with a %d-byte budget", spilled, tc.mem)
			}
		})
	}
}

func head(s []int64) []int64 { return s[:min(len(s), 5)] }

func connect(t *testing.T, dsn string) *pgconn.PgConn {
	t.Helper()
	c, err := pgconn.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func queryOne(t *testing.T, dsn, sql string) string {
	t.Helper()
	c := connect(t, dsn)
	res, err := c.Exec(context.Background(), sql).ReadAll()
	if err != nil || len(res) == 0 || len(res[0].Rows) == 0 {
		t.Fatalf("%s: %v (no row)", sql, err)
	}
	return string(res[0].Rows[0][0])
}
