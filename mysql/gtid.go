package mysql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/tributary-cdc/cdc"
)

// gtidTracker follows a server's GTID state through the binlog: MariaDB's position
// (the last GTID of each replication domain) or MySQL's executed GTID set. Its text
// goes into every position, so a stream can resume on another server of the
// replication topology, whose binlog files and offsets are its own.
type gtidTracker struct {
	flavor string
	maria  []gmysql.MariadbGTID // one per domain, in domain order
	my     gmysql.GTIDSet       // MySQL
	text   string
}

// newGTIDTracker parses a GTID state ("" is the empty state).
func newGTIDTracker(flavor, text string) (*gtidTracker, error) {
	text = strings.Join(strings.Fields(text), "") // MySQL prints long sets over several lines
	g := &gtidTracker{flavor: flavor}
	if flavor == gmysql.MariaDBFlavor {
		for _, part := range strings.Split(text, ",") {
			if part == "" {
				continue
			}
			gt, err := parseMariaGTID(part)
			if err != nil {
				return nil, err
			}
			g.put(gt)
		}
		g.render()
		return g, nil
	}
	set, err := gmysql.ParseMysqlGTIDSet(text)
	if err != nil {
		return nil, fmt.Errorf("mysql: GTID set %q: %w", text, err)
	}
	g.my = set
	g.text = set.String()
	return g, nil
}

// parseMariaGTID parses domain-server-sequence.
func parseMariaGTID(s string) (gmysql.MariadbGTID, error) {
	d, rest, ok1 := strings.Cut(s, "-")
	sv, seq, ok2 := strings.Cut(rest, "-")
	dn, err1 := strconv.ParseUint(d, 10, 32)
	sn, err2 := strconv.ParseUint(sv, 10, 32)
	qn, err3 := strconv.ParseUint(seq, 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil {
		return gmysql.MariadbGTID{}, fmt.Errorf("mysql: %q is not a MariaDB GTID (domain-server-sequence)", s)
	}
	return gmysql.MariadbGTID{DomainID: uint32(dn), ServerID: uint32(sn), SequenceNumber: qn}, nil
}

func (g *gtidTracker) put(gt gmysql.MariadbGTID) {
	for i := range g.maria {
		switch {
		case g.maria[i].DomainID == gt.DomainID:
			g.maria[i] = gt
			return
		case g.maria[i].DomainID > gt.DomainID:
			g.maria = append(g.maria[:i], append([]gmysql.MariadbGTID{gt}, g.maria[i:]...)...)
			return
		}
	}
	g.maria = append(g.maria, gt)
}

func (g *gtidTracker) render() {
	var b []byte
	for i, gt := range g.maria {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(gt.DomainID), 10)
		b = strconv.AppendUint(append(b, '-'), uint64(gt.ServerID), 10)
		b = strconv.AppendUint(append(b, '-'), gt.SequenceNumber, 10)
	}
	g.text = string(b)
}

// advance adds the GTID of a transaction read.
func (g *gtidTracker) advance(gtid string) error {
	if g.flavor != gmysql.MariaDBFlavor {
		if err := g.my.Update(gtid); err != nil {
			return err
		}
		g.text = g.my.String()
		return nil
	}
	gt, err := parseMariaGTID(gtid)
	if err != nil {
		return err
	}
	if len(g.maria) == 1 && g.maria[0].DomainID == gt.DomainID {
		g.maria[0] = gt
		g.text = gtid // one domain, the common case: the state is the GTID
		return nil
	}
	g.put(gt)
	g.render()
	return nil
}

// set returns the state in go-mysql's form.
func (g *gtidTracker) set() gmysql.GTIDSet {
	s, _ := gmysql.ParseGTIDSet(g.flavor, g.text) // g.text is well-formed
	return s
}

// contains reports whether the state includes every transaction of o.
func (g *gtidTracker) contains(o *gtidTracker) bool { return g.set().Contain(o.set()) }

// containsGTID reports whether the state includes the transaction with the GTID.
func (g *gtidTracker) containsGTID(gtid string) bool {
	o, err := newGTIDTracker(g.flavor, gtid)
	return err == nil && g.contains(o)
}

func (g *gtidTracker) equal(o *gtidTracker) bool { return g.set().Equal(o.set()) }

// advanceGTIDs adds the transaction's GTID to the stream's state; a GTID the tracker
// cannot read stops the tracking (positions then resume by file and offset only).
func (st *stream) advanceGTIDs(gtid string) {
	if err := st.gtids.advance(gtid); err != nil {
		st.req.Log().Warn("cannot follow the GTID state: positions no longer record it, so they resume on this server only",
			"gtid", gtid, "err", err)
		st.gtids, st.gtidsText = nil, ""
		return
	}
	st.gtidsText = st.gtids.text
}

// gtidStateAt returns the server's GTID state at a binlog position: on MariaDB from
// BINLOG_GTID_POS; on MySQL, which has no such function, executed must be the
// Executed_Gtid_Set read with the position ("" when GTIDs are off: nil, no tracking).
func gtidStateAt(ctx context.Context, conn *client.Conn, info serverInfo, file string, pos uint32, executed string) (*gtidTracker, error) {
	if info.flavor != gmysql.MariaDBFlavor {
		if strings.TrimSpace(executed) == "" {
			return nil, nil
		}
		return newGTIDTracker(info.flavor, executed)
	}
	r, err := query(ctx, conn, "SELECT BINLOG_GTID_POS("+quoteString(file)+", "+strconv.FormatUint(uint64(pos), 10)+")")
	if err != nil {
		return nil, fmt.Errorf("mysql: reading the GTID state at %s:%d: %w", file, pos, err)
	}
	text, null := cell(r, 0, 0)
	if null {
		return nil, fmt.Errorf("mysql: the server has no GTID state at %s:%d (not an event boundary of one of its binlog files)", file, pos)
	}
	return newGTIDTracker(info.flavor, text)
}

// serverIdentity names the server positions belong to: MySQL's server_uuid, or
// MariaDB's server_id (unique within a replication topology).
func serverIdentity(ctx context.Context, conn *client.Conn, flavor string) (string, error) {
	q := "SELECT @@server_uuid"
	if flavor == gmysql.MariaDBFlavor {
		q = "SELECT @@server_id"
	}
	r, err := query(ctx, conn, q)
	if err != nil {
		return "", fmt.Errorf("mysql: reading the server's identity: %w", err)
	}
	id, _ := cell(r, 0, 0)
	return id, nil
}

// sameServer reports whether the stored position's file and offset are this server's:
// it wrote them (same identity) and, on MariaDB, its GTID state at them is the
// stored one (a server rebuilt under the same id has other contents at that offset).
// Positions of earlier versions carry no identity and are taken as this server's.
func (s *Source) sameServer(ctx context.Context, conn *client.Conn, info serverInfo, start position, logs []string) bool {
	if start.Server != "" && start.Server != info.identity {
		return false
	}
	if !slices.Contains(logs, start.File) {
		return false
	}
	if info.flavor != gmysql.MariaDBFlavor || start.GTIDs == "" {
		return true
	}
	want, err := newGTIDTracker(info.flavor, start.GTIDs)
	if err != nil {
		return false
	}
	got, err := gtidStateAt(ctx, conn, info, start.File, start.Pos, "")
	return err == nil && got.equal(want)
}

// checkGTIDStart verifies that the server can stream after the GTID state: its binlog
// still holds what follows it (else the position is lost), and it has everything up
// to it (else it is behind the server that wrote the position: a replica that has
// not caught up, retried).
func (s *Source) checkGTIDStart(ctx context.Context, conn *client.Conn, info serverInfo, state *gtidTracker, logs []string) error {
	var have, gone string
	if info.flavor == gmysql.MariaDBFlavor {
		r, err := query(ctx, conn, "SELECT @@gtid_binlog_pos")
		if err != nil {
			return fmt.Errorf("mysql: reading the server's GTID state: %w", err)
		}
		have, _ = cell(r, 0, 0)
		if len(logs) == 0 {
			return fmt.Errorf("%w: mysql: the server has no binlog files", cdc.ErrPositionLost)
		}
		// The state before the oldest binlog file: what the server can no longer send.
		g, err := gtidStateAt(ctx, conn, info, logs[0], 4, "")
		if err != nil {
			return err
		}
		gone = g.text
	} else {
		r, err := query(ctx, conn, "SELECT @@global.gtid_executed, @@global.gtid_purged")
		if err != nil {
			return fmt.Errorf("mysql: reading the server's GTID sets: %w", err)
		}
		have, _ = cell(r, 0, 0)
		gone, _ = cell(r, 0, 1)
	}
	h, err1 := newGTIDTracker(info.flavor, have)
	g, err2 := newGTIDTracker(info.flavor, gone)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("mysql: reading the server's GTID state: %w", err)
	}
	if !state.contains(g) {
		return fmt.Errorf("%w: mysql: the stored position is from another server (GTID state %s) and %s no longer has the transactions after it "+
			"(its binlogs begin after %s): take a new snapshot (SnapshotMode when_needed does it automatically, or delete the stored offsets)",
			cdc.ErrPositionLost, state.text, s.cfg.Addr, g.text)
	}
	if !h.contains(state) {
		return cdc.Retryable(fmt.Errorf("mysql: the stored position is from another server and %s has not yet applied all the transactions "+
			"it had read (stored GTID state %s, this server's %s): waiting for it to catch up (if it never does, it is not a replica of that server)",
			s.cfg.Addr, state.text, h.text))
	}
	return nil
}

// gtidStreamError classifies an error of a binlog stream started from a GTID state,
// before its first event: the server refuses states it cannot serve with error 1236.
func gtidStreamError(err error, state string) error {
	var me *gmysql.MyError
	if errors.As(err, &me) && me.Code == gmysql.ER_MASTER_FATAL_ERROR_READING_BINLOG {
		return fmt.Errorf("%w: mysql: the server cannot stream after GTID state %s: %w "+
			"(take a new snapshot: SnapshotMode when_needed does it automatically, or delete the stored offsets)", cdc.ErrPositionLost, state, err)
	}
	return streamError(err, "", 0)
}
