package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"

	"github.com/leaguepay/checkout/app"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/secrets"
)

// Local defaults of checkout dev.
const (
	devDatabase      = "checkout_dev"
	devLoginRole     = "checkout_dev_app"
	devPlatformToken = "dev-platform-token"
	// devAddr is where dev listens unless CHECKOUT_HTTP_ADDR says otherwise:
	// loopback, since dev serves a documented platform token and a sandbox
	// whose Pay button anyone reaching it may press.
	devAddr = "127.0.0.1:8080"
)

// localServers are tried, in order, when CHECKOUT_DATABASE_URL is unset.
var localServers = []string{
	"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
	"postgres://postgres@/postgres?host=/var/run/postgresql",
}

// devOptions are checkout dev's flags.
type devOptions struct {
	private bool // --private-postgres
	reset   bool // --reset
}

func devCmd() *cobra.Command {
	var opts devOptions
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "One-command local setup: PostgreSQL, migrations, demo league, server, curl lines",
		Long: "One-command local setup: finds or starts a PostgreSQL, migrates it, seeds the demo league, " +
			"and serves it with the sandbox payment provider on " + devAddr + ", printing ready-to-paste curl lines.\n\n" +
			"It takes the address first: when another checkout dev (or anything) holds it, it stops before changing anything. " +
			"The admin key and registration token it prints are kept in the user's cache directory and are the same on every run; " +
			"the quick start's orders of an earlier run are ended at start so every printed line works again.\n\n" +
			config.Help(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			ln, err := devListen(cfg)
			if err != nil {
				return err
			}
			defer ln.Close()
			cfg = devConfig(cfg, ln.Addr(), cmd.ErrOrStderr())
			ctx := cmd.Context()
			adminURL, cleanup, err := devDatabaseURL(ctx, cfg, opts.private, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer cleanup()
			return runDev(ctx, cfg, adminURL, ln, opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().BoolVar(&opts.private, "private-postgres", false,
		"start a private PostgreSQL from the machine's binaries even if a local one answers")
	cmd.Flags().BoolVar(&opts.reset, "reset", false,
		"delete the demo league with all its data (orders, households, keys) and seed it afresh")
	return cmd
}

// devListen takes dev's address (CHECKOUT_HTTP_ADDR, else loopback) before
// anything else happens, so a second checkout dev stops here, having changed
// nothing.
func devListen(cfg config.Config) (net.Listener, error) {
	addr := devAddress(cfg)
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%s is already in use (is another checkout dev running?); nothing was changed. "+
			"Stop the other one, or listen elsewhere: CHECKOUT_HTTP_ADDR=127.0.0.1:8081 checkout dev", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// devAddress is where dev listens: CHECKOUT_HTTP_ADDR when set, else
// loopback.
func devAddress(cfg config.Config) string {
	if config.IsSet("CHECKOUT_HTTP_ADDR") {
		return cfg.HTTPAddr
	}
	return devAddr
}

// devConfig is cfg as dev runs it on a listener bound to addr: its address, the public URL derived
// from it unless CHECKOUT_PUBLIC_URL is set, the sandbox unless
// CHECKOUT_PAYMENTS is set, and a platform token: the documented one on
// loopback, a random one when dev is reachable from elsewhere.
func devConfig(cfg config.Config, addr net.Addr, log io.Writer) config.Config {
	cfg.HTTPAddr = addr.String()
	if !config.IsSet("CHECKOUT_PUBLIC_URL") {
		cfg.PublicURL = publicURLOf(addr)
	}
	if !config.IsSet("CHECKOUT_PAYMENTS") {
		cfg.Payments = "sandbox" // dev takes payments without a Stripe account
	}
	if !config.IsSet("CHECKOUT_WEBHOOKS_ALLOW_LOOPBACK") {
		cfg.WebhooksAllowLoopback = true // a league's receiver on this machine
	}
	loopback := isLoopback(addr)
	if !loopback {
		fmt.Fprintf(log, "WARNING: checkout dev listens on %s, beyond this machine: whoever reaches it can "+
			"press the sandbox's Pay and call the platform API with the token printed below\n", cfg.HTTPAddr)
	}
	if cfg.PlatformToken == "" {
		cfg.PlatformToken = devPlatformToken
		if !loopback {
			cfg.PlatformToken = "dev-" + secrets.Random()
		}
	}
	return cfg
}

// publicURLOf is the URL of a listener bound to addr: its IP and port, or
// localhost when it listens on every interface.
func publicURLOf(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(tcp.Port)))
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
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

// runDev migrates, resets the demo league when asked, seeds it, prints
// ready-to-paste curl lines and serves on ln until interrupted.
func runDev(ctx context.Context, cfg config.Config, adminURL string, ln net.Listener, opts devOptions, out, log io.Writer) error {
	if err := db.Migrate(ctx, adminURL, io.Discard); err != nil {
		return err
	}
	appURL, err := db.EnsureLoginRole(ctx, adminURL, devLoginRole)
	if err != nil {
		return err
	}
	cfg.DatabaseURL = appURL
	if opts.reset {
		if err := resetDemo(ctx, adminURL, log); err != nil {
			return err
		}
	}
	if cfg.EncryptionKey == nil {
		if cfg.EncryptionKey, err = devEncryptionKey(); err != nil {
			return err
		}
	}
	s, err := app.New(ctx, cfg, app.Options{Log: newLogger(log)})
	if err != nil {
		return err
	}
	defer s.Close()
	d, creds, err := devDemo(ctx, s, cfg, log)
	if err != nil {
		return err
	}
	printReady(out, cfg, adminURL, d, creds)
	return s.Serve(ctx, ln)
}

// redactedURL is u without its password, for printing.
func redactedURL(u string) string {
	if parsed, err := url.Parse(u); err == nil {
		return parsed.Redacted()
	}
	return u
}
