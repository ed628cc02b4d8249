//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package offsets

import "context"

// lockFile does nothing where flock is not available: saves are serialised only inside
// one File value.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	return func() {}, ctx.Err()
}
