package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// Stripe is the Stripe provider. It keeps one stripe-go client per secret
// key in use; the API base is overridable (tests use stripe-mock).
type Stripe struct {
	apiURL    string
	http      *http.Client
	clients   sync.Map // secret key -> *client.API
	platforms sync.Map // platform secret key -> the platform's own account id
}

var _ Provider = (*Stripe)(nil)

// NewStripe returns the Stripe provider; apiURL "" means Stripe's own.
func NewStripe(apiURL string) *Stripe {
	// Keep enough idle connections to Stripe for the calls in flight: the
	// default transport keeps 2 per host, so under load most calls would
	// open (and TLS-handshake) a new connection.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns, transport.MaxIdleConnsPerHost = 256, 64
	return &Stripe{apiURL: apiURL, http: &http.Client{Timeout: 20 * time.Second, Transport: transport}}
}

func (s *Stripe) client(key string) *client.API {
	if c, ok := s.clients.Load(key); ok {
		return c.(*client.API)
	}
	actual, _ := s.clients.LoadOrStore(key, s.newClient(key))
	return actual.(*client.API)
}

// newClient returns a client for key that is not kept: keys under test
// (PUT /stripe) may be wrong, and any admin could otherwise fill the cache.
func (s *Stripe) newClient(key string) *client.API {
	cfg := &stripe.BackendConfig{HTTPClient: s.http, MaxNetworkRetries: stripe.Int64(1),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelError}}
	if s.apiURL != "" {
		cfg.URL = stripe.String(s.apiURL)
	}
	return client.New(key, stripe.NewBackendsWithConfig(cfg))
}

// params fills what every request carries: context, idempotency key and,
// for Connect, the connected account.
func params(ctx context.Context, p *stripe.Params, acct Account, idempotencyKey string) {
	p.Context = ctx
	if idempotencyKey != "" {
		p.SetIdempotencyKey(idempotencyKey)
	}
	if acct.Mode == ModeConnect {
		p.SetStripeAccount(acct.AccountID)
	}
}

// CreateCustomer creates a Stripe customer for a household.
func (s *Stripe) CreateCustomer(ctx context.Context, acct Account, req CustomerRequest) (string, error) {
	p := &stripe.CustomerParams{Name: stripe.String(req.Name), Email: stripe.String(req.Email)}
	p.AddMetadata("household_id", req.HouseholdID)
	p.AddMetadata("tenant_id", req.TenantID)
	params(ctx, &p.Params, acct, req.IdempotencyKey)
	c, err := s.client(acct.SecretKey).Customers.New(p)
	if err != nil {
		return "", fmt.Errorf("%w: create customer: %v", ErrProvider, err)
	}
	return c.ID, nil
}

// CreateSession creates a Checkout Session in payment mode for one order.
// The order and tenant ids ride in client_reference_id and in the metadata
// of both the session and its payment intent.
func (s *Stripe) CreateSession(ctx context.Context, acct Account, req SessionRequest) (Session, error) {
	meta := req.Metadata()
	p := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(req.Reference()),
		Customer:          stripe.String(req.CustomerID),
		SuccessURL:        stripe.String(req.SuccessURL),
		CancelURL:         stripe.String(req.CancelURL),
		ExpiresAt:         stripe.Int64(req.ExpiresAt.Unix()),
		Metadata:          meta,
		PaymentIntentData: &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: meta},
	}
	for _, l := range req.Lines {
		p.LineItems = append(p.LineItems, &stripe.CheckoutSessionLineItemParams{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripe.String(req.Currency),
				UnitAmount:  stripe.Int64(l.AmountCents),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String(l.Name)},
			},
		})
	}
	params(ctx, &p.Params, acct, req.IdempotencyKey)
	cs, err := s.client(acct.SecretKey).CheckoutSessions.New(p)
	if err != nil {
		return Session{}, fmt.Errorf("%w: create checkout session: %v", ErrProvider, err)
	}
	return sessionOf(cs), nil
}

// GetSession reads a Checkout Session.
func (s *Stripe) GetSession(ctx context.Context, acct Account, id string) (Session, error) {
	p := &stripe.CheckoutSessionParams{}
	params(ctx, &p.Params, acct, "")
	cs, err := s.client(acct.SecretKey).CheckoutSessions.Get(id, p)
	if err != nil {
		return Session{}, fmt.Errorf("%w: get checkout session: %v", ErrProvider, err)
	}
	return sessionOf(cs), nil
}

// ExpireSession expires an open Checkout Session.
func (s *Stripe) ExpireSession(ctx context.Context, acct Account, id string) (Session, error) {
	p := &stripe.CheckoutSessionExpireParams{}
	params(ctx, &p.Params, acct, "expire:"+id)
	cs, err := s.client(acct.SecretKey).CheckoutSessions.Expire(id, p)
	if err != nil {
		return Session{}, fmt.Errorf("%w: expire checkout session: %v", ErrProvider, err)
	}
	return sessionOf(cs), nil
}

// Refund refunds part or all of a payment intent.
func (s *Stripe) Refund(ctx context.Context, acct Account, req RefundRequest) (string, error) {
	p := &stripe.RefundParams{PaymentIntent: stripe.String(req.PaymentIntentID), Amount: stripe.Int64(req.AmountCents)}
	p.AddMetadata("order_id", req.OrderID)
	params(ctx, &p.Params, acct, req.IdempotencyKey)
	r, err := s.client(acct.SecretKey).Refunds.New(p)
	if err != nil {
		return "", fmt.Errorf("%w: refund: %v", ErrProvider, err)
	}
	return r.ID, nil
}

// Account reads the account a league's own key belongs to (GET
// /v1/account), or a Connect account with the platform's key (GET
// /v1/accounts/{id}), which Stripe answers only for the platform's own
// account and the accounts connected to it; the platform's own account is
// refused here, as it is not a connected one.
func (s *Stripe) Account(ctx context.Context, acct Account) (AccountInfo, error) {
	if acct.Mode != ModeConnect {
		a, err := s.self(ctx, s.newClient(acct.SecretKey), acct.SecretKey)
		if err != nil {
			return AccountInfo{}, stripeRefusal("read the key's account", err)
		}
		return AccountInfo{ID: a}, nil
	}
	platform, err := s.platformAccount(ctx, acct.SecretKey)
	if err != nil {
		return AccountInfo{}, fmt.Errorf("%w: read the platform's account: %s", ErrProvider, describe(err))
	}
	p := &stripe.AccountParams{}
	p.Context = ctx
	a, err := s.client(acct.SecretKey).Accounts.GetByID(acct.AccountID, p)
	switch {
	case err != nil:
		return AccountInfo{}, stripeRefusal("read the connected account", err)
	case a.ID != acct.AccountID:
		return AccountInfo{}, fmt.Errorf("%w: asked for account %s, got %q", ErrProvider, acct.AccountID, a.ID)
	case a.ID == platform:
		return AccountInfo{}, fmt.Errorf("%w: %s is the platform's own account", ErrRefused, a.ID)
	}
	return AccountInfo{ID: a.ID}, nil
}

// self reads the account key belongs to. stripe-go's Accounts.Get takes no
// context, so the call goes through the backend with one.
func (s *Stripe) self(ctx context.Context, c *client.API, key string) (string, error) {
	p := &stripe.AccountParams{}
	p.Context = ctx
	a := &stripe.Account{}
	if err := c.Accounts.B.Call(http.MethodGet, "/v1/account", key, p, a); err != nil {
		return "", err
	}
	if a.ID == "" {
		return "", errors.New("stripe answered an account without an id")
	}
	return a.ID, nil
}

// platformAccount is the platform's own account id, read once per key.
func (s *Stripe) platformAccount(ctx context.Context, key string) (string, error) {
	if id, ok := s.platforms.Load(key); ok {
		return id.(string), nil
	}
	id, err := s.self(ctx, s.client(key), key)
	if err != nil {
		return "", err
	}
	s.platforms.Store(key, id)
	return id, nil
}

// stripeRefusal wraps err as ErrRefused when Stripe answered with a client
// error about the request (an unknown or inaccessible account, an invalid
// key) and as ErrProvider otherwise (no answer, a rate limit, Stripe's own
// failure).
func stripeRefusal(what string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 &&
		se.HTTPStatusCode != http.StatusTooManyRequests {
		return fmt.Errorf("%w: %s: %s", ErrRefused, what, describe(err))
	}
	return fmt.Errorf("%w: %s: %s", ErrProvider, what, describe(err))
}

// describe is err without Stripe's message, which for a refused key may
// quote the key.
func describe(err error) string {
	var se *stripe.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("stripe answered %d %s %s", se.HTTPStatusCode, se.Type, se.Code)
	}
	return err.Error()
}

func sessionOf(cs *stripe.CheckoutSession) Session {
	s := Session{ID: cs.ID, URL: cs.URL, Status: string(cs.Status), PaymentStatus: string(cs.PaymentStatus),
		AmountTotal: cs.AmountTotal, Currency: string(cs.Currency)}
	if cs.PaymentIntent != nil {
		s.PaymentIntentID = cs.PaymentIntent.ID
	}
	if cs.ExpiresAt > 0 {
		s.ExpiresAt = time.Unix(cs.ExpiresAt, 0).UTC()
	}
	return s
}
