// Package app builds the whole application from its configuration. It is
// the one wiring: `checkout serve`, `checkout dev`, the other commands and
// every test harness call New, so tests run what production runs. It owns
// no table and no behaviour of its own: it connects the packages (see
// docs/architecture.md) and runs them (Serve).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/riverqueue/river"

	"github.com/leaguepay/checkout/api"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/discounts"
	"github.com/leaguepay/checkout/platform/jobs"
	"github.com/leaguepay/checkout/platform/leaguehooks"
	"github.com/leaguepay/checkout/platform/metrics"
	"github.com/leaguepay/checkout/platform/orderio"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/outbox"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/secrets"
	"github.com/leaguepay/checkout/platform/settlement"
	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/tenants"
)

// Options are what New takes beside the configuration. The zero value is
// production's.
type Options struct {
	// Log receives the JSON log; default stderr.
	Log *slog.Logger
	// DB is an open database to use instead of opening cfg.DatabaseURL
	// (the caller keeps it: Close leaves it open).
	DB *db.DB
	// Types are product types beyond the ones this build ships (a test's).
	Types []producttypes.Type
	// Provider replaces the payment provider cfg names (a test's that fails
	// on cue). It is instrumented like the real one.
	Provider payments.Provider
	// Jobs tunes the job system.
	Jobs jobs.Options
	// Outbox tunes the outbox's dispatcher.
	Outbox outbox.Options
	// ReconcileEvery is the reconciler's period; default a minute.
	ReconcileEvery time.Duration
}

// App is the wired application.
type App struct {
	Config    config.Config
	Log       *slog.Logger
	DB        *db.DB
	Registry  *producttypes.Registry
	Tenants   *tenants.Store
	Catalog   *catalog.Service
	Customers *customers.Store
	Orders    *orders.Store
	// Checkout places orders, Settlement settles them (cancels, refunds,
	// the reconciler, paid hooks), OrderIO imports and exports them.
	Checkout   *checkout.Service
	Settlement *settlement.Service
	OrderIO    *orderio.Service
	Payments   *payments.Service
	Webhooks   *settlement.Webhooks
	// Discounts keeps the leagues' sibling tiers and promotion codes.
	Discounts *discounts.Store
	// LeagueHooks delivers events to the leagues' endpoints.
	LeagueHooks *leaguehooks.Service
	Metrics     *metrics.Metrics
	Jobs        *jobs.Client
	// Outbox hands committed changes on (StartJobs runs it).
	Outbox *outbox.Dispatcher
	// HTTP is the API, ready to serve or to test with HTTP.Test.
	HTTP *fiber.App

	ownsDB   bool
	draining atomic.Bool
	// stopOutbox ends the dispatcher's run; outboxDone closes when it ended.
	stopOutbox context.CancelFunc
	outboxDone chan struct{}
}

// New wires the application described by cfg.
func New(ctx context.Context, cfg config.Config, o Options) (*App, error) {
	a := &App{Config: cfg, Log: o.Log, DB: o.DB}
	if a.Log == nil {
		a.Log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if a.DB == nil {
		if err := cfg.RequireDatabase(); err != nil {
			return nil, err
		}
		d, err := db.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		a.DB, a.ownsDB = d, true
	}
	if err := a.wire(o); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) wire(o Options) error {
	cfg := a.Config
	box, err := secrets.NewBox(cfg.EncryptionKey)
	if err != nil {
		return err
	}
	a.Registry = Registry(o.Types...)
	a.Tenants = tenants.NewStore(a.DB)
	a.Metrics = metrics.New(a.DB.Pool, a.Tenants.SlugByID)
	provider := o.Provider
	if provider == nil {
		provider = payments.NewStripe(cfg.StripeAPIURL)
		if cfg.Payments == "sandbox" {
			provider = payments.NewSandbox(cfg.PublicURL)
		}
	}
	a.Payments = payments.NewService(a.DB, box, a.Metrics.InstrumentProvider(provider), payments.Config{
		Sandbox: cfg.Payments == "sandbox", PlatformSecretKey: cfg.StripeSecretKey,
		PlatformWebhookSecret: cfg.StripeWebhookSecret, SandboxWebhookSecret: "whsec_" + secrets.Random(),
		PublicURL: cfg.PublicURL})
	a.Catalog = catalog.NewService(a.DB, a.Registry)
	a.Customers = customers.NewStore(a.DB)
	a.Discounts = discounts.NewStore(a.DB, a.Catalog)
	a.Orders = orders.NewStore(a.DB)
	nudger := outbox.NewNudger()
	a.Checkout = checkout.NewService(a.DB, a.Catalog, a.Payments, nudger, a.Log)
	a.Settlement = settlement.NewService(a.DB, a.Catalog, a.Orders, a.Payments, a.Metrics, nudger, a.Log)
	a.OrderIO = orderio.NewService(a.DB, a.Catalog, a.Checkout)
	a.Webhooks = settlement.NewWebhooks(a.DB, a.Payments, nudger, a.Log)
	a.LeagueHooks = leaguehooks.NewService(a.DB, box, leaguehooks.Guard{AllowLoopback: cfg.WebhooksAllowLoopback},
		cfg.WebhooksRetryBase, a.Log)

	// After a commit: the outbox's dispatcher hands each committed change
	// to the paid hooks and the league's endpoints (as jobs of their own)
	// and to the metrics.
	paidHooks := a.Settlement.PaidHooks()
	deliverer := a.LeagueHooks.Deliverer()
	reconciler := a.Settlement.Reconciler()
	purger := a.Checkout.Purger()
	workers := river.NewWorkers()
	river.AddWorker(workers, paidHooks)
	river.AddWorker(workers, deliverer)
	river.AddWorker(workers, reconciler)
	river.AddWorker(workers, purger)
	every := o.ReconcileEvery
	if every <= 0 {
		every = time.Minute
	}
	if a.Jobs, err = jobs.New(a.DB.Pool, workers, []*river.PeriodicJob{reconciler.PeriodicJob(every),
		purger.PeriodicJob(time.Hour)}, a.Log, o.Jobs); err != nil {
		return err
	}
	a.Outbox = outbox.NewDispatcher(a.DB, a.Jobs, nudger, a.Log, []outbox.Follower{paidHooks, deliverer},
		[]outbox.Observer{orders.EventObserver(a.Metrics), a.Metrics.Checkouts(), a.Metrics.OutboxLag()},
		func() { a.Metrics.Panic("worker") }, o.Outbox)

	a.HTTP = api.New(api.Deps{DB: a.DB, Registry: a.Registry, Tenants: a.Tenants, Catalog: a.Catalog,
		Customers: a.Customers, Orders: a.Orders, Checkout: a.Checkout, Settlement: a.Settlement,
		OrderIO: a.OrderIO, Payments: a.Payments, Webhooks: a.Webhooks, LeagueHooks: a.LeagueHooks,
		Discounts: a.Discounts,
		Metrics:   a.Metrics, ServeMetrics: cfg.MetricsAddr == "", Draining: &a.draining,
		Log: a.Log, PlatformToken: cfg.PlatformToken, BuyerRateLimit: cfg.BuyerRateLimit,
		TrustedProxies: cfg.TrustedProxies, BodyBudget: cfg.BodyBudget, BodyTimeout: cfg.BodyTimeout})
	return nil
}

// StartJobs starts the outbox's dispatcher and working jobs (deliveries,
// paid hooks, the reconciler) until StopJobs. Serve does both.
func (a *App) StartJobs(ctx context.Context) error {
	if err := a.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	var runCtx context.Context
	runCtx, a.stopOutbox = context.WithCancel(context.WithoutCancel(ctx))
	a.outboxDone = make(chan struct{})
	go func() {
		defer close(a.outboxDone)
		a.Outbox.Run(runCtx)
	}()
	return nil
}

// StopJobs stops the dispatcher after its current batch, lets running jobs
// finish (within ctx) and stops taking new ones. Events it leaves pending
// are any replica's to dispatch, this one's after a restart included.
func (a *App) StopJobs(ctx context.Context) error {
	if a.stopOutbox != nil {
		a.stopOutbox()
		select {
		case <-a.outboxDone:
		case <-ctx.Done():
		}
	}
	if err := a.Jobs.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}

// Close closes what New opened.
func (a *App) Close() {
	if a.ownsDB && a.DB != nil {
		a.DB.Close()
	}
}

// Serve runs the API on ln, the metrics listener and the jobs until ctx
// ends (SIGTERM, SIGINT). Then /readyz turns 503, the listener stops taking
// connections after the drain delay, in-flight requests finish within the
// grace period, and running jobs finish within it too.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	cfg := a.Config
	if err := a.StartJobs(ctx); err != nil {
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- a.HTTP.Listener(api.LimitListener(ln, cfg.ConnsPerClient, cfg.TrustedProxies)) }()
	var metricsSrv *http.Server
	if cfg.MetricsAddr != "" {
		metricsSrv = &http.Server{Addr: cfg.MetricsAddr, Handler: a.Metrics.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { errc <- metricsSrv.ListenAndServe() }()
	}
	a.Log.Info("serving", "addr", ln.Addr().String(), "metrics_addr", cfg.MetricsAddr, "payments", cfg.Payments)
	var listenErr error
	select {
	case err := <-errc:
		listenErr = fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
		a.draining.Store(true)
		a.Log.Info("draining", "delay", cfg.DrainDelay, "grace", cfg.ShutdownGrace)
		time.Sleep(cfg.DrainDelay)
	}
	err := a.HTTP.ShutdownWithTimeout(cfg.ShutdownGrace)
	if metricsSrv != nil {
		_ = metricsSrv.Close()
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
	defer cancel()
	if jerr := a.StopJobs(stopCtx); jerr != nil {
		a.Log.Error("stop jobs", "err", jerr)
	}
	if listenErr != nil {
		return listenErr
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.Log.Info("stopped")
	return nil
}

// Discard is a logger that drops everything (tests, one-shot commands).
func Discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
