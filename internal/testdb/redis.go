package testdb

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// EnvRedisAddr names the environment variable that points the Redis helpers
// at an existing server ("host:port") instead of starting one.
const EnvRedisAddr = "TRIBUTARY_TEST_REDIS_ADDR"

// Redis is a running Redis server without persistence.
type Redis struct {
	Addr string // "127.0.0.1:PORT"

	srv *simpleServer // nil for an external server
}

// NewRedis starts a Redis server for the test and closes it in t.Cleanup.
// A missing installation skips the test (fails it when CI is set).
func NewRedis(t testing.TB) *Redis {
	t.Helper()
	r, err := StartRedis()
	if err != nil {
		handleStartErr(t, "Redis", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("closing Redis: %v", err)
		}
	})
	return r
}

// StartRedis starts a Redis server, or describes the one named by
// TRIBUTARY_TEST_REDIS_ADDR. The caller must call Close.
func StartRedis() (*Redis, error) {
	if addr := os.Getenv(EnvRedisAddr); addr != "" {
		return &Redis{Addr: addr}, nil
	}
	bin, err := findBinary([]string{"redis-server"}, "/usr/bin/redis-server", "/usr/local/bin/redis-server")
	if err != nil {
		return nil, err
	}
	args := func(port int, dir string) []string {
		return []string{
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--save", "",
			"--appendonly", "no",
			"--dir", dir,
		}
	}
	ready := func(ctx context.Context, addr string) error {
		line, err := dialLine(ctx, addr, "PING\r\n")
		if err != nil {
			return err
		}
		if line != "+PONG" {
			return fmt.Errorf("PING answered %q", line)
		}
		return nil
	}
	srv, port, err := startSimple("tributary-redis-*", bin, args, ready)
	if err != nil {
		return nil, err
	}
	return &Redis{Addr: "127.0.0.1:" + strconv.Itoa(port), srv: srv}, nil
}

// Close stops the server and removes its directory. It is a no-op for an
// external server and safe to call more than once.
func (r *Redis) Close() error {
	if r.srv == nil {
		return nil
	}
	return r.srv.close()
}
