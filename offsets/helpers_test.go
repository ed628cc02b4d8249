package offsets_test

import (
	"context"
	"testing"
	"time"
)

const ctxTimeout = 30 * time.Second

// testCtx returns a context that ends with the test, or after ctxTimeout.
func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), ctxTimeout)
	tb.Cleanup(cancel)
	return ctx
}
