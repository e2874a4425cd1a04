package api_test

import (
	"strings"
	"testing"
)

func TestMessagesForPeople(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, map[string]any{"type": "jersey", "name": "Home", "price_cents": 0,
		"config": map[string]any{"top_sizes": []string{"YS", "YM"}, "bottom_sizes": []string{"YS"}, "number_min": 0,
			"number_max": 99, "number_required": true, "name_on_back": true}})
	_, token, _ := e.household(l, "Ann")
	r := e.must(422, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": p["id"],
		"custom_data": map[string]any{"jersey_number": 150, "top_size": "XXL", "bottom_size": "YS", "name_on_back": "<3 R0BOT"}})
	messages := map[string]map[string]any{}
	for _, fe := range r.JSON()["errors"].([]any) {
		m := fe.(map[string]any)
		messages[m["field"].(string)] = m
	}
	t.Run("a number out of range says the bound in words, the validator's wording kept for developers", func(t *testing.T) {
		m := messages["/custom_data/jersey_number"]
		if m["message"] != "must be at most 99" || !strings.Contains(m["detail"].(string), "150") {
			t.Errorf("error %v", m)
		}
	})
	t.Run("a size not offered lists the options", func(t *testing.T) {
		m := messages["/custom_data/top_size"]
		if msg, _ := m["message"].(string); !strings.HasPrefix(msg, "must be one of") || !strings.Contains(msg, "YM") {
			t.Errorf("error %v", m)
		}
	})
	t.Run("no regular expression is shown to a parent", func(t *testing.T) {
		if m := messages["/custom_data/name_on_back"]; m["message"] != "has characters or a form that is not allowed here" {
			t.Errorf("name_on_back error %v (all: %v)", m, messages)
		}
		for f, m := range messages {
			if msg := m["message"].(string); strings.Contains(msg, "pattern") || strings.Contains(msg, `\p{`) {
				t.Errorf("%s: %q", f, msg)
			}
		}
	})
	t.Run("JSON is not HTML-escaped", func(t *testing.T) {
		if strings.Contains(string(r.Body), `\u003c`) || strings.Contains(string(r.Body), `\u003e`) {
			t.Errorf("escaped: %s", r.Body)
		}
	})
	t.Run("a 403 names the role needed", func(t *testing.T) {
		r := e.must(403, "POST", l.Base+"/admin/orders/"+p["id"].(string)+"/cancel", nil, bearer(l.Viewer)...)
		if d, _ := r.JSON()["detail"].(string); !strings.Contains(d, "admin") || !strings.Contains(d, "viewer") {
			t.Errorf("detail %q", d)
		}
	})
	t.Run("an unknown league is a 404 that says so", func(t *testing.T) {
		r := e.must(404, "GET", "/v1/tenants/no-such-league/products", nil)
		if d, _ := r.JSON()["detail"].(string); !strings.Contains(d, "league") {
			t.Errorf("detail %q", d)
		}
	})
}
