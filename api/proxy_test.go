package api_test

import (
	"testing"

	"github.com/leaguepay/checkout/api"
)

func TestClientIPBehindTrustedProxies(t *testing.T) {
	contract := func(e *env) (league, string, string) {
		l := e.newLeague()
		p := e.product(l, map[string]any{"type": "contract", "name": "Contract", "price_cents": 0, "config": contractConfig})
		_, token, _ := e.household(l, "Ann")
		return l, p["id"].(string), token
	}
	sign := map[string]any{"signer_name": "Ann Doe", "signer_relationship": "parent", "accept_terms": true, "terms_version": "v1"}
	cases := []struct {
		name    string
		proxies []string
		want    string
	}{
		{"behind a trusted proxy the evidence names the first forwarded address", []string{"0.0.0.0/0"}, "203.0.113.7"},
		{"without trusted proxies a forwarded header is not believed", nil, "0.0.0.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{t: t, app: buildApp(t, func(d *api.Deps) { d.TrustedProxies = tc.proxies })}
			l, product, token := contract(e)
			r := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token,
				"product_id": product, "custom_data": sign}, "X-Forwarded-For", "203.0.113.7, 10.0.0.1")
			ev := r.JSON()["order"].(map[string]any)["evidence"].(map[string]any)
			if ev["client_ip"] != tc.want {
				t.Errorf("client_ip = %v, want %s", ev["client_ip"], tc.want)
			}
		})
	}
}
