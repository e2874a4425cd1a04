package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/leaguepay/checkout/internal/testkit/stripemock"
)

// TestClientDisconnectsMidCheckout has buyers go away in the middle of a
// checkout (a connection closed halfway through the body, or right after
// the request while Stripe is slow to answer, or a client that gives up on
// its context) and checks that the database then holds, for each of them,
// either a complete order (its session, claims and events) or nothing, and
// that the buyer's retry agrees with it.
func TestClientDisconnectsMidCheckout(t *testing.T) {
	hooks := newStripeHooks(t, stripemock.URL(t))
	e := &env{t: t, app: buildApp(t, withStripe(hooks.URL))}
	addr := serveLoopback(t, e)
	su := asSuperuser(t)
	l := e.newLeague()
	e.ownKeys(l)
	priced := e.product(l, map[string]any{"type": "jersey", "name": "Home jersey", "price_cents": 2500, "config": jerseyConfig})["id"].(string)
	free := e.product(l, map[string]any{"type": "jersey", "name": "Away jersey", "price_cents": 0,
		"config": map[string]any{"top_sizes": []string{"YM"}, "bottom_sizes": []string{"YM"}, "number_min": 0, "number_max": 99,
			"number_required": true, "number_scope": "away-2026"}})["id"].(string)

	// Stripe answers the session create only after a while, and says when
	// it has.
	answered := make(chan struct{}, 8)
	hooks.set(func(r *http.Request) {
		if isSessionCreate(r) {
			time.Sleep(700 * time.Millisecond)
		}
	}, func(r *http.Request) {
		if isSessionCreate(r) {
			answered <- struct{}{}
		}
	})

	cases := []struct {
		name      string
		product   string
		sessioned bool // the request reaches Stripe
		hangUp    func(t *testing.T, path string, body []byte, key string)
		mayWrite  bool // the server took the whole request
	}{
		{"the connection closes halfway through the body: nothing is written", priced, false,
			func(t *testing.T, path string, body []byte, key string) {
				sendAndHangUp(t, addr, path, body[:len(body)/2], len(body), key)
			}, false},
		{"the connection closes right after the request while Stripe is slow", priced, true,
			func(t *testing.T, path string, body []byte, key string) {
				sendAndHangUp(t, addr, path, body, len(body), key)
			}, true},
		{"the client gives up on its context while Stripe is slow", priced, true,
			func(t *testing.T, path string, body []byte, key string) {
				giveUp(t, addr, path, body, key, 200*time.Millisecond)
			}, true},
		{"the connection closes right after a free checkout is sent", free, false,
			func(t *testing.T, path string, body []byte, key string) {
				sendAndHangUp(t, addr, path, body, len(body), key)
			}, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			household, token, _ := e.household(l, fmt.Sprintf("Kid%d", i))
			body, _ := json.Marshal(map[string]any{"registration_token": token, "product_id": c.product, "custom_data": jerseyData(20 + i)})
			key := "hangup-" + randomToken(4)
			c.hangUp(t, l.Base+"/checkout", body, key)
			if c.sessioned {
				select {
				case <-answered:
				case <-time.After(10 * time.Second):
					t.Fatal("the checkout never reached Stripe")
				}
			}
			orderID := waitSettled(t, su, household, c.mayWrite)
			t.Logf("order written: %q", orderID)

			retry := e.do("POST", l.Base+"/checkout", json.RawMessage(body), "Idempotency-Key", key)
			switch {
			case orderID == "" && retry.Status != 201:
				t.Errorf("nothing was written, but the retry answers %d %s", retry.Status, retry.Body)
			case orderID != "" && (retry.Status != 200 || retry.JSON()["order"].(map[string]any)["id"] != orderID):
				t.Errorf("order %s was written, but the retry with its key answers %d %s", orderID, retry.Status, retry.Body)
			}
			if c.sessioned && orderID == "" {
				<-answered // the retry's own session
			}
		})
	}
}

// sendAndHangUp writes a checkout's head, declaring length bytes of body,
// and the first bytes of body given, then closes the connection without
// reading an answer.
func sendAndHangUp(t *testing.T, addr, path string, body []byte, length int, key string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nIdempotency-Key: %s\r\nContent-Length: %d\r\n\r\n",
		path, key, length)
	if _, err := conn.Write(append([]byte(head), body...)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
}

// giveUp sends a checkout with a client whose context ends after patience.
func giveUp(t *testing.T, addr, path string, body []byte, key string, patience time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("the request was answered %d before the client gave up", res.StatusCode)
	}
}

// waitSettled waits until the household's rows settle and returns its one
// order's id ("" for none). A request that never arrived whole (mayWrite
// false) must write nothing; one that did may write one complete order or
// nothing. Rows that are there but not complete within 5 s are a
// half-written checkout.
func waitSettled(t *testing.T, su *superuser, household string, mayWrite bool) string {
	t.Helper()
	start := time.Now()
	for ; ; time.Sleep(20 * time.Millisecond) {
		ids, problems := householdRows(su, household)
		waited := time.Since(start)
		switch {
		case len(ids) > 1:
			t.Fatalf("%d orders for one checkout: %v", len(ids), ids)
		case !mayWrite && len(ids)+len(problems) > 0:
			t.Fatalf("rows were written for a request that never arrived whole: %v %v", ids, problems)
		case !mayWrite && waited > time.Second:
			return ""
		case mayWrite && len(ids) == 1 && len(problems) == 0:
			return ids[0]
		case mayWrite && len(ids)+len(problems) == 0 && waited > time.Second:
			return ""
		case waited > 5*time.Second:
			t.Fatalf("the checkout stayed half-written: %v %v", ids, problems)
		}
	}
}

// householdRows lists the household's orders and what is missing from any
// of them to be complete: a pending order has its session, URL, claim and
// creating event; a paid (free) one its claim and event; a failed one its
// events and no claim. A claim of the household's players that no order
// holds counts too.
func householdRows(su *superuser, household string) (ids []string, problems []string) {
	var orphans int
	if err := su.conn.QueryRow(context.Background(), `SELECT count(*) FROM claims c JOIN players p
		ON c.tenant_id = p.tenant_id AND c.holder = 'player:' || p.id WHERE p.customer_id = $1 AND NOT EXISTS (
		SELECT 1 FROM order_claims oc WHERE oc.tenant_id = c.tenant_id AND oc.scope = c.scope AND oc.value = c.value)`,
		household).Scan(&orphans); err != nil {
		return nil, []string{err.Error()}
	}
	if orphans > 0 {
		problems = append(problems, fmt.Sprintf("%d claims without an order", orphans))
	}
	rows, err := su.conn.Query(context.Background(), `SELECT o.id::text, o.status,
		o.stripe_checkout_session_id IS NOT NULL AND o.checkout_url IS NOT NULL,
		(SELECT count(*) FROM order_claims oc JOIN claims c ON c.tenant_id = oc.tenant_id AND c.scope = oc.scope
			AND c.value = oc.value AND c.holder = 'player:' || o.player_id WHERE oc.order_id = o.id),
		(SELECT count(*) FROM order_events e WHERE e.order_id = o.id)
		FROM orders o WHERE o.customer_id = $1`, household)
	if err != nil {
		return nil, []string{err.Error()}
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var sessioned bool
		var claims, events int
		if err := rows.Scan(&id, &status, &sessioned, &claims, &events); err != nil {
			return nil, []string{err.Error()}
		}
		ids = append(ids, id)
		ok := map[string]bool{"pending": sessioned && claims == 1 && events == 1,
			"paid": claims == 1 && events == 1, "failed": claims == 0 && events == 2}[status]
		if !ok {
			problems = append(problems, fmt.Sprintf("order %s %s: session %t, %d claims, %d events", id, status, sessioned, claims, events))
		}
	}
	return ids, problems
}
