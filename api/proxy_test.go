package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/platform/config"
)

// The peer of every app.Test request is 0.0.0.0, so "0.0.0.0/32" is the
// proxy in front of the app and 10.0.0.0/8 the proxies behind it.
var testProxies = []string{"0.0.0.0/32", "10.0.0.0/8"}

// doForwarded sends a request with body (nil or a value sent as JSON) and
// one X-Forwarded-For line per entry of xff.
func (e *env) doForwarded(method, path string, body any, xff []string) resp {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	for _, line := range xff {
		req.Header.Add("X-Forwarded-For", line)
	}
	res, err := e.app.Test(req, 30_000)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: raw}
}

func TestClientIPBehindTrustedProxies(t *testing.T) {
	sign := map[string]any{"signer_name": "Ann Doe", "signer_relationship": "parent", "accept_terms": true, "terms_version": "v1"}
	cases := []struct {
		name    string
		proxies []string
		xff     []string // X-Forwarded-For lines, in order
		want    string
	}{
		{"behind trusted proxies the evidence names the nearest untrusted address, not the spoofable leftmost one",
			testProxies, []string{"198.51.100.9, 203.0.113.7, 10.0.0.1"}, "203.0.113.7"},
		{"several X-Forwarded-For lines are read as one list", testProxies,
			[]string{"198.51.100.9", "203.0.113.7, 10.0.0.1"}, "203.0.113.7"},
		{"an IPv6 client is named", testProxies, []string{"2001:db8::7, 10.0.0.1"}, "2001:db8::7"},
		{"when every forwarded address is a trusted proxy the leftmost is named", testProxies,
			[]string{"10.1.2.3, 10.0.0.1"}, "10.1.2.3"},
		{"a garbled entry stops the walk at the last trusted hop", testProxies,
			[]string{"198.51.100.9, not-an-ip, 10.0.0.1"}, "10.0.0.1"},
		{"a trusted peer without the header is itself the client", testProxies, nil, "0.0.0.0"},
		{"without trusted proxies a forwarded header is not believed", nil, []string{"203.0.113.7, 10.0.0.1"}, "0.0.0.0"},
		{"a peer that is not a trusted proxy is not believed", []string{"10.0.0.0/8"},
			[]string{"203.0.113.7, 10.0.0.1"}, "0.0.0.0"},
		{"a trusted proxy may be given as a bare address", []string{"0.0.0.0", "10.0.0.1"},
			[]string{"198.51.100.9, 203.0.113.7, 10.0.0.1"}, "203.0.113.7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{t: t, app: buildApp(t, func(c *config.Config, _ *app.Options) { c.TrustedProxies = tc.proxies })}
			l := e.newLeague()
			p := e.product(l, map[string]any{"type": "contract", "name": "Contract", "price_cents": 0, "config": contractConfig})
			_, token, _ := e.household(l, "Ann")
			r := e.doForwarded("POST", l.Base+"/checkout", map[string]any{"registration_token": token,
				"product_id": p["id"], "custom_data": sign}, tc.xff)
			if r.Status != 201 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			ev := r.JSON()["order"].(map[string]any)["evidence"].(map[string]any)
			if ev["client_ip"] != tc.want {
				t.Errorf("client_ip = %v, want %s", ev["client_ip"], tc.want)
			}
		})
	}
}

func TestBuyerRateLimitBehindTrustedProxies(t *testing.T) {
	e := &env{t: t, app: buildApp(t, func(c *config.Config, _ *app.Options) { c.TrustedProxies, c.BuyerRateLimit = testProxies, 2 })}
	l := e.newLeague()
	ann := func(spoofed string) []string { return []string{spoofed + ", 203.0.113.7, 10.0.0.1"} }
	ben := []string{"203.0.113.8, 10.0.0.2"}
	steps := []struct {
		name   string
		xff    []string
		status int
	}{
		{"a first client's first request passes", ann("198.51.100.1"), 200},
		{"its second passes", ann("198.51.100.2"), 200},
		{"its third is limited, whatever it puts leftmost", ann("198.51.100.3"), 429},
		{"a second client behind the same proxy has its own limit", ben, 200},
		{"and is limited on its own count", ben, 200},
		{"past it", ben, 429},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if r := e.doForwarded("GET", l.Base+"/products", nil, st.xff); r.Status != st.status {
				t.Fatalf("status %d, want %d: %s", r.Status, st.status, r.Body)
			}
		})
	}
}
