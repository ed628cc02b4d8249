//go:build unix

package testdb

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// sysUser is an unprivileged account a server is run as when the tests run
// as root.
type sysUser struct {
	name     string
	uid, gid uint32
}

// runAsUser returns the account to run a server as: nil when not running as
// root (run as the current user), otherwise the named system user.
func runAsUser(name string) (*sysUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("testdb: running as root requires the %q system user: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("testdb: user %s: bad uid %q", name, u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("testdb: user %s: bad gid %q", name, u.Gid)
	}
	return &sysUser{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
}

func isRoot() bool { return os.Geteuid() == 0 }

// chownAll hands path and everything below it to u (no-op for nil u).
func chownAll(path string, u *sysUser) error {
	if u == nil {
		return nil
	}
	return filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(u.uid), int(u.gid))
	})
}

// setProcAttr puts the command in its own process group (so cleanup can kill
// all its children), optionally switches user, and asks the kernel to kill
// the server if the test binary dies without running its cleanups.
func setProcAttr(cmd *exec.Cmd, u *sysUser) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if u != nil {
		attr.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid}
	}
	setPdeathsig(attr)
	cmd.SysProcAttr = attr
}

// killGroup SIGKILLs the process group led by cmd's process.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

const platformSupported = true

var (
	sigInterrupt os.Signal = syscall.SIGINT
	sigTerminate os.Signal = syscall.SIGTERM
	sigQuit      os.Signal = syscall.SIGQUIT
)
