package charttest

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	corev1 "k8s.io/api/core/v1"
)

// readmeSection returns the README's "## Deploying with Helm" section.
func readmeSection(t *testing.T) string {
	t.Helper()
	readme := string(readRepoFile(t, "README.md"))
	_, sec, ok := strings.Cut(readme, "\n## Deploying with Helm\n")
	if !ok {
		t.Fatal(`README has no "## Deploying with Helm" section`)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	return sec
}

// readmeValues is the README's values example: the yaml block whose first
// line is "# values-managed-postgres.yaml".
func readmeValues(t *testing.T) map[string]any {
	t.Helper()
	_, block, ok := strings.Cut(readmeSection(t), "```yaml\n# values-managed-postgres.yaml\n")
	if !ok {
		t.Fatal("README has no values-managed-postgres.yaml example")
	}
	block, _, _ = strings.Cut(block, "```")
	vals, err := chartutil.ReadValues([]byte(block))
	if err != nil {
		t.Fatalf("README values example: %v", err)
	}
	return vals.AsMap()
}

// TestReadmeValuesExample: the documented managed-PostgreSQL values lint
// strictly and render a release that reads the existing Secret, trusts the
// ingress controller's X-Forwarded-For, and pulls from the registry given.
func TestReadmeValuesExample(t *testing.T) {
	vals := readmeValues(t)
	lint := action.NewLint()
	lint.Strict = true
	lint.Namespace = namespace
	lint.KubeVersion = kubeVersion
	if res := lint.Run([]string{chartDir}, vals); len(res.Errors) > 0 {
		t.Fatalf("lint --strict: %v", res.Errors)
	}
	rel, err := render(t, vals, monitoringAPI)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	r := newRendering(t, rel, true)
	checkInvariants(t, r)
	if n := len(all[corev1.Secret](r.m)); n != 0 {
		t.Errorf("%d Secrets rendered with existingSecret", n)
	}
	only[serviceMonitor](t, r.m)
	if r.on("ingress.enabled") && only[corev1.ConfigMap](t, r.m).Data["CHECKOUT_TRUSTED_PROXIES"] == "" {
		t.Error("the example serves through an Ingress but trusts no proxy: every buyer would be the controller's address")
	}
	if _, c := deployment(t, r); !strings.HasPrefix(c.Image, r.str("global.imageRegistry")+"/") {
		t.Errorf("image %s does not come from the example's global.imageRegistry", c.Image)
	}
}

// TestReadmeSecretCommand: the documented `kubectl create secret` sets every
// key the chart reads.
func TestReadmeSecretCommand(t *testing.T) {
	sec := readmeSection(t)
	_, cmd, ok := strings.Cut(sec, "kubectl -n payments create secret generic checkout-secrets")
	if !ok {
		t.Fatal("README does not show how to create the Secret")
	}
	cmd, _, _ = strings.Cut(cmd, "```")
	for _, k := range secretKeys {
		if !strings.Contains(cmd, "--from-literal="+k+"=") {
			t.Errorf("the README's secret command lacks %s", k)
		}
	}
}
