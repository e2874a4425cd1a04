package settlement

// The Stripe webhooks. Every event is verified with the
// tenant's (or, for Connect, the platform's) signing secret before anything
// is parsed or written; then its id is recorded and its effect applied in one
// tenant transaction, so a redelivered event finds its id and changes
// nothing, and concurrent deliveries of one event apply it once.
//
// Events of any API version are accepted: the handler reads only a handful
// of long-stable fields (ids, metadata, payment_status, amounts, currency,
// payment_intent) from the raw object instead of decoding it into the
// library's types, so a version difference cannot break or mis-settle it.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/outbox"
	"github.com/leaguepay/checkout/platform/payments"
)

// Outcomes of a delivery beyond those of settling.
const (
	OutcomeDuplicate        Outcome = "duplicate"
	OutcomeInvalidSignature Outcome = "invalid_signature"
	OutcomeError            Outcome = "error"
)

var (
	// ErrBadSignature: the signature is missing, wrong, or too old; nothing
	// was parsed or written.
	ErrBadSignature = errors.New("settlement: invalid signature")
	// ErrBadPayload: the signed body is not a Stripe event.
	ErrBadPayload = errors.New("settlement: invalid event payload")
	// ErrNotProcessed: a verified event could not be processed now (the
	// database, the league's settings); Stripe should deliver it again.
	ErrNotProcessed = errors.New("settlement: event not processed; retry")
)

// Tolerance is how old a signature's timestamp may be (Stripe's default).
const Tolerance = 5 * time.Minute

// Result says what became of one delivery.
type Result struct {
	TenantID uuid.UUID
	EventID  string
	Type     string
	Outcome  Outcome
}

// Webhooks verifies and applies Stripe's events.
type Webhooks struct {
	db       *db.DB
	payments *payments.Service
	nudger   *outbox.Nudger
	log      *slog.Logger
}

// NewWebhooks returns the Stripe webhook handler.
func NewWebhooks(d *db.DB, p *payments.Service, n *outbox.Nudger, log *slog.Logger) *Webhooks {
	return &Webhooks{db: d, payments: p, nudger: n, log: log}
}

// Tenant handles an event posted to a tenant's endpoint, signed with the
// tenant's own webhook secret (the sandbox's in sandbox mode).
func (h *Webhooks) Tenant(ctx context.Context, tenantID uuid.UUID, payload []byte, signature string) (Result, error) {
	acct, err := h.payments.Account(ctx, tenantID)
	if err != nil && !errors.Is(err, payments.ErrNotConfigured) {
		return Result{TenantID: tenantID, Outcome: OutcomeError}, fmt.Errorf("%w: %w", ErrNotProcessed, err)
	}
	event, err := verify(payload, signature, acct.WebhookSecret)
	if errors.Is(err, ErrBadSignature) {
		// The account may be cached from before another replica stored a
		// new webhook secret: check once more against the stored one.
		if fresh, ferr := h.payments.FreshAccount(ctx, tenantID); ferr == nil && fresh.WebhookSecret != acct.WebhookSecret {
			event, err = verify(payload, signature, fresh.WebhookSecret)
		}
	}
	if err != nil {
		return Result{TenantID: tenantID, Outcome: OutcomeInvalidSignature}, err
	}
	return h.process(ctx, tenantID, event)
}

// Platform handles a Connect event posted to the platform endpoint, signed
// with the platform's secret and routed by event.account. An account no
// league uses is ignored.
func (h *Webhooks) Platform(ctx context.Context, payload []byte, signature string) (Result, error) {
	event, err := verify(payload, signature, h.payments.PlatformWebhookSecret())
	if err != nil {
		return Result{Outcome: OutcomeInvalidSignature}, err
	}
	res := Result{EventID: event.ID, Type: string(event.Type), Outcome: OutcomeIgnored}
	if event.Account == "" {
		return res, nil
	}
	tenantID, ok, err := h.payments.TenantForAccount(ctx, event.Account)
	if err != nil {
		res.Outcome = OutcomeError
		return res, fmt.Errorf("%w: %w", ErrNotProcessed, err)
	}
	if !ok {
		h.log.Warn("webhook for an unknown Connect account", "account", event.Account, "event_id", event.ID)
		return res, nil
	}
	return h.process(ctx, tenantID, event)
}

// verify checks the Stripe-Signature header (every v1 signature in it, so a
// secret rotation's two signatures work) and decodes the event envelope.
func verify(payload []byte, signature, secret string) (stripe.Event, error) {
	if secret == "" {
		return stripe.Event{}, fmt.Errorf("%w: no webhook secret is configured for this endpoint", ErrBadSignature)
	}
	event, err := webhook.ConstructEventWithOptions(payload, signature, secret,
		webhook.ConstructEventOptions{Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
	switch {
	case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
		errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld):
		return stripe.Event{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	case err != nil:
		return stripe.Event{}, fmt.Errorf("%w: %v", ErrBadPayload, err)
	case event.ID == "" || event.Type == "" || event.Data == nil:
		return stripe.Event{}, fmt.Errorf("%w: not a Stripe event", ErrBadPayload)
	case !storable(event.ID) || !storable(string(event.Type)) || !storable(event.Account):
		return stripe.Event{}, fmt.Errorf("%w: its id, type or account is not a Stripe identifier", ErrBadPayload)
	}
	return event, nil
}

// maxIDLength bounds the identifiers read from an event; Stripe's are a few
// dozen ASCII characters.
const maxIDLength = 255

// storable reports whether an identifier from an event (its id, type,
// account, payment intent) can be stored and indexed: PostgreSQL text holds
// no U+0000, and an index entry has a size limit. Without this check such an
// event failed in the database, was answered 503 and retried by Stripe for
// days.
func storable(s string) bool {
	return len(s) <= maxIDLength && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// process records the event id and applies the event in one transaction.
func (h *Webhooks) process(ctx context.Context, tenantID uuid.UUID, event stripe.Event) (Result, error) {
	res := Result{TenantID: tenantID, EventID: event.ID, Type: string(event.Type)}
	err := h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_events (tenant_id, event_id, type, outcome)
			VALUES ($1, $2, $3, 'processing') ON CONFLICT DO NOTHING`, tenantID, event.ID, string(event.Type))
		if err != nil {
			return fmt.Errorf("record event: %w", err)
		}
		if tag.RowsAffected() == 0 {
			res.Outcome = OutcomeDuplicate
			return nil
		}
		outcome, orderID, err := apply(ctx, tx, tenantID, event)
		if err != nil {
			return err
		}
		res.Outcome = outcome
		_, err = tx.Exec(ctx, `UPDATE webhook_events SET outcome = $3, order_id = $4 WHERE tenant_id = $1 AND event_id = $2`,
			tenantID, event.ID, string(outcome), orderID)
		return err
	})
	if err != nil {
		res.Outcome = OutcomeError
		return res, fmt.Errorf("%w: event %s: %w", ErrNotProcessed, event.ID, err)
	}
	if res.Outcome == OutcomeProcessed {
		h.nudger.Nudge()
	}
	if res.Outcome == OutcomeIgnored || res.Outcome == OutcomeAmountMismatch {
		h.log.Warn("webhook event not applied", "tenant_id", tenantID, "event_id", event.ID, "type", event.Type, "outcome", res.Outcome)
	}
	return res, nil
}
