//go:build !unix

package testdb

import (
	"os"
	"os/exec"
)

// sysUser is unused outside Unix; servers run as the current user.
type sysUser struct {
	name     string
	uid, gid uint32
}

func runAsUser(string) (*sysUser, error) { return nil, nil }

func isRoot() bool { return false }

func chownAll(string, *sysUser) error { return nil }

func setProcAttr(*exec.Cmd, *sysUser) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// Servers are only supported on Unix; elsewhere every Start* reports
// ErrNotInstalled.
const platformSupported = false

var (
	sigInterrupt = os.Kill
	sigTerminate = os.Kill
	sigQuit      = os.Kill
)
