package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/leaguepay/checkout/platform/payments"
)

// instrumented counts and times every call of a payment provider.
type instrumented struct {
	next payments.Provider
	m    *Metrics
}

// InstrumentProvider wraps p so every call is counted in
// checkout_stripe_requests_total and timed.
func (m *Metrics) InstrumentProvider(p payments.Provider) payments.Provider {
	return &instrumented{next: p, m: m}
}

// observe counts a call as ok, refused (the provider turned down a league's
// key or account: a mistake of the league, not a fault of the provider) or
// error.
func (i *instrumented) observe(op string, start time.Time, err error) {
	outcome := "ok"
	switch {
	case errors.Is(err, payments.ErrRefused):
		outcome = "refused"
	case err != nil:
		outcome = "error"
	}
	i.m.stripeRequests.WithLabelValues(op, outcome).Inc()
	i.m.stripeDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (i *instrumented) Account(ctx context.Context, a payments.Account) (info payments.AccountInfo, err error) {
	start := time.Now()
	defer func() { i.observe("account_get", start, err) }()
	return i.next.Account(ctx, a)
}

func (i *instrumented) CreateCustomer(ctx context.Context, a payments.Account, r payments.CustomerRequest) (id string, err error) {
	start := time.Now()
	defer func() { i.observe("customer_create", start, err) }()
	return i.next.CreateCustomer(ctx, a, r)
}

func (i *instrumented) CreateSession(ctx context.Context, a payments.Account, r payments.SessionRequest) (s payments.Session, err error) {
	start := time.Now()
	defer func() { i.observe("checkout_session_create", start, err) }()
	return i.next.CreateSession(ctx, a, r)
}

func (i *instrumented) GetSession(ctx context.Context, a payments.Account, id string) (s payments.Session, err error) {
	start := time.Now()
	defer func() { i.observe("checkout_session_get", start, err) }()
	return i.next.GetSession(ctx, a, id)
}

func (i *instrumented) ExpireSession(ctx context.Context, a payments.Account, id string) (s payments.Session, err error) {
	start := time.Now()
	defer func() { i.observe("checkout_session_expire", start, err) }()
	return i.next.ExpireSession(ctx, a, id)
}

func (i *instrumented) Refund(ctx context.Context, a payments.Account, r payments.RefundRequest) (id string, err error) {
	start := time.Now()
	defer func() { i.observe("refund_create", start, err) }()
	return i.next.Refund(ctx, a, r)
}
