package payments

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// StartRequest starts the payment of a checkout: of one order (POST
// /checkout: OrderID set, the session is the order's, as it always was) or
// of a household's several (Lines, one per order).
type StartRequest struct {
	TenantID   uuid.UUID
	TenantSlug string
	CheckoutID uuid.UUID
	// OrderID is the one order of a POST /checkout; uuid.Nil for a
	// household checkout.
	OrderID   uuid.UUID
	Household Customer
	Amount    int64
	Currency  string
	Product   string
	// Lines are a household checkout's line items, in its order; their
	// amounts add up to Amount. Empty: one line, Product at Amount.
	Lines []SessionLine
	// SuccessURL and CancelURL are where Stripe sends the buyer back; the
	// caller resolves them (the request's, else the tenant's first allowed
	// origin). Empty ones fall back to the service's public URL.
	SuccessURL string
	CancelURL  string
	// Account, when its Mode is set, is the tenant's account as the caller
	// already resolved it (else StartCheckout resolves it).
	Account Account
	// CustomerID is the household's Stripe customer on Account when the
	// caller already read it (KnownCustomer); "" creates one on first use.
	CustomerID string
}

// StartCheckout resolves the tenant's account, reuses or creates the
// household's customer, and creates the checkout's Checkout Session under
// a deterministic idempotency key — "checkout-session:<order id>" for a
// checkout of one order (as before household checkouts), else
// "checkout-session:<checkout id>" — so a retry never makes a second
// session.
func (s *Service) StartCheckout(ctx context.Context, req StartRequest) (Session, error) {
	acct := req.Account
	if acct.Mode == "" {
		var err error
		if acct, err = s.Account(ctx, req.TenantID); err != nil {
			return Session{}, err
		}
	}
	customerID := req.CustomerID
	if customerID == "" {
		var err error
		if customerID, err = s.createCustomer(ctx, req.TenantID, acct, req.Household); err != nil {
			return Session{}, err
		}
	}
	ref, orderID := "checkout_id="+req.CheckoutID.String(), ""
	key := "checkout-session:" + req.CheckoutID.String()
	if req.OrderID != uuid.Nil {
		ref, orderID, key = "order_id="+req.OrderID.String(), req.OrderID.String(), "checkout-session:"+req.OrderID.String()
	}
	if req.SuccessURL == "" {
		req.SuccessURL = s.cfg.PublicURL + "/?checkout=success&" + ref
	}
	if req.CancelURL == "" {
		req.CancelURL = s.cfg.PublicURL + "/?checkout=canceled&" + ref
	}
	lines := req.Lines
	if len(lines) == 0 {
		lines = []SessionLine{{Name: req.Product, AmountCents: req.Amount}}
	}
	return s.provider.CreateSession(ctx, acct, SessionRequest{
		IdempotencyKey: key, TenantID: req.TenantID.String(), TenantSlug: req.TenantSlug,
		CheckoutID: req.CheckoutID.String(), OrderID: orderID,
		CustomerID: customerID, AmountCents: req.Amount, Currency: req.Currency, Lines: lines,
		SuccessURL: req.SuccessURL, CancelURL: req.CancelURL,
		ExpiresAt: time.Now().Add(s.cfg.CheckoutTTL).Truncate(time.Second),
	})
}

// GetSession, ExpireSession and Refund act on a tenant's account that the
// caller resolved with Account before taking any lock or transaction:
// reading the account takes a database connection of its own, and a caller
// that waits for one while holding another (with a row locked) lets a few
// concurrent requests starve the pool.

// GetSession reads one of the account's sessions.
func (s *Service) GetSession(ctx context.Context, acct Account, id string) (Session, error) {
	return s.provider.GetSession(ctx, acct, id)
}

// ExpireSession expires one of the account's open sessions.
func (s *Service) ExpireSession(ctx context.Context, acct Account, id string) (Session, error) {
	return s.provider.ExpireSession(ctx, acct, id)
}

// Refund refunds amount of a payment intent under the given idempotency key.
func (s *Service) Refund(ctx context.Context, acct Account, req RefundRequest) (string, error) {
	return s.provider.Refund(ctx, acct, req)
}
