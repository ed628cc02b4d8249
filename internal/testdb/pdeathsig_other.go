//go:build unix && !linux

package testdb

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
