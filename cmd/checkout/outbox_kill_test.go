package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/outbox"
)

// TestOutboxSurvivesAKillBetweenCommitAndDispatch commits checkouts in one
// `checkout serve` process and kills it (SIGKILL) before anything is
// dispatched; a second process then dispatches every committed change: its
// metrics count them and the league's endpoint receives each event.
// Dispatch is held back deterministically: the test holds the tenant's
// dispatch lock (outbox.LockKey) while the first process runs.
//
// killKey is the servers' CHECKOUT_ENCRYPTION_KEY (base64 of 32 bytes).
const killKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func TestOutboxSurvivesAKillBetweenCommitAndDispatch(t *testing.T) {
	bin := checkoutBinary(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	exec := func(q string) {
		t.Helper()
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var mu sync.Mutex
	events := map[string]int{} // "type order" -> deliveries answered 200
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string
			Data struct{ ID string }
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		events[ev.Type+" "+ev.Data.ID]++
		mu.Unlock()
	}))
	t.Cleanup(hooks.Close)

	first := startServer(t, bin, "CHECKOUT_WEBHOOKS_ALLOW_LOOPBACK=true", "CHECKOUT_ENCRYPTION_KEY="+killKey)
	slug, productID, buyers := lcLeague(t, first, 1)
	adminKey := first.must(t, 201, "POST", "/v1/platform/tenants/"+slug+"/api-keys", lcPlatformToken,
		map[string]any{"role": "admin", "name": "hooks"})["key"].(string)
	first.must(t, 201, "POST", "/v1/tenants/"+slug+"/admin/webhook-endpoints", adminKey,
		map[string]any{"url": hooks.URL + "/league", "events": []string{"order.created", "order.paid"}})
	var tenantID uuid.UUID
	if err := admin.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = $1`, slug).Scan(&tenantID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock($1)`, outbox.LockKey(tenantID)); err != nil {
		t.Fatal(err)
	}
	const n = 10
	var orderIDs []string
	for i := 0; i < n; i++ {
		b := <-buyers
		o := first.must(t, 201, "POST", "/v1/tenants/"+slug+"/checkout", "",
			map[string]any{"registration_token": b[0], "player_id": b[1], "product_id": productID})
		orderIDs = append(orderIDs, o["order"].(map[string]any)["id"].(string))
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.exited

	var pending int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM events WHERE tenant_id = $1 AND dispatched_at IS NULL`,
		tenantID).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	t.Run("the killed process committed every change's events and left them pending", func(t *testing.T) {
		if pending != 3*n {
			t.Errorf("%d events pending, want %d (the order created and paid, its checkout completed, per checkout)",
				pending, 3*n)
		}
	})

	exec(`SELECT pg_advisory_unlock_all()`)
	second := startServer(t, bin, "CHECKOUT_WEBHOOKS_ALLOW_LOOPBACK=true", "CHECKOUT_ENCRYPTION_KEY="+killKey)
	t.Run("the next process dispatches all of them: the league receives every event", func(t *testing.T) {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			mu.Lock()
			got := len(events)
			mu.Unlock()
			if got >= 2*n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d events delivered after 30 s", got, 2*n)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range orderIDs {
			for _, typ := range []string{"order.created", "order.paid"} {
				if events[typ+" "+id] == 0 {
					t.Errorf("%s of order %s was never delivered", typ, id)
				}
			}
		}
	})
	t.Run("and its metrics count the changes the killed process committed", func(t *testing.T) {
		res, raw, err := second.do(http.DefaultClient, "GET", "/metrics", lcPlatformToken, nil)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("/metrics: %v %v", res, err)
		}
		want := fmt.Sprintf(`checkout_orders_created_total{product_type="jersey",status="paid",tenant=%q} %d`, slug, n)
		if !strings.Contains(string(raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	})
}
