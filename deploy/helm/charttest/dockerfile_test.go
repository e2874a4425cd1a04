package charttest

import (
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// buildLine is the Dockerfile's build step; TestImageBuildIsStatic runs it.
const buildLine = `CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/checkout ./cmd/checkout`

// dockerStage is one FROM … of a Dockerfile with its instructions.
type dockerStage struct {
	from         string
	instructions []string // "USER 65532:65532", "RUN …", with continuations joined
}

func parseDockerfile(t *testing.T, src string) []dockerStage {
	t.Helper()
	src = strings.ReplaceAll(src, "\\\n", " ")
	var stages []dockerStage
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if f, ok := strings.CutPrefix(line, "FROM "); ok {
			stages = append(stages, dockerStage{from: f})
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, line)
		}
	}
	return stages
}

func (s dockerStage) has(instruction string) bool {
	for _, i := range s.instructions {
		if i == instruction {
			return true
		}
	}
	return false
}

// TestDockerfile: a multi-stage build whose last stage is an empty base
// holding the static binary and CA roots, run as a numeric non-root user,
// with the entrypoint the chart's args ("serve", "migrate") expect.
func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, string(readRepoFile(t, "Dockerfile")))
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.from, "golang:") || !strings.HasSuffix(build.from, " AS build") {
		t.Errorf("build stage FROM %s, want golang:… AS build", build.from)
	}
	if !build.has("RUN " + buildLine) {
		t.Errorf("build stage lacks RUN %s", buildLine)
	}
	if final.from != "scratch" {
		t.Errorf("final stage FROM %s, want scratch", final.from)
	}
	for _, want := range []string{
		"COPY --from=build /out/checkout /usr/local/bin/checkout",
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
		"USER 65532:65532",
		`ENTRYPOINT ["/usr/local/bin/checkout"]`,
		`CMD ["serve"]`,
	} {
		if !final.has(want) {
			t.Errorf("final stage lacks %s", want)
		}
	}
	for _, i := range final.instructions {
		if strings.HasPrefix(i, "RUN ") {
			t.Errorf("final stage runs %q: scratch has no shell", i)
		}
	}
}

// TestImageBuildIsStatic runs the Dockerfile's build step on the context
// docker would send (the repository through .dockerignore) and checks that
// the binary is static and stripped: it runs on an empty base image; and
// that it reports the version and commit given as build arguments.
func TestImageBuildIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the checkout binary")
	}
	ctxDir := t.TempDir()
	copyBuildContext(t, filepath.Join("..", "..", ".."), ctxDir)
	out := filepath.Join(t.TempDir(), "checkout")
	cmd := exec.Command("sh", "-c", strings.Replace(buildLine, "/out/checkout", out, 1))
	cmd.Dir = ctxDir
	cmd.Env = append(os.Environ(), "VERSION="+imageVersion, "COMMIT="+imageCommit)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", buildLine, err, stderr.String())
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatalf("open binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has a dynamic loader (PT_INTERP): not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v", libs)
	}
	if _, err := f.Symbols(); !errors.Is(err, elf.ErrNoSymbols) {
		t.Errorf("binary keeps its symbol table (want -s): %v", err)
	}
	v, err := exec.Command(out, "--version").Output()
	if err != nil {
		t.Fatalf("checkout --version: %v", err)
	}
	if !strings.Contains(string(v), "checkout "+imageVersion+"\n") || !strings.Contains(string(v), "commit "+imageCommit) {
		t.Errorf("checkout --version of the image's build says\n%s\nwant the VERSION and COMMIT build arguments", v)
	}
}

// The build arguments TestImageBuildIsStatic passes, as `docker build
// --build-arg` would.
const (
	imageVersion = "v0.0.0-charttest"
	imageCommit  = "0123456789abcdef0123456789abcdef01234567"
)

// copyBuildContext copies src to dst without what .dockerignore excludes.
func copyBuildContext(t *testing.T, src, dst string) {
	t.Helper()
	patterns, err := ignorefile.ReadAll(bytes.NewReader(readRepoFile(t, ".dockerignore")))
	if err != nil {
		t.Fatalf("read .dockerignore: %v", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatalf(".dockerignore: %v", err)
	}
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == "." {
			return nil
		}
		if skip, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel)); err != nil || skip {
			if d.IsDir() && !pm.Exclusions() {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatalf("copy build context: %v", err)
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestDockerignoreKeepsSources: the context keeps what the build embeds.
func TestDockerignoreKeepsSources(t *testing.T) {
	patterns, err := ignorefile.ReadAll(bytes.NewReader(readRepoFile(t, ".dockerignore")))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/checkout/main.go", "migrations/00001_roles.sql", "producttypes/jersey/config.schema.json"} {
		if skip, _ := pm.MatchesOrParentMatches(p); skip {
			t.Errorf(".dockerignore drops %s", p)
		}
	}
	for _, p := range []string{".git/config", "deploy/helm/checkout/Chart.yaml", "api/auth_test.go", "README.md"} {
		if skip, _ := pm.MatchesOrParentMatches(p); !skip {
			t.Errorf(".dockerignore keeps %s", p)
		}
	}
}
