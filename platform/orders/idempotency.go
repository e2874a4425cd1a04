package orders

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
	"github.com/leaguepay/checkout/producttypes"
)

// Idempotency keys are kept for idempotencyTTL (the contract promises at
// least 24 h). A key whose first request never finished (the process died)
// is taken over after abandonAfter, longer than any request may run.
const (
	idempotencyTTL = 24 * time.Hour
	abandonAfter   = 2 * time.Minute
	maxKeyLength   = 255
	claimAttempts  = 3
)

// withIdempotency runs a checkout under the request's Idempotency-Key: the
// first request claims the key, a concurrent one gets a Conflict, a later one
// with the same body gets the same order again, with another body a 422.
func (s *Service) withIdempotency(ctx context.Context, req CheckoutRequest) (CheckoutResult, error) {
	if len(req.IdempotencyKey) > maxKeyLength {
		return CheckoutResult{}, &apperr.BadRequest{Detail: "bad Idempotency-Key",
			Fields: apperr.Field("header:Idempotency-Key", fmt.Sprintf("must be at most %d characters", maxKeyLength))}
	}
	replay, err := s.claimKey(ctx, req, requestHash(req.Input))
	if err != nil || replay != nil {
		if replay != nil {
			return *replay, nil
		}
		return CheckoutResult{}, err
	}
	res, err := s.checkout(ctx, req)
	if err != nil {
		s.releaseKey(req)
	}
	return res, err
}

// requestHash identifies a checkout body for its Idempotency-Key: the same
// fields and values give the same hash, whatever the order of custom_data's
// keys or the spacing of the JSON.
func requestHash(in CheckoutInput) []byte {
	if v, err := producttypes.DecodeJSON(in.CustomData); err == nil {
		in.CustomData, _ = json.Marshal(v) // maps marshal with sorted keys
	}
	body, _ := json.Marshal(in)
	sum := sha256.Sum256(body)
	return sum[:]
}

// claimKey inserts the key, or returns the replayed result of the earlier
// request that holds it.
func (s *Service) claimKey(ctx context.Context, req CheckoutRequest, hash []byte) (*CheckoutResult, error) {
	var replay *CheckoutResult
	err := s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) error {
		held, claimed, err := insertOrLockKey(ctx, tx, req, hash)
		if err != nil || claimed {
			return err
		}
		if held.age > idempotencyTTL || (held.orderID == nil && held.age > abandonAfter) {
			_, err = tx.Exec(ctx, `UPDATE idempotency_keys SET request_hash = $3, order_id = NULL, created_at = now()
				WHERE tenant_id = $1 AND key = $2`, req.TenantID, req.IdempotencyKey, hash)
			return err
		}
		if string(held.hash) != string(hash) {
			return &apperr.Invalid{Detail: "the Idempotency-Key was used with another request body",
				Fields: apperr.Field("header:Idempotency-Key", "was used with another request body")}
		}
		if held.orderID == nil {
			return &apperr.Conflict{Detail: "a request with this Idempotency-Key is still being processed"}
		}
		// A replay answers only to a token that still works: a rotated
		// token replays nothing.
		if _, err := customers.ByTokenTx(ctx, tx, req.TenantID, req.Input.RegistrationToken); err != nil {
			return err
		}
		o, err := getTx(ctx, tx, req.TenantID, *held.orderID, false)
		if err != nil {
			return err
		}
		replay = &CheckoutResult{Order: o, CheckoutURL: o.CheckoutURL, Replayed: true}
		return nil
	})
	return replay, err
}

// heldKey is an idempotency key another request stored.
type heldKey struct {
	hash    []byte
	orderID *uuid.UUID
	age     time.Duration
}

// insertOrLockKey inserts the key (claimed) or locks and reads the row that
// holds it. A first request that fails releases (deletes) its key; when that
// lands between the INSERT and the SELECT the row is gone, so it tries again
// rather than fail with a 500.
func insertOrLockKey(ctx context.Context, tx pgx.Tx, req CheckoutRequest, hash []byte) (held heldKey, claimed bool, err error) {
	for attempt := 1; ; attempt++ {
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, req.TenantID, req.IdempotencyKey, hash)
		if err != nil {
			return heldKey{}, false, fmt.Errorf("insert idempotency key: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return heldKey{}, true, nil
		}
		err = tx.QueryRow(ctx, `SELECT request_hash, order_id, now() - created_at FROM idempotency_keys
			WHERE tenant_id = $1 AND key = $2 FOR UPDATE`, req.TenantID, req.IdempotencyKey).Scan(&held.hash, &held.orderID, &held.age)
		switch {
		case err == nil:
			return held, false, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return heldKey{}, false, fmt.Errorf("read idempotency key: %w", err)
		case attempt == claimAttempts:
			return heldKey{}, false, &apperr.Conflict{Detail: "a request with this Idempotency-Key is still being processed"}
		}
	}
}

// completeIdempotency ties the key to the order, in the order's transaction.
func completeIdempotency(ctx context.Context, tx pgx.Tx, req CheckoutRequest, orderID uuid.UUID) error {
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

// releaseKey frees the key of a request that failed, so a corrected retry
// may use it. It runs on a fresh context: the request's may be canceled.
func (s *Service) releaseKey(req CheckoutRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND order_id IS NULL`,
			req.TenantID, req.IdempotencyKey)
		return err
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("release idempotency key", "err", err)
	}
}
