package mysql

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
)

// selectRows runs a query on conn and hands each row of its text-protocol result to
// fn. The row points into the read buffer and is valid only until fn returns.
//
// It reads the result straight off the connection's socket instead of through
// go-mysql's ExecuteSelectStreaming, which copies every packet twice through pooled
// buffers and then parses each value into a FieldValue that the snapshot's decoders
// turn back into bytes: about a third of a snapshot reader's CPU. Reading the socket
// directly is sound because the protocol is request/response: once every earlier
// result has been read to its end (go-mysql reads each to its end, as selectRows
// does), the server has sent nothing more, so go-mysql's buffered reader holds
// nothing. The connections are never compressed (Config has no such option).
//
// A cut connection is an error wrapping gmysql.ErrBadConn (which classify makes
// retryable), a result that breaks the protocol one wrapping gmysql.ErrMalformPacket
// (not retryable: it would break again), a server error its *gmysql.MyError. After a
// server error the connection is ready for the next command; after any other error,
// fn's included, the rest of the result is unread and the connection must be closed.
func selectRows(conn *client.Conn, q string, ncols int, fn func(row *textRow) error) error {
	pc := conn.Conn
	if pc.Compression != gmysql.MYSQL_COMPRESS_NONE {
		return errors.New("mysql: internal error: a compressed connection") // never set up by connect
	}
	// COM_QUERY, after the 4 header bytes WritePacket fills in. With query attributes
	// agreed (MySQL 8.0.23+), the query comes after an empty attribute set.
	pkt := make([]byte, 5, 7+len(q))
	pkt[4] = gmysql.COM_QUERY
	if agreed(conn, gmysql.CLIENT_QUERY_ATTRIBUTES) {
		pkt = append(pkt, 0, 1) // no parameters, one parameter set
	}
	pc.ResetSequence()
	if err := pc.WritePacket(append(pkt, q...)); err != nil {
		return fmt.Errorf("mysql: sending a query: %w", err)
	}
	r := &packetReader{r: pc.Conn, seq: pc.Sequence, buf: make([]byte, 128<<10)}
	data, err := r.next()
	if err != nil {
		return err
	}
	switch data[0] {
	case gmysql.ERR_HEADER:
		return errPacket(conn, data)
	case gmysql.OK_HEADER, gmysql.LocalInFile_HEADER:
		return fmt.Errorf("%w: the query returned no rows: %s", gmysql.ErrMalformPacket, q)
	}
	if n, k := lenenc(data); k == 0 || k != len(data) || n != uint64(ncols) {
		return fmt.Errorf("%w: the query returned %d columns, %d expected: %s", gmysql.ErrMalformPacket, n, ncols, q)
	}
	for range ncols { // column definitions: the caller knows its columns
		if _, err := r.next(); err != nil {
			return err
		}
	}
	if !agreed(conn, gmysql.CLIENT_DEPRECATE_EOF) {
		if data, err = r.next(); err != nil {
			return err
		} else if !isEOF(data) {
			return fmt.Errorf("%w: no EOF packet after the column definitions", gmysql.ErrMalformPacket)
		}
	}
	row := &textRow{at: make([]int, 2*ncols)}
	for {
		if data, err = r.next(); err != nil {
			return err
		}
		switch {
		case isEOF(data): // EOF, or OK with its header: the end of the rows
			pc.Sequence = r.seq
			return nil
		case data[0] == gmysql.ERR_HEADER: // killed, or a read error on the server
			return errPacket(conn, data)
		}
		if err := row.split(data); err != nil {
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

// errPacket returns the server error an ERR packet carries. go-mysql's parser keeps
// the message pointing into the bytes (so they are copied) and does not check their
// length: a packet shorter than code, marker and SQL state is malformed.
func errPacket(conn *client.Conn, data []byte) error {
	if len(data) < 9 {
		return fmt.Errorf("%w: an error packet of %d bytes", gmysql.ErrMalformPacket, len(data))
	}
	return conn.HandleErrorPacket(bytes.Clone(data))
}

// agreed reports whether the client and the server agreed on a capability at the
// handshake. go-mysql exports the agreed set only as CapabilityString, which names
// each flag as CapNames does, or "(<value>)" for a flag it has no name for.
func agreed(conn *client.Conn, flag uint32) bool {
	name, ok := gmysql.CapNames[flag]
	if !ok {
		name = "(" + strconv.FormatUint(uint64(flag), 10) + ")"
	}
	return strings.Contains("|"+conn.CapabilityString()+"|", "|"+name+"|")
}

// textRow is a row of a text-protocol result: its packet, and where each value is in
// it (offsets, not slices: setting pointers for every value would cost the garbage
// collector's write barrier for each).
type textRow struct {
	data []byte
	at   []int // start and end of each value in data; -1, -1 for NULL
}

// value returns the i-th value: nil for NULL, non-nil (maybe empty) otherwise.
func (r *textRow) value(i int) []byte {
	start, end := r.at[2*i], r.at[2*i+1]
	if start < 0 {
		return nil
	}
	return r.data[start:end:end]
}

// split finds the values of a row packet.
func (r *textRow) split(data []byte) error {
	r.data = data
	pos, n := 0, len(r.at)/2
	for i := range n {
		if pos >= len(data) {
			return fmt.Errorf("%w: a row of %d values where %d were expected", gmysql.ErrMalformPacket, i, n)
		}
		if data[pos] == 0xfb {
			r.at[2*i], r.at[2*i+1] = -1, -1
			pos++
			continue
		}
		l, k := lenenc(data[pos:])
		if k == 0 || uint64(len(data)-pos-k) < l {
			return fmt.Errorf("%w: a malformed row value", gmysql.ErrMalformPacket)
		}
		pos += k
		r.at[2*i], r.at[2*i+1] = pos, pos+int(l)
		pos += int(l)
	}
	if pos != len(data) {
		return fmt.Errorf("%w: a row of more than %d values", gmysql.ErrMalformPacket, n)
	}
	return nil
}

// lenenc reads a length-encoded integer: its value and its size in bytes, 0 when
// data is too short or does not start one.
func lenenc(data []byte) (uint64, int) {
	switch b := data[0]; {
	case b < 0xfb:
		return uint64(b), 1
	case b == 0xfc && len(data) >= 3:
		return uint64(binary.LittleEndian.Uint16(data[1:])), 3
	case b == 0xfd && len(data) >= 4:
		return uint64(data[1]) | uint64(data[2])<<8 | uint64(data[3])<<16, 4
	case b == 0xfe && len(data) >= 9:
		return binary.LittleEndian.Uint64(data[1:]), 9
	}
	return 0, 0
}

// packetReader reads the packets of a result from the socket through its own buffer.
type packetReader struct {
	r        io.Reader
	seq      uint8
	buf      []byte
	off, end int    // the unread bytes: buf[off:end]
	big      []byte // a payload of 16 MiB or more, from several packets
}

// next returns the next packet's payload (never empty), valid until the next call.
func (p *packetReader) next() ([]byte, error) {
	data, full, err := p.packet()
	if err != nil {
		return nil, err
	}
	if !full {
		if len(data) == 0 { // only the last packet of a long payload may be empty
			return nil, fmt.Errorf("%w: an empty packet", gmysql.ErrMalformPacket)
		}
		return data, nil
	}
	// A payload of MaxPayloadLen bytes continues in the next packet (which may be
	// empty); payloads that long are rare, and assembled aside.
	p.big = append(p.big[:0], data...)
	for full {
		if data, full, err = p.packet(); err != nil {
			return nil, err
		}
		p.big = append(p.big, data...)
	}
	return p.big, nil
}

// packet reads one packet: its payload and whether it is a full one, continued by the
// next.
func (p *packetReader) packet() ([]byte, bool, error) {
	if err := p.fill(4); err != nil {
		return nil, false, err
	}
	h := p.buf[p.off : p.off+4]
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	if h[3] != p.seq {
		return nil, false, fmt.Errorf("%w: packet sequence %d, %d expected", gmysql.ErrMalformPacket, h[3], p.seq)
	}
	p.seq++
	p.off += 4
	if err := p.fill(n); err != nil {
		return nil, false, err
	}
	data := p.buf[p.off : p.off+n : p.off+n]
	p.off += n
	return data, n == gmysql.MaxPayloadLen, nil
}

// fill makes n unread bytes available in buf[off:], moving the unread bytes to the
// front (and growing buf for a long packet) when they would not fit after off.
func (p *packetReader) fill(n int) error {
	if p.end-p.off >= n {
		return nil
	}
	if p.off+n > len(p.buf) {
		if n > len(p.buf) {
			p.buf = append(make([]byte, 0, n), p.buf[p.off:p.end]...)[:n]
		} else {
			copy(p.buf, p.buf[p.off:p.end])
		}
		p.end -= p.off
		p.off = 0
	}
	got, err := io.ReadAtLeast(p.r, p.buf[p.end:], n-(p.end-p.off))
	p.end += got
	if err != nil {
		return fmt.Errorf("%w: reading a result: %w", gmysql.ErrBadConn, err)
	}
	return nil
}

// isEOF reports the packet that ends a result's column definitions or rows: an EOF
// packet, or with CLIENT_DEPRECATE_EOF an OK packet with EOF's header (at most
// MaxPayloadLen bytes, the server's limit). A row whose first byte is that header has
// a first value of 16 MiB or more, so its payload is longer.
func isEOF(data []byte) bool {
	return data[0] == gmysql.EOF_HEADER && len(data) <= gmysql.MaxPayloadLen
}
