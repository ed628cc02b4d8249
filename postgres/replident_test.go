package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

// TestReplicaIdentityBefore: what Before holds under each replica identity. With
// DEFAULT the server sends only the key of the old row, and only when there is one to
// send: Before must then hold the key columns only, never NULLs standing in for values
// that were not sent.
func TestReplicaIdentityBefore(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := newDB(t, pg)
	exec(t, dsn, `CREATE TABLE full_items (id int PRIMARY KEY, name text, note text);
		ALTER TABLE full_items REPLICA IDENTITY FULL;
		CREATE TABLE key_items (id int PRIMARY KEY, name text, note text);
		CREATE TABLE idx_items (id int PRIMARY KEY, code text NOT NULL UNIQUE, note text);
		ALTER TABLE idx_items REPLICA IDENTITY USING INDEX idx_items_code_key`)
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "ident", Publication: "ident",
		Tables: []string{"public.full_items", "public.key_items", "public.idx_items"}, SnapshotMode: cdc.SnapshotNever})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := src.Open(ctx, cdc.OpenRequest{Name: "ident"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tbl := range []string{"full_items", "key_items"} {
		exec(t, dsn, fmt.Sprintf(`INSERT INTO %[1]s VALUES (1, 'a', NULL);
			UPDATE %[1]s SET name = 'b' WHERE id = 1;
			UPDATE %[1]s SET id = 2 WHERE id = 1;
			DELETE FROM %[1]s WHERE id = 2`, tbl))
	}
	want := []string{
		"full_items c before=- key=map[id:1]",
		"full_items u before=map[id:1 name:a note:<nil>] key=map[id:1]",
		"full_items u before=map[id:1 name:b note:<nil>] key=map[id:2]",
		"full_items d before=map[id:2 name:b note:<nil>] key=map[id:2]",
		"key_items c before=- key=map[id:1]",
		"key_items u before=- key=map[id:1]",
		"key_items u before=map[id:1] key=map[id:2]",
		"key_items d before=map[id:2] key=map[id:2]",
	}
	exec(t, dsn, `INSERT INTO idx_items VALUES (1, 'x', NULL);
		UPDATE idx_items SET note = 'n' WHERE id = 1;
		UPDATE idx_items SET code = 'y' WHERE id = 1;
		DELETE FROM idx_items WHERE id = 1`)
	want = append(want,
		"idx_items c before=- key=map[id:1]",
		"idx_items u before=- key=map[id:1]",
		"idx_items u before=map[code:x] key=map[id:1]",
		"idx_items d before=map[code:y] key=map[code:y]")
	var got []string
	for len(got) < len(want) {
		evs, err := st.Read(ctx)
		if err != nil {
			t.Fatalf("Read after %d events: %v", len(got), err)
		}
		for _, ev := range evs {
			if ev.Op == cdc.OpHeartbeat {
				continue
			}
			before := "-"
			if !ev.Before.IsZero() {
				before = fmt.Sprint(ev.Before.Map())
			}
			got = append(got, fmt.Sprintf("%s %s before=%s key=%v", ev.Table.Name, ev.Op, before, ev.Key.Map()))
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %s\n            want %s", i, got[i], want[i])
		}
	}
}

// TestKeylessTableWarning: a captured table without a primary key and with REPLICA
// IDENTITY DEFAULT gets one warning that says how to fix it, also across reopens;
// tables with a key or with REPLICA IDENTITY FULL get none.
func TestKeylessTableWarning(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := newDB(t, pg)
	exec(t, dsn, `CREATE TABLE nokey (a int, b text);
		CREATE TABLE nokey_full (a int); ALTER TABLE nokey_full REPLICA IDENTITY FULL`)
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "warn", Publication: "warn",
		Tables: []string{"public.nokey", "public.nokey_full", "public.orders"}, SnapshotMode: cdc.SnapshotNever})
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	for range 2 {
		st, err := src.Open(context.Background(), cdc.OpenRequest{Name: "warn", Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "table=public.nokey\n") || !strings.Contains(out, `ALTER TABLE public.nokey REPLICA IDENTITY FULL`) {
		t.Fatalf("warning does not name the table and the fix:\n%s", out)
	}
}
