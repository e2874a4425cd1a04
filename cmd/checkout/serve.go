package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/api"
	"github.com/leaguepay/checkout/platform/config"
)

// shutdownGrace bounds how long in-flight requests may run after SIGTERM.
const shutdownGrace = 20 * time.Second

func serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the API (configuration from the environment)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			s, err := open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.db.Close()
			if err := s.db.CheckAppRole(cmd.Context()); err != nil {
				return err
			}
			return serve(cmd.Context(), s, cfg)
		},
	}
}

// reconcileEvery is how often pending orders are reconciled with Stripe.
const reconcileEvery = time.Minute

// serve runs the API and the reconciler until ctx ends, then drains
// in-flight requests and stops the reconciler.
func serve(ctx context.Context, s *services, cfg config.Config) error {
	app := api.New(s.apiDeps(cfg))
	workers, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); s.orders.RunReconciler(workers, reconcileEvery) }()
	defer func() { stopWorkers(); <-done }()
	errc := make(chan error, 1)
	go func() { errc <- app.Listen(cfg.HTTPAddr) }()
	s.log.Info("serving", "addr", cfg.HTTPAddr)
	select {
	case err := <-errc:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	if err := app.ShutdownWithTimeout(shutdownGrace); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
