// Package leaguehooks delivers events to the leagues' own systems: each
// league registers endpoints (a URL and the event types it wants), and every
// committed event of those types is POSTed to each of them, signed with the
// endpoint's secret, at least once, in order per object, retried with
// exponential backoff for three days. It owns the tables
// webhook_endpoints, webhook_deliveries and webhook_attempts; it follows
// the outbox (platform/outbox) for the events and runs its deliveries as
// jobs (platform/jobs). Guard keeps deliveries off private networks.
package leaguehooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/keyset"
	"github.com/leaguepay/checkout/platform/secrets"
)

// Events are the event types a league may subscribe to (API.md, "Events to
// the league").
var Events = []string{"order.created", "order.paid", "order.canceled", "order.expired", "order.refunded",
	"checkout.completed", "waitlist.offered", "waitlist.lapsed"}

// MaxEndpoints bounds a league's endpoints.
const MaxEndpoints = 20

// Endpoint is a league's receiver of events.
type Endpoint struct {
	ID     uuid.UUID `json:"id"`
	URL    string    `json:"url"`
	Events []string  `json:"events"`
	// Secret signs the deliveries; shown once, when the endpoint is made.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// EndpointInput is the body that makes an endpoint.
type EndpointInput struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// Service keeps the endpoints and delivers to them.
type Service struct {
	db        *db.DB
	box       *secrets.Box
	guard     Guard
	retryBase time.Duration
	client    *http.Client
	log       *slog.Logger
}

// Timeout bounds one delivery attempt.
const Timeout = 10 * time.Second

// NewService returns the service; retryBase is the first retry's delay.
func NewService(d *db.DB, box *secrets.Box, guard Guard, retryBase time.Duration, log *slog.Logger) *Service {
	if retryBase <= 0 {
		retryBase = 30 * time.Second
	}
	dialer := &net.Dialer{Timeout: Timeout, Control: guard.control}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: Timeout,
		ResponseHeaderTimeout: Timeout, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute, ForceAttemptHTTP2: true}
	client := &http.Client{Transport: transport, Timeout: Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("more than 3 redirects")
			}
			if req.URL.Scheme != "https" && !(guard.AllowLoopback && req.URL.Scheme == "http") {
				return errors.New("redirect to a URL that is not https")
			}
			return nil // the dialer checks the address
		}}
	return &Service{db: d, box: box, guard: guard, retryBase: retryBase, client: client, log: log}
}

func sealAD(tenantID, endpointID uuid.UUID) []byte {
	return []byte("webhook_endpoint:" + tenantID.String() + ":" + endpointID.String())
}

// check returns what is wrong with in.
func (s *Service) check(ctx context.Context, in EndpointInput) []apperr.FieldError {
	var f []apperr.FieldError
	if in.URL == "" {
		f = append(f, apperr.FieldError{Field: "/url", Message: "is required"})
	} else if len(in.URL) > 2048 {
		f = append(f, apperr.FieldError{Field: "/url", Message: "must be at most 2048 characters"})
	} else if why := s.guard.CheckURL(ctx, in.URL); why != "" {
		f = append(f, apperr.FieldError{Field: "/url", Message: why})
	}
	if len(in.Events) == 0 {
		f = append(f, apperr.FieldError{Field: "/events", Message: "must name at least one event: " + strings.Join(Events, ", ")})
	}
	seen := map[string]bool{}
	for i, e := range in.Events {
		switch {
		case !slices.Contains(Events, e):
			f = append(f, apperr.FieldError{Field: fmt.Sprintf("/events/%d", i), Message: "must be one of " + strings.Join(Events, ", ")})
		case seen[e]:
			f = append(f, apperr.FieldError{Field: fmt.Sprintf("/events/%d", i), Message: "is named twice"})
		}
		seen[e] = true
	}
	return f
}

// Create makes an endpoint and returns it with its secret, shown once.
func (s *Service) Create(ctx context.Context, tenantID uuid.UUID, in EndpointInput) (Endpoint, error) {
	if f := s.check(ctx, in); len(f) > 0 {
		return Endpoint{}, &apperr.Invalid{Detail: "the webhook endpoint is invalid", Fields: f}
	}
	e := Endpoint{ID: ids.New(), URL: in.URL, Events: in.Events, Secret: "whsec_" + secrets.Random()}
	sealed, err := s.box.Seal([]byte(e.Secret), sealAD(tenantID, e.ID))
	if errors.Is(err, secrets.ErrNoKey) {
		return Endpoint{}, &apperr.Invalid{Detail: "the platform cannot store secrets: CHECKOUT_ENCRYPTION_KEY is not configured",
			Fields: apperr.Field("/url", "cannot get a signing secret without CHECKOUT_ENCRYPTION_KEY")}
	}
	if err != nil {
		return Endpoint{}, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		// One statement counts and inserts, under a lock of the league's
		// endpoints, so concurrent creates cannot pass the bound together.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || $1::text, 0))`, tenantID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (tenant_id, id, url, events, secret_sealed)
			SELECT $1, $2, $3, $4, $5
			WHERE (SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL) < $6`,
			tenantID, e.ID, e.URL, e.Events, sealed, MaxEndpoints)
		if err != nil {
			return fmt.Errorf("insert webhook endpoint: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return &apperr.Conflict{Detail: fmt.Sprintf("a league has at most %d webhook endpoints; delete one first", MaxEndpoints)}
		}
		return tx.QueryRow(ctx, `SELECT created_at FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`,
			tenantID, e.ID).Scan(&e.CreatedAt)
	})
	e.CreatedAt = e.CreatedAt.UTC()
	return e, err
}

const endpointCols = `id, url, events, created_at`

func scanEndpoint(r pgx.Row) (Endpoint, error) {
	var e Endpoint
	err := r.Scan(&e.ID, &e.URL, &e.Events, &e.CreatedAt)
	e.CreatedAt = e.CreatedAt.UTC()
	return e, err
}

// List returns the league's endpoints, newest first, without secrets.
func (s *Service) List(ctx context.Context, tenantID uuid.UUID) ([]Endpoint, error) {
	var list []Endpoint
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
			WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC`, tenantID)
		if err != nil {
			return fmt.Errorf("list webhook endpoints: %w", err)
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Endpoint, error) { return scanEndpoint(r) })
		return err
	})
	if list == nil {
		list = []Endpoint{}
	}
	return list, err
}

// Get returns one endpoint without its secret, or apperr.ErrNotFound.
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (Endpoint, error) {
	var e Endpoint
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		e, err = scanEndpoint(tx.QueryRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
			WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, tenantID, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.ErrNotFound
		}
		return err
	})
	return e, err
}

// Delete removes an endpoint: nothing more is delivered to it, pending
// deliveries are dropped, and its deliveries log is kept.
func (s *Service) Delete(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET deleted_at = now()
			WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, tenantID, id)
		if err != nil {
			return fmt.Errorf("delete webhook endpoint: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return apperr.ErrNotFound
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET state = 'failed'
			WHERE tenant_id = $1 AND endpoint_id = $2 AND state = 'pending'`, tenantID, id)
		return err
	})
}

// Attempt is one try of one delivery.
type Attempt struct {
	ID            uuid.UUID  `json:"id"`
	EventID       uuid.UUID  `json:"event_id"`
	EventType     string     `json:"event_type"`
	Attempt       int        `json:"attempt"`
	StatusCode    *int       `json:"status_code"`
	Error         *string    `json:"error"`
	At            time.Time  `json:"at"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
}

// AttemptPage is one page of an endpoint's deliveries log, newest first.
type AttemptPage struct {
	Data       []Attempt `json:"data"`
	NextCursor *string   `json:"next_cursor"`
}

// The deliveries log's page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Attempts returns a page of the endpoint's deliveries log (a deleted
// endpoint's too), newest first, after cursor.
func (s *Service) Attempts(ctx context.Context, tenantID, endpointID uuid.UUID, limit int, cursor string) (AttemptPage, error) {
	digest := keyset.Digest(endpointID.String())
	var after *keyset.Position
	if cursor != "" {
		p, err := keyset.Decode(cursor, digest)
		if err != nil {
			return AttemptPage{}, err
		}
		after = &p
	}
	page := AttemptPage{Data: []Attempt{}}
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2)`,
			tenantID, endpointID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return apperr.ErrNotFound
		}
		q := `SELECT id, event_id, event_type, attempt, status_code, error, at, next_attempt_at FROM webhook_attempts
			WHERE tenant_id = $1 AND endpoint_id = $2`
		args := []any{tenantID, endpointID, limit + 1}
		if after != nil {
			q += ` AND (at, id) < ($4, $5)`
			args = append(args, after.CreatedAt, after.ID)
		}
		rows, err := tx.Query(ctx, q+` ORDER BY at DESC, id DESC LIMIT $3`, args...)
		if err != nil {
			return fmt.Errorf("list deliveries: %w", err)
		}
		page.Data, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attempt, error) {
			var a Attempt
			err := r.Scan(&a.ID, &a.EventID, &a.EventType, &a.Attempt, &a.StatusCode, &a.Error, &a.At, &a.NextAttemptAt)
			a.At = a.At.UTC()
			if a.NextAttemptAt != nil {
				t := a.NextAttemptAt.UTC()
				a.NextAttemptAt = &t
			}
			return a, err
		})
		return err
	})
	if err != nil {
		return AttemptPage{}, err
	}
	if len(page.Data) > limit {
		page.Data = page.Data[:limit]
		last := page.Data[limit-1]
		c := keyset.Encode(last.At, last.ID, digest)
		page.NextCursor = &c
	}
	return page, nil
}
