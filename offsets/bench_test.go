package offsets_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/offsets"
)

// BenchmarkSave measures one Save of a small position, with the servers configured to
// make a Save durable (unlike the servers of the tests, which skip fsync): PostgreSQL with
// fsync=on, MariaDB flushing its log at each commit, Redis with appendfsync always (and,
// for comparison, with its default configuration, which does not make Saves durable).
func BenchmarkSave(b *testing.B) {
	run := func(name string, s cdc.OffsetStore) {
		b.Run(name, func(b *testing.B) {
			ctx := testCtx(b)
			for i := range b.N {
				if err := s.Save(ctx, "orders-sync", cdc.Position(fmt.Sprintf(`{"v":1,"lsn":"0/%X"}`, 0x16B3748+i))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("Memory", offsets.NewMemory())
	run("File", offsets.NewFile(filepath.Join(b.TempDir(), "offsets.json")))

	withHistory := offsets.NewFile(filepath.Join(b.TempDir(), "offsets.json"))
	history := make(cdc.Position, 1<<20)
	for i := range history {
		history[i] = byte(i * 7)
	}
	if err := withHistory.Save(testCtx(b), "orders-sync/schema-history", history); err != nil {
		b.Fatal(err)
	}
	run("File-with-1MB-history", withHistory)

	pg := testdb.NewPostgres(b, testdb.PostgresOptions{Settings: map[string]string{"fsync": "on", "synchronous_commit": "on"}})
	pgStore, err := offsets.NewSQL(openDB(b, "pgx", pg.CreateDatabase(b, "bench")), offsets.SQLConfig{Dialect: offsets.Postgres})
	if err != nil {
		b.Fatal(err)
	}
	run("SQL-Postgres", pgStore)

	my := testdb.NewMariaDB(b, testdb.MariaDBOptions{Args: []string{"--innodb-flush-method=fsync", "--innodb-flush-log-at-trx-commit=1", "--sync-binlog=1"}})
	myStore, err := offsets.NewSQL(openDB(b, "mysql", my.CreateDatabase(b, "bench")), offsets.SQLConfig{Dialect: offsets.MySQL})
	if err != nil {
		b.Fatal(err)
	}
	run("SQL-MariaDB", myStore)

	rs := testdb.NewRedis(b)
	c := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer c.Close()
	run("Redis-default", offsets.NewRedis(c, ""))
	ctx := testCtx(b)
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		b.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
		b.Fatal(err)
	}
	run("Redis-appendfsync-always", offsets.NewRedis(c, ""))
}
