package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/jackc/pglogrepl"
	"github.com/tributary-cdc/cdc"
)

// position is the source's resume point, stored as small versioned JSON:
//
//	{"v":1,"lsn":"0/16B3748"}                           stream after this LSN
//	{"v":1,"lsn":"0/16B3748","tx":"0/16C0000","n":2048}  and skip the first 2048 changes
//	                                                    of the transaction committing at tx
//	{"v":1,"lsn":"0/16B3748","snapshot":{...}}          a snapshot in progress
type position struct {
	V        int       `json:"v"`
	LSN      string    `json:"lsn"`
	TxLSN    string    `json:"tx,omitempty"`
	TxDone   int64     `json:"n,omitempty"`
	Snapshot *snapshot `json:"snapshot,omitempty"`
}

// snapshot records snapshot progress: tables done, and the last key read of the
// table in progress (text values of its primary-key columns).
type snapshot struct {
	Done  []string `json:"done,omitempty"`
	Table string   `json:"table,omitempty"`
	After []string `json:"after,omitempty"`
}

func parsePosition(p cdc.Position) (position, pglogrepl.LSN, error) {
	var pos position
	if err := json.Unmarshal(p, &pos); err != nil || pos.V != 1 {
		return pos, 0, fmt.Errorf("%w: %q is not a PostgreSQL source position (want {\"v\":1,\"lsn\":...})", cdc.ErrCorruptOffsets, p)
	}
	lsn, err := pglogrepl.ParseLSN(pos.LSN)
	if err != nil {
		return pos, 0, fmt.Errorf("%w: position %q has a bad LSN: %v", cdc.ErrCorruptOffsets, p, err)
	}
	return pos, lsn, nil
}

func (p position) encode() cdc.Position {
	p.V = 1
	b, _ := json.Marshal(p)
	return b
}

// lsnPosition is the position after a whole transaction or a heartbeat.
func lsnPosition(lsn pglogrepl.LSN) cdc.Position {
	return cdc.Position(`{"v":1,"lsn":"` + lsn.String() + `"}`)
}
