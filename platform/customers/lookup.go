package customers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/ids"
)

// FindOrCreateByEmail returns the tenant's oldest household with this email
// (case-insensitive), creating one with a fresh, unrevealed token when there
// is none; staff hand out a token later with RotateToken. Used by the legacy
// importer.
func FindOrCreateByEmail(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, email, name string) (Customer, error) {
	c, err := load(ctx, tx, tenantID, `id = (SELECT id FROM customers WHERE tenant_id = $1
		AND lower(email) = lower($2) ORDER BY created_at, id LIMIT 1)`, email)
	if !errors.Is(err, apperr.ErrNotFound) {
		return c, err
	}
	if name == "" {
		name = email
	}
	in := Input{Name: name, Email: email}
	// Errors name the importer's columns; /players does not apply, players
	// are added one by one with EnsurePlayer.
	column := map[string]string{"/email": "customer_email", "/name": "customer_name"}
	var fields []apperr.FieldError
	for _, f := range in.validate() {
		if c, ok := column[f.Field]; ok {
			fields = append(fields, apperr.FieldError{Field: c, Message: f.Message})
		}
	}
	if len(fields) > 0 {
		return Customer{}, &apperr.Invalid{Detail: "the customer is invalid", Fields: fields}
	}
	return Insert(ctx, tx, tenantID, in, NewToken())
}

// EnsurePlayer returns the id of the household's player with this name
// (case-insensitive), adding the player when missing.
func EnsurePlayer(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, c Customer, first, last string) (uuid.UUID, error) {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	for _, p := range c.Players {
		if strings.EqualFold(p.FirstName, first) && strings.EqualFold(p.LastName, last) {
			return p.ID, nil
		}
	}
	var fields []apperr.FieldError
	if first == "" || len(first) > 100 {
		fields = append(fields, apperr.FieldError{Field: "player_first_name", Message: "must be 1 to 100 characters"})
	}
	if last == "" || len(last) > 100 {
		fields = append(fields, apperr.FieldError{Field: "player_last_name", Message: "must be 1 to 100 characters"})
	}
	if len(fields) > 0 {
		return uuid.Nil, &apperr.Invalid{Detail: "the player is invalid", Fields: fields}
	}
	id := ids.New()
	_, err := tx.Exec(ctx, `INSERT INTO players (tenant_id, id, customer_id, position, first_name, last_name)
		VALUES ($1, $2, $3, (SELECT coalesce(max(position), -1) + 1 FROM players WHERE tenant_id = $1 AND customer_id = $3), $4, $5)`,
		tenantID, id, c.ID, first, last)
	if err != nil {
		return uuid.Nil, fmt.Errorf("insert player: %w", err)
	}
	return id, nil
}

// FindByEmail returns the tenant's oldest household with this email
// (case-insensitive), or apperr.ErrNotFound.
func (s *Store) FindByEmail(ctx context.Context, tenantID uuid.UUID, email string) (Customer, error) {
	var c Customer
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		c, err = load(ctx, tx, tenantID, `id = (SELECT id FROM customers WHERE tenant_id = $1
			AND lower(email) = lower($2) ORDER BY created_at, id LIMIT 1)`, email)
		return err
	})
	return c, err
}
