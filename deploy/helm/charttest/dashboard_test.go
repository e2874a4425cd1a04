package charttest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const dashboardPath = "deploy/grafana/checkout-dashboard.json"

// dashboard holds the parts of a Grafana dashboard the test checks.
type dashboard struct {
	Title         string `json:"title"`
	UID           string `json:"uid"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Query      any    `json:"query"`
			IncludeAll bool   `json:"includeAll"`
			Multi      bool   `json:"multi"`
		} `json:"list"`
	} `json:"templating"`
	Panels []dashboardPanel `json:"panels"`
}

type dashboardPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos *struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// requiredFamilies are API.md's metric families; each must be on a panel.
var requiredFamilies = []string{
	"checkout_orders_created_total", "checkout_order_transitions_total",
	"checkout_order_revenue_cents_total", "checkout_webhook_events_total",
	"checkout_webhook_duration_seconds", "checkout_stripe_requests_total",
	"checkout_stripe_request_duration_seconds", "checkout_http_requests_total",
	"checkout_http_request_duration_seconds", "checkout_db_pool_",
}

// tenantFamilies carry a tenant label: their queries must honour $tenant.
var tenantFamilies = []string{
	"checkout_orders_created_total", "checkout_order_transitions_total",
	"checkout_order_revenue_cents_total", "checkout_webhook_events_total",
}

var metricName = regexp.MustCompile(`checkout_[a-z_]+`)

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw := readRepoFile(t, dashboardPath)
	if !json.Valid(raw) {
		t.Fatalf("%s is not valid JSON", dashboardPath)
	}
	var d dashboard
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&d); err != nil {
		t.Fatalf("decode %s: %v", dashboardPath, err)
	}
	return d
}

// TestDashboard: valid JSON with a data source and a tenant variable,
// unique panel ids, and a query for every required metric family.
func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.Title == "" || d.UID == "" || d.SchemaVersion == 0 {
		t.Errorf("title %q uid %q schemaVersion %d: want all three", d.Title, d.UID, d.SchemaVersion)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Name == "tenant" && (!v.IncludeAll || !v.Multi || !strings.Contains(jsonString(t, v.Query), "tenant)")) {
			t.Errorf("tenant variable %+v, want label_values(…, tenant) with All and multi-select", v)
		}
	}
	if vars["datasource"] != "datasource" || vars["tenant"] != "query" {
		t.Errorf("variables %v, want a datasource and a tenant query", vars)
	}
	exprs := checkPanels(t, d.Panels)
	all := strings.Join(exprs, "\n")
	for _, f := range requiredFamilies {
		if !strings.Contains(all, f) {
			t.Errorf("no panel queries %s", f)
		}
	}
	for _, e := range exprs {
		for _, f := range tenantFamilies {
			if strings.Contains(e, f+"{") && !strings.Contains(e, `tenant=~"$tenant"`) {
				t.Errorf("query ignores $tenant: %s", e)
			}
		}
	}
}

// checkPanels checks ids, layout and data sources and returns every query.
func checkPanels(t *testing.T, panels []dashboardPanel) []string {
	t.Helper()
	ids := map[int]bool{}
	var exprs []string
	for _, p := range panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos == nil || p.GridPos.W < 1 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q has no valid gridPos", p.Title)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: want the ${datasource} variable and at least one query", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" || tg.RefID == "" {
				t.Errorf("panel %q has an empty query", p.Title)
			}
			exprs = append(exprs, tg.Expr)
		}
	}
	return exprs
}

// TestDashboardMetricsExist: every metric a query names is one the service
// registers (platform/metrics), so a rename breaks this test, not the
// dashboard.
func TestDashboardMetricsExist(t *testing.T) {
	src := metricsSource(t)
	seen := map[string]bool{}
	for _, p := range loadDashboard(t).Panels {
		for _, tg := range p.Targets {
			for _, name := range metricName.FindAllString(tg.Expr, -1) {
				seen[name] = true
			}
		}
	}
	for name := range seen {
		base := name
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			base = strings.TrimSuffix(base, suffix)
		}
		pool, isPool := strings.CutPrefix(base, "checkout_db_pool_")
		if !strings.Contains(src, `"`+base+`"`) && !(isPool && strings.Contains(src, `"`+pool+`"`)) {
			t.Errorf("the dashboard queries %s, which platform/metrics does not register", name)
		}
	}
}

// metricsSource is the text of the non-test Go files of platform/metrics.
func metricsSource(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "platform", "metrics", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no platform/metrics sources: %v", err)
	}
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
	}
	return b.String()
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
