package postgres

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// A spool holds the changes of transactions the server streams before they commit
// (pgoutput protocol version 2, streaming 'on'). Nothing of such a transaction may be
// delivered before its commit, and it may be aborted (wholly, or a subtransaction of
// it), so its messages wait here: in memory up to a budget shared by all open
// transactions, then in a temporary file. The file is unlinked as soon as it is
// created, so it disappears with the process however the process ends.
//
// A record is the message in protocol version 1 form (the xid that version 2 puts
// after the type byte removed) preceded by its length and the (sub)transaction xid.
type spool struct {
	counter *atomic.Int64 // the source's count of spilled transactions
	dir     string
	budget  int64
	inMem   int64 // bytes held in memory by all open transactions
	txs     map[uint32]*spoolTx
	spilled int // transactions that went to disk (for tests and logs)
}

type spoolTx struct {
	xid     uint32
	mem     []byte
	file    *os.File
	w       *bufio.Writer
	aborted map[uint32]bool
}

const spoolHeader = 8 // length, xid

func newSpool(dir string, budget int64, counter *atomic.Int64) *spool {
	return &spool{counter: counter, dir: dir, budget: budget, txs: map[uint32]*spoolTx{}}
}

func (s *spool) tx(xid uint32) *spoolTx {
	t := s.txs[xid]
	if t == nil {
		t = &spoolTx{xid: xid}
		s.txs[xid] = t
	}
	return t
}

// add appends a version 2 in-stream message (type, xid, body) to the transaction.
func (s *spool) add(t *spoolTx, msg []byte) error {
	if len(msg) < 5 {
		return fmt.Errorf("postgres: streamed message of %d bytes is too short", len(msg))
	}
	var hdr [spoolHeader + 1]byte
	binary.BigEndian.PutUint32(hdr[0:4], uint32(len(msg)-4))
	copy(hdr[4:8], msg[1:5]) // the (sub)transaction xid
	hdr[8] = msg[0]
	body := msg[5:]
	n := int64(len(hdr) + len(body))
	if t.file == nil && s.inMem+n > s.budget {
		if err := s.spill(t); err != nil {
			return err
		}
	}
	if t.file != nil {
		if _, err := t.w.Write(hdr[:]); err != nil {
			return spillErr(err)
		}
		if _, err := t.w.Write(body); err != nil {
			return spillErr(err)
		}
		return nil
	}
	t.mem = append(append(t.mem, hdr[:]...), body...)
	s.inMem += n
	return nil
}

func spillErr(err error) error {
	return fmt.Errorf("postgres: writing a large transaction to the spill file: %w (free disk space in Config.SpillDir, or raise Config.TxMemory)", err)
}

// spill moves the transaction's records to a new temporary file.
func (s *spool) spill(t *spoolTx) error {
	f, err := os.CreateTemp(s.dir, "tributary-pgtx-*")
	if err != nil {
		return fmt.Errorf("postgres: creating a spill file for a large transaction: %w (set Config.SpillDir to a writable directory)", err)
	}
	os.Remove(f.Name()) // unlinked: the data lives as long as the descriptor
	t.file = f
	t.w = bufio.NewWriterSize(f, 256<<10)
	if _, err := t.w.Write(t.mem); err != nil {
		return spillErr(err)
	}
	s.inMem -= int64(len(t.mem))
	t.mem = nil
	s.spilled++
	s.counter.Add(1)
	return nil
}

// abort discards a whole transaction (sub == xid) or marks a subtransaction's records
// to be skipped.
func (s *spool) abort(xid, sub uint32) {
	t := s.txs[xid]
	if t == nil {
		return
	}
	if sub != xid && sub != 0 {
		if t.aborted == nil {
			t.aborted = map[uint32]bool{}
		}
		t.aborted[sub] = true
		return
	}
	s.drop(t)
}

// drop forgets the transaction and frees its memory or file.
func (s *spool) drop(t *spoolTx) {
	delete(s.txs, t.xid)
	s.inMem -= int64(len(t.mem))
	t.mem = nil
	if t.file != nil {
		t.file.Close()
		t.file = nil
	}
}

// close drops every open transaction.
func (s *spool) close() {
	for _, t := range s.txs {
		s.drop(t)
	}
}

// replay calls fn with each record of the transaction that no subtransaction abort
// removed, in the order received. msg is in protocol version 1 form and only valid
// during the call.
func (s *spool) replay(t *spoolTx, fn func(msg []byte) error) error {
	var r io.Reader
	if t.file != nil {
		if err := t.w.Flush(); err != nil {
			return spillErr(err)
		}
		if _, err := t.file.Seek(0, io.SeekStart); err != nil {
			return spillErr(err)
		}
		r = bufio.NewReaderSize(t.file, 256<<10)
	}
	mem := t.mem
	var hdr [spoolHeader]byte
	var buf []byte
	for {
		var msg []byte
		var xid uint32
		if r == nil {
			if len(mem) == 0 {
				return nil
			}
			n := binary.BigEndian.Uint32(mem[0:4])
			xid = binary.BigEndian.Uint32(mem[4:8])
			msg, mem = mem[spoolHeader:spoolHeader+n], mem[spoolHeader+n:]
		} else {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				if err == io.EOF {
					return nil
				}
				return fmt.Errorf("postgres: reading the spill file: %w", err)
			}
			n := binary.BigEndian.Uint32(hdr[0:4])
			xid = binary.BigEndian.Uint32(hdr[4:8])
			if cap(buf) < int(n) {
				buf = make([]byte, n)
			}
			msg = buf[:n]
			if _, err := io.ReadFull(r, msg); err != nil {
				return fmt.Errorf("postgres: reading the spill file: %w", err)
			}
		}
		if t.aborted[xid] {
			continue
		}
		if err := fn(msg); err != nil {
			return err
		}
	}
}
