package charttest

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// podSpec is a pod spec found in a Deployment, a Job or a Pod.
type podSpec struct {
	where  string
	hook   string // the owner's helm.sh/hook annotation
	weight map[string]string
	spec   *corev1.PodSpec
	labels map[string]string // template labels (nil for a bare Pod)
}

func podSpecs(m manifests) []podSpec {
	var out []podSpec
	for _, o := range m {
		p := podSpec{where: o.Kind + " " + o.Obj.GetName(), hook: o.Hook(), weight: o.Obj.GetAnnotations()}
		switch v := o.Obj.(type) {
		case *appsv1.Deployment:
			p.spec, p.labels = &v.Spec.Template.Spec, v.Spec.Template.Labels
		case *batchv1.Job:
			p.spec, p.labels = &v.Spec.Template.Spec, v.Spec.Template.Labels
		case *corev1.Pod:
			p.spec = &v.Spec
		default:
			continue
		}
		out = append(out, p)
	}
	return out
}

// checkPodHardened: non-root, no token, seccomp RuntimeDefault; every
// container read-only with a /tmp emptyDir, no privilege escalation, no
// capabilities, and requests and limits for CPU and memory.
func checkPodHardened(t *testing.T, p podSpec) {
	t.Helper()
	s := p.spec
	psc := s.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: pod runAsNonRoot is not true", p.where)
	} else if psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		t.Errorf("%s: pod runs as uid 0", p.where)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccomp profile is not RuntimeDefault", p.where)
	}
	if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
		t.Errorf("%s: service account token is mounted", p.where)
	}
	if s.EnableServiceLinks == nil || *s.EnableServiceLinks {
		t.Errorf("%s: service links are on", p.where)
	}
	if s.ServiceAccountName == "" {
		t.Errorf("%s: no serviceAccountName", p.where)
	}
	if len(s.InitContainers) > 0 {
		t.Errorf("%s: unexpected init containers", p.where)
	}
	for i := range s.Containers {
		checkContainerHardened(t, p.where, s, &s.Containers[i])
	}
}

func checkContainerHardened(t *testing.T, where string, s *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	where += " container " + c.Name
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Errorf("%s: no securityContext", where)
		return
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Errorf("%s: runAsNonRoot is not true", where)
	case sc.RunAsUser != nil && *sc.RunAsUser == 0:
		t.Errorf("%s: runs as uid 0", where)
	case sc.Privileged == nil || *sc.Privileged:
		t.Errorf("%s: privileged is not false", where)
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("%s: allowPrivilegeEscalation is not false", where)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("%s: root filesystem is writable", where)
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Errorf("%s: capabilities are not drop [ALL]", where)
	case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("%s: seccomp profile is not RuntimeDefault", where)
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		lim, okL := c.Resources.Limits[res]
		req, okR := c.Resources.Requests[res]
		if !okL || lim.IsZero() || !okR || req.IsZero() {
			t.Errorf("%s: %s needs a request and a limit", where, res)
		} else if req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %s above limit %s", where, res, req.String(), lim.String())
		}
	}
	checkTmp(t, where, s, c)
}

// checkTmp: /tmp is a mounted emptyDir with a size limit.
func checkTmp(t *testing.T, where string, s *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	i := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" })
	if i < 0 {
		t.Errorf("%s: /tmp is not mounted", where)
		return
	}
	j := slices.IndexFunc(s.Volumes, func(v corev1.Volume) bool { return v.Name == c.VolumeMounts[i].Name })
	if j < 0 || s.Volumes[j].EmptyDir == nil || s.Volumes[j].EmptyDir.SizeLimit == nil {
		t.Errorf("%s: /tmp is not an emptyDir with a size limit", where)
	}
}

// checkSecretRefs: every Secret a pod reads exists when the pod starts. A
// release object reads a release Secret or an existing one; a hook reads an
// existing one or a hook Secret of the same events and a lower weight.
func checkSecretRefs(t *testing.T, r rendering) {
	t.Helper()
	external := map[string]bool{}
	if s := r.str("secret.existingSecret"); s != "" {
		external[s] = true
	}
	for _, p := range podSpecs(r.m) {
		for _, c := range p.spec.Containers {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					checkSecretRef(t, r, p, e, external)
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.SecretRef != nil {
					t.Errorf("%s: envFrom a whole Secret; name its keys instead", p.where)
				}
			}
		}
	}
}

func checkSecretRef(t *testing.T, r rendering, p podSpec, e corev1.EnvVar, external map[string]bool) {
	t.Helper()
	ref := e.ValueFrom.SecretKeyRef
	if !slices.Contains(secretKeys, e.Name) {
		return // the user's own extraEnv
	}
	if ref.Key != e.Name {
		t.Errorf("%s: %s reads key %s, want the variable's name", p.where, e.Name, ref.Key)
	}
	sec := named[corev1.Secret](r.m, ref.Name)
	if sec == nil {
		if !external[ref.Name] {
			t.Errorf("%s: %s reads Secret %s, which is neither rendered nor secret.existingSecret", p.where, e.Name, ref.Name)
		}
		return
	}
	secHook := sec.Annotations["helm.sh/hook"]
	switch {
	case p.hook == "" && secHook != "":
		t.Errorf("%s: reads the hook Secret %s", p.where, sec.Name)
	case p.hook != "" && secHook != p.hook:
		t.Errorf("%s (hook %q) reads Secret %s of hook %q: it may not exist yet", p.where, p.hook, sec.Name, secHook)
	case p.hook != "" && hookWeight(t, sec) >= hookWeight(t, weighted(p.weight)):
		t.Errorf("%s: Secret %s is not created before it (hook weight)", p.where, sec.Name)
	}
	_, inData := sec.Data[ref.Key]
	if optional := ref.Optional != nil && *ref.Optional; !optional && !inData {
		t.Errorf("%s: required key %s missing from Secret %s", p.where, ref.Key, sec.Name)
	}
}

// weighted adapts an annotation map for hookWeight.
type weighted map[string]string

func (w weighted) GetAnnotations() map[string]string { return w }

// checkMigrationJob: a pre-install,pre-upgrade hook running `checkout
// migrate` with bounded retries and time, after its ServiceAccount.
func checkMigrationJob(t *testing.T, r rendering, job *batchv1.Job) {
	t.Helper()
	a := job.Annotations
	if a["helm.sh/hook"] != "pre-install,pre-upgrade" {
		t.Errorf("Job hook = %q", a["helm.sh/hook"])
	}
	if a["helm.sh/hook-weight"] == "" {
		t.Error("Job has no hook weight")
	}
	if !slices.Contains(strings.Split(a["helm.sh/hook-delete-policy"], ","), "before-hook-creation") {
		t.Errorf("Job delete policy %q lacks before-hook-creation", a["helm.sh/hook-delete-policy"])
	}
	if job.Spec.BackoffLimit == nil || job.Spec.ActiveDeadlineSeconds == nil {
		t.Error("Job needs backoffLimit and activeDeadlineSeconds")
	}
	spec := job.Spec.Template.Spec
	if spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("Job restartPolicy %s", spec.RestartPolicy)
	}
	c := spec.Containers[0]
	if len(c.Command) != 0 || !slices.Equal(c.Args, []string{"migrate"}) {
		t.Errorf("Job runs %v %v, want the image's checkout with [migrate]", c.Command, c.Args)
	}
	_, server := deployment(t, r)
	if c.Image != server.Image {
		t.Errorf("Job image %s, server image %s", c.Image, server.Image)
	}
	if envVar(server, "CHECKOUT_MIGRATE_DATABASE_URL") != nil {
		t.Error("the server gets the owner's database URL")
	}
	if envVar(&c, "CHECKOUT_MIGRATE_DATABASE_URL") == nil {
		t.Error("the Job has no CHECKOUT_MIGRATE_DATABASE_URL")
	}
	sa := named[corev1.ServiceAccount](r.m, spec.ServiceAccountName)
	switch {
	case sa == nil && spec.ServiceAccountName == releaseName+"-checkout":
		t.Error("Job uses the release's ServiceAccount name, which is not rendered")
	case sa == nil:
		// an existing account
	case sa.Annotations["helm.sh/hook"] != job.Annotations["helm.sh/hook"]:
		t.Errorf("Job's ServiceAccount %s is not a hook of the same events: it does not exist yet", sa.Name)
	case hookWeight(t, sa) >= hookWeight(t, job):
		t.Errorf("Job's ServiceAccount %s is not created before it", sa.Name)
	}
}

// checkTestPod: a `helm test` hook that fetches /readyz through the Service.
func checkTestPod(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	if pod.Annotations["helm.sh/hook"] != "test" {
		t.Errorf("test pod hook = %q", pod.Annotations["helm.sh/hook"])
	}
	if pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("test pod restartPolicy %s", pod.Spec.RestartPolicy)
	}
	cmd := strings.Join(pod.Spec.Containers[0].Command, " ")
	if !strings.Contains(cmd, "http://"+releaseName+"-checkout:") || !strings.HasSuffix(cmd, "/readyz") {
		t.Errorf("test pod runs %q, want a GET of the Service's /readyz", cmd)
	}
}
