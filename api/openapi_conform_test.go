package api_test

import (
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// conformer checks real responses against the document: the status is
// documented for the operation, the media type is one it lists, and a JSON
// body validates against the documented schema (formats asserted).
type conformer struct {
	t        *testing.T
	e        *env
	doc      map[string]any
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
	seen     map[string]bool // "METHOD /path" of every operation exercised
}

// call sends a request to path, which the document names docPath, and
// checks the response against it; want is the status the scenario expects.
func (k *conformer) call(want int, method, docPath, path string, body any, headers ...string) resp {
	k.t.Helper()
	r := k.e.do(method, path, body, headers...)
	if r.Status != want {
		k.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	name := method + " " + docPath
	k.seen[name] = true
	op := mapAt(k.doc, "paths", docPath, strings.ToLower(method))
	if len(op) == 0 {
		k.t.Errorf("%s is not documented", name)
		return r
	}
	responses := mapAt(op, "responses")
	ptr := "/paths/" + escapePointer(docPath) + "/" + strings.ToLower(method) + "/responses/"
	code := strconv.Itoa(r.Status)
	if _, ok := responses[code]; ok {
		ptr += code
	} else if _, ok := responses[code[:1]+"XX"]; ok {
		ptr += code[:1] + "XX"
	} else {
		k.t.Errorf("%s: status %d is not documented", name, r.Status)
		return r
	}
	ptr = k.resolve(ptr)
	content, _ := pointer(k.doc, ptr+"/content")
	if content == nil {
		if len(r.Body) > 0 {
			k.t.Errorf("%s %d: a body where none is documented: %s", name, r.Status, r.Body)
		}
		return r
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		k.t.Errorf("%s %d: Content-Type %q: %v", name, r.Status, r.Header.Get("Content-Type"), err)
		return r
	}
	media, ok := content.(map[string]any)[mt]
	if !ok {
		k.t.Errorf("%s %d: media type %s is not documented (documented: %v)", name, r.Status, mt, sortedKeys(content.(map[string]any)))
		return r
	}
	if mt != "application/json" && mt != "application/problem+json" {
		return r
	}
	ref, _ := mapAt(media.(map[string]any), "schema")["$ref"].(string)
	if ref == "" {
		return r // an inline schema of the document itself ({"type": "object"})
	}
	if err := k.schema(ref).Validate(decodeNumbers(k.t, r.Body)); err != nil {
		k.t.Errorf("%s %d: the body does not match %s: %#v\n%s", name, r.Status, ref, err, r.Body)
	}
	return r
}

// resolve follows the $ref chain of the object at ptr and returns the
// pointer of its target.
func (k *conformer) resolve(ptr string) string {
	for i := 0; i < 10; i++ {
		v, _ := pointer(k.doc, ptr)
		ref, ok := v.(map[string]any)["$ref"].(string)
		if !ok {
			break
		}
		ptr = ref[1:]
	}
	return ptr
}

func (k *conformer) schema(ref string) *jsonschema.Schema {
	k.t.Helper()
	if s, ok := k.schemas[ref]; ok {
		return s
	}
	s, err := k.compiler.Compile(docURL + ref)
	if err != nil {
		k.t.Fatalf("compile %s: %v", ref, err)
	}
	k.schemas[ref] = s
	return s
}

func TestOpenAPIResponsesConform(t *testing.T) {
	e, _ := opsEnv(t)
	raw, doc := openapiDoc(t, e)
	k := &conformer{t: t, e: e, doc: doc, compiler: docCompiler(t, raw), schemas: map[string]*jsonschema.Schema{}, seen: map[string]bool{}}
	plat := bearer(platformToken)

	k.call(200, "GET", "/healthz", "/healthz", nil)
	k.call(200, "GET", "/readyz", "/readyz", nil)
	k.call(200, "GET", "/openapi.json", "/openapi.json", nil)

	slug := randomSlug()
	ten := k.call(201, "POST", "/v1/platform/tenants", "/v1/platform/tenants",
		map[string]any{"slug": slug, "name": "Conform", "allowed_redirect_origins": []string{"https://league.example"}}, plat...).JSON()
	k.call(409, "POST", "/v1/platform/tenants", "/v1/platform/tenants", map[string]any{"slug": slug, "name": "Again"}, plat...)
	k.call(422, "POST", "/v1/platform/tenants", "/v1/platform/tenants", map[string]any{"slug": "No", "name": "X"}, plat...)
	k.call(400, "POST", "/v1/platform/tenants", "/v1/platform/tenants", map[string]any{"slug": slug, "name": "X", "id": ten["id"]}, plat...)
	k.call(401, "POST", "/v1/platform/tenants", "/v1/platform/tenants", map[string]any{"slug": slug, "name": "X"})
	k.call(200, "GET", "/v1/platform/tenants", "/v1/platform/tenants", nil, plat...)
	k.call(200, "PATCH", "/v1/platform/tenants/{tenant}", "/v1/platform/tenants/"+slug, map[string]any{"name": "Conform League"}, plat...)
	key := func(role string) string {
		return k.call(201, "POST", "/v1/platform/tenants/{tenant}/api-keys", "/v1/platform/tenants/"+slug+"/api-keys",
			map[string]any{"role": role, "name": role}, plat...).JSON()["key"].(string)
	}
	admin, manager, viewer := bearer(key("admin")), bearer(key("manager")), bearer(key("viewer"))

	A, T := "/v1/tenants/{tenant}/admin", "/v1/tenants/{tenant}"
	a, b := "/v1/tenants/"+slug+"/admin", "/v1/tenants/"+slug
	k.call(200, "GET", A+"/product-types", a+"/product-types", nil, viewer...)
	k.call(401, "GET", A+"/products", a+"/products", nil)
	k.call(403, "POST", A+"/products", a+"/products", freeJersey("Nope"), viewer...)
	k.call(400, "GET", A+"/products", a+"/products?active=maybe", nil, viewer...)
	k.call(422, "POST", A+"/products", a+"/products", map[string]any{"type": "hat", "name": "Hat", "price_cents": 0, "config": map[string]any{}}, manager...)
	free := k.call(201, "POST", A+"/products", a+"/products", freeJersey("Free"), manager...).JSON()
	priced := k.call(201, "POST", A+"/products", a+"/products",
		map[string]any{"type": "contract", "name": "Contract", "price_cents": 2500, "config": contractConfig}, manager...).JSON()
	k.call(200, "GET", A+"/products", a+"/products?active=true", nil, viewer...)
	k.call(200, "GET", A+"/products/{id}", a+"/products/"+free["id"].(string), nil, viewer...)
	k.call(404, "GET", A+"/products/{id}", a+"/products/not-a-uuid", nil, viewer...)
	k.call(200, "PATCH", A+"/products/{id}", a+"/products/"+free["id"].(string), map[string]any{"description": "Free for all"}, manager...)

	created := k.call(201, "POST", A+"/customers", a+"/customers", map[string]any{"name": "Doe family", "email": "doe@example.com",
		"players": []map[string]any{{"first_name": "Ann", "last_name": "Doe"}, {"first_name": "Ben", "last_name": "Doe", "external_ref": "L-7"}}}, manager...).JSON()
	customer := created["customer"].(map[string]any)
	cid := customer["id"].(string)
	var players []string
	for _, p := range customer["players"].([]any) {
		players = append(players, p.(map[string]any)["id"].(string))
	}
	k.call(200, "GET", A+"/customers/{id}", a+"/customers/"+cid, nil, viewer...)
	k.call(200, "GET", A+"/customers", a+"/customers?q=doe&limit=1", nil, viewer...)
	k.call(400, "GET", A+"/customers", a+"/customers?name=doe", nil, viewer...)
	players = append(players, k.call(201, "POST", A+"/customers/{id}/players", a+"/customers/"+cid+"/players",
		map[string]any{"first_name": "Sam", "last_name": "Doe"}, manager...).JSON()["id"].(string))
	k.call(404, "POST", A+"/customers/{id}/players", a+"/customers/"+uuid.NewString()+"/players", map[string]any{"first_name": "Sam", "last_name": "Doe"}, manager...)
	token := k.call(201, "POST", A+"/customers/{id}/registration-token", a+"/customers/"+cid+"/registration-token", nil, manager...).JSON()["registration_token"].(string)

	k.call(200, "GET", T+"/products", b+"/products", nil)
	k.call(200, "GET", T+"/products/{id}", b+"/products/"+free["id"].(string), nil)
	k.call(404, "GET", T+"/products/{id}", b+"/products/"+players[0], nil)
	freeBody := map[string]any{"registration_token": token, "product_id": free["id"], "player_id": players[0], "custom_data": jerseyData(9)}
	k.call(201, "POST", T+"/checkout", b+"/checkout", freeBody, "Idempotency-Key", "conform-1")
	k.call(200, "POST", T+"/checkout", b+"/checkout", freeBody, "Idempotency-Key", "conform-1")
	k.call(409, "POST", T+"/checkout", b+"/checkout", freeBody)
	k.call(422, "POST", T+"/checkout", b+"/checkout", map[string]any{"registration_token": token, "product_id": free["id"], "player_id": players[1],
		"custom_data": map[string]any{"jersey_number": 1000}})
	k.call(401, "POST", T+"/checkout", b+"/checkout", map[string]any{"registration_token": "rt_nope", "product_id": free["id"],
		"custom_data": jerseyData(9)})
	contractData := map[string]any{"accept_terms": true, "signer_name": "Pat Doe", "signer_relationship": "parent", "terms_version": "v1"}
	pending := k.call(201, "POST", T+"/checkout", b+"/checkout", map[string]any{"registration_token": token, "product_id": priced["id"],
		"player_id": players[0], "custom_data": contractData}).JSON()
	paid := k.call(201, "POST", T+"/checkout", b+"/checkout", map[string]any{"registration_token": token, "product_id": priced["id"],
		"player_id": players[1], "custom_data": contractData}).JSON()
	k.call(200, "GET", T+"/orders", b+"/orders", nil, "X-Registration-Token", token)
	k.call(401, "GET", T+"/orders", b+"/orders", nil)

	SB := "/sandbox/checkout/{tenant}/{session}"
	page := func(o map[string]any) string {
		u, err := url.Parse(o["checkout_url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		return u.Path
	}
	k.call(200, "GET", SB, page(paid), nil)
	k.call(303, "POST", SB+"/pay", page(paid)+"/pay", nil)
	k.call(404, "POST", SB+"/cancel", "/sandbox/checkout/"+slug+"/cs_sandbox_nope_1/cancel", nil)

	paidID := paid["order"].(map[string]any)["id"].(string)
	pendingID := pending["order"].(map[string]any)["id"].(string)
	k.call(200, "GET", A+"/orders", a+"/orders?limit=2", nil, viewer...)
	k.call(400, "GET", A+"/orders", a+"/orders?limit=0&status=lost", nil, viewer...)
	k.call(200, "GET", A+"/orders.csv", a+"/orders.csv", nil, viewer...)
	k.call(200, "GET", A+"/orders/{id}", a+"/orders/"+paidID, nil, viewer...)
	k.call(403, "POST", A+"/orders/{id}/refund", a+"/orders/"+paidID+"/refund", nil, manager...)
	k.call(422, "POST", A+"/orders/{id}/refund", a+"/orders/"+paidID+"/refund", map[string]any{"amount_cents": 999999}, admin...)
	k.call(200, "POST", A+"/orders/{id}/refund", a+"/orders/"+paidID+"/refund", map[string]any{"amount_cents": 500}, admin...)
	k.call(409, "POST", A+"/orders/{id}/cancel", a+"/orders/"+paidID+"/cancel", nil, admin...)
	k.call(200, "POST", A+"/orders/{id}/cancel", a+"/orders/"+pendingID+"/cancel", nil, admin...)

	k.call(200, "GET", A+"/stripe", a+"/stripe", nil, admin...)
	k.call(422, "PUT", A+"/stripe", a+"/stripe", map[string]any{"secret_key": "sk_test_0123456789"}, admin...)
	k.call(204, "PUT", A+"/stripe", a+"/stripe", map[string]any{"secret_key": "sk_test_0123456789", "webhook_secret": "whsec_0123456789"}, admin...)
	k.call(200, "GET", A+"/api-keys", a+"/api-keys", nil, admin...)
	k.call(403, "GET", A+"/api-keys", a+"/api-keys", nil, manager...)
	extra := k.call(201, "POST", A+"/api-keys", a+"/api-keys", map[string]any{"role": "viewer", "name": "extra"}, admin...).JSON()
	k.call(204, "DELETE", A+"/api-keys/{id}", a+"/api-keys/"+extra["id"].(string), nil, admin...)
	k.call(404, "DELETE", A+"/api-keys/{id}", a+"/api-keys/"+extra["id"].(string), nil, admin...)

	D := A + "/discounts"
	k.call(201, "POST", D, a+"/discounts", map[string]any{"kind": "sibling", "name": "Siblings",
		"applies_to": map[string]any{"categories": []string{"uniforms"}}, "tiers": []map[string]any{{"nth": 2, "percent_off": 10}}}, manager...)
	promo := k.call(201, "POST", D, a+"/discounts", map[string]any{"kind": "promotion", "name": "Early bird", "code": "early10",
		"amount_off_cents": 500, "ends_at": "2030-01-01T00:00:00Z", "max_redemptions": 10}, manager...).JSON()
	k.call(409, "POST", D, a+"/discounts", map[string]any{"kind": "promotion", "name": "Again", "code": "EARLY10", "percent_off": 5}, manager...)
	k.call(422, "POST", D, a+"/discounts", map[string]any{"kind": "promotion", "name": "Both", "code": "BOTH1", "percent_off": 5,
		"amount_off_cents": 100}, manager...)
	k.call(403, "POST", D, a+"/discounts", map[string]any{"kind": "sibling", "name": "No"}, viewer...)
	k.call(200, "GET", D, a+"/discounts", nil, viewer...)
	k.call(200, "GET", D+"/{id}", a+"/discounts/"+promo["id"].(string), nil, viewer...)
	k.call(404, "GET", D+"/{id}", a+"/discounts/"+uuid.NewString(), nil, viewer...)
	k.call(200, "PATCH", D+"/{id}", a+"/discounts/"+promo["id"].(string), map[string]any{"active": false}, manager...)
	k.call(422, "PATCH", D+"/{id}", a+"/discounts/"+promo["id"].(string), map[string]any{"max_redemptions": 0}, manager...)

	cart := map[string]any{"registration_token": token, "items": []any{
		map[string]any{"product_id": priced["id"], "player_id": players[0], "custom_data": contractData},
		map[string]any{"product_id": priced["id"], "player_id": players[2], "custom_data": contractData}}}
	k.call(200, "POST", T+"/checkouts/preview", b+"/checkouts/preview", cart)
	k.call(422, "POST", T+"/checkouts/preview", b+"/checkouts/preview", map[string]any{"registration_token": token, "items": []any{}})
	placed := k.call(201, "POST", T+"/checkouts", b+"/checkouts", cart, "Idempotency-Key", "conform-cart").JSON()
	k.call(200, "POST", T+"/checkouts", b+"/checkouts", cart, "Idempotency-Key", "conform-cart")
	k.call(409, "POST", T+"/checkouts", b+"/checkouts", map[string]any{"registration_token": token, "items": []any{
		map[string]any{"product_id": priced["id"], "player_id": players[1], "custom_data": contractData}}})
	k.call(422, "POST", T+"/checkouts", b+"/checkouts", map[string]any{"registration_token": token, "items": []any{
		map[string]any{"product_id": free["id"], "player_id": players[2]}}})
	k.call(401, "POST", T+"/checkouts", b+"/checkouts", map[string]any{"registration_token": "rt_nope", "items": cart["items"]})
	checkoutID := placed["checkout"].(map[string]any)["id"].(string)
	k.call(200, "GET", T+"/checkouts/{id}", b+"/checkouts/"+checkoutID, nil, "X-Registration-Token", token)
	k.call(404, "GET", T+"/checkouts/{id}", b+"/checkouts/"+uuid.NewString(), nil, "X-Registration-Token", token)
	k.call(401, "GET", T+"/checkouts/{id}", b+"/checkouts/"+checkoutID, nil)
	k.call(200, "GET", A+"/checkouts/{id}", a+"/checkouts/"+checkoutID, nil, viewer...)
	k.call(404, "GET", A+"/checkouts/{id}", a+"/checkouts/"+uuid.NewString(), nil, viewer...)
	k.call(200, "GET", A+"/orders", a+"/orders?checkout_id="+checkoutID, nil, viewer...)

	W := A + "/webhook-endpoints"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	t.Cleanup(receiver.Close)
	k.call(422, "POST", W, a+"/webhook-endpoints", map[string]any{"url": "https://10.0.0.1/hooks", "events": []string{"order.paid"}}, admin...)
	k.call(403, "POST", W, a+"/webhook-endpoints", map[string]any{"url": receiver.URL, "events": []string{"order.paid"}}, manager...)
	hook := k.call(201, "POST", W, a+"/webhook-endpoints", map[string]any{"url": receiver.URL, "events": []string{"order.created"}}, admin...).JSON()
	k.call(200, "GET", W, a+"/webhook-endpoints", nil, admin...)
	k.call(200, "GET", W+"/{id}", a+"/webhook-endpoints/"+hook["id"].(string), nil, admin...)
	k.call(201, "POST", T+"/checkout", b+"/checkout", map[string]any{"registration_token": token, "product_id": free["id"],
		"player_id": players[1], "custom_data": jerseyData(10)})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if len(e.must(200, "GET", a+"/webhook-endpoints/"+hook["id"].(string)+"/deliveries", nil, admin...).JSON()["data"].([]any)) > 0 {
			break
		}
	}
	k.call(200, "GET", W+"/{id}/deliveries", a+"/webhook-endpoints/"+hook["id"].(string)+"/deliveries?limit=1", nil, admin...)
	k.call(400, "GET", W+"/{id}/deliveries", a+"/webhook-endpoints/"+hook["id"].(string)+"/deliveries?cursor=nope", nil, admin...)
	k.call(204, "DELETE", W+"/{id}", a+"/webhook-endpoints/"+hook["id"].(string), nil, admin...)
	k.call(404, "GET", W+"/{id}", a+"/webhook-endpoints/"+hook["id"].(string), nil, admin...)

	k.call(400, "POST", T+"/webhooks/stripe", b+"/webhooks/stripe", `{"id":"evt_1"}`, "Stripe-Signature", "t=1,v1=00")
	k.call(404, "POST", T+"/webhooks/stripe", "/v1/tenants/"+randomSlug()+"/webhooks/stripe", `{}`, "Stripe-Signature", "t=1,v1=00")
	k.call(400, "POST", "/v1/webhooks/stripe", "/v1/webhooks/stripe", `{"id":"evt_1"}`, "Stripe-Signature", "t=1,v1=00")
	k.call(200, "GET", "/metrics", "/metrics", nil, bearer(platformToken)...)

	t.Run("every documented operation was exercised", func(t *testing.T) {
		forEachOperation(doc, func(method, path string, _ map[string]any) {
			if name := strings.ToUpper(method) + " " + path; !k.seen[name] {
				t.Errorf("%s is not exercised by this test", name)
			}
		})
	})
}
