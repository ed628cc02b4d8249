package mongo

import (
	"encoding/json"
	"fmt"

	"github.com/tributary-cdc/cdc"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// position is the source's resume point (see doc.go, Positions).
type position struct {
	V int `json:"v"`
	// Token is a resume token in canonical Extended JSON: an event's own _id while
	// streaming, the resume point taken before the snapshot while snapshotting.
	Token json.RawMessage `json:"token"`
	// Snapshot is set while a snapshot is in progress.
	Snapshot *snapProgress `json:"snapshot,omitempty"`
}

// snapProgress records how far a snapshot got, per collection.
type snapProgress struct {
	Done []string `json:"done,omitempty"` // "db.coll" copied completely
	Coll string   `json:"coll,omitempty"` // the collection being copied
	// After is the last copied _id of Coll, canonical Extended JSON of {"_id": value}.
	After json.RawMessage `json:"after,omitempty"`
}

func encodePosition(p position) (cdc.Position, error) {
	p.V = 1
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("mongo: encoding position: %w", err)
	}
	return b, nil
}

func parsePosition(b cdc.Position) (position, error) {
	var p position
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("%w: mongo: position %q is not valid JSON: %v", cdc.ErrCorruptOffsets, b, err)
	}
	if p.V != 1 {
		return p, fmt.Errorf("%w: mongo: position %q has version %d, want 1 (written by a newer release?)", cdc.ErrCorruptOffsets, b, p.V)
	}
	if len(p.Token) == 0 {
		return p, fmt.Errorf("%w: mongo: position %q has no resume token", cdc.ErrCorruptOffsets, b)
	}
	if _, err := p.token(); err != nil {
		return p, fmt.Errorf("%w: mongo: position %q: %v", cdc.ErrCorruptOffsets, b, err)
	}
	return p, nil
}

// token decodes the stored resume token.
func (p position) token() (bson.Raw, error) {
	var raw bson.Raw
	if err := bson.UnmarshalExtJSON(p.Token, true, &raw); err != nil {
		return nil, fmt.Errorf("resume token %s: %w", p.Token, err)
	}
	return raw, nil
}
