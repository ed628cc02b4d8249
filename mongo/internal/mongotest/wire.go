package mongotest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Opcodes of the MongoDB wire protocol that the server speaks.
const (
	opReply = 1    // OP_REPLY: answer to a legacy OP_QUERY
	opQuery = 2004 // OP_QUERY: only the driver's first handshake message ("isMaster")
	opMsg   = 2013 // OP_MSG: every other command
)

const maxMessage = 48 << 20

// request is one decoded command.
type request struct {
	id     int32
	opcode int32
	cmd    bson.D // the body, with OP_MSG document sequences merged in as arrays
	db     string
}

// readRequest reads one message. OP_MSG document sequences (kind 1 sections, which the
// driver uses for insert documents and update/delete statements) become array fields of
// the command, as the server treats them.
func readRequest(r io.Reader) (*request, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	length := int32(binary.LittleEndian.Uint32(hdr[0:]))
	if length < 16 || length > maxMessage {
		return nil, fmt.Errorf("mongotest: message length %d", length)
	}
	body := make([]byte, length-16)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	req := &request{id: int32(binary.LittleEndian.Uint32(hdr[4:])), opcode: int32(binary.LittleEndian.Uint32(hdr[12:]))}
	switch req.opcode {
	case opQuery:
		// flags, cstring collection, skip, nreturn, query document.
		if len(body) < 4 {
			return nil, errors.New("mongotest: short OP_QUERY")
		}
		rest := body[4:]
		i := indexZero(rest)
		if i < 0 {
			return nil, errors.New("mongotest: OP_QUERY without collection name")
		}
		ns := string(rest[:i])
		rest = rest[i+1:]
		if len(rest) < 8 {
			return nil, errors.New("mongotest: short OP_QUERY")
		}
		doc, _, err := readDoc(rest[8:])
		if err != nil {
			return nil, err
		}
		if err := bson.Unmarshal(doc, &req.cmd); err != nil {
			return nil, err
		}
		req.db = ns
		if j := indexDot(ns); j >= 0 {
			req.db = ns[:j]
		}
		return req, nil
	case opMsg:
		if len(body) < 4 {
			return nil, errors.New("mongotest: short OP_MSG")
		}
		flags := binary.LittleEndian.Uint32(body)
		rest := body[4:]
		if flags&1 != 0 { // checksumPresent
			rest = rest[:len(rest)-4]
		}
		var seqs []bson.E
		for len(rest) > 0 {
			kind := rest[0]
			rest = rest[1:]
			switch kind {
			case 0:
				doc, r2, err := readDoc(rest)
				if err != nil {
					return nil, err
				}
				if err := bson.Unmarshal(doc, &req.cmd); err != nil {
					return nil, err
				}
				rest = r2
			case 1:
				if len(rest) < 4 {
					return nil, errors.New("mongotest: short document sequence")
				}
				size := int(binary.LittleEndian.Uint32(rest))
				if size < 4 || size > len(rest) {
					return nil, errors.New("mongotest: bad document sequence size")
				}
				sec := rest[4:size]
				rest = rest[size:]
				i := indexZero(sec)
				if i < 0 {
					return nil, errors.New("mongotest: document sequence without identifier")
				}
				id := string(sec[:i])
				sec = sec[i+1:]
				var docs bson.A
				for len(sec) > 0 {
					doc, r2, err := readDoc(sec)
					if err != nil {
						return nil, err
					}
					var d bson.D
					if err := bson.Unmarshal(doc, &d); err != nil {
						return nil, err
					}
					docs = append(docs, d)
					sec = r2
				}
				seqs = append(seqs, bson.E{Key: id, Value: docs})
			default:
				return nil, fmt.Errorf("mongotest: OP_MSG section kind %d", kind)
			}
		}
		req.cmd = append(req.cmd, seqs...)
		for _, e := range req.cmd {
			if e.Key == "$db" {
				req.db, _ = e.Value.(string)
			}
		}
		return req, nil
	}
	return nil, fmt.Errorf("mongotest: opcode %d is not modeled (only OP_MSG and the OP_QUERY handshake)", req.opcode)
}

func readDoc(b []byte) (bson.Raw, []byte, error) {
	if len(b) < 5 {
		return nil, nil, errors.New("mongotest: short document")
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < 5 || n > len(b) {
		return nil, nil, errors.New("mongotest: bad document length")
	}
	return bson.Raw(b[:n]), b[n:], nil
}

// writeReply answers req with doc, in the opcode the request used.
func writeReply(w io.Writer, req *request, doc bson.D) error {
	body, err := bson.Marshal(doc)
	if err != nil {
		return err
	}
	var msg []byte
	msg = binary.LittleEndian.AppendUint32(msg, 0) // length, set below
	msg = binary.LittleEndian.AppendUint32(msg, uint32(nextID()))
	msg = binary.LittleEndian.AppendUint32(msg, uint32(req.id))
	if req.opcode == opQuery {
		msg = binary.LittleEndian.AppendUint32(msg, opReply)
		msg = binary.LittleEndian.AppendUint32(msg, 8) // AwaitCapable
		msg = binary.LittleEndian.AppendUint64(msg, 0) // cursor id
		msg = binary.LittleEndian.AppendUint32(msg, 0) // starting from
		msg = binary.LittleEndian.AppendUint32(msg, 1) // number returned
	} else {
		msg = binary.LittleEndian.AppendUint32(msg, opMsg)
		msg = binary.LittleEndian.AppendUint32(msg, 0) // flags
		msg = append(msg, 0)                           // section kind 0
	}
	msg = append(msg, body...)
	binary.LittleEndian.PutUint32(msg, uint32(len(msg)))
	_, err = w.Write(msg)
	return err
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

func indexDot(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}
