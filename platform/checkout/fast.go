package checkout

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/secrets"
	"github.com/leaguepay/checkout/producttypes"
)

// A checkout is placed in one round trip when it can be: every
// statement of its write (the tenant, the order and its event with the
// household and player found by the token, its checkout, its claims, its
// idempotency key, the checkout's events) is sent as one pipelined batch,
// which PostgreSQL runs as one implicit transaction. Whatever is unusual — a token that finds no household, a
// player not in it, a live order already there, a value taken, a product
// changed, a player to be picked whose rules need to know who — makes the
// batch write nothing (a statement fails, and the implicit transaction
// with it, or the insert finds no row to write), and the checkout is placed
// the ordinary way (place), which tells exactly what is wrong.

// oneTripInsert is orders.OneTripInsert reading the household's Stripe
// customer from payments.
var oneTripInsert = orders.OneTripInsert(payments.CustomerOnAccount)

// fastResult is what placeFast wrote and read.
type fastResult struct {
	order          orders.Order
	household      customers.Customer // its id, name and email
	stripeCustomer string             // on the account asked for, "" for none
}

// placeFast tries to place a checkout in one round trip: paid at once (a
// free product) or pending, reading the household's Stripe customer on the
// account ref acctRef. ok is false when it wrote nothing and the ordinary
// way must run.
func (s *Service) placeFast(ctx context.Context, req Request, c checked, status orders.Status, detail, acctRef string) (
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
		ProductID: c.product.ID.String(), PlayerID: playerText, Config: c.cfg, Data: c.data})
	if err != nil || len(fields) > 0 || (player == nil && len(claims) > 0) {
		return fastResult{}, false // the ordinary way runs the rules again, knowing the player
	}
	evidence, data, err := stamp(ctx, c, req.ClientIP)
	if err != nil {
		return fastResult{}, false
	}
	orderID, checkoutID := ids.New(), ids.New()
	evIDs, types := orders.EventParams(status)
	checkoutStatus := orders.CheckoutOpen
	if status == orders.StatusPaid {
		checkoutStatus = orders.CheckoutComplete
	}
	checkoutEvIDs, checkoutTypes := orders.CheckoutEventParams(checkoutStatus)
	b := &pgx.Batch{}
	b.Queue(db.TenantSetup, req.TenantID.String())
	b.Queue(oneTripInsert, req.TenantID, orderID, c.product.ID, c.product.Type, c.product.Category,
		secrets.Hash(req.Input.RegistrationToken), player, status, c.product.PriceCents, c.product.Currency, data,
		c.product.SchemaVersion, evidence, ids.New(), detail, acctRef, evIDs, types, checkoutID, checkoutEvIDs, checkoutTypes)
	for _, cl := range orders.SortedClaims(claims) {
		b.Queue(orders.OneTripClaim, orders.ClaimArgs(req.TenantID, orderID, cl)...)
	}
	if req.IdempotencyKey != "" && status == orders.StatusPaid {
		// A pending order's key is tied to it once its session is stored
		// (storeSession): a replay before that would have no checkout URL.
		b.Queue(`UPDATE idempotency_keys SET order_id = $3 WHERE tenant_id = $1 AND key = $2
			AND EXISTS (SELECT 1 FROM orders WHERE tenant_id = $1 AND id = $3)`, req.TenantID, req.IdempotencyKey, orderID)
	}
	br := s.db.Pool.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		h := &r.household
		r.order, err = orders.Scan(br.QueryRow(), &h.Name, &h.Email, &r.stripeCustomer)
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
		s.log.Debug("checkout left the one-round-trip path; placing it the ordinary way", "reason", err)
		return fastResult{}, false
	}
	s.oneTrip.Add(1)
	return r, true
}
