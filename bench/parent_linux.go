package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill a child when the benchmark dies
// without stopping it, so no server or stripe-mock outlives a run.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
