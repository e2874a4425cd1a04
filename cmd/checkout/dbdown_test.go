package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/leaguepay/checkout/internal/testkit/stripemock"
)

// TestPostgresStoppedMidLoad runs the real binary on a PostgreSQL of the
// test's own, drives free checkouts (each taking a jersey number) and
// signed webhook deliveries (each settling a priced order) at it, and stops
// PostgreSQL twice in the middle of the load, once cleanly (-m fast) and
// once as a crash would (-m immediate). While it is down /readyz and every
// request answer 503 problems that name no driver detail; once it is back
// the same process serves again; and at the end every order is complete
// with its events and claims, or absent.
func TestPostgresStoppedMidLoad(t *testing.T) {
	pg := startCluster(t)
	adminURL, appURL := pg.checkoutDatabase(t)
	stripeURL := stripemock.Start(t)
	s := startServer(t, checkoutBinary(t), "CHECKOUT_DATABASE_URL="+appURL, "CHECKOUT_PAYMENTS=stripe",
		"CHECKOUT_STRIPE_API_URL="+stripeURL, "CHECKOUT_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(make([]byte, 32)))
	lg := ddSetup(t, s)
	ld := newDDLoad(s, lg, pg.port)
	ld.start(t)
	ld.waitUp(t, 20)

	for _, mode := range []string{"fast", "immediate"} {
		t.Run("stopped with -m "+mode+": 503 while down, served again by the same process once it is back", func(t *testing.T) {
			ddOutage(t, s, pg, ld, mode)
		})
	}
	ld.finish(t)

	t.Run("no answer was a 500, an error that is not a problem document, or driver text", func(t *testing.T) {
		for _, f := range ld.failures {
			t.Error(f)
		}
		t.Logf("%d checkouts, %d webhook events; %d answers 2xx while up, %d answers 503 while down (%d to webhooks)",
			len(ld.done), len(ld.delivered), ld.okUp.Load(), ld.down503.Load(), ld.down503Events.Load())
	})
	t.Run("every order is complete with its events and claims, or absent, and none is duplicated", func(t *testing.T) {
		ddCheckDatabase(t, adminURL, lg, ld)
	})
}

// ddOutage stops PostgreSQL under the load and starts it again.
func ddOutage(t *testing.T, s *server, pg *pgCluster, ld *ddLoad, mode string) {
	ld.phase.Store(phaseChanging)
	pg.stop(t, mode)
	ld.phase.Store(phaseDown)
	downFrom := ld.down503.Load()

	if res, raw := ddWaitStatus(t, s, "/readyz", 503, 10*time.Second); !bytes.Contains(raw, []byte(`"database unavailable"`)) {
		t.Errorf("/readyz while PostgreSQL is down: %d %s", res.StatusCode, raw)
	}
	probes := []struct{ path, token string }{
		{"/v1/tenants/" + ld.lg.coldSlug + "/products", ""}, // a tenant no request has looked up yet
		{ld.lg.base + "/admin/orders", ld.lg.admin},
		{"/v1/platform/tenants", lcPlatformToken},
	}
	for _, p := range probes {
		res, raw, err := s.do(http.DefaultClient, "GET", p.path, p.token, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", p.path, err)
		}
		if msg := ddProblemIssue(res, raw, pg.port); res.StatusCode != 503 || msg != "" {
			t.Errorf("GET %s while PostgreSQL is down: %d %s %s", p.path, res.StatusCode, msg, raw)
		}
	}
	// Hold it down until both kinds of request have met the outage.
	eventsFrom, downAt := ld.down503Events.Load(), time.Now()
	for deadline := downAt.Add(10 * time.Second); ld.down503.Load() < downFrom+40 || ld.down503Events.Load() < eventsFrom+3 ||
		time.Since(downAt) < 500*time.Millisecond; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the load got %d answers 503 (%d to webhooks) while PostgreSQL was down, want 40 (3)",
				ld.down503.Load()-downFrom, ld.down503Events.Load()-eventsFrom)
		}
	}

	ld.phase.Store(phaseChanging)
	pg.start(t)
	ddWaitStatus(t, s, "/readyz", 200, 30*time.Second)
	ld.phase.Store(phaseUp)
	ld.probeCheckout(t)
	ld.waitUp(t, 30)
	select {
	case <-s.exited:
		t.Fatalf("checkout serve exited: %v", s.exitErr)
	default:
	}
}

// ddWaitStatus polls path until it answers want.
func ddWaitStatus(t *testing.T, s *server, path string, want int, within time.Duration) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	var last string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		res, raw, err := s.do(client, "GET", path, "", nil)
		if err == nil && res.StatusCode == want {
			return res, raw
		}
		last = fmt.Sprint(err)
		if err == nil {
			last = fmt.Sprintf("%d %s", res.StatusCode, raw)
		}
	}
	t.Fatalf("GET %s did not answer %d within %v; last: %s", path, want, within, last)
	return nil, nil
}

// driverText is what a response must never show of the database driver.
var driverText = []string{"dial tcp", "connection refused", "SQLSTATE", "pgconn", "pgx", "failed to connect",
	"terminating connection", "shutting down", "unexpected EOF", "conn closed", "broken pipe"}

// ddProblemIssue says what is wrong with an error answer: not a problem
// document, or one showing driver text; "" when it is fine.
func ddProblemIssue(res *http.Response, raw []byte, pgPort int) string {
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		return "content type " + ct
	}
	var p struct {
		Status int `json:"status"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || p.Status != res.StatusCode {
		return "not a problem document of its status"
	}
	for _, s := range append(driverText, fmt.Sprintf(":%d", pgPort)) {
		if strings.Contains(string(raw), s) {
			return "shows " + s
		}
	}
	return ""
}

// ddLeague is the tenant under load.
type ddLeague struct {
	slug, base, admin, tenantID, webhookSecret string
	coldSlug                                   string // a tenant nothing looks up before the outage
	buyers                                     []ddBuyer
	pending                                    []ddPending
}

// ddBuyer is one free checkout of the load: a player taking a number on a
// free jersey.
type ddBuyer struct {
	token, playerID, productID string
	number                     int
}

// ddPending is a priced order that the load's webhook event settles.
type ddPending struct {
	orderID, sessionID, eventID string
	amount                      float64
	currency                    string
}

const (
	ddProducts  = 16 // free numbered jerseys, numbers 0..99 each
	ddPerHouse  = 20 // players per household
	ddPriced    = 40 // priced orders settled by webhooks during the load
	ddProbes    = 2  // buyers kept for a checkout after each outage
	ddKitConfig = `{"top_sizes":["YM"],"bottom_sizes":["YM"],"number_required":false}`
)

func ddSetup(t *testing.T, s *server) *ddLeague {
	t.Helper()
	lg := &ddLeague{slug: "dd-" + uuid.NewString()[:8], coldSlug: "dd-cold-" + uuid.NewString()[:8],
		webhookSecret: "whsec_" + ddRandom(16)}
	lg.base = "/v1/tenants/" + lg.slug
	lg.tenantID = s.must(t, 201, "POST", "/v1/platform/tenants", lcPlatformToken, map[string]any{"slug": lg.slug,
		"name": "Outage League", "allowed_redirect_origins": []string{"https://league.example"}})["id"].(string)
	s.must(t, 201, "POST", "/v1/platform/tenants", lcPlatformToken, map[string]any{"slug": lg.coldSlug, "name": "Cold League"})
	lg.admin = s.must(t, 201, "POST", "/v1/platform/tenants/"+lg.slug+"/api-keys", lcPlatformToken,
		map[string]any{"role": "admin", "name": "outage"})["key"].(string)
	s.mustStatus(t, 204, "PUT", lg.base+"/admin/stripe", lg.admin,
		map[string]any{"secret_key": "sk_test_" + ddRandom(12), "webhook_secret": lg.webhookSecret})
	var products []string
	for i := 0; i < ddProducts; i++ {
		products = append(products, s.must(t, 201, "POST", lg.base+"/admin/products", lg.admin, map[string]any{
			"type": "jersey", "name": fmt.Sprintf("Free kit %d", i), "price_cents": 0, "config": map[string]any{
				"top_sizes": []string{"YM"}, "bottom_sizes": []string{"YM"}, "number_min": 0, "number_max": 99,
				"number_required": true}})["id"].(string))
	}
	for h := 0; h < ddProducts*100/ddPerHouse; h++ {
		token, players := ddHousehold(t, s, lg, ddPerHouse)
		for _, p := range players {
			i := len(lg.buyers)
			lg.buyers = append(lg.buyers, ddBuyer{token: token, playerID: p, productID: products[i/100], number: i % 100})
		}
	}
	kit := s.must(t, 201, "POST", lg.base+"/admin/products", lg.admin, map[string]any{"type": "jersey", "name": "Kit",
		"price_cents": 2500, "config": json.RawMessage(ddKitConfig)})["id"].(string)
	for i := 0; i < ddPriced; i++ {
		token, _ := ddHousehold(t, s, lg, 1)
		o := s.must(t, 201, "POST", lg.base+"/checkout", "", map[string]any{"registration_token": token, "product_id": kit,
			"custom_data": map[string]any{"top_size": "YM", "bottom_size": "YM"}})["order"].(map[string]any)
		lg.pending = append(lg.pending, ddPending{orderID: o["id"].(string), sessionID: o["stripe_checkout_session_id"].(string),
			eventID: "evt_test_" + ddRandom(12), amount: o["amount_cents"].(float64), currency: o["currency"].(string)})
	}
	return lg
}

func ddHousehold(t *testing.T, s *server, lg *ddLeague, players int) (token string, ids []string) {
	t.Helper()
	var ps []map[string]any
	for i := 0; i < players; i++ {
		ps = append(ps, map[string]any{"first_name": fmt.Sprintf("Kid%d", i), "last_name": "Doe"})
	}
	c := s.must(t, 201, "POST", lg.base+"/admin/customers", lg.admin, map[string]any{"name": "Doe", "email": "doe@example.com", "players": ps})
	for _, p := range c["customer"].(map[string]any)["players"].([]any) {
		ids = append(ids, p.(map[string]any)["id"].(string))
	}
	return c["registration_token"].(string), ids
}

// mustStatus sends a request that must answer want.
func (s *server) mustStatus(t *testing.T, want int, method, path, token string, body any) {
	t.Helper()
	res, raw, err := s.do(http.DefaultClient, method, path, token, body)
	if err != nil || res.StatusCode != want {
		t.Fatalf("%s %s: %v %v %s, want %d", method, path, err, res, raw, want)
	}
}

func ddRandom(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// completedEvent is the signed checkout.session.completed of p's session.
func (lg *ddLeague) completedEvent(p ddPending) (payload []byte, signature string) {
	payload, _ = json.Marshal(map[string]any{"id": p.eventID, "object": "event", "api_version": stripe.APIVersion,
		"created": time.Now().Unix(), "type": "checkout.session.completed", "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": map[string]any{"id": p.sessionID, "object": "checkout.session", "mode": "payment",
			"client_reference_id": p.orderID, "metadata": map[string]any{"order_id": p.orderID, "tenant_id": lg.tenantID},
			"amount_total": p.amount, "currency": p.currency, "status": "complete", "payment_status": "paid",
			"payment_intent": "pi_test_" + strings.ReplaceAll(p.orderID, "-", "")}},
		"request": map[string]any{"id": nil, "idempotency_key": nil}})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: lg.webhookSecret})
	return payload, signed.Header
}

// The phases of the load: a request counts as answered while PostgreSQL
// was up (or down) only when it started and ended in that phase.
const (
	phaseUp int32 = iota
	phaseChanging
	phaseDown
)

// ddLoad drives the checkouts and webhook deliveries: new ones are fed at
// a steady pace, and one that answered 503 is retried, as a buyer or Stripe
// would.
type ddLoad struct {
	s      *server
	lg     *ddLeague
	pgPort int
	phase  atomic.Int32

	checkouts chan int      // buyer indexes
	events    chan ddEvent  // deliveries
	stopFeed  chan struct{} // closed by finish
	fedAll    chan struct{} // closed when the feeder has stopped
	quit      chan struct{} // closed once everything fed is settled
	wg        sync.WaitGroup

	stopFeedOnce, quitOnce sync.Once
	fed                    atomic.Int64
	eventsFed              atomic.Int64
	probes                 atomic.Int64

	okUp, down503, down503Events atomic.Int64

	mu        sync.Mutex
	failures  []string
	done      map[int]string // buyer index -> its order id
	delivered map[int]bool   // pending index -> its event was processed
}

// ddEvent is one delivery of a pending order's event; dup is the
// redelivery of an event already answered 200.
type ddEvent struct {
	i   int
	dup bool
}

func newDDLoad(s *server, lg *ddLeague, pgPort int) *ddLoad {
	return &ddLoad{s: s, lg: lg, pgPort: pgPort, checkouts: make(chan int, len(lg.buyers)),
		events: make(chan ddEvent, 2*len(lg.pending)), stopFeed: make(chan struct{}), fedAll: make(chan struct{}),
		quit: make(chan struct{}),
		done: map[int]string{}, delivered: map[int]bool{}}
}

// stopFeeding stops the feeder and waits until it has.
func (ld *ddLoad) stopFeeding() {
	ld.stopFeedOnce.Do(func() { close(ld.stopFeed) })
	<-ld.fedAll
}

// stop stops the feeder and the workers and waits until they have.
func (ld *ddLoad) stop() {
	ld.stopFeeding()
	ld.quitOnce.Do(func() { close(ld.quit) })
	ld.wg.Wait()
}

func (ld *ddLoad) fail(format string, args ...any) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if len(ld.failures) < 50 {
		ld.failures = append(ld.failures, fmt.Sprintf(format, args...))
	}
}

// start runs the feeder and eight workers that take checkouts and
// deliveries as they come, until finish (or the end of the test).
func (ld *ddLoad) start(t *testing.T) {
	t.Cleanup(ld.stop)
	go ld.feed()
	for w := 0; w < 8; w++ {
		ld.wg.Add(1)
		go func() {
			defer ld.wg.Done()
			client := &http.Client{Timeout: 20 * time.Second}
			defer client.CloseIdleConnections()
			for {
				select {
				case <-ld.quit:
					return
				case i := <-ld.checkouts:
					ld.checkout(client, i)
				case ev := <-ld.events:
					ld.deliver(client, ev)
				}
			}
		}()
	}
}

// feed hands out a new checkout every 8 ms and a new event with every
// eighth until finish, or until every buyer and event has been handed out.
// The last ddProbes buyers are kept for ddOutage's own checkouts.
func (ld *ddLoad) feed() {
	defer close(ld.fedAll)
	tick := time.NewTicker(8 * time.Millisecond)
	defer tick.Stop()
	for n := 0; n < len(ld.lg.buyers)-ddProbes; n++ {
		select {
		case <-ld.stopFeed:
			return
		case <-tick.C:
		}
		ld.checkouts <- n
		ld.fed.Add(1)
		if n%eventEvery == 0 && n/eventEvery < len(ld.lg.pending) {
			ld.events <- ddEvent{i: n / eventEvery}
			ld.eventsFed.Add(1)
		}
	}
}

// eventEvery is how many checkouts are fed per webhook event.
const eventEvery = 8

// answered classifies one answer: it returns the status when the request
// was answered (0 after a transport error) and records what is wrong.
func (ld *ddLoad) answered(what string, startPhase int32, res *http.Response, raw []byte, err error) int {
	endPhase := ld.phase.Load()
	if err != nil {
		ld.fail("%s: %v", what, err)
		return 0
	}
	if res.StatusCode >= 400 {
		if msg := ddProblemIssue(res, raw, ld.pgPort); msg != "" {
			ld.fail("%s: %d %s: %s", what, res.StatusCode, msg, raw)
		}
	}
	switch {
	case res.StatusCode == 500 || res.StatusCode > 503:
		ld.fail("%s: %d %s", what, res.StatusCode, raw)
	case startPhase == phaseDown && endPhase == phaseDown && res.StatusCode != 503:
		ld.fail("%s while PostgreSQL was down: %d %s, want 503", what, res.StatusCode, raw)
	case startPhase == phaseDown && endPhase == phaseDown:
		ld.down503.Add(1)
		if strings.HasPrefix(what, "event") {
			ld.down503Events.Add(1)
		}
	case startPhase == phaseUp && endPhase == phaseUp && res.StatusCode < 300:
		ld.okUp.Add(1)
	}
	return res.StatusCode
}

// retry hands a request that answered 503 back after a pause.
func (ld *ddLoad) retry(f func()) {
	time.Sleep(20 * time.Millisecond)
	f()
}

func (ld *ddLoad) checkout(client *http.Client, i int) {
	b := ld.lg.buyers[i]
	phase := ld.phase.Load()
	res, raw, err := ld.s.do(client, "POST", ld.lg.base+"/checkout", "", map[string]any{"registration_token": b.token,
		"product_id": b.productID, "player_id": b.playerID,
		"custom_data": map[string]any{"jersey_number": b.number, "top_size": "YM", "bottom_size": "YM"}})
	var body struct {
		OrderID string `json:"order_id"`
		Order   struct {
			ID, Status string
		} `json:"order"`
	}
	switch ld.answered(fmt.Sprintf("checkout %d", i), phase, res, raw, err) {
	case 201:
		_ = json.Unmarshal(raw, &body)
		if body.Order.Status != "paid" {
			ld.fail("checkout %d: order %s", i, raw)
		}
		ld.settle(i, body.Order.ID)
	case 409: // an earlier attempt committed, but its answer was lost to the outage
		_ = json.Unmarshal(raw, &body)
		if body.OrderID == "" {
			ld.fail("checkout %d: 409 without order_id: %s", i, raw)
		}
		ld.settle(i, body.OrderID)
	default:
		ld.retry(func() { ld.checkouts <- i })
	}
}

func (ld *ddLoad) settle(i int, orderID string) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	ld.done[i] = orderID
}

func (ld *ddLoad) deliver(client *http.Client, ev ddEvent) {
	payload, sig := ld.lg.completedEvent(ld.lg.pending[ev.i])
	phase := ld.phase.Load()
	res, raw, err := ld.s.do(client, "POST", ld.lg.base+"/webhooks/stripe", "", json.RawMessage(payload), "Stripe-Signature", sig)
	if ld.answered(fmt.Sprintf("event %d", ev.i), phase, res, raw, err) != 200 {
		ld.retry(func() { ld.events <- ev })
		return
	}
	var body struct{ Outcome string }
	_ = json.Unmarshal(raw, &body)
	switch {
	case ev.dup && body.Outcome != "duplicate":
		ld.fail("event %d redelivered: outcome %q, want duplicate", ev.i, body.Outcome)
	case !ev.dup && body.Outcome != "processed" && body.Outcome != "duplicate":
		ld.fail("event %d: outcome %q", ev.i, body.Outcome)
	case !ev.dup:
		ld.mu.Lock()
		ld.delivered[ev.i] = true
		ld.mu.Unlock()
		ld.events <- ddEvent{i: ev.i, dup: true}
	default: // Stripe may redeliver an event any number of times
		time.AfterFunc(100*time.Millisecond, func() { ld.events <- ev })
	}
}

// probeCheckout checks out one of the buyers kept for it, as soon as
// PostgreSQL is back: it must succeed (within a few tries, while the pool
// finds out which of its connections died).
func (ld *ddLoad) probeCheckout(t *testing.T) {
	t.Helper()
	i := len(ld.lg.buyers) - 1 - int(ld.probes.Add(1)-1)
	b := ld.lg.buyers[i]
	ld.fed.Add(1)
	var last string
	for attempt := 0; attempt < 5; attempt++ {
		res, raw, err := ld.s.do(http.DefaultClient, "POST", ld.lg.base+"/checkout", "", map[string]any{
			"registration_token": b.token, "product_id": b.productID, "player_id": b.playerID,
			"custom_data": map[string]any{"jersey_number": b.number, "top_size": "YM", "bottom_size": "YM"}})
		if err == nil && res.StatusCode == 201 {
			var body struct{ Order struct{ ID string } }
			_ = json.Unmarshal(raw, &body)
			ld.settle(i, body.Order.ID)
			return
		}
		last = fmt.Sprint(err)
		if err == nil {
			last = fmt.Sprintf("%d %s", res.StatusCode, raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("a checkout once PostgreSQL was back: %s", last)
}

// waitUp waits until n more requests have been answered 2xx while
// PostgreSQL was up.
func (ld *ddLoad) waitUp(t *testing.T, n int64) {
	t.Helper()
	want := ld.okUp.Load() + n
	for deadline := time.Now().Add(20 * time.Second); ld.okUp.Load() < want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests answered 2xx while PostgreSQL was up", n-(want-ld.okUp.Load()), n)
		}
	}
}

// finish stops feeding, waits until every checkout fed has its order and
// every event fed was processed, and stops the workers.
func (ld *ddLoad) finish(t *testing.T) {
	t.Helper()
	ld.stopFeeding()
	defer ld.stop()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ld.mu.Lock()
		fed, done, delivered := int(ld.fed.Load()), len(ld.done), len(ld.delivered)
		ld.mu.Unlock()
		settled := done == fed && delivered == int(ld.eventsFed.Load())
		if settled && len(ld.checkouts) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the load did not settle: %d of %d checkouts have their order, %d events were processed",
				done, fed, delivered)
		}
	}
}
