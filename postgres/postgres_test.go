package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

var dbSeq atomic.Int32

// newDB creates a fresh database with an orders table and returns its DSN.
func newDB(t *testing.T, pg *testdb.Postgres) string {
	t.Helper()
	dsn := pg.CreateDatabase(t, fmt.Sprintf("db%d", dbSeq.Add(1)))
	exec(t, dsn, `CREATE TABLE public.orders (id bigint PRIMARY KEY, status text NOT NULL, total numeric(10,2));
		CREATE TABLE public.audit (id serial PRIMARY KEY, note text)`)
	return dsn
}

func TestSourceConformance(t *testing.T) {
	pg := testdb.NewPostgres(t)
	cdctest.TestSource(t, cdctest.SourceHarness{
		Setup: func(t *testing.T) (cdc.Source, func(*testing.T, int)) {
			dsn := newDB(t, pg)
			slot := fmt.Sprintf("conf%d", dbSeq.Load()) // slots are per cluster
			src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: slot, Publication: "conf",
				Tables: []string{"public.orders"}})
			if err != nil {
				t.Fatal(err)
			}
			var n atomic.Int64
			return src, func(t *testing.T, k int) {
				for range k {
					i := n.Add(1)
					exec(t, dsn, fmt.Sprintf("INSERT INTO orders VALUES (%d, 'new', %d.50)", i, i))
				}
			}
		},
	})
}

func TestStartupErrors(t *testing.T) {
	pg := testdb.NewPostgres(t)
	ctx := context.Background()
	open := func(cfg postgres.Config, pos cdc.Position) error {
		src, err := postgres.New(cfg)
		if err != nil {
			return err
		}
		st, err := src.Open(ctx, cdc.OpenRequest{Name: "t", Position: pos})
		if err == nil {
			st.Close()
		}
		return err
	}
	t.Run("config", func(t *testing.T) {
		_, err := postgres.New(postgres.Config{Slot: "Bad-Name", Tables: []string{"orders"}, SnapshotMode: "sometimes"})
		for _, want := range []string{"ConnString", "Slot", "Publication", "schema-qualified", "snapshot mode"} {
			if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
				t.Fatalf("New = %v; want ErrInvalidConfig mentioning %s", err, want)
			}
		}
	})
	t.Run("wal_level", func(t *testing.T) {
		replica := testdb.NewPostgres(t, testdb.PostgresOptions{Settings: map[string]string{"wal_level": "replica"}})
		err := open(postgres.Config{ConnString: replica.DSN, Slot: "s", Publication: "p"}, nil)
		if err == nil || !strings.Contains(err.Error(), "wal_level") || !strings.Contains(err.Error(), "ALTER SYSTEM SET wal_level = logical") {
			t.Fatalf("Open = %v", err)
		}
	})
	dsn := newDB(t, pg)
	t.Run("no replication privilege", func(t *testing.T) {
		exec(t, dsn, "CREATE ROLE app LOGIN")
		appDSN := strings.Replace(dsn, "postgres@", "app@", 1)
		err := open(postgres.Config{ConnString: appDSN, Slot: "s", Publication: "p"}, nil)
		if err == nil || !strings.Contains(err.Error(), "ALTER ROLE") {
			t.Fatalf("Open = %v", err)
		}
	})
	t.Run("table not in publication", func(t *testing.T) {
		exec(t, dsn, "CREATE PUBLICATION only_audit FOR TABLE public.audit")
		err := open(postgres.Config{ConnString: dsn, Slot: "s1", Publication: "only_audit", Tables: []string{"public.orders"}}, nil)
		if err == nil || !strings.Contains(err.Error(), "ALTER PUBLICATION") {
			t.Fatalf("Open = %v", err)
		}
	})
	t.Run("slot lost", func(t *testing.T) {
		err := open(postgres.Config{ConnString: dsn, Slot: "gone", Publication: "p2"}, cdc.Position(`{"v":1,"lsn":"0/1000"}`))
		if !errors.Is(err, cdc.ErrPositionLost) || !strings.Contains(err.Error(), "when_needed") {
			t.Fatalf("Open = %v", err)
		}
	})
	t.Run("corrupt position", func(t *testing.T) {
		err := open(postgres.Config{ConnString: dsn, Slot: "s3", Publication: "p3"}, cdc.Position(`{"v":7}`))
		if !errors.Is(err, cdc.ErrCorruptOffsets) {
			t.Fatalf("Open = %v", err)
		}
	})
	t.Run("slot in use", func(t *testing.T) {
		cfg := postgres.Config{ConnString: dsn, Slot: "busy", Publication: "p4", SnapshotMode: cdc.SnapshotNever}
		src, _ := postgres.New(cfg)
		st, err := src.Open(ctx, cdc.OpenRequest{Name: "t"})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		st.Read(rctx) // let it start streaming
		cancel()
		err = open(cfg, nil)
		if err == nil || !cdc.IsRetryable(err) || !strings.Contains(err.Error(), "in use by the process") {
			t.Fatalf("Open = %v", err)
		}
	})
}
