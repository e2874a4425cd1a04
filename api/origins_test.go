package api_test

import (
	"fmt"
	"reflect"
	"testing"
)

func TestRedirectOriginsIgnoreCaseAndDefaultPorts(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague("https://League.example", "http://localhost:3000", "HTTP://Shop.Example:80/")
	kit := e.product(l, map[string]any{"type": "jersey", "name": "Kit", "price_cents": 0, "config": kitConfig})["id"]
	platform := bearer(platformToken)

	t.Run("origins are stored with a lower-case scheme and host and no default port", func(t *testing.T) {
		got := e.must(200, "GET", "/v1/platform/tenants", nil, platform...)
		for _, tn := range listItems(t, got) {
			if tn["slug"] != l.Slug {
				continue
			}
			want := []any{"https://league.example", "http://localhost:3000", "http://shop.example"}
			if !reflect.DeepEqual(tn["allowed_redirect_origins"], want) {
				t.Errorf("origins %v, want %v", tn["allowed_redirect_origins"], want)
			}
		}
	})

	cases := []struct {
		url    string
		status int
	}{
		{"https://league.example:443/ok", 201},
		{"HTTPS://LEAGUE.EXAMPLE/ok", 201},
		{"https://league.example:8443/ok", 422},
		{"http://league.example/ok", 422},
		{"http://localhost:3000/ok", 201},
		{"http://LocalHost:3000/ok", 201},
		{"http://localhost/ok", 422},
		{"http://localhost:80/ok", 422},
		{"http://shop.example/ok", 201},
		{"http://shop.example:80/ok", 201},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("a success_url of %s is answered %d", tc.url, tc.status), func(t *testing.T) {
			_, token, _ := e.household(l, "Ann")
			r := e.do("POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": kit,
				"custom_data": kitData(), "success_url": tc.url})
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.status == 422 && fmt.Sprint(r.Fields()) != "[/success_url]" {
				t.Errorf("fields %v", r.Fields())
			}
		})
	}

	t.Run("a patch stores its origins normalised too", func(t *testing.T) {
		got := e.must(200, "PATCH", "/v1/platform/tenants/"+l.Slug,
			map[string]any{"allowed_redirect_origins": []string{"HTTPS://Red.Example:443", "https://red.example:8443"}}, platform...).JSON()
		want := []any{"https://red.example", "https://red.example:8443"}
		if !reflect.DeepEqual(got["allowed_redirect_origins"], want) {
			t.Errorf("origins %v, want %v", got["allowed_redirect_origins"], want)
		}
	})
}
