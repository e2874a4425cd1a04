package charttest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// secretKeys are the keys of the Secret the chart reads (API.md's
// environment names).
var secretKeys = []string{
	"CHECKOUT_DATABASE_URL", "CHECKOUT_MIGRATE_DATABASE_URL", "STRIPE_SECRET_KEY",
	"STRIPE_WEBHOOK_SECRET", "CHECKOUT_ENCRYPTION_KEY", "CHECKOUT_PLATFORM_TOKEN",
}

// rendering is one render with the values it was made from.
type rendering struct {
	m     manifests
	vals  chartutil.Values // the chart's defaults coalesced with the user's values
	user  map[string]any   // what the user passed
	notes string
	caps  bool // the cluster serves monitoring.coreos.com/v1
	// chartVersion and appVersion are Chart.yaml's.
	chartVersion, appVersion string
}

func newRendering(t *testing.T, rel *release.Release, caps bool) rendering {
	t.Helper()
	vals, err := chartutil.CoalesceValues(rel.Chart, rel.Config)
	if err != nil {
		t.Fatalf("coalesce values: %v", err)
	}
	return rendering{
		m: manifestsOf(t, rel), vals: vals, user: rel.Config, notes: rel.Info.Notes, caps: caps,
		chartVersion: rel.Chart.Metadata.Version, appVersion: rel.Chart.Metadata.AppVersion,
	}
}

func (r rendering) str(path string) string {
	v, err := r.vals.PathValue(path)
	if err != nil || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (r rendering) on(path string) bool { return r.str(path) == "true" }

func (r rendering) num(t *testing.T, path string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(r.str(path), 64)
	if err != nil {
		t.Fatalf("value %s: %v", path, err)
	}
	return f
}

// secretValues are the non-empty secret.* values the user passed.
func (r rendering) secretValues() []string {
	var out []string
	if s, ok := r.user["secret"].(map[string]any); ok {
		for k, v := range s {
			if str, ok := v.(string); ok && str != "" && k != "existingSecret" {
				out = append(out, str)
			}
		}
	}
	return out
}

// checkInvariants asserts what must hold for every value set.
func checkInvariants(t *testing.T, r rendering) {
	t.Helper()
	checkLabels(t, r)
	checkPresence(t, r)
	for _, p := range podSpecs(r.m) {
		checkPodHardened(t, p)
	}
	for _, sa := range all[corev1.ServiceAccount](r.m) {
		if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
			t.Errorf("ServiceAccount %s mounts its token", sa.Name)
		}
	}
	checkNoSecretOutsideSecrets(t, r)
	checkSecretRefs(t, r)
	checkServer(t, r)
	checkSelectors(t, r)
	if job := named[batchv1.Job](r.m, releaseName+"-checkout-migrate"); job != nil {
		checkMigrationJob(t, r, job)
	}
	if pod := named[corev1.Pod](r.m, releaseName+"-checkout-test-readyz"); pod != nil {
		checkTestPod(t, pod)
	}
	if strings.TrimSpace(r.notes) == "" {
		t.Error("NOTES.txt rendered nothing")
	}
}

// checkLabels: every object, and every pod template, carries the
// app.kubernetes.io recommended labels and lives in the release namespace.
func checkLabels(t *testing.T, r rendering) {
	t.Helper()
	chartLabel := "checkout-" + r.chartVersion
	want := map[string]string{
		"app.kubernetes.io/name":       "checkout",
		"app.kubernetes.io/instance":   releaseName,
		"app.kubernetes.io/managed-by": "Helm",
		"app.kubernetes.io/part-of":    "checkout",
	}
	check := func(what string, labels map[string]string) {
		for k, v := range want {
			if labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", what, k, labels[k], v)
			}
		}
		for _, k := range []string{"app.kubernetes.io/version", "app.kubernetes.io/component", "helm.sh/chart"} {
			if labels[k] == "" {
				t.Errorf("%s: no label %s", what, k)
			}
		}
		if labels["helm.sh/chart"] != chartLabel {
			t.Errorf("%s: helm.sh/chart = %q", what, labels["helm.sh/chart"])
		}
	}
	for _, o := range r.m {
		what := o.Kind + " " + o.Obj.GetName()
		check(what, o.Obj.GetLabels())
		if ns := o.Obj.GetNamespace(); ns != namespace {
			t.Errorf("%s: namespace %q, want %q", what, ns, namespace)
		}
	}
	for _, p := range podSpecs(r.m) {
		if p.labels != nil {
			check(p.where+" pod template", p.labels)
		}
	}
}

// checkPresence: each optional object is rendered exactly when its values
// turn it on.
func checkPresence(t *testing.T, r rendering) {
	t.Helper()
	c := r.m.count()
	existing := r.str("secret.existingSecret") != ""
	migrate := r.on("migration.enabled")
	wantSecrets := 0
	if !existing {
		wantSecrets = 1
		if migrate {
			wantSecrets = 2 // the release's Secret and the migration hook's
		}
	}
	want := map[string]int{
		"Deployment": 1, "Service": 1, "ConfigMap": 1, "Secret": wantSecrets,
		"HorizontalPodAutoscaler": b2i(r.on("autoscaling.enabled")),
		"PodDisruptionBudget":     b2i(r.on("podDisruptionBudget.enabled")),
		"NetworkPolicy":           b2i(r.on("networkPolicy.enabled")),
		"Ingress":                 b2i(r.on("ingress.enabled")),
		"ServiceMonitor":          b2i(r.on("metrics.serviceMonitor.enabled") && r.caps),
		"Job":                     b2i(migrate),
		"Pod":                     b2i(r.on("tests.enabled")),
		"ServiceAccount": b2i(r.on("serviceAccount.create")) +
			b2i(migrate && r.on("serviceAccount.create") && r.str("migration.serviceAccountName") == ""),
	}
	for kind, n := range want {
		if c[kind] != n {
			t.Errorf("%d %s rendered, want %d", c[kind], kind, n)
		}
	}
	for kind := range c {
		if _, ok := want[kind]; !ok {
			t.Errorf("unexpected kind %s", kind)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkNoSecretOutsideSecrets: no secret value appears in any object but a
// Secret — in particular not in a ConfigMap — and no ConfigMap has a
// secret's key.
func checkNoSecretOutsideSecrets(t *testing.T, r rendering) {
	t.Helper()
	for _, cm := range all[corev1.ConfigMap](r.m) {
		for k := range cm.Data {
			if slices.Contains(secretKeys, k) {
				t.Errorf("ConfigMap %s has the secret key %s", cm.Name, k)
			}
		}
	}
	for _, o := range r.m {
		if o.Kind == "Secret" {
			continue
		}
		js, err := json.Marshal(o.Obj)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range r.secretValues() {
			b64 := base64.StdEncoding.EncodeToString([]byte(v))
			if strings.Contains(string(js), v) || strings.Contains(string(js), b64) {
				t.Errorf("%s %s contains the secret value %q", o.Kind, o.Obj.GetName(), v)
			}
		}
	}
}

// hookWeight is the helm.sh/hook-weight of an object (0 when unset).
func hookWeight(t *testing.T, o interface{ GetAnnotations() map[string]string }) int {
	t.Helper()
	w := o.GetAnnotations()["helm.sh/hook-weight"]
	if w == "" {
		return 0
	}
	n, err := strconv.Atoi(w)
	if err != nil {
		t.Fatalf("hook weight %q: %v", w, err)
	}
	return n
}

// deployment returns the server Deployment and its container.
func deployment(t *testing.T, r rendering) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	d := only[appsv1.Deployment](t, r.m)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("Deployment has %d containers, want 1", len(d.Spec.Template.Spec.Containers))
	}
	return d, &d.Spec.Template.Spec.Containers[0]
}

// envVar returns the container's variable called name, or nil.
func envVar(c *corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}
