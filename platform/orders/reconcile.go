package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/payments"
)

// Reconciliation settles orders a lost webhook left pending: past their
// session's expiry (plus grace for a late webhook) the provider is asked
// what became of the session. A pending order that never got a session
// (the process died between the order and the provider call) fails after
// orphanAfter; an imported legacy order never had one of ours, so it is not
// the reconciler's to settle.
const (
	reconcileGrace = 2 * time.Minute
	orphanAfter    = 10 * time.Minute
	reconcileBatch = 50
)

// RunReconciler reconciles every interval until ctx ends. Several replicas
// may run it at once: each batch locks its orders with SKIP LOCKED, so no
// order is settled twice.
func (s *Service) RunReconciler(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reconcile pending orders", "err", err)
		} else if n > 0 {
			s.log.Info("reconciled pending orders", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reconcile runs one pass over every tenant and returns how many orders it
// settled.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	if s.gateway == nil {
		return 0, nil
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT id FROM tenants ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("list tenants: %w", err)
	}
	tenants, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("list tenants: %w", err)
	}
	total := 0
	for _, id := range tenants {
		n, err := s.reconcileTenant(ctx, id)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

type stale struct {
	id      uuid.UUID
	session *string
}

func (s *Service) reconcileTenant(ctx context.Context, tenantID uuid.UUID) (int, error) {
	ctx, changes := Track(ctx)
	acct, acctErr := s.account(ctx, tenantID)
	n := 0
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, stripe_checkout_session_id FROM orders
			WHERE tenant_id = $1 AND status = 'pending'
			  AND ((checkout_expires_at IS NOT NULL AND checkout_expires_at < now() - make_interval(secs => $2))
			    OR (stripe_checkout_session_id IS NULL AND legacy_ref IS NULL
			        AND created_at < now() - make_interval(secs => $3)))
			ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED`,
			tenantID, reconcileGrace.Seconds(), orphanAfter.Seconds(), reconcileBatch)
		if err != nil {
			return err
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stale, error) {
			var st stale
			return st, r.Scan(&st.id, &st.session)
		})
		if err != nil {
			return err
		}
		for _, st := range list {
			if s.reconcileOne(ctx, tx, tenantID, acct, acctErr, st) {
				n++
			}
		}
		return nil
	})
	return n, s.publish(changes, err)
}

// reconcileOne settles one stale order from what the provider says of its
// session on acct (resolved before the transaction; acctErr when it could
// not be); a provider error leaves it for the next pass.
func (s *Service) reconcileOne(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, acct payments.Account, acctErr error, st stale) bool {
	const actor = "reconciler"
	var err error
	switch {
	case st.session == nil:
		_, err = MarkFailed(ctx, tx, tenantID, st.id, actor, "no checkout session was ever created")
	case acctErr != nil:
		s.log.Warn("reconcile: payment account", "order_id", st.id, "err", acctErr)
		return false
	default:
		sess, gerr := s.gateway.GetSession(ctx, acct, *st.session)
		switch {
		case gerr != nil:
			s.log.Warn("reconcile: read session", "order_id", st.id, "err", gerr)
			return false
		case sess.Status == "complete" && sess.PaymentStatus == "paid":
			var out Outcome
			out, err = MarkPaid(ctx, tx, tenantID, st.id, sess.AmountTotal, sess.Currency, sess.PaymentIntentID, actor, "session found paid")
			if err == nil && out == OutcomeAmountMismatch {
				// Paid, but not what the order asks: left pending for staff,
				// and not counted as settled.
				s.log.Error("reconcile: session paid with another amount or currency", "order_id", st.id,
					"amount", sess.AmountTotal, "currency", sess.Currency)
				return false
			}
		case sess.Status == "open":
			if _, gerr := s.gateway.ExpireSession(ctx, acct, *st.session); gerr != nil {
				s.log.Warn("reconcile: expire session", "order_id", st.id, "err", gerr)
				return false
			}
			_, err = MarkExpired(ctx, tx, tenantID, st.id, actor, "session expired by the reconciler")
		default:
			_, err = MarkExpired(ctx, tx, tenantID, st.id, actor, "session found "+sess.Status)
		}
	}
	if err != nil {
		s.log.Error("reconcile order", "order_id", st.id, "err", err)
		return false
	}
	return true
}
