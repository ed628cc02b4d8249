package offsets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-cdc/cdc"
)

// DefaultRedisPrefix is the key prefix Redis stores use when none is given.
const DefaultRedisPrefix = "tributary:offsets:"

// Redis is an OffsetStore that keeps each position in a Redis string key, prefix + key,
// with SET and GET (no expiry).
//
// Durability depends on the server, not on this store: Redis acknowledges a SET once it is
// in memory. With the default configuration (RDB snapshots only) a crash of the server
// loses every Save since the last snapshot; with appendonly yes and appendfsync everysec
// it loses up to a second of Saves; only appendonly yes with appendfsync always makes a
// Save durable when it returns. Replication is asynchronous, so a failover can lose Saves
// too. A lost Save makes the engine resume from an older position, which the source
// database may already have discarded: run Redis with appendfsync always for offsets, or
// use the SQL or File store.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis returns a Redis store using client. An empty prefix means DefaultRedisPrefix.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &Redis{client: client, prefix: prefix}
}

// Prefix returns the prefix of the store's Redis keys.
func (s *Redis) Prefix() string { return s.prefix }

// Load returns the position saved under key, or (nil, nil).
func (s *Redis) Load(ctx context.Context, key string) (cdc.Position, error) {
	if err := s.check(key); err != nil {
		return nil, err
	}
	b, err := s.client.Get(ctx, s.prefix+key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE"):
		return nil, fmt.Errorf("%w: redis key %q is not a string (%v): delete it to start over, which takes a new snapshot",
			cdc.ErrCorruptOffsets, s.prefix+key, err)
	case err != nil:
		return nil, fmt.Errorf("offsets: redis GET %q: %w", s.prefix+key, err)
	}
	return clone(b), nil
}

// Save stores pos under key.
func (s *Redis) Save(ctx context.Context, key string, pos cdc.Position) error {
	if err := s.check(key); err != nil {
		return err
	}
	if err := s.client.Set(ctx, s.prefix+key, []byte(pos), 0).Err(); err != nil {
		return fmt.Errorf("offsets: redis SET %q: %w", s.prefix+key, err)
	}
	return nil
}

func (s *Redis) check(key string) error {
	if s.client == nil {
		return cdc.ConfigError("offsets.NewRedis client", "must not be nil: pass a connected redis client")
	}
	return checkKey(key)
}

var _ cdc.OffsetStore = (*Redis)(nil)
