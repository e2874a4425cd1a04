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

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/api"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/metrics"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/secrets"
	"github.com/leaguepay/checkout/platform/webhooks"
	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/producttypes/contract"
	"github.com/leaguepay/checkout/producttypes/jersey"
	"github.com/leaguepay/checkout/tenants"
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
	payments  *payments.Service
	webhooks  *webhooks.Handler
	metrics   *metrics.Metrics
	log       *slog.Logger
}

func wire(d *db.DB, cfg config.Config, log *slog.Logger) (*services, error) {
	box, err := secrets.NewBox(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	ts := tenants.NewStore(d)
	m := metrics.New(d.Pool, ts.SlugByID)
	var provider payments.Provider = payments.NewStripe(cfg.StripeAPIURL)
	if cfg.Payments == "sandbox" {
		provider = payments.NewSandbox(cfg.PublicURL)
	}
	provider = m.InstrumentProvider(provider)
	pay := payments.NewService(d, box, provider, payments.Config{
		Sandbox: cfg.Payments == "sandbox", PlatformSecretKey: cfg.StripeSecretKey,
		PlatformWebhookSecret: cfg.StripeWebhookSecret, SandboxWebhookSecret: "whsec_" + secrets.Random(),
		PublicURL: cfg.PublicURL})
	reg := newRegistry()
	cat := catalog.NewService(d, reg)
	ord := orders.NewService(d, cat, log).WithGateway(pay).WithObserver(m)
	return &services{db: d, registry: reg, tenants: ts, catalog: cat,
		customers: customers.NewStore(d), orders: ord, payments: pay,
		webhooks: webhooks.NewHandler(d, pay, log).WithObserver(orders.Observers(m, ord.PaidHooks())), metrics: m, log: log}, nil
}

// open connects to the configured database as the application role,
// logging to stderr.
func open(ctx context.Context, cfg config.Config) (*services, error) {
	return openLogged(ctx, cfg, newLogger(os.Stderr))
}

// openLogged is open with the services logging to log.
func openLogged(ctx context.Context, cfg config.Config, log *slog.Logger) (*services, error) {
	if err := cfg.RequireDatabase(); err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	s, err := wire(d, cfg, log)
	if err != nil {
		d.Close()
		return nil, err
	}
	return s, nil
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func (s *services) apiDeps(cfg config.Config) api.Deps {
	return api.Deps{DB: s.db, Registry: s.registry, Tenants: s.tenants, Catalog: s.catalog,
		Customers: s.customers, Orders: s.orders, Payments: s.payments, Webhooks: s.webhooks,
		Metrics: s.metrics, ServeMetrics: cfg.MetricsAddr == "",
		Log: s.log, PlatformToken: cfg.PlatformToken,
		BuyerRateLimit: cfg.BuyerRateLimit, TrustedProxies: cfg.TrustedProxies, BodyBudget: cfg.BodyBudget}
}
