package charttest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/strvals"
)

const (
	chartDir    = "../checkout"
	releaseName = "league"
	namespace   = "payments"
	// monitoringAPI is what `helm template --api-versions` adds for a
	// cluster running the Prometheus Operator.
	monitoringAPI = "monitoring.coreos.com/v1"
)

// kubeVersion is the oldest Kubernetes the chart supports (Chart.yaml's
// kubeVersion); lint and rendering both use it, like --kube-version.
var kubeVersion = &chartutil.KubeVersion{Version: "v1.30.0", Major: "1", Minor: "30"}

// loadChart loads the chart from its directory, as helm does.
func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return c
}

// readValues reads testdata/values/NAME.yaml and applies each --set style
// assignment in sets on top.
func readValues(t *testing.T, name string, sets ...string) map[string]any {
	t.Helper()
	vals := map[string]any{}
	if name != "" {
		v, err := chartutil.ReadValuesFile(filepath.Join("testdata", "values", name+".yaml"))
		if err != nil {
			t.Fatalf("read values %s: %v", name, err)
		}
		vals = v.AsMap()
	}
	for _, s := range sets {
		if err := strvals.ParseInto(s, vals); err != nil {
			t.Fatalf("--set %s: %v", s, err)
		}
	}
	return vals
}

// valueSets lists the value files under testdata/values, without extension.
func valueSets(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "values", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no value sets in testdata/values: %v", err)
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	return names
}

// render does what `helm template --kube-version 1.30 [--api-versions …]`
// does: a client-only dry-run install, hooks and test hooks included.
func render(t *testing.T, vals map[string]any, apiVersions ...string) (*release.Release, error) {
	t.Helper()
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun = true
	inst.DryRunOption = "client"
	inst.ClientOnly = true
	inst.Replace = true
	inst.ReleaseName = releaseName
	inst.Namespace = namespace
	inst.KubeVersion = kubeVersion
	inst.APIVersions = apiVersions
	return inst.RunWithContext(context.Background(), loadChart(t), vals)
}

// docSeparator splits a multi-document YAML stream.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// manifestsOf decodes every document of the release — its manifest and each
// hook's — strictly into its Kubernetes type.
func manifestsOf(t *testing.T, rel *release.Release) manifests {
	t.Helper()
	var out manifests
	add := func(source, text string) {
		for _, doc := range docSeparator.Split(text, -1) {
			if obj, ok := decodeStrict(t, source, doc); ok {
				out = append(out, obj)
			}
		}
	}
	add("manifest", rel.Manifest)
	for _, h := range rel.Hooks {
		add(h.Path, h.Manifest)
	}
	return out
}

// readRepoFile reads a file relative to the repository root.
func readRepoFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", path))
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}
