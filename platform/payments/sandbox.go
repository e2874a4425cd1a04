package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sandbox is the payment provider of local development and demos. It calls
// no one: a session's URL is a page of this service (see api's sandbox
// routes) whose Pay and Cancel buttons send correctly signed, Stripe-shaped
// events to the service's own webhook endpoint. It is on only when
// CHECKOUT_PAYMENTS=sandbox.
type Sandbox struct {
	publicURL string
}

var _ Provider = (*Sandbox)(nil)

// NewSandbox returns the sandbox provider; publicURL is where the service
// is reached (its checkout pages live there).
func NewSandbox(publicURL string) *Sandbox {
	return &Sandbox{publicURL: strings.TrimSuffix(publicURL, "/")}
}

// Account accepts every account: a Connect account as given, own keys as
// an account id derived from the key.
func (s *Sandbox) Account(_ context.Context, acct Account) (AccountInfo, error) {
	if acct.Mode == ModeConnect {
		return AccountInfo{ID: acct.AccountID}, nil
	}
	sum := sha256.Sum256([]byte(acct.SecretKey))
	return AccountInfo{ID: "acct_sandbox" + hex.EncodeToString(sum[:8])}, nil
}

// CreateCustomer derives a stable customer id from the idempotency key.
func (s *Sandbox) CreateCustomer(_ context.Context, _ Account, req CustomerRequest) (string, error) {
	sum := sha256.Sum256([]byte(req.IdempotencyKey))
	return "cus_sandbox_" + hex.EncodeToString(sum[:8]), nil
}

// CreateSession returns a session whose id carries the checkout and the
// expiry, and whose URL is the sandbox checkout page.
func (s *Sandbox) CreateSession(_ context.Context, _ Account, req SessionRequest) (Session, error) {
	id := fmt.Sprintf("cs_sandbox_%s_%d", strings.ReplaceAll(req.CheckoutID, "-", ""), req.ExpiresAt.Unix())
	// The page sends the buyer back to these after Pay or Cancel, as Stripe
	// does; it keeps them on its URL, as it keeps nothing else.
	back := url.Values{}
	if req.SuccessURL != "" {
		back.Set("success_url", req.SuccessURL)
	}
	if req.CancelURL != "" {
		back.Set("cancel_url", req.CancelURL)
	}
	page := s.publicURL + "/sandbox/checkout/" + req.TenantSlug + "/" + id
	if len(back) > 0 {
		page += "?" + back.Encode()
	}
	return Session{ID: id, URL: page, Status: "open",
		PaymentStatus: "unpaid", AmountTotal: req.AmountCents, Currency: req.Currency, ExpiresAt: req.ExpiresAt.UTC()}, nil
}

// GetSession answers from the id alone: open until its expiry, expired after.
func (s *Sandbox) GetSession(_ context.Context, _ Account, id string) (Session, error) {
	i := strings.LastIndexByte(id, '_')
	unix, err := strconv.ParseInt(id[i+1:], 10, 64)
	if !strings.HasPrefix(id, "cs_sandbox_") || err != nil {
		return Session{}, fmt.Errorf("%w: no sandbox session %q", ErrProvider, id)
	}
	sess := Session{ID: id, Status: "open", PaymentStatus: "unpaid", ExpiresAt: time.Unix(unix, 0).UTC()}
	if time.Now().After(sess.ExpiresAt) {
		sess.Status = "expired"
	}
	return sess, nil
}

// ExpireSession expires a session (nothing to call).
func (s *Sandbox) ExpireSession(ctx context.Context, acct Account, id string) (Session, error) {
	sess, err := s.GetSession(ctx, acct, id)
	sess.Status = "expired"
	return sess, err
}

// Refund returns a refund id derived from the idempotency key.
func (s *Sandbox) Refund(_ context.Context, _ Account, req RefundRequest) (string, error) {
	sum := sha256.Sum256([]byte(req.IdempotencyKey))
	return "re_sandbox_" + hex.EncodeToString(sum[:8]), nil
}
