package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
	"github.com/tributary-cdc/cdc/offsets"
)

// replicaOf starts a MariaDB server replicating from p by GTID (server id 2, its own
// binlog with the replicated transactions, as a failover candidate has). Its binlog
// starts a file later, so no offset of one server is valid on the other.
func replicaOf(t testing.TB, p *testdb.MariaDB, args ...string) *testdb.MariaDB {
	t.Helper()
	r := testdb.NewMariaDB(t, testdb.MariaDBOptions{Args: append([]string{"--server-id=2"}, args...)})
	run(t, dial(t, r), "FLUSH BINARY LOGS", fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root', "+
		"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1", p.Port), "START SLAVE")
	return r
}

// caughtUp waits until the replica has applied everything the primary has logged.
func caughtUp(t testing.TB, p, r *testdb.MariaDB) {
	t.Helper()
	pos := one(t, dial(t, p), "SELECT @@gtid_binlog_pos")
	if got := one(t, dial(t, r), fmt.Sprintf("SELECT MASTER_GTID_WAIT('%s', 30)", pos)); got != "0" {
		t.Fatalf("the replica did not reach GTID state %s in 30 s (MASTER_GTID_WAIT = %s)", pos, got)
	}
}

// insertRows inserts ids from..to (inclusive) with v = "v<id>" in one statement.
func insertRows(from, to int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO fo.t (id, v) VALUES ")
	for id := from; id <= to; id++ {
		if id > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%d,'v%d')", id, id)
	}
	return b.String()
}

// TestFailoverByGTID: a consumer reads a primary, then resumes on its replica from a
// position inside a large transaction and before a DDL statement, then goes back to
// the primary. With binlog_row_metadata = MINIMAL the rows decode only with the
// schema history, which must be found by GTID on the other server. Event IDs must be
// the same whichever server delivered the change.
func TestFailoverByGTID(t *testing.T) {
	needOwnServer(t, "starts a MariaDB primary and its replica")
	const meta = "--binlog-row-metadata=MINIMAL"
	p := testdb.NewMariaDB(t, testdb.MariaDBOptions{Args: []string{meta}})
	r := replicaOf(t, p, meta)
	pc := dial(t, p)
	run(t, pc, "CREATE DATABASE fo", "CREATE TABLE fo.t (id INT PRIMARY KEY, v VARCHAR(20))")
	caughtUp(t, p, r)

	store := offsets.NewMemory()
	cfg := mysql.Config{Tables: []string{"fo.t"}, SnapshotMode: cdc.SnapshotNever, ServerID: 777}
	srcP := newSource(t, p, cfg)
	stA := openReq(t, srcP, "fo", store, nil)
	if start := readStart(t, stA); !strings.Contains(string(start), `"gtids":"0-1-`) || !strings.Contains(string(start), `"server":"1"`) {
		t.Fatalf("start position %s: want the GTID state and the server", start)
	}
	for id := 1; id <= 3; id++ {
		run(t, pc, insertRows(id, id))
	}
	run(t, pc, "BEGIN", insertRows(1001, 4000), "COMMIT")
	// Columns shifted: rows decoded with the wrong schema fail or mix up values.
	run(t, pc, "ALTER TABLE fo.t ADD COLUMN w INT FIRST")
	for id := 5001; id <= 5003; id++ {
		run(t, pc, fmt.Sprintf("INSERT INTO fo.t (w, id, v) VALUES (%d, %d, 'v%d')", -id, id, id))
	}
	evsA := cdctest.ReadUntil(t, stA, 3+3000+1+3, cdctest.Ops(cdc.OpCreate, cdc.OpSchema))
	mid := -1
	for i, ev := range evsA {
		if strings.Contains(string(ev.Position), `"n":2048,`) {
			mid = i
		}
	}
	if mid != 3+2047 {
		t.Fatalf("the mid-transaction position is on event %d, want %d (the big transaction's 2048th row)", mid, 3+2047)
	}
	midPos := evsA[mid].Position
	if !strings.Contains(string(midPos), `"tx":"0-1-`) || !strings.Contains(string(midPos), `"gtids":"0-1-`) {
		t.Fatalf("mid-transaction position %s: want the transaction's GTID and the state before it", midPos)
	}
	stA.Close()

	// The replica: its binlog files and offsets are its own.
	caughtUp(t, p, r)
	srcR := newSource(t, r, cfg)
	stB := openReq(t, srcR, "fo", store, midPos)
	evsB := cdctest.ReadUntil(t, stB, 3000-2048+1+3, cdctest.Ops(cdc.OpCreate, cdc.OpSchema))
	if len(evsB) != 3000-2048+1+3 {
		t.Fatalf("the replica delivered %d events, want %d", len(evsB), 3000-2048+1+3)
	}
	for i, ev := range evsB {
		a := evsA[mid+1+i]
		if ev.Op != a.Op || ev.ID() != a.ID() || rowText(ev) != rowText(a) {
			t.Fatalf("replica event %d: %s %s %q, the primary delivered %s %s %q", i, ev.Op, ev.ID(), rowText(ev), a.Op, a.ID(), rowText(a))
		}
	}
	if got := rowText(evsB[0]); got != "t: id=3049 v=v3049" {
		t.Fatalf("first row from the replica %q: want the big transaction's 2049th row", got)
	}
	if got := rowText(evsB[len(evsB)-1]); got != "t: w=-5003 id=5003 v=v5003" {
		t.Fatalf("last row from the replica %q", got)
	}
	lastB := evsB[len(evsB)-1].Position
	if !strings.Contains(string(lastB), `"server":"2"`) || !strings.Contains(string(lastB), `"gtids":"0-1-`) {
		t.Fatalf("position from the replica %s: want its server id and the GTID state", lastB)
	}
	stB.Close()

	// Back to the primary with the replica's position, after a DDL the history
	// (now at the replica's positions) does not have yet.
	run(t, pc, insertRows(6001, 6001), "ALTER TABLE fo.t DROP COLUMN w", insertRows(6002, 6002))
	stC := openReq(t, newSource(t, p, cfg), "fo", store, lastB)
	evsC := cdctest.ReadUntil(t, stC, 3, cdctest.Ops(cdc.OpCreate, cdc.OpSchema))
	got := []string{rowText(evsC[0]), evsC[1].Op.String(), rowText(evsC[2])}
	want := []string{"t: w=<nil> id=6001 v=v6001", cdc.OpSchema.String(), "t: id=6002 v=v6002"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("back on the primary: %q, want %q", got, want)
	}
	if pos := string(evsC[2].Position); !strings.Contains(pos, `"server":"1"`) {
		t.Fatalf("position back on the primary %s: want its server id", pos)
	}
}

// TestGTIDStartErrors: a position from another server that this one cannot serve
// after: its binlogs no longer hold the transactions after the position (lost; a
// new snapshot under when_needed), or it has not applied them yet (retryable).
func TestGTIDStartErrors(t *testing.T) {
	needOwnServer(t, "starts a MariaDB primary and its replica, and purges binlogs")
	p := testdb.NewMariaDB(t)
	r := replicaOf(t, p)
	pc, rc := dial(t, p), dial(t, r)
	run(t, pc, "CREATE DATABASE fo", "CREATE TABLE fo.t (id INT PRIMARY KEY, v VARCHAR(20))", insertRows(1, 1))
	caughtUp(t, p, r)
	cfg := mysql.Config{Tables: []string{"fo.t"}, SnapshotMode: cdc.SnapshotNever, ServerID: 778}
	st0 := open(t, newSource(t, p, cfg), nil)
	old := readStart(t, st0)
	st0.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	openOn := func(m *testdb.MariaDB, cfg mysql.Config, pos cdc.Position) (cdc.Stream, error) {
		st, err := newSource(t, m, cfg).Open(ctx, cdc.OpenRequest{Name: "e", Position: pos})
		if err == nil {
			t.Cleanup(func() { st.Close() })
		}
		return st, err
	}

	// Behind: the replica stopped before the primary's last transaction.
	run(t, rc, "STOP SLAVE")
	run(t, pc, insertRows(2, 2))
	stP, err := openOn(p, cfg, old)
	if err != nil {
		t.Fatal(err)
	}
	ahead := cdctest.ReadUntil(t, stP, 1, cdctest.Ops(cdc.OpCreate))[0].Position
	stP.Close()
	_, err = openOn(r, cfg, ahead)
	if err == nil || !cdc.IsRetryable(err) || !strings.Contains(err.Error(), "has not yet applied") {
		t.Fatalf("opening the stopped replica at a position past it: %v; want a retryable error saying it is behind", err)
	}
	run(t, rc, "START SLAVE")
	caughtUp(t, p, r)
	stR, err := openOn(r, cfg, ahead)
	if err != nil {
		t.Fatalf("once caught up: %v", err)
	}
	stR.Close()

	// Lost: the replica's binlogs now begin after the old position.
	run(t, pc, insertRows(3, 3))
	caughtUp(t, p, r)
	run(t, rc, "FLUSH BINARY LOGS")
	// A file a binlog dump thread still reads (the stream closed above, until the
	// server notices) is not purged.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		run(t, rc, fmt.Sprintf("PURGE BINARY LOGS TO '%s'", one(t, rc, "SHOW MASTER STATUS")))
		if one(t, rc, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'") == "0" &&
			one(t, rc, "SHOW BINARY LOGS") == one(t, rc, "SHOW MASTER STATUS") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica kept its old binlog files")
		}
	}
	_, err = openOn(r, cfg, old)
	if !errors.Is(err, cdc.ErrPositionLost) || !strings.Contains(err.Error(), "no longer has") {
		t.Fatalf("opening the purged replica at an old position: %v; want ErrPositionLost", err)
	}
	cfg.SnapshotMode = cdc.SnapshotWhenNeeded
	st, err := openOn(r, cfg, old)
	if err != nil {
		t.Fatalf("when_needed: %v", err)
	}
	if n := len(cdctest.ReadUntil(t, st, 3, cdctest.Ops(cdc.OpRead))); n != 3 {
		t.Fatalf("when_needed snapshot read %d rows, want 3", n)
	}
}
