package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/apptest"
	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/internal/testkit/stripemock"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/secrets"
)

// TestMain gives the package its own database and one stripe-mock process
// that every test's Stripe calls go to.
func TestMain(m *testing.M) {
	os.Exit(stripemock.Main(func() int { return dbtest.Run(m) }))
}

const platformToken = apptest.PlatformToken

// The payment configuration of every test app (apptest.Config), as
// cmd/checkout reads it from CHECKOUT_ENCRYPTION_KEY, STRIPE_SECRET_KEY,
// STRIPE_WEBHOOK_SECRET and CHECKOUT_PUBLIC_URL.
var (
	testEncryptionKey = apptest.EncryptionKey
	testPayments      = payments.Config{
		PlatformSecretKey:     apptest.PlatformSecretKey,
		PlatformWebhookSecret: apptest.PlatformWebhookSecret,
		PublicURL:             apptest.PublicURL,
	}
)

// env is a running API over the package's database.
type env struct {
	t   testing.TB
	app *fiber.App
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return &env{t: t, app: buildApp(t, nil)}
}

// tweak adjusts a test app's configuration or options before it is wired.
type tweak func(*config.Config, *app.Options)

// buildApp wires the API over the package's database with app.New, as
// checkout serve does, with Stripe calls going to the package's
// stripe-mock; tw, when not nil, adjusts the configuration first (another
// platform token, a lower rate limit, another Stripe address).
func buildApp(tb testing.TB, tw tweak) *fiber.App {
	tb.Helper()
	return buildFull(tb, tw).HTTP
}

// buildFull is buildApp answering the whole application.
func buildFull(tb testing.TB, tw tweak) *app.App {
	tb.Helper()
	cfg := apptest.Config(stripemock.URL(tb))
	var o app.Options
	if tw != nil {
		tw(&cfg, &o)
	}
	return apptest.New(tb, cfg, o)
}

// buildAppOn is buildApp over d: the package's database reached another
// way (through a proxy a test can cut).
func buildAppOn(tb testing.TB, d *db.DB, tw tweak) *fiber.App {
	tb.Helper()
	return buildApp(tb, func(c *config.Config, o *app.Options) {
		o.DB = d
		if tw != nil {
			tw(c, o)
		}
	})
}

// testBox is the Box of CHECKOUT_ENCRYPTION_KEY=testEncryptionKey.
func testBox(tb testing.TB) *secrets.Box {
	tb.Helper()
	box, err := secrets.NewBox(testEncryptionKey)
	if err != nil {
		tb.Fatal(err)
	}
	return box
}

// withStripe is a tweak that sends Stripe calls to url (a recorder in
// front of stripe-mock, or an address that refuses).
func withStripe(url string) tweak {
	return func(c *config.Config, _ *app.Options) { c.StripeAPIURL = url }
}

// settled waits until the package's database has no pending outbox event
// and no paid hook waiting to run: what happens after a commit has happened.
func settled(tb testing.TB) {
	tb.Helper()
	su := asSuperuser(tb)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := su.count(`SELECT count(*) FROM events WHERE dispatched_at IS NULL`) +
			su.count(`SELECT count(*) FROM river.river_job WHERE kind = 'settlement.paid_hook'
			AND state IN ('available', 'running', 'pending')`)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d events or paid hooks after a commit still waiting after 15 s", n)
		}
	}
}

// resp is a decoded response.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map.
func (r resp) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// wantProblem fails t unless the response is an RFC 9457 problem document.
func (r resp) wantProblem(t testing.TB) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("content type %q, want application/problem+json", ct)
	}
}

// Fields lists the "field" of every error of a problem document.
func (r resp) Fields() []string {
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	_ = json.Unmarshal(r.Body, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// do sends a request; body may be nil, a string (sent as is) or a value
// (sent as JSON). headers are name, value pairs.
func (e *env) do(method, path string, body any, headers ...string) resp {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.app.Test(req, 30_000)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(want int, method, path string, body any, headers ...string) resp {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// league is a provisioned tenant with a key of each role.
type league struct {
	Slug, ID               string
	Admin, Manager, Viewer string
	Base                   string // /v1/tenants/{slug}
}

func (e *env) newLeague(origins ...string) league {
	e.t.Helper()
	slug := fmt.Sprintf("league-%08x", rand.Uint32())
	if origins == nil {
		origins = []string{"https://league.example"}
	}
	r := e.must(201, "POST", "/v1/platform/tenants",
		map[string]any{"slug": slug, "name": "League " + slug, "allowed_redirect_origins": origins}, bearer(platformToken)...)
	l := league{Slug: slug, ID: r.JSON()["id"].(string), Base: "/v1/tenants/" + slug}
	for _, role := range []string{"admin", "manager", "viewer"} {
		k := e.must(201, "POST", "/v1/platform/tenants/"+slug+"/api-keys",
			map[string]any{"role": role, "name": role}, bearer(platformToken)...).JSON()["key"].(string)
		switch role {
		case "admin":
			l.Admin = k
		case "manager":
			l.Manager = k
		default:
			l.Viewer = k
		}
	}
	return l
}

// product creates a product and returns its JSON.
func (e *env) product(l league, body map[string]any) map[string]any {
	e.t.Helper()
	return e.must(201, "POST", l.Base+"/admin/products", body, bearer(l.Manager)...).JSON()
}

// household creates a customer with the given players' first names and
// returns its id, its token and its players' ids.
func (e *env) household(l league, firstNames ...string) (id, token string, players []string) {
	e.t.Helper()
	var ps []map[string]any
	for _, n := range firstNames {
		ps = append(ps, map[string]any{"first_name": n, "last_name": "Doe"})
	}
	r := e.must(201, "POST", l.Base+"/admin/customers",
		map[string]any{"name": "Doe family", "email": "doe@example.com", "players": ps}, bearer(l.Manager)...).JSON()
	c := r["customer"].(map[string]any)
	for _, p := range c["players"].([]any) {
		players = append(players, p.(map[string]any)["id"].(string))
	}
	return c["id"].(string), r["registration_token"].(string), players
}

// Fixtures shared by the tests.
var (
	jerseyConfig = map[string]any{"top_sizes": []string{"YS", "YM", "AM"}, "bottom_sizes": []string{"YS", "YM", "AM"},
		"number_min": 0, "number_max": 99, "number_required": true, "number_scope": "blue-2026"}
	optOutConfig   = map[string]any{"opt_out": true}
	contractConfig = map[string]any{"season": "2026", "terms_version": "v1", "terms_text": "Be kind."}
)

func freeJersey(name string) map[string]any {
	return map[string]any{"type": "jersey", "name": name, "price_cents": 0, "config": jerseyConfig}
}

func jerseyData(number int) map[string]any {
	return map[string]any{"jersey_number": number, "top_size": "ym", "bottom_size": " YM "}
}
