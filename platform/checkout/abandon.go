package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
)

// Cleaning up after a failed request is done on a fresh context (the
// request's may be gone) and, when the database is what failed, again in
// the background until it answers: every retryEvery (doubling from
// retryFirst) for up to retryFor. Past that the reconciler's orphan pass
// fails a sessionless pending order (orphanAfter) and an Idempotency-Key
// whose request never finished is taken over (abandonAfter).
const (
	retryFirst   = 100 * time.Millisecond
	retryEvery   = 2 * time.Second
	retryFor     = 5 * time.Minute
	attemptLimit = 10 * time.Second
)

// untilAnswered runs attempt at once and, while it fails because the
// database is unavailable, again in the background; what names it in the
// log when it gives up.
func (s *Service) untilAnswered(what string, attempt func(context.Context) error, logArgs ...any) {
	run := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), attemptLimit)
		defer cancel()
		return attempt(ctx)
	}
	err := run()
	if err == nil || !errors.Is(err, db.ErrUnavailable) {
		if err != nil {
			s.log.Error(what, append(logArgs, "err", err)...)
		}
		return
	}
	go func() {
		giveUp := time.Now().Add(retryFor)
		for wait := retryFirst; ; wait = min(2*wait, retryEvery) {
			time.Sleep(wait)
			err := run()
			if err == nil {
				s.log.Info(what+": done once the database answered", logArgs...)
				return
			}
			if !errors.Is(err, db.ErrUnavailable) || time.Now().After(giveUp) {
				s.log.Error(what, append(logArgs, "err", err)...)
				return
			}
		}
	}()
}

// unfinished is a priced checkout whose orders were placed but whose buyer
// was answered an error: the provider failed (session nil), or it created
// session and storing it failed. The buyer never saw a checkout URL.
type unfinished struct {
	tenantID   uuid.UUID
	checkoutID uuid.UUID
	orderIDs   []uuid.UUID
	acct       payments.Account
	session    *payments.Session
	detail     string
}

// abandon ends an unfinished checkout, so that the buyer's retry starts
// afresh at once: the session (if any) is expired at the provider, then the
// orders fail, naming the session, and give back their claims (and the
// checkout its redemption). If the
// provider will not expire the session, it might still be paid: the order
// keeps it and stays pending, and the reconciler settles it from the
// provider once the session expires, as for any pending order.
func (s *Service) abandon(u unfinished) {
	expired := false
	s.untilAnswered("abandon unfinished checkout", func(ctx context.Context) error {
		if u.session != nil && !expired {
			if _, err := s.payments.ExpireSession(ctx, u.acct, u.session.ID); err != nil {
				return s.keepSession(ctx, u, err)
			}
			expired = true
		}
		err := s.db.InTenant(ctx, u.tenantID, func(tx pgx.Tx) error {
			if _, err := orders.LockCheckout(ctx, tx, u.tenantID, u.checkoutID); err != nil {
				return err
			}
			for _, id := range u.orderIDs {
				if u.session != nil {
					if err := orders.KeepSession(ctx, tx, u.tenantID, id, u.session.ID, nil); err != nil {
						return err
					}
				}
				if _, err := orders.Settle(ctx, tx, u.tenantID, id, orders.StatusFailed, "system", u.detail); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	}, "order_ids", u.orderIDs)
}

// keepSession stores the session the provider would not expire on its
// still pending order, with its expiry, so the reconciler settles it.
func (s *Service) keepSession(ctx context.Context, u unfinished, expireErr error) error {
	s.log.Warn("could not expire the session of an unfinished checkout; the reconciler settles its orders when it expires",
		"order_ids", u.orderIDs, "session", u.session.ID, "err", expireErr)
	return s.db.InTenant(ctx, u.tenantID, func(tx pgx.Tx) error {
		for _, id := range u.orderIDs {
			if err := orders.KeepSession(ctx, tx, u.tenantID, id, u.session.ID, &u.session.ExpiresAt); err != nil {
				return err
			}
		}
		return nil
	})
}
