// Package apptest builds the application for tests with app.New, the wiring
// `checkout serve` uses, over the test package's own database (dbtest), so
// a test runs what production runs. The app's jobs (the outbox's
// dispatcher, deliveries, paid hooks, the reconciler) run until the test
// ends.
package apptest

import (
	"context"
	"testing"
	"time"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/config"
)

// The secrets of every test configuration.
var (
	EncryptionKey = []byte("0123456789abcdef0123456789abcdef")
)

// The configuration values tests check against.
const (
	PlatformToken         = "test-platform-token"
	PlatformSecretKey     = "sk_test_platform0123456789"
	PlatformWebhookSecret = "whsec_platformtest0123456789"
	PublicURL             = "http://checkout.test"
)

// Config is the configuration tests start from: Stripe's API at stripeURL
// (a stripe-mock, or an address that refuses), league endpoints admitted on
// loopback, and webhook retries 50 ms apart so a test sees several.
func Config(stripeURL string) config.Config {
	return config.Config{
		PublicURL: PublicURL, PlatformToken: PlatformToken, EncryptionKey: EncryptionKey,
		Payments: "stripe", StripeSecretKey: PlatformSecretKey, StripeWebhookSecret: PlatformWebhookSecret,
		StripeAPIURL: stripeURL, BuyerRateLimit: 100000,
		WebhooksAllowLoopback: true, WebhooksRetryBase: 50 * time.Millisecond,
		ShutdownGrace: 5 * time.Second,
	}
}

// New wires the application configured by cfg over o.DB (default: the
// package's database), logging nowhere unless o.Log says otherwise, and
// runs its jobs until tb ends.
func New(tb testing.TB, cfg config.Config, o app.Options) *app.App {
	tb.Helper()
	a := Wire(tb, cfg, o)
	if err := a.StartJobs(context.Background()); err != nil {
		tb.Fatalf("start jobs: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.StopJobs(ctx); err != nil {
			tb.Logf("stop jobs: %v", err)
		}
	})
	return a
}

// Wire is New without running the jobs: a replica that only serves
// requests (one whose database is gone, say).
func Wire(tb testing.TB, cfg config.Config, o app.Options) *app.App {
	tb.Helper()
	if o.DB == nil {
		o.DB = dbtest.DB(tb)
	}
	if o.Log == nil {
		o.Log = app.Discard()
	}
	if o.ReconcileEvery == 0 {
		// Tests that want a pass call Reconcile: a periodic one on some
		// replica of the package's database would race them.
		o.ReconcileEvery = time.Hour
	}
	if o.Jobs.Poll == 0 {
		o.Jobs.Poll, o.Jobs.PollOnly = 20*time.Millisecond, true
	}
	a, err := app.New(context.Background(), cfg, o)
	if err != nil {
		tb.Fatalf("wire the app: %v", err)
	}
	tb.Cleanup(a.Close)
	return a
}
