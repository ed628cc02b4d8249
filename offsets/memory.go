package offsets

import (
	"context"
	"sync"

	"github.com/tributary-cdc/cdc"
)

// Memory is an OffsetStore that keeps positions in a map. Nothing survives the process:
// use it in tests and for runs that may start over with a new snapshot.
// It is safe for concurrent use.
type Memory struct {
	mu sync.RWMutex
	m  map[string]cdc.Position
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{m: make(map[string]cdc.Position)}
}

// Load returns a copy of the position saved under key, or (nil, nil).
func (s *Memory) Load(ctx context.Context, key string) (cdc.Position, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.m[key]
	if !ok {
		return nil, nil
	}
	return clone(p), nil
}

// Save stores a copy of pos under key.
func (s *Memory) Save(ctx context.Context, key string, pos cdc.Position) error {
	if err := checkKey(key); err != nil {
		return err
	}
	p := clone(pos)
	s.mu.Lock()
	s.m[key] = p
	s.mu.Unlock()
	return nil
}

var _ cdc.OffsetStore = (*Memory)(nil)
