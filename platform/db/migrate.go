package db

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver goose uses
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/leaguepay/checkout/migrations"
	"github.com/leaguepay/checkout/platform/jobs"
)

// newProvider opens a goose provider over url. The session locker lets
// several replicas (or test packages) migrate the same database at once.
func newProvider(url string) (*goose.Provider, *sql.DB, error) {
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("migration locker: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("migration provider: %w", err)
	}
	return p, sqlDB, nil
}

// Migrate applies every pending embedded migration to the database at url.
// It must run as a role that may create tables and roles (the owner), not as
// the application's role.
func Migrate(ctx context.Context, url string, out io.Writer) error {
	p, sqlDB, err := newProvider(url)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		fmt.Fprintf(out, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
	}
	return migrateJobs(ctx, url, out)
}

// migrateJobs applies River's migrations (platform/jobs) after ours, which
// made its schema, under an advisory lock so replicas migrating at once
// take turns.
func migrateJobs(ctx context.Context, url string, out io.Writer) error {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("database url: %w", err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer conn.Release()
	const lock = `hashtext('checkout:river-migrations')`
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lock+`)`); err != nil {
		return fmt.Errorf("lock job migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+lock+`)`) //nolint:errcheck // the session ends anyway
	return jobs.Migrate(ctx, pool, out)
}

// MigrationStatus writes one line per embedded migration: applied or pending.
func MigrationStatus(ctx context.Context, url string, out io.Writer) error {
	p, sqlDB, err := newProvider(url)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	st, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	for _, s := range st {
		when := ""
		if s.State == goose.StateApplied {
			when = " " + s.AppliedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(out, "%-8s %s%s\n", s.State, s.Source.Path, when)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer pool.Close()
	return jobs.Status(ctx, pool, out)
}

// LatestVersion is the highest version among the embedded migrations.
func LatestVersion() int64 {
	entries, _ := fs.ReadDir(migrations.FS, ".")
	var latest int64
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if v, err := strconv.ParseInt(num, 10, 64); ok && err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// MigrationsCurrent reports whether the database has every embedded
// migration applied. It runs as the application role.
func (d *DB) MigrationsCurrent(ctx context.Context) (bool, error) {
	var v int64
	err := d.Pool.QueryRow(ctx,
		`SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	if err != nil {
		return false, fmt.Errorf("read migration version: %w", err)
	}
	if v < LatestVersion() {
		return false, nil
	}
	return jobs.Current(ctx, d.Pool)
}
