// Package outbox owns the events table: every change of an order (and, in
// later issues, of a checkout or a waitlist entry) writes its event there in
// the transaction of the change, together with one dispatch job (see
// platform/jobs); a Nudger wakes the workers after the commit. The dispatcher works that job once the change committed,
// on whichever replica River hands it to, and drives everything that
// happens after a commit: metrics that count committed changes, the product
// types' paid hooks, and the deliveries to the leagues' endpoints. A change
// that rolls back leaves neither events nor a job; a change that commits
// keeps both, whatever happens to the process after the commit.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/jobs"
)

// Event is one committed change.
type Event struct {
	ID       uuid.UUID `json:"id"`
	TenantID uuid.UUID `json:"-"`
	Seq      int64     `json:"-"`
	Type     string    `json:"type"`
	ObjectID uuid.UUID `json:"-"`
	// FromStatus is the object's status before the change; nil for a new
	// object.
	FromStatus *string         `json:"-"`
	Data       json.RawMessage `json:"data"`
	CreatedAt  time.Time       `json:"created_at"`
}

// WriteCTE returns the common table expressions that write events and their
// dispatch job inside the statement of the change. rows is a SELECT of
// (tenant_id, id, type, object_id, from_status, data), one row per event,
// all of one tenant. The CTEs are named ev and dispatch; the statement's
// own CTEs must use other names.
func WriteCTE(rows string) string {
	return `ev AS (
		INSERT INTO events (tenant_id, id, type, object_id, from_status, data) ` + rows + `
		RETURNING tenant_id, id),
	dispatch AS (` + jobs.InsertSelectSQL(DispatchKind, jobs.QueueOutbox,
		`jsonb_build_object('tenant_id', (array_agg(tenant_id))[1], 'event_ids', jsonb_agg(id))`,
		`FROM ev HAVING count(*) > 0`) + `)`
}

// DispatchKind is the dispatch job's kind.
const DispatchKind = "outbox.dispatch"

// DispatchArgs are the dispatch job's: the events one transaction wrote.
type DispatchArgs struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	EventIDs []uuid.UUID `json:"event_ids"`
}

// Kind is River's name for the job.
func (DispatchArgs) Kind() string { return DispatchKind }

// A Follower acts on committed events inside the dispatcher's transaction,
// typically by inserting jobs of its own (a delivery per endpoint, a paid
// hook) so that they, too, are durable. The transaction is scoped to the
// events' tenant.
type Follower interface {
	// Probe is a query answering one boolean — whether the tenant ($1) has
	// anything this follower acts on (a live endpoint, say) — run in the
	// dispatcher's first round trip; "" when the events alone tell.
	Probe() string
	// Wants reports whether the follower has work for events, given the
	// probe's answer.
	Wants(events []Event, probed bool) bool
	// Follow does the work, inside tx.
	Follow(ctx context.Context, tx pgx.Tx, events []Event) error
}

// An Observer learns of committed events once the dispatcher's transaction
// committed (metrics). It must not block.
type Observer interface {
	Observe(events []Event)
}

// Dispatcher is the dispatch job's worker.
type Dispatcher struct {
	river.WorkerDefaults[DispatchArgs]
	db        *db.DB
	followers []Follower
	observers []Observer
	log       *slog.Logger
}

// NewDispatcher returns the worker that hands committed events to followers
// (in their transaction) and observers (after it).
func NewDispatcher(d *db.DB, log *slog.Logger, followers []Follower, observers []Observer) *Dispatcher {
	return &Dispatcher{db: d, followers: followers, observers: observers, log: log}
}

// Work dispatches one transaction's events. The events and every
// follower's probe are read in one round trip; only when a follower has
// work is a transaction opened, and then the followers' writes and the
// job's completion commit together, so a retried job never follows twice.
// Most changes (no endpoint subscribed, no paid hook) cost that one round
// trip and River's own batched fetch and completion.
func (d *Dispatcher) Work(ctx context.Context, job *river.Job[DispatchArgs]) error {
	evs, probed, err := d.load(ctx, job.Args)
	if err != nil {
		return fmt.Errorf("dispatch events: %w", err)
	}
	var busy []Follower
	for i, f := range d.followers {
		if f.Wants(evs, probed[i]) {
			busy = append(busy, f)
		}
	}
	if len(busy) > 0 {
		err = d.db.InTenant(ctx, job.Args.TenantID, func(tx pgx.Tx) error {
			for _, f := range busy {
				if err := f.Follow(ctx, tx, evs); err != nil {
					return err
				}
			}
			_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			return err
		})
		if err != nil {
			return fmt.Errorf("dispatch events: %w", err)
		}
	}
	for _, o := range d.observers {
		o.Observe(evs)
	}
	return nil
}

// load reads the job's events and every follower's probe in one pipelined
// batch (one implicit transaction scoped to the tenant).
func (d *Dispatcher) load(ctx context.Context, a DispatchArgs) ([]Event, []bool, error) {
	b := &pgx.Batch{}
	b.Queue(db.TenantSetup, a.TenantID.String())
	b.Queue(loadSQL, a.TenantID, a.EventIDs)
	probes := make([]string, len(d.followers))
	for i, f := range d.followers {
		if probes[i] = f.Probe(); probes[i] != "" {
			b.Queue(probes[i], a.TenantID)
		}
	}
	br := d.db.Pool.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, nil, db.Translate(err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, db.Translate(err)
	}
	evs, err := scanEvents(rows, a.TenantID)
	if err != nil {
		return nil, nil, err
	}
	probed := make([]bool, len(d.followers))
	for i, q := range probes {
		if q != "" {
			if err := br.QueryRow().Scan(&probed[i]); err != nil {
				return nil, nil, fmt.Errorf("probe: %w", db.Translate(err))
			}
		}
	}
	return evs, probed, br.Close()
}

const loadSQL = `SELECT id, seq, type, object_id, from_status, data, created_at FROM events
	WHERE tenant_id = $1 AND id = ANY($2) ORDER BY seq`

func scanEvents(rows pgx.Rows, tenantID uuid.UUID) ([]Event, error) {
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		e := Event{TenantID: tenantID}
		err := r.Scan(&e.ID, &e.Seq, &e.Type, &e.ObjectID, &e.FromStatus, &e.Data, &e.CreatedAt)
		e.CreatedAt = e.CreatedAt.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return evs, nil
}
