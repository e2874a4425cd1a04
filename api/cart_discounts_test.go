package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// previewOf previews body in l and returns the checkout, failing t unless
// it is a 200.
func (e *env) previewOf(l league, body map[string]any) map[string]any {
	e.t.Helper()
	return checkoutOf(e.must(200, "POST", l.Base+"/checkouts/preview", body))
}

func TestDiscountEdgeCases(t *testing.T) {
	e := newEnv(t)
	l := e.cartLeague()
	promo := func(body map[string]any) string {
		t.Helper()
		body["kind"], body["name"] = "promotion", "Promo "+body["code"].(string)
		return e.must(201, "POST", l.Base+"/admin/discounts", body, bearer(l.Manager)...).JSON()["id"].(string)
	}
	promo(map[string]any{"code": "ALLFREE", "percent_off": 100})
	promo(map[string]any{"code": "BIGCUT", "amount_off_cents": 15000})
	promo(map[string]any{"code": "LATER", "percent_off": 10, "starts_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	ended := promo(map[string]any{"code": "ENDED", "percent_off": 10})
	off := promo(map[string]any{"code": "PAUSED", "percent_off": 10})
	e.must(200, "PATCH", l.Base+"/admin/discounts/"+off, map[string]any{"active": false}, bearer(l.Manager)...)
	promo(map[string]any{"code": "KITONLY", "percent_off": 10, "applies_to": map[string]any{"product_ids": []string{l.Kit}}})
	promo(map[string]any{"code": "ONCE", "percent_off": 10, "per_household_limit": 1})
	su := asSuperuser(t)
	if _, err := su.conn.Exec(context.Background(), `UPDATE discounts SET ends_at = now() - interval '1 minute' WHERE id = $1`, ended); err != nil {
		t.Fatal(err)
	}

	_, token, ps := e.household(l.league, "Ann")
	reg := func(code string) map[string]any {
		return map[string]any{"registration_token": token, "promotion_code": code,
			"items": []any{cartItem(l.Registration, ps[0], kitData())}}
	}
	t.Run("100 % off makes the line 0 and the checkout free: paid at once, no Stripe", func(t *testing.T) {
		c := checkoutOf(e.must(201, "POST", l.Base+"/checkouts", reg("allfree")))
		if c["status"] != "complete" || c["amount_cents"] != 0.0 || c["discount_cents"] != 10000.0 || itemsOf(c)[0]["status"] != "paid" {
			t.Errorf("checkout %v", c)
		}
	})
	t.Run("an amount larger than the lines takes each down to 0, never below", func(t *testing.T) {
		_, tok, p2 := e.household(l.league, "Bea")
		c := e.previewOf(l.league, map[string]any{"registration_token": tok, "promotion_code": "BIGCUT", "items": []any{
			cartItem(l.Kit, p2[0], kitData()), cartItem(l.Registration, p2[0], kitData())}})
		items := itemsOf(c)
		if c["amount_cents"] != 0.0 || c["discount_cents"] != 12500.0 || items[0]["amount_cents"] != 0.0 || items[1]["amount_cents"] != 0.0 {
			t.Errorf("checkout %v", c)
		}
	})
	for _, bad := range []struct{ code, says string }{
		{"NOPE", "is not a promotion code"}, {"LATER", "is not valid before"}, {"ENDED", "expired at"},
		{"PAUSED", "is not active"}, {"KITONLY", "applies to none of the items"},
	} {
		t.Run("a code that "+bad.says+" is a 422 on /promotion_code saying so, and writes nothing", func(t *testing.T) {
			_, tok, p2 := e.household(l.league, "Cy")
			body := map[string]any{"registration_token": tok, "promotion_code": strings.ToLower(bad.code),
				"items": []any{cartItem(l.Registration, p2[0], kitData())}}
			for _, path := range []string{"/checkouts/preview", "/checkouts"} {
				r := e.do("POST", l.Base+path, body)
				if r.Status != 422 || fmt.Sprint(r.Fields()) != "[/promotion_code]" || !strings.Contains(string(r.Body), bad.says) {
					t.Errorf("%s: %d %s", path, r.Status, r.Body)
				}
			}
			if n := len(e.must(200, "GET", l.Base+"/orders", nil, "X-Registration-Token", tok).JSON()["data"].([]any)); n != 0 {
				t.Errorf("%d orders written", n)
			}
		})
	}
	t.Run("a household limit counts the household's live redemptions, and an ended checkout gives its one back", func(t *testing.T) {
		_, tok, p2 := e.household(l.league, "Dee", "Eve")
		first := checkoutOf(e.must(201, "POST", l.Base+"/checkouts", map[string]any{"registration_token": tok, "promotion_code": "ONCE",
			"items": []any{cartItem(l.Registration, p2[0], kitData())}}))
		second := map[string]any{"registration_token": tok, "promotion_code": "ONCE",
			"items": []any{cartItem(l.Registration, p2[1], kitData())}}
		r := e.do("POST", l.Base+"/checkouts", second)
		if r.Status != 422 || fmt.Sprint(r.Fields()) != "[/promotion_code]" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		e.deliver(l.Hook, cartSessionEvent("checkout.session.expired", first, l.ID, "unpaid", first["amount_cents"]), l.Keys.WebhookSecret)
		e.must(201, "POST", l.Base+"/checkouts", second)
	})
	t.Run("sibling counting starts from the household's earlier live orders", func(t *testing.T) {
		_, tok, p2 := e.household(l.league, "Fay", "Gus")
		e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": tok, "product_id": l.Registration,
			"player_id": p2[0], "custom_data": kitData()})
		c := e.previewOf(l.league, map[string]any{"registration_token": tok,
			"items": []any{cartItem(l.Registration, p2[1], kitData())}})
		if it := itemsOf(c)[0]; it["discount_cents"] != 1000.0 || c["discounts"].([]any)[0].(map[string]any)["kind"] != "sibling" {
			t.Errorf("Gus, the household's 2nd player, got %v off: %v", it["discount_cents"], c)
		}
	})
}

func TestHouseholdCheckoutRaces(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	jersey := e.product(l, freeJersey("Home jersey"))["id"].(string)
	t.Run("carts of 20 households racing for one number: one wins, the others get a 409 naming the item", func(t *testing.T) {
		bodies := make([]map[string]any, 20)
		for i := range bodies {
			_, tok, ps := e.household(l, "Racer")
			bodies[i] = map[string]any{"registration_token": tok, "items": []any{cartItem(jersey, ps[0], jerseyData(42))}}
		}
		var mu sync.Mutex
		var fields []string
		statuses := parallel(len(bodies), func(i int) int {
			r := e.do("POST", l.Base+"/checkouts", bodies[i])
			if r.Status == 409 {
				mu.Lock()
				fields = append(fields, r.Fields()...)
				mu.Unlock()
			}
			return r.Status
		})
		if statuses[201] != 1 || statuses[409] != 19 {
			t.Errorf("statuses %v", statuses)
		}
		for _, f := range fields {
			if f != "/items/0/custom_data/jersey_number" {
				t.Errorf("a refusal names %s", f)
			}
		}
	})
	t.Run("a double-clicked cart with one Idempotency-Key makes one checkout", func(t *testing.T) {
		_, tok, ps := e.household(l, "Click", "Clack")
		body := map[string]any{"registration_token": tok, "items": []any{cartItem(jersey, ps[0], jerseyData(50)),
			cartItem(jersey, ps[1], jerseyData(51))}}
		var mu sync.Mutex
		ids := map[string]bool{}
		statuses := parallel(10, func(int) int {
			r := e.do("POST", l.Base+"/checkouts", body, "Idempotency-Key", "double-click")
			if r.Status < 300 {
				mu.Lock()
				ids[checkoutOf(r)["id"].(string)] = true
				mu.Unlock()
			}
			return r.Status
		})
		if statuses[201] != 1 || statuses[201]+statuses[200]+statuses[409] != 10 || len(ids) != 1 {
			t.Errorf("statuses %v, %d checkouts", statuses, len(ids))
		}
		if n := len(e.must(200, "GET", l.Base+"/orders", nil, "X-Registration-Token", tok).JSON()["data"].([]any)); n != 2 {
			t.Errorf("%d orders, want 2", n)
		}
	})
}

func TestHouseholdLimitUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	var products []string
	for i := range 10 {
		products = append(products, e.product(l, map[string]any{"type": "jersey", "name": fmt.Sprintf("Camp %d", i),
			"price_cents": 3000, "config": kitConfig})["id"].(string))
	}
	e.must(201, "POST", l.Base+"/admin/discounts", map[string]any{"kind": "promotion", "name": "Once per family",
		"code": "ONCEFAM", "percent_off": 100, "per_household_limit": 1}, bearer(l.Manager)...)
	_, token, ps := e.household(l, "Ann")
	var mu sync.Mutex
	var fields []string
	statuses := parallel(len(products), func(i int) int {
		r := e.do("POST", l.Base+"/checkouts", map[string]any{"registration_token": token, "promotion_code": "ONCEFAM",
			"items": []any{cartItem(products[i], ps[0], kitData())}})
		if r.Status == 422 {
			mu.Lock()
			fields = append(fields, r.Fields()...)
			mu.Unlock()
		}
		return r.Status
	})
	t.Run("10 concurrent checkouts of one household on a code it may use once: exactly one uses it", func(t *testing.T) {
		if statuses[201] != 1 || statuses[422] != 9 {
			t.Errorf("statuses %v", statuses)
		}
		for _, f := range fields {
			if f != "/promotion_code" {
				t.Errorf("a refusal names %s", f)
			}
		}
	})
}
