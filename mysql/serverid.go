package mysql

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/tributary-cdc/cdc"
)

// erSlaveSameID is MariaDB's error to a replica connection the server closes because
// another one registered with the same server id (MySQL reports it as error 1236 with
// the same words).
const erSlaveSameID = 4052

// replicaHost is what the source reports as its host when it registers as a replica
// (SHOW SLAVE HOSTS shows it): its own registrations, and those left behind by its
// earlier streams, are told apart from another replica's by it.
func (s *Source) replicaHost() string { return "tributary-" + s.nonce }

// serverIDConflict builds the error for another replica using the source's server id.
func (s *Source) serverIDConflict(how string) error {
	return fmt.Errorf("%w: mysql: server id %d is in use by another replica of %s (%s): each replica needs its own id; "+
		"set Config.ServerID to an id no other replica or server of the topology uses",
		cdc.ErrInvalidConfig, s.cfg.ServerID, s.cfg.Addr, how)
}

// isSameIDError reports the server's error to a replica displaced by another one
// registering with its server id.
func isSameIDError(err error) bool {
	var me *gmysql.MyError
	if !errors.As(err, &me) {
		return false
	}
	return me.Code == erSlaveSameID || me.Code == gmysql.ER_MASTER_FATAL_ERROR_READING_BINLOG &&
		strings.Contains(me.Message, "same server_uuid/server_id")
}

// checkServerID looks for another replica registered with the source's server id
// before the source registers: registering would disconnect it (the server keeps
// one replica per id), and it would then displace this one in turn.
//
// A consumer that died without closing its connection stays registered until the
// server's next write to it fails (a heartbeat at the latest), so a registration that
// goes away within two heartbeat periods is taken for that and not reported; one of
// another Tributary source that stays is reported as retryable (see below).
//
// SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN on MariaDB 10.5+ (MySQL: REPLICATION
// SLAVE); without it nothing is checked here, and a conflict is found once the server
// disconnects one of the two replicas with its "same server_id" error.
func (s *Source) checkServerID(ctx context.Context, conn *client.Conn) error {
	deadline := time.Now().Add(2*s.cfg.HeartbeatPeriod + time.Second)
	for {
		host, err := s.foreignRegistration(ctx, conn)
		if err != nil || host == "" {
			return err
		}
		if time.Now().After(deadline) {
			err := s.serverIDConflict(fmt.Sprintf("SHOW SLAVE HOSTS lists it with host %q", host))
			if strings.HasPrefix(host, "tributary-") {
				// Another source of this library: most likely this consumer's previous
				// process, whose connection the server holds until a write to it fails
				// (minutes, when its host vanished rather than closed it). Retried, so
				// a restart does not fail for good; a live one keeps being reported.
				return cdc.Retryable(fmt.Errorf("%w (another Tributary source; if it is this consumer's previous process, "+
					"the server drops its registration once a write to it fails: retrying)", err))
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// foreignRegistration returns the host of a replica registered with the source's
// server id that is not one of the source's own streams, or "".
func (s *Source) foreignRegistration(ctx context.Context, conn *client.Conn) (string, error) {
	r, err := query(ctx, conn, "SHOW SLAVE HOSTS")
	if err != nil {
		var me *gmysql.MyError
		if errors.As(err, &me) { // no privilege (or MySQL 8.4 without the old name): not checked
			if r, err = query(ctx, conn, "SHOW REPLICAS"); err != nil {
				return "", nil
			}
		} else {
			return "", err
		}
	}
	id := strconv.FormatUint(uint64(s.cfg.ServerID), 10)
	for i := range r.RowNumber() {
		sid, _ := cell(r, i, 0)
		host, _ := cell(r, i, 1)
		if sid == id && host != s.replicaHost() {
			if host == "" {
				host = "(not reported)"
			}
			return host, nil
		}
	}
	return "", nil
}
