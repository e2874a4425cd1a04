package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/producttypes"
)

// panicky is a product type registered only by these tests. Its product
// config names the capability that panics ({"panic_in": "normalize"}).
type panicky struct{}

var (
	_ producttypes.Normalizer       = panicky{}
	_ producttypes.ProductValidator = panicky{}
	_ producttypes.RuleChecker      = panicky{}
	_ producttypes.Evidencer        = panicky{}
	_ producttypes.PaidHook         = panicky{}
)

func (panicky) Info() producttypes.Info {
	return producttypes.Info{Name: "panicky", Title: "Panicky", Description: "panics where its config says",
		DefaultCategory: "tests",
		ConfigSchema:    json.RawMessage(`{"type":"object","properties":{"panic_in":{"type":"string"}},"additionalProperties":false}`)}
}

func panicIn(config producttypes.Config, capability string) {
	var c struct {
		PanicIn string `json:"panic_in"`
	}
	_ = json.Unmarshal(config.Raw, &c)
	if c.PanicIn == capability {
		var m map[string]int
		//lint:ignore SA5000 the nil-map bug a plugin may have, on purpose
		m["boom"]++
	}
}

func (panicky) BuyerSchema(config producttypes.Config) (json.RawMessage, error) {
	panicIn(config, "buyer_schema")
	return json.RawMessage(`{"type":"object"}`), nil
}

func (panicky) Normalize(config producttypes.Config, data map[string]any) map[string]any {
	panicIn(config, "normalize")
	return data
}

func (panicky) ValidateProduct(in producttypes.ProductInput) []producttypes.FieldError {
	panicIn(in.Config, "validate_product")
	return nil
}

func (panicky) CheckRules(_ context.Context, in producttypes.RuleInput) ([]producttypes.FieldError, []producttypes.Claim, error) {
	panicIn(in.Config, "check_rules")
	return nil, nil, nil
}

func (panicky) Evidence(_ context.Context, in producttypes.EvidenceInput) (map[string]any, error) {
	panicIn(in.Config, "evidence")
	return nil, nil
}

func (panicky) OnPaid(_ context.Context, o producttypes.PaidOrder) error {
	panicIn(o.Config, "on_paid")
	return nil
}

// wantInternal checks a contained panic's answer: a 500 problem with the
// request id and nothing of the panic.
func wantInternal(t *testing.T, r resp) {
	t.Helper()
	if r.Status != 500 {
		t.Fatalf("status %d, want 500: %s", r.Status, r.Body)
	}
	r.wantProblem(t)
	body := string(r.Body)
	if rid := r.Header.Get("X-Request-Id"); rid == "" || r.JSON()["request_id"] != rid {
		t.Errorf("problem request_id %v, want the X-Request-Id %q", r.JSON()["request_id"], rid)
	}
	for _, leak := range []string{"boom", "nil map", "goroutine", ".go:", "panic"} {
		if strings.Contains(body, leak) {
			t.Errorf("the response shows %q: %s", leak, body)
		}
	}
}

func TestPanicsAreContained(t *testing.T) {
	e, _ := opsEnv(t, panicky{})
	e.app.Get("/test-only/panic", func(*fiber.Ctx) error { panic("handler bug") })
	l, other := e.newLeague(), e.newLeague()
	otherFree := e.product(other, freeJersey("Free jersey"))
	names := make([]string, 20)
	for i := range names {
		names[i] = fmt.Sprintf("Kid%d", i)
	}
	_, otherToken, otherPlayers := e.household(other, names...)
	_, token, players := e.household(l, "Ann", "Bob", "Cid", "Dee")

	// Another tenant keeps being served while the panics happen.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	failures := make(chan string, 100)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if r := e.do("GET", other.Base+"/products", nil); r.Status != 200 {
				failures <- fmt.Sprintf("product list: %d %s", r.Status, r.Body)
			}
			if i < len(otherPlayers) {
				r := e.do("POST", other.Base+"/checkout", map[string]any{"registration_token": otherToken,
					"product_id": otherFree["id"], "player_id": otherPlayers[i], "custom_data": jerseyData(i)})
				if r.Status != 201 {
					failures <- fmt.Sprintf("checkout: %d %s", r.Status, r.Body)
				}
			}
		}
	}()

	t.Run("a handler that panics answers 500 and the server goes on", func(t *testing.T) {
		wantInternal(t, e.do("GET", "/test-only/panic", nil))
	})
	for _, capability := range []string{"buyer_schema", "validate_product"} {
		t.Run("a product type panicking in "+capability+" fails only that product write", func(t *testing.T) {
			r := e.do("POST", l.Base+"/admin/products", map[string]any{"type": "panicky", "name": "P " + capability,
				"price_cents": 0, "config": map[string]any{"panic_in": capability}}, bearer(l.Manager)...)
			wantInternal(t, r)
		})
	}
	for i, capability := range []string{"normalize", "check_rules", "evidence"} {
		t.Run("a product type panicking in "+capability+" fails only that checkout, writing nothing", func(t *testing.T) {
			p := e.product(l, map[string]any{"type": "panicky", "name": "P " + capability, "price_cents": 0,
				"config": map[string]any{"panic_in": capability}})
			wantInternal(t, e.do("POST", l.Base+"/checkout", map[string]any{"registration_token": token,
				"product_id": p["id"], "player_id": players[i], "custom_data": map[string]any{}}))
			list := e.must(200, "GET", l.Base+"/admin/orders?product_id="+p["id"].(string), nil, bearer(l.Viewer)...).JSON()
			if n := len(list["data"].([]any)); n != 0 {
				t.Errorf("%d orders written for the panicking checkout", n)
			}
		})
	}
	t.Run("a product type panicking in its paid hook leaves the payment settled", func(t *testing.T) {
		p := e.product(l, map[string]any{"type": "panicky", "name": "P on_paid", "price_cents": 1200,
			"config": map[string]any{"panic_in": "on_paid"}})
		res := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token,
			"product_id": p["id"], "player_id": players[3], "custom_data": map[string]any{}}).JSON()
		orderID := res["order"].(map[string]any)["id"].(string)
		u, err := url.Parse(res["checkout_url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		e.must(303, "POST", u.Path+"/pay", nil)
		o := e.must(200, "GET", l.Base+"/admin/orders/"+orderID, nil, bearer(l.Viewer)...).JSON()
		if o["status"] != "paid" {
			t.Errorf("order status %v, want paid", o["status"])
		}
	})
	close(stop)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("the other tenant was not served: %s", f)
	}

	t.Run("every contained panic is counted by where it happened", func(t *testing.T) {
		got := map[string]float64{}
		for _, s := range scrape(e) {
			if s.Name == "checkout_panics_total" {
				got[s.Labels["where"]] = s.Value
			}
		}
		want := map[string]float64{"handler": 1, "product_type": 6, "worker": 0}
		for where, n := range want {
			if got[where] != n {
				t.Errorf("checkout_panics_total{where=%q} = %v, want %v (all: %v)", where, got[where], n, got)
			}
		}
	})
}
