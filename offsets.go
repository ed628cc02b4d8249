package cdc

import "context"

// OffsetStore keeps positions under string keys (the engine name, and auxiliary keys
// of sources). The offsets package has Memory, File, SQL and Redis implementations;
// cdctest.TestOffsetStore checks an implementation against this contract.
//
// Implementations must be safe for concurrent use. Save must be durable when it returns:
// the engine tells the database to discard data only after Save succeeds.
type OffsetStore interface {
	// Load returns the position saved under key, or (nil, nil) when there is none.
	// Stored data that cannot be read is an error wrapping ErrCorruptOffsets.
	Load(ctx context.Context, key string) (Position, error)
	// Save stores pos under key, replacing the previous position.
	Save(ctx context.Context, key string, pos Position) error
}
