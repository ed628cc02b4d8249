package mysql

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/tributary-cdc/cdc/internal/testdb"
)

// TestSelectRowsProtocols: selectRows reads results with and without
// CLIENT_DEPRECATE_EOF (MariaDB 10.11 agrees to it, so the classic EOF packets need a
// client that does not ask), hands over server errors as *gmysql.MyError, and leaves
// the connection ready for go-mysql's next command.
func TestSelectRowsProtocols(t *testing.T) {
	m := testdb.NewMariaDB(t)
	m.CreateDatabase(t, "wire")
	for _, deprecateEOF := range []bool{true, false} {
		t.Run(fmt.Sprintf("deprecate_eof=%v", deprecateEOF), func(t *testing.T) {
			conn, err := client.Connect(m.Addr, m.User, m.Password, "wire", func(c *client.Conn) error {
				if !deprecateEOF {
					c.UnsetCapability(gmysql.CLIENT_DEPRECATE_EOF)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if got := strings.Contains("|"+conn.CapabilityString()+"|", "|CLIENT_DEPRECATE_EOF|"); got != deprecateEOF {
				t.Fatalf("CLIENT_DEPRECATE_EOF agreed: %v (capabilities %s)", got, conn.CapabilityString())
			}
			if _, err := conn.Execute("CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, s VARCHAR(10))"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Execute("REPLACE INTO t VALUES (1, 'a'), (2, NULL), (3, '')"); err != nil {
				t.Fatal(err)
			}
			var got []string
			err = selectRows(conn, "SELECT id, s FROM t ORDER BY id", 2, func(r *textRow) error {
				s := "NULL"
				if v := r.value(1); v != nil {
					s = "'" + string(v) + "'"
				}
				got = append(got, string(r.value(0))+"="+s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != "[1='a' 2=NULL 3='']" {
				t.Fatalf("rows %v", got)
			}
			if _, err := conn.Execute("DO 1"); err != nil {
				t.Fatalf("go-mysql's next command after selectRows: %v", err)
			}
			// A server error, then an empty result: the connection stays in step.
			var me *gmysql.MyError
			if err := selectRows(conn, "SELECT id FROM missing", 1, func(*textRow) error { return nil }); !errors.As(err, &me) || me.Code != gmysql.ER_NO_SUCH_TABLE {
				t.Fatalf("selecting from a missing table: %v", err)
			}
			n := 0
			if err := selectRows(conn, "SELECT id, s FROM t WHERE id > 99", 2, func(*textRow) error { n++; return nil }); err != nil || n != 0 {
				t.Fatalf("empty result: %d rows, %v", n, err)
			}
			r, err := conn.Execute("SELECT COUNT(*) FROM t")
			if err != nil {
				t.Fatalf("go-mysql's next command after selectRows: %v", err)
			}
			if v, _ := r.GetInt(0, 0); v != 3 {
				t.Fatalf("COUNT(*) = %d", v)
			}
			if err := selectRows(conn, "SELECT id FROM t", 2, func(*textRow) error { return nil }); !errors.Is(err, gmysql.ErrMalformPacket) {
				t.Fatalf("a result of 1 column read as 2: %v", err)
			}
		})
	}
}

// TestRowParsingMalformed: no input makes the row and packet parsers panic; they
// return ErrMalformPacket (or ErrBadConn for a cut stream) instead.
func TestRowParsingMalformed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	row := &textRow{at: make([]int, 6)}
	for range 5000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if rng.IntN(3) == 0 { // length prefixes more often
				b[i] = []byte{0xfb, 0xfc, 0xfd, 0xfe, 0, 1, 2}[rng.IntN(7)]
			}
		}
		if err := row.split(b); err != nil && !errors.Is(err, gmysql.ErrMalformPacket) {
			t.Fatalf("split(% x): %v", b, err)
		}
		if len(b) > 0 {
			lenenc(b)
		}
		r := &packetReader{r: bytes.NewReader(b), buf: make([]byte, 8)}
		for {
			if _, err := r.next(); err != nil {
				if !errors.Is(err, gmysql.ErrMalformPacket) && !errors.Is(err, gmysql.ErrBadConn) {
					t.Fatalf("next(% x): %v", b, err)
				}
				break
			}
		}
	}
	if err := errPacket(nil, []byte{0xff, 1}); !errors.Is(err, gmysql.ErrMalformPacket) {
		t.Fatalf("a 2-byte error packet: %v", err)
	}
}

// TestPacketReaderLongPayload: a payload of exactly MaxPayloadLen bytes continues in
// the next packet, here an empty one; the packets' sequence numbers are checked.
func TestPacketReaderLongPayload(t *testing.T) {
	var stream []byte
	packet := func(seq byte, payload []byte) {
		n := len(payload)
		stream = append(stream, byte(n), byte(n>>8), byte(n>>16), seq)
		stream = append(stream, payload...)
	}
	long := bytes.Repeat([]byte{'x'}, gmysql.MaxPayloadLen)
	packet(0, long)
	packet(1, nil)
	packet(2, []byte("next"))
	r := &packetReader{r: bytes.NewReader(stream), buf: make([]byte, 64<<10)}
	if got, err := r.next(); err != nil || len(got) != gmysql.MaxPayloadLen {
		t.Fatalf("long payload: %d bytes, %v", len(got), err)
	}
	if got, err := r.next(); err != nil || string(got) != "next" {
		t.Fatalf("the packet after: %q, %v", got, err)
	}
	stream = nil
	packet(0, []byte("a"))
	packet(5, []byte("b"))
	r = &packetReader{r: bytes.NewReader(stream), buf: make([]byte, 16)}
	r.next()
	if _, err := r.next(); !errors.Is(err, gmysql.ErrMalformPacket) {
		t.Fatalf("a packet out of sequence: %v", err)
	}
}
