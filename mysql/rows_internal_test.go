package mysql

import (
	"errors"
	"fmt"
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
