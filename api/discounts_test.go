package api_test

import (
	"slices"
	"testing"
)

func TestDiscountsAdmin(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	other := e.newLeague()
	theirs := e.product(other, freeJersey("Their jersey"))["id"]
	ours := e.product(l, freeJersey("Our jersey"))["id"]
	D := l.Base + "/admin/discounts"

	refused := []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"an unknown kind", map[string]any{"kind": "bogo", "name": "X"}, []string{"/kind"}},
		{"a sibling discount without tiers", map[string]any{"kind": "sibling", "name": "S"}, []string{"/tiers"}},
		{"a tier with both a percentage and an amount, and a repeated nth", map[string]any{"kind": "sibling", "name": "S",
			"tiers": []map[string]any{{"nth": 2, "percent_off": 10}, {"nth": 2, "percent_off": 10, "amount_off_cents": 100}}},
			[]string{"/tiers/1/amount_off_cents", "/tiers/1/nth"}},
		{"a sibling discount with a code", map[string]any{"kind": "sibling", "name": "S", "code": "SIB1",
			"tiers": []map[string]any{{"nth": 2, "percent_off": 10}}}, []string{"/code"}},
		{"a promotion without a code or a reduction", map[string]any{"kind": "promotion", "name": "P"},
			[]string{"/code", "/percent_off"}},
		{"a malformed code, 101 % and a limit of 0", map[string]any{"kind": "promotion", "name": "P", "code": "a!",
			"percent_off": 101, "per_household_limit": 0}, []string{"/code", "/per_household_limit", "/percent_off"}},
		{"an end before the start", map[string]any{"kind": "promotion", "name": "P", "code": "DATES",
			"percent_off": 5, "starts_at": "2030-02-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}, []string{"/ends_at"}},
		{"another league's product", map[string]any{"kind": "promotion", "name": "P", "code": "THEIRS", "percent_off": 5,
			"applies_to": map[string]any{"product_ids": []any{ours, theirs}, "types": []string{"hat"}}},
			[]string{"/applies_to/product_ids/1", "/applies_to/types/0"}},
	}
	for _, c := range refused {
		t.Run(c.name+" is a 422 on its fields", func(t *testing.T) {
			r := e.do("POST", D, c.body, bearer(l.Manager)...)
			if r.Status != 422 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			got := r.Fields()
			slices.Sort(got)
			if !slices.Equal(got, c.fields) {
				t.Errorf("fields %v, want %v", got, c.fields)
			}
		})
	}
	promo := e.must(201, "POST", D, map[string]any{"kind": "promotion", "name": "Spring", "code": "spring-10",
		"percent_off": 10, "max_redemptions": 5, "applies_to": map[string]any{"product_ids": []any{ours}}}, bearer(l.Manager)...).JSON()
	t.Run("a code is stored upper-case and taken case-insensitively", func(t *testing.T) {
		if promo["code"] != "SPRING-10" || promo["redemptions"] != float64(0) || promo["active"] != true || promo["tiers"] != nil {
			t.Errorf("created %v", promo)
		}
		r := e.do("POST", D, map[string]any{"kind": "promotion", "name": "Again", "code": "Spring-10", "percent_off": 5}, bearer(l.Manager)...)
		if r.Status != 409 || len(r.Fields()) != 1 || r.Fields()[0] != "/code" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
		e.must(201, "POST", other.Base+"/admin/discounts", map[string]any{"kind": "promotion", "name": "Theirs",
			"code": "SPRING-10", "percent_off": 5}, bearer(other.Manager)...) // another league may use it
	})
	id := promo["id"].(string)
	t.Run("a patch deactivates it and moves its bound; a bound of 0 is refused", func(t *testing.T) {
		got := e.must(200, "PATCH", D+"/"+id, map[string]any{"active": false, "max_redemptions": 7}, bearer(l.Manager)...).JSON()
		if got["active"] != false || got["max_redemptions"] != float64(7) || got["name"] != "Spring" {
			t.Errorf("patched %v", got)
		}
		if r := e.do("PATCH", D+"/"+id, map[string]any{"max_redemptions": 0}, bearer(l.Manager)...); r.Status != 422 {
			t.Errorf("%d %s", r.Status, r.Body)
		}
		if r := e.do("PATCH", D+"/"+id, map[string]any{"code": "NEW"}, bearer(l.Manager)...); r.Status != 400 {
			t.Errorf("a code change is %d, want 400 (not a field of the patch)", r.Status)
		}
	})
	t.Run("a viewer reads, another league does not", func(t *testing.T) {
		list := e.must(200, "GET", D, nil, bearer(l.Viewer)...).JSON()["data"].([]any)
		if len(list) != 1 {
			t.Errorf("%d discounts", len(list))
		}
		if r := e.do("GET", other.Base+"/admin/discounts/"+id, nil, bearer(other.Viewer)...); r.Status != 404 {
			t.Errorf("another league's discount is %d", r.Status)
		}
		if r := e.do("POST", D, map[string]any{"kind": "sibling", "name": "S"}, bearer(l.Viewer)...); r.Status != 403 {
			t.Errorf("a viewer's create is %d", r.Status)
		}
	})
}
