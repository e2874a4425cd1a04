package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// ddInvariants are what must hold of the tenant's rows after any outage:
// each query counts the rows that break one rule ($1 is the tenant).
var ddInvariants = []struct{ rule, query string }{
	{"an order for the same player and product more than once", `SELECT count(*) FROM (SELECT 1 FROM orders
		WHERE tenant_id = $1 GROUP BY product_id, player_id HAVING count(*) > 1) d`},
	{"a claim no live order holds", `SELECT count(*) FROM claims c WHERE c.tenant_id = $1 AND NOT EXISTS (
		SELECT 1 FROM order_claims oc JOIN orders o ON o.tenant_id = oc.tenant_id AND o.id = oc.order_id
		WHERE oc.tenant_id = c.tenant_id AND oc.scope = c.scope AND oc.value = c.value
		  AND o.status IN ('pending', 'paid', 'partially_refunded'))`},
	{"a claim link without its order", `SELECT count(*) FROM order_claims oc WHERE oc.tenant_id = $1 AND NOT EXISTS (
		SELECT 1 FROM orders o WHERE o.tenant_id = oc.tenant_id AND o.id = oc.order_id)`},
	{"an event row without its order", `SELECT count(*) FROM order_events e WHERE e.tenant_id = $1 AND NOT EXISTS (
		SELECT 1 FROM orders o WHERE o.tenant_id = e.tenant_id AND o.id = e.order_id)`},
	{"an order without the event that created it", `SELECT count(*) FROM orders o WHERE o.tenant_id = $1 AND NOT EXISTS (
		SELECT 1 FROM order_events e WHERE e.tenant_id = o.tenant_id AND e.order_id = o.id AND e.from_status IS NULL)`},
	{"an order whose last event is not its status", `SELECT count(*) FROM orders o WHERE o.tenant_id = $1 AND o.status <> (
		SELECT e.to_status FROM order_events e WHERE e.tenant_id = o.tenant_id AND e.order_id = o.id ORDER BY e.at DESC, e.id DESC LIMIT 1)`},
	{"a free order that is not paid, or does not hold its number", `SELECT count(*) FROM orders o
		WHERE o.tenant_id = $1 AND o.amount_cents = 0 AND (o.status <> 'paid' OR NOT EXISTS (
		SELECT 1 FROM order_claims oc JOIN claims c ON c.tenant_id = oc.tenant_id AND c.scope = oc.scope AND c.value = oc.value
		WHERE oc.tenant_id = o.tenant_id AND oc.order_id = o.id AND oc.value = o.custom_data->>'jersey_number'
		  AND c.holder = 'player:' || o.player_id))`},
	{"an order paid more than once", `SELECT count(*) FROM orders o WHERE o.tenant_id = $1 AND (SELECT count(*)
		FROM order_events e WHERE e.tenant_id = o.tenant_id AND e.order_id = o.id AND e.to_status = 'paid') > 1`},
}

// ddCheckDatabase checks the invariants, and that the orders are exactly
// the ones the load was told of.
func ddCheckDatabase(t *testing.T, adminURL string, lg *ddLeague, ld *ddLoad) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, inv := range ddInvariants {
		var n int
		if err := conn.QueryRow(ctx, inv.query, lg.tenantID).Scan(&n); err != nil {
			t.Fatalf("%s: %v", inv.rule, err)
		}
		if n != 0 {
			t.Errorf("%d × %s", n, inv.rule)
		}
	}

	rows, err := conn.Query(ctx, `SELECT id::text, product_id::text, player_id::text, custom_data->>'jersey_number'
		FROM orders WHERE tenant_id = $1 AND amount_cents = 0`, lg.tenantID)
	if err != nil {
		t.Fatal(err)
	}
	type order struct{ product, player, number string }
	stored := map[string]order{}
	for rows.Next() {
		var id string
		var o order
		if err := rows.Scan(&id, &o.product, &o.player, &o.number); err != nil {
			t.Fatal(err)
		}
		stored[id] = o
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(ld.done) {
		t.Errorf("%d free orders stored, the load was answered %d", len(stored), len(ld.done))
	}
	for i, id := range ld.done {
		b := lg.buyers[i]
		if o, ok := stored[id]; !ok || o != (order{b.productID, b.playerID, strconv.Itoa(b.number)}) {
			t.Errorf("checkout %d answered order %s, stored as %+v", i, id, o)
		}
	}

	for i, p := range lg.pending {
		want := "pending"
		if ld.delivered[i] {
			want = "paid"
			var outcome, orderID string
			err := conn.QueryRow(ctx, `SELECT outcome, order_id::text FROM webhook_events WHERE tenant_id = $1 AND event_id = $2`,
				lg.tenantID, p.eventID).Scan(&outcome, &orderID)
			if err != nil || outcome != "processed" || orderID != p.orderID {
				t.Errorf("event %d: recorded %q for order %s (%v), want processed for %s", i, outcome, orderID, err, p.orderID)
			}
		}
		var status string
		if err := conn.QueryRow(ctx, `SELECT status FROM orders WHERE tenant_id = $1 AND id = $2`, lg.tenantID, p.orderID).Scan(&status); err != nil || status != want {
			t.Errorf("priced order %d is %q (%v), want %s", i, status, err, want)
		}
	}
}
