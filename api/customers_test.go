package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	customerKeys = []string{"created_at", "email", "id", "name", "players"}
	playerKeys   = []string{"external_ref", "first_name", "id", "last_name"}
)

// householdWithEmail creates a customer with its own email (the legacy
// importer finds households by email) and returns its id, token and players.
func (e *env) householdWithEmail(l league, email string, firstNames ...string) (id, token string, players []string) {
	e.t.Helper()
	var ps []map[string]any
	for _, n := range firstNames {
		ps = append(ps, map[string]any{"first_name": n, "last_name": "Doe"})
	}
	r := e.must(201, "POST", l.Base+"/admin/customers",
		map[string]any{"name": "Family " + email, "email": email, "players": ps}, bearer(l.Manager)...).JSON()
	c := r["customer"].(map[string]any)
	for _, p := range c["players"].([]any) {
		players = append(players, p.(map[string]any)["id"].(string))
	}
	return c["id"].(string), r["registration_token"].(string), players
}

func TestCreateCustomer(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	ann := map[string]any{"first_name": "Ann", "last_name": "Doe"}

	t.Run("a created household has the documented shape and a registration token", func(t *testing.T) {
		r := e.must(201, "POST", l.Base+"/admin/customers", map[string]any{"name": " Doe family ", "email": "doe@example.com",
			"players": []any{ann, map[string]any{"first_name": " Ben ", "last_name": "Doe", "external_ref": "reg-42"}}},
			bearer(l.Manager)...).JSON()
		if got := objectKeys(r); fmt.Sprint(got) != "[customer registration_token]" {
			t.Fatalf("keys %v", got)
		}
		if tok, _ := r["registration_token"].(string); len(tok) < 20 {
			t.Errorf("registration_token %q is too short to be a secret", tok)
		}
		c := r["customer"].(map[string]any)
		if got := objectKeys(c); !slices.Equal(got, customerKeys) {
			t.Errorf("customer keys %v, want %v", got, customerKeys)
		}
		if c["name"] != "Doe family" || c["email"] != "doe@example.com" {
			t.Errorf("customer %v", c)
		}
		if ts := fmt.Sprint(c["created_at"]); !strings.HasSuffix(ts, "Z") {
			t.Errorf("created_at %q is not UTC", ts)
		} else if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Errorf("created_at: %v", err)
		}
		players := c["players"].([]any)
		if len(players) != 2 {
			t.Fatalf("players %v", players)
		}
		wants := []map[string]any{{"first_name": "Ann", "last_name": "Doe", "external_ref": nil},
			{"first_name": "Ben", "last_name": "Doe", "external_ref": "reg-42"}}
		for i, want := range wants {
			p := players[i].(map[string]any)
			if got := objectKeys(p); !slices.Equal(got, playerKeys) {
				t.Errorf("player keys %v, want %v", got, playerKeys)
			}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("player %d %s = %v, want %v", i, k, p[k], v)
				}
			}
			if id, _ := p["id"].(string); len(id) != 36 {
				t.Errorf("player id %v", p["id"])
			}
		}

		got := e.must(200, "GET", l.Base+"/admin/customers/"+c["id"].(string), nil, bearer(l.Viewer)...).JSON()
		if fmt.Sprint(got) != fmt.Sprint(c) {
			t.Errorf("GET %v\nwant the created %v", got, c)
		}
	})

	tooMany := make([]any, 21)
	for i := range tooMany {
		tooMany[i] = map[string]any{"first_name": fmt.Sprint("Kid", i), "last_name": "Doe"}
	}
	cases := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"an empty name is refused", map[string]any{"name": " ", "email": "a@example.com", "players": []any{ann}}, 422, []string{"/name"}},
		{"a malformed email is refused", map[string]any{"name": "A", "email": "not-an-email", "players": []any{ann}}, 422, []string{"/email"}},
		{"an email with a display name is refused", map[string]any{"name": "A", "email": "Ann <a@example.com>", "players": []any{ann}}, 422, []string{"/email"}},
		{"an empty player list is refused", map[string]any{"name": "A", "email": "a@example.com", "players": []any{}}, 422, []string{"/players"}},
		{"a missing player list is refused", map[string]any{"name": "A", "email": "a@example.com"}, 422, []string{"/players"}},
		{"more than twenty players are refused", map[string]any{"name": "A", "email": "a@example.com", "players": tooMany}, 422, []string{"/players"}},
		{"a player without a first name is refused on that player", map[string]any{"name": "A", "email": "a@example.com",
			"players": []any{map[string]any{"last_name": "Doe"}}}, 422, []string{"/players/0/first_name"}},
		{"the failing player is named by its index", map[string]any{"name": "A", "email": "a@example.com",
			"players": []any{ann, map[string]any{"first_name": "Ben", "last_name": ""}}}, 422, []string{"/players/1/last_name"}},
		{"every failing field is listed", map[string]any{"name": "", "email": "x", "players": []any{map[string]any{}}}, 422,
			[]string{"/name", "/email", "/players/0/first_name", "/players/0/last_name"}},
		{"an unknown field is a 400 naming it", map[string]any{"name": "A", "email": "a@example.com", "players": []any{ann},
			"tenant_id": l.ID}, 400, []string{"/tenant_id"}},
		{"an unknown player field is a 400", map[string]any{"name": "A", "email": "a@example.com",
			"players": []any{map[string]any{"first_name": "A", "last_name": "B", "id": "x"}}}, 400, nil},
		{"players that are not an array are a 400", map[string]any{"name": "A", "email": "a@example.com", "players": "Ann"}, 400, []string{"/players"}},
		{"malformed JSON is a 400", `{"name":`, 400, []string{"/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", l.Base+"/admin/customers", tc.body, bearer(l.Manager)...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			r.wantProblem(t)
			if tc.fields != nil && !slices.Equal(r.Fields(), tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
		})
	}
}

func TestGetCustomer(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	other := e.newLeague()
	id, _, players := e.household(l, "Ann", "Ben", "Cid")
	otherID, _, _ := e.household(other, "Zed")

	t.Run("players are listed in the order they were given", func(t *testing.T) {
		c := e.must(200, "GET", l.Base+"/admin/customers/"+id, nil, bearer(l.Viewer)...).JSON()
		var got []string
		for _, p := range c["players"].([]any) {
			got = append(got, p.(map[string]any)["id"].(string))
		}
		if !slices.Equal(got, players) {
			t.Errorf("players %v, want %v", got, players)
		}
	})

	for _, tc := range []struct{ name, id string }{
		{"an unknown customer is 404", "00000000-0000-0000-0000-000000000000"},
		{"a malformed id is 404", "not-a-uuid"},
		{"another tenant's customer is 404", otherID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.must(404, "GET", l.Base+"/admin/customers/"+tc.id, nil, bearer(l.Viewer)...)
			r.wantProblem(t)
		})
	}
}

func TestRotateRegistrationToken(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Home"))
	id, first, _ := e.household(l, "Ann")
	e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": first, "product_id": p["id"], "custom_data": jerseyData(4)})
	rotatePath := l.Base + "/admin/customers/" + id + "/registration-token"

	r := e.must(201, "POST", rotatePath, nil, bearer(l.Manager)...)
	second := r.JSON()["registration_token"].(string)
	if got := objectKeys(r.JSON()); fmt.Sprint(got) != "[registration_token]" {
		t.Errorf("keys %v", got)
	}
	third := e.must(201, "POST", rotatePath, nil, bearer(l.Manager)...).JSON()["registration_token"].(string)

	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"the newest token reads the household's orders", third, 200},
		{"the original token stops working", first, 401},
		{"an intermediate token stops working too", second, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.must(tc.status, "GET", l.Base+"/orders", nil, "X-Registration-Token", tc.token)
			if tc.status == 200 {
				orders := listItems(t, r)
				if len(orders) != 1 || orders[0]["customer_id"] != id {
					t.Errorf("orders %v", orders)
				}
			}
		})
	}

	t.Run("the rotated tokens are all different", func(t *testing.T) {
		if first == second || second == third || first == third {
			t.Errorf("tokens repeat: %s %s %s", first, second, third)
		}
	})

	t.Run("an old token cannot check out", func(t *testing.T) {
		e.must(401, "POST", l.Base+"/checkout", map[string]any{"registration_token": first, "product_id": p["id"], "custom_data": jerseyData(4)})
	})

	t.Run("rotating an unknown customer's token is 404", func(t *testing.T) {
		e.must(404, "POST", l.Base+"/admin/customers/00000000-0000-0000-0000-000000000000/registration-token", nil, bearer(l.Manager)...)
		e.must(404, "POST", l.Base+"/admin/customers/nope/registration-token", nil, bearer(l.Manager)...)
	})
}

func TestFindingAFamily(t *testing.T) {
	e := newEnv(t)
	l, other := e.newLeague(), e.newLeague()
	lee, _, _ := e.householdWithEmail(l, "Lee.Family@example.com", "Sam")
	_, _, _ = e.householdWithEmail(l, "chen@example.com", "Zoé")
	e.householdWithEmail(other, "lee.family@example.com", "Sam")
	find := func(query string) []string {
		t.Helper()
		r := e.must(200, "GET", l.Base+"/admin/customers?"+query, nil, bearer(l.Viewer)...).JSON()
		var out []string
		for _, c := range r["data"].([]any) {
			out = append(out, c.(map[string]any)["email"].(string))
		}
		return out
	}
	t.Run("by email, exactly and without regard to case, in this league only", func(t *testing.T) {
		if got := find("email=lee.family@EXAMPLE.com"); !slices.Equal(got, []string{"Lee.Family@example.com"}) {
			t.Errorf("found %v", got)
		}
	})
	t.Run("by a player's name, as a substring without regard to case", func(t *testing.T) {
		if got := find("q=zo%C3%A9"); !slices.Equal(got, []string{"chen@example.com"}) {
			t.Errorf("found %v", got)
		}
	})
	t.Run("a search string is matched literally, not as a pattern", func(t *testing.T) {
		if got := find("q=%25"); len(got) != 0 {
			t.Errorf("q=%% found %v", got)
		}
	})
	t.Run("all households, newest first, a page at a time", func(t *testing.T) {
		r := e.must(200, "GET", l.Base+"/admin/customers?limit=1", nil, bearer(l.Viewer)...).JSON()
		next, _ := r["next_cursor"].(string)
		if len(r["data"].([]any)) != 1 || next == "" {
			t.Fatalf("page %v", r)
		}
		r2 := e.must(200, "GET", l.Base+"/admin/customers?limit=1&cursor="+next, nil, bearer(l.Viewer)...).JSON()
		if got := r2["data"].([]any)[0].(map[string]any)["email"]; got != "Lee.Family@example.com" {
			t.Errorf("second page %v", got)
		}
		e.must(400, "GET", l.Base+"/admin/customers?limit=1&q=lee&cursor="+next, nil, bearer(l.Viewer)...)
	})
	t.Run("a player added to an existing household can check out", func(t *testing.T) {
		p := e.must(201, "POST", l.Base+"/admin/customers/"+lee+"/players", map[string]any{"first_name": " Kim ", "last_name": "Lee"},
			bearer(l.Manager)...).JSON()
		if p["first_name"] != "Kim" || p["id"] == "" {
			t.Fatalf("player %v", p)
		}
		c := e.must(200, "GET", l.Base+"/admin/customers/"+lee, nil, bearer(l.Viewer)...).JSON()
		if n := len(c["players"].([]any)); n != 2 {
			t.Errorf("%d players, want 2", n)
		}
		e.must(403, "POST", l.Base+"/admin/customers/"+lee+"/players", map[string]any{"first_name": "A", "last_name": "B"}, bearer(l.Viewer)...)
		e.must(422, "POST", l.Base+"/admin/customers/"+lee+"/players", map[string]any{"first_name": "", "last_name": "B"}, bearer(l.Manager)...)
	})
	t.Run("a household takes at most 20 players, even when added concurrently", func(t *testing.T) {
		statuses := parallel(30, func(i int) int {
			return e.do("POST", l.Base+"/admin/customers/"+lee+"/players", map[string]any{"first_name": fmt.Sprintf("P%d", i),
				"last_name": "Lee"}, bearer(l.Manager)...).Status
		})
		if statuses[201] != 18 || statuses[422] != 12 {
			t.Errorf("statuses %v, want 18 created and 12 refused", statuses)
		}
	})
}
