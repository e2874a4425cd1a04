// Command checkout is the checkout platform's one binary: the API server,
// migrations, provisioning, the demo seed, the legacy importer, and the
// one-command local setup (checkout dev). This is the only place that wires
// the packages together.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/api"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/producttypes/contract"
	"github.com/leaguepay/checkout/producttypes/jersey"
	"github.com/leaguepay/checkout/tenants"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "checkout:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "checkout",
		Short:         "Multi-tenant checkout platform for sports leagues",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), migrateCmd(), devCmd(), tenantsCmd(), keysCmd(), seedCmd(), importCmd())
	return root
}

// newRegistry registers every product type this build offers. Adding a type
// is one package and one argument here.
func newRegistry() *producttypes.Registry {
	r := producttypes.NewRegistry()
	r.Register(jersey.New(), contract.New())
	return r
}

// services is everything wired on one database.
type services struct {
	db        *db.DB
	registry  *producttypes.Registry
	tenants   *tenants.Store
	catalog   *catalog.Service
	customers *customers.Store
	orders    *orders.Service
	log       *slog.Logger
}

func wire(d *db.DB, log *slog.Logger) *services {
	reg := newRegistry()
	cat := catalog.NewService(d, reg)
	return &services{db: d, registry: reg, tenants: tenants.NewStore(d), catalog: cat,
		customers: customers.NewStore(d), orders: orders.NewService(d, cat, log), log: log}
}

// open connects to the configured database as the application role.
func open(ctx context.Context, cfg config.Config) (*services, error) {
	if err := cfg.RequireDatabase(); err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	return wire(d, newLogger()), nil
}

func newLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func (s *services) apiDeps(cfg config.Config) api.Deps {
	return api.Deps{DB: s.db, Registry: s.registry, Tenants: s.tenants, Catalog: s.catalog,
		Customers: s.customers, Orders: s.orders, Log: s.log, PlatformToken: cfg.PlatformToken,
		BuyerRateLimit: cfg.BuyerRateLimit}
}
