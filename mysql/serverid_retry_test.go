package mysql_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestServerIDHeldByAnotherSource: a server id held by another Tributary source
// (typically this consumer's previous process, not yet dropped by the server) is
// reported with a retryable error, so a restarted engine waits instead of failing
// for good; once the holder is gone, Open succeeds.
func TestServerIDHeldByAnotherSource(t *testing.T) {
	cfg := mysql.Config{ServerID: 4_100_001, SnapshotMode: cdc.SnapshotNever, HeartbeatPeriod: 200 * time.Millisecond}
	holder := open(t, newSource(t, shared, cfg), nil)
	readStart(t, holder)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := newSource(t, shared, cfg).Open(ctx, cdc.OpenRequest{Name: "second"})
	if !errors.Is(err, cdc.ErrInvalidConfig) || !cdc.IsRetryable(err) || !strings.Contains(err.Error(), "another Tributary source") {
		t.Fatalf("Open with the id of a live source: %v; want a retryable ErrInvalidConfig naming another Tributary source", err)
	}
	holder.Close()
	st, err := newSource(t, shared, cfg).Open(ctx, cdc.OpenRequest{Name: "second"})
	if err != nil {
		t.Fatalf("Open once the holder closed: %v", err)
	}
	st.Close()
}
