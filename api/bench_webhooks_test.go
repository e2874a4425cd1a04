package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
)

// BenchmarkWebhooks measures Stripe webhook deliveries over real HTTP on
// loopback, verified with the league's own (encrypted) webhook secret and
// applied in the database, with many deliveries in flight at once:
//
//   - processed: distinct checkout.session.completed events, each settling
//     its own pending order (pending → paid, audit event, event id stored);
//   - duplicates: one event id redelivered, each copy verified and rejected
//     as a duplicate.
//
// Each reports its throughput as the metric "events/s".
func BenchmarkWebhooks(b *testing.B) {
	e := &env{t: b, app: buildApp(b, nil)}
	addr := serveLoopback(b, e)
	l := e.hookLeague()
	url := "http://" + addr + l.Hook
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

	post := func(payload []byte, header string) (int, error) {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", header)
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}

	b.Run("processed", func(b *testing.B) {
		orders := benchPendingOrders(b, l, b.N)
		payloads, headers := make([][]byte, b.N), make([]string, b.N)
		for i, o := range orders {
			payloads[i] = sessionEvent("checkout.session.completed", o, l.ID, "paid").payload()
			headers[i] = sign(payloads[i], l.Keys.WebhookSecret)
		}
		var next atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1) - 1
				if code, err := post(payloads[i], headers[i]); err != nil || code != 200 {
					b.Errorf("delivery %d: %d %v", i, code, err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		if paid := asSuperuser(b).count(`SELECT count(*) FROM orders WHERE tenant_id = $1 AND status = 'paid'
			AND id = ANY($2)`, l.ID, orderIDs(orders)); paid != b.N {
			b.Errorf("%d of %d orders paid", paid, b.N)
		}
	})

	b.Run("duplicates", func(b *testing.B) {
		o := benchPendingOrders(b, l, 1)[0]
		payload := sessionEvent("checkout.session.completed", o, l.ID, "paid").payload()
		header := sign(payload, l.Keys.WebhookSecret)
		if code, err := post(payload, header); err != nil || code != 200 {
			b.Fatalf("first delivery: %d %v", code, err)
		}
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if code, err := post(payload, header); err != nil || code != 200 {
					b.Errorf("redelivery: %d %v", code, err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		if n := asSuperuser(b).count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND to_status = 'paid'`, o["id"]); n != 1 {
			b.Errorf("%d transitions to paid, want 1", n)
		}
	})
}

// benchPendingOrders inserts n pending orders of l's kit, each with its own
// household and Checkout Session, straight into the tables (as a checkout
// would leave them), and returns them shaped as the API shows them.
func benchPendingOrders(b *testing.B, l hookLeague, n int) []map[string]any {
	b.Helper()
	d := dbtest.DB(b)
	tenantID, productID := uuid.MustParse(l.ID), uuid.MustParse(l.Kit)
	_, players := benchHouseholds(b, d, tenantID, n)
	ids, sessions := make([]uuid.UUID, n), make([]string, n)
	out := make([]map[string]any, n)
	for i := range n {
		ids[i] = uuid.Must(uuid.NewV7())
		sessions[i] = fmt.Sprintf("cs_test_bench_%s", randomToken(12))
		out[i] = map[string]any{"id": ids[i].String(), "stripe_checkout_session_id": sessions[i], "amount_cents": 2500.0, "currency": "usd"}
	}
	ctx := context.Background()
	err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO orders (tenant_id, id, product_id, product_type, category, customer_id, player_id,
				status, amount_cents, currency, custom_data, schema_version, stripe_checkout_session_id, checkout_expires_at)
			SELECT $1, u.id, $2, 'jersey', 'uniforms', p.customer_id, u.player, 'pending', 2500, 'usd', '{}', 1, u.session,
				now() + interval '1 hour'
			FROM unnest($3::uuid[], $4::uuid[], $5::text[]) AS u(id, player, session)
			JOIN players p ON p.tenant_id = $1 AND p.id = u.player`, tenantID, productID, ids, players, sessions)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO order_events (tenant_id, id, order_id, actor, to_status, detail)
			SELECT $1, gen_random_uuid(), u.id, 'buyer', 'pending', 'checkout started' FROM unnest($2::uuid[]) AS u(id)`,
			tenantID, ids)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func orderIDs(orders []map[string]any) []string {
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o["id"].(string)
	}
	return ids
}
