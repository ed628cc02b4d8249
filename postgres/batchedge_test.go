package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

// TestTransactionFillingBatchesExactly: transactions of exactly one and two batches of
// changes (512) must end with their commit position, not crash or lose it.
func TestTransactionFillingBatchesExactly(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := newDB(t, pg)
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "edge", Publication: "edge",
		Tables: []string{"public.orders"}, SnapshotMode: cdc.SnapshotNever})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := src.Open(ctx, cdc.OpenRequest{Name: "edge"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exec(t, dsn, "INSERT INTO orders SELECT g, 'new', 1 FROM generate_series(1, 512) g")
	exec(t, dsn, "INSERT INTO orders SELECT g, 'new', 1 FROM generate_series(513, 1536) g")
	// A whole-transaction position after new changes ends a transaction; others are
	// heartbeats (the start position, keepalives) between transactions.
	changes, positions, counted := 0, 0, 0
	for positions < 2 {
		evs, err := st.Read(ctx)
		if err != nil {
			t.Fatalf("Read after %d changes: %v", changes, err)
		}
		for _, ev := range evs {
			if ev.Op == cdc.OpCreate {
				changes++
			}
			if ev.Position != nil && !containsTx(ev.Position) && changes > counted {
				positions, counted = positions+1, changes
				if want := []int{512, 1536}[positions-1]; changes != want {
					t.Fatalf("transaction %d ended after %d changes, want %d", positions, changes, want)
				}
			}
		}
	}
}

func containsTx(p cdc.Position) bool {
	for i := 0; i+4 < len(p); i++ {
		if string(p[i:i+5]) == `"tx":` {
			return true
		}
	}
	return false
}
