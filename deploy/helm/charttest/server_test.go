package charttest

import (
	"fmt"
	"math"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// checkServer: the Deployment runs `checkout serve` with probes, a drain
// pause, the Go runtime sized from its limits, replicas left to the HPA when
// there is one, and its configuration from the ConfigMap and the Secret.
func checkServer(t *testing.T, r rendering) {
	t.Helper()
	d, c := deployment(t, r)
	if hpa := r.on("autoscaling.enabled"); hpa != (d.Spec.Replicas == nil) {
		t.Errorf("autoscaling %v but Deployment replicas set: %v", hpa, d.Spec.Replicas != nil)
	}
	if len(c.Command) != 0 || strings.Join(c.Args, " ") != "serve" {
		t.Errorf("server runs %v %v, want the image's checkout with [serve]", c.Command, c.Args)
	}
	repository := r.str("image.repository")
	if registry := strings.TrimSuffix(r.str("global.imageRegistry"), "/"); registry != "" {
		repository = registry + "/" + repository
	}
	if want := repository + ":" + r.appVersion; r.str("image.tag") == "" && r.str("image.digest") == "" && c.Image != want {
		t.Errorf("image %s, want %s (tag defaults to appVersion)", c.Image, want)
	}
	checkProbes(t, c)
	checkShutdown(t, r, &d.Spec.Template.Spec, c)
	checkGoRuntime(t, r, c)
	if d.Spec.Template.Annotations["checksum/config"] == "" {
		t.Error("pods do not roll on a ConfigMap change (no checksum/config)")
	}
	cm := only[corev1.ConfigMap](t, r.m)
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != cm.Name {
		t.Errorf("server envFrom %+v, want the ConfigMap %s", c.EnvFrom, cm.Name)
	}
	want := map[string]string{
		"CHECKOUT_HTTP_ADDR":        fmt.Sprintf(":%d", containerPort(t, c, "http")),
		"CHECKOUT_METRICS_ADDR":     fmt.Sprintf(":%d", containerPort(t, c, "metrics")),
		"CHECKOUT_PUBLIC_URL":       r.str("config.publicURL"),
		"CHECKOUT_PAYMENTS":         r.str("config.payments"),
		"CHECKOUT_BUYER_RATE_LIMIT": r.str("config.buyerRateLimit"),
		"CHECKOUT_DRAIN_DELAY":      r.str("drainDelaySeconds") + "s",
		"CHECKOUT_SHUTDOWN_GRACE":   r.str("shutdownGraceSeconds") + "s",
	}
	if u := r.str("config.stripeAPIURL"); u != "" {
		want["CHECKOUT_STRIPE_API_URL"] = u
	}
	if _, ok := cm.Data["CHECKOUT_TRUSTED_PROXIES"]; ok {
		want["CHECKOUT_TRUSTED_PROXIES"] = cm.Data["CHECKOUT_TRUSTED_PROXIES"] // checked by checkIngress
	}
	if len(cm.Data) != len(want) {
		t.Errorf("ConfigMap has %d keys, want %d: %v", len(cm.Data), len(want), cm.Data)
	}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("ConfigMap %s = %q, want %q", k, cm.Data[k], v)
		}
	}
	db := envVar(c, "CHECKOUT_DATABASE_URL")
	if db == nil || db.ValueFrom == nil || db.ValueFrom.SecretKeyRef == nil || db.ValueFrom.SecretKeyRef.Optional != nil && *db.ValueFrom.SecretKeyRef.Optional {
		t.Error("CHECKOUT_DATABASE_URL is not a required key of the Secret")
	}
	for _, k := range secretKeys[2:] {
		if e := envVar(c, k); e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s does not come from the Secret", k)
		}
	}
}

func containerPort(t *testing.T, c *corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port %s", c.Name, name)
	return 0
}

func checkProbes(t *testing.T, c *corev1.Container) {
	t.Helper()
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"startup", c.StartupProbe, "/healthz"},
		{"liveness", c.LivenessProbe, "/healthz"},
		{"readiness", c.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe GETs %s on %s, want %s on http", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path)
		}
	}
}

// checkShutdown: a preStop pause, then SIGTERM, the server's drain delay
// and its grace for in-flight requests, all within
// terminationGracePeriodSeconds.
func checkShutdown(t *testing.T, r rendering, s *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	pause := int64(0)
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		pause = c.Lifecycle.PreStop.Sleep.Seconds
	}
	if want := int64(r.num(t, "preStopSleepSeconds")); pause != want {
		t.Errorf("preStop sleeps %d s, want %d", pause, want)
	}
	total := pause + int64(r.num(t, "drainDelaySeconds")) + int64(r.num(t, "shutdownGraceSeconds"))
	if s.TerminationGracePeriodSeconds == nil || *s.TerminationGracePeriodSeconds < total {
		t.Errorf("terminationGracePeriodSeconds %v is shorter than pause + drain delay + grace (%d s)", s.TerminationGracePeriodSeconds, total)
	}
}

// checkGoRuntime: GOMAXPROCS is limits.cpu through the downward API
// (divisor 1 rounds up) and GOMEMLIMIT is goMemLimitRatio of limits.memory.
func checkGoRuntime(t *testing.T, r rendering, c *corev1.Container) {
	t.Helper()
	p := envVar(c, "GOMAXPROCS")
	if p == nil || p.ValueFrom == nil || p.ValueFrom.ResourceFieldRef == nil {
		t.Fatal("GOMAXPROCS is not a resourceFieldRef")
	}
	ref := p.ValueFrom.ResourceFieldRef
	if ref.Resource != "limits.cpu" || ref.ContainerName != c.Name || ref.Divisor.Cmp(resource.MustParse("1")) != 0 {
		t.Errorf("GOMAXPROCS from %+v, want limits.cpu of %s with divisor 1", ref, c.Name)
	}
	limit := c.Resources.Limits[corev1.ResourceMemory]
	mib := int64(math.Floor(float64(limit.Value()) * r.num(t, "goMemLimitRatio") / (1 << 20)))
	if m := envVar(c, "GOMEMLIMIT"); m == nil || m.Value != fmt.Sprintf("%dMiB", mib) {
		t.Errorf("GOMEMLIMIT %+v, want %dMiB", m, mib)
	}
}

// checkSelectors: the Service, PDB, NetworkPolicy, HPA, ServiceMonitor and
// Ingress all point at the server pods and their named ports.
func checkSelectors(t *testing.T, r rendering) {
	t.Helper()
	d, c := deployment(t, r)
	pods := labels.Set(d.Spec.Template.Labels)
	if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil || !sel.Matches(pods) {
		t.Errorf("Deployment selector does not match its pods: %v", err)
	}
	svc := only[corev1.Service](t, r.m)
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(pods) {
		t.Error("Service does not select the server pods")
	}
	for _, p := range svc.Spec.Ports {
		containerPort(t, c, p.TargetPort.String())
	}
	matches := func(what string, s *metav1.LabelSelector, set labels.Set) {
		sel, err := metav1.LabelSelectorAsSelector(s)
		if err != nil || sel.Empty() || !sel.Matches(set) {
			t.Errorf("%s does not select its target (%v)", what, err)
		}
	}
	for _, pdb := range all[policyv1.PodDisruptionBudget](r.m) {
		matches("PodDisruptionBudget", pdb.Spec.Selector, pods)
		if (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
			t.Error("PodDisruptionBudget needs exactly one of minAvailable, maxUnavailable")
		}
	}
	for _, np := range all[networkingv1.NetworkPolicy](r.m) {
		matches("NetworkPolicy", &np.Spec.PodSelector, pods)
	}
	for _, sm := range all[serviceMonitor](r.m) {
		matches("ServiceMonitor", &sm.Spec.Selector, svc.Labels)
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" || sm.Spec.Endpoints[0].Path != "/metrics" {
			t.Errorf("ServiceMonitor endpoints %+v, want port metrics path /metrics", sm.Spec.Endpoints)
		}
		checkServicePort(t, svc, "metrics")
	}
	for _, h := range all[autoscalingv2.HorizontalPodAutoscaler](r.m) {
		if ref := h.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			t.Errorf("HPA targets %+v, want the Deployment %s", ref, d.Name)
		}
	}
	for _, ing := range all[networkingv1.Ingress](r.m) {
		for _, rule := range ing.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				if b := p.Backend.Service; b == nil || b.Name != svc.Name || b.Port.Name != "http" {
					t.Errorf("Ingress path %s goes to %+v, want Service %s port http", p.Path, b, svc.Name)
				}
			}
		}
	}
}

func checkServicePort(t *testing.T, svc *corev1.Service, name string) {
	t.Helper()
	for _, p := range svc.Spec.Ports {
		if p.Name == name {
			return
		}
	}
	t.Errorf("Service %s has no port %s", svc.Name, name)
}
