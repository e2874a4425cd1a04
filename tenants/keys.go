package tenants

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/secrets"
)

// Role is a staff role. Each role may do what the roles below it may.
type Role string

// The staff roles, lowest first.
const (
	RoleViewer  Role = "viewer"
	RoleManager Role = "manager"
	RoleAdmin   Role = "admin"
)

var roleRank = map[Role]int{RoleViewer: 1, RoleManager: 2, RoleAdmin: 3}

// Allows reports whether r may do what need may.
func (r Role) Allows(need Role) bool { return roleRank[r] >= roleRank[need] && roleRank[need] > 0 }

// APIKey is a stored key, without its secret.
type APIKey struct {
	ID        uuid.UUID `json:"id"`
	Role      Role      `json:"role"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// NewKey is a freshly created key: Key is shown once and never stored.
type NewKey struct {
	APIKey
	Key string `json:"key"`
}

// KeyInput is the body that creates a key.
type KeyInput struct {
	Role Role   `json:"role"`
	Name string `json:"name"`
}

// Keys stores tenant API keys as SHA-256 hashes. A key reads
// "ck_<tenant id hex>_<secret>": the tenant part lets a key presented on
// another tenant's path be told apart (403) from an unknown key (401)
// without a cross-tenant lookup; the 256-bit secret makes a fast hash safe.
type Keys struct{ store *Store }

// Keys returns the API key store of s.
func (s *Store) Keys() *Keys { return &Keys{store: s} }

// Create makes a key for the tenant.
func (k *Keys) Create(ctx context.Context, tenantID uuid.UUID, in KeyInput) (NewKey, error) {
	var fields []apperr.FieldError
	if roleRank[in.Role] == 0 {
		fields = append(fields, apperr.FieldError{Field: "/role", Message: "must be one of viewer, manager, admin"})
	}
	in.Name = strings.TrimSpace(in.Name)
	if len(in.Name) > 200 {
		fields = append(fields, apperr.FieldError{Field: "/name", Message: "must be at most 200 characters"})
	}
	if len(fields) > 0 {
		return NewKey{}, &apperr.Invalid{Detail: "the API key is invalid", Fields: fields}
	}
	plain := "ck_" + strings.ReplaceAll(tenantID.String(), "-", "") + "_" + secrets.Random()
	nk := NewKey{Key: plain, APIKey: APIKey{ID: ids.New(), Role: in.Role, Name: in.Name}}
	err := k.store.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO api_keys (tenant_id, id, role, name, key_hash)
			VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
			tenantID, nk.ID, nk.Role, nk.Name, secrets.Hash(plain)).Scan(&nk.CreatedAt)
	})
	if err != nil {
		return NewKey{}, fmt.Errorf("insert api key: %w", err)
	}
	nk.CreatedAt = nk.CreatedAt.UTC()
	return nk, nil
}

// List returns the tenant's keys, oldest first.
func (k *Keys) List(ctx context.Context, tenantID uuid.UUID) ([]APIKey, error) {
	var out []APIKey
	err := k.store.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, role, name, created_at FROM api_keys
			WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIKey, error) {
			var a APIKey
			err := r.Scan(&a.ID, &a.Role, &a.Name, &a.CreatedAt)
			a.CreatedAt = a.CreatedAt.UTC()
			return a, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return out, nil
}

// Delete revokes a key; an unknown id is apperr.ErrNotFound.
func (k *Keys) Delete(ctx context.Context, tenantID, id uuid.UUID) error {
	return k.store.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM api_keys WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return fmt.Errorf("delete api key: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return apperr.ErrNotFound
		}
		return nil
	})
}

// Authenticate returns the role of key on tenant t. An unknown or malformed
// key is apperr.ErrUnauthorized; a valid key of another tenant is
// apperr.ErrForbidden.
func (k *Keys) Authenticate(ctx context.Context, t Tenant, key string) (Role, error) {
	owner, ok := keyTenant(key)
	if !ok {
		return "", apperr.ErrUnauthorized
	}
	role, err := k.lookup(ctx, owner, key)
	if err != nil {
		return "", err
	}
	if owner != t.ID {
		return "", apperr.ErrForbidden
	}
	return role, nil
}

func (k *Keys) lookup(ctx context.Context, tenantID uuid.UUID, key string) (Role, error) {
	var role Role
	err := k.store.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT role FROM api_keys WHERE tenant_id = $1 AND key_hash = $2`,
			tenantID, secrets.Hash(key)).Scan(&role)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.ErrUnauthorized
	}
	if err != nil {
		return "", fmt.Errorf("authenticate api key: %w", err)
	}
	return role, nil
}

func keyTenant(key string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(key, "ck_")
	if !ok {
		return uuid.Nil, false
	}
	hexID, secret, ok := strings.Cut(rest, "_")
	if !ok || len(hexID) != 32 || len(secret) != 43 {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(hexID)
	return id, err == nil
}
