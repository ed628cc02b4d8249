package testdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ErrNotInstalled is returned (wrapped) by the Start* functions when the
// server binaries cannot be found. The New* helpers turn it into t.Skip, or
// into t.Fatal when the CI environment variable is set.
var ErrNotInstalled = errors.New("testdb: database server not installed")

// installHint is shown when a server binary is missing.
const installHint = "apt-get install postgresql mariadb-server redis-server nats-server"

const (
	// startTimeout bounds how long a server may take to accept connections.
	startTimeout = 30 * time.Second
	// stopTimeout bounds a graceful shutdown before the process group is killed.
	stopTimeout = 30 * time.Second
	// portAttempts is how often a start is retried when the chosen port was
	// taken by someone else between picking and binding it.
	portAttempts = 3
	// maxLogInError caps how much of a server log is copied into an error.
	maxLogInError = 16 << 10
)

// errPortInUse marks a start attempt that failed because the port was taken.
var errPortInUse = errors.New("port already in use")

// errExternal is returned by lifecycle methods of servers configured through
// an environment variable.
var errExternal = errors.New("testdb: server is external (configured via environment variable); it cannot be started, stopped or restarted")

// handleStartErr reports a Start* error through t: a missing server is a skip
// (or a failure in CI), anything else is a failure.
func handleStartErr(t testing.TB, what string, err error) {
	t.Helper()
	if errors.Is(err, ErrNotInstalled) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not available in CI: %v (install with: %s)", what, err, installHint)
		}
		t.Skipf("%s not available: %v (install with: %s)", what, err, installHint)
	}
	t.Fatalf("starting %s: %v", what, err)
}

// findBinary returns the first executable among: name looked up on PATH, then
// each of the given absolute fallback paths.
func findBinary(names []string, fallbacks ...string) (string, error) {
	if !platformSupported {
		return "", fmt.Errorf("%w: testdb supports only Unix-like systems", ErrNotInstalled)
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	for _, p := range fallbacks {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s not found on PATH or in %s", ErrNotInstalled,
		strings.Join(names, "/"), strings.Join(fallbacks, ", "))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// freePort asks the kernel for a free loopback TCP port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testdb: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is a server process running in its own process group with its
// output appended to a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFrom int64         // log size before this process started
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
}

// startProcess starts bin with args in dir. Output is appended to logPath.
// runAs, when non-nil, selects the user the process runs as.
func startProcess(bin string, args []string, dir, logPath string, runAs *sysUser) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testdb: opening log: %w", err)
	}
	var logFrom int64
	if fi, err := logFile.Stat(); err == nil {
		logFrom = fi.Size()
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = os.Environ()
	setProcAttr(cmd, runAs)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("testdb: starting %s: %w", bin, err)
	}
	p := &process{name: filepath.Base(bin), cmd: cmd, logPath: logPath, logFrom: logFrom, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig to the process and waits up to timeout for it to exit.
// Afterwards (or on timeout) the whole process group is killed so no
// children survive.
func (p *process) stop(sig os.Signal, timeout time.Duration) error {
	if p.exited() {
		killGroup(p.cmd)
		return nil
	}
	if sig != nil {
		_ = p.cmd.Process.Signal(sig)
	}
	var err error
	select {
	case <-p.done:
	case <-time.After(timeout):
		err = fmt.Errorf("testdb: %s did not exit within %s after %v; killed", p.name, timeout, sig)
	}
	killGroup(p.cmd)
	<-p.done
	return err
}

// kill kills the process group immediately and waits for the leader.
func (p *process) kill() {
	killGroup(p.cmd)
	<-p.done
}

// waitReady polls ready until it succeeds, the process exits, or the start
// timeout elapses. Errors include the log file; an early exit caused by an
// address clash wraps errPortInUse.
func (p *process) waitReady(ready func(ctx context.Context) error) error {
	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		go func() { // give up on the attempt as soon as the server dies
			select {
			case <-p.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		lastErr = ready(ctx)
		cancel()
		if lastErr == nil {
			return nil
		}
		if p.exited() {
			err := fmt.Errorf("testdb: %s exited during start-up (%v); log %s:\n%s", p.name, p.waitErr, p.logPath, readLog(p.logPath))
			if p.portClash() {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
			return err
		}
		if time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("testdb: %s not ready after %s (last error: %v); log %s:\n%s",
				p.name, startTimeout, lastErr, p.logPath, readLog(p.logPath))
		}
		select {
		case <-p.done:
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// portClash reports whether this process's log output says its listen
// address was taken.
func (p *process) portClash() bool {
	b, err := os.ReadFile(p.logPath)
	if err != nil || int64(len(b)) < p.logFrom {
		return false
	}
	return strings.Contains(strings.ToLower(string(b[p.logFrom:])), "address already in use")
}

// readLog returns (the tail of) a log file for inclusion in errors.
func readLog(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("<cannot read log: %v>", err)
	}
	if len(b) > maxLogInError {
		b = append([]byte("...\n"), b[len(b)-maxLogInError:]...)
	}
	return string(b)
}

// runLogged runs a setup command (initdb, mariadb-install-db) to completion
// with output in logPath, returning an error with the log on failure.
func runLogged(bin string, args []string, dir, logPath string, runAs *sysUser) error {
	p, err := startProcess(bin, args, dir, logPath, runAs)
	if err != nil {
		return err
	}
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		p.kill()
		return fmt.Errorf("testdb: %s timed out; log %s:\n%s", p.name, logPath, readLog(logPath))
	}
	killGroup(p.cmd) // reap anything it left behind
	if p.waitErr != nil {
		return fmt.Errorf("testdb: %s %s: %v; log %s:\n%s", p.name, strings.Join(args, " "), p.waitErr, logPath, readLog(logPath))
	}
	return nil
}

// simpleServer is a server without persistent state worth restarting
// (Redis, NATS): a temporary directory plus a process.
type simpleServer struct {
	mu   sync.Mutex
	dir  string
	proc *process
}

func (s *simpleServer) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.kill()
		s.proc = nil
	}
	if s.dir == "" {
		return nil
	}
	err := os.RemoveAll(s.dir)
	s.dir = ""
	return err
}

// startSimple creates a temp dir and launches bin with args built for a
// free port, retrying on port clashes, and waits for ready.
func startSimple(prefix, bin string, args func(port int, dir string) []string,
	ready func(ctx context.Context, addr string) error) (*simpleServer, int, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, 0, fmt.Errorf("testdb: %w", err)
	}
	logPath := filepath.Join(dir, "server.log")
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, 0, err
		}
		proc, err := startProcess(bin, args(port, dir), dir, logPath, nil)
		if err != nil {
			os.RemoveAll(dir)
			return nil, 0, err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		err = proc.waitReady(func(ctx context.Context) error { return ready(ctx, addr) })
		if err == nil {
			return &simpleServer{dir: dir, proc: proc}, port, nil
		}
		proc.kill()
		if errors.Is(err, errPortInUse) && attempt < portAttempts {
			continue
		}
		os.RemoveAll(dir)
		return nil, 0, err
	}
}

// dialLine connects to addr, optionally writes req, and returns the first
// line the server sends.
func dialLine(ctx context.Context, addr, req string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if req != "" {
		if _, err := io.WriteString(conn, req); err != nil {
			return "", err
		}
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
