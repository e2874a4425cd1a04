package checkout

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/leaguepay/checkout/platform/jobs"
)

// keyRetention is how long an Idempotency-Key is kept (it is honoured for
// idempotencyTTL).
const keyRetention = 48 * time.Hour

// PurgeArgs is the periodic job that deletes expired idempotency keys.
type PurgeArgs struct{}

// Kind is River's name for the job.
func (PurgeArgs) Kind() string { return "checkout.purge_keys" }

// Purger is the purge job's worker.
type Purger struct {
	river.WorkerDefaults[PurgeArgs]
	s *Service
}

// Purger returns the service's purge worker.
func (s *Service) Purger() *Purger { return &Purger{s: s} }

// PeriodicJob runs a purge every interval, on the leader only.
func (p *Purger) PeriodicJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return PurgeArgs{}, &river.InsertOpts{Queue: jobs.QueueDefault, MaxAttempts: 1,
				UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
		}, &river.PeriodicJobOpts{ID: "checkout.purge_keys"})
}

// Work purges every tenant's expired keys, one tenant transaction each.
func (p *Purger) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	rows, err := p.s.db.Pool.Query(ctx, `SELECT id FROM tenants ORDER BY id`)
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	tenants, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	for _, id := range tenants {
		err := p.s.db.InTenant(ctx, id, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1
				AND created_at < now() - make_interval(secs => $2)`, id, keyRetention.Seconds())
			return err
		})
		if err != nil {
			p.s.log.Error("purge idempotency keys", "tenant_id", id, "err", err)
		}
	}
	return nil
}
