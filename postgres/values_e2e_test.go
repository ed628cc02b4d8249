package postgres_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

// TestValuesThroughReplication sends known values through the replication stream
// (pgoutput relation and tuple messages, not a SELECT) and checks the decoded Go values,
// including an unchanged TOAST column on update.
func TestValuesThroughReplication(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := pg.CreateDatabase(t, "values")
	big := make([]byte, 20000) // incompressible: stored out of line (TOAST)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range big {
		big[i] = 'a' + byte(r.IntN(26))
	}
	exec(t, dsn, `CREATE TYPE mood AS ENUM ('sad', 'happy');
		CREATE DOMAIN price AS numeric(8,2) CHECK (VALUE >= 0);
		CREATE TABLE v (id int PRIMARY KEY, n numeric, p price, f float8, m mood, a int[], j jsonb,
			d date, ts timestamptz, u uuid, b bytea, big text)`)
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "values", Publication: "values", SnapshotMode: cdc.SnapshotNever})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := src.Open(ctx, cdc.OpenRequest{Name: "values"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exec(t, dsn, `INSERT INTO v VALUES (1, 'NaN', 12.5, '-Infinity', 'happy', '{{1,2},{3,NULL}}', '{"k": "ü"}',
		'infinity', '2026-11-24 10:20:30.123456+05:30', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '\x00ff', '`+string(big)+`');
		UPDATE v SET p = 13 WHERE id = 1`)
	var got []cdc.Event
	for len(got) < 2 {
		evs, err := st.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Op == cdc.OpCreate || ev.Op == cdc.OpUpdate {
				got = append(got, ev)
			}
		}
	}
	ins := got[0].After
	want := map[string]any{
		"id": int64(1), "n": cdc.DecimalNaN, "p": cdc.MustParseDecimal("12.50"), "m": "happy",
		"a": []any{[]any{int64(1), int64(2)}, []any{int64(3), nil}}, "j": json.RawMessage(`{"k": "ü"}`),
		"d":  cdc.PositiveInfinity,
		"ts": time.Date(2026, 11, 24, 4, 50, 30, 123456000, time.UTC),
		"u":  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "b": []byte{0, 0xff}, "big": string(big),
	}
	for col, w := range want {
		v, ok := ins.Get(col)
		if !ok || !reflect.DeepEqual(v, w) {
			if d, isDec := v.(cdc.Decimal); isDec && d.Equal(w.(cdc.Decimal)) {
				continue
			}
			t.Errorf("%s = %#v (%T), want %#v", col, v, v, w)
		}
	}
	if f, _ := ins.Float64("f"); f > -1e308 {
		t.Errorf("f = %v, want -Inf", f)
	}
	if c, _ := got[0].Schema.Column("p"); c.Kind != cdc.KindDecimal {
		t.Errorf("domain over numeric has kind %v", c.Kind)
	}
	upd := got[1].After
	if v, _ := upd.Get("big"); !cdc.IsUnchanged(v) {
		t.Errorf("the TOAST column an update left alone is %T, want cdc.Unchanged", v)
	}
	if v, _ := upd.Decimal("p"); !v.Equal(cdc.MustParseDecimal("13")) {
		t.Errorf("updated p = %v", v)
	}
	if got[1].Source.CommitTime.IsZero() || got[1].ID() == "" || got[1].Source.TxID == "" {
		t.Errorf("source metadata missing: %+v id=%q", got[1].Source, got[1].ID())
	}
}
