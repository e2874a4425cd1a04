package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/secrets"
	"github.com/leaguepay/checkout/producttypes"
)

// A checkout is placed in one round trip when it can be: every
// statement of its write (the tenant, the order and its event with the
// household and player found by the token, its claims, its idempotency key)
// is sent as one pipelined batch, which PostgreSQL runs as one implicit
// transaction. Whatever is unusual — a token that finds no household, a
// player not in it, a live order already there, a value taken, a product
// changed, a player to be picked whose rules need to know who — makes the
// batch write nothing (a statement fails, and the implicit transaction
// with it, or the insert finds no row to write), and the checkout is placed
// the ordinary way (place), which tells exactly what is wrong.

// fastPlaced counts the checkouts placed in one round trip (for tests).
var fastPlaced atomic.Int64

var debugFast func(error)

// fastInsert inserts the order and its event when the token finds the
// household, the player is the one named (or, when none is, the household's
// only one) and the product is as checked. It answers the order, the names
// of its product and player, and the household's name, email and Stripe
// customer on the account ref $16 ("" for none), or no row.
var fastInsert = fmt.Sprintf(`WITH hh AS (
		SELECT c.id FROM customers c WHERE c.tenant_id = $1 AND c.token_hash = $6),
	pl AS (
		SELECT p.id, p.first_name || ' ' || p.last_name AS name FROM players p, hh
		WHERE p.tenant_id = $1 AND p.customer_id = hh.id AND ($7::uuid IS NULL OR p.id = $7::uuid)
			AND ($7::uuid IS NOT NULL OR (SELECT count(*) FROM players q WHERE q.tenant_id = $1 AND q.customer_id = hh.id) = 1)),
	product AS (
		SELECT p.name FROM products p WHERE p.tenant_id = $1 AND p.id = $3 AND p.active
			AND p.schema_version = $12 AND p.price_cents = $9 AND p.currency = $10),
	o AS (
		INSERT INTO orders AS o (tenant_id, id, product_id, product_type, category, customer_id, player_id,
			status, amount_cents, currency, custom_data, schema_version, evidence, paid_at)
		SELECT $1, $2, $3, $4, $5, hh.id, pl.id, $8, $9, $10, $11, $12, $13, CASE WHEN $8 = 'paid' THEN now() END
		FROM product, hh, pl
		ON CONFLICT (tenant_id, product_id, player_id) WHERE status IN ('pending', 'paid', 'partially_refunded')
		DO NOTHING
		RETURNING `+orderFields+`),
	audit AS (
		INSERT INTO order_events (tenant_id, id, order_id, actor, from_status, to_status, detail)
		SELECT $1, $14, o.id, 'buyer', NULL, o.status, $15 FROM o),
	`+eventsCTE("o", "", "NULL", "$17", "$18")+`
	SELECT o.*, (SELECT name FROM product), (SELECT name FROM pl), c.name, c.email,
		coalesce(`+"%s"+`, '')
	FROM o JOIN customers c ON c.tenant_id = $1 AND c.id = o.customer_id`,
	payments.CustomerOnAccount("$1", "o.customer_id", "$16::text"))

// fastClaim takes one claim for the order, failing (a NULL into a NOT NULL
// column) when another holder has the value, and the order's foreign key
// fails it when the order was not inserted: either way the batch's implicit
// transaction, and everything in it, is rolled back.
const fastClaim = `WITH c AS (
		INSERT INTO claims (tenant_id, scope, value, holder, field) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, scope, value) DO UPDATE SET holder = EXCLUDED.holder
		WHERE claims.holder = EXCLUDED.holder
		RETURNING scope, value)
	INSERT INTO order_claims (tenant_id, order_id, scope, value)
	SELECT $1::uuid, $6::uuid, scope, value FROM c
	UNION ALL SELECT $1::uuid, $6::uuid, NULL::text, NULL::text WHERE NOT EXISTS (SELECT 1 FROM c)`

// fastResult is what placeFast wrote and read.
type fastResult struct {
	order          Order
	household      customers.Customer // its id, name and email
	stripeCustomer string             // on the account asked for, "" for none
}

// placeFast tries to place a checkout in one round trip: paid at once (a
// free product) or pending, reading the household's Stripe customer on the
// account ref acctRef. ok is false when it wrote nothing and the ordinary
// way must run.
func (s *Service) placeFast(ctx context.Context, req CheckoutRequest, c checked, status Status, detail, acctRef string) (
	r fastResult, ok bool) {
	var player *uuid.UUID
	if req.Input.PlayerID != nil {
		id, err := ids.Parse(*req.Input.PlayerID)
		if err != nil {
			return fastResult{}, false
		}
		player = &id
	}
	playerText := ""
	if player != nil {
		playerText = player.String()
	}
	fields, claims, err := producttypes.CheckRulesOf(ctx, c.typ, producttypes.RuleInput{TenantID: req.TenantID.String(),
		ProductID: c.product.ID.String(), PlayerID: playerText, Config: c.product.Config, Data: c.data})
	if err != nil || len(fields) > 0 || (player == nil && len(claims) > 0) {
		return fastResult{}, false // the ordinary way runs the rules again, knowing the player
	}
	var evidence json.RawMessage
	m, err := producttypes.EvidenceOf(ctx, c.typ, producttypes.EvidenceInput{Config: c.product.Config, Data: c.data,
		ClientIP: req.ClientIP, At: time.Now().UTC()})
	if err != nil {
		return fastResult{}, false
	}
	if m != nil {
		if evidence, err = json.Marshal(m); err != nil {
			return fastResult{}, false
		}
	}
	data, err := json.Marshal(c.data)
	if err != nil {
		return fastResult{}, false
	}
	orderID := ids.New()
	evIDs, types := eventParams(nil, status)
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('app.tenant_id', $1, true)`, req.TenantID.String())
	b.Queue(fastInsert, req.TenantID, orderID, c.product.ID, c.product.Type, c.product.Category,
		secrets.Hash(req.Input.RegistrationToken), player, status, c.product.PriceCents, c.product.Currency, data,
		c.product.SchemaVersion, evidence, ids.New(), detail, acctRef, evIDs, types)
	for _, cl := range sortedClaims(claims) {
		holder := cl.Holder
		if holder == "" {
			holder = "order:" + orderID.String()
		}
		b.Queue(fastClaim, req.TenantID, cl.Scope, cl.Value, holder, cl.Field, orderID)
	}
	if req.IdempotencyKey != "" && status == StatusPaid {
		// A pending order's key is tied to it once its session is stored
		// (storeSession): a replay before that would have no checkout URL.
		b.Queue(`UPDATE idempotency_keys SET order_id = $3 WHERE tenant_id = $1 AND key = $2
			AND EXISTS (SELECT 1 FROM orders WHERE tenant_id = $1 AND id = $3)`, req.TenantID, req.IdempotencyKey, orderID)
	}
	br := s.db.Pool.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		h := &r.household
		r.order, err = scanOrder(br.QueryRow(), &h.Name, &h.Email, &r.stripeCustomer)
		h.ID = r.order.CustomerID
	}
	for range claims {
		if err == nil {
			_, err = br.Exec()
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if debugFast != nil {
			debugFast(err)
		}
		return fastResult{}, false
	}
	fastPlaced.Add(1)
	return r, true
}
