package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// cartItem is one item of a household checkout's body.
func cartItem(product, player string, data map[string]any) map[string]any {
	it := map[string]any{"product_id": product, "player_id": player}
	if data != nil {
		it["custom_data"] = data
	}
	return it
}

// checkoutOf is the checkout of a POST /checkouts answer.
func checkoutOf(r resp) map[string]any {
	c, _ := r.JSON()["checkout"].(map[string]any)
	return c
}

func itemsOf(c map[string]any) []map[string]any {
	var out []map[string]any
	for _, it := range c["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestFreeHouseholdCheckout(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	jersey := e.product(l, freeJersey("Home jersey"))["id"].(string)
	optOut := e.product(l, map[string]any{"type": "jersey", "name": "No jersey", "price_cents": 0, "config": optOutConfig})["id"].(string)
	_, token, players := e.household(l, "Sam", "Alex")

	r := e.must(201, "POST", l.Base+"/checkouts", map[string]any{"registration_token": token, "items": []any{
		cartItem(jersey, players[0], jerseyData(7)), cartItem(jersey, players[1], jerseyData(8)),
		cartItem(optOut, players[0], nil)}})
	c := checkoutOf(r)
	t.Run("a free checkout is complete at once, its orders paid, in the request's order", func(t *testing.T) {
		if c["status"] != "complete" || c["amount_cents"] != float64(0) || c["checkout_url"] != nil {
			t.Fatalf("checkout %v", c)
		}
		items := itemsOf(c)
		if len(items) != 3 || items[0]["player_id"] != players[0] || items[1]["player_id"] != players[1] ||
			items[2]["product_id"] != optOut {
			t.Fatalf("items %v", items)
		}
		for _, it := range items {
			if it["status"] != "paid" || it["checkout_id"] != c["id"] || it["price_cents"] != float64(0) {
				t.Errorf("item %v", it)
			}
		}
	})
	t.Run("its checkout.completed event carries the checkout as the API shows it", func(t *testing.T) {
		var raw []byte
		asSuperuser(t).scan(`SELECT data FROM events WHERE object_id = $1 AND type = 'checkout.completed'`,
			[]any{c["id"]}, &raw)
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "status", "customer_id", "subtotal_cents", "discount_cents", "amount_cents", "currency"} {
			if got[k] != c[k] {
				t.Errorf("event %s %v, API %v", k, got[k], c[k])
			}
		}
		gi, ci := got["items"].([]any), itemsOf(c)
		if len(gi) != len(ci) {
			t.Fatalf("event has %d items, API %d", len(gi), len(ci))
		}
		for i := range ci {
			for _, k := range []string{"id", "status", "player_id", "checkout_id", "price_cents", "custom_data"} {
				if fmt.Sprint(gi[i].(map[string]any)[k]) != fmt.Sprint(ci[i][k]) {
					t.Errorf("item %d %s: event %v, API %v", i, k, gi[i].(map[string]any)[k], ci[i][k])
				}
			}
		}
	})
	t.Run("the buyer reads it with the household's token, staff with a viewer key", func(t *testing.T) {
		got := checkoutOf(e.must(200, "GET", l.Base+"/checkouts/"+c["id"].(string), nil, "X-Registration-Token", token))
		if got["id"] != c["id"] || len(itemsOf(got)) != 3 {
			t.Errorf("buyer read %v", got)
		}
		got = checkoutOf(e.must(200, "GET", l.Base+"/admin/checkouts/"+c["id"].(string), nil, bearer(l.Viewer)...))
		if got["id"] != c["id"] {
			t.Errorf("admin read %v", got)
		}
		_, otherToken, _ := e.household(l, "Other")
		e.must(404, "GET", l.Base+"/checkouts/"+c["id"].(string), nil, "X-Registration-Token", otherToken)
		e.must(401, "GET", l.Base+"/checkouts/"+c["id"].(string), nil)
	})
	t.Run("the orders list and the CSV take checkout_id", func(t *testing.T) {
		page := e.must(200, "GET", l.Base+"/admin/orders?checkout_id="+c["id"].(string), nil, bearer(l.Viewer)...).JSON()
		if n := len(page["data"].([]any)); n != 3 {
			t.Errorf("%d orders of the checkout, want 3", n)
		}
		if x := e.export(l, "checkout_id="+c["id"].(string)); len(x.ids()) != 3 {
			t.Errorf("CSV has %d orders of the checkout, want 3", len(x.ids()))
		}
		e.must(400, "GET", l.Base+"/admin/orders?checkout_id=nope", nil, bearer(l.Viewer)...)
	})
	t.Run("a bad field of item 2 writes nothing and every failing field is named by its index", func(t *testing.T) {
		_, tok, ps := e.household(l, "Kim", "Lee")
		before := e.must(200, "GET", l.Base+"/orders", nil, "X-Registration-Token", tok).JSON()["data"].([]any)
		r := e.do("POST", l.Base+"/checkouts", map[string]any{"registration_token": tok, "items": []any{
			cartItem(jersey, ps[0], jerseyData(20)),
			cartItem(jersey, ps[1], map[string]any{"jersey_number": 150, "top_size": "XXL", "bottom_size": "YM"}),
			map[string]any{"product_id": jersey}}})
		got := r.Fields()
		slices.Sort(got)
		want := []string{"/items/1/custom_data/jersey_number", "/items/1/custom_data/top_size",
			"/items/2/custom_data/bottom_size", "/items/2/custom_data/jersey_number", "/items/2/custom_data/top_size"}
		if r.Status != 422 || !slices.Equal(got, want) {
			t.Fatalf("%d %v, want 422 %v: %s", r.Status, got, want, r.Body)
		}
		after := e.must(200, "GET", l.Base+"/orders", nil, "X-Registration-Token", tok).JSON()["data"].([]any)
		if len(after) != len(before) {
			t.Errorf("the refused checkout wrote %d orders", len(after)-len(before))
		}
		// The number of item 0 was not taken either.
		e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": tok, "product_id": jersey,
			"player_id": ps[0], "custom_data": jerseyData(20)})
	})
	t.Run("refusals name the item", func(t *testing.T) {
		_, tok, ps := e.household(l, "Nia", "Oli")
		cases := []struct {
			name   string
			items  []any
			status int
			fields []string
		}{
			{"no items", []any{}, 422, []string{"/items"}},
			{"21 items", func() []any {
				var out []any
				for range 21 {
					out = append(out, cartItem(optOut, ps[0], nil))
				}
				return out
			}(), 422, []string{"/items"}},
			{"a player left out of a two-player household, and one not of it", []any{map[string]any{"product_id": optOut},
				cartItem(optOut, players[0], nil)}, 422, []string{"/items/0/player_id", "/items/1/player_id"}},
			{"another league's product and a malformed one", []any{cartItem(e.product(e.newLeague(), freeJersey("Theirs"))["id"].(string), ps[0], nil),
				cartItem("nope", ps[0], nil)}, 422, []string{"/items/0/product_id", "/items/1/product_id"}},
			{"the same product twice for one player", []any{cartItem(optOut, ps[0], nil), cartItem(optOut, ps[0], nil)},
				422, []string{"/items/1"}},
			{"two players of the cart asking for one number", []any{cartItem(jersey, ps[0], jerseyData(30)),
				cartItem(jersey, ps[1], jerseyData(30))}, 409, []string{"/items/1/custom_data/jersey_number"}},
			{"a number another household's order holds", []any{cartItem(jersey, ps[0], jerseyData(7))},
				409, []string{"/items/0/custom_data/jersey_number"}},
			{"a waitlist entry", []any{map[string]any{"product_id": optOut, "player_id": ps[0],
				"waitlist_entry_id": "01a23232-0000-7000-8000-000000000000"}}, 422, []string{"/items/0/waitlist_entry_id"}},
		}
		for _, c := range cases {
			r := e.do("POST", l.Base+"/checkouts", map[string]any{"registration_token": tok, "items": c.items})
			got := r.Fields()
			slices.Sort(got)
			if r.Status != c.status || !slices.Equal(got, c.fields) {
				t.Errorf("%s: %d %v, want %d %v: %s", c.name, r.Status, got, c.status, c.fields, r.Body)
			}
		}
	})
	t.Run("an item whose player already has a live order of it is a duplicate-order naming the orders", func(t *testing.T) {
		r := e.do("POST", l.Base+"/checkouts", map[string]any{"registration_token": token, "items": []any{
			cartItem(optOut, players[1], nil), cartItem(optOut, players[0], nil)}})
		p := r.JSON()
		if r.Status != 409 || p["type"] != "/problems/duplicate-order" || fmt.Sprint(r.Fields()) != "[/items/1/product_id]" ||
			len(p["order_ids"].([]any)) != 1 || p["order_ids"].([]any)[0] != itemsOf(c)[2]["id"] {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
}

func TestMemberNamesAreCaseSensitive(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	optOut := e.product(l, map[string]any{"type": "jersey", "name": "No jersey", "price_cents": 0, "config": optOutConfig})["id"].(string)
	_, token, ps := e.household(l, "Sam")
	cases := []struct {
		name, path string
		body       map[string]any
		field      string
	}{
		{"a checkout's Registration_Token", "/checkout", map[string]any{"Registration_Token": token, "product_id": optOut},
			"/Registration_Token"},
		{"an item's Product_ID", "/checkouts", map[string]any{"registration_token": token,
			"items": []any{map[string]any{"Product_ID": optOut, "player_id": ps[0]}}}, "/items/0/Product_ID"},
		{"a tier's Percent_Off (a field of an embedded struct)", "/admin/discounts", map[string]any{"kind": "sibling",
			"name": "S", "tiers": []any{map[string]any{"nth": 2, "Percent_Off": 10}}}, "/tiers/0/Percent_Off"},
	}
	for _, c := range cases {
		t.Run(c.name+" is an unknown field, a 400 naming it", func(t *testing.T) {
			r := e.do("POST", l.Base+c.path, c.body, bearer(l.Manager)...)
			if r.Status != 400 || fmt.Sprint(r.Fields()) != "["+c.field+"]" {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		})
	}
	t.Run("free-form members keep any names: custom_data, and a tier's own fields", func(t *testing.T) {
		e.must(201, "POST", l.Base+"/admin/discounts", map[string]any{"kind": "sibling", "name": "S",
			"tiers": []any{map[string]any{"nth": 2, "percent_off": 10}}}, bearer(l.Manager)...)
		jersey := e.product(l, map[string]any{"type": "contract", "name": "Contract", "price_cents": 0, "config": contractConfig})["id"].(string)
		r := e.do("POST", l.Base+"/checkouts", map[string]any{"registration_token": token, "items": []any{
			map[string]any{"product_id": jersey, "player_id": ps[0], "custom_data": map[string]any{"Accept_Terms": true}}}})
		if r.Status == 400 {
			t.Errorf("custom_data's names were judged: %s", r.Body)
		}
	})
}
