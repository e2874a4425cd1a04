package api_test

import (
	"net/url"
	"slices"
	"testing"
)

func TestUnknownQueryParametersAreRefused(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	_, token, _ := e.household(l, "Ann")
	cases := []struct {
		name, path string
		headers    []string
	}{
		{"the orders list", l.Base + "/admin/orders?email=doe@example.com", bearer(l.Viewer)},
		{"the CSV export", l.Base + "/admin/orders.csv?email=doe@example.com", bearer(l.Viewer)},
		{"the admin products list", l.Base + "/admin/products?email=doe@example.com", bearer(l.Viewer)},
		{"the buyer products list", l.Base + "/products?email=doe@example.com", nil},
		{"the API keys list", l.Base + "/admin/api-keys?email=doe@example.com", bearer(l.Admin)},
		{"the tenants list", "/v1/platform/tenants?email=doe@example.com", bearer(platformToken)},
		{"the household's orders", l.Base + "/orders?email=doe@example.com", []string{"X-Registration-Token", token}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" answers an unknown parameter with a 400 naming it", func(t *testing.T) {
			r := e.do("GET", tc.path, nil, tc.headers...)
			if r.Status != 400 || !slices.Equal(r.Fields(), []string{"query:email"}) {
				t.Errorf("status %d fields %v, want 400 [query:email]: %s", r.Status, r.Fields(), r.Body)
			}
		})
	}
}

func TestCursorsBelongToTheirFilters(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Jersey"))
	_, token, players := e.household(l, "A", "B", "C")
	for i, pl := range players {
		e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": p["id"],
			"player_id": pl, "custom_data": jerseyData(i + 1)})
	}
	list := func(query string) resp {
		return e.do("GET", l.Base+"/admin/orders?"+query, nil, bearer(l.Viewer)...)
	}
	first := list("limit=1&status=paid").JSON()
	cursor := first["next_cursor"].(string)
	t.Run("a cursor with the filters it was issued for gives the next page", func(t *testing.T) {
		if r := list("limit=1&status=paid&cursor=" + url.QueryEscape(cursor)); r.Status != 200 || len(r.JSON()["data"].([]any)) != 1 {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("another limit is not another filter", func(t *testing.T) {
		if r := list("limit=5&status=paid&cursor=" + url.QueryEscape(cursor)); r.Status != 200 {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})
	for _, other := range []string{"limit=1", "limit=1&status=pending", "limit=1&status=paid&player_id=" + players[0]} {
		t.Run("the cursor used with other filters ("+other+") is a 400", func(t *testing.T) {
			r := list(other + "&cursor=" + url.QueryEscape(cursor))
			if r.Status != 400 || !slices.Equal(r.Fields(), []string{"query:cursor"}) {
				t.Errorf("status %d fields %v, want 400 [query:cursor]: %s", r.Status, r.Fields(), r.Body)
			}
		})
	}
}
