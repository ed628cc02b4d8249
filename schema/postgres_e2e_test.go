package schema_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/postgres"
	"github.com/tributary-cdc/cdc/schema"
)

// TestRegisterWithPostgres: the registering transform in front of a real PostgreSQL
// source. Adding a nullable column, and a NOT NULL column with a literal default, are
// BACKWARD compatible: new value schema ids, same key schema id. Adding a NOT NULL
// column whose default is an expression (now()) is not: with PolicyFail the engine stops
// with the report, which names the column and the fix.
func TestRegisterWithPostgres(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := pg.CreateDatabase(t, "reg")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The writer runs beside the engine: its failures go to the engine as handler errors.
	writeErr := make(chan error, 8)
	exec := func(sql string) {
		if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
			writeErr <- fmt.Errorf("%s: %w", sql, err)
		}
	}
	exec("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(10,2) NOT NULL)")
	src, err := postgres.New(postgres.Config{ConnString: dsn, Slot: "reg", Publication: "reg",
		Tables: []string{"public.orders"}})
	if err != nil {
		t.Fatal(err)
	}
	reg := schema.NewMemoryRegistry(schema.Backward)
	eng, err := cdc.NewEngine(src, cdc.WithName("shop"),
		cdc.WithTransforms(schema.Register(reg, schema.WithPolicy(schema.PolicyFail))))
	if err != nil {
		t.Fatal(err)
	}
	type ids struct{ key, value any }
	var seen []ids
	steps := []string{
		"ALTER TABLE orders ADD COLUMN note text; INSERT INTO orders VALUES (2, 2.00, 'n')",
		"ALTER TABLE orders ADD COLUMN qty int NOT NULL DEFAULT 1; INSERT INTO orders VALUES (3, 3.00, NULL, 5)",
		"ALTER TABLE orders ADD COLUMN created timestamptz NOT NULL DEFAULT now(); INSERT INTO orders VALUES (4, 4.00, NULL, 5)",
	}
	exec("INSERT INTO orders VALUES (1, 1.00)") // read by the initial snapshot
	// One writer goroutine owns the connection from here on.
	stmts := make(chan string, len(steps))
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for sql := range stmts {
			exec(sql)
		}
	}()
	defer func() { close(stmts); <-writerDone }() // before the connection closes
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		select {
		case err := <-writeErr:
			return err
		default:
		}
		if ev.Op != cdc.OpCreate && ev.Op != cdc.OpRead {
			return nil
		}
		k, _ := ev.Header(schema.HeaderKeySchemaID)
		v, _ := ev.Header(schema.HeaderValueSchemaID)
		seen = append(seen, ids{k, v})
		if len(seen) > len(steps) {
			return fmt.Errorf("row 4 registered under value schema id %v: the now() default was not seen (schema %v)", v, ev.Schema.Columns)
		}
		stmts <- steps[len(seen)-1]
		return nil
	})
	var incompatible *schema.IncompatibleError
	if !errors.As(err, &incompatible) {
		t.Fatalf("Run = %v, want an IncompatibleError after the now() column", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "created") || !strings.Contains(msg, "default") {
		t.Fatalf("the error does not name the column and the fix: %v", err)
	}
	if len(seen) != 3 {
		t.Fatalf("handled %d rows before the incompatible change, want 3 (%v)", len(seen), seen)
	}
	for i := 1; i < 3; i++ {
		if seen[i].key != seen[0].key || seen[i].value == seen[i-1].value || seen[i].value == nil {
			t.Fatalf("schema ids per insert %v: want one key id and a new value id per compatible change", seen)
		}
	}
	t.Logf("schema ids %v; stopped with: %v", seen, err)
}
