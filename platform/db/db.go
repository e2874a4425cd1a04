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
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the application's handle on the database.
type DB struct {
	Pool *pgxpool.Pool
}

// DefaultPoolSize is the pool's size when the URL does not say
// (pool_max_conns): requests share it with the job system's workers and its
// listener, and pgx's own default — max(4, CPUs) — starved them both
// (measured: a $0 checkout at 0.31 of its floor on 4 connections, 0.53 on
// 12).
const DefaultPoolSize = 12

// Open connects a pool to url and checks that it answers.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, DefaultPoolSize)
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

// beginTenant is the query that opens a transaction scoped to tenantID
// (see TenantSetup).
func beginTenant(tenantID uuid.UUID) string {
	return "BEGIN; SELECT set_config('app.tenant_id', '" + tenantID.String() + "', true), " + genericPlans
}

// TenantSetup is the first statement of a pipelined batch that runs as one
// implicit transaction scoped to the tenant given as $1 (its text).
//
// Both it and InTenant's BEGIN also make the transaction use generic plans
// for prepared statements. Every statement of the platform looks rows up by
// key, so a plan does not depend on the values; left to choose, PostgreSQL
// kept re-planning the order's write statements (one statement of several
// CTEs writes an order, its audit entry and its events)
// on every execution, which halved a $0 checkout's throughput.
const TenantSetup = `SELECT set_config('app.tenant_id', $1, true), ` + genericPlans

const genericPlans = `set_config('plan_cache_mode', 'force_generic_plan', true)`

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
