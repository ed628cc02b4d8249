package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
)

// TestSchemaChanges: columns added, dropped, made nullable or given a default after
// the snapshot show up as schema events with a new version, each before the first
// change that uses the new shape — also for the first change after the snapshot,
// which is compared with the schema the snapshot read.
func TestSchemaChanges(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := newDB(t, pg)
	exec(t, dsn, `CREATE TABLE items (id int PRIMARY KEY, name text);
		INSERT INTO items VALUES (1, 'a')`)
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "ddl", Publication: "ddl",
		Tables: []string{"public.items"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := src.Open(ctx, cdc.OpenRequest{Name: "ddl"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Each step is read before the next runs: nullability, defaults and the key come
	// from the catalog when the Relation message is decoded (see the package doc).
	steps := []struct {
		sql  string
		want []string
	}{
		{"", []string{"r v0 [id!* name]"}},
		{`ALTER TABLE items ADD COLUMN qty int NOT NULL DEFAULT 1; INSERT INTO items VALUES (2, 'b', 5)`,
			[]string{"s v1 [id!* name qty!=1]", "c v1 [id!* name qty!=1]"}},
		{`INSERT INTO items VALUES (3, 'c', 6)`, []string{"c v1 [id!* name qty!=1]"}}, // same shape
		{`ALTER TABLE items DROP COLUMN name; INSERT INTO items VALUES (4, 7)`,
			[]string{"s v2 [id!* qty!=1]", "c v2 [id!* qty!=1]"}},
		{`ALTER TABLE items ADD COLUMN note text; ALTER TABLE items ALTER COLUMN note SET DEFAULT 'x';
			INSERT INTO items (id, qty) VALUES (5, 8)`,
			[]string{"s v3 [id!* qty!=1 note='x'::text]", "c v3 [id!* qty!=1 note='x'::text]"}},
		{`ALTER TABLE items ALTER COLUMN qty DROP NOT NULL; INSERT INTO items VALUES (6, 9, 'y')`,
			[]string{"s v4 [id!* qty=1 note='x'::text]", "c v4 [id!* qty=1 note='x'::text]"}},
	}
	for _, step := range steps {
		if step.sql != "" {
			exec(t, dsn, step.sql)
		}
		var got []string
		for len(got) < len(step.want) {
			evs, err := st.Read(ctx)
			if err != nil {
				t.Fatalf("after %q, read %v: %v", step.sql, got, err)
			}
			for _, ev := range evs {
				if ev.Op != cdc.OpHeartbeat {
					got = append(got, describeSchema(ev))
				}
			}
		}
		if strings.Join(got, "\n") != strings.Join(step.want, "\n") {
			t.Fatalf("after %q, events:\n%s\nwant:\n%s", step.sql, strings.Join(got, "\n"), strings.Join(step.want, "\n"))
		}
	}
}

// describeSchema is an event's op, schema version and columns: name, ! for NOT NULL,
// * for the key, = and the default.
func describeSchema(ev cdc.Event) string {
	var cols []string
	for _, c := range ev.Schema.Columns {
		s := c.Name
		if !c.Nullable {
			s += "!"
		}
		if c.PrimaryKey {
			s += "*"
		}
		if c.Default != nil {
			s += "=" + *c.Default
		}
		cols = append(cols, s)
	}
	return fmt.Sprintf("%s v%d [%s]", ev.Op, ev.Schema.Version, strings.Join(cols, " "))
}
