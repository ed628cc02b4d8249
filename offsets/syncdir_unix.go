//go:build !windows

package offsets

import (
	"errors"
	"os"
	"syscall"
)

// syncDir fsyncs a directory, so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		err = nil // the file system does not fsync directories (and needs no fsync)
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
