package api_test

import (
	"testing"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testtypes/camp"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/producttypes"
)

// TestAThirdTypeEndToEnd registers camp, a type written from
// docs/adding-a-product-type.md alone, and sells it through the API: nothing
// in the platform knows it.
func TestAThirdTypeEndToEnd(t *testing.T) {
	e := &env{t: t, app: buildApp(t, func(_ *config.Config, o *app.Options) { o.Types = []producttypes.Type{camp.New()} })}
	l := e.newLeague()
	types := e.must(200, "GET", l.Base+"/admin/product-types", nil, bearer(l.Viewer)...).JSON()
	found := false
	for _, ty := range types["data"].([]any) {
		found = found || ty.(map[string]any)["name"] == "camp"
	}
	if !found {
		t.Fatalf("product types %v lack camp", types)
	}
	t.Run("a config the type refuses is a 422 on its field", func(t *testing.T) {
		r := e.do("POST", l.Base+"/admin/products", map[string]any{"type": "camp", "name": "Camp", "price_cents": 9000,
			"config": map[string]any{"sessions": []string{"july"}, "min_age": 12, "max_age": 8}}, bearer(l.Manager)...)
		if r.Status != 422 || len(r.Fields()) != 1 || r.Fields()[0] != "/config/max_age" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	p := e.product(l, map[string]any{"type": "camp", "name": "Summer camp", "price_cents": 0,
		"config": map[string]any{"sessions": []string{"july-am", "aug"}, "tshirt_sizes": []string{"S", "M"}}})
	_, token, players := e.household(l, "Ann")
	t.Run("bad buyer data is a 422 naming the nested field", func(t *testing.T) {
		r := e.do("POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": p["id"],
			"player_id": players[0], "custom_data": map[string]any{"session": "july-am", "age": 9, "tshirt_size": "M",
				"emergency_contact": map[string]any{"name": "Pat"}}})
		if r.Status != 422 || len(r.Fields()) != 1 || r.Fields()[0] != "/custom_data/emergency_contact/phone" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("a checkout is normalized, validated and paid like any other type's", func(t *testing.T) {
		o := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": p["id"],
			"player_id": players[0], "custom_data": map[string]any{"session": " AUG ", "age": 9, "tshirt_size": "m",
				"emergency_contact": map[string]any{"name": "Pat Doe", "phone": "+1 555 0100"}}}).JSON()["order"].(map[string]any)
		data := o["custom_data"].(map[string]any)
		if o["status"] != "paid" || o["product_type"] != "camp" || data["session"] != "aug" || data["tshirt_size"] != "M" {
			t.Errorf("order %v", o)
		}
	})
}
