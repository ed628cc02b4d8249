package cdctest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/offsets"
)

func TestOffsetStoreMemory(t *testing.T) {
	cdctest.TestOffsetStore(t, func(t *testing.T) cdc.OffsetStore { return offsets.NewMemory() })
}

// brokenStores are stores that each break one rule of the contract, and the subtest of
// TestOffsetStore that must notice.
var brokenStores = map[string]struct {
	store   func() cdc.OffsetStore
	failing string
}{
	"aliasing":          {func() cdc.OffsetStore { return &brokenStore{alias: true} }, "CopiesPositions"},
	"empty-for-missing": {func() cdc.OffsetStore { return &brokenStore{emptyMissing: true} }, "MissingKey"},
	"folds-keys":        {func() cdc.OffsetStore { return &brokenStore{foldKeys: true} }, "KeysIndependent"},
	"trims":             {func() cdc.OffsetStore { return &brokenStore{trim: true} }, "BinaryBytes"},
	"reformats":         {func() cdc.OffsetStore { return &brokenStore{compact: true} }, "JSONByteIdentical"},
	"truncates":         {func() cdc.OffsetStore { return &brokenStore{maxLen: 64 << 10} }, "LargeValue"},
	"torn-writes":       {func() cdc.OffsetStore { return &brokenStore{torn: true} }, "ConcurrentSameKey"},
}

const brokenEnv = "CDCTEST_BROKEN_OFFSET_STORE"

// TestOffsetStoreCatchesBrokenStores runs the suite against each broken store in a child
// process and checks that the right subtest fails.
func TestOffsetStoreCatchesBrokenStores(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" { // never skipped in CI
		t.Skip("starts child processes")
	}
	for name, b := range brokenStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestOffsetStoreBrokenChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), brokenEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store that breaks the contract:\n%s", out)
			}
			if want := "--- FAIL: TestOffsetStoreBrokenChild/" + b.failing + " "; !bytes.Contains(out, []byte(want)) {
				t.Fatalf("subtest %s did not fail:\n%s", b.failing, out)
			}
		})
	}
}

func TestOffsetStoreBrokenChild(t *testing.T) {
	name := os.Getenv(brokenEnv)
	if name == "" {
		// Not a child of TestOffsetStoreCatchesBrokenStores: the same store without
		// defects must pass the suite, or the suite would fail correct stores.
		cdctest.TestOffsetStore(t, func(t *testing.T) cdc.OffsetStore { return &brokenStore{} })
		return
	}
	b, ok := brokenStores[name]
	if !ok {
		t.Fatalf("unknown broken store %q", name)
	}
	cdctest.TestOffsetStore(t, func(t *testing.T) cdc.OffsetStore { return b.store() })
}

// brokenStore is a map store with optional defects.
type brokenStore struct {
	alias        bool // keeps and returns the caller's slices
	emptyMissing bool // returns an empty position for missing keys
	foldKeys     bool // lower-cases keys
	trim         bool // trims white space off positions
	compact      bool // stores JSON positions compacted
	maxLen       int  // truncates longer positions
	torn         bool // writes a position in two steps, visible in between

	mu sync.Mutex
	m  map[string][]byte
}

func (s *brokenStore) key(k string) string {
	if s.foldKeys {
		return strings.ToLower(k)
	}
	return k
}

func (s *brokenStore) Load(ctx context.Context, key string) (cdc.Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[s.key(key)]
	switch {
	case !ok && s.emptyMissing:
		return cdc.Position{}, nil
	case !ok:
		return nil, nil
	case s.alias:
		return p, nil
	}
	return bytes.Clone(p), nil
}

func (s *brokenStore) Save(ctx context.Context, key string, pos cdc.Position) error {
	p := []byte(pos)
	if !s.alias {
		p = append([]byte{}, pos...)
	}
	if s.trim {
		p = bytes.TrimSpace(p)
	}
	if s.compact && json.Valid(p) {
		var buf bytes.Buffer
		json.Compact(&buf, p)
		p = buf.Bytes()
	}
	if s.maxLen > 0 && len(p) > s.maxLen {
		p = p[:s.maxLen]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	k := s.key(key)
	if !s.torn {
		s.m[k] = p
		return nil
	}
	// Write the first half, let readers in, then write the rest.
	old := s.m[k]
	half := len(p) / 2
	mixed := append(append([]byte{}, p[:half]...), old[min(half, len(old)):]...)
	s.m[k] = mixed
	s.mu.Unlock()
	runtime.Gosched()
	s.mu.Lock()
	s.m[k] = p
	return nil
}
