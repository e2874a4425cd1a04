// Package jobs runs the platform's background work on River: durable jobs,
// inserted in the same transaction as the change that needs them, retried
// with backoff, and run once across replicas (River fetches with
// FOR UPDATE SKIP LOCKED and elects one leader for periodic jobs). It owns
// River's tables, in the schema river, outside row-level security: a job
// carries its tenant's id and opens the tenant-scoped transaction itself.
//
// The packages that do the work register their workers (leaguehooks'
// deliveries, settlement's paid hooks and reconciler); this
// package only builds the client and migrates River's schema.
package jobs

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// Schema is where River's tables live.
const Schema = "river"

// The queues. Deliveries have their own, so a league whose endpoint is down
// never delays the paid hooks or the reconciler.
const (
	QueueDeliveries = "deliveries" // outgoing webhooks to leagues
	QueueDefault    = river.QueueDefault
)

// Client is the River client every package inserts and works jobs with.
type Client = river.Client[pgx.Tx]

// Options tune the client; the zero value is production's.
type Options struct {
	// PollOnly makes every queue poll every Poll instead of listening for
	// notifications, which holds a connection of the pool for good (tests,
	// where many clients share one small pool; PgBouncer in transaction
	// mode).
	PollOnly bool
	// Poll is how often a PollOnly client polls; default 100ms.
	Poll time.Duration
	// Workers per queue; default 8.
	Workers int
}

// New builds the client over pool with the registered workers and periodic
// jobs. It works jobs once Start is called; before that it can insert.
func New(pool *pgxpool.Pool, workers *river.Workers, periodic []*river.PeriodicJob, log *slog.Logger, o Options) (*Client, error) {
	var poll time.Duration // River's default, when it listens
	if o.PollOnly {
		poll = cmp.Or(o.Poll, 100*time.Millisecond)
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Schema:       Schema,
		Logger:       log.With("component", "jobs"),
		Workers:      workers,
		PeriodicJobs: periodic,
		PollOnly:     o.PollOnly,
		Queues: map[string]river.QueueConfig{
			QueueDeliveries: {MaxWorkers: o.Workers, FetchPollInterval: poll, FetchCooldown: poll / 4},
			QueueDefault:    {MaxWorkers: o.Workers, FetchPollInterval: poll, FetchCooldown: poll / 4},
		},
		// A job that returns an error is retried with River's default
		// backoff unless its worker says otherwise (deliveries do).
		MaxAttempts: 25,
		// Finished jobs are kept a day for the operator's eyes.
		CompletedJobRetentionPeriod: 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("job client: %w", err)
	}
	return c, nil
}

func migrator(pool *pgxpool.Pool, log *slog.Logger) (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: Schema, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("job migrations: %w", err)
	}
	return m, nil
}

// Migrate applies River's pending migrations to its schema (created by our
// own migration 00009, which also grants the application role its rights).
// It runs as the owner, after our migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool, out io.Writer) error {
	m, err := migrator(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("job migrations: %w", err)
	}
	for _, v := range res.Versions {
		fmt.Fprintf(out, "applied river %03d_%s (%s)\n", v.Version, v.Name, v.Duration.Round(time.Millisecond))
	}
	return nil
}

// Current reports whether River's schema has every migration this build
// knows, read as the application role.
func Current(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	m, err := migrator(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return false, err
	}
	all := m.AllVersions()
	var applied int
	err = pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+Schema+`.river_migration WHERE line = 'main'`).Scan(&applied)
	if err != nil {
		return false, fmt.Errorf("read job migrations: %w", err)
	}
	return applied >= all[len(all)-1].Version, nil
}

// Status writes one line per River migration: applied or pending.
func Status(ctx context.Context, pool *pgxpool.Pool, out io.Writer) error {
	m, err := migrator(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		existing = nil // the schema is not there yet: all pending
	}
	done := map[int]bool{}
	for _, v := range existing {
		done[v.Version] = true
	}
	for _, v := range m.AllVersions() {
		state := "pending"
		if done[v.Version] {
			state = "applied"
		}
		fmt.Fprintf(out, "%-8s river %03d_%s\n", state, v.Version, v.Name)
	}
	return nil
}
