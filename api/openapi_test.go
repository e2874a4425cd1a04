package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/leaguepay/checkout/api"
	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/discounts"
	"github.com/leaguepay/checkout/platform/leaguehooks"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/settlement"
	"github.com/leaguepay/checkout/tenants"
)

// openapiMetaSchema is the OpenAPI Initiative's JSON Schema of OpenAPI 3.1
// documents (its $id names the 2022-10-07 release), kept in testdata so the
// check needs no network.
const openapiMetaSchema = "testdata/openapi-3.1.schema.json"

// docURL is where the document is registered with the schema compiler.
const docURL = "mem://openapi.json"

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openapiDoc fetches /openapi.json from app and decodes it.
func openapiDoc(t *testing.T, e *env) (raw []byte, doc map[string]any) {
	t.Helper()
	r := e.must(200, "GET", "/openapi.json", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("/openapi.json is not JSON: %v", err)
	}
	return r.Body, doc
}

func TestOpenAPIDocument(t *testing.T) {
	e, _ := opsEnv(t)
	raw, doc := openapiDoc(t, e)

	t.Run("the served document is api/openapi.json", func(t *testing.T) {
		file, err := os.ReadFile("openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(file, raw) {
			t.Error("GET /openapi.json differs from api/openapi.json")
		}
	})

	t.Run("it is OpenAPI 3.1", func(t *testing.T) {
		if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
			t.Errorf("openapi = %q, want 3.1.x", v)
		}
	})

	t.Run("it validates against the OpenAPI 3.1 schema", func(t *testing.T) {
		c := jsonschema.NewCompiler()
		c.LoadURL = func(s string) (_ io.ReadCloser, err error) { return nil, fmt.Errorf("remote schema %q refused", s) }
		f, err := os.Open(openapiMetaSchema)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := c.AddResource("mem://oas-3.1.json", f); err != nil {
			t.Fatal(err)
		}
		meta, err := c.Compile("mem://oas-3.1.json")
		if err != nil {
			t.Fatalf("compile the OpenAPI 3.1 schema: %v", err)
		}
		if err := meta.Validate(decodeNumbers(t, raw)); err != nil {
			t.Errorf("the document is not a valid OpenAPI 3.1 document: %#v", err)
		}
	})

	t.Run("every $ref resolves within the document", func(t *testing.T) {
		walkRefs(doc, "", func(at, ref string) {
			if !strings.HasPrefix(ref, "#/") {
				t.Errorf("%s: $ref %q is not local to the document", at, ref)
				return
			}
			if _, ok := pointer(doc, ref[1:]); !ok {
				t.Errorf("%s: $ref %q resolves to nothing", at, ref)
			}
		})
	})

	t.Run("every component schema compiles as JSON Schema 2020-12", func(t *testing.T) {
		c := docCompiler(t, raw)
		for name := range mapAt(doc, "components", "schemas") {
			if _, err := c.Compile(docURL + "#/components/schemas/" + name); err != nil {
				t.Errorf("schema %s: %v", name, err)
			}
		}
	})

	t.Run("every operation has an id, responses and a problem document for errors", func(t *testing.T) {
		ids := map[string]string{}
		forEachOperation(doc, func(method, path string, op map[string]any) {
			name := strings.ToUpper(method) + " " + path
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s has no operationId", name)
			} else if other, dup := ids[id]; dup {
				t.Errorf("%s and %s share the operationId %s", name, other, id)
			}
			ids[id] = name
			responses, _ := op["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s has no responses", name)
				return
			}
			ok := false
			for code, r := range responses {
				r = deref(doc, r)
				probe := path == "/readyz" && code == "503" // a probe's answer, not an error
				if !probe && (code == "default" || code[0] == '4' || code[0] == '5') {
					if _, problem := mapAt(r.(map[string]any), "content")["application/problem+json"]; !problem {
						t.Errorf("%s: response %s is not a problem document", name, code)
					}
				}
				ok = ok || code[0] == '2' || code[0] == '3'
			}
			if !ok {
				t.Errorf("%s documents no success response", name)
			}
		})
	})

	t.Run("every JSON request body is closed to unknown fields", func(t *testing.T) {
		forEachOperation(doc, func(method, path string, op map[string]any) {
			body, ok := op["requestBody"]
			if !ok || strings.Contains(path, "/webhooks/") { // Stripe's events are Stripe's shape
				return
			}
			s := deref(doc, mapAt(deref(doc, body).(map[string]any), "content", "application/json")["schema"])
			if s, _ := s.(map[string]any); s == nil || s["additionalProperties"] != false {
				t.Errorf("%s %s: the request body schema does not set additionalProperties: false", strings.ToUpper(method), path)
			}
		})
	})

	t.Run("it documents exactly the routes the app serves", func(t *testing.T) {
		documented := map[string]bool{}
		forEachOperation(doc, func(method, path string, _ map[string]any) { documented[strings.ToUpper(method)+" "+path] = true })
		served := servedRoutes(e.app)
		for _, r := range sortedKeys(served) {
			if !documented[r] {
				t.Errorf("route %s is served but not in openapi.json", r)
			}
		}
		for _, r := range sortedKeys(documented) {
			if !served[r] {
				t.Errorf("route %s is in openapi.json but not served", r)
			}
		}
	})

	t.Run("the schemas name exactly the JSON fields of the Go types", func(t *testing.T) {
		schemas := mapAt(doc, "components", "schemas")
		for name, typ := range schemaTypes {
			s, _ := schemas[name].(map[string]any)
			if s == nil {
				t.Errorf("no schema %s for %s", name, typ)
				continue
			}
			fields, omitempty := jsonFields(typ)
			props := sortedKeys(mapAt(s, "properties"))
			if !slices.Equal(props, fields) {
				t.Errorf("schema %s has properties %v; %s has JSON fields %v", name, props, typ, fields)
			}
			if s["additionalProperties"] == false { // a request body: the server decides what is required
				continue
			}
			var required []string
			for _, r := range asSlice(s["required"]) {
				required = append(required, r.(string))
			}
			sort.Strings(required)
			var want []string
			for _, f := range fields {
				if !omitempty[f] {
					want = append(want, f)
				}
			}
			if !slices.Equal(required, want) {
				t.Errorf("schema %s requires %v; %s always writes %v", name, required, typ, want)
			}
		}
	})
}

// schemaTypes maps component schemas to the Go types the handlers decode
// or encode with them.
var schemaTypes = map[string]reflect.Type{
	"Problem":              reflect.TypeFor[api.Problem](),
	"FieldError":           reflect.TypeFor[apperr.FieldError](),
	"Tenant":               reflect.TypeFor[tenants.Tenant](),
	"NewTenant":            reflect.TypeFor[tenants.NewTenant](),
	"TenantPatch":          reflect.TypeFor[tenants.TenantPatch](),
	"KeyInput":             reflect.TypeFor[tenants.KeyInput](),
	"APIKey":               reflect.TypeFor[tenants.APIKey](),
	"NewKey":               reflect.TypeFor[tenants.NewKey](),
	"Product":              reflect.TypeFor[catalog.Product](),
	"PublicProduct":        reflect.TypeFor[catalog.Public](),
	"ProductInput":         reflect.TypeFor[catalog.Input](),
	"ProductPatch":         reflect.TypeFor[catalog.Patch](),
	"Customer":             reflect.TypeFor[customers.Customer](),
	"Player":               reflect.TypeFor[customers.Player](),
	"CustomerInput":        reflect.TypeFor[customers.Input](),
	"PlayerInput":          reflect.TypeFor[customers.PlayerInput](),
	"CustomerCreated":      reflect.TypeFor[customers.Created](),
	"Order":                reflect.TypeFor[orders.Order](),
	"OrderEvent":           reflect.TypeFor[orders.Event](),
	"OrderPage":            reflect.TypeFor[orders.Page](),
	"CheckoutInput":        reflect.TypeFor[checkout.Input](),
	"CheckoutResult":       reflect.TypeFor[checkout.Result](),
	"RefundInput":          reflect.TypeFor[settlement.RefundInput](),
	"StripeSettingsInput":  reflect.TypeFor[payments.SettingsInput](),
	"StripeSettings":       reflect.TypeFor[payments.SettingsView](),
	"Discount":             reflect.TypeFor[discounts.Discount](),
	"DiscountInput":        reflect.TypeFor[discounts.Input](),
	"DiscountPatch":        reflect.TypeFor[discounts.Patch](),
	"DiscountTier":         reflect.TypeFor[discounts.Tier](),
	"AppliesTo":            reflect.TypeFor[discounts.AppliesTo](),
	"WebhookEndpointInput": reflect.TypeFor[leaguehooks.EndpointInput](),
	"WebhookAttempt":       reflect.TypeFor[leaguehooks.Attempt](),
	"WebhookAttemptPage":   reflect.TypeFor[leaguehooks.AttemptPage](),
}

// jsonFields lists the JSON member names of struct type t, sorted, with
// embedded structs flattened as encoding/json does, and which are omitempty.
func jsonFields(t reflect.Type) (names []string, omitempty map[string]bool) {
	omitempty = map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			inner, innerOmit := jsonFields(f.Type)
			names = append(names, inner...)
			for k, v := range innerOmit {
				omitempty[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
		omitempty[name] = strings.Contains(opts, "omitempty")
	}
	sort.Strings(names)
	return names, omitempty
}

// servedRoutes is the app's route table as "METHOD /openapi/{path}": group
// middleware (USE) and the HEAD routes Fiber adds to every GET left out.
func servedRoutes(app *fiber.App) map[string]bool {
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	out := map[string]bool{}
	routes := app.GetRoutes(true)
	gets := map[string]bool{}
	for _, r := range routes {
		if r.Method == fiber.MethodGet {
			gets[r.Path] = true
		}
	}
	for _, r := range routes {
		if r.Method == "USE" || (r.Method == fiber.MethodHead && gets[r.Path]) {
			continue
		}
		out[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	return out
}

func forEachOperation(doc map[string]any, fn func(method, path string, op map[string]any)) {
	paths := mapAt(doc, "paths")
	for _, path := range sortedKeys(paths) {
		item, _ := paths[path].(map[string]any)
		for _, m := range httpMethods {
			if op, ok := item[m].(map[string]any); ok {
				fn(m, path, op)
			}
		}
	}
}

// walkRefs calls fn for every "$ref" in v, with the JSON Pointer of where
// it is.
func walkRefs(v any, at string, fn func(at, ref string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "$ref" {
				fn(at, s)
				continue
			}
			walkRefs(child, at+"/"+escapePointer(k), fn)
		}
	case []any:
		for i, child := range v {
			walkRefs(child, at+"/"+strconv.Itoa(i), fn)
		}
	}
}

// pointer resolves a JSON Pointer ("/components/schemas/Order") in doc.
func pointer(doc any, ptr string) (any, bool) {
	cur := doc
	if ptr == "" {
		return cur, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// deref follows v's local $ref, if it has one, and returns its target.
func deref(doc map[string]any, v any) any {
	for i := 0; i < 10; i++ {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#") {
			return v
		}
		v, _ = pointer(doc, ref[1:])
	}
	return v
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// mapAt walks nested objects by key; a missing one gives an empty map.
func mapAt(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		if next == nil {
			return map[string]any{}
		}
		m = next
	}
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// decodeNumbers decodes JSON as the schema validator expects it.
func decodeNumbers(t testing.TB, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode: %v\n%s", err, raw)
	}
	return v
}

// docCompiler compiles schemas of the document (by JSON Pointer) as JSON
// Schema 2020-12, the OpenAPI 3.1 dialect, asserting formats.
func docCompiler(t testing.TB, raw []byte) *jsonschema.Compiler {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(s string) (io.ReadCloser, error) { return nil, fmt.Errorf("remote schema %q refused", s) }
	if err := c.AddResource(docURL, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	return c
}
