package mysql_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/sourcetest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestServerRestartMidStream: the server is restarted twice while an application
// inserts rows 1..2000, one transaction each; the engine must reconnect by itself and
// deliver every row, in order, exactly once.
func TestServerRestartMidStream(t *testing.T) {
	needOwnServer(t, "restarts the server")
	m := testdb.NewMariaDB(t)
	run(t, dial(t, m), "CREATE TABLE test.items (id INT PRIMARY KEY)")
	var conn *client.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	sourcetest.RestartMidStream{
		Source: newSource(t, m, mysql.Config{Tables: []string{"test.items"}, HeartbeatPeriod: 500 * time.Millisecond}),
		Rows:   2000,
		Insert: func(_ context.Context, id int) error {
			if conn == nil {
				c, err := client.Connect(m.Addr, m.User, m.Password, "test")
				if err != nil {
					return err
				}
				conn = c
			}
			// IGNORE: the commit of a retried insert may have succeeded.
			if _, err := conn.Execute(fmt.Sprintf("INSERT IGNORE INTO items VALUES (%d)", id)); err != nil {
				conn.Close()
				conn = nil
				return err
			}
			return nil
		},
		Restart: m.Restart,
	}.Run(t)
}

// TestServerRestartMidSnapshot: see sourcetest.RestartMidSnapshot. The snapshot reads
// rows off the socket itself: a cut result must be a retryable error.
func TestServerRestartMidSnapshot(t *testing.T) {
	needOwnServer(t, "restarts the server")
	m := testdb.NewMariaDB(t)
	const rows = 20000
	run(t, dial(t, m), "CREATE TABLE test.big (id INT PRIMARY KEY, s VARCHAR(20))", insertSeq("test.big", "seq, 'x'", 1, rows))
	sourcetest.RestartMidSnapshot{
		Source:  newSource(t, m, mysql.Config{Tables: []string{"test.big"}, SnapshotMode: cdc.SnapshotInitialOnly, SnapshotChunkSize: 500}),
		Rows:    rows,
		Restart: m.Restart,
	}.Run(t)
}
