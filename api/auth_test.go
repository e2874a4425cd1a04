package api_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/platform/config"
)

// newEnvWithPlatformToken is newEnv with another platform token ("": the
// platform API is disabled).
func newEnvWithPlatformToken(t *testing.T, token string) *env {
	t.Helper()
	return &env{t: t, app: buildApp(t, func(c *config.Config, _ *app.Options) { c.PlatformToken = token })}
}

// authRank orders the roles as the contract does: each may do what the
// roles below it may.
var authRank = map[string]int{"viewer": 1, "manager": 2, "admin": 3}

// authFieldNames returns the sorted keys of a JSON object.
func authFieldNames(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// authSlug is a fresh, valid tenant slug.
func authSlug() string { return fmt.Sprintf("auth-%08x", rand.Uint32()) }

// authShapedKey is a key of the documented shape for tenantID with a secret
// no one was given.
func authShapedKey(tenantID uuid.UUID) string {
	return "ck_" + strings.ReplaceAll(tenantID.String(), "-", "") + "_" + strings.Repeat("A", 43)
}

func TestAuthRoles(t *testing.T) {
	e := newEnv(t)
	w := e.isoTenant()

	for _, r := range isoAdminRoutes {
		for _, k := range []struct{ role, key string }{{"viewer", w.Viewer}, {"manager", w.Manager}, {"admin", w.Admin}} {
			if authRank[k.role] >= authRank[r.need] {
				t.Run(fmt.Sprintf("a %s may %s", k.role, r), func(t *testing.T) {
					res := e.do(r.method, r.url(w.Base, r.id(w)), r.payload(w), bearer(k.key)...)
					if res.Status != r.ok {
						t.Errorf("status %d, want %d: %s", res.Status, r.ok, res.Body)
					}
				})
				continue
			}
			t.Run(fmt.Sprintf("a %s may not %s", k.role, r), func(t *testing.T) {
				res := e.do(r.method, r.url(w.Base, r.id(w)), r.payload(w), bearer(k.key)...)
				isoProblem(t, res, 403, "/problems/forbidden")
			})
		}
	}
}

func TestAuthMissingOrInvalidCredentials(t *testing.T) {
	e := newEnv(t)
	w := e.isoTenant()
	tenantID := uuid.MustParse(w.ID)

	creds := []struct {
		name    string
		headers []string
	}{
		{"no Authorization header", nil},
		{"an empty bearer", []string{"Authorization", "Bearer "}},
		{"a valid key under another scheme", []string{"Authorization", "Basic " + w.Admin}},
		{"a valid key with no scheme", []string{"Authorization", w.Admin}},
		{"a garbage bearer", bearer("garbage")},
		{"a valid key with a character added", bearer(w.Admin + "x")},
		{"a valid key with a character removed", bearer(w.Admin[:len(w.Admin)-1])},
		{"a well-shaped key of this league that was never issued", bearer(authShapedKey(tenantID))},
		{"a well-shaped key of a league that does not exist", bearer(authShapedKey(uuid.New()))},
		{"the platform token", bearer(platformToken)},
		{"a household's registration token", bearer(w.Token)},
	}
	want := map[string]any{"type": "/problems/unauthorized", "title": "Unauthorized", "status": float64(401),
		"detail": "missing or invalid credentials"}
	for _, r := range isoAdminRoutes {
		for _, c := range creds {
			t.Run(fmt.Sprintf("%s with %s is unauthorized", r, c.name), func(t *testing.T) {
				res := e.do(r.method, r.url(w.Base, r.id(w)), r.payload(w), c.headers...)
				isoProblem(t, res, 401, "/problems/unauthorized")
				if got := res.JSON(); !reflect.DeepEqual(got, want) {
					t.Errorf("problem %v, want %v", got, want)
				}
				if h := res.Header.Get("WWW-Authenticate"); h != "Bearer" {
					t.Errorf("WWW-Authenticate %q, want Bearer", h)
				}
			})
		}
	}
	t.Run("the bearer scheme is case-insensitive", func(t *testing.T) {
		e.must(200, "GET", w.Base+"/admin/products", nil, "Authorization", "bearer "+w.Viewer)
	})
}

func TestAuthTenantAPIKeys(t *testing.T) {
	e := newEnv(t)
	w := e.isoTenant()
	keys := w.Base + "/admin/api-keys"

	created := e.must(201, "POST", keys, map[string]any{"role": "manager", "name": " deploy bot "}, bearer(w.Admin)...).JSON()
	key, _ := created["key"].(string)
	id, _ := created["id"].(string)

	t.Run("a new key is shown once with exactly the documented fields", func(t *testing.T) {
		if got, want := authFieldNames(created), []string{"created_at", "id", "key", "name", "role"}; !slices.Equal(got, want) {
			t.Errorf("fields %v, want %v", got, want)
		}
		if created["role"] != "manager" || created["name"] != "deploy bot" || !strings.HasPrefix(key, "ck_") {
			t.Errorf("key %v", created)
		}
		if _, err := uuid.Parse(id); err != nil {
			t.Errorf("id %q: %v", id, err)
		}
		authRecent(t, created["created_at"])
	})

	t.Run("the new key works with its role", func(t *testing.T) {
		e.must(201, "POST", w.Base+"/admin/products", isoOptOut("By the bot"), bearer(key)...)
		isoProblem(t, e.do("GET", keys, nil, bearer(key)...), 403, "/problems/forbidden")
	})

	t.Run("the listing shows the key without its secret or hash", func(t *testing.T) {
		r := e.must(200, "GET", keys, nil, bearer(w.Admin)...)
		sum := sha256.Sum256([]byte(key))
		_, random, _ := strings.Cut(strings.TrimPrefix(key, "ck_"), "_") // after the tenant's hex id
		for _, secret := range []string{key, random, hex.EncodeToString(sum[:]),
			base64.StdEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:])} {
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("listing shows %q: %s", secret, r.Body)
			}
		}
		data, _ := r.JSON()["data"].([]any)
		var found bool
		for _, d := range data {
			k := d.(map[string]any)
			if got, want := authFieldNames(k), []string{"created_at", "id", "name", "role"}; !slices.Equal(got, want) {
				t.Errorf("listed key fields %v, want %v", got, want)
			}
			if k["id"] == id {
				found = true
				if k["role"] != "manager" || k["name"] != "deploy bot" || k["created_at"] != created["created_at"] {
					t.Errorf("listed key %v, created %v", k, created)
				}
			}
		}
		if !found {
			t.Errorf("listing lacks key %s: %s", id, r.Body)
		}
	})

	invalid := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"an unknown role is refused", map[string]any{"role": "owner", "name": "x"}, 422, []string{"/role"}},
		{"a role is required", map[string]any{"name": "x"}, 422, []string{"/role"}},
		{"roles are lowercase", map[string]any{"role": "ADMIN", "name": "x"}, 422, []string{"/role"}},
		{"a name over 200 characters is refused", map[string]any{"role": "viewer", "name": strings.Repeat("n", 201)}, 422, []string{"/name"}},
		{"the caller cannot choose the key", map[string]any{"role": "viewer", "name": "x", "key": "ck_mine"}, 400, []string{"/key"}},
		{"the caller cannot choose the tenant", map[string]any{"role": "viewer", "name": "x", "tenant_id": uuid.NewString()}, 400, []string{"/tenant_id"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", keys, tc.body, bearer(w.Admin)...)
			isoProblem(t, r, tc.status, "")
			if fmt.Sprint(r.Fields()) != fmt.Sprint(tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
		})
	}

	t.Run("deleting the key is 204 with no body", func(t *testing.T) {
		r := e.must(204, "DELETE", keys+"/"+id, nil, bearer(w.Admin)...)
		if len(r.Body) != 0 {
			t.Errorf("body %q", r.Body)
		}
	})
	t.Run("a deleted key is unauthorized afterwards", func(t *testing.T) {
		isoProblem(t, e.do("GET", w.Base+"/admin/products", nil, bearer(key)...), 401, "/problems/unauthorized")
	})
	t.Run("a deleted key is gone from the listing", func(t *testing.T) {
		if ids := isoDataIDs(e.must(200, "GET", keys, nil, bearer(w.Admin)...)); slices.Contains(ids, id) {
			t.Errorf("listing %v still holds %s", ids, id)
		}
	})
	t.Run("deleting the key again is not found", func(t *testing.T) {
		isoProblem(t, e.do("DELETE", keys+"/"+id, nil, bearer(w.Admin)...), 404, "/problems/not-found")
	})
	t.Run("an admin who deletes their own key is unauthorized afterwards", func(t *testing.T) {
		own := e.must(201, "POST", keys, map[string]any{"role": "admin", "name": "self"}, bearer(w.Admin)...).JSON()
		e.must(204, "DELETE", keys+"/"+own["id"].(string), nil, bearer(own["key"].(string))...)
		isoProblem(t, e.do("GET", keys, nil, bearer(own["key"].(string))...), 401, "/problems/unauthorized")
	})
}

// authRecent fails t unless v is an RFC 3339 UTC timestamp of the last minute.
func authRecent(t *testing.T, v any) {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !strings.HasSuffix(s, "Z") || time.Since(at) > time.Minute || time.Until(at) > time.Minute {
		t.Errorf("created_at %v is not a recent RFC 3339 UTC time (%v)", v, err)
	}
}

// authPlatformRoutes is every route of the platform API; {tenant} is an
// existing league's slug.
func authPlatformRoutes(slug string) []struct {
	method, path string
	body         any
} {
	return []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/platform/tenants", map[string]any{"slug": authSlug(), "name": "Sneaky"}},
		{"GET", "/v1/platform/tenants", nil},
		{"PATCH", "/v1/platform/tenants/" + slug, map[string]any{"name": "Sneaky"}},
		{"POST", "/v1/platform/tenants/" + slug + "/api-keys", map[string]any{"role": "admin", "name": "sneaky"}},
	}
}

func TestAuthPlatformCredentials(t *testing.T) {
	e := newEnv(t)
	w := e.newLeague()
	before := e.must(200, "GET", "/v1/platform/tenants", nil, bearer(platformToken)...).Body

	creds := []struct {
		name    string
		headers []string
	}{
		{"no Authorization header", nil},
		{"an empty bearer", []string{"Authorization", "Bearer "}},
		{"a wrong token", bearer("wrong-platform-token")},
		{"the platform token with a character added", bearer(platformToken + "x")},
		{"the platform token under another scheme", []string{"Authorization", "Basic " + platformToken}},
		{"a tenant admin key", bearer(w.Admin)},
	}
	for _, r := range authPlatformRoutes(w.Slug) {
		for _, c := range creds {
			t.Run(fmt.Sprintf("%s %s with %s is unauthorized", r.method, r.path, c.name), func(t *testing.T) {
				res := e.do(r.method, r.path, r.body, c.headers...)
				isoProblem(t, res, 401, "/problems/unauthorized")
				if h := res.Header.Get("WWW-Authenticate"); h != "Bearer" {
					t.Errorf("WWW-Authenticate %q, want Bearer", h)
				}
			})
		}
	}
	t.Run("the refused requests created and changed no tenant", func(t *testing.T) {
		if after := e.must(200, "GET", "/v1/platform/tenants", nil, bearer(platformToken)...).Body; string(after) != string(before) {
			t.Errorf("tenants changed:\nbefore %s\nafter  %s", before, after)
		}
	})
	t.Run("the refused requests created no API key", func(t *testing.T) {
		if ids := isoDataIDs(e.must(200, "GET", w.Base+"/admin/api-keys", nil, bearer(w.Admin)...)); len(ids) != 3 {
			t.Errorf("%d keys, want the 3 the league was made with", len(ids))
		}
	})
}

func TestAuthPlatformDisabled(t *testing.T) {
	w := newEnv(t).newLeague()
	e := newEnvWithPlatformToken(t, "")

	for _, r := range authPlatformRoutes(w.Slug) {
		for _, c := range []struct {
			name    string
			headers []string
		}{
			{"no credentials", nil},
			{"an empty bearer", []string{"Authorization", "Bearer "}},
			{"the token of an enabled platform", bearer(platformToken)},
		} {
			t.Run(fmt.Sprintf("%s %s with %s is not found when no platform token is set", r.method, r.path, c.name), func(t *testing.T) {
				isoProblem(t, e.do(r.method, r.path, r.body, c.headers...), 404, "/problems/not-found")
			})
		}
	}
	t.Run("the tenant API still answers when the platform API is disabled", func(t *testing.T) {
		e.must(200, "GET", w.Base+"/admin/products", nil, bearer(w.Viewer)...)
	})
}

func TestPlatformTenants(t *testing.T) {
	e := newEnv(t)
	platform := bearer(platformToken)
	fields := []string{"allowed_redirect_origins", "created_at", "currency", "id", "name", "slug"}

	slug := authSlug()
	created := e.must(201, "POST", "/v1/platform/tenants", map[string]any{"slug": slug, "name": "  Blue League "}, platform...).JSON()

	t.Run("a new tenant has exactly the documented fields", func(t *testing.T) {
		if got := authFieldNames(created); !slices.Equal(got, fields) {
			t.Errorf("fields %v, want %v", got, fields)
		}
		if _, err := uuid.Parse(fmt.Sprint(created["id"])); err != nil {
			t.Errorf("id %v: %v", created["id"], err)
		}
		authRecent(t, created["created_at"])
	})
	t.Run("a new tenant defaults to usd, no redirect origins and a trimmed name", func(t *testing.T) {
		want := map[string]any{"slug": slug, "name": "Blue League", "currency": "usd", "allowed_redirect_origins": []any{}}
		for k, v := range want {
			if !reflect.DeepEqual(created[k], v) {
				t.Errorf("%s = %#v, want %#v", k, created[k], v)
			}
		}
	})
	t.Run("a new tenant keeps the currency and origins it is given", func(t *testing.T) {
		got := e.must(201, "POST", "/v1/platform/tenants", map[string]any{"slug": authSlug(), "name": "Euro",
			"currency": "eur", "allowed_redirect_origins": []string{"https://euro.example", "http://localhost:3000"}}, platform...).JSON()
		if got["currency"] != "eur" || !reflect.DeepEqual(got["allowed_redirect_origins"],
			[]any{"https://euro.example", "http://localhost:3000"}) {
			t.Errorf("tenant %v", got)
		}
	})
	t.Run("a taken slug is a conflict on /slug", func(t *testing.T) {
		r := e.do("POST", "/v1/platform/tenants", map[string]any{"slug": slug, "name": "Copy"}, platform...)
		isoProblem(t, r, 409, "/problems/conflict")
		if fmt.Sprint(r.Fields()) != "[/slug]" {
			t.Errorf("fields %v, want [/slug]", r.Fields())
		}
	})
	t.Run("the listing holds the new tenant as it was created", func(t *testing.T) {
		data, _ := e.must(200, "GET", "/v1/platform/tenants", nil, platform...).JSON()["data"].([]any)
		var found bool
		for _, d := range data {
			if d.(map[string]any)["slug"] == slug {
				found = true
				if !reflect.DeepEqual(d, any(created)) {
					t.Errorf("listed %v, created %v", d, created)
				}
			}
		}
		if !found {
			t.Errorf("listing of %d tenants lacks %s", len(data), slug)
		}
	})

	invalid := []struct {
		name   string
		body   map[string]any
		status int
		fields []string
	}{
		{"an uppercase slug", authTenantBody("slug", "Blue-League"), 422, []string{"/slug"}},
		{"a two-character slug", authTenantBody("slug", "ab"), 422, []string{"/slug"}},
		{"a 41-character slug", authTenantBody("slug", strings.Repeat("a", 41)), 422, []string{"/slug"}},
		{"a slug starting with a hyphen", authTenantBody("slug", "-blue"), 422, []string{"/slug"}},
		{"a slug ending with a hyphen", authTenantBody("slug", "blue-"), 422, []string{"/slug"}},
		{"a slug with an underscore", authTenantBody("slug", "blue_league"), 422, []string{"/slug"}},
		{"no slug", authTenantBody("slug", nil), 422, []string{"/slug"}},
		{"a blank name", authTenantBody("name", "   "), 422, []string{"/name"}},
		{"no name", authTenantBody("name", nil), 422, []string{"/name"}},
		{"an uppercase currency", authTenantBody("currency", "USD"), 422, []string{"/currency"}},
		{"a two-letter currency", authTenantBody("currency", "us"), 422, []string{"/currency"}},
		{"an empty currency", authTenantBody("currency", ""), 422, []string{"/currency"}},
		{"an origin with a path", authTenantBody("allowed_redirect_origins", []string{"https://a.example/ok"}),
			422, []string{"/allowed_redirect_origins/0"}},
		{"an origin with a query", authTenantBody("allowed_redirect_origins", []string{"https://a.example?x=1"}),
			422, []string{"/allowed_redirect_origins/0"}},
		{"an origin with credentials", authTenantBody("allowed_redirect_origins", []string{"https://u:p@a.example"}),
			422, []string{"/allowed_redirect_origins/0"}},
		{"a bare host as the second origin", authTenantBody("allowed_redirect_origins", []string{"https://a.example", "a.example"}),
			422, []string{"/allowed_redirect_origins/1"}},
		{"a javascript origin", authTenantBody("allowed_redirect_origins", []string{"javascript:alert(1)"}),
			422, []string{"/allowed_redirect_origins/0"}},
		{"everything wrong at once", map[string]any{"slug": "A", "name": "", "currency": "dollars",
			"allowed_redirect_origins": []string{"ftp://a.example"}},
			422, []string{"/slug", "/name", "/currency", "/allowed_redirect_origins/0"}},
		{"a caller-chosen id", authTenantBody("id", uuid.NewString()), 400, []string{"/id"}},
		{"origins that are not a list", authTenantBody("allowed_redirect_origins", "https://a.example"),
			400, []string{"/allowed_redirect_origins"}},
	}
	for _, tc := range invalid {
		t.Run(fmt.Sprintf("creating a tenant with %s is refused and creates nothing", tc.name), func(t *testing.T) {
			r := e.do("POST", "/v1/platform/tenants", tc.body, platform...)
			isoProblem(t, r, tc.status, "")
			if fmt.Sprint(r.Fields()) != fmt.Sprint(tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
			if s, _ := tc.body["slug"].(string); s != "" {
				isoProblem(t, e.do("GET", "/v1/tenants/"+s+"/products", nil), 404, "/problems/not-found")
			}
		})
	}
}

// authTenantBody is a valid new-tenant body (fresh slug, a name) with field
// set to value, or removed when value is nil.
func authTenantBody(field string, value any) map[string]any {
	body := map[string]any{"slug": authSlug(), "name": "League"}
	if value == nil {
		delete(body, field)
	} else {
		body[field] = value
	}
	return body
}

func TestPlatformTenantUpdates(t *testing.T) {
	e := newEnv(t)
	platform := bearer(platformToken)
	w := e.newLeague()
	p := e.product(w, isoOptOut("Opt-out"))
	original := authTenant(e, w.Slug)

	cases := []struct {
		name  string
		patch map[string]any
		want  map[string]any // the fields the patch changes
	}{
		{"renaming a tenant changes only its name", map[string]any{"name": " Red League "},
			map[string]any{"name": "Red League"}},
		{"replacing the origins changes only the origins",
			map[string]any{"allowed_redirect_origins": []string{"https://red.example"}},
			map[string]any{"allowed_redirect_origins": []any{"https://red.example"}}},
		{"an empty patch changes nothing", map[string]any{}, map[string]any{}},
		{"both fields change together", map[string]any{"name": "Green League", "allowed_redirect_origins": []string{}},
			map[string]any{"name": "Green League", "allowed_redirect_origins": []any{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := authTenant(e, w.Slug)
			want := maps.Clone(before)
			maps.Copy(want, tc.want)
			got := e.must(200, "PATCH", "/v1/platform/tenants/"+w.Slug, tc.patch, platform...).JSON()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("patched %v, want %v", got, want)
			}
			if listed := authTenant(e, w.Slug); !reflect.DeepEqual(listed, want) {
				t.Errorf("listed %v, want %v", listed, want)
			}
		})
	}
	if got := authTenant(e, w.Slug); got["id"] != original["id"] || got["created_at"] != original["created_at"] {
		t.Errorf("updates changed identity: %v, was %v", got, original)
	}

	t.Run("new origins govern checkout redirects at once", func(t *testing.T) {
		e.must(200, "PATCH", "/v1/platform/tenants/"+w.Slug,
			map[string]any{"allowed_redirect_origins": []string{"https://new.example"}}, platform...)
		_, token, _ := e.household(w, "Ori")
		r := e.do("POST", w.Base+"/checkout", map[string]any{"registration_token": token, "product_id": p["id"],
			"success_url": "https://league.example/ok"})
		isoProblem(t, r, 422, "/problems/validation")
		e.must(201, "POST", w.Base+"/checkout", map[string]any{"registration_token": token, "product_id": p["id"],
			"success_url": "https://new.example/ok"})
	})

	invalid := []struct {
		name   string
		slug   string
		patch  any
		status int
		fields []string
	}{
		{"an unknown tenant is not found", "no-such-league", map[string]any{"name": "X"}, 404, nil},
		{"a blank name is refused", w.Slug, map[string]any{"name": " "}, 422, []string{"/name"}},
		{"a bad origin is refused", w.Slug, map[string]any{"allowed_redirect_origins": []string{"https://ok.example", "nope"}},
			422, []string{"/allowed_redirect_origins/1"}},
		{"the slug cannot be changed", w.Slug, map[string]any{"slug": "other-slug"}, 400, []string{"/slug"}},
		{"the currency cannot be changed", w.Slug, map[string]any{"currency": "eur"}, 400, []string{"/currency"}},
		{"an empty body is refused", w.Slug, "", 400, []string{"/"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			before := authTenant(e, w.Slug)
			r := e.do("PATCH", "/v1/platform/tenants/"+tc.slug, tc.patch, platform...)
			isoProblem(t, r, tc.status, "")
			if fmt.Sprint(r.Fields()) != fmt.Sprint(tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
			if after := authTenant(e, w.Slug); !reflect.DeepEqual(after, before) {
				t.Errorf("refused patch changed the tenant: %v, was %v", after, before)
			}
		})
	}
}

// authTenant returns the platform listing's entry for slug.
func authTenant(e *env, slug string) map[string]any {
	e.t.Helper()
	data, _ := e.must(200, "GET", "/v1/platform/tenants", nil, bearer(platformToken)...).JSON()["data"].([]any)
	for _, d := range data {
		if m := d.(map[string]any); m["slug"] == slug {
			return m
		}
	}
	e.t.Fatalf("no tenant %s in the listing", slug)
	return nil
}

func TestPlatformAPIKeys(t *testing.T) {
	e := newEnv(t)
	platform := bearer(platformToken)
	w := e.newLeague()
	keys := "/v1/platform/tenants/" + w.Slug + "/api-keys"

	for _, role := range []string{"viewer", "manager", "admin"} {
		t.Run(fmt.Sprintf("a %s key has exactly the documented fields and works with its role", role), func(t *testing.T) {
			k := e.must(201, "POST", keys, map[string]any{"role": role, "name": role + " key"}, platform...).JSON()
			if got, want := authFieldNames(k), []string{"created_at", "id", "key", "name", "role"}; !slices.Equal(got, want) {
				t.Errorf("fields %v, want %v", got, want)
			}
			if k["role"] != role || k["name"] != role+" key" {
				t.Errorf("key %v", k)
			}
			authRecent(t, k["created_at"])
			key := k["key"].(string)
			for _, r := range isoAdminRoutes {
				if r.method != "GET" || r.target != nil || r.stub {
					continue
				}
				want := 403
				if authRank[role] >= authRank[r.need] {
					want = r.ok
				}
				if got := e.do("GET", r.url(w.Base, ""), nil, bearer(key)...).Status; got != want {
					t.Errorf("GET %s: status %d, want %d", r.path, got, want)
				}
			}
		})
	}

	invalid := []struct {
		name   string
		path   string
		body   any
		status int
		fields []string
	}{
		{"an unknown role is refused", keys, map[string]any{"role": "superuser", "name": "x"}, 422, []string{"/role"}},
		{"a missing role is refused", keys, map[string]any{"name": "x"}, 422, []string{"/role"}},
		{"a role of the wrong type is refused", keys, map[string]any{"role": 3, "name": "x"}, 400, []string{"/role"}},
		{"a key of an unknown tenant is not found", "/v1/platform/tenants/no-such-league/api-keys",
			map[string]any{"role": "admin", "name": "x"}, 404, nil},
		{"a caller-chosen key is refused", keys, map[string]any{"role": "admin", "name": "x", "key": "ck_mine"}, 400, []string{"/key"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", tc.path, tc.body, platform...)
			isoProblem(t, r, tc.status, "")
			if fmt.Sprint(r.Fields()) != fmt.Sprint(tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
		})
	}
	t.Run("the league holds exactly the keys made for it", func(t *testing.T) {
		if ids := isoDataIDs(e.must(200, "GET", w.Base+"/admin/api-keys", nil, bearer(w.Admin)...)); len(ids) != 6 {
			t.Errorf("%d keys %v, want 6", len(ids), ids)
		}
	})
}
