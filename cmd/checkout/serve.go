package main

import (
	"context"
	"fmt"
	"net"

	"github.com/leaguepay/checkout/app"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/platform/config"
)

func serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the API (configuration from the environment)",
		Long:  "Run the API, the metrics listener and the reconciler until SIGTERM or SIGINT.\n\n" + config.Help(),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withServices(cmd, func(s *app.App, cfg config.Config) error {
				if err := s.DB.CheckAppRole(cmd.Context()); err != nil {
					return err
				}
				return serve(cmd.Context(), s, cfg)
			})
		},
	}
}

// serve listens on cfg.HTTPAddr and serves the application there until ctx
// ends.
func serve(ctx context.Context, s *app.App, cfg config.Config) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return s.Serve(ctx, ln)
}
