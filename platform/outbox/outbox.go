// Package outbox owns the events table: every change of an order (and, in
// later issues, of a checkout or a waitlist entry) writes its events there
// in the statement of the change, and they stay pending until the
// dispatcher has handed them on. A change that rolls back leaves no event;
// a change that commits keeps its events, whatever happens to the process
// after the commit, and the dispatcher of any replica picks them up.
//
// The dispatcher drives everything that happens after a commit: metrics
// that count committed changes, the product types' paid hooks and the
// deliveries to the leagues' endpoints. It claims a tenant's pending events
// in batches, in one transaction with the followers' work (which is jobs of
// their own, on River: see platform/jobs), so a batch is handed on exactly
// once. One replica at a time dispatches a tenant (a transaction-scoped
// advisory lock), which keeps every object's events in order.
package outbox

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

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

// WriteCTE returns the common table expression, named name, that writes
// events inside the statement of the change. rows is a SELECT of
// (tenant_id, id, type, object_id, from_status, data), one row per event,
// all of one tenant.
func WriteCTE(name, rows string) string {
	return name + ` AS (
		INSERT INTO events (tenant_id, id, type, object_id, from_status, data) ` + rows + `
		RETURNING tenant_id, id)`
}

// A Follower acts on committed events inside the dispatcher's transaction:
// it answers the jobs to insert for them (a delivery per endpoint, a paid
// hook), which the dispatcher inserts in that transaction, so that they are
// as durable as the events. The transaction is scoped to the events'
// tenant.
type Follower interface {
	// Probe is a query answering one boolean — whether the tenant ($1) has
	// anything this follower acts on (a live endpoint, say) — run with the
	// claim; "" when the events alone tell.
	Probe() string
	// Wants reports whether the follower has work for events, given the
	// probe's answer.
	Wants(events []Event, probed bool) bool
	// Follow does the work inside tx and returns the jobs to insert.
	Follow(ctx context.Context, tx pgx.Tx, events []Event) ([]river.InsertManyParams, error)
}

// An Observer learns of committed events once the dispatcher's transaction
// committed (metrics). It must not block.
type Observer interface {
	Observe(events []Event)
}

// Options tune the dispatcher; the zero value is production's.
type Options struct {
	// Poll is how often a replica looks for pending events that no nudge
	// announced: another replica's that it could not finish, or a process's
	// that died after its commit. Default 250ms.
	Poll time.Duration
	// Batch is the most events claimed in one transaction. Default 500.
	Batch int
}

// Dispatcher claims and hands on committed events.
type Dispatcher struct {
	db        *db.DB
	jobs      *jobs.Client
	nudges    *Nudger
	followers []Follower
	observers []Observer
	log       *slog.Logger
	o         Options
	// panicked counts a contained panic of a follower or observer.
	panicked func()
}

// NewDispatcher returns the dispatcher: it wakes on n's nudges and every
// Poll, hands events to followers (in the claim's transaction, inserting
// their jobs with client) and observers (after it). panicked counts a
// contained panic.
func NewDispatcher(d *db.DB, client *jobs.Client, n *Nudger, log *slog.Logger, followers []Follower,
	observers []Observer, panicked func(), o Options) *Dispatcher {
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	return &Dispatcher{db: d, jobs: client, nudges: n, followers: followers, observers: observers,
		log: log.With("component", "outbox"), o: o, panicked: panicked}
}

// Run dispatches until ctx ends: whenever nudged and every Poll, it drains
// every tenant's pending events. A tenant whose dispatch fails is tried
// again after a delay that doubles up to a minute.
func (d *Dispatcher) Run(ctx context.Context) {
	tick := time.NewTicker(d.o.Poll)
	defer tick.Stop()
	retry := map[uuid.UUID]backoff{}
	for {
		d.drain(ctx, retry)
		select {
		case <-ctx.Done():
			return
		case <-d.nudges.c:
		case <-tick.C:
		}
	}
}

type backoff struct {
	at    time.Time
	delay time.Duration
}

// drain dispatches until no tenant it may dispatch has pending events, and
// reports how many events it handed on and the first error it met (a
// failing tenant is logged and skipped until its retry is due; the others
// go on).
func (d *Dispatcher) drain(ctx context.Context, retry map[uuid.UUID]backoff) (total int, first error) {
	for ctx.Err() == nil {
		tenants, err := d.pending(ctx)
		if err != nil {
			d.log.Error("outbox: read pending tenants", "err", err)
			return total, cmp.Or(first, err)
		}
		progress := false
		for _, t := range tenants {
			if b, ok := retry[t]; ok && time.Now().Before(b.at) {
				continue
			}
			n, err := d.dispatch(ctx, t)
			total += n
			if err != nil {
				first = cmp.Or(first, err)
				b := retry[t]
				b.delay = min(max(2*b.delay, d.o.Poll), time.Minute)
				b.at = time.Now().Add(b.delay)
				retry[t] = b
				if ctx.Err() == nil {
					d.log.Error("outbox: dispatch", "tenant_id", t, "err", err, "retry_in", b.delay)
				}
				continue
			}
			delete(retry, t)
			progress = progress || n > 0
		}
		if !progress {
			return total, first
		}
	}
	return total, first
}

// Dispatch drains every tenant's pending events now, as Run does when
// nudged, and reports how many it handed on and the first error; the
// tests use it to dispatch without a running loop.
func (d *Dispatcher) Dispatch(ctx context.Context) (int, error) {
	return d.drain(ctx, map[uuid.UUID]backoff{})
}

// pending asks which tenants have pending events.
func (d *Dispatcher) pending(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := d.db.Pool.Query(ctx, `SELECT outbox_pending_tenants()`)
	if err != nil {
		return nil, db.Translate(err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// LockKey is the advisory lock a replica holds while it dispatches the
// tenant's events.
func LockKey(tenantID uuid.UUID) int64 {
	return int64(binary.BigEndian.Uint64(tenantID[:8]) ^ 0x6f7574626f78) // "outbox"
}

// claimSQL marks up to $3 of tenant $1's oldest pending events dispatched
// and returns them, when this transaction gets the tenant's lock ($2);
// otherwise another replica is dispatching them and it returns nothing.
//
// The ids are picked first and updated through = ANY, so the plan cannot
// depend on how many events the statistics think are pending: a join,
// planned while the table's statistics said none were, ran the pick once
// per pending event. The statement's snapshot predates the lock: a replica
// that committed its batch in between left rows the pick still sees
// pending, and the UPDATE's own dispatched_at IS NULL, which PostgreSQL
// checks again on a row's newest version, skips them.
const claimSQL = `WITH lock AS MATERIALIZED (SELECT pg_try_advisory_xact_lock($2) AS ok),
	picked AS MATERIALIZED (SELECT id FROM events WHERE tenant_id = $1 AND dispatched_at IS NULL
		AND (SELECT ok FROM lock) ORDER BY seq LIMIT $3)
	UPDATE events e SET dispatched_at = now()
	WHERE e.tenant_id = $1 AND e.id = ANY (ARRAY(SELECT id FROM picked)) AND e.dispatched_at IS NULL
	RETURNING e.id, e.seq, e.type, e.object_id, e.from_status, e.data, e.created_at`

// dispatch claims one batch of the tenant's events and hands it on: the
// claim and every follower's probe go in one round trip; the followers'
// work and their jobs commit with the claim. A failure rolls all of it
// back, leaving the events pending.
func (d *Dispatcher) dispatch(ctx context.Context, tenantID uuid.UUID) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			d.panicked()
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	var evs []Event
	err = d.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(claimSQL, tenantID, LockKey(tenantID), d.o.Batch)
		probes := make([]string, len(d.followers))
		for i, f := range d.followers {
			if probes[i] = f.Probe(); probes[i] != "" {
				b.Queue(probes[i], tenantID)
			}
		}
		br := tx.SendBatch(ctx, b)
		rows, err := br.Query()
		if err != nil {
			br.Close()
			return err
		}
		if evs, err = scanEvents(rows, tenantID); err != nil {
			br.Close()
			return err
		}
		probed := make([]bool, len(d.followers))
		for i, q := range probes {
			if q != "" {
				if err := br.QueryRow().Scan(&probed[i]); err != nil {
					br.Close()
					return fmt.Errorf("probe: %w", err)
				}
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		var params []river.InsertManyParams
		for i, f := range d.followers {
			if !f.Wants(evs, probed[i]) {
				continue
			}
			p, err := f.Follow(ctx, tx, evs)
			if err != nil {
				return err
			}
			params = append(params, p...)
		}
		if len(params) > 0 {
			if _, err := d.jobs.InsertManyTx(ctx, tx, params); err != nil {
				return fmt.Errorf("insert jobs: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, o := range d.observers {
		o.Observe(evs)
	}
	return len(evs), nil
}

func scanEvents(rows pgx.Rows, tenantID uuid.UUID) ([]Event, error) {
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		e := Event{TenantID: tenantID}
		err := r.Scan(&e.ID, &e.Seq, &e.Type, &e.ObjectID, &e.FromStatus, &e.Data, &e.CreatedAt)
		e.CreatedAt = e.CreatedAt.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	slices.SortFunc(evs, func(a, b Event) int { return cmp.Compare(a.Seq, b.Seq) })
	return evs, nil
}
