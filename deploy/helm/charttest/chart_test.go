package charttest

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// TestLintStrict is `helm lint --strict --kube-version 1.30` of the chart
// with every value set: no errors and no warnings. (Lint takes a template's
// fail for information only, so the bare defaults lint clean although they
// do not render: TestDefaultsNeedADatabase.)
func TestLintStrict(t *testing.T) {
	for _, name := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = namespace
			lint.KubeVersion = kubeVersion
			res := lint.Run([]string{chartDir}, readValues(t, name))
			for _, msg := range res.Messages {
				t.Log(msg)
			}
			if len(res.Errors) > 0 || res.TotalChartsLinted != 1 {
				t.Fatalf("lint --strict: %d charts linted, errors: %v", res.TotalChartsLinted, res.Errors)
			}
		})
	}
}

// noDatabase is how the chart refuses values that name no database.
const noDatabase = "the server needs CHECKOUT_DATABASE_URL: set secret.existingSecret"

// TestDefaultsNeedADatabase: `helm template` with the chart's defaults
// fails at once, naming the two ways to give the server its database,
// instead of rendering a release whose pods crash on an empty URL.
func TestDefaultsNeedADatabase(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets []string
	}{
		{"the bare defaults", nil},
		{"an explicitly empty URL", []string{"secret.databaseURL=,secret.existingSecret="}},
		{"only the owner's URL", []string{"secret.migrateDatabaseURL=postgres://owner@db/checkout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, readValues(t, "defaults", tc.sets...))
			if err == nil {
				t.Fatal("rendered; want the missing database named")
			}
			if !strings.Contains(err.Error(), noDatabase) || !strings.Contains(err.Error(), "secret.databaseURL") {
				t.Fatalf("error %q, want %q naming both values", err, noDatabase)
			}
		})
	}
}

// renderCases render a value set, check the invariants every render must
// keep, then what the value set is about.
var renderCases = []struct {
	name   string
	values string
	sets   []string
	caps   bool // render as for a cluster with monitoring.coreos.com/v1
	check  func(t *testing.T, r rendering)
}{
	{name: "the least an install needs renders a hardened two-replica release", values: "minimal", check: checkDefaults},
	{name: "a dev release creates its Secrets from values", values: "dev-secret", check: checkDevSecret},
	{name: "the HPA owns the replica count", values: "hpa", check: checkHPA},
	{name: "a ServiceMonitor is rendered when the cluster serves it", values: "servicemonitor", caps: true, check: checkServiceMonitor},
	{name: "no ServiceMonitor without the capability", values: "servicemonitor", check: func(t *testing.T, r rendering) {
		if !strings.Contains(r.notes, "monitoring.coreos.com/v1") {
			t.Error("NOTES do not warn about the missing ServiceMonitor API")
		}
	}},
	{name: "existingSecret renders no Secret at all", values: "existing-secret", check: checkExistingSecret},
	{name: "migrations can be turned off", values: "migrations-off", check: func(t *testing.T, r rendering) {
		if !strings.Contains(r.notes, "Migrations are OFF") {
			t.Error("NOTES do not say migrations are off")
		}
	}},
	{name: "the Ingress routes the API and the policy admits its controller", values: "ingress", check: checkIngress},
	{name: "tuned limits, digest and platform-assigned ids", values: "tuned", check: checkTuned},
	{name: "tests and policies can be turned off", values: "minimal", sets: []string{
		"tests.enabled=false,networkPolicy.enabled=false,podDisruptionBudget.enabled=false",
		"preStopSleepSeconds=0,drainDelaySeconds=5",
	}},
}

func TestRender(t *testing.T) {
	for _, tc := range renderCases {
		t.Run(tc.name, func(t *testing.T) {
			var apis []string
			if tc.caps {
				apis = []string{monitoringAPI}
			}
			rel, err := render(t, readValues(t, tc.values, tc.sets...), apis...)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			r := newRendering(t, rel, tc.caps)
			checkInvariants(t, r)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// TestRenderRefuses: values the chart must reject, with a message that says
// why.
func TestRenderRefuses(t *testing.T) {
	cases := []struct {
		name string
		sets []string
		want string
	}{
		{"an unknown key", []string{"replicas=3"}, "replicas"},
		{"a misspelt nested key", []string{"secret.existingSecrets=x"}, "existingSecrets"},
		{"an unknown payment provider", []string{"config.payments=paypal"}, "payments"},
		{"a memory limit without a unit pattern", []string{"resources.limits.memory=lots"}, "memory"},
		{"a container without limits", []string{"resources.limits=null"}, "limits"},
		{"a grace period shorter than the drain", []string{"terminationGracePeriodSeconds=10"}, "terminationGracePeriodSeconds"},
		{"inline secrets next to existingSecret", []string{"secret.existingSecret=s,secret.databaseURL=postgres://x"}, "existingSecret"},
		{"a secret in extraEnv", []string{"extraEnv[0].name=STRIPE_SECRET_KEY,extraEnv[0].value=sk_live_x"}, "STRIPE_SECRET_KEY"},
		{"GOMEMLIMIT in extraEnv", []string{"extraEnv[0].name=GOMEMLIMIT,extraEnv[0].value=1GiB"}, "GOMEMLIMIT"},
		{"fewer max than min replicas", []string{"autoscaling.enabled=true,autoscaling.minReplicas=5,autoscaling.maxReplicas=2"}, "maxReplicas"},
		{"a root user id", []string{"securityContext.runAsUser=0"}, "runAsUser"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, readValues(t, "minimal", tc.sets...))
			if err == nil {
				t.Fatal("rendered; want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func checkDefaults(t *testing.T, r rendering) {
	d, c := deployment(t, r)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	if c.Image != "leaguepay/checkout:"+r.appVersion {
		t.Errorf("image %s", c.Image)
	}
	if m := envVar(c, "GOMEMLIMIT"); m == nil || m.Value != "230MiB" {
		t.Errorf("GOMEMLIMIT %+v, want 230MiB (0.9 × 256Mi)", m)
	}
	if u := d.Spec.Template.Spec.SecurityContext.RunAsUser; u == nil || *u != 65532 {
		t.Errorf("runAsUser %v, want the image's 65532", u)
	}
	if n := len(d.Spec.Template.Spec.TopologySpreadConstraints); n != 2 {
		t.Errorf("%d topology spread constraints, want the 2 soft defaults", n)
	}
	pdb := only[policyv1.PodDisruptionBudget](t, r.m)
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("PDB maxUnavailable %v, want 1", pdb.Spec.MaxUnavailable)
	}
	np := only[networkingv1.NetworkPolicy](t, r.m)
	if len(np.Spec.PolicyTypes) != 2 || len(np.Spec.Egress) != 3 {
		t.Errorf("NetworkPolicy %+v, want ingress and egress (DNS, database, HTTPS)", np.Spec)
	}
}

func checkDevSecret(t *testing.T, r rendering) {
	release := named[corev1.Secret](r.m, releaseName+"-checkout")
	hook := named[corev1.Secret](r.m, releaseName+"-checkout-migrate")
	if release == nil || hook == nil {
		t.Fatal("want the release Secret and the migration hook Secret")
	}
	if _, ok := release.Data["CHECKOUT_MIGRATE_DATABASE_URL"]; ok {
		t.Error("the server's Secret holds the owner's database URL")
	}
	for _, k := range []string{"CHECKOUT_DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "CHECKOUT_ENCRYPTION_KEY", "CHECKOUT_PLATFORM_TOKEN"} {
		if len(release.Data[k]) == 0 {
			t.Errorf("release Secret lacks %s", k)
		}
	}
	if got := string(hook.Data["CHECKOUT_MIGRATE_DATABASE_URL"]); !strings.Contains(got, "checkout_owner") {
		t.Errorf("migration Secret has %q, want the owner's URL", got)
	}
	if p := hook.Annotations["helm.sh/hook-delete-policy"]; !strings.Contains(p, "hook-succeeded") {
		t.Errorf("migration Secret delete policy %q: it should not outlive a successful run", p)
	}
	d, _ := deployment(t, r)
	if d.Spec.Template.Annotations["checksum/secret"] == "" {
		t.Error("pods do not roll on a Secret change (no checksum/secret)")
	}
	if !strings.Contains(r.notes, "development only") {
		t.Error("NOTES do not warn that the chart-made Secret is for development")
	}
}

func checkHPA(t *testing.T, r rendering) {
	h := only[autoscalingv2.HorizontalPodAutoscaler](t, r.m)
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas != 3 || h.Spec.MaxReplicas != 12 {
		t.Errorf("HPA %v–%d, want 3–12", h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	if len(h.Spec.Metrics) != 2 || h.Spec.Metrics[0].Resource.Target.AverageUtilization == nil ||
		*h.Spec.Metrics[0].Resource.Target.AverageUtilization != 65 {
		t.Errorf("HPA metrics %+v, want CPU 65%% and memory", h.Spec.Metrics)
	}
	if h.Spec.Behavior == nil || h.Spec.Behavior.ScaleDown == nil {
		t.Error("HPA behavior was dropped")
	}
}

func checkServiceMonitor(t *testing.T, r rendering) {
	sm := only[serviceMonitor](t, r.m)
	if sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor labels %v lack the extra label", sm.Labels)
	}
	if ep := sm.Spec.Endpoints[0]; ep.Interval != "15s" || ep.ScrapeTimeout == "" {
		t.Errorf("endpoint %+v, want interval 15s and a scrape timeout", ep)
	}
	if got := sm.Spec.NamespaceSelector.MatchNames; len(got) != 1 || got[0] != namespace {
		t.Errorf("namespaceSelector %v", got)
	}
}

func checkExistingSecret(t *testing.T, r rendering) {
	_, c := deployment(t, r)
	if e := envVar(c, "CHECKOUT_DATABASE_URL"); e.ValueFrom.SecretKeyRef.Name != "checkout-secrets" {
		t.Errorf("server reads %s", e.ValueFrom.SecretKeyRef.Name)
	}
	job := only[batchv1.Job](t, r.m)
	jc := &job.Spec.Template.Spec.Containers[0]
	for _, k := range []string{"CHECKOUT_MIGRATE_DATABASE_URL", "CHECKOUT_DATABASE_URL"} {
		e := envVar(jc, k)
		if e == nil || e.ValueFrom.SecretKeyRef.Name != "checkout-secrets" || !*e.ValueFrom.SecretKeyRef.Optional {
			t.Errorf("Job %s = %+v, want an optional key of checkout-secrets", k, e)
		}
	}
	sa := named[corev1.ServiceAccount](r.m, releaseName+"-checkout")
	if sa == nil || sa.Annotations["eks.amazonaws.com/role-arn"] == "" {
		t.Error("ServiceAccount annotations were dropped")
	}
	if strings.Contains(r.notes, "WARNING") {
		t.Errorf("NOTES warn with existingSecret:\n%s", r.notes)
	}
}

func checkIngress(t *testing.T, r rendering) {
	ing := only[networkingv1.Ingress](t, r.m)
	if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" {
		t.Errorf("ingressClassName %v", ing.Spec.IngressClassName)
	}
	if len(ing.Spec.TLS) != 1 || ing.Spec.TLS[0].SecretName != "checkout-tls" || ing.Spec.Rules[0].Host != "pay.league.example" {
		t.Errorf("Ingress TLS %+v rules %+v", ing.Spec.TLS, ing.Spec.Rules)
	}
	np := only[networkingv1.NetworkPolicy](t, r.m)
	from := np.Spec.Ingress[0].From
	if len(from) != 2 || from[0].NamespaceSelector == nil || from[1].PodSelector.MatchLabels["app.kubernetes.io/component"] != "test" {
		t.Errorf("HTTP ingress from %+v, want the controller's namespace and the helm test pod", from)
	}
	if len(np.Spec.Ingress[1].From) != 1 {
		t.Errorf("metrics ingress from %+v, want the monitoring namespace", np.Spec.Ingress[1].From)
	}
	if !strings.Contains(r.notes, "https://pay.league.example") {
		t.Error("NOTES do not give the Ingress URL")
	}
	cm := only[corev1.ConfigMap](t, r.m)
	if got := cm.Data["CHECKOUT_TRUSTED_PROXIES"]; got != "10.244.0.0/16,10.96.0.10" {
		t.Errorf("CHECKOUT_TRUSTED_PROXIES = %q, want the ingress controller's addresses", got)
	}
}

func checkTuned(t *testing.T, r rendering) {
	d, c := deployment(t, r)
	const mirror = "images.example.com/mirror/"
	if c.Image != mirror+"leaguepay/checkout@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" {
		t.Errorf("image %s, want the digest from global.imageRegistry", c.Image)
	}
	if jc := only[batchv1.Job](t, r.m).Spec.Template.Spec.Containers[0]; jc.Image != c.Image {
		t.Errorf("migration image %s, want the server's %s", jc.Image, c.Image)
	}
	if pod := named[corev1.Pod](r.m, releaseName+"-checkout-test-readyz"); pod == nil || pod.Spec.Containers[0].Image != mirror+"busybox:1.37" {
		t.Errorf("helm test pod %+v, want its image from global.imageRegistry", pod)
	}
	if m := envVar(c, "GOMEMLIMIT"); m == nil || m.Value != "819MiB" {
		t.Errorf("GOMEMLIMIT %+v, want 819MiB (0.8 × 1Gi)", m)
	}
	if psc := d.Spec.Template.Spec.SecurityContext; psc.RunAsUser != nil || psc.FSGroup != nil {
		t.Errorf("ids %+v, want them left to the platform", psc)
	}
	if d.Spec.Template.Spec.ServiceAccountName != "checkout-runtime" {
		t.Errorf("serviceAccountName %s", d.Spec.Template.Spec.ServiceAccountName)
	}
	job := only[batchv1.Job](t, r.m)
	if job.Spec.Template.Spec.ServiceAccountName != "checkout-runtime" {
		t.Errorf("Job serviceAccountName %s, want the existing account", job.Spec.Template.Spec.ServiceAccountName)
	}
	if pdb := only[policyv1.PodDisruptionBudget](t, r.m); pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.String() != "50%" {
		t.Errorf("PDB minAvailable %v, want 50%%", pdb.Spec.MinAvailable)
	}
	if envVar(c, "OTEL_EXPORTER_OTLP_HEADERS") == nil || envVar(c, "OTEL_SERVICE_NAME") == nil {
		t.Error("extraEnv was dropped")
	}
	for _, spec := range []*corev1.PodSpec{&d.Spec.Template.Spec, &job.Spec.Template.Spec} {
		mounts := spec.Containers[0].VolumeMounts
		if len(spec.Volumes) != 2 || spec.Volumes[1].ConfigMap == nil || len(mounts) != 2 || mounts[1].MountPath != "/etc/checkout/db-ca" {
			t.Errorf("the database CA volume is not mounted: %+v %+v", spec.Volumes, mounts)
		}
	}
}
