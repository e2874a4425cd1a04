//go:build !linux

package stripemock

import "os/exec"

// dieWithParent is Linux-only; elsewhere a test process that dies without
// stopping stripe-mock leaves it running until it is killed.
func dieWithParent(*exec.Cmd) {}
