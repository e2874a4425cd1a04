package outbox

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaguepay/checkout/platform/jobs"
)

// Nudger wakes the dispatcher right after a commit that wrote events: the
// dispatch job those statements insert carries no notification (River
// sends one only for jobs it inserts itself), so without a nudge it waits
// for the outbox queue's next poll. A nudge is a hint, never needed for
// correctness: it is sent after the commit, on a connection of its own, at
// most once per interval per process, and a lost one only costs a poll.
type Nudger struct {
	pool     *pgxpool.Pool
	interval time.Duration
	last     atomic.Int64 // unix nanoseconds of the last nudge
}

// NewNudger returns a nudger over pool sending at most one nudge per
// interval.
func NewNudger(pool *pgxpool.Pool, interval time.Duration) *Nudger {
	return &Nudger{pool: pool, interval: interval}
}

// Nudge asks the replicas' outbox workers to fetch now, in the background.
func (n *Nudger) Nudge() {
	now := time.Now().UnixNano()
	last := n.last.Load()
	if now-last < int64(n.interval) || !n.last.CompareAndSwap(last, now) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = n.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, jobs.InsertChannel, `{"queue": "`+jobs.QueueOutbox+`"}`)
	}()
}
