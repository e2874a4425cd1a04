package settlement

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/leaguepay/checkout/platform/jobs"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
)

// Reconciliation settles orders a lost webhook left pending: past their
// session's expiry (plus grace for a late webhook) the provider is asked
// what became of the session. A pending order that never got a session
// (the process died between the order and the provider call) fails after
// orphanAfter; an imported legacy order never had one of ours, so it is not
// the reconciler's to settle. An order the pass cannot settle now (provider
// down, an async payment still processing, a payment of the wrong amount
// waiting for staff) has its next check postponed, so it neither blocks the
// others nor is asked about every minute.
const (
	reconcileGrace = 2 * time.Minute
	orphanAfter    = 10 * time.Minute
	reconcileBatch = 50
	retryAfter     = 10 * time.Minute // provider or account unavailable
	asyncRecheck   = 6 * time.Hour    // async payment processing, or paid with another amount
)

// ReconcileArgs is the periodic job of one reconciliation pass. River runs
// periodic jobs on its elected leader only, and each order is settled in a
// transaction of its own that locks it with SKIP LOCKED, so no order is
// settled twice and no replica holds more than one order (and one
// connection) while it asks the provider.
type ReconcileArgs struct{}

// Kind is River's name for the job.
func (ReconcileArgs) Kind() string { return "settlement.reconcile" }

// Reconciler is the reconciliation job's worker.
type Reconciler struct {
	river.WorkerDefaults[ReconcileArgs]
	s *Service
}

// Reconciler returns the service's reconciliation worker.
func (s *Service) Reconciler() *Reconciler { return &Reconciler{s: s} }

// PeriodicJob runs a pass every interval, on River's leader.
func (r *Reconciler) PeriodicJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return ReconcileArgs{}, &river.InsertOpts{Queue: jobs.QueueDefault, MaxAttempts: 1,
				UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
		}, &river.PeriodicJobOpts{ID: "settlement.reconcile"})
}

// Work runs one pass; its failures are logged, and the next period runs
// another.
func (r *Reconciler) Work(ctx context.Context, _ *river.Job[ReconcileArgs]) error {
	n, err := r.s.reconcileSafely(ctx)
	if err != nil && ctx.Err() == nil {
		r.s.log.Error("reconcile pending orders", "err", err)
	} else if n > 0 {
		r.s.log.Info("reconciled pending orders", "count", n)
	}
	return nil
}

// reconcileSafely runs one pass; a panic in it (ours or a product type's)
// is logged, counted and ends only that pass, so the worker lives on.
func (s *Service) reconcileSafely(ctx context.Context) (n int, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.panicked("worker")
			s.log.Error("reconcile pass panicked", "err", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = fmt.Errorf("reconcile pass panicked: %v", v)
		}
	}()
	return s.Reconcile(ctx)
}

// Reconcile runs one pass over every tenant and returns how many orders it
// settled.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id FROM tenants ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("list tenants: %w", err)
	}
	tenants, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("list tenants: %w", err)
	}
	purge := s.purgeDue()
	total := 0
	for _, id := range tenants {
		if purge {
			if err := s.purge(ctx, id); err != nil {
				s.log.Error("purge retry records", "tenant_id", id, "err", err)
			}
		}
		n, err := s.reconcileTenant(ctx, id)
		total += n
		if err != nil {
			if ctx.Err() != nil {
				return total, err
			}
			s.log.Error("reconcile tenant", "tenant_id", id, "err", err) // the other tenants still get their pass
		}
	}
	return total, nil
}

// Retention of the records that only exist to make retries safe, purged
// at most every purgeEvery by each replica.
const (
	webhookRetention = 90 * 24 * time.Hour // Stripe retries for 3 days
	purgeEvery       = time.Hour
)

// purgeDue reports whether this pass should purge, and if so marks it done.
func (s *Service) purgeDue() bool {
	now := time.Now().UnixNano()
	last := s.purgedAt.Load()
	return now-last >= int64(purgeEvery) && s.purgedAt.CompareAndSwap(last, now)
}

// purge deletes a tenant's old webhook event ids.
func (s *Service) purge(ctx context.Context, tenantID uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_events WHERE tenant_id = $1
			AND received_at < now() - make_interval(secs => $2)`, tenantID, webhookRetention.Seconds()); err != nil {
			return fmt.Errorf("purge webhook events: %w", err)
		}
		return nil
	})
}

// reconcileTenant settles up to reconcileBatch of a tenant's stale orders.
func (s *Service) reconcileTenant(ctx context.Context, tenantID uuid.UUID) (int, error) {
	acct, acctErr := s.account(ctx, tenantID)
	n := 0
	for range reconcileBatch {
		found, settled, err := s.reconcileNext(ctx, tenantID, acct, acctErr)
		if err != nil || !found {
			return n, err
		}
		if settled {
			n++
		}
	}
	return n, nil
}

// reconcileNext locks the tenant's oldest stale order that no other replica
// holds and settles it, or postpones its next check.
func (s *Service) reconcileNext(ctx context.Context, tenantID uuid.UUID, acct payments.Account, acctErr error) (found, settled bool, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		id, session, ok, err := orders.NextStale(ctx, tx, tenantID, reconcileGrace, orphanAfter)
		if err != nil || !ok {
			return err
		}
		found = true
		later, err := s.reconcileOne(ctx, tx, tenantID, acct, acctErr, id, session)
		if err != nil || later == 0 {
			settled = err == nil
			return err
		}
		return orders.Postpone(ctx, tx, tenantID, id, later, reconcileGrace)
	})
	return found, settled, err
}

// reconcileOne settles one stale order from what the provider says of its
// session on acct (resolved before the transaction; acctErr when it could
// not be). It returns how long to wait before asking again when the order
// cannot be settled now, or 0 when it was settled.
func (s *Service) reconcileOne(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, acct payments.Account, acctErr error,
	id uuid.UUID, session *string) (time.Duration, error) {
	const actor = "reconciler"
	if session == nil {
		_, err := MarkFailed(ctx, tx, tenantID, id, actor, "no checkout session was ever created")
		return 0, err
	}
	if acctErr != nil {
		s.log.Warn("reconcile: payment account", "order_id", id, "err", acctErr)
		return retryAfter, nil
	}
	sess, err := s.payments.GetSession(ctx, acct, *session)
	if err != nil {
		s.log.Warn("reconcile: read session", "order_id", id, "err", err)
		return retryAfter, nil
	}
	switch {
	case sess.Status == "complete" && sess.PaymentStatus == "paid":
		out, err := MarkPaid(ctx, tx, tenantID, id, sess.AmountTotal, sess.Currency, sess.PaymentIntentID, actor, "session found paid")
		if err == nil && out == OutcomeAmountMismatch {
			s.log.Error("reconcile: session paid with another amount or currency; left pending for staff",
				"order_id", id, "amount", sess.AmountTotal, "currency", sess.Currency)
			return asyncRecheck, nil
		}
		return 0, err
	case sess.Status == "complete":
		// An async payment (bank debit) is still processing: its
		// async_payment_succeeded/failed event settles the order.
		return asyncRecheck, nil
	case sess.Status == "open":
		if _, err := s.payments.ExpireSession(ctx, acct, *session); err != nil {
			s.log.Warn("reconcile: expire session", "order_id", id, "err", err)
			return retryAfter, nil
		}
		_, err = MarkExpired(ctx, tx, tenantID, id, actor, "session expired by the reconciler")
		return 0, err
	default:
		_, err = MarkExpired(ctx, tx, tenantID, id, actor, "session found "+sess.Status)
		return 0, err
	}
}
