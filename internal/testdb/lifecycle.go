package testdb

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// server is the lifecycle the managed database servers share: a process that launch
// starts in dir, Stop with stopSig keeping the data, Close ending it with closeProc
// and removing dir. An external server (from an environment variable) has no process:
// its lifecycle methods fail and Close does nothing.
type server struct {
	mu       sync.Mutex
	name     string // "PostgreSQL", for messages
	envVar   string // the variable that points at an external server
	external bool
	closed   bool
	dir      string // temporary directory holding data dir, socket and logs
	proc     *process
	stopSig  os.Signal // clean shutdown
	// closeProc ends the process for good (the data is thrown away).
	closeProc func(*process)
	launch    func() error // starts proc; called with mu held
}

// Close stops the server and removes its directory. It is a no-op for an
// external server and safe to call more than once.
func (s *server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.external || s.closed {
		return nil
	}
	s.closed = true
	if s.proc != nil {
		s.closeProc(s.proc)
		s.proc = nil
	}
	return os.RemoveAll(s.dir)
}

// Stop shuts the server down cleanly, keeping its data directory.
func (s *server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

func (s *server) stopLocked() error {
	if err := s.checkManaged(); err != nil {
		return err
	}
	if s.proc == nil {
		return nil
	}
	err := s.proc.stop(s.stopSig, stopTimeout)
	s.proc = nil
	return err
}

// Start starts a stopped server again on the same port and data directory.
// It is a no-op if the server is running.
func (s *server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked()
}

func (s *server) startLocked() error {
	if err := s.checkManaged(); err != nil {
		return err
	}
	if s.proc != nil && !s.proc.exited() {
		return nil
	}
	s.proc = nil
	return s.launch()
}

// Restart stops the server cleanly and starts it again on the same port and data
// directory.
func (s *server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stopLocked(); err != nil {
		return err
	}
	return s.startLocked()
}

func (s *server) checkManaged() error {
	if s.external {
		return fmt.Errorf("%w (%s)", errExternal, s.envVar)
	}
	if s.closed {
		return errors.New("testdb: " + s.name + " server is closed")
	}
	return nil
}

// launchOnFreePort starts the server on a free loopback port, trying another port
// when the one picked was taken in the meantime. On failure it removes the directory.
func (s *server) launchOnFreePort(setPort func(int)) error {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err == nil {
			setPort(port)
			err = s.launch()
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, errPortInUse) || attempt >= portAttempts {
			os.RemoveAll(s.dir)
			return err
		}
	}
}
