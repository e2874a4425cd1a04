package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/payments"
)

// Gateway is the payment side priced orders need; payments.Service is the
// implementation. The account the last three act on is resolved with
// Account before the order's transaction opens, never inside it: resolving
// it takes a connection of its own, and holding one (with the order locked)
// while waiting for another lets concurrent refunds or cancels exhaust the
// pool and wait on each other until they time out.
type Gateway interface {
	Account(ctx context.Context, tenantID uuid.UUID) (payments.Account, error)
	StartCheckout(ctx context.Context, req payments.StartRequest) (payments.Session, error)
	GetSession(ctx context.Context, acct payments.Account, id string) (payments.Session, error)
	ExpireSession(ctx context.Context, acct payments.Account, id string) (payments.Session, error)
	NewCustomer(ctx context.Context, tenantID uuid.UUID, acct payments.Account, c payments.Customer) (string, error)
	Refund(ctx context.Context, acct payments.Account, req payments.RefundRequest) (string, error)
}

// account resolves the tenant's payment account ahead of a transaction;
// its error is reported only if the transaction turns out to need it.
func (s *Service) account(ctx context.Context, tenantID uuid.UUID) (payments.Account, error) {
	acct, err := s.gateway.Account(ctx, tenantID)
	if err != nil {
		return acct, paymentError(err)
	}
	return acct, nil
}

// paymentError maps the provider's errors for the API: a league without an
// account, or a provider that failed. The payment side also reads and
// writes the database (settings, the household's Stripe customer): when
// that is what failed the error stays the database's.
func paymentError(err error) error {
	if errors.Is(err, db.ErrUnavailable) {
		return err
	}
	if errors.Is(err, payments.ErrNotConfigured) {
		return fmt.Errorf("%w: %v", apperr.ErrPaymentsNotConfigured, err)
	}
	return fmt.Errorf("%w: %v", apperr.ErrPaymentProvider, err)
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
func (s *Service) checkoutPaid(ctx context.Context, req CheckoutRequest, c checked) (CheckoutResult, error) {
	acct, err := s.account(ctx, req.TenantID)
	if err != nil {
		return CheckoutResult{}, err
	}
	const detail = "checkout started"
	var p placed
	var stripeCustomer string
	if r, ok := s.placeFast(ctx, req, c, StatusPending, detail, acct.Ref()); ok {
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
		return CheckoutResult{}, err
	}
	household := payments.Customer{ID: p.household.ID, Name: p.household.Name, Email: p.household.Email}
	newCustomer := stripeCustomer == ""
	if newCustomer {
		// Created now, stored with the session below: one transaction less.
		if stripeCustomer, err = s.gateway.NewCustomer(ctx, req.TenantID, acct, household); err != nil {
			s.abandon(unfinished{tenantID: req.TenantID, orderID: p.order.ID, acct: acct,
				detail: "payment provider failed: " + err.Error()})
			return CheckoutResult{}, paymentError(err)
		}
	}
	success, cancel := returnURLs(req)
	sess, err := s.gateway.StartCheckout(ctx, payments.StartRequest{TenantID: req.TenantID, TenantSlug: req.TenantSlug,
		OrderID: p.order.ID, Amount: p.order.AmountCents, Currency: p.order.Currency, Product: c.product.Name,
		Household: household, SuccessURL: success, CancelURL: cancel, Account: acct, CustomerID: stripeCustomer})
	if err != nil {
		detail := "payment provider failed: " + err.Error()
		if errors.Is(err, db.ErrUnavailable) {
			detail = "the database failed before the checkout session was created"
		}
		s.abandon(unfinished{tenantID: req.TenantID, orderID: p.order.ID, acct: acct, detail: detail})
		return CheckoutResult{}, paymentError(err)
	}
	if p.order, err = s.storeSession(ctx, req, acct, p.order, sess, newCustomer, stripeCustomer); err != nil {
		s.abandon(unfinished{tenantID: req.TenantID, orderID: p.order.ID, acct: acct, session: &sess,
			detail: "its checkout session could not be stored; the session was expired so it cannot be paid"})
		return CheckoutResult{}, err
	}
	return CheckoutResult{Order: p.order, CheckoutURL: p.order.CheckoutURL}, nil
}

// storeSession stores a priced checkout's session on its order, with the
// household's new Stripe customer (when one was created for it) and the
// Idempotency-Key's order, in one round trip: a pipelined batch that runs as
// one implicit transaction.
func (s *Service) storeSession(ctx context.Context, req CheckoutRequest, acct payments.Account, o Order,
	sess payments.Session, newCustomer bool, stripeCustomer string) (Order, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('app.tenant_id', $1, true)`, req.TenantID.String())
	b.Queue(`UPDATE orders AS o SET checkout_url = $3, stripe_checkout_session_id = $4,
		checkout_expires_at = $5, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING `+orderCols,
		req.TenantID, o.ID, sess.URL, sess.ID, sess.ExpiresAt)
	if newCustomer {
		q, args := payments.StoreCustomer(req.TenantID, acct, o.CustomerID, stripeCustomer)
		b.Queue(q, args...)
	}
	if req.IdempotencyKey != "" {
		b.Queue(`UPDATE idempotency_keys SET order_id = $3 WHERE tenant_id = $1 AND key = $2`,
			req.TenantID, req.IdempotencyKey, o.ID)
	}
	br := s.db.Pool.SendBatch(ctx, b)
	_, err := br.Exec()
	if err == nil {
		o, err = scanOrder(br.QueryRow())
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return o, fmt.Errorf("store checkout session: %w", db.Translate(err))
	}
	return o, nil
}

// sessionClosed decides a cancel whose session Stripe would not expire
// (expireErr). A session that had already expired lets the cancel go on; a
// session paid for the order's amount makes the order paid
// and returns an empty note (the caller commits that and refuses the
// cancel); an async payment still processing is a Conflict; a session paid
// with another amount (never marked paid) lets staff cancel, with a note to
// refund that payment in Stripe. Anything else is the provider's failure.
func (s *Service) sessionClosed(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *Order, acct payments.Account,
	expireErr error, actor string) (string, error) {
	sess, err := s.gateway.GetSession(ctx, acct, *o.StripeCheckoutSessionID)
	if err == nil && sess.Status == "expired" {
		return "; its checkout session had already expired", nil
	}
	if err != nil || sess.Status != "complete" {
		return "", paymentError(expireErr)
	}
	if sess.PaymentStatus != "paid" {
		return "", &apperr.Conflict{Detail: "the buyer's payment is still processing; it cannot be canceled now"}
	}
	if sess.AmountTotal == o.AmountCents && sess.Currency == o.Currency {
		_, err := MarkPaid(ctx, tx, tenantID, o.ID, sess.AmountTotal, sess.Currency, sess.PaymentIntentID, actor,
			"session found paid while canceling")
		return "", err
	}
	return fmt.Sprintf("; its session was paid %d %s, not the order's amount: refund that payment in Stripe",
		sess.AmountTotal, sess.Currency), nil
}

// returnURLs are the request's redirect URLs, else the tenant's default
// origin's /checkout/success and /checkout/canceled pages.
func returnURLs(req CheckoutRequest) (success, cancel string) {
	if req.Input.SuccessURL != nil {
		success = *req.Input.SuccessURL
	}
	if req.Input.CancelURL != nil {
		cancel = *req.Input.CancelURL
	}
	if req.DefaultOrigin != "" {
		if success == "" {
			success = req.DefaultOrigin + "/checkout/success"
		}
		if cancel == "" {
			cancel = req.DefaultOrigin + "/checkout/canceled"
		}
	}
	return success, cancel
}
