//go:build !linux

package main

import "os/exec"

// dieWithParent is Linux-only (as are the benchmark's /proc readings);
// elsewhere a child outlives a benchmark that dies without stopping it.
func dieWithParent(*exec.Cmd) {}
