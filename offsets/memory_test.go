package offsets_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/offsets"
)

func TestMemory(t *testing.T) {
	cdctest.TestOffsetStore(t, func(t *testing.T) cdc.OffsetStore { return offsets.NewMemory() })
}

func TestMemoryKeys(t *testing.T) { testKeys(t, offsets.NewMemory()) }

func TestFileKeys(t *testing.T) {
	testKeys(t, offsets.NewFile(filepath.Join(t.TempDir(), "offsets.json")))
}

// testKeys checks the key rules every store of the package shares: keys up to 255 bytes
// work, empty, longer, non-UTF-8 and NUL-containing keys are configuration errors.
func testKeys(t *testing.T, s cdc.OffsetStore) {
	t.Helper()
	ctx := testCtx(t)
	longest := strings.Repeat("é", offsets.MaxKeyLen/2) + "x" // 255 bytes, 128 characters
	if len(longest) != offsets.MaxKeyLen {
		t.Fatalf("test key is %d bytes", len(longest))
	}
	if err := s.Save(ctx, longest, cdc.Position("long")); err != nil {
		t.Fatalf("Save with a %d-byte key: %v", len(longest), err)
	}
	if got, err := s.Load(ctx, longest); err != nil || !bytes.Equal(got, cdc.Position("long")) {
		t.Fatalf("Load with a %d-byte key = %q, %v", len(longest), got, err)
	}
	for _, key := range []string{"", longest + "x", "bad\xffutf8", "nul\x00byte"} {
		if err := s.Save(ctx, key, cdc.Position("x")); !errors.Is(err, cdc.ErrInvalidConfig) {
			t.Errorf("Save(%q) error = %v, want ErrInvalidConfig", key, err)
		}
		if _, err := s.Load(ctx, key); !errors.Is(err, cdc.ErrInvalidConfig) {
			t.Errorf("Load(%q) error = %v, want ErrInvalidConfig", key, err)
		}
	}
}
