package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version and commit override what the build recorded, for builds without
// the repository's history (a Docker build context has no .git):
//
//	go build -ldflags "-X main.version=v0.2.0 -X main.commit=$(git rev-parse HEAD)" ./cmd/checkout
var version, commit string

// buildVersion describes this binary for `checkout --version`.
func buildVersion() string {
	info, _ := debug.ReadBuildInfo()
	return describeBuild(info, version, commit)
}

// describeBuild renders the main module's version, the commit it was built
// from with the commit's time, whether the tree had uncommitted changes, and
// the Go toolchain. version and commit, when set, win over info.
func describeBuild(info *debug.BuildInfo, version, commit string) string {
	var rev, at string
	modified := false
	goVersion := runtime.Version()
	if info != nil {
		if version == "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
	}
	if version == "" || version == "(devel)" {
		version = "devel"
	}
	if commit != "" && commit != rev {
		rev, at, modified = commit, "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "checkout %s\n", version)
	switch {
	case rev == "":
		b.WriteString("commit unknown (built without version control information)\n")
	default:
		b.WriteString("commit " + rev)
		if at != "" {
			b.WriteString(" (" + at + ")")
		}
		if modified {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "built with %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
