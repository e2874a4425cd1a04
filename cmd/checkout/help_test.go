package main

import (
	"regexp"
	"testing"

	"github.com/leaguepay/checkout/platform/config"
)

// TestServeHelpListsEnvironment: serve --help names every variable of the
// configuration table with its default.
func TestServeHelpListsEnvironment(t *testing.T) {
	out := mustRun(t, "serve", "--help")
	for _, v := range config.Vars {
		line := regexp.MustCompile(`(?m)^  ` + v.Name + ` +` + regexp.QuoteMeta(v.DefaultText()) + `$`)
		if !line.MatchString(out) {
			t.Errorf("serve --help has no line for %s with its default %q:\n%s", v.Name, v.DefaultText(), out)
		}
	}
}
