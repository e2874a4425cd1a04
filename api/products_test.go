package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The documented shapes of the product resources.
var (
	productKeys = []string{"active", "category", "config", "created_at", "currency", "custom_fields", "description",
		"id", "name", "price_cents", "schema_version", "type", "updated_at"}
	publicProductKeys = []string{"category", "currency", "custom_fields", "description", "id", "name",
		"price_cents", "schema_version", "type"}
	productTypeKeys = []string{"config_schema", "default_category", "description", "name", "title"}
)

// objectKeys returns the keys of a JSON object, sorted.
func objectKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// listItems returns the "data" array of a list response as objects.
func listItems(t testing.TB, r resp) []map[string]any {
	t.Helper()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &page); err != nil {
		t.Fatalf("list body %s: %v", r.Body, err)
	}
	if page.Data == nil {
		t.Fatalf("list without a data array: %s", r.Body)
	}
	return page.Data
}

// itemIDs returns the "id" of each object, in order.
func itemIDs(items []map[string]any) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, fmt.Sprint(it["id"]))
	}
	return out
}

// withQuery appends encoded query parameters (name, value pairs) to path.
func withQuery(path string, params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Add(params[i], params[i+1])
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// enumOf returns the enum of a property of a product's custom_fields schema.
func enumOf(t testing.TB, product map[string]any, property string) []string {
	t.Helper()
	props, _ := product["custom_fields"].(map[string]any)["properties"].(map[string]any)
	prop, ok := props[property].(map[string]any)
	if !ok {
		t.Fatalf("custom_fields has no property %q: %v", property, product["custom_fields"])
	}
	var out []string
	for _, v := range prop["enum"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

func TestProductTypes(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	types := listItems(t, e.must(200, "GET", l.Base+"/admin/product-types", nil, bearer(l.Viewer)...))

	t.Run("the registered types are listed by name", func(t *testing.T) {
		if got := fieldValues(types, "name"); fmt.Sprint(got) != "[contract jersey]" {
			t.Errorf("types %v, want [contract jersey]", got)
		}
	})
	wantCategory := map[string]string{"jersey": "uniforms", "contract": "contracts"}
	for _, typ := range types {
		name := fmt.Sprint(typ["name"])
		t.Run("the "+name+" type has the documented shape and a JSON Schema config", func(t *testing.T) {
			if got := objectKeys(typ); !slices.Equal(got, productTypeKeys) {
				t.Errorf("keys %v, want %v", got, productTypeKeys)
			}
			if typ["default_category"] != wantCategory[name] {
				t.Errorf("default_category %v, want %s", typ["default_category"], wantCategory[name])
			}
			if s, _ := typ["title"].(string); s == "" {
				t.Error("empty title")
			}
			if s, _ := typ["description"].(string); s == "" {
				t.Error("empty description")
			}
			schema, ok := typ["config_schema"].(map[string]any)
			if !ok || schema["type"] != "object" || schema["properties"] == nil {
				t.Errorf("config_schema is not an object schema: %v", typ["config_schema"])
			}
		})
	}
}

// fieldValues returns one field of each object, in order.
func fieldValues(items []map[string]any, field string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, fmt.Sprint(it[field]))
	}
	return out
}

func TestCreateProduct(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()

	t.Run("a created jersey has the documented shape and the type's defaults", func(t *testing.T) {
		r := e.must(201, "POST", l.Base+"/admin/products", freeJersey("Home"), bearer(l.Manager)...)
		p := r.JSON()
		if got := objectKeys(p); !slices.Equal(got, productKeys) {
			t.Fatalf("keys %v, want %v", got, productKeys)
		}
		want := map[string]any{"type": "jersey", "category": "uniforms", "name": "Home", "description": "",
			"price_cents": 0.0, "currency": "usd", "schema_version": 1.0, "active": true}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("%s = %v, want %v", k, p[k], v)
			}
		}
		for _, k := range []string{"created_at", "updated_at"} {
			ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(p[k]))
			if err != nil || !strings.HasSuffix(fmt.Sprint(p[k]), "Z") {
				t.Errorf("%s = %v is not an RFC 3339 UTC time", k, p[k])
			} else if time.Since(ts) > time.Minute || time.Until(ts) > time.Minute {
				t.Errorf("%s = %v is not about now", k, ts)
			}
		}
		if got := enumOf(t, p, "top_size"); fmt.Sprint(got) != "[YS YM AM]" {
			t.Errorf("top_size enum %v, want the configured sizes", got)
		}
		if p["config"].(map[string]any)["number_scope"] != "blue-2026" {
			t.Errorf("config not stored as given: %v", p["config"])
		}
		got := e.must(200, "GET", l.Base+"/admin/products/"+p["id"].(string), nil, bearer(l.Viewer)...).JSON()
		if fmt.Sprint(got) != fmt.Sprint(p) {
			t.Errorf("GET %v\nwant the created %v", got, p)
		}
	})

	t.Run("a contract defaults to the contracts category", func(t *testing.T) {
		p := e.product(l, map[string]any{"type": "contract", "name": "Code of conduct", "price_cents": 0, "config": contractConfig})
		if p["category"] != "contracts" || p["schema_version"] != 1.0 {
			t.Errorf("category %v, schema_version %v", p["category"], p["schema_version"])
		}
	})

	t.Run("given category, currency, description and active are kept", func(t *testing.T) {
		p := e.product(l, map[string]any{"type": "jersey", "name": " Away ", "description": " Blue ", "category": "away-kit",
			"price_cents": 2500, "currency": "eur", "config": jerseyConfig, "active": false})
		if p["category"] != "away-kit" || p["currency"] != "eur" || p["active"] != false || p["price_cents"] != 2500.0 ||
			p["name"] != "Away" || p["description"] != "Blue" {
			t.Errorf("product %v", p)
		}
	})

	t.Run("currency defaults to the tenant's own", func(t *testing.T) {
		slug := fmt.Sprintf("cad-%08x", time.Now().UnixNano()&0xffffffff)
		e.must(201, "POST", "/v1/platform/tenants", map[string]any{"slug": slug, "name": "Canucks", "currency": "cad"},
			bearer(platformToken)...)
		key := e.must(201, "POST", "/v1/platform/tenants/"+slug+"/api-keys", map[string]any{"role": "manager", "name": "m"},
			bearer(platformToken)...).JSON()["key"].(string)
		p := e.must(201, "POST", "/v1/tenants/"+slug+"/admin/products", freeJersey("Maple"), bearer(key)...).JSON()
		if p["currency"] != "cad" {
			t.Errorf("currency %v, want the tenant's cad", p["currency"])
		}
	})

	priced := func(price any, config any) map[string]any {
		return map[string]any{"type": "jersey", "name": "J", "price_cents": price, "config": config}
	}
	withConfig := func(changes map[string]any) map[string]any {
		c := map[string]any{}
		for k, v := range jerseyConfig {
			c[k] = v
		}
		for k, v := range changes {
			c[k] = v
		}
		return c
	}
	cases := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"an unregistered type is refused on /type", map[string]any{"type": "hoodie", "name": "H", "price_cents": 0, "config": map[string]any{}},
			422, []string{"/type"}},
		{"a missing type is refused on /type", map[string]any{"name": "H", "price_cents": 0, "config": jerseyConfig}, 422, []string{"/type"}},
		{"a size that breaks the config schema's pattern is refused under /config",
			priced(0, withConfig(map[string]any{"top_sizes": []string{"YM", "xl"}})), 422, []string{"/config/top_sizes/1"}},
		{"an unknown config key is refused under /config", priced(0, withConfig(map[string]any{"colour": "blue"})), 422, []string{"/config/colour"}},
		{"a config of the wrong JSON type is refused on /config", priced(0, []string{"YM"}), 422, []string{"/config"}},
		{"a number range upside down is refused", priced(0, withConfig(map[string]any{"number_min": 50, "number_max": 10})),
			422, []string{"/config/number_max"}},
		{"a missing config is refused", map[string]any{"type": "jersey", "name": "J", "price_cents": 0}, 422, []string{"/config"}},
		{"a contract config without terms is refused under /config", map[string]any{"type": "contract", "name": "C", "price_cents": 0,
			"config": map[string]any{"season": "2026", "terms_version": "v1"}}, 422, nil},
		{"a missing price is refused", map[string]any{"type": "jersey", "name": "J", "config": jerseyConfig}, 422, []string{"/price_cents"}},
		{"a negative price is refused", priced(-1, jerseyConfig), 422, []string{"/price_cents"}},
		{"a price above the maximum is refused", priced(100_000_001, jerseyConfig), 422, []string{"/price_cents"}},
		{"an opt-out jersey with a price is refused on /price_cents", priced(500, optOutConfig), 422, []string{"/price_cents"}},
		{"an empty name is refused", map[string]any{"type": "jersey", "name": "  ", "price_cents": 0, "config": jerseyConfig}, 422, []string{"/name"}},
		{"a malformed category is refused", map[string]any{"type": "jersey", "name": "J", "category": "Away Kit", "price_cents": 0,
			"config": jerseyConfig}, 422, []string{"/category"}},
		{"an upper-case currency is refused", map[string]any{"type": "jersey", "name": "J", "currency": "USD", "price_cents": 0,
			"config": jerseyConfig}, 422, []string{"/currency"}},
		{"a tenant_id in the body is an unknown field", map[string]any{"type": "jersey", "name": "J", "price_cents": 0,
			"config": jerseyConfig, "tenant_id": l.ID}, 400, []string{"/tenant_id"}},
		{"a schema_version in the body is an unknown field", map[string]any{"type": "jersey", "name": "J", "price_cents": 0,
			"config": jerseyConfig, "schema_version": 7}, 400, []string{"/schema_version"}},
		{"a price given as a string is a 400", priced("10", jerseyConfig), 400, []string{"/price_cents"}},
		{"an empty body is a 400", "", 400, []string{"/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", l.Base+"/admin/products", tc.body, bearer(l.Manager)...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			r.wantProblem(t)
			if tc.fields != nil && !slices.Equal(r.Fields(), tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
			for _, f := range r.Fields() {
				if tc.fields == nil && !strings.HasPrefix(f, "/config") {
					t.Errorf("field %q is not under /config", f)
				}
			}
		})
	}

	t.Run("refused products are not stored", func(t *testing.T) {
		list := listItems(t, e.must(200, "GET", l.Base+"/admin/products", nil, bearer(l.Viewer)...))
		for _, p := range list {
			if p["name"] == "J" || p["name"] == "H" {
				t.Errorf("a refused product was stored: %v", p)
			}
		}
	})
}

func TestUpdateProduct(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Home"))
	id := p["id"].(string)
	path := l.Base + "/admin/products/" + id
	_, annToken, _ := e.household(l, "Ann")
	_, benToken, _ := e.household(l, "Ben")

	before := e.must(201, "POST", l.Base+"/checkout", map[string]any{
		"registration_token": annToken, "product_id": id, "custom_data": jerseyData(1)}).JSON()["order"].(map[string]any)

	reordered := map[string]any{"number_scope": "blue-2026", "number_required": true, "number_max": 99, "number_min": 0,
		"bottom_sizes": []string{"YS", "YM", "AM"}, "top_sizes": []string{"YS", "YM", "AM"}}
	withXL := map[string]any{"top_sizes": []string{"YS", "YM", "AM", "XL"}, "bottom_sizes": []string{"YS", "YM", "AM"},
		"number_min": 0, "number_max": 99, "number_required": true, "number_scope": "blue-2026"}

	steps := []struct {
		name    string
		patch   any
		version float64
		check   func(t *testing.T, got map[string]any)
	}{
		{"a name change keeps the schema version", map[string]any{"name": "Home 2026"}, 1, func(t *testing.T, got map[string]any) {
			if got["name"] != "Home 2026" {
				t.Errorf("name %v", got["name"])
			}
		}},
		{"an empty patch changes nothing", map[string]any{}, 1, nil},
		{"an identical config re-sent with its keys reordered keeps the schema version", map[string]any{"config": reordered}, 1,
			func(t *testing.T, got map[string]any) {
				if fmt.Sprint(got["custom_fields"]) != fmt.Sprint(p["custom_fields"]) {
					t.Errorf("custom_fields changed: %v", got["custom_fields"])
				}
			}},
		{"a config change increments the schema version by one and regenerates custom_fields",
			map[string]any{"config": withXL}, 2, func(t *testing.T, got map[string]any) {
				if enum := enumOf(t, got, "top_size"); !slices.Contains(enum, "XL") {
					t.Errorf("top_size enum %v lacks the new size XL", enum)
				}
			}},
		{"re-sending the changed config keeps the new version", map[string]any{"config": withXL, "description": "New"}, 2, nil},
		{"a price change keeps the schema version", map[string]any{"price_cents": 0}, 2, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got := e.must(200, "PATCH", path, st.patch, bearer(l.Manager)...).JSON()
			if got["schema_version"] != st.version {
				t.Errorf("schema_version %v, want %v", got["schema_version"], st.version)
			}
			if got["id"] != id || got["type"] != "jersey" {
				t.Errorf("product %v", got)
			}
			if st.check != nil {
				st.check(t, got)
			}
			stored := e.must(200, "GET", path, nil, bearer(l.Viewer)...).JSON()
			if fmt.Sprint(stored) != fmt.Sprint(got) {
				t.Errorf("stored %v\nwant %v", stored, got)
			}
		})
	}

	t.Run("each order records the schema version it was validated against", func(t *testing.T) {
		if before["schema_version"] != 1.0 {
			t.Errorf("order before the change has schema_version %v, want 1", before["schema_version"])
		}
		data := jerseyData(2)
		data["top_size"] = "xl"
		after := e.must(201, "POST", l.Base+"/checkout", map[string]any{
			"registration_token": benToken, "product_id": id, "custom_data": data}).JSON()["order"].(map[string]any)
		if after["schema_version"] != 2.0 {
			t.Errorf("order after the change has schema_version %v, want 2", after["schema_version"])
		}
		old := e.must(200, "GET", l.Base+"/admin/orders/"+before["id"].(string), nil, bearer(l.Viewer)...).JSON()
		if old["schema_version"] != 1.0 {
			t.Errorf("the earlier order now says schema_version %v, want 1", old["schema_version"])
		}
	})

	refusals := []struct {
		name   string
		path   string
		patch  any
		status int
		fields []string
	}{
		{"a bad config is refused under /config", path, map[string]any{"config": map[string]any{"top_sizes": []string{"x l"}}}, 422,
			[]string{"/config/top_sizes/0"}},
		{"a negative price is refused", path, map[string]any{"price_cents": -5}, 422, []string{"/price_cents"}},
		{"an empty name is refused", path, map[string]any{"name": ""}, 422, []string{"/name"}},
		{"the type cannot be patched", path, map[string]any{"type": "contract"}, 400, []string{"/type"}},
		{"the schema version cannot be patched", path, map[string]any{"schema_version": 9}, 400, []string{"/schema_version"}},
		{"an unknown product is 404", l.Base + "/admin/products/00000000-0000-0000-0000-000000000000", map[string]any{"name": "X"}, 404, nil},
		{"a malformed product id is 404", l.Base + "/admin/products/nope", map[string]any{"name": "X"}, 404, nil},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PATCH", tc.path, tc.patch, bearer(l.Manager)...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.fields != nil && !slices.Equal(r.Fields(), tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
		})
	}

	t.Run("a refused patch leaves the product as it was", func(t *testing.T) {
		got := e.must(200, "GET", path, nil, bearer(l.Viewer)...).JSON()
		if got["schema_version"] != 2.0 || got["name"] != "Home 2026" || got["price_cents"] != 0.0 {
			t.Errorf("product %v", got)
		}
	})

	t.Run("an opt-out jersey cannot be given a price", func(t *testing.T) {
		o := e.product(l, map[string]any{"type": "jersey", "name": "No jersey", "price_cents": 0, "config": optOutConfig})
		r := e.must(422, "PATCH", l.Base+"/admin/products/"+o["id"].(string), map[string]any{"price_cents": 100}, bearer(l.Manager)...)
		if !slices.Equal(r.Fields(), []string{"/price_cents"}) {
			t.Errorf("fields %v", r.Fields())
		}
	})
}

func TestListProducts(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	home := e.product(l, freeJersey("Home"))
	away := e.product(l, map[string]any{"type": "jersey", "name": "Away", "category": "away-kit", "price_cents": 0, "config": jerseyConfig})
	old := e.product(l, map[string]any{"type": "jersey", "name": "Old", "price_cents": 0, "config": jerseyConfig, "active": false})
	deal := e.product(l, map[string]any{"type": "contract", "name": "Contract", "price_cents": 0, "config": contractConfig})
	id := func(p map[string]any) string { return p["id"].(string) }

	// Newest first, as every listing.
	cases := []struct {
		name  string
		query []string
		want  []map[string]any
	}{
		{"active defaults to all", nil, []map[string]any{deal, old, away, home}},
		{"active=all lists every product", []string{"active", "all"}, []map[string]any{deal, old, away, home}},
		{"active=true lists the active products", []string{"active", "true"}, []map[string]any{deal, away, home}},
		{"active=false lists the inactive products", []string{"active", "false"}, []map[string]any{old}},
		{"category filters", []string{"category", "uniforms"}, []map[string]any{old, home}},
		{"type filters", []string{"type", "contract"}, []map[string]any{deal}},
		{"filters combine", []string{"type", "jersey", "active", "true", "category", "uniforms"}, []map[string]any{home}},
		{"a valid category with no products gives an empty list", []string{"category", "hats"}, []map[string]any{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			items := listItems(t, e.must(200, "GET", withQuery(l.Base+"/admin/products", tc.query...), nil, bearer(l.Viewer)...))
			want := []string{}
			for _, p := range tc.want {
				want = append(want, id(p))
			}
			if got := itemIDs(items); !slices.Equal(got, want) {
				t.Errorf("ids %v, want %v", got, want)
			}
			for _, it := range items {
				if got := objectKeys(it); !slices.Equal(got, productKeys) {
					t.Errorf("keys %v, want %v", got, productKeys)
				}
			}
		})
	}

	bad := []struct {
		name  string
		query []string
		field string
	}{
		{"a bad active value is a 400", []string{"active", "yes"}, "query:active"},
		{"a malformed category is a 400", []string{"category", "Bad_Cat"}, "query:category"},
		{"an unregistered type is a 400", []string{"type", "hoodie"}, "query:type"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := e.must(400, "GET", withQuery(l.Base+"/admin/products", tc.query...), nil, bearer(l.Viewer)...)
			if !slices.Equal(r.Fields(), []string{tc.field}) {
				t.Errorf("fields %v, want [%s]", r.Fields(), tc.field)
			}
			r.wantProblem(t)
		})
	}
}

func TestPublicProducts(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	home := e.product(l, freeJersey("Home"))
	deal := e.product(l, map[string]any{"type": "contract", "name": "Contract", "price_cents": 0, "config": contractConfig})
	old := e.product(l, map[string]any{"type": "jersey", "name": "Old", "price_cents": 0, "config": jerseyConfig, "active": false})
	publicIDs := func(query ...string) []string {
		return itemIDs(listItems(t, e.must(200, "GET", withQuery(l.Base+"/products", query...), nil)))
	}

	cases := []struct {
		name  string
		query []string
		want  []string
	}{
		{"only active products are listed, without auth", nil, []string{deal["id"].(string), home["id"].(string)}},
		{"the type filter applies", []string{"type", "jersey"}, []string{home["id"].(string)}},
		{"the category filter applies", []string{"category", "contracts"}, []string{deal["id"].(string)}},
		{"a category with no products gives an empty list", []string{"category", "hats"}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := publicIDs(tc.query...); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("buyers see the public shape, without config", func(t *testing.T) {
		for _, it := range listItems(t, e.must(200, "GET", l.Base+"/products", nil)) {
			if got := objectKeys(it); !slices.Equal(got, publicProductKeys) {
				t.Errorf("keys %v, want %v", got, publicProductKeys)
			}
		}
		one := e.must(200, "GET", l.Base+"/products/"+home["id"].(string), nil).JSON()
		if got := objectKeys(one); !slices.Equal(got, publicProductKeys) {
			t.Errorf("keys %v, want %v", got, publicProductKeys)
		}
		if fmt.Sprint(one["custom_fields"]) != fmt.Sprint(home["custom_fields"]) || one["schema_version"] != 1.0 {
			t.Errorf("public product %v", one)
		}
	})

	notFound := []struct {
		name string
		id   string
	}{
		{"an inactive product is 404", old["id"].(string)},
		{"an unknown product is 404", "00000000-0000-0000-0000-000000000000"},
		{"a malformed id is 404", "nope"},
	}
	for _, tc := range notFound {
		t.Run(tc.name, func(t *testing.T) {
			r := e.must(404, "GET", l.Base+"/products/"+tc.id, nil)
			r.wantProblem(t)
		})
	}

	t.Run("bad filters are 400s", func(t *testing.T) {
		for q, field := range map[string]string{"category=Bad_Cat": "query:category", "type=hoodie": "query:type"} {
			r := e.must(400, "GET", l.Base+"/products?"+q, nil)
			if !slices.Equal(r.Fields(), []string{field}) {
				t.Errorf("%s: fields %v", q, r.Fields())
			}
		}
	})

	t.Run("a deactivated product leaves the public list at once", func(t *testing.T) {
		publicIDs() // warm the cache
		e.must(200, "PATCH", l.Base+"/admin/products/"+home["id"].(string), map[string]any{"active": false}, bearer(l.Manager)...)
		if got := publicIDs(); slices.Contains(got, home["id"].(string)) {
			t.Errorf("public list %v still has the deactivated product", got)
		}
		if got := publicIDs("type", "jersey"); len(got) != 0 {
			t.Errorf("filtered public list %v still has the deactivated product", got)
		}
		e.must(404, "GET", l.Base+"/products/"+home["id"].(string), nil)
	})

	t.Run("a reactivated or new product appears at once", func(t *testing.T) {
		e.must(200, "PATCH", l.Base+"/admin/products/"+old["id"].(string), map[string]any{"active": true}, bearer(l.Manager)...)
		fresh := e.product(l, freeJersey("Fresh"))
		got := publicIDs()
		if !slices.Contains(got, old["id"].(string)) || !slices.Contains(got, fresh["id"].(string)) {
			t.Errorf("public list %v lacks the reactivated or new product", got)
		}
		e.must(200, "GET", l.Base+"/products/"+old["id"].(string), nil)
	})

	t.Run("a renamed product shows its new name at once", func(t *testing.T) {
		e.must(200, "PATCH", l.Base+"/admin/products/"+deal["id"].(string), map[string]any{"name": "Contract 2026"}, bearer(l.Manager)...)
		one := e.must(200, "GET", l.Base+"/products/"+deal["id"].(string), nil).JSON()
		if one["name"] != "Contract 2026" {
			t.Errorf("name %v", one["name"])
		}
	})
}
