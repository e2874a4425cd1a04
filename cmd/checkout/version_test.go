package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestDescribeBuild(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.3.1-0.20261201093102-deb797d3a6b3+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "deb797d3a6b3d413cccf2e64790bfc8385d1db9e"},
			{Key: "vcs.time", Value: "2026-12-01T09:31:02Z"}, {Key: "vcs.modified", Value: "true"}}}
	tests := []struct {
		name             string
		info             *debug.BuildInfo
		version, commit  string
		want, wantCommit string
	}{
		{"a build from a repository reports the module version, the commit, its time and uncommitted changes", vcs, "", "",
			"checkout v0.3.1-0.20261201093102-deb797d3a6b3+dirty\n",
			"commit deb797d3a6b3d413cccf2e64790bfc8385d1db9e (2026-12-01T09:31:02Z), with uncommitted changes\n"},
		{"link-time values win over what the build recorded", vcs, "v1.0.0", "0123456789abcdef0123456789abcdef01234567",
			"checkout v1.0.0\n", "commit 0123456789abcdef0123456789abcdef01234567\n"},
		{"a build without version control says so", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "",
			"checkout devel\n", "commit unknown (built without version control information)\n"},
		{"no build information at all still answers", nil, "v2.0.0", "", "checkout v2.0.0\n", "commit unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describeBuild(tt.info, tt.version, tt.commit)
			if !strings.HasPrefix(got, tt.want) || !strings.Contains(got, tt.wantCommit) || !strings.Contains(got, "built with go") {
				t.Errorf("describeBuild =\n%s\nwant %q, %q and the toolchain", got, tt.want, tt.wantCommit)
			}
		})
	}
}

func TestVersionFlag(t *testing.T) {
	out := mustRun(t, "--version")
	if out != buildVersion() || !strings.HasPrefix(out, "checkout ") || !strings.Contains(out, "\ncommit ") {
		t.Errorf("checkout --version printed\n%s\nwant\n%s", out, buildVersion())
	}
}
