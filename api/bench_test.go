package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/secrets"
)

// benchHouseholds inserts n one-player households straight into the
// tenant's tables and returns their tokens and player ids.
func benchHouseholds(tb testing.TB, d *db.DB, tenantID uuid.UUID, n int) (tokens []string, players []uuid.UUID) {
	tb.Helper()
	custIDs, playerIDs, hashes := make([]uuid.UUID, n), make([]uuid.UUID, n), make([][]byte, n)
	tokens = make([]string, n)
	for i := range n {
		custIDs[i], playerIDs[i] = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		tokens[i] = "rt_" + secrets.Random()
		hashes[i] = secrets.Hash(tokens[i])
	}
	err := d.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), `INSERT INTO customers (tenant_id, id, name, email, token_hash)
			SELECT $1, u.id, 'Bench family', 'bench@example.com', u.h FROM unnest($2::uuid[], $3::bytea[]) AS u(id, h)`,
			tenantID, custIDs, hashes); err != nil {
			return err
		}
		_, err := tx.Exec(context.Background(), `INSERT INTO players (tenant_id, id, customer_id, position, first_name, last_name)
			SELECT $1, u.p, u.c, 0, 'Bench', 'Kid' FROM unnest($2::uuid[], $3::uuid[]) AS u(p, c)`, tenantID, playerIDs, custIDs)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tokens, playerIDs
}

// BenchmarkCheckoutFree compares POST /checkout of a $0 product, over real
// HTTP on loopback, with its floor: a plain pgx loop issuing the same SQL on
// the same pool. The budget is checkout ≥ 50 % of the floor's throughput;
// the ratio is reported as the metric "floor-ratio" of the checkout run.
func BenchmarkCheckoutFree(b *testing.B) {
	e := &env{t: b, app: buildApp(b, nil)}
	addr := serveLoopback(b, e)
	l := e.newLeague()
	tenantID := uuid.MustParse(l.ID)
	optOut := e.product(l, map[string]any{"type": "jersey", "name": "Opt-out", "price_cents": 0, "config": optOutConfig})
	productID := uuid.MustParse(optOut["id"].(string))
	d := dbtest.DB(b)
	var floorNs float64

	b.Run("floor-pgx", func(b *testing.B) {
		tokens, players := benchHouseholds(b, d, tenantID, b.N)
		var next atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1) - 1)
				if err := floorCheckout(d, tenantID, productID, tokens[i], players[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
		floorNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})

	b.Run("checkout-http", func(b *testing.B) {
		tokens, _ := benchHouseholds(b, d, tenantID, b.N)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
		url := "http://" + addr + l.Base + "/checkout"
		var next atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1) - 1)
				body := fmt.Sprintf(`{"registration_token":%q,"product_id":%q}`, tokens[i], productID)
				res, err := client.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != 201 {
					b.Errorf("status %d", res.StatusCode)
					return
				}
			}
		})
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		if floorNs > 0 {
			b.ReportMetric(floorNs/ns, "floor-ratio")
		}
	})
}

// floorCheckout issues the SQL a free checkout issues: read the household
// and the product in one tenant transaction, then insert the order and its
// audit event in another.
func floorCheckout(d *db.DB, tenantID, productID uuid.UUID, token string, playerID uuid.UUID) error {
	ctx := context.Background()
	var customerID uuid.UUID
	err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var players []map[string]any
		var name, email string
		var created time.Time
		if err := tx.QueryRow(ctx, `SELECT c.id, c.name, c.email, c.created_at,
			coalesce(json_agg(json_build_object('id', p.id, 'first_name', p.first_name,
				'last_name', p.last_name, 'external_ref', p.external_ref) ORDER BY p.position)
				FILTER (WHERE p.id IS NOT NULL), '[]')
			FROM customers c LEFT JOIN players p ON p.tenant_id = c.tenant_id AND p.customer_id = c.id
			WHERE c.tenant_id = $1 AND c.token_hash = $2 GROUP BY c.tenant_id, c.id`,
			tenantID, secrets.Hash(token)).Scan(&customerID, &name, &email, &created, &players); err != nil {
			return err
		}
		var typ string
		var price int64
		return tx.QueryRow(ctx, `SELECT type, price_cents FROM products WHERE tenant_id = $1 AND id = $2`,
			tenantID, productID).Scan(&typ, &price)
	})
	if err != nil {
		return err
	}
	return d.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		orderID := uuid.Must(uuid.NewV7())
		if _, err := tx.Exec(ctx, `INSERT INTO orders (tenant_id, id, product_id, product_type, category, customer_id,
			player_id, status, amount_cents, currency, custom_data, schema_version, paid_at)
			VALUES ($1, $2, $3, 'jersey', 'uniforms', $4, $5, 'paid', 0, 'usd', '{}', 1, now())
			ON CONFLICT (tenant_id, product_id, player_id) WHERE status IN ('pending', 'paid', 'partially_refunded') DO NOTHING`,
			tenantID, orderID, productID, customerID, playerID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO order_events (tenant_id, id, order_id, actor, to_status, detail)
			VALUES ($1, $2, $3, 'buyer', 'paid', 'free product: paid at checkout')`, tenantID, uuid.Must(uuid.NewV7()), orderID)
		return err
	})
}
