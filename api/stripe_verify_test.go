package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/leaguepay/checkout/internal/testkit/stripemock"
)

// stripeGate is a proxy in front of the package's stripe-mock that gives
// the answers about accounts stripe-mock cannot: which account a secret key
// belongs to (stripe-mock invents a fresh id for every GET /v1/account; the
// gate turns the request into GET /v1/accounts/{the key's account}, which
// stripe-mock answers with that id) and Stripe's errors for accounts that are
// not connected to the platform. Every other request passes through as is.
type stripeGate struct {
	URL      string
	Platform string // the account of the platform's key (testPayments)
	mu       sync.Mutex
	owners   map[string]string // secret key -> its account
	refused  map[string]int    // account -> the status Stripe refuses it with
}

func newStripeGate(t testing.TB) *stripeGate {
	t.Helper()
	target, err := url.Parse(stripemock.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	g := &stripeGate{Platform: "acct_1platform" + randomToken(6), refused: map[string]int{}}
	g.owners = map[string]string{testPayments.PlatformSecretKey: g.Platform}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		g.mu.Lock()
		owner := g.owners[key]
		status := g.refused[strings.TrimPrefix(r.URL.Path, "/v1/accounts/")]
		g.mu.Unlock()
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/account" && owner != "":
			r.URL.Path = "/v1/accounts/" + owner
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/accounts/") && status != 0:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"type":"invalid_request_error","message":"The provided key does not have access to account '%s' (or that account does not exist)."}}`,
				strings.TrimPrefix(r.URL.Path, "/v1/accounts/"))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// own makes key a key of account acct.
func (g *stripeGate) own(key, acct string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.owners[key] = acct
}

// refuse makes Stripe answer a read of account acct with status.
func (g *stripeGate) refuse(acct string, status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refused[acct] = status
}

// newGatedEnv is newEnv whose Stripe calls pass through a recorder, then a
// gate, on their way to stripe-mock.
func newGatedEnv(t *testing.T) (*env, *stripeGate, *stripeRecorder) {
	t.Helper()
	gate := newStripeGate(t)
	rec := newStripeRecorderTo(t, gate.URL)
	return &env{t: t, app: buildApp(t, withStripe(rec.URL))}, gate, rec
}

// stripeRow is what stripe_settings holds for a tenant, "" for NULL and
// "none" when there is no row.
func (s *superuser) stripeRow(tenantID string) string {
	s.t.Helper()
	if s.count(`SELECT count(*) FROM stripe_settings WHERE tenant_id = $1`, tenantID) == 0 {
		return "none"
	}
	var row string
	s.scan(`SELECT concat_ws('|', mode, encode(secret_key_enc, 'hex'), encode(webhook_secret_enc, 'hex'), secret_key_last4,
		account_id, own_account_id) FROM stripe_settings WHERE tenant_id = $1`, []any{tenantID}, &row)
	return row
}

// ownAccount is the account stored for the tenant's own keys, "" for none.
func (s *superuser) ownAccount(tenantID string) string {
	s.t.Helper()
	var acct string
	s.scan(`SELECT coalesce(own_account_id, '') FROM stripe_settings WHERE tenant_id = $1`, []any{tenantID}, &acct)
	return acct
}

func TestStripeSettingsAreCheckedWithStripe(t *testing.T) {
	e, gate, rec := newGatedEnv(t)
	down := &env{t: t, app: buildApp(t, withStripe("http://127.0.0.1:1"))}
	su := asSuperuser(t)
	l, other := e.newLeague(), e.newLeague()
	path := l.Base + "/admin/stripe"
	get := func() map[string]any { return e.must(200, "GET", path, nil, bearer(l.Admin)...).JSON() }
	key, secret, acct := "sk_test_"+randomToken(12), "whsec_"+randomToken(16), "acct_1own"+randomToken(6)
	gate.own(key, acct)

	t.Run("own keys store the account Stripe reads with the new key", func(t *testing.T) {
		e.must(204, "PUT", path, map[string]any{"secret_key": key, "webhook_secret": secret}, bearer(l.Admin)...)
		calls := rec.find("GET", "/v1/account")
		if len(calls) == 0 || calls[len(calls)-1].Key != key || calls[len(calls)-1].Account != "" {
			t.Fatalf("GET /v1/account calls %+v, want the last with the new key and no Stripe-Account", calls)
		}
		if got := su.ownAccount(l.ID); got != acct {
			t.Errorf("own_account_id %q, want %q", got, acct)
		}
	})
	t.Run("GET /stripe still shows no secret and no own account", func(t *testing.T) {
		r := e.must(200, "GET", path, nil, bearer(l.Admin)...)
		want := map[string]any{"mode": "own_keys", "secret_key_last4": key[len(key)-4:], "account_id": nil,
			"webhook_url": "http://checkout.test/v1/tenants/" + l.Slug + "/webhooks/stripe"}
		if got := r.JSON(); !reflect.DeepEqual(got, want) {
			t.Errorf("settings %v, want %v", got, want)
		}
		for _, s := range []string{key, key[:len(key)-4], secret, strings.TrimPrefix(secret, "whsec_")} {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("GET /stripe shows %q: %s", s, r.Body)
			}
		}
	})

	type refusal struct {
		name   string
		app    *env
		body   map[string]any
		status int
		field  string // of the 422
	}
	refused := []refusal{
		{"a key Stripe does not accept (stripe-mock refuses live keys)", e,
			map[string]any{"secret_key": "sk_live_" + randomToken(12), "webhook_secret": secret}, 422, "/secret_key"},
		{"own keys while Stripe is unreachable", down,
			map[string]any{"secret_key": "sk_test_" + randomToken(12), "webhook_secret": secret}, 502, ""},
		{"a Connect account while Stripe is unreachable", down, map[string]any{"account_id": "acct_" + randomToken(8)}, 502, ""},
		{"the platform's own account", e, map[string]any{"account_id": gate.Platform}, 422, "/account_id"},
	}
	for _, status := range []int{400, 403, 404, 500} {
		a := "acct_" + randomToken(8)
		gate.refuse(a, status)
		tc := refusal{fmt.Sprintf("an account Stripe refuses to show the platform (%d)", status), e,
			map[string]any{"account_id": a}, 422, "/account_id"}
		if status == 500 {
			tc = refusal{"a Connect account while Stripe fails (500)", e, map[string]any{"account_id": a}, 502, ""}
		}
		refused = append(refused, tc)
	}

	for _, tc := range refused {
		for _, lg := range []league{l, other} {
			before, beforeRow := e.must(200, "GET", lg.Base+"/admin/stripe", nil, bearer(lg.Admin)...).JSON(), su.stripeRow(lg.ID)
			name := fmt.Sprintf("%s is a %d that changes nothing for a league with mode %v", tc.name, tc.status, before["mode"])
			t.Run(name, func(t *testing.T) {
				r := tc.app.do("PUT", lg.Base+"/admin/stripe", tc.body, bearer(lg.Admin)...)
				if tc.status == 502 {
					isoProblem(t, r, 502, "/problems/payment-provider")
					if strings.Contains(string(r.Body), "127.0.0.1") || strings.Contains(string(r.Body), "sk_") {
						t.Errorf("the problem leaks the provider's error: %s", r.Body)
					}
				} else {
					isoProblem(t, r, 422, "/problems/validation")
					if !slices.Equal(r.Fields(), []string{tc.field}) {
						t.Errorf("fields %v, want [%s]: %s", r.Fields(), tc.field, r.Body)
					}
					if tc.field == "/account_id" && !strings.Contains(string(r.Body), "not an account connected to this platform") {
						t.Errorf("the problem does not say why: %s", r.Body)
					}
				}
				after := e.must(200, "GET", lg.Base+"/admin/stripe", nil, bearer(lg.Admin)...).JSON()
				if !reflect.DeepEqual(after, before) || su.stripeRow(lg.ID) != beforeRow {
					t.Errorf("settings changed: %v, were %v", after, before)
				}
				if a, ok := tc.body["account_id"]; ok && su.count(`SELECT count(*) FROM connect_accounts WHERE account_id = $1`, a) != 0 {
					t.Errorf("account %v was claimed", a)
				}
			})
		}
	}

	connected := "acct_" + randomToken(8)
	t.Run("a connected account is read with the platform's key, without Stripe-Account, then stored", func(t *testing.T) {
		e.must(204, "PUT", path, map[string]any{"account_id": connected}, bearer(l.Admin)...)
		calls := rec.find("GET", "/v1/accounts/"+connected)
		if len(calls) != 1 || calls[0].Key != testPayments.PlatformSecretKey || calls[0].Account != "" {
			t.Errorf("calls %+v, want one with the platform's key and no Stripe-Account", calls)
		}
		if got := get(); got["mode"] != "connect" || got["account_id"] != connected {
			t.Errorf("settings %v", got)
		}
		if got := su.stripeRow(l.ID); got != "connect|"+connected {
			t.Errorf("stored %q: own keys and their account should be gone", got)
		}
	})
	t.Run("an account Stripe confirms is still a 409 on /account_id when another league holds it", func(t *testing.T) {
		r := e.do("PUT", other.Base+"/admin/stripe", map[string]any{"account_id": connected}, bearer(other.Admin)...)
		isoProblem(t, r, 409, "/problems/conflict")
		if !slices.Equal(r.Fields(), []string{"/account_id"}) {
			t.Errorf("fields %v", r.Fields())
		}
	})
}

func TestStripeCustomerAcrossKeyRoll(t *testing.T) {
	e, gate, rec := newGatedEnv(t)
	su := asSuperuser(t)
	l := e.newLeague()
	acct, otherAcct := "acct_1own"+randomToken(6), "acct_1own"+randomToken(6)
	keys := []string{"sk_test_" + randomToken(12), "rk_test_" + randomToken(12), "sk_test_" + randomToken(12)}
	gate.own(keys[0], acct)
	gate.own(keys[1], acct)
	gate.own(keys[2], otherAcct)
	put := func(key string) {
		e.must(204, "PUT", l.Base+"/admin/stripe", map[string]any{"secret_key": key, "webhook_secret": "whsec_" + randomToken(16)},
			bearer(l.Admin)...)
	}
	household, token, _ := e.household(l, "Ann")
	// checkout buys a new kit for the household and returns its session call.
	checkout := func(name string) stripeCall {
		kit := e.pricedKit(l, name, 2500)
		r := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": kit,
			"custom_data": kitData()}).JSON()
		return rec.sessionFor(t, r["order"].(map[string]any)["id"])
	}
	creates := func() []stripeCall {
		var out []stripeCall
		for _, c := range rec.find("POST", "/v1/customers") {
			if c.Form.Get("metadata[household_id]") == household {
				out = append(out, c)
			}
		}
		return out
	}

	put(keys[0])
	first := checkout("Home kit")
	customer := first.Form.Get("customer")
	if n := len(creates()); n != 1 || !strings.HasPrefix(customer, "cus_") {
		t.Fatalf("%d customers created, session customer %q", n, customer)
	}
	t.Run("a new key of the same account reuses the stored customer", func(t *testing.T) {
		put(keys[1])
		second := checkout("Away kit")
		if second.Key != keys[1] || second.Form.Get("customer") != customer {
			t.Errorf("second session with key %q and customer %q, want %q and %q", second.Key, second.Form.Get("customer"), keys[1], customer)
		}
		if n := len(creates()); n != 1 {
			t.Errorf("%d customers created, want 1", n)
		}
		if n := su.count(`SELECT count(*) FROM stripe_customers WHERE tenant_id = $1 AND customer_id = $2 AND account_ref = $3`,
			l.ID, household, "own:"+acct+":test"); n != 1 {
			t.Errorf("%d stripe_customers rows on own:%s:test, want 1", n, acct)
		}
	})
	t.Run("a key of another account gets a customer of that account", func(t *testing.T) {
		put(keys[2])
		third := checkout("Third kit")
		c := creates()
		if len(c) != 2 || c[1].Key != keys[2] || !strings.HasSuffix(c[1].IdempotencyKey, ":own:"+otherAcct+":test") {
			t.Fatalf("customer creates %+v", c)
		}
		if third.Form.Get("customer") == customer {
			t.Errorf("the other account's session uses the first account's customer %q", customer)
		}
	})
	t.Run("settings saved before the account was recorded fall back to a digest of the key, not its last four", func(t *testing.T) {
		if _, err := su.conn.Exec(t.Context(), `UPDATE stripe_settings SET own_account_id = NULL WHERE tenant_id = $1`, l.ID); err != nil {
			t.Fatal(err)
		}
		// A new process (the account is cached for a while in each).
		e.app = buildApp(t, withStripe(rec.URL))
		checkout("Fourth kit")
		sum := sha256.Sum256([]byte(keys[2]))
		c := creates()
		if len(c) != 3 || !strings.HasSuffix(c[2].IdempotencyKey, ":own:key-"+hex.EncodeToString(sum[:8])) {
			t.Fatalf("customer creates %+v", c)
		}
	})
}
