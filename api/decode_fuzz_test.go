package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/internal/testkit/jsontest"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/discounts"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/settlement"
	"github.com/leaguepay/checkout/tenants"
)

// decodeInto decodes body strictly into a new T, as the handlers of the
// route table do, and checks that what it accepted holds no U+0000.
func decodeInto[T any](c *fiber.Ctx) error {
	var in T
	if err := decode(c, &in); err != nil {
		return err
	}
	b, err := json.Marshal(in)
	var back any
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		err = dec.Decode(&back)
	}
	if err != nil || jsontest.HoldsNUL(back) {
		return fmt.Errorf("decoded a body that cannot be stored: %v", err)
	}
	return nil
}

// bodyTypes are the request bodies of the contract, by the route that takes
// them.
var bodyTypes = []struct {
	route  string
	decode func(*fiber.Ctx) error
}{
	{"POST /checkout", decodeInto[checkout.Input]},
	{"POST /checkouts", decodeInto[checkout.CartInput]},
	{"POST /admin/discounts", decodeInto[discounts.Input]},
	{"POST /admin/orders/{id}/refund", decodeInto[settlement.RefundInput]},
	{"POST /admin/products", decodeInto[catalog.Input]},
	{"PATCH /admin/products/{id}", decodeInto[catalog.Patch]},
	{"POST /admin/customers", decodeInto[customers.Input]},
	{"POST /admin/customers/{id}/players", decodeInto[customers.PlayerInput]},
	{"POST /v1/platform/tenants", decodeInto[tenants.NewTenant]},
	{"PATCH /v1/platform/tenants/{tenant}", decodeInto[tenants.TenantPatch]},
	{"POST /admin/api-keys", decodeInto[tenants.KeyInput]},
	{"PUT /admin/stripe", decodeInto[payments.SettingsInput]},
}

// newRequestCtx returns a new request context of the type f takes: Fiber's
// fasthttp, which this module does not import by name.
func newRequestCtx[T any](func(*T) *fiber.Ctx) *T { return new(T) }

// FuzzDecode decodes arbitrary bodies into every request body type of the
// contract and maps the result as the error handler does. Nothing panics;
// each body is accepted (and then holds no U+0000) or refused with a 4xx
// problem, never a 5xx; and a problem names at least one field by JSON
// Pointer, which, when the body is valid JSON, points into it ("/" stands
// for the body itself).
func FuzzDecode(f *testing.F) {
	app := fiber.New(fiber.Config{BodyLimit: BodyLimit, Immutable: true})
	f.Fuzz(func(t *testing.T, body []byte) {
		var doc any
		// A document naming a member twice decodes (last one wins) into
		// something its pointers may not resolve in: judge those as invalid.
		valid := json.Unmarshal(body, &doc) == nil && !namesTwice(body)
		for _, bt := range bodyTypes {
			c := app.AcquireCtx(newRequestCtx(app.AcquireCtx))
			c.Request().SetBody(body)
			c.Locals(bodyReadKey, true) // as takesBody leaves it
			err := bt.decode(c)
			app.ReleaseCtx(c)
			if err != nil {
				checkBodyProblem(t, bt.route, body, doc, valid, problemFor(err))
			}
		}
	})
}

func checkBodyProblem(t *testing.T, route string, body []byte, doc any, valid bool, p Problem) {
	t.Helper()
	if p.Status < 400 || p.Status > 499 {
		t.Fatalf("%s: status %d, want a 4xx: %+v", route, p.Status, p)
	}
	if len(p.Errors) == 0 {
		t.Fatalf("%s: %d names no field: %+v", route, p.Status, p)
	}
	for _, fe := range p.Errors {
		if fe.Message == "" || !pointerInto(doc, valid, fe.Field) {
			t.Errorf("%s: %d: field %q is not a JSON Pointer into the body %.200q (%s)", route, p.Status, fe.Field, body, fe.Message)
		}
	}
}

// namesTwice reports whether an object of body names a member twice,
// whatever else is wrong with it (jsonlimit reports only the first
// violation, which may be another one, such as invalid UTF-8, found first).
func namesTwice(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		names  map[string]bool
		key    bool // the next string token of an object is a name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{object: v == '{', names: map[string]bool{}, key: v == '{'})
				continue
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].key = true
				}
				continue
			}
		case string:
			if top != nil && top.object && top.key {
				if top.names[v] {
					return true
				}
				top.names[v] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true
		}
	}
}

// pointerInto reports whether ptr is a JSON Pointer and, when the body is
// valid JSON, names a value in doc; "/" names the body itself.
func pointerInto(doc any, valid bool, ptr string) bool {
	if !strings.HasPrefix(ptr, "/") || strings.Contains(strings.NewReplacer("~0", "", "~1", "").Replace(ptr), "~") {
		return false
	}
	if !valid || ptr == "/" {
		return true
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch v := doc.(type) {
		case map[string]any:
			e, ok := v[tok]
			if !ok {
				return false
			}
			doc = e
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return false
			}
			doc = v[i]
		default:
			return false
		}
	}
	return true
}
