package mysql

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tributary-cdc/cdc"
)

// position is the source's resume point, stored as small versioned JSON:
//
//	{"v":1,"file":"mysql-bin.000003","pos":1234}                    stream after this point
//	{"v":1,"file":"mysql-bin.000003","pos":1234,"gtids":"0-1-42"}   the same, with the GTID
//	                                                                state at that point
//	{"v":1,"file":"mysql-bin.000003","pos":900,"n":2048,"tx":"0-1-43","gtids":"0-1-42"}
//	                                                                re-read the transaction
//	                                                                that starts at 900 (GTID
//	                                                                tx), skipping its first
//	                                                                2048 rows
//	{"v":1,"file":...,"pos":...,"snapshot":{...}}                  a snapshot in progress; the
//	                                                                stream starts at file/pos
//
// gtids is the GTID state of the server at file/pos: MariaDB's gtid_binlog_pos form
// (the last GTID of each domain) or MySQL's executed GTID set; server is MySQL's
// server_uuid of the server the file and pos belong to. On the server that wrote the
// position the stream resumes at file/pos; on another one (a failover), from gtids.
type position struct {
	V        int       `json:"v"`
	File     string    `json:"file"`
	Pos      uint32    `json:"pos"`
	TxDone   int64     `json:"n,omitempty"`
	GTIDs    string    `json:"gtids,omitempty"`
	TxGTID   string    `json:"tx,omitempty"` // with n: the GTID of the transaction
	Server   string    `json:"server,omitempty"`
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
	if !plainGTIDText(pos.GTIDs) || !plainGTIDText(pos.TxGTID) {
		return pos, fmt.Errorf("%w: MySQL source position %q has a malformed GTID state", cdc.ErrCorruptOffsets, p)
	}
	return pos, nil
}

func (p position) encode() cdc.Position {
	p.V = 1
	b, _ := json.Marshal(p)
	return b
}

// plainGTIDText reports whether s has only the characters of GTIDs and GTID sets
// (numbers, UUIDs, MySQL's tags, separators), so it needs no JSON escaping.
func plainGTIDText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == ':' || c == ',' || c == '_') {
			return false
		}
	}
	return true
}

// posEncoder builds the positions of the stream's hot path without encoding/json.
type posEncoder struct {
	server string // MySQL's server_uuid, or ""
	file   string
	quoted []byte // `{"v":1,["server":...,]"file":"<file>","pos":`
	buf    []byte
}

// at returns {"v":1,"file":...,"pos":pos[,"n":n,"tx":tx][,"gtids":...]}; gtids and tx
// must be plainGTIDText.
func (e *posEncoder) at(file string, pos uint32, n int64, gtids, tx string) cdc.Position {
	if file != e.file || e.quoted == nil {
		q, _ := json.Marshal(file)
		e.file = file
		e.quoted = append(e.quoted[:0], `{"v":1,`...)
		if e.server != "" {
			s, _ := json.Marshal(e.server)
			e.quoted = append(append(append(e.quoted, `"server":`...), s...), ',')
		}
		e.quoted = append(append(append(e.quoted, `"file":`...), q...), `,"pos":`...)
	}
	b := append(e.buf[:0], e.quoted...)
	b = strconv.AppendUint(b, uint64(pos), 10)
	if n > 0 {
		b = strconv.AppendInt(append(b, `,"n":`...), n, 10)
		if tx != "" {
			b = append(append(append(b, `,"tx":"`...), tx...), '"')
		}
	}
	if gtids != "" {
		b = append(append(append(append(b, `,"gtids":"`...), gtids...), '"'), `}`...)
	} else {
		b = append(b, '}')
	}
	e.buf = b
	return cdc.Position(append([]byte(nil), b...))
}
