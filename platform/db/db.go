// Package db owns the PostgreSQL connection pool, the embedded migrations and
// the tenant-scoped transaction every tenant query runs in.
//
// Tenant isolation has two walls: every store query filters on tenant_id, and
// every tenant transaction sets app.tenant_id with set_config(..., true) so
// PostgreSQL row-level security only shows that tenant's rows.
package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the application's handle on the database.
type DB struct {
	Pool *pgxpool.Pool
}

// Open connects a pool to url and checks that it answers.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return &DB{Pool: pool}, nil
}

// Close closes the pool.
func (d *DB) Close() { d.Pool.Close() }

// InTenant runs fn in a transaction scoped to tenantID: app.tenant_id is set
// for the transaction only, so row-level security admits that tenant's rows
// and no others. The transaction commits when fn returns nil. A database
// that cannot be reached makes the error an ErrUnavailable (see Translate).
//
// The tenant travels with BEGIN, in the same round trip: the transaction is
// opened by one simple-protocol query, "BEGIN; SELECT set_config(...)". The
// id is a uuid.UUID's canonical text (hex digits and dashes), so writing it
// into the query cannot inject anything.
func (d *DB) InTenant(ctx context.Context, tenantID uuid.UUID, fn func(pgx.Tx) error) error {
	return Translate(pgx.BeginTxFunc(ctx, d.Pool, pgx.TxOptions{BeginQuery: beginTenant(tenantID)}, fn))
}

// beginTenant is the query that opens a transaction scoped to tenantID.
func beginTenant(tenantID uuid.UUID) string {
	return "BEGIN; SELECT set_config('app.tenant_id', '" + tenantID.String() + "', true)"
}

// InPlatform runs fn in a transaction without tenant context: only the
// platform's own tables (tenants) are visible in it. Errors are translated
// as InTenant's are.
func (d *DB) InPlatform(ctx context.Context, fn func(pgx.Tx) error) error {
	return Translate(pgx.BeginFunc(ctx, d.Pool, fn))
}

// Constraint returns the name of the unique or foreign-key constraint that
// err violated, or "" when err is not such a violation.
func Constraint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "23503") {
		return pgErr.ConstraintName
	}
	return ""
}

// IsUniqueViolation reports whether err is a unique violation of constraint
// (any unique constraint when constraint is "").
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}
