package api_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	other := e.newLeague()
	home := e.product(l, freeJersey("Home"))["id"].(string)
	otherHome := e.product(other, freeJersey("Home"))["id"].(string)
	_, token, players := e.household(l, "Ann", "Ben", "Cid", "Dee")
	_, otherToken, _ := e.household(other, "Zed")
	body := func(player string, number int) map[string]any {
		return map[string]any{"registration_token": token, "product_id": home, "player_id": player, "custom_data": jerseyData(number)}
	}
	checkout := func(l league, key string, b any) resp {
		return e.do("POST", l.Base+"/checkout", b, "Idempotency-Key", key)
	}
	orderOf := func(r resp) map[string]any {
		o, _ := r.JSON()["order"].(map[string]any)
		return o
	}

	first := checkout(l, "key-1", body(players[0], 10))
	if first.Status != 201 {
		t.Fatalf("first request: %d %s", first.Status, first.Body)
	}
	firstID := orderOf(first)["id"]

	cases := []struct {
		name   string
		league league
		key    string
		body   any
		status int
		sameAs any // the order id the response must carry, if any
		fields []string
	}{
		{"the same key and body replay the order with a 200", l, "key-1", body(players[0], 10), 200, firstID, nil},
		{"a second replay is the same again", l, "key-1", body(players[0], 10), 200, firstID, nil},
		{"the same key with another body is a 422", l, "key-1", body(players[1], 11), 422, nil, []string{"header:Idempotency-Key"}},
		{"the same key with another token is another body", other, "key-1",
			map[string]any{"registration_token": otherToken, "product_id": otherHome, "custom_data": jerseyData(10)}, 201, nil, nil},
		{"an overlong key is a 400", l, strings.Repeat("k", 256), body(players[1], 11), 400, nil, []string{"header:Idempotency-Key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := checkout(tc.league, tc.key, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.sameAs != nil {
				if id := orderOf(r)["id"]; id != tc.sameAs {
					t.Errorf("order %v, want the first request's %v", id, tc.sameAs)
				}
				if fmt.Sprint(orderOf(r)) != fmt.Sprint(orderOf(first)) || r.JSON()["checkout_url"] != first.JSON()["checkout_url"] {
					t.Errorf("replay %s\ndiffers from %s", r.Body, first.Body)
				}
			}
			if tc.fields != nil && !slices.Equal(r.Fields(), tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
		})
	}

	t.Run("the same key on another tenant is independent of this one", func(t *testing.T) {
		if n := len(e.allOrders(other)); n != 1 {
			t.Errorf("%d orders on the other tenant, want 1", n)
		}
		if o := e.allOrders(l); len(o) != 1 || o[0]["id"] != firstID {
			t.Errorf("orders %v, want only the first", itemIDs(o))
		}
	})

	t.Run("ten concurrent requests with one key make exactly one order", func(t *testing.T) {
		var mu sync.Mutex
		ids := map[any]bool{}
		codes := parallel(10, func(int) int {
			r := checkout(l, "key-race", body(players[2], 30))
			if r.Status == 200 || r.Status == 201 {
				mu.Lock()
				ids[orderOf(r)["id"]] = true
				mu.Unlock()
			}
			return r.Status
		})
		if codes[201] != 1 || codes[200]+codes[409] != 9 {
			t.Errorf("status counts %v, want one 201 and nine 200 or 409", codes)
		}
		if len(ids) != 1 {
			t.Errorf("responses name %d orders, want 1", len(ids))
		}
		if n := len(e.allOrders(l, "player_id", players[2])); n != 1 {
			t.Errorf("%d orders for the player, want 1", n)
		}
	})

	t.Run("a failed request does not burn its key", func(t *testing.T) {
		bad := body(players[3], 40)
		bad["custom_data"] = map[string]any{"jersey_number": 400}
		if r := checkout(l, "key-fix", bad); r.Status != 422 {
			t.Fatalf("bad request: %d %s", r.Status, r.Body)
		}
		if r := checkout(l, "key-fix", bad); r.Status != 422 || slices.Contains(r.Fields(), "header:Idempotency-Key") {
			t.Fatalf("the bad request again: %d %s", r.Status, r.Body)
		}
		fixed := checkout(l, "key-fix", body(players[3], 40))
		if fixed.Status != 201 {
			t.Fatalf("corrected request: %d %s", fixed.Status, fixed.Body)
		}
		again := checkout(l, "key-fix", body(players[3], 40))
		if again.Status != 200 || orderOf(again)["id"] != orderOf(fixed)["id"] {
			t.Errorf("replay of the corrected request: %d %s", again.Status, again.Body)
		}
	})

	t.Run("a refused duplicate does not burn its key either", func(t *testing.T) {
		dup := checkout(l, "key-dup", body(players[0], 10))
		if dup.Status != 409 {
			t.Fatalf("duplicate: %d %s", dup.Status, dup.Body)
		}
		if r := checkout(l, "key-dup", body(players[0], 10)); r.Status != 409 {
			t.Errorf("duplicate again: %d %s", r.Status, r.Body)
		}
	})
}

func TestIdempotencyKeyUnderConcurrentFailures(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	home := e.product(l, freeJersey("Home"))["id"].(string)
	_, token, _ := e.household(l, "Ann")
	bad := map[string]any{"registration_token": token, "product_id": home, "custom_data": map[string]any{"jersey_number": 400}}

	for round := 0; round < 10; round++ {
		t.Run(fmt.Sprintf("round %d: concurrent failing requests with one key get 422 or 409, never a 5xx", round), func(t *testing.T) {
			key := fmt.Sprintf("key-fail-%d", round)
			codes := parallel(10, func(int) int {
				return e.do("POST", l.Base+"/checkout", bad, "Idempotency-Key", key).Status
			})
			if codes[422]+codes[409] != 10 {
				t.Errorf("status counts %v, want only 422 and 409", codes)
			}
		})
	}
}

func TestIdempotencyKeyIgnoresKeyOrderOfCustomData(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Jersey"))
	_, token, _ := e.household(l, "Ann")
	first := `{"registration_token":"` + token + `","product_id":"` + p["id"].(string) +
		`","custom_data":{"jersey_number":4,"top_size":"YM","bottom_size":"YM"}}`
	again := `{"product_id":"` + p["id"].(string) + `", "registration_token":"` + token +
		`","custom_data":{"bottom_size":"YM","top_size":"YM","jersey_number":4}}`
	a := e.must(201, "POST", l.Base+"/checkout", first, "Idempotency-Key", "reordered")
	b := e.must(200, "POST", l.Base+"/checkout", again, "Idempotency-Key", "reordered")
	if a.JSON()["order"].(map[string]any)["id"] != b.JSON()["order"].(map[string]any)["id"] {
		t.Errorf("the replay returned another order: %s vs %s", a.Body, b.Body)
	}
}

func TestIdempotencyReplayNeedsAWorkingToken(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Jersey"))
	id, token, _ := e.household(l, "Ann")
	body := map[string]any{"registration_token": token, "product_id": p["id"], "custom_data": jerseyData(8)}
	e.must(201, "POST", l.Base+"/checkout", body, "Idempotency-Key", "rotated")
	e.must(201, "POST", l.Base+"/admin/customers/"+id+"/registration-token", nil, bearer(l.Manager)...)
	e.must(401, "POST", l.Base+"/checkout", body, "Idempotency-Key", "rotated")
}
