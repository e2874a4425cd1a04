package stripemock

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill stripe-mock when the test process dies
// without stopping it (a -timeout panic, a kill), so no process outlives
// its tests.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
