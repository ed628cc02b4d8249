//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package offsets_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/offsets"
)

// TestFileLockWait checks that Save waits for the lock held by another process, and gives
// up when its context ends.
func TestFileLockWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offsets.json")
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	fd := int(lock.Fd())
	if err := syscall.Flock(fd, syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	f := offsets.NewFile(path)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = f.Save(ctx, "a", cdc.Position(`{}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Save while another process holds the lock = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Save took %v to give up", d)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file was written without the lock: %v", err)
	}

	// Released a moment later: the Save goes through.
	released := make(chan struct{})
	go func() {
		defer close(released)
		time.Sleep(50 * time.Millisecond)
		syscall.Flock(fd, syscall.LOCK_UN)
	}()
	err = f.Save(testCtx(t), "a", cdc.Position(`{}`))
	<-released
	if err != nil {
		t.Fatalf("Save after the lock is released: %v", err)
	}
}
