// Command checkout is the checkout platform's one binary: the API server,
// migrations, provisioning, the demo seed, the legacy importer, and the
// one-command local setup (checkout dev). This is the only place that wires
// the packages together.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/leaguepay/checkout/app"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/platform/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := execute(ctx, rootCmd()); err != nil {
		fmt.Fprintln(os.Stderr, "checkout:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "checkout",
		Short:         "Multi-tenant checkout platform for sports leagues",
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}")
	root.AddCommand(serveCmd(), migrateCmd(), devCmd(), tenantsCmd(), keysCmd(), seedCmd(), importCmd())
	return root
}

// open wires the application configured by cfg, logging to stderr.
func open(ctx context.Context, cfg config.Config) (*app.App, error) {
	return app.New(ctx, cfg, app.Options{Log: newLogger(os.Stderr)})
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
