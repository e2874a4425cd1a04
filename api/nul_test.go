package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// PostgreSQL cannot store U+0000 in text (22021) or jsonb (22P05), so a
// string holding it must be refused as a 400 on its field before it gets
// there, not fail as a 500.
func TestStringsWithNULAreRefused(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	optOut := e.product(l, map[string]any{"type": "jersey", "name": "No jersey", "price_cents": 0, "config": optOutConfig})["id"]
	deal := e.product(l, map[string]any{"type": "contract", "name": "Contract", "price_cents": 0, "config": contractConfig})["id"]
	_, token, _ := e.household(l, "Ann")
	players := []map[string]any{{"first_name": "Ann", "last_name": "Doe"}}
	platform := bearer(platformToken)
	const nul = "Doe\x00family" // JSON-encoded as "Doe\u0000family"

	cases := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		field   string
	}{
		{"a customer name", "POST", l.Base + "/admin/customers",
			map[string]any{"name": nul, "email": "doe@example.com", "players": players}, bearer(l.Manager), "/name"},
		{"a player's name", "POST", l.Base + "/admin/customers",
			map[string]any{"name": "Doe", "email": "doe@example.com", "players": []map[string]any{{"first_name": "Ann", "last_name": nul}}},
			bearer(l.Manager), "/players/0/last_name"},
		{"a new tenant's name", "POST", "/v1/platform/tenants", map[string]any{"slug": authSlug(), "name": nul}, platform, "/name"},
		{"a renamed tenant's name", "PATCH", "/v1/platform/tenants/" + l.Slug, map[string]any{"name": nul}, platform, "/name"},
		{"a product name", "POST", l.Base + "/admin/products", freeJersey(nul), bearer(l.Manager), "/name"},
		{"an opt-out reason", "POST", l.Base + "/checkout",
			map[string]any{"registration_token": token, "product_id": optOut, "custom_data": map[string]any{"reason": nul}}, nil,
			"/custom_data/reason"},
		{"a contract's signer name", "POST", l.Base + "/checkout",
			map[string]any{"registration_token": token, "product_id": deal, "custom_data": contractData(nul)}, nil,
			"/custom_data/signer_name"},
		{"a custom_data member name", "POST", l.Base + "/checkout",
			map[string]any{"registration_token": token, "product_id": optOut, "custom_data": map[string]any{"rea\x00son": "x"}}, nil,
			"/custom_data/rea\x00son"},
		{"an API key name", "POST", l.Base + "/admin/api-keys", map[string]any{"role": "viewer", "name": nul}, bearer(l.Admin), "/name"},
		{"a platform-made API key name", "POST", "/v1/platform/tenants/" + l.Slug + "/api-keys",
			map[string]any{"role": "viewer", "name": nul}, platform, "/name"},
		{"a raw NUL byte, which is not JSON at all", "POST", l.Base + "/admin/customers",
			"{\"name\":\"Doe\x00\",\"email\":\"doe@example.com\",\"players\":[]}", bearer(l.Manager), "/name"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" holding U+0000 is a 400 naming it", func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body, tc.headers...)
			isoProblem(t, r, 400, "/problems/bad-request")
			if got := fmt.Sprint(r.Fields()); got != "["+tc.field+"]" {
				t.Errorf("fields %q, want [%q]", got, tc.field)
			}
		})
	}

	t.Run("nothing was stored", func(t *testing.T) {
		if n := len(listItems(t, e.must(200, "GET", l.Base+"/orders", nil, "X-Registration-Token", token))); n != 0 {
			t.Errorf("%d orders", n)
		}
		if n := len(listItems(t, e.must(200, "GET", l.Base+"/admin/products", nil, bearer(l.Viewer)...))); n != 2 {
			t.Errorf("%d products, want the 2 made before", n)
		}
	})
	t.Run("an escaped backslash before u0000 is not a NUL and is kept", func(t *testing.T) {
		body := `{"name":"Doe \\u0000","email":"doe@example.com","players":[{"first_name":"Ann","last_name":"Doe"}]}`
		r := e.must(201, "POST", l.Base+"/admin/customers", body, bearer(l.Manager)...)
		if got := r.JSON()["customer"].(map[string]any)["name"]; got != `Doe \u0000` {
			t.Errorf("name %q", got)
		}
	})
}

func TestIdempotencyKeyMustBePrintableASCII(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	home := e.product(l, freeJersey("Home"))["id"]
	checkout := func(key string, number int) resp {
		_, token, _ := e.household(l, "Ann")
		return e.do("POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": home,
			"custom_data": jerseyData(number)}, "Idempotency-Key", key)
	}

	refused := []struct{ name, key string }{
		{"a key that is not UTF-8", "key-\xff\xfe"},
		{"a key in another script", "ключ"},
		{"a key with a space inside", "my key"},
		{"a key with a control character", "key\x01"},
		{"a key with DEL", "key\x7f"},
		{"a key of 256 characters", strings.Repeat("k", 256)},
	}
	for i, tc := range refused {
		t.Run(tc.name+" is a 400 on the header", func(t *testing.T) {
			r := checkout(tc.key, i+1)
			isoProblem(t, r, 400, "/problems/bad-request")
			if got := fmt.Sprint(r.Fields()); got != "[header:Idempotency-Key]" {
				t.Errorf("fields %s", got)
			}
		})
	}
	t.Run("a key of 255 printable characters is taken", func(t *testing.T) {
		key := strings.Repeat("!~Az09", 42) + "xyz"
		if r := checkout(key, 50); r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
}
