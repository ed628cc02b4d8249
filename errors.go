package cdc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrInvalidConfig is wrapped by every error about bad configuration: the message
	// names the field and the fix.
	ErrInvalidConfig = errors.New("cdc: invalid configuration")

	// ErrPositionLost means the stored position no longer exists on the server (a dropped
	// replication slot, a purged binlog, an expired resume token). Streaming from it would
	// lose changes; a snapshot mode of when_needed takes a new snapshot instead.
	ErrPositionLost = errors.New("cdc: stored position is no longer available on the server")

	// ErrCorruptOffsets means an offset store holds data it cannot read. It is never reset
	// silently: fix or remove the stored offsets by hand (and take a new snapshot).
	ErrCorruptOffsets = errors.New("cdc: stored offsets are corrupt")

	// ErrClosed is returned by an Engine that has been closed.
	ErrClosed = errors.New("cdc: engine closed")

	// ErrRunning is returned when Run or Events is called while the engine is already running.
	ErrRunning = errors.New("cdc: engine is already running")

	// ErrHandlerPanic is wrapped by the error Run returns when the handler panicked.
	ErrHandlerPanic = errors.New("cdc: handler panicked")

	// ErrNoColumn, ErrNull and ErrType are returned by Row's typed getters and Scan.
	ErrNoColumn = errors.New("cdc: no such column")
	ErrNull     = errors.New("cdc: value is NULL")
	ErrType     = errors.New("cdc: value has another type")
)

// ConfigError builds an error wrapping ErrInvalidConfig that names the field and says
// what to do: ConfigError("Slot", "must not be empty: set the replication slot name").
func ConfigError(field, problem string) error {
	return fmt.Errorf("%w: %s %s", ErrInvalidConfig, field, problem)
}

// PanicError is returned by Run when the handler panics. It wraps ErrHandlerPanic.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the handler goroutine's stack at the panic
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("cdc: handler panicked: %v\n%s", e.Value, e.Stack)
}

func (e *PanicError) Unwrap() error { return ErrHandlerPanic }

type retryableError struct{ err error }

func (e retryableError) Error() string   { return e.err.Error() }
func (e retryableError) Unwrap() error   { return e.err }
func (e retryableError) Retryable() bool { return true }

// Retryable marks err as a transient fault (connection lost, server restarting): the engine
// reconnects with backoff instead of stopping. A nil err stays nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return retryableError{err}
}

// IsRetryable reports whether the engine should reconnect after err: it was marked with
// Retryable (or has a Retryable() bool method returning true), or it is a network
// failure: a broken or refused connection, an unexpected EOF, a network timeout.
// Unmarked context cancellation and deadline errors are not retryable.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	// An explicit mark wins: a driver's own time-out (MongoDB's server selection, say)
	// wraps context.DeadlineExceeded without being the engine's context. The engine
	// checks its own context before asking.
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}
