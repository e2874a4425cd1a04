package leaguehooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/apptest"
	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/leaguehooks"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/tenants"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// received is one delivery as the league's receiver saw it.
type received struct {
	Type, Signature string
	Body            []byte
	At              time.Time
	Answered        int
}

// receiver is a league's endpoint: answer decides, per delivery (counted
// from 1), the status it answers and how long it takes first.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, eventType string) (int, time.Duration)
}

func newReceiver(t *testing.T, answer func(n int, eventType string) (int, time.Duration)) *receiver {
	r := &receiver{answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev struct{ Type string }
		_ = json.Unmarshal(body, &ev)
		r.mu.Lock()
		n := len(r.got) + 1
		code, wait := r.answer(n, ev.Type)
		r.got = append(r.got, received{Type: ev.Type, Signature: req.Header.Get("Checkout-Signature"), Body: body,
			At: time.Now(), Answered: code})
		r.mu.Unlock()
		select {
		case <-time.After(wait):
		case <-req.Context().Done():
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitFor waits until the receiver holds n deliveries answered 2xx.
func (r *receiver) waitFor(t *testing.T, n int, within time.Duration) []received {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		var ok []received
		for _, g := range r.all() {
			if g.Answered >= 200 && g.Answered < 300 {
				ok = append(ok, g)
			}
		}
		if len(ok) >= n {
			return ok
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries answered 2xx after %v, want %d (all: %d)", len(ok), within, n, len(r.all()))
		}
	}
}

// league is a tenant with a free product and a one-player household.
type league struct {
	a       *app.App
	tenant  tenants.Tenant
	product catalog.Product
}

func newLeague(t *testing.T, a *app.App) league {
	t.Helper()
	ctx := context.Background()
	ten, err := a.Tenants.Create(ctx, tenants.NewTenant{Slug: "hooks-" + uuid.NewString()[:8], Name: "Hooks League"})
	if err != nil {
		t.Fatal(err)
	}
	zero := int64(0)
	p, err := a.Catalog.Create(ctx, ten.ID, ten.Currency, catalog.Input{Type: "jersey", Name: "Opt out", PriceCents: &zero,
		Config: json.RawMessage(`{"opt_out": true}`)})
	if err != nil {
		t.Fatal(err)
	}
	return league{a: a, tenant: ten, product: p}
}

// buy makes a new household and checks the free product out for it.
func (l league) buy(t *testing.T) orders.Order {
	t.Helper()
	ctx := context.Background()
	c, err := l.a.Customers.Create(ctx, l.tenant.ID, customers.Input{Name: "Doe", Email: "doe@example.com",
		Players: []customers.PlayerInput{{FirstName: "Ann", LastName: "Doe"}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.a.Checkout.Checkout(ctx, checkout.Request{TenantID: l.tenant.ID, TenantSlug: l.tenant.Slug,
		OriginAllowed: l.tenant.OriginAllowed, Input: checkout.Input{RegistrationToken: c.RegistrationToken,
			ProductID: l.product.ID.String()}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Order
}

func (l league) endpoint(t *testing.T, url string, events ...string) leaguehooks.Endpoint {
	t.Helper()
	e, err := l.a.LeagueHooks.Create(context.Background(), l.tenant.ID, leaguehooks.EndpointInput{URL: url, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// attempts waits until the endpoint's deliveries log has n entries and
// returns them.
func (l league) attempts(t *testing.T, ep leaguehooks.Endpoint, n int) leaguehooks.AttemptPage {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		page, err := l.a.LeagueHooks.Attempts(context.Background(), l.tenant.ID, ep.ID, 50, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) >= n || time.Now().After(deadline) {
			if len(page.Data) != n {
				t.Fatalf("the deliveries log has %d entries, want %d", len(page.Data), n)
			}
			return page
		}
	}
}

// delivery is the body of a delivery.
type delivery struct {
	ID        uuid.UUID      `json:"id"`
	Type      string         `json:"type"`
	CreatedAt time.Time      `json:"created_at"`
	Tenant    string         `json:"tenant"`
	Data      map[string]any `json:"data"`
}

func TestDeliveries(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Config("http://127.0.0.1:1"), app.Options{})
	l := newLeague(t, a)

	t.Run("each subscribed event is delivered once, signed, in order, as the contract's body", func(t *testing.T) {
		r := newReceiver(t, func(int, string) (int, time.Duration) { return 200, 0 })
		ep := l.endpoint(t, r.srv.URL+"/hooks", "order.created", "order.paid")
		unsubscribed := l.endpoint(t, r.srv.URL+"/other", "order.refunded")
		o := l.buy(t)
		got := r.waitFor(t, 2, 10*time.Second)
		time.Sleep(300 * time.Millisecond) // a duplicate would arrive by now
		if all := r.all(); len(all) != 2 {
			t.Fatalf("%d deliveries, want 2 (order.created, order.paid) and none to the endpoint of order.refunded", len(all))
		}
		for i, want := range []string{"order.created", "order.paid"} {
			var d delivery
			if err := json.Unmarshal(got[i].Body, &d); err != nil {
				t.Fatal(err)
			}
			if d.Type != want || d.Tenant != l.tenant.Slug || d.Data["id"] != o.ID.String() || d.Data["status"] != "paid" ||
				d.ID == uuid.Nil || d.CreatedAt.IsZero() {
				t.Errorf("delivery %d: %s", i, got[i].Body)
			}
			if !strings.HasPrefix(got[i].Signature, "t=") || !validSignature(ep.Secret, got[i]) {
				t.Errorf("delivery %d has signature %q, which the endpoint's secret does not verify", i, got[i].Signature)
			}
		}
		page, err := a.LeagueHooks.Attempts(context.Background(), l.tenant.ID, ep.ID, 10, "")
		if err != nil || len(page.Data) != 2 || *page.Data[0].StatusCode != 200 || page.Data[0].NextAttemptAt != nil {
			t.Errorf("deliveries log %+v, %v", page, err)
		}
		if err := a.LeagueHooks.Delete(context.Background(), l.tenant.ID, ep.ID); err != nil {
			t.Fatal(err)
		}
		if err := a.LeagueHooks.Delete(context.Background(), l.tenant.ID, unsubscribed.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a failing receiver is retried with growing delays until it recovers; a slow one is waited for", func(t *testing.T) {
		r := newReceiver(t, func(n int, _ string) (int, time.Duration) {
			if n <= 3 {
				return 503, 0
			}
			return 200, 300 * time.Millisecond
		})
		ep := l.endpoint(t, r.srv.URL, "order.created")
		l.buy(t)
		got := r.waitFor(t, 1, 20*time.Second)
		all := r.all()
		if len(all) != 4 || got[0].Answered != 200 {
			t.Fatalf("%d attempts, want 3 refused and 1 delivered", len(all))
		}
		base := 50 * time.Millisecond // apptest's CHECKOUT_WEBHOOKS_RETRY_BASE
		for i := 1; i < len(all); i++ {
			if gap, least := all[i].At.Sub(all[i-1].At), base<<(i-1); gap < least {
				t.Errorf("attempt %d came %v after the last, want at least %v", i+1, gap, least)
			}
		}
		page := l.attempts(t, ep, 4)
		for i, at := range page.Data { // newest first
			wantCode, wantNext := 503, true
			if i == 0 {
				wantCode, wantNext = 200, false
			}
			if at.Attempt != 4-i || at.StatusCode == nil || *at.StatusCode != wantCode || (at.NextAttemptAt != nil) != wantNext {
				t.Errorf("log entry %d: %+v", i, at)
			}
		}
		_ = a.LeagueHooks.Delete(context.Background(), l.tenant.ID, ep.ID)
	})

	t.Run("an object's later event waits while its earlier one is being retried", func(t *testing.T) {
		r := newReceiver(t, func(n int, typ string) (int, time.Duration) {
			if typ == "order.created" && n <= 2 {
				return 500, 0
			}
			return 200, 0
		})
		ep := l.endpoint(t, r.srv.URL, "order.created", "order.paid")
		l.buy(t)
		got := r.waitFor(t, 2, 20*time.Second)
		if got[0].Type != "order.created" || got[1].Type != "order.paid" {
			t.Errorf("delivered %s then %s, want order.created first", got[0].Type, got[1].Type)
		}
		for _, g := range r.all() {
			if g.Type == "order.paid" && g.At.Before(got[0].At) {
				t.Errorf("order.paid was sent before order.created was delivered")
			}
		}
		_ = a.LeagueHooks.Delete(context.Background(), l.tenant.ID, ep.ID)
	})

	t.Run("a redirect to the metadata address is refused at dial time", func(t *testing.T) {
		r := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
		t.Cleanup(r.Close)
		ep := l.endpoint(t, r.URL, "order.created")
		l.buy(t)
		var page leaguehooks.AttemptPage
		for deadline := time.Now().Add(10 * time.Second); len(page.Data) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			page, _ = a.LeagueHooks.Attempts(context.Background(), l.tenant.ID, ep.ID, 1, "")
		}
		if len(page.Data) == 0 || page.Data[0].Error == nil || !strings.Contains(*page.Data[0].Error, "may not reach") {
			t.Errorf("deliveries log %+v, want the attempt refused", page.Data)
		}
		_ = a.LeagueHooks.Delete(context.Background(), l.tenant.ID, ep.ID)
	})
}

func TestTimeoutIsAFailure(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Config("http://127.0.0.1:1"), app.Options{})
	l := newLeague(t, a)
	r := newReceiver(t, func(n int, _ string) (int, time.Duration) {
		if n == 1 {
			return 200, leaguehooks.Timeout + 2*time.Second
		}
		return 200, 0
	})
	ep := l.endpoint(t, r.srv.URL, "order.created")
	l.buy(t)
	r.waitFor(t, 2, 30*time.Second)
	page := l.attempts(t, ep, 2)
	first := page.Data[1]
	if first.StatusCode != nil || first.Error == nil || !strings.Contains(*first.Error, "no answer within") || first.NextAttemptAt == nil {
		t.Errorf("the timed-out attempt is logged as %+v", first)
	}
}

func validSignature(secret string, r received) bool {
	ts, _, _ := strings.Cut(strings.TrimPrefix(r.Signature, "t="), ",")
	unix, err := time.Parse(time.RFC3339, time.Unix(atoi(ts), 0).UTC().Format(time.RFC3339))
	if err != nil {
		return false
	}
	return leaguehooks.Sign([]byte(secret), unix, r.Body) == r.Signature
}

func atoi(s string) int64 {
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
