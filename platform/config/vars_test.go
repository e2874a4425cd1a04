package config_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/leaguepay/checkout/platform/config"
)

// varName is an environment variable of this service, as a Go string
// literal or in backticks in the README.
var varName = regexp.MustCompile("[\"`]((?:CHECKOUT|STRIPE)_[A-Z0-9_]+)[\"`]")

// readIn returns the variables named by string literals in the package's
// non-test Go files other than the table itself: what FromEnv reads.
func readIn(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "vars.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range varName.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
	}
	return names
}

// readmeTable returns the README's configuration table: each variable named
// in a row's first cell, with the row's default cell (backticks removed).
func readmeTable(t *testing.T) map[string]string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n## Configuration\n")
	if !ok {
		t.Fatal(`README has no "## Configuration" section`)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(sec, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(line, "| `") {
			continue
		}
		def := strings.TrimSpace(strings.ReplaceAll(cells[2], "`", ""))
		for _, m := range varName.FindAllStringSubmatch(cells[1], -1) {
			rows[m[1]] = def
		}
	}
	return rows
}

func TestVarsTable(t *testing.T) {
	read := readIn(t)
	t.Run("every variable FromEnv reads is in the table", func(t *testing.T) {
		for _, name := range read {
			if _, ok := config.Lookup(name); !ok {
				t.Errorf("%s is read but not in config.Vars", name)
			}
		}
	})
	t.Run("every variable of the table is read", func(t *testing.T) {
		for _, v := range config.Vars {
			if !slices.Contains(read, v.Name) {
				t.Errorf("config.Vars lists %s, which FromEnv does not read", v.Name)
			}
		}
	})
	t.Run("the README's configuration table has every variable with its default", func(t *testing.T) {
		rows := readmeTable(t)
		for _, v := range config.Vars {
			def, ok := rows[v.Name]
			if !ok {
				t.Errorf("README's configuration table lacks %s", v.Name)
				continue
			}
			if def != v.DefaultText() {
				t.Errorf("README gives %s the default %q, the code %q", v.Name, def, v.DefaultText())
			}
		}
		for name := range rows {
			if _, ok := config.Lookup(name); !ok {
				t.Errorf("README documents %s, which the service does not read", name)
			}
		}
	})
	t.Run("help lists every variable with its default", func(t *testing.T) {
		help := config.Help()
		for _, v := range config.Vars {
			line := regexp.MustCompile(`(?m)^  ` + v.Name + ` +` + regexp.QuoteMeta(v.DefaultText()) + `$`)
			if !line.MatchString(help) {
				t.Errorf("help has no line %q with its default %q:\n%s", v.Name, v.DefaultText(), help)
			}
		}
	})
}

func TestDefaultsComeFromTheTable(t *testing.T) {
	for _, v := range config.Vars {
		t.Setenv(v.Name, "")
	}
	c, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.PublicURL != "http://localhost:8080" || c.BuyerRateLimit != 300 ||
		c.ConnsPerClient != 128 || c.BodyBudget != 32<<20 {
		t.Errorf("defaults %+v", c)
	}
}
