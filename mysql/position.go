package mysql

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tributary-cdc/cdc"
)

// position is the source's resume point, stored as small versioned JSON:
//
//	{"v":1,"file":"mysql-bin.000003","pos":1234}                 stream after this point
//	{"v":1,"file":"mysql-bin.000003","pos":1234,"gtid":"0-1-42"} the same, with the GTID
//	                                                             of the transaction before it
//	{"v":1,"file":"mysql-bin.000003","pos":900,"n":2048}         re-read the transaction that
//	                                                             starts at 900, skipping its
//	                                                             first 2048 rows
//	{"v":1,"file":...,"pos":...,"snapshot":{...}}               a snapshot in progress; the
//	                                                             stream starts at file/pos
//
// The GTID is informational in this version: resuming uses file and pos.
type position struct {
	V        int       `json:"v"`
	File     string    `json:"file"`
	Pos      uint32    `json:"pos"`
	TxDone   int64     `json:"n,omitempty"`
	GTID     string    `json:"gtid,omitempty"`
	Snapshot *snapshot `json:"snapshot,omitempty"`
}

// snapshot records snapshot progress: the tables done, and the key of the last row
// read of the table in progress (text values of its primary-key columns; binary
// columns hex-encoded).
type snapshot struct {
	Done  []string `json:"done,omitempty"`
	Table string   `json:"table,omitempty"`
	After []string `json:"after,omitempty"`
}

func parsePosition(p cdc.Position) (position, error) {
	var pos position
	if err := json.Unmarshal(p, &pos); err != nil || pos.V != 1 {
		return pos, fmt.Errorf(`%w: %q is not a MySQL source position (want {"v":1,"file":...,"pos":...})`, cdc.ErrCorruptOffsets, p)
	}
	if pos.File == "" || pos.Pos < 4 || pos.TxDone < 0 {
		return pos, fmt.Errorf("%w: MySQL source position %q has no binlog file, a position below 4 or a negative row count", cdc.ErrCorruptOffsets, p)
	}
	return pos, nil
}

func (p position) encode() cdc.Position {
	p.V = 1
	b, _ := json.Marshal(p)
	return b
}

// posEncoder builds the positions of the stream's hot path without encoding/json.
type posEncoder struct {
	file   string
	quoted []byte // `{"v":1,"file":"<file>","pos":`
	buf    []byte
}

// at returns {"v":1,"file":...,"pos":pos[,"n":n][,"gtid":...]}.
func (e *posEncoder) at(file string, pos uint32, n int64, gtid string) cdc.Position {
	if file != e.file || e.quoted == nil {
		q, _ := json.Marshal(file)
		e.file = file
		e.quoted = append(append([]byte(`{"v":1,"file":`), q...), `,"pos":`...)
	}
	b := append(e.buf[:0], e.quoted...)
	b = strconv.AppendUint(b, uint64(pos), 10)
	if n > 0 {
		b = strconv.AppendInt(append(b, `,"n":`...), n, 10)
	}
	if gtid != "" {
		q, _ := json.Marshal(gtid)
		b = append(append(b, `,"gtid":`...), q...)
	}
	b = append(b, '}')
	e.buf = b
	return cdc.Position(append([]byte(nil), b...))
}
