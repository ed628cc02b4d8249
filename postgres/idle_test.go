package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

// TestIdleSlotAdvances: only an uncaptured table changes; heartbeats from keepalives
// must still move the slot's confirmed_flush_lsn, so the server can recycle WAL.
func TestIdleSlotAdvances(t *testing.T) {
	pg := testdb.NewPostgres(t, testdb.PostgresOptions{Settings: map[string]string{"wal_sender_timeout": "2s"}})
	dsn := newDB(t, pg)
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "idle", Publication: "idle",
		Tables: []string{"public.orders"}, StatusInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := cdc.NewEngine(src, cdc.WithCommitInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- eng.Run(ctx, func(context.Context, cdc.Event) error { return nil }) }()

	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	confirmed := func() pglogrepl.LSN {
		res, err := conn.Exec(ctx, "SELECT coalesce(confirmed_flush_lsn, '0/0') FROM pg_replication_slots WHERE slot_name = 'idle'").ReadAll()
		if err != nil || len(res[0].Rows) == 0 {
			return 0
		}
		lsn, _ := pglogrepl.ParseLSN(string(res[0].Rows[0][0]))
		return lsn
	}
	for confirmed() == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	start := confirmed()
	var walEnd pglogrepl.LSN
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		exec(t, dsn, "INSERT INTO audit (note) SELECT 'uncaptured' FROM generate_series(1, 100)")
		res, err := conn.Exec(ctx, "SELECT pg_current_wal_lsn()").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		walEnd, _ = pglogrepl.ParseLSN(string(res[0].Rows[0][0]))
		if c := confirmed(); c > start && c >= walEnd-64*1024 {
			t.Logf("confirmed_flush_lsn moved from %s to %s (WAL at %s)", start, c, walEnd)
			cancel()
			if err := <-runErr; err != nil && ctx.Err() == nil {
				t.Fatal(err)
			}
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("confirmed_flush_lsn stuck at %s (started at %s) while WAL reached %s", confirmed(), start, walEnd)
}

// TestHeartbeatMessages: with HeartbeatInterval the source writes its own logical
// decoding messages, which come back as heartbeats (never as OpMessage events) and move
// the position on an idle database; without it, an idle database sends next to nothing
// (the server's keepalives come only every wal_sender_timeout/2).
func TestHeartbeatMessages(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := newDB(t, pg)
	count := func(slot string, interval time.Duration) (beats int, last cdc.Position) {
		src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: slot, Publication: "hb",
			Tables: []string{"public.orders"}, SnapshotMode: cdc.SnapshotNever, HeartbeatInterval: interval})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		st, err := src.Open(ctx, cdc.OpenRequest{Name: slot})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for {
			evs, err := st.Read(ctx)
			if err != nil {
				if ctx.Err() == nil {
					t.Fatal(err)
				}
				return beats, last
			}
			for _, ev := range evs {
				if ev.Op != cdc.OpHeartbeat {
					t.Fatalf("idle database delivered a %s event", ev.Op)
				}
				if ev.Position.String() == last.String() {
					t.Fatalf("heartbeat repeats position %s", last)
				}
				beats, last = beats+1, ev.Position
			}
		}
	}
	if n, _ := count("hb_off", 0); n > 1 {
		t.Fatalf("%d heartbeats in 2 s without heartbeat messages: the comparison below proves nothing", n)
	}
	n, last := count("hb_on", 200*time.Millisecond)
	if n < 4 {
		t.Fatalf("%d heartbeats in 2 s with a 200 ms heartbeat interval, want at least 4", n)
	}
	t.Logf("%d heartbeats, last at %s", n, last)
}
