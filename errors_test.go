package cdc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/tributary-cdc/cdc"
)

func TestIsRetryable(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("bad config"), false},
		{"marked", cdc.Retryable(errors.New("slot in use")), true},
		{"unexpected EOF", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{"connection refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"cancelled", fmt.Errorf("read: %w", context.Canceled), false},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), false},
		// A driver's own time-out marked by the source: the mark wins.
		{"marked deadline", cdc.Retryable(fmt.Errorf("server selection: %w", context.DeadlineExceeded)), true},
		{"position lost", fmt.Errorf("%w: slot gone", cdc.ErrPositionLost), false},
	} {
		if got := cdc.IsRetryable(c.err); got != c.want {
			t.Errorf("%s: IsRetryable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
