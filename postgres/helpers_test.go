package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// exec runs SQL (several statements allowed) on the database at dsn.
func exec(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
