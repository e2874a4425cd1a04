package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/producttypes"
)

// Idempotency keys are kept for idempotencyTTL (the contract promises at
// least 24 h). A key whose first request never finished (the process died)
// is taken over after abandonAfter, longer than any request may run.
const (
	idempotencyTTL = 24 * time.Hour
	abandonAfter   = 2 * time.Minute
	// MaxKeyLength bounds an Idempotency-Key.
	MaxKeyLength  = 255
	claimAttempts = 3
)

// The idempotency key's errors; the API names the header.
var (
	// ErrKeyTooLong: the key is longer than MaxKeyLength.
	ErrKeyTooLong = fmt.Errorf("checkout: the idempotency key is longer than %d characters", MaxKeyLength)
	// ErrKeyReused: the key was used with another request body.
	ErrKeyReused = errors.New("checkout: the idempotency key was used with another request body")
)

// withIdempotency runs a checkout under the request's Idempotency-Key: the
// first request claims the key, a concurrent one gets a Conflict, a later one
// with the same body gets the same order again, with another body a 422.
func (s *Service) withIdempotency(ctx context.Context, req Request) (Result, error) {
	var res Result
	k := keyClaim{tenantID: req.TenantID, key: req.IdempotencyKey, token: req.Input.RegistrationToken,
		hash: requestHash("checkout", req.Input)}
	replayed, claimedAt, err := s.claimKey(ctx, k, func(ctx context.Context, tx pgx.Tx, held heldKey) (bool, error) {
		if held.orderID == nil {
			return false, nil
		}
		o, err := orders.Read(ctx, tx, req.TenantID, *held.orderID)
		res = Result{Order: o, CheckoutURL: o.CheckoutURL, Replayed: true}
		return true, err
	})
	if err != nil || replayed {
		return res, err
	}
	if res, err = s.checkout(ctx, req); err != nil {
		s.releaseKey(k, claimedAt)
	}
	return res, err
}

// requestHash identifies a request body for its Idempotency-Key: the same
// route, fields and values give the same hash, whatever the order of
// custom_data's keys or the spacing of the JSON.
func requestHash(route string, in any) []byte {
	body, _ := json.Marshal(in)
	if v, err := producttypes.DecodeJSON(body); err == nil {
		body, _ = json.Marshal(v) // maps marshal with sorted keys
	}
	sum := sha256.Sum256(append([]byte(route+"\n"), body...))
	return sum[:]
}

// keyClaim is a request's claim on its Idempotency-Key.
type keyClaim struct {
	tenantID uuid.UUID
	key      string
	token    string // the buyer's registration token
	hash     []byte
}

// claimKey inserts the key, or answers the earlier request that holds it
// through replay, which reports whether that request finished (else a
// concurrent one is still running: a Conflict). A claim is known by its
// created_at, which it returns: only that claim is released if the request
// fails.
func (s *Service) claimKey(ctx context.Context, k keyClaim,
	replay func(context.Context, pgx.Tx, heldKey) (bool, error)) (replayed bool, claimedAt time.Time, err error) {
	err = s.db.InTenant(ctx, k.tenantID, func(tx pgx.Tx) error {
		held, at, err := insertOrLockKey(ctx, tx, k)
		if err != nil || !at.IsZero() {
			claimedAt = at
			return err
		}
		finished := held.orderID != nil || held.checkoutID != nil
		if held.age > idempotencyTTL || (!finished && held.age > abandonAfter) {
			return tx.QueryRow(ctx, `UPDATE idempotency_keys SET request_hash = $3, order_id = NULL, checkout_id = NULL,
					created_at = now()
				WHERE tenant_id = $1 AND key = $2 RETURNING created_at`, k.tenantID, k.key, k.hash).Scan(&claimedAt)
		}
		if string(held.hash) != string(k.hash) {
			return ErrKeyReused
		}
		// A replay answers only to a token that still works: a rotated
		// token replays nothing.
		if finished {
			if _, err := customers.ByTokenTx(ctx, tx, k.tenantID, k.token); err != nil {
				return err
			}
		}
		if replayed, err = replay(ctx, tx, held); err == nil && !replayed {
			return &apperr.Conflict{Detail: "a request with this Idempotency-Key is still being processed"}
		}
		return err
	})
	return replayed, claimedAt, err
}

// heldKey is an idempotency key another request stored: the order of a
// POST /checkout or the checkout of a POST /checkouts, once it finished.
type heldKey struct {
	hash       []byte
	orderID    *uuid.UUID
	checkoutID *uuid.UUID
	age        time.Duration
}

// insertOrLockKey inserts the key (claimed at the time it returns) or locks
// and reads the row that holds it (a zero time). A first request that fails
// releases (deletes) its key; when that lands between the INSERT and the
// SELECT the row is gone, so it tries again rather than fail with a 500.
func insertOrLockKey(ctx context.Context, tx pgx.Tx, k keyClaim) (held heldKey, claimedAt time.Time, err error) {
	for attempt := 1; ; attempt++ {
		err := tx.QueryRow(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING RETURNING created_at`, k.tenantID, k.key, k.hash).Scan(&claimedAt)
		if err == nil {
			return heldKey{}, claimedAt, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return heldKey{}, time.Time{}, fmt.Errorf("insert idempotency key: %w", err)
		}
		err = tx.QueryRow(ctx, `SELECT request_hash, order_id, checkout_id, now() - created_at FROM idempotency_keys
			WHERE tenant_id = $1 AND key = $2 FOR UPDATE`, k.tenantID, k.key).Scan(&held.hash, &held.orderID,
			&held.checkoutID, &held.age)
		switch {
		case err == nil:
			return held, time.Time{}, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return heldKey{}, time.Time{}, fmt.Errorf("read idempotency key: %w", err)
		case attempt == claimAttempts:
			return heldKey{}, time.Time{}, &apperr.Conflict{Detail: "a request with this Idempotency-Key is still being processed"}
		}
	}
}

// completeIdempotency ties the key to the order, in the order's transaction.
func completeIdempotency(ctx context.Context, tx pgx.Tx, req Request, orderID uuid.UUID) error {
	if req.IdempotencyKey == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE idempotency_keys SET order_id = $3 WHERE tenant_id = $1 AND key = $2`,
		req.TenantID, req.IdempotencyKey, orderID)
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// keyDone is the statement that ties an Idempotency-Key to the checkout
// that its request made.
const keyDone = `UPDATE idempotency_keys SET checkout_id = $3 WHERE tenant_id = $1 AND key = $2`

// completeCartKey ties the key to the checkout, in its transaction.
func completeCartKey(ctx context.Context, tx pgx.Tx, req CartRequest, checkoutID uuid.UUID) error {
	if req.IdempotencyKey == "" {
		return nil
	}
	_, err := tx.Exec(ctx, keyDone, req.TenantID, req.IdempotencyKey, checkoutID)
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// releaseKey frees the key that a request which failed claimed at
// claimedAt, so a corrected retry may use it: at once, or, when the failure
// was the database's, once it answers again (see untilAnswered). Only that
// claim is deleted, never a later request's that took the key over.
func (s *Service) releaseKey(k keyClaim, claimedAt time.Time) {
	s.untilAnswered("release idempotency key", func(ctx context.Context) error {
		return s.db.InTenant(ctx, k.tenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND order_id IS NULL
				AND checkout_id IS NULL AND created_at = $3`, k.tenantID, k.key, claimedAt)
			return err
		})
	})
}
