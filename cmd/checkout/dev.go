package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/tenants"
)

// Local defaults of checkout dev.
const (
	devDatabase      = "checkout_dev"
	devLoginRole     = "checkout_dev_app"
	devPlatformToken = "dev-platform-token"
)

// localServers are tried, in order, when CHECKOUT_DATABASE_URL is unset.
var localServers = []string{
	"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
	"postgres://postgres@/postgres?host=/var/run/postgresql",
}

func devCmd() *cobra.Command {
	var private bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "One-command local setup: PostgreSQL, migrations, demo league, server, curl lines",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			adminURL, cleanup, err := devDatabaseURL(ctx, cfg, private, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer cleanup()
			return runDev(ctx, cfg, adminURL, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&private, "private-postgres", false,
		"start a private PostgreSQL from the machine's binaries even if a local one answers")
	return cmd
}

// devDatabaseURL returns a privileged URL of the dev database: the
// configured one, a local server's, or a private server started here.
func devDatabaseURL(ctx context.Context, cfg config.Config, private bool, log io.Writer) (string, func(), error) {
	if cfg.DatabaseURL != "" {
		return cfg.MigrateDatabaseURL, func() {}, nil
	}
	for _, server := range localServers {
		if private {
			break
		}
		if u, err := ensureDatabase(ctx, server, devDatabase); err == nil {
			fmt.Fprintf(log, "using the local PostgreSQL (%s)\n", server)
			return u, func() {}, nil
		}
	}
	fmt.Fprintln(log, "starting a private PostgreSQL from the machine's binaries")
	server, stop, err := startPrivatePostgres(ctx, log)
	if err != nil {
		return "", nil, err
	}
	u, err := ensureDatabase(ctx, server, devDatabase)
	if err != nil {
		stop()
		return "", nil, err
	}
	return u, stop, nil
}

// ensureDatabase creates database name on server when missing and returns
// its URL.
func ensureDatabase(ctx context.Context, server, name string) (string, error) {
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return db.WithDatabase(server, name)
}

// runDev migrates, seeds the demo, prints ready-to-paste curl lines and
// serves until interrupted.
func runDev(ctx context.Context, cfg config.Config, adminURL string, out io.Writer) error {
	if err := db.Migrate(ctx, adminURL, io.Discard); err != nil {
		return err
	}
	appURL, err := db.EnsureLoginRole(ctx, adminURL, devLoginRole)
	if err != nil {
		return err
	}
	cfg.DatabaseURL = appURL
	if os.Getenv("CHECKOUT_PAYMENTS") == "" {
		cfg.Payments = "sandbox" // dev takes payments without a Stripe account
	}
	if cfg.PlatformToken == "" {
		cfg.PlatformToken = devPlatformToken
	}
	s, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.db.Close()
	d, key, token, err := devDemo(ctx, s, cfg)
	if err != nil {
		return err
	}
	printCurls(out, cfg, d, key, token)
	return serve(ctx, s, cfg)
}

// devDemo seeds the demo league and makes the fresh admin key and
// registration token the curl lines use.
func devDemo(ctx context.Context, s *services, cfg config.Config) (d demo, key, token string, err error) {
	if d, err = seedDemo(ctx, s, []string{cfg.PublicURL}); err != nil {
		return d, "", "", err
	}
	k, err := s.tenants.Keys().Create(ctx, d.Tenant.ID, tenants.KeyInput{Role: tenants.RoleAdmin, Name: "checkout dev"})
	if err != nil {
		return d, "", "", err
	}
	token, err = s.customers.RotateToken(ctx, d.Tenant.ID, d.Household.ID)
	return d, k.Key, token, err
}

// printCurls prints ready-to-paste curl lines against the demo league.
func printCurls(out io.Writer, cfg config.Config, d demo, key, token string) {
	public := strings.TrimSuffix(cfg.PublicURL, "/")
	base := public + "/v1/tenants/" + d.Tenant.Slug
	home, optOut, contract := d.Products[0], d.Products[2], d.Products[3]
	maya, leo := d.Household.Players[0], d.Household.Players[1]
	pay := "open checkout_url in a browser and press Pay\n" +
		"  # (or from the shell: curl -sL -d '' <checkout_url>/pay prints the page, now paid)"
	if cfg.Payments != "sandbox" {
		pay = "Stripe mode: the league needs its Stripe settings first (PUT /admin/stripe), else 503"
	}
	fmt.Fprintf(out, `
checkout dev is ready on %s (demo league %q, payments: %s)
Each checkout works once per player: pasted again it answers 409 with the order_id.

  # products, as a parent sees them
  curl -s %s/products

  # Leo's home jersey ($45): %s
  curl -s -X POST %s/checkout -H 'Content-Type: application/json' \
    -d '{"registration_token":"%s","product_id":"%s","player_id":"%s","custom_data":{"jersey_number":10,"top_size":"YM","bottom_size":"YM","name_on_back":"Rivera"}}'

  # Maya opts out of a jersey ($0: paid at once)
  curl -s -X POST %s/checkout -H 'Content-Type: application/json' \
    -d '{"registration_token":"%s","product_id":"%s","player_id":"%s"}'

  # a parent signs Leo's contract ($0)
  curl -s -X POST %s/checkout -H 'Content-Type: application/json' \
    -d '{"registration_token":"%s","product_id":"%s","player_id":"%s","custom_data":{"signer_name":"Ana Rivera","signer_relationship":"parent","accept_terms":true,"terms_version":"2026.1"}}'

  # the household's orders
  curl -s %s/orders -H 'X-Registration-Token: %s'

  # league staff (admin key): orders, and the CSV export
  curl -s %s/admin/orders -H 'Authorization: Bearer %s'
  curl -s %s/admin/orders.csv -H 'Authorization: Bearer %s'

  # platform operator: tenants
  curl -s %s/v1/platform/tenants -H 'Authorization: Bearer %s'

`, public, d.Tenant.Slug, cfg.Payments, base,
		pay, base, token, home.ID, leo.ID,
		base, token, optOut.ID, maya.ID,
		base, token, contract.ID, leo.ID,
		base, token,
		base, key, base, key,
		public, cfg.PlatformToken)
}
