package tenants_test

import (
	"testing"

	"github.com/leaguepay/checkout/tenants"
)

func TestOriginAllowed(t *testing.T) {
	// Origins as rows written before they were normalised may hold them.
	tn := tenants.Tenant{AllowedRedirectOrigins: []string{"https://League.example/", "http://localhost:3000", "http://[::1]:80"}}
	cases := []struct {
		url  string
		want bool
	}{
		{"https://league.example/ok", true},
		{"https://league.example:443/ok", true},
		{"HTTPS://LEAGUE.EXAMPLE:443/ok?x=1", true},
		{"https://league.example:8443/ok", false},
		{"http://league.example/ok", false},
		{"https://league.example.evil.example/ok", false},
		{"https://user@league.example/ok", false},
		{"//league.example/ok", false},
		{"https://:443/ok", false},
		{"http://localhost:3000/", true},
		{"http://LOCALHOST:3000/", true},
		{"http://localhost/", false},
		{"http://localhost:80/", false},
		{"http://[::1]/", true},
		{"http://[::1]:80/", true},
		{"http://[::1]:8080/", false},
	}
	for _, tc := range cases {
		if got := tn.OriginAllowed(tc.url); got != tc.want {
			t.Errorf("OriginAllowed(%q) = %v, want %v", tc.url, got, tc.want)
		}
	}
}

func TestDefaultOriginIsNormalised(t *testing.T) {
	tn := tenants.Tenant{AllowedRedirectOrigins: []string{"HTTPS://League.example:443/"}}
	if got := tn.DefaultOrigin(); got != "https://league.example" {
		t.Errorf("DefaultOrigin() = %q", got)
	}
}
