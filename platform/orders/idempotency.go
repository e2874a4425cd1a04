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
)

// Idempotency keys are kept for idempotencyTTL (the contract promises at
// least 24 h). A key whose first request never finished (the process died)
// is taken over after abandonAfter, longer than any request may run.
const (
	idempotencyTTL = 24 * time.Hour
	abandonAfter   = 2 * time.Minute
	maxKeyLength   = 255
)

// withIdempotency runs a checkout under the request's Idempotency-Key: the
// first request claims the key, a concurrent one gets a Conflict, a later one
// with the same body gets the same order again, with another body a 422.
func (s *Service) withIdempotency(ctx context.Context, req CheckoutRequest) (CheckoutResult, error) {
	if len(req.IdempotencyKey) > maxKeyLength {
		return CheckoutResult{}, &apperr.BadRequest{Detail: "bad Idempotency-Key",
			Fields: apperr.Field("header:Idempotency-Key", fmt.Sprintf("must be at most %d characters", maxKeyLength))}
	}
	body, _ := json.Marshal(req.Input)
	sum := sha256.Sum256(body)
	replay, err := s.claimKey(ctx, req, sum[:])
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

// claimKey inserts the key, or returns the replayed result of the earlier
// request that holds it.
func (s *Service) claimKey(ctx context.Context, req CheckoutRequest, hash []byte) (*CheckoutResult, error) {
	var replay *CheckoutResult
	err := s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, req.TenantID, req.IdempotencyKey, hash)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		var stored []byte
		var orderID *uuid.UUID
		var age time.Duration
		err = tx.QueryRow(ctx, `SELECT request_hash, order_id, now() - created_at FROM idempotency_keys
			WHERE tenant_id = $1 AND key = $2 FOR UPDATE`, req.TenantID, req.IdempotencyKey).Scan(&stored, &orderID, &age)
		if err != nil {
			return fmt.Errorf("read idempotency key: %w", err)
		}
		if age > idempotencyTTL || (orderID == nil && age > abandonAfter) {
			_, err = tx.Exec(ctx, `UPDATE idempotency_keys SET request_hash = $3, order_id = NULL, created_at = now()
				WHERE tenant_id = $1 AND key = $2`, req.TenantID, req.IdempotencyKey, hash)
			return err
		}
		if string(stored) != string(hash) {
			return &apperr.Invalid{Detail: "the Idempotency-Key was used with another request body",
				Fields: apperr.Field("header:Idempotency-Key", "was used with another request body")}
		}
		if orderID == nil {
			return &apperr.Conflict{Detail: "a request with this Idempotency-Key is still being processed"}
		}
		o, err := getTx(ctx, tx, req.TenantID, *orderID, false)
		if err != nil {
			return err
		}
		replay = &CheckoutResult{Order: o, CheckoutURL: o.CheckoutURL, Replayed: true}
		return nil
	})
	return replay, err
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
