package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/internal/testkit/stripemock"
)

// randomToken is n random bytes, hex encoded: fresh Stripe-shaped ids and
// secrets for each test.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// stripeKeys are a league's own Stripe keys.
type stripeKeys struct {
	SecretKey, WebhookSecret string
}

// ownKeys saves fresh own keys as l's Stripe settings and returns them.
func (e *env) ownKeys(l league) stripeKeys {
	e.t.Helper()
	k := stripeKeys{SecretKey: "sk_test_" + randomToken(12), WebhookSecret: "whsec_" + randomToken(16)}
	e.must(204, "PUT", l.Base+"/admin/stripe", map[string]any{"secret_key": k.SecretKey, "webhook_secret": k.WebhookSecret},
		bearer(l.Admin)...)
	return k
}

// connectAccount saves a fresh Connect account as l's Stripe settings and
// returns its id.
func (e *env) connectAccount(l league) string {
	e.t.Helper()
	acct := "acct_" + randomToken(8)
	e.must(204, "PUT", l.Base+"/admin/stripe", map[string]any{"account_id": acct}, bearer(l.Admin)...)
	return acct
}

// kitConfig is a jersey without numbers: orders of it claim nothing, so a
// test may make as many as it likes.
var kitConfig = map[string]any{"top_sizes": []string{"YM"}, "bottom_sizes": []string{"YM"}, "number_required": false}

func kitData() map[string]any { return map[string]any{"top_size": "YM", "bottom_size": "YM"} }

// pricedKit creates a priced, unnumbered jersey and returns its id.
func (e *env) pricedKit(l league, name string, cents int) string {
	e.t.Helper()
	return e.product(l, map[string]any{"type": "jersey", "name": name, "price_cents": cents, "config": kitConfig})["id"].(string)
}

// pendingOrder checks out productID (a priced kit) for a new one-player
// household and returns the pending order.
func (e *env) pendingOrder(l league, productID string) map[string]any {
	e.t.Helper()
	_, token, _ := e.household(l, "Pat")
	r := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": productID,
		"custom_data": kitData()}).JSON()
	o := r["order"].(map[string]any)
	if o["status"] != "pending" || r["checkout_url"] == nil {
		e.t.Fatalf("checkout gave %v, want a pending order with a checkout_url", r)
	}
	return o
}

// order reads an order of l with its events.
func (e *env) order(l league, id any) map[string]any {
	e.t.Helper()
	return e.must(200, "GET", l.Base+"/admin/orders/"+id.(string), nil, bearer(l.Viewer)...).JSON()
}

// transitions lists an order's audit events as "from→to" ("→pending" for
// the first).
func transitions(o map[string]any) []string {
	var out []string
	for _, ev := range o["events"].([]any) {
		m := ev.(map[string]any)
		from, _ := m["from"].(string)
		out = append(out, from+"→"+m["to"].(string))
	}
	return out
}

// stripeEvent is a Stripe event as a webhook delivers it.
type stripeEvent struct {
	ID         string
	Type       string
	Account    string // Connect: the connected account
	APIVersion string // "": stripe-go's
	Object     map[string]any
}

func newEventID() string { return "evt_test_" + randomToken(12) }

// payload is the event's JSON body.
func (ev stripeEvent) payload() []byte {
	version := ev.APIVersion
	if version == "" {
		version = stripe.APIVersion
	}
	m := map[string]any{"id": ev.ID, "object": "event", "api_version": version, "created": time.Now().Unix(),
		"type": ev.Type, "livemode": false, "pending_webhooks": 1, "data": map[string]any{"object": ev.Object},
		"request": map[string]any{"id": nil, "idempotency_key": nil}}
	if ev.Account != "" {
		m["account"] = ev.Account
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// sessionEvent is an event of type typ about o's Checkout Session in
// tenant tenantID, as Stripe would send it for a session the platform
// created: metadata and amounts as the order has them.
func sessionEvent(typ string, o map[string]any, tenantID, paymentStatus string) stripeEvent {
	orderID := o["id"].(string)
	status := map[string]string{"checkout.session.expired": "expired"}[typ]
	if status == "" {
		status = "complete"
	}
	return stripeEvent{ID: newEventID(), Type: typ, Object: map[string]any{
		"id": o["stripe_checkout_session_id"], "object": "checkout.session", "mode": "payment",
		"client_reference_id": orderID, "metadata": map[string]any{"order_id": orderID, "tenant_id": tenantID},
		"amount_total": o["amount_cents"], "currency": o["currency"], "status": status,
		"payment_status": paymentStatus, "payment_intent": paymentIntentOf(o)}}
}

// paymentIntentOf is the payment intent id the tests give o's payment.
func paymentIntentOf(o map[string]any) string {
	return "pi_test_" + strings.ReplaceAll(o["id"].(string), "-", "")
}

// chargeRefunded is a charge.refunded event for o's payment with refunded
// cents refunded in total.
func chargeRefunded(o map[string]any, refunded int) stripeEvent {
	return stripeEvent{ID: newEventID(), Type: "charge.refunded", Object: map[string]any{
		"id": "ch_test_" + randomToken(8), "object": "charge", "amount": o["amount_cents"], "amount_refunded": refunded,
		"currency": o["currency"], "refunded": refunded == int(o["amount_cents"].(float64)),
		"payment_intent": paymentIntentOf(o), "metadata": map[string]any{}}}
}

// sign returns the Stripe-Signature header of payload signed with secret
// now.
func sign(payload []byte, secret string) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret}).Header
}

// deliver posts ev to path signed with secret.
func (e *env) deliver(path string, ev stripeEvent, secret string) resp {
	e.t.Helper()
	p := ev.payload()
	return e.do("POST", path, p, "Stripe-Signature", sign(p, secret))
}

// superuser runs SQL as the database owner, past row-level security: for
// what the API does not show (stored ciphertext, webhook_events, expiry).
type superuser struct {
	t    testing.TB
	conn *pgx.Conn
}

func asSuperuser(t testing.TB) *superuser {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &superuser{t: t, conn: conn}
}

func (s *superuser) scan(q string, args []any, dest ...any) {
	s.t.Helper()
	if err := s.conn.QueryRow(context.Background(), q, args...).Scan(dest...); err != nil {
		s.t.Fatalf("%s: %v", q, err)
	}
}

func (s *superuser) count(q string, args ...any) int {
	s.t.Helper()
	var n int
	s.scan(q, args, &n)
	return n
}

// eventRows is how many webhook_events rows hold event id.
func (s *superuser) eventRows(id string) int {
	return s.count(`SELECT count(*) FROM webhook_events WHERE event_id = $1`, id)
}

// eventOutcome is the recorded outcome of event id in tenant tenantID.
func (s *superuser) eventOutcome(tenantID, id string) string {
	s.t.Helper()
	var out string
	s.scan(`SELECT outcome FROM webhook_events WHERE tenant_id = $1 AND event_id = $2`, []any{tenantID, id}, &out)
	return out
}

// stripeCall is one request the platform sent to Stripe.
type stripeCall struct {
	Method, Path   string
	IdempotencyKey string
	Account        string // the Stripe-Account header (Connect)
	Key            string // the secret key it was authenticated with
	Form           url.Values
}

// stripeRecorder is a pass-through proxy in front of the package's
// stripe-mock: every request still goes to the real stripe-mock, and the
// recorder keeps what was sent, so tests can see which key, account,
// idempotency key and parameters each call carried. It observes; it
// answers nothing itself.
type stripeRecorder struct {
	URL   string
	mu    sync.Mutex
	calls []stripeCall
}

func newStripeRecorder(t testing.TB) *stripeRecorder {
	t.Helper()
	return newStripeRecorderTo(t, stripemock.URL(t))
}

// newStripeRecorderTo is a recorder in front of upstream (stripe-mock, or a
// proxy in front of it) instead of the package's stripe-mock.
func newStripeRecorderTo(t testing.TB, upstream string) *stripeRecorder {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	r := &stripeRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if req.Method == http.MethodGet {
			form = req.URL.Query()
		}
		r.mu.Lock()
		r.calls = append(r.calls, stripeCall{Method: req.Method, Path: req.URL.Path,
			IdempotencyKey: req.Header.Get("Idempotency-Key"), Account: req.Header.Get("Stripe-Account"),
			Key: strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "), Form: form})
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// find returns the calls of method to path, in order.
func (r *stripeRecorder) find(method, path string) []stripeCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []stripeCall
	for _, c := range r.calls {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// count is how many calls the recorder has seen.
func (r *stripeRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// sessionFor returns the checkout session create of order id, failing t
// unless there is exactly one.
func (r *stripeRecorder) sessionFor(t testing.TB, orderID any) stripeCall {
	t.Helper()
	var found []stripeCall
	for _, c := range r.find("POST", "/v1/checkout/sessions") {
		if c.Form.Get("client_reference_id") == orderID {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d checkout sessions created for order %v, want 1", len(found), orderID)
	}
	return found[0]
}
