// Package payments talks to the payment provider: Stripe (stripe-go v76,
// one client per key, never the global stripe.Key) or the sandbox provider
// used for local development. It stores each league's Stripe settings
// (secrets encrypted with AES-GCM), creates or reuses each household's
// Stripe customer (the only place that does), and starts, expires, reads and
// refunds checkout sessions for package orders.
package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
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
	Mode      string
	SecretKey string // own_keys: the league's key; connect: the platform's
	// AccountID is the Stripe account the calls act on. Connect: the
	// connected account, sent as the Stripe-Account header. Own keys: the
	// account Stripe reported for the key when it was saved (never sent; ""
	// for settings saved before it was recorded).
	AccountID     string
	WebhookSecret string // own_keys: the league's; sandbox: the sandbox's
}

// Ref names the Stripe namespace customers live in: a league's own account
// in test or live mode (a key roll keeps it; test and live mode of one
// account hold different customers), a connected account, or the sandbox.
// Own-key settings saved before the account was recorded fall back to a
// digest of the key: never its last four characters, which two keys share
// by chance.
func (a Account) Ref() string {
	switch a.Mode {
	case ModeConnect:
		return "connect:" + a.AccountID
	case ModeOwnKeys:
		if a.AccountID == "" {
			sum := sha256.Sum256([]byte(a.SecretKey))
			return "own:key-" + hex.EncodeToString(sum[:8])
		}
		return "own:" + a.AccountID + ":" + keyMode(a.SecretKey)
	}
	return a.Mode
}

// keyMode is "live" for a live-mode key (sk_live_, rk_live_), else "test".
func keyMode(key string) string {
	if strings.Contains(key, "_live_") {
		return "live"
	}
	return "test"
}

// AccountInfo is what the provider reports of a Stripe account it checked.
type AccountInfo struct {
	ID string // acct_...
}

// CustomerRequest creates a household's Stripe customer.
type CustomerRequest struct {
	IdempotencyKey string
	HouseholdID    string
	TenantID       string
	Name, Email    string
}

// SessionRequest creates a Checkout Session for a checkout: its
// client_reference_id is the order's id for a checkout of one order
// (OrderID set), else the checkout's; its metadata names the tenant, the
// checkout and (for one order) the order.
type SessionRequest struct {
	IdempotencyKey       string
	TenantID, TenantSlug string
	CheckoutID           string
	OrderID              string // "" for a household checkout
	CustomerID           string // the Stripe customer
	AmountCents          int64  // the lines' sum
	Currency             string
	Lines                []SessionLine
	SuccessURL           string
	CancelURL            string
	ExpiresAt            time.Time
}

// SessionLine is one line item of a session: one order.
type SessionLine struct {
	Name        string
	AmountCents int64
}

// Reference is the session's client_reference_id.
func (r SessionRequest) Reference() string {
	if r.OrderID != "" {
		return r.OrderID
	}
	return r.CheckoutID
}

// Metadata is the session's (and its payment intent's) metadata.
func (r SessionRequest) Metadata() map[string]string {
	meta := map[string]string{"checkout_id": r.CheckoutID, "tenant_id": r.TenantID}
	if r.OrderID != "" {
		meta["order_id"] = r.OrderID
	}
	return meta
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
	// Account checks acct before a league's settings are saved. Own keys:
	// reads the account acct.SecretKey belongs to, which proves the key
	// works. Connect: reads acct.AccountID with the platform's key
	// (acct.SecretKey), which proves the account is connected to the
	// platform. A refusal of the key or account wraps ErrRefused; anything
	// else (unreachable, failing, or a bad platform key) wraps ErrProvider.
	Account(ctx context.Context, acct Account) (AccountInfo, error)
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
	// ErrRefused: the provider answered that a league's key or account is
	// not usable (an invalid or revoked key, an account that does not exist
	// or is not connected to the platform); retrying will not help.
	ErrRefused = errors.New("payments: provider refused the key or account")
)

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}
