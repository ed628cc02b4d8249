package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
)

func TestSourceConformance(t *testing.T) {
	cdctest.TestSource(t, cdctest.SourceHarness{
		Setup: func(t *testing.T) (cdc.Source, func(*testing.T, int)) {
			db := newDB(t, shared, "conf")
			c := dial(t, shared)
			run(t, c, "CREATE TABLE "+db+".orders (id BIGINT PRIMARY KEY, status VARCHAR(20) NOT NULL, total DECIMAL(10,2))")
			src := newSource(t, shared, mysql.Config{Tables: []string{db + ".orders"}})
			var n atomic.Int64
			return src, func(t *testing.T, k int) {
				for range k {
					i := n.Add(1)
					run(t, c, fmt.Sprintf("INSERT INTO %s.orders VALUES (%d, 'new', %d.50)", db, i, i))
				}
			}
		},
	})
}

func TestConfigErrors(t *testing.T) {
	_, err := mysql.New(mysql.Config{Tables: []string{"orders"}, ExcludeColumns: []string{"a.b"}, SnapshotMode: "sometimes",
		Databases: []string{"shop.x"}, SnapshotChunkSize: -1, HeartbeatPeriod: -time.Second, ExcludeTables: []string{"a.[b"},
		SnapshotLocking: "row"})
	for _, want := range []string{"Addr", "User", `"db.table"`, "snapshot mode", "db.table.column", "Databases entry", "SnapshotChunkSize",
		"HeartbeatPeriod", "malformed", `SnapshotLocking "row"`} {
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Fatalf("New = %v; want ErrInvalidConfig mentioning %s", err, want)
		}
	}
	src, err := mysql.New(mysql.Config{Addr: "db", User: "cdc"})
	if err != nil {
		t.Fatal(err)
	}
	if id := src.ServerID(); id < 1_000_000 || id > 4_000_000_000 {
		t.Fatalf("default server id %d outside 1,000,000..4,000,000,000", id)
	}
}

// TestStartupErrors runs servers with each wrong setting, and users without the
// privileges: Open names the cause and the fix.
func TestStartupErrors(t *testing.T) {
	openErr := func(t *testing.T, m *testdb.MariaDB, cfg mysql.Config, pos cdc.Position) error {
		t.Helper()
		src, err := mysql.New(func() mysql.Config {
			if cfg.Addr == "" {
				cfg.Addr, cfg.User, cfg.Password = m.Addr, m.User, m.Password
			}
			return cfg
		}())
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st, err := src.Open(ctx, cdc.OpenRequest{Name: "t", Position: pos})
		if err == nil {
			st.Close()
		}
		return err
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"binlog off", []string{"--skip-log-bin"}, []string{"binary logging is off", "--log-bin"}},
		{"statement format", []string{"--binlog-format=STATEMENT"}, []string{"binlog_format is STATEMENT", "SET GLOBAL binlog_format = 'ROW'"}},
		{"minimal row image", []string{"--binlog-row-image=MINIMAL"}, []string{"binlog_row_image is MINIMAL", "SET GLOBAL binlog_row_image = 'FULL'"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needOwnServer(t, "starts a server with "+strings.Join(tc.args, " "))
			t.Parallel()
			m := testdb.NewMariaDB(t, testdb.MariaDBOptions{Args: tc.args})
			err := openErr(t, m, mysql.Config{}, nil)
			t.Log(err)
			if !errors.Is(err, cdc.ErrInvalidConfig) {
				t.Fatalf("Open = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("Open = %v, want it to mention %q", err, w)
				}
			}
		})
	}
	t.Run("privileges", func(t *testing.T) {
		c := dial(t, shared)
		run(t, c, "DROP USER IF EXISTS 'noslave'@'%'", "DROP USER IF EXISTS 'noclient'@'%'",
			"CREATE USER 'noslave'@'%'", "GRANT SELECT ON *.* TO 'noslave'@'%'",
			"CREATE USER 'noclient'@'%'", "GRANT SELECT, REPLICATION SLAVE ON *.* TO 'noclient'@'%'")
		err := openErr(t, shared, mysql.Config{Addr: shared.Addr, User: "noslave"}, nil)
		t.Log(err)
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), "REPLICATION SLAVE and REPLICATION CLIENT privileges") ||
			!strings.Contains(err.Error(), "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'noslave'@'%'") {
			t.Fatalf("Open as a user without replication privileges = %v", err)
		}
		err = openErr(t, shared, mysql.Config{Addr: shared.Addr, User: "noclient"}, nil)
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), "lacks the REPLICATION CLIENT privilege") {
			t.Fatalf("Open as a user without REPLICATION CLIENT = %v", err)
		}
	})
	t.Run("corrupt position", func(t *testing.T) {
		for _, p := range []string{`{"v":7}`, `{"v":1,"pos":4}`, `nope`} {
			if err := openErr(t, shared, mysql.Config{}, cdc.Position(p)); !errors.Is(err, cdc.ErrCorruptOffsets) {
				t.Fatalf("Open(%s) = %v, want ErrCorruptOffsets", p, err)
			}
		}
	})
	t.Run("purged position", func(t *testing.T) {
		needOwnServer(t, "purges the server's binary logs, which the other tests (and any other reader) still read")
		t.Parallel()
		m := testdb.NewMariaDB(t)
		c := dial(t, m)
		run(t, c, "CREATE TABLE test.kept (id INT PRIMARY KEY)", "INSERT INTO test.kept VALUES (1), (2)")
		file := binlogFile(t, c)
		run(t, c, "FLUSH BINARY LOGS", "INSERT INTO test.kept VALUES (3)")
		now := binlogFile(t, c)
		// MariaDB keeps a file until its binlog checkpoint has passed it: retry.
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			run(t, c, "PURGE BINARY LOGS TO '"+now+"'")
			if one(t, c, "SHOW BINARY LOGS") == now {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s was not purged", file)
			}
		}
		old := cdc.Position(`{"v":1,"file":"` + file + `","pos":4}`)
		err := openErr(t, m, mysql.Config{Tables: []string{"test.kept"}}, old)
		t.Log(err)
		if !errors.Is(err, cdc.ErrPositionLost) || !strings.Contains(err.Error(), "when_needed") || !strings.Contains(err.Error(), file) {
			t.Fatalf("Open at a purged position = %v, want ErrPositionLost naming the file and when_needed", err)
		}
		// when_needed takes a new snapshot instead, and streams after it.
		src := newSource(t, m, mysql.Config{Tables: []string{"test.kept"}, SnapshotMode: cdc.SnapshotWhenNeeded})
		st := open(t, src, old)
		reads := cdctest.ReadUntil(t, st, 3, cdctest.Ops(cdc.OpRead))
		for i, ev := range reads {
			if id, _ := ev.After.Int64("id"); id != int64(i+1) {
				t.Fatalf("snapshot row %d has id %d", i, id)
			}
		}
		run(t, c, "INSERT INTO test.kept VALUES (4)")
		if ev := cdctest.ReadUntil(t, st, 1, cdctest.Ops(cdc.OpCreate))[0]; ev.After.Len() != 1 {
			t.Fatalf("streamed %#v after the new snapshot", ev.After)
		}
	})
}
