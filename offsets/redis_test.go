package offsets_test

import (
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/offsets"
)

func redisClient(t testing.TB) *redis.Client {
	t.Helper()
	srv := testdb.NewRedis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRedis(t *testing.T) {
	c := redisClient(t)
	cdctest.TestOffsetStore(t, func(t *testing.T) cdc.OffsetStore {
		return offsets.NewRedis(c, uniqueName("test")+":")
	})
	t.Run("Keys", func(t *testing.T) { testKeys(t, offsets.NewRedis(c, uniqueName("test")+":")) })
}

func TestRedisKeysAndErrors(t *testing.T) {
	ctx := testCtx(t)
	c := redisClient(t)
	s := offsets.NewRedis(c, "")
	if s.Prefix() != "tributary:offsets:" {
		t.Errorf("default prefix %q", s.Prefix())
	}
	if err := s.Save(ctx, "orders-sync", cdc.Position(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "tributary:offsets:orders-sync").Result(); err != nil || got != `{"v":1}` {
		t.Errorf("redis key = %q, %v", got, err)
	}
	if ttl, err := c.TTL(ctx, "tributary:offsets:orders-sync").Result(); err != nil || ttl != -1 {
		t.Errorf("TTL = %v, %v; want no expiry", ttl, err)
	}
	// Another prefix is another namespace.
	if got, err := offsets.NewRedis(c, "other:").Load(ctx, "orders-sync"); err != nil || got != nil {
		t.Errorf("Load with another prefix = %q, %v", got, err)
	}
	// A key of another type is unreadable data.
	if err := c.RPush(ctx, "tributary:offsets:list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "list"); !errors.Is(err, cdc.ErrCorruptOffsets) {
		t.Errorf("Load of a list: %v, want ErrCorruptOffsets", err)
	}
	if err := offsets.NewRedis(nil, "").Save(ctx, "k", nil); !errors.Is(err, cdc.ErrInvalidConfig) {
		t.Errorf("nil client: %v", err)
	}
	// A server that is gone: an error, not a hang.
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer dead.Close()
	if _, err := offsets.NewRedis(dead, "").Load(ctx, "k"); err == nil || errors.Is(err, cdc.ErrCorruptOffsets) {
		t.Errorf("Load from an unreachable server: %v", err)
	}
}
