package charttest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// serviceMonitor mirrors the fields of monitoring.coreos.com/v1
// ServiceMonitor that the chart sets; decoding is strict, so a field the
// chart renders but this struct lacks fails the test.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector struct {
			MatchNames []string `json:"matchNames"`
		} `json:"namespaceSelector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// kinds maps "apiVersion kind" to a constructor of its typed object: the
// chart may render these and nothing else (a wrong apiVersion fails too).
var kinds = map[string]func() metav1.Object{
	"apps/v1 Deployment":                      func() metav1.Object { return &appsv1.Deployment{} },
	"v1 Service":                              func() metav1.Object { return &corev1.Service{} },
	"v1 ConfigMap":                            func() metav1.Object { return &corev1.ConfigMap{} },
	"v1 Secret":                               func() metav1.Object { return &corev1.Secret{} },
	"v1 ServiceAccount":                       func() metav1.Object { return &corev1.ServiceAccount{} },
	"v1 Pod":                                  func() metav1.Object { return &corev1.Pod{} },
	"batch/v1 Job":                            func() metav1.Object { return &batchv1.Job{} },
	"networking.k8s.io/v1 Ingress":            func() metav1.Object { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1 NetworkPolicy":      func() metav1.Object { return &networkingv1.NetworkPolicy{} },
	"autoscaling/v2 HorizontalPodAutoscaler":  func() metav1.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1 PodDisruptionBudget":           func() metav1.Object { return &policyv1.PodDisruptionBudget{} },
	"monitoring.coreos.com/v1 ServiceMonitor": func() metav1.Object { return &serviceMonitor{} },
}

// object is one rendered document.
type object struct {
	Kind   string
	Source string // template path, or "manifest"
	Obj    metav1.Object
}

// Hook is the object's helm.sh/hook annotation ("" for a release object).
func (o object) Hook() string { return o.Obj.GetAnnotations()["helm.sh/hook"] }

// manifests is everything one render produced.
type manifests []object

// decodeStrict turns one YAML document into its typed object, failing the
// test on duplicate keys, unknown fields, trailing data or an unknown kind.
// Empty and comment-only documents report ok == false.
func decodeStrict(t *testing.T, source, doc string) (object, bool) {
	t.Helper()
	js, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		t.Fatalf("%s: not YAML: %v\n%s", source, err, doc)
	}
	if s := strings.TrimSpace(string(js)); s == "null" || s == "" {
		return object{}, false
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		t.Fatalf("%s: %v", source, err)
	}
	newObj, ok := kinds[tm.APIVersion+" "+tm.Kind]
	if !ok {
		t.Fatalf("%s: unexpected %s %s", source, tm.APIVersion, tm.Kind)
	}
	obj := newObj()
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		t.Fatalf("%s: %s %s does not decode strictly: %v\n%s", source, tm.Kind, obj.GetName(), err, doc)
	}
	if dec.More() {
		t.Fatalf("%s: trailing data after %s", source, tm.Kind)
	}
	return object{Kind: tm.Kind, Source: source, Obj: obj}, true
}

// all returns every object of type T.
func all[T any](m manifests) []*T {
	var out []*T
	for _, o := range m {
		if v, ok := any(o.Obj).(*T); ok {
			out = append(out, v)
		}
	}
	return out
}

// only returns the single object of type T, failing when there is not
// exactly one.
func only[T any](t *testing.T, m manifests) *T {
	t.Helper()
	objs := all[T](m)
	if len(objs) != 1 {
		var zero T
		t.Fatalf("want exactly one %T, got %d", zero, len(objs))
	}
	return objs[0]
}

// named returns the object of type T with the given name, or nil.
func named[T any](m manifests, name string) *T {
	for _, o := range m {
		if v, ok := any(o.Obj).(*T); ok && o.Obj.GetName() == name {
			return v
		}
	}
	return nil
}

// count returns how many objects of each kind were rendered.
func (m manifests) count() map[string]int {
	c := map[string]int{}
	for _, o := range m {
		c[o.Kind]++
	}
	return c
}
