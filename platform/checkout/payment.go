package checkout

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
)

// account resolves the tenant's payment account ahead of a transaction;
// its error is reported only if the transaction turns out to need it.
func (s *Service) account(ctx context.Context, tenantID uuid.UUID) (payments.Account, error) {
	acct, err := s.payments.Account(ctx, tenantID)
	if err != nil {
		return acct, payments.Classify(err)
	}
	return acct, nil
}

// checkoutPaid places a pending order, then creates its Checkout Session.
// The account is resolved first (no transaction is open while it is); the
// order's transaction also reads the household's Stripe customer, so the
// provider is called with everything it needs. When the provider fails, the
// order is marked failed (visible, with the reason in its audit trail, its
// claims released) and the caller gets 502: nothing is left half-made and a
// retry starts afresh. When the session was created but cannot be stored
// (the database failed), the caller gets the database's error and the
// order is abandoned the same way once the database answers again, its
// session expired first (see abandon).
func (s *Service) checkoutPaid(ctx context.Context, req Request, c checked) (Result, error) {
	acct, err := s.account(ctx, req.TenantID)
	if err != nil {
		return Result{}, err
	}
	const detail = "checkout started"
	var p placed
	var stripeCustomer string
	if r, ok := s.placeFast(ctx, req, c, orders.StatusPending, detail, acct.Ref()); ok {
		p, stripeCustomer = placed{order: r.order, household: r.household}, r.stripeCustomer
	} else {
		err = s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) (err error) {
			if p, err = s.place(ctx, tx, req, c, detail); err != nil {
				return err
			}
			stripeCustomer, err = payments.KnownCustomer(ctx, tx, req.TenantID, acct, p.household.ID)
			return err
		})
	}
	if err := err; err != nil {
		return Result{}, err
	}
	household := payments.Customer{ID: p.household.ID, Name: p.household.Name, Email: p.household.Email}
	newCustomer := stripeCustomer == ""
	if newCustomer {
		// Created now, stored with the session below: one transaction less.
		if stripeCustomer, err = s.payments.NewCustomer(ctx, req.TenantID, acct, household); err != nil {
			s.abandon(unfinished{tenantID: req.TenantID, checkoutID: *p.order.CheckoutID, orderIDs: []uuid.UUID{p.order.ID}, acct: acct,
				detail: "payment provider failed: " + err.Error()})
			return Result{}, payments.Classify(err)
		}
	}
	success, cancel := returnURLs(req.Input.SuccessURL, req.Input.CancelURL, req.DefaultOrigin)
	sess, err := s.payments.StartCheckout(ctx, payments.StartRequest{TenantID: req.TenantID, TenantSlug: req.TenantSlug,
		CheckoutID: *p.order.CheckoutID, OrderID: p.order.ID, Amount: p.order.AmountCents, Currency: p.order.Currency, Product: c.product.Name,
		Household: household, SuccessURL: success, CancelURL: cancel, Account: acct, CustomerID: stripeCustomer})
	if err != nil {
		detail := "payment provider failed: " + err.Error()
		if errors.Is(err, db.ErrUnavailable) {
			detail = "the database failed before the checkout session was created"
		}
		s.abandon(unfinished{tenantID: req.TenantID, checkoutID: *p.order.CheckoutID, orderIDs: []uuid.UUID{p.order.ID}, acct: acct, detail: detail})
		return Result{}, payments.Classify(err)
	}
	var key *statement
	if req.IdempotencyKey != "" {
		// A pending order's key is tied to it once its session is stored:
		// a replay before that would have no checkout URL.
		key = &statement{`UPDATE idempotency_keys SET order_id = $3 WHERE tenant_id = $1 AND key = $2`,
			[]any{req.TenantID, req.IdempotencyKey, p.order.ID}}
	}
	stored, err := s.storeSession(ctx, req.TenantID, *p.order.CheckoutID, p.order.CustomerID, acct, sess, newCustomer,
		stripeCustomer, key)
	if err != nil {
		s.abandon(unfinished{tenantID: req.TenantID, checkoutID: *p.order.CheckoutID, orderIDs: []uuid.UUID{p.order.ID}, acct: acct, session: &sess,
			detail: "its checkout session could not be stored; the session was expired so it cannot be paid"})
		return Result{}, err
	}
	p.order = stored[0]
	return Result{Order: p.order, CheckoutURL: p.order.CheckoutURL}, nil
}

// storeSession stores a priced checkout's session on the checkout and its
// orders, with the household's new Stripe customer (when one was created
// for it) and the statement that ties the Idempotency-Key to its answer
// (none when nil), in one round trip: a pipelined batch that runs
// as one implicit transaction. It answers the checkout's orders as stored,
// in line order.
func (s *Service) storeSession(ctx context.Context, tenantID, checkoutID, householdID uuid.UUID, acct payments.Account,
	sess payments.Session, newCustomer bool, stripeCustomer string, key *statement) ([]orders.Order, error) {
	b := &pgx.Batch{}
	b.Queue(db.TenantSetup, tenantID.String())
	q, args := orders.StoreCheckoutSession(tenantID, checkoutID, sess.URL, sess.ID, sess.ExpiresAt)
	b.Queue(q, args...)
	if newCustomer {
		q, args := payments.StoreCustomer(tenantID, acct, householdID, stripeCustomer)
		b.Queue(q, args...)
	}
	if key != nil {
		b.Queue(key.sql, key.args...)
	}
	br := s.db.Pool.SendBatch(ctx, b)
	var stored []orders.Order
	_, err := br.Exec()
	if err == nil {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			stored, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (orders.Order, error) { return orders.Scan(r) })
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && len(stored) == 0 {
		err = errors.New("the checkout's orders are gone")
	}
	if err != nil {
		return nil, fmt.Errorf("store checkout session: %w", db.Translate(err))
	}
	return stored, nil
}

// statement is one SQL statement and its arguments, for a batch.
type statement struct {
	sql  string
	args []any
}

// returnURLs are the request's redirect URLs, else the tenant's default
// origin's /checkout/success and /checkout/canceled pages.
func returnURLs(successURL, cancelURL *string, defaultOrigin string) (success, cancel string) {
	if successURL != nil {
		success = *successURL
	}
	if cancelURL != nil {
		cancel = *cancelURL
	}
	if defaultOrigin != "" {
		if success == "" {
			success = defaultOrigin + "/checkout/success"
		}
		if cancel == "" {
			cancel = defaultOrigin + "/checkout/canceled"
		}
	}
	return success, cancel
}
