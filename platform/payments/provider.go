// Package payments talks to the payment provider: Stripe (stripe-go v76,
// one client per key, never the global stripe.Key) or the sandbox provider
// used for local development. It stores each league's Stripe settings
// (secrets encrypted with AES-GCM), creates or reuses each household's
// Stripe customer (the only place that does), and starts, expires, reads and
// refunds checkout sessions for package orders.
package payments

import (
	"context"
	"errors"
	"time"
)

// Modes of a tenant's payment account.
const (
	ModeOwnKeys = "own_keys"
	ModeConnect = "connect"
	ModeSandbox = "sandbox"
	ModeNone    = "none"
)

// Account is the Stripe account and key one tenant's calls use.
type Account struct {
	Mode          string
	SecretKey     string // own_keys: the league's key; connect: the platform's
	AccountID     string // connect: the connected account (Stripe-Account header)
	WebhookSecret string // own_keys: the league's; sandbox: the sandbox's
}

// Ref names the Stripe namespace customers live in: a league's own account,
// a connected account, or the sandbox.
func (a Account) Ref() string {
	switch a.Mode {
	case ModeConnect:
		return "connect:" + a.AccountID
	case ModeOwnKeys:
		return "own:" + last4(a.SecretKey)
	}
	return a.Mode
}

// CustomerRequest creates a household's Stripe customer.
type CustomerRequest struct {
	IdempotencyKey string
	HouseholdID    string
	TenantID       string
	Name, Email    string
}

// SessionRequest creates a Checkout Session for one order.
type SessionRequest struct {
	IdempotencyKey       string
	TenantID, TenantSlug string
	OrderID              string
	CustomerID           string // the Stripe customer
	AmountCents          int64
	Currency             string
	ProductName          string
	Description          string
	SuccessURL           string
	CancelURL            string
	ExpiresAt            time.Time
}

// Session is what the platform keeps of a Checkout Session.
type Session struct {
	ID              string
	URL             string
	Status          string // open, complete, expired
	PaymentStatus   string // paid, unpaid, no_payment_required
	PaymentIntentID string
	AmountTotal     int64
	Currency        string
	ExpiresAt       time.Time
}

// RefundRequest refunds part or all of a payment.
type RefundRequest struct {
	IdempotencyKey  string
	PaymentIntentID string
	AmountCents     int64
	OrderID         string
}

// Provider is a payment provider's API, as the platform uses it. Every
// create carries the request's deterministic idempotency key.
type Provider interface {
	CreateCustomer(ctx context.Context, acct Account, req CustomerRequest) (string, error)
	CreateSession(ctx context.Context, acct Account, req SessionRequest) (Session, error)
	GetSession(ctx context.Context, acct Account, id string) (Session, error)
	ExpireSession(ctx context.Context, acct Account, id string) (Session, error)
	Refund(ctx context.Context, acct Account, req RefundRequest) (string, error)
}

var (
	// ErrNotConfigured: the tenant has no payment account, so a priced
	// product cannot be sold.
	ErrNotConfigured = errors.New("payments: no payment account configured for this league")
	// ErrProvider: the provider failed or refused the call.
	ErrProvider = errors.New("payments: provider failed")
)

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}
