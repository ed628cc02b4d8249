package testdb

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// EnvNATSURL names the environment variable that points the NATS helpers at
// an existing server ("nats://host:port") instead of starting one.
const EnvNATSURL = "TRIBUTARY_TEST_NATS_URL"

// NATS is a running NATS server with JetStream enabled.
type NATS struct {
	URL string // "nats://127.0.0.1:PORT"

	srv *simpleServer // nil for an external server
}

// NewNATS starts a NATS server for the test and closes it in t.Cleanup.
// A missing installation skips the test (fails it when CI is set).
func NewNATS(t testing.TB) *NATS {
	t.Helper()
	n, err := StartNATS()
	if err != nil {
		handleStartErr(t, "NATS", err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("closing NATS: %v", err)
		}
	})
	return n
}

// StartNATS starts a NATS server with JetStream, or describes the one named
// by TRIBUTARY_TEST_NATS_URL. The caller must call Close.
func StartNATS() (*NATS, error) {
	if u := os.Getenv(EnvNATSURL); u != "" {
		return &NATS{URL: u}, nil
	}
	bin, err := findBinary([]string{"nats-server"},
		"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")
	if err != nil {
		return nil, err
	}
	args := func(port int, dir string) []string {
		return []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir}
	}
	ready := func(ctx context.Context, addr string) error {
		line, err := dialLine(ctx, addr, "")
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "INFO ") {
			return fmt.Errorf("unexpected greeting %q", line)
		}
		return nil
	}
	srv, port, err := startSimple("tributary-nats-*", bin, args, ready)
	if err != nil {
		return nil, err
	}
	return &NATS{URL: "nats://127.0.0.1:" + strconv.Itoa(port), srv: srv}, nil
}

// Close stops the server and removes its directory. It is a no-op for an
// external server and safe to call more than once.
func (n *NATS) Close() error {
	if n.srv == nil {
		return nil
	}
	return n.srv.close()
}
