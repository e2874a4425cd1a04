package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/api"
	"github.com/leaguepay/checkout/platform/config"
)

func serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the API (configuration from the environment)",
		Long:  "Run the API, the metrics listener and the reconciler until SIGTERM or SIGINT.\n\n" + config.Help(),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withServices(cmd, func(s *services, cfg config.Config) error {
				if err := s.db.CheckAppRole(cmd.Context()); err != nil {
					return err
				}
				return serve(cmd.Context(), s, cfg)
			})
		},
	}
}

// reconcileEvery is how often pending orders are reconciled with Stripe.
const reconcileEvery = time.Minute

// serve listens on cfg.HTTPAddr and serves there (serveListener).
func serve(ctx context.Context, s *services, cfg config.Config) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serveListener(ctx, s, cfg, ln)
}

// serveListener runs the API on ln, the metrics listener and the reconciler
// until ctx ends (SIGTERM, SIGINT). Then /readyz turns 503, the listener
// stops taking connections after the drain delay, in-flight requests finish
// within the grace period, the reconciler stops, and the caller closes the
// pool.
func serveListener(ctx context.Context, s *services, cfg config.Config, ln net.Listener) error {
	var draining atomic.Bool
	deps := s.apiDeps(cfg)
	deps.Draining = &draining
	app := api.New(deps)

	workers, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); s.orders.RunReconciler(workers, reconcileEvery) }()
	defer func() { stopWorkers(); <-done }()

	errc := make(chan error, 2)
	go func() { errc <- app.Listener(api.LimitListener(ln, cfg.ConnsPerClient, cfg.TrustedProxies)) }()
	var metricsSrv *http.Server
	if cfg.MetricsAddr != "" {
		metricsSrv = &http.Server{Addr: cfg.MetricsAddr, Handler: s.metrics.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { errc <- metricsSrv.ListenAndServe() }()
	}
	s.log.Info("serving", "addr", ln.Addr().String(), "metrics_addr", cfg.MetricsAddr, "payments", cfg.Payments)
	select {
	case err := <-errc:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	draining.Store(true)
	s.log.Info("draining", "delay", cfg.DrainDelay, "grace", cfg.ShutdownGrace)
	time.Sleep(cfg.DrainDelay)
	err := app.ShutdownWithTimeout(cfg.ShutdownGrace)
	if metricsSrv != nil {
		_ = metricsSrv.Close()
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}
