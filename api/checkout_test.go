package api_test

import (
	"fmt"
	"sync"
	"testing"
)

func TestCheckoutOfFreeProduct(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Free jersey"))
	_, token, players := e.household(l, "Ann")

	t.Run("a free product is paid at once with no checkout url and an audit event", func(t *testing.T) {
		r := e.must(201, "POST", l.Base+"/checkout", map[string]any{
			"registration_token": token, "product_id": p["id"], "custom_data": jerseyData(7)}).JSON()
		o := r["order"].(map[string]any)
		if o["status"] != "paid" || r["checkout_url"] != nil || o["paid_at"] == nil {
			t.Fatalf("order = %v", r)
		}
		if o["player_id"] != players[0] {
			t.Errorf("player_id = %v, want the only player %s", o["player_id"], players[0])
		}
		cd := o["custom_data"].(map[string]any)
		if cd["top_size"] != "YM" || cd["bottom_size"] != "YM" {
			t.Errorf("custom_data was not normalized: %v", cd)
		}
		detail := e.must(200, "GET", l.Base+"/admin/orders/"+o["id"].(string), nil, bearer(l.Viewer)...).JSON()
		events := detail["events"].([]any)
		if len(events) != 1 || events[0].(map[string]any)["to"] != "paid" {
			t.Errorf("events = %v", events)
		}
	})

	t.Run("a second order of the same player and product is refused with the existing order id", func(t *testing.T) {
		r := e.must(409, "POST", l.Base+"/checkout", map[string]any{
			"registration_token": token, "product_id": p["id"], "custom_data": jerseyData(8)})
		if r.JSON()["order_id"] == nil {
			t.Errorf("409 without order_id: %s", r.Body)
		}
	})
}

func TestCheckoutValidation(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Jersey"))
	inactive := e.product(l, map[string]any{"type": "jersey", "name": "Old", "price_cents": 0, "config": jerseyConfig, "active": false})
	_, token, players := e.household(l, "Ann", "Ben")
	_, otherToken, otherPlayers := e.household(l, "Cid")

	cases := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"a missing token is 401", map[string]any{"product_id": p["id"]}, 401, nil},
		{"an unknown token with a valid body is 401", map[string]any{"registration_token": "rt_nope", "product_id": p["id"],
			"custom_data": jerseyData(3)}, 401, nil},
		// custom_data is judged against the product's public schema before
		// any database work, so a bad one is refused before the token is
		// looked up.
		{"an unknown token with custom_data the schema refuses is 422", map[string]any{"registration_token": "rt_nope",
			"product_id": p["id"]}, 422, []string{"/custom_data/bottom_size", "/custom_data/jersey_number", "/custom_data/top_size"}},
		{"an unknown product is 404", map[string]any{"registration_token": token, "product_id": "00000000-0000-0000-0000-000000000000", "player_id": players[0]}, 404, nil},
		{"an inactive product is 404", map[string]any{"registration_token": token, "product_id": inactive["id"], "player_id": players[0]}, 404, nil},
		{"a player of another household is 404", map[string]any{"registration_token": token, "product_id": p["id"], "player_id": otherPlayers[0], "custom_data": jerseyData(1)}, 404, nil},
		{"a household with several players must name one", map[string]any{"registration_token": token, "product_id": p["id"], "custom_data": jerseyData(1)}, 422, []string{"/player_id"}},
		{"every failing custom_data field is listed", map[string]any{"registration_token": otherToken, "product_id": p["id"],
			"custom_data": map[string]any{"jersey_number": 100, "top_size": "XXL", "extra": true}},
			422, []string{"/custom_data/bottom_size", "/custom_data/extra", "/custom_data/jersey_number", "/custom_data/top_size"}},
		{"custom_data must be an object", map[string]any{"registration_token": otherToken, "product_id": p["id"], "custom_data": []int{1}}, 422, []string{"/custom_data"}},
		{"a redirect off the allowed origins is refused", map[string]any{"registration_token": otherToken, "product_id": p["id"],
			"custom_data": jerseyData(2), "success_url": "https://evil.example/ok"}, 422, []string{"/success_url"}},
		{"an unknown body field is 400", map[string]any{"registration_token": otherToken, "product_id": p["id"], "status": "paid"}, 400, []string{"/status"}},
		{"a wrongly typed field is 400", map[string]any{"registration_token": otherToken, "product_id": 5}, 400, []string{"/product_id"}},
		{"malformed JSON is 400", `{"registration_token":`, 400, []string{"/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", l.Base+"/checkout", tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			r.wantProblem(t)
			if tc.fields != nil && fmt.Sprint(r.Fields()) != fmt.Sprint(tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
		})
	}
	t.Run("a refused checkout leaves no order behind", func(t *testing.T) {
		page := e.must(200, "GET", l.Base+"/admin/orders", nil, bearer(l.Viewer)...).JSON()
		if n := len(page["data"].([]any)); n != 0 {
			t.Errorf("%d orders after refused checkouts", n)
		}
	})
}

func TestConcurrentCheckouts(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Jersey"))
	away := e.product(l, freeJersey("Away jersey"))
	_, token, players := e.household(l, "Ann")

	t.Run("twenty concurrent double clicks make exactly one order", func(t *testing.T) {
		codes := parallel(20, func(int) int {
			return e.do("POST", l.Base+"/checkout", map[string]any{
				"registration_token": token, "product_id": p["id"], "custom_data": jerseyData(10)}).Status
		})
		if codes[201] != 1 || codes[409] != 19 {
			t.Errorf("status counts %v, want one 201 and nineteen 409", codes)
		}
	})

	t.Run("a player keeps their own number on another jersey of the same scope", func(t *testing.T) {
		e.must(201, "POST", l.Base+"/checkout", map[string]any{
			"registration_token": token, "product_id": away["id"], "player_id": players[0], "custom_data": jerseyData(10)})
	})

	t.Run("twenty players racing for one number: one wins, the rest get 409 on the number", func(t *testing.T) {
		tokens := make([]string, 20)
		for i := range tokens {
			_, tokens[i], _ = e.household(l, fmt.Sprintf("Kid%d", i))
		}
		var mu sync.Mutex
		var fields []string
		codes := parallel(20, func(i int) int {
			r := e.do("POST", l.Base+"/checkout", map[string]any{
				"registration_token": tokens[i], "product_id": p["id"], "custom_data": jerseyData(23)})
			if r.Status == 409 {
				mu.Lock()
				fields = append(fields, r.Fields()...)
				mu.Unlock()
			}
			return r.Status
		})
		if codes[201] != 1 || codes[409] != 19 {
			t.Fatalf("status counts %v, want one 201 and nineteen 409", codes)
		}
		for _, f := range fields {
			if f != "/custom_data/jersey_number" {
				t.Errorf("409 field %q", f)
			}
		}
	})
}

// parallel runs fn n times at once and counts the statuses it returns.
func parallel(n int, fn func(i int) int) map[int]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			code := fn(i)
			mu.Lock()
			counts[code]++
			mu.Unlock()
		}(i)
	}
	close(start)
	wg.Wait()
	return counts
}
