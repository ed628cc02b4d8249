package testdb

import "syscall"

// setPdeathsig makes the kernel SIGKILL the server when the test binary
// exits abnormally (for example on a test timeout), so servers do not leak.
func setPdeathsig(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
