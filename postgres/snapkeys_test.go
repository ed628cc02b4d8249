package postgres_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

// TestSnapshotKeyText: the snapshot reads integer keys in binary format, but event IDs
// and resume positions must hold the key text as PostgreSQL prints it, as they always
// have: a position written by an earlier version must resume at the same row.
func TestSnapshotKeyText(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := pg.CreateDatabase(t, "snapkeys")
	exec(t, dsn, `CREATE TABLE k (id bigint, tag text, at timestamptz, PRIMARY KEY (id, tag));
		INSERT INTO k VALUES (-9223372036854775808, 'a', '-infinity'), (-5, 'b,c', '2026-11-24 10:00:00.000001+00'),
			(0, '', 'infinity'), (7, 'y', NULL), (9223372036854775807, 'z', '1999-12-31 23:59:59.5+00')`)
	cfg := postgres.Config{ConnString: dsn, Slot: "snapkeys", Publication: "snapkeys", Tables: []string{"public.k"},
		SnapshotChunkSize: 1}
	read := func(pos cdc.Position, n int) []cdc.Event {
		t.Helper()
		src, err := postgres.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		st, err := src.Open(ctx, cdc.OpenRequest{Name: "snapkeys", Position: pos})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		return cdctest.ReadUntil(t, st, n, cdctest.Ops(cdc.OpRead))
	}
	type progress struct {
		LSN      string `json:"lsn"`
		Snapshot struct {
			Table string   `json:"table"`
			After []string `json:"after"`
		} `json:"snapshot"`
	}
	evs := read(nil, 5)
	wantIDs := []string{"-9223372036854775808,a", "-5,b,c", "0,", "7,y", "9223372036854775807,z"}
	wantAfter := [][]string{{"-9223372036854775808", "a"}, {"-5", "b,c"}, {"0", ""}, {"7", "y"}, nil}
	wantAt := []any{cdc.NegativeInfinity, time.Date(2026, 11, 24, 10, 0, 0, 1000, time.UTC), cdc.PositiveInfinity, nil,
		time.Date(1999, 12, 31, 23, 59, 59, 5e8, time.UTC)}
	var lsn string
	for i, ev := range evs {
		if got := ev.ID(); got != "pg:snapshot:public.k:"+wantIDs[i] {
			t.Errorf("row %d: ID %q, want key text %q", i, got, wantIDs[i])
		}
		if at, _ := ev.After.Get("at"); !reflect.DeepEqual(at, wantAt[i]) {
			t.Errorf("row %d: at = %#v, want %#v", i, at, wantAt[i])
		}
		var p progress
		if err := json.Unmarshal(ev.Position, &p); err != nil {
			t.Fatalf("row %d: position %s: %v", i, ev.Position, err)
		}
		if !reflect.DeepEqual(p.Snapshot.After, wantAfter[i]) {
			t.Errorf("row %d: position %s, want after %q", i, ev.Position, wantAfter[i])
		}
		lsn = p.LSN
	}

	// A position as earlier versions wrote it, in the middle of the table.
	pos := cdc.Position(`{"v":1,"lsn":"` + lsn + `","snapshot":{"table":"public.k","after":["-5","b,c"]}}`)
	evs = read(pos, 3)
	for i, ev := range evs {
		if got := ev.ID(); got != "pg:snapshot:public.k:"+wantIDs[i+2] {
			t.Errorf("resumed row %d: ID %q, want key text %q", i, got, wantIDs[i+2])
		}
	}
}
