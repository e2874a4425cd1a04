package leaguehooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/jobs"
	"github.com/leaguepay/checkout/platform/outbox"
)

// GiveUpAfter is how long a delivery is retried, from its event.
const GiveUpAfter = 72 * time.Hour

// DeliverArgs is the job of one delivery: one event to one endpoint.
type DeliverArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	DeliveryID uuid.UUID `json:"delivery_id"`
}

// Kind is River's name for the job.
func (DeliverArgs) Kind() string { return "leaguehooks.deliver" }

// Deliverer follows the outbox, making the deliveries of each committed
// event, and works them.
type Deliverer struct {
	river.WorkerDefaults[DeliverArgs]
	s *Service
}

// Deliverer returns the service's outbox follower and delivery worker.
func (s *Service) Deliverer() *Deliverer { return &Deliverer{s: s} }

// Probe asks whether the tenant has a live endpoint.
func (d *Deliverer) Probe() string {
	return `SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL)`
}

// Wants reports whether the tenant has an endpoint and events has a type
// leagues may subscribe to.
func (d *Deliverer) Wants(events []outbox.Event, hasEndpoint bool) bool {
	if !hasEndpoint {
		return false
	}
	for _, ev := range events {
		if slices.Contains(Events, ev.Type) {
			return true
		}
	}
	return false
}

// Follow makes, in the dispatcher's transaction, one delivery and one job
// per event and endpoint subscribed to its type.
func (d *Deliverer) Follow(ctx context.Context, tx pgx.Tx, events []outbox.Event) ([]river.InsertManyParams, error) {
	var subscribed []outbox.Event
	for _, ev := range events {
		if slices.Contains(Events, ev.Type) {
			subscribed = append(subscribed, ev)
		}
	}
	if len(subscribed) == 0 {
		return nil, nil
	}
	tenantID := subscribed[0].TenantID
	rows, err := tx.Query(ctx, `SELECT id, events FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("read webhook endpoints: %w", err)
	}
	type endpoint struct {
		id     uuid.UUID
		events []string
	}
	endpoints, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (endpoint, error) {
		var e endpoint
		return e, r.Scan(&e.id, &e.events)
	})
	if err != nil || len(endpoints) == 0 {
		return nil, err
	}
	var jobsToInsert []river.InsertManyParams
	b := &pgx.Batch{}
	for _, ev := range subscribed {
		for _, ep := range endpoints {
			if !slices.Contains(ep.events, ev.Type) {
				continue
			}
			id := ids.New()
			b.Queue(`INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, event_seq, object_id)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, tenantID, id, ep.id, ev.ID, ev.Seq, ev.ObjectID)
			jobsToInsert = append(jobsToInsert, river.InsertManyParams{Args: DeliverArgs{TenantID: tenantID, DeliveryID: id},
				InsertOpts: &river.InsertOpts{Queue: jobs.QueueDeliveries, MaxAttempts: 25}})
		}
	}
	if len(jobsToInsert) == 0 {
		return nil, nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("insert deliveries: %w", err)
	}
	return jobsToInsert, nil
}

// delivery is what one attempt needs.
type delivery struct {
	endpointID uuid.UUID
	url        string
	sealed     []byte
	deleted    bool
	state      string
	attempts   int
	event      outbox.Event
	tenantSlug string
	// earlierDue is, while an earlier delivery of the same object to the
	// endpoint is pending, when its next attempt is due (now for its
	// first); nil when none is.
	earlierDue *time.Time
}

// payload is the body of a delivery.
type payload struct {
	ID        uuid.UUID       `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Tenant    string          `json:"tenant"`
	Data      json.RawMessage `json:"data"`
}

// Work makes one attempt of a delivery. It waits (snoozes) while an
// earlier event of the same object to the same endpoint is pending, so a
// league sees an order's events in order; a failure is logged in
// webhook_attempts and tried again after the retry base, doubled per
// attempt, for GiveUpAfter.
func (d *Deliverer) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	s := d.s
	a := job.Args
	var dl delivery
	err := s.db.InTenant(ctx, a.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT d.endpoint_id, e.url, e.secret_sealed, e.deleted_at IS NOT NULL, d.state, d.attempts,
				ev.id, ev.seq, ev.type, ev.object_id, ev.data, ev.created_at, t.slug,
				(SELECT max(coalesce((SELECT max(x.next_attempt_at) FROM webhook_attempts x
						WHERE x.tenant_id = p.tenant_id AND x.delivery_id = p.id), now()))
					FROM webhook_deliveries p WHERE p.tenant_id = d.tenant_id AND p.endpoint_id = d.endpoint_id
					AND p.object_id = d.object_id AND p.state = 'pending' AND p.event_seq < d.event_seq)
			FROM webhook_deliveries d
			JOIN webhook_endpoints e ON e.tenant_id = d.tenant_id AND e.id = d.endpoint_id
			JOIN events ev ON ev.tenant_id = d.tenant_id AND ev.id = d.event_id
			JOIN tenants t ON t.id = d.tenant_id
			WHERE d.tenant_id = $1 AND d.id = $2`, a.TenantID, a.DeliveryID).Scan(
			&dl.endpointID, &dl.url, &dl.sealed, &dl.deleted, &dl.state, &dl.attempts,
			&dl.event.ID, &dl.event.Seq, &dl.event.Type, &dl.event.ObjectID, &dl.event.Data, &dl.event.CreatedAt,
			&dl.tenantSlug, &dl.earlierDue)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("delivery %s is gone", a.DeliveryID))
	}
	if err != nil {
		return err // the database: River retries
	}
	switch {
	case dl.state != "pending" || dl.deleted:
		return nil
	case dl.earlierDue != nil:
		// Wait for the earlier one's attempt, and a little more for it to
		// finish.
		return river.JobSnooze(max(time.Until(*dl.earlierDue), 0) + 200*time.Millisecond)
	}
	secret, err := s.box.Open(dl.sealed, sealAD(a.TenantID, dl.endpointID))
	if err != nil {
		return river.JobCancel(fmt.Errorf("open the endpoint's secret: %w", err))
	}
	body, err := json.Marshal(payload{ID: dl.event.ID, Type: dl.event.Type, CreatedAt: dl.event.CreatedAt.UTC(),
		Tenant: dl.tenantSlug, Data: dl.event.Data})
	if err != nil {
		return river.JobCancel(err)
	}
	status, sendErr := s.send(ctx, dl.url, secret, body)
	attempt := dl.attempts + 1
	now := time.Now()
	var next *time.Time
	state := "delivered"
	if sendErr != nil {
		state = "pending"
		at := now.Add(s.backoff(attempt))
		if at.Sub(dl.event.CreatedAt) > GiveUpAfter {
			state = "failed"
		} else {
			next = &at
		}
	}
	if err := s.record(ctx, a, dl, attempt, status, sendErr, next, state); err != nil {
		return err
	}
	switch state {
	case "pending":
		s.log.Warn("webhook delivery failed", "tenant_id", a.TenantID, "endpoint_id", dl.endpointID,
			"event_id", dl.event.ID, "attempt", attempt, "err", sendErr)
		return river.JobSnooze(max(time.Until(*next), 10*time.Millisecond))
	case "failed":
		s.log.Error("webhook delivery given up", "tenant_id", a.TenantID, "endpoint_id", dl.endpointID,
			"event_id", dl.event.ID, "attempts", attempt, "err", sendErr)
		return river.JobCancel(sendErr)
	}
	return nil
}

// backoff is the delay after the attempt-th failure: the retry base,
// doubled per attempt.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.retryBase
	for i := 1; i < attempt && d < GiveUpAfter; i++ {
		d *= 2
	}
	return d
}

// record logs an attempt and moves the delivery to state.
func (s *Service) record(ctx context.Context, a DeliverArgs, dl delivery, attempt, status int, sendErr error,
	next *time.Time, state string) error {
	var code *int
	if status != 0 {
		code = &status
	}
	var msg *string
	if sendErr != nil {
		m := sendErr.Error()
		if len(m) > 500 {
			m = m[:500]
		}
		msg = &m
	}
	return s.db.InTenant(ctx, a.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `WITH d AS (
				UPDATE webhook_deliveries SET attempts = $4, state = $9 WHERE tenant_id = $1 AND id = $2 RETURNING id)
			INSERT INTO webhook_attempts (tenant_id, id, delivery_id, endpoint_id, event_id, event_type, attempt,
				status_code, error, next_attempt_at)
			SELECT $1, $3, d.id, $5, $6, $7, $4, $8, $10, $11 FROM d`,
			a.TenantID, a.DeliveryID, ids.New(), attempt, dl.endpointID, dl.event.ID, dl.event.Type, code, state, msg, next)
		if err != nil {
			return fmt.Errorf("record delivery attempt: %w", err)
		}
		return nil
	})
}

// Sign is the Checkout-Signature header of body sent at t with secret.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// send POSTs body to url, signed, and answers the status code (0 when none
// came) and an error unless it was a 2xx.
func (s *Service) send(ctx context.Context, url string, secret, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leaguepay-checkout-webhooks/1")
	req.Header.Set("Checkout-Signature", Sign(secret, time.Now(), body))
	res, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, errForbiddenAddress) {
			return 0, errors.New("the endpoint resolves to an address webhooks may not reach")
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, fmt.Errorf("no answer within %s", Timeout)
		}
		return 0, fmt.Errorf("could not reach the endpoint: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}
