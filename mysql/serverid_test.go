package mysql_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/mysql"
)

// quiet discards go-mysql's log.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// replica registers a plain go-mysql replica with the server id and reads its stream
// until the test ends (or stop is called).
func replica(t *testing.T, id uint32) (stop func()) {
	t.Helper()
	c := dial(t, shared)
	file := binlogFile(t, c)
	flavor := gmysql.MariaDBFlavor
	if !isMariaDB(t, shared) {
		flavor = gmysql.MySQLFlavor
	}
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{ServerID: id, Flavor: flavor,
		Host: shared.Host, Port: uint16(shared.Port), User: shared.User, Password: shared.Password, Localhost: "other-replica",
		DisableRetrySync: true, HeartbeatPeriod: 200 * time.Millisecond, Logger: quiet})
	st, err := syncer.StartSync(gmysql.Position{Name: file, Pos: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := st.GetEvent(ctx); err != nil {
				return
			}
		}
	}()
	var closed bool
	stop = func() {
		if !closed {
			closed = true
			syncer.Close()
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	// Registered once SHOW SLAVE HOSTS (MySQL 8.4: SHOW REPLICAS) lists it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r, err := c.Execute("SHOW SLAVE HOSTS")
		if err != nil {
			r, err = c.Execute("SHOW REPLICAS")
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range r.RowNumber() {
			if s, _ := r.GetString(i, 0); s == strconv.FormatUint(uint64(id), 10) {
				return stop
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %d never registered", id)
		}
	}
}

// TestServerIDInUse: a source configured with the server id of a connected replica
// fails at Open with an error naming the id and Config.ServerID; a replica that
// registers with the id of a running stream makes that stream fail the same way
// (rather than the two displacing each other forever); and the registration left by a
// consumer that has just gone away does not count.
func TestServerIDInUse(t *testing.T) {
	db := newDB(t, shared, "srvid")
	run(t, dial(t, shared), "CREATE TABLE "+db+".t (id INT PRIMARY KEY)")
	cfg := func(id uint32) mysql.Config {
		return mysql.Config{Tables: []string{db + ".t"}, SnapshotMode: cdc.SnapshotNever, ServerID: id, HeartbeatPeriod: 200 * time.Millisecond}
	}
	want := func(t *testing.T, err error, id uint32) {
		t.Helper()
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), "server id "+strconv.Itoa(int(id))) ||
			!strings.Contains(err.Error(), "Config.ServerID") {
			t.Fatalf("got %v; want ErrInvalidConfig naming server id %d and Config.ServerID", err, id)
		}
		t.Log(err)
	}

	t.Run("at open", func(t *testing.T) {
		replica(t, 7001)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st, err := newSource(t, shared, cfg(7001)).Open(ctx, cdc.OpenRequest{Name: "srvid"})
		if err == nil {
			st.Close()
		}
		want(t, err, 7001)
	})

	t.Run("while streaming", func(t *testing.T) {
		st := open(t, newSource(t, shared, cfg(7002)), nil)
		readStart(t, st)
		replica(t, 7002)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for {
			if _, err := st.Read(ctx); err != nil {
				if cdc.IsRetryable(err) {
					t.Fatalf("Read = %v: retryable, the two replicas would displace each other", err)
				}
				want(t, err, 7002)
				break
			}
		}
	})

	t.Run("gone consumer", func(t *testing.T) {
		replica(t, 7003)() // registered, then its connection is closed
		st := open(t, newSource(t, shared, cfg(7003)), nil)
		readStart(t, st)
	})
}
