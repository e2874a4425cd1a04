// Package config reads the process configuration from the environment, in
// one place, with the defaults the README's configuration table lists.
package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config is the process configuration.
type Config struct {
	DatabaseURL         string // CHECKOUT_DATABASE_URL: the application's (non-owner) role
	MigrateDatabaseURL  string // CHECKOUT_MIGRATE_DATABASE_URL: the owner role for migrations; defaults to DatabaseURL
	HTTPAddr            string // CHECKOUT_HTTP_ADDR, default :8080
	MetricsAddr         string // CHECKOUT_METRICS_ADDR: serve /metrics there instead of on HTTPAddr
	PublicURL           string // CHECKOUT_PUBLIC_URL: how clients and Stripe reach this service
	PlatformToken       string // CHECKOUT_PLATFORM_TOKEN: the platform API is off (404) when empty
	EncryptionKey       []byte // CHECKOUT_ENCRYPTION_KEY: base64 of 32 bytes
	Payments            string // CHECKOUT_PAYMENTS: stripe (default) or sandbox
	StripeSecretKey     string // STRIPE_SECRET_KEY: the platform's key (Connect)
	StripeWebhookSecret string // STRIPE_WEBHOOK_SECRET: the platform's webhook secret (Connect)
	StripeAPIURL        string // CHECKOUT_STRIPE_API_URL: Stripe API base (tests: stripe-mock)
	BuyerRateLimit      int    // CHECKOUT_BUYER_RATE_LIMIT: buyer requests per IP, tenant and minute
	// ConnsPerClient (CHECKOUT_MAX_CONNS_PER_CLIENT, default 128; 0: no
	// bound) is the most connections one peer address may hold open;
	// trusted proxies are exempt.
	ConnsPerClient int
	// BodyBudget (CHECKOUT_BODY_BUDGET_BYTES, default 32 MiB) bounds the
	// bytes of request bodies read or held at once, across all connections.
	BodyBudget int64
	// TrustedProxies (CHECKOUT_TRUSTED_PROXIES, comma-separated IPs or
	// CIDRs) are the proxies whose X-Forwarded-For names the client; unset,
	// the client is the peer address.
	TrustedProxies []string
	// ShutdownGrace (CHECKOUT_SHUTDOWN_GRACE, default 20s) bounds how long
	// in-flight requests may finish after SIGTERM.
	ShutdownGrace time.Duration
	// DrainDelay (CHECKOUT_DRAIN_DELAY, default 0s) is how long /readyz
	// answers 503 before the listener closes, for load balancers without a
	// preStop hook.
	DrainDelay time.Duration
	// BodyTimeout (CHECKOUT_BODY_TIMEOUT, default 10s) bounds how long the
	// rest of a request body may take once its route starts reading it.
	BodyTimeout time.Duration
	// WebhooksAllowLoopback (CHECKOUT_WEBHOOKS_ALLOW_LOOPBACK) admits league
	// endpoints on loopback addresses, over http or https (checkout dev,
	// tests); every other private address stays refused.
	WebhooksAllowLoopback bool
	// WebhooksRetryBase (CHECKOUT_WEBHOOKS_RETRY_BASE, default 30s) is the
	// first retry's delay of a failed delivery to a league; it doubles each
	// time, for three days.
	WebhooksRetryBase time.Duration
}

// FromEnv reads the configuration from the environment; every variable and
// its default is listed in Vars.
func FromEnv() (Config, error) {
	c := Config{
		DatabaseURL:         get("CHECKOUT_DATABASE_URL"),
		MigrateDatabaseURL:  get("CHECKOUT_MIGRATE_DATABASE_URL"),
		HTTPAddr:            get("CHECKOUT_HTTP_ADDR"),
		MetricsAddr:         get("CHECKOUT_METRICS_ADDR"),
		PublicURL:           get("CHECKOUT_PUBLIC_URL"),
		PlatformToken:       get("CHECKOUT_PLATFORM_TOKEN"),
		Payments:            get("CHECKOUT_PAYMENTS"),
		StripeSecretKey:     get("STRIPE_SECRET_KEY"),
		StripeWebhookSecret: get("STRIPE_WEBHOOK_SECRET"),
		StripeAPIURL:        get("CHECKOUT_STRIPE_API_URL"),
	}
	if c.MigrateDatabaseURL == "" {
		c.MigrateDatabaseURL = c.DatabaseURL
	}
	if v := get("CHECKOUT_ENCRYPTION_KEY"); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != 32 {
			return Config{}, fmt.Errorf("CHECKOUT_ENCRYPTION_KEY must be base64 of 32 bytes")
		}
		c.EncryptionKey = key
	}
	if c.Payments != "stripe" && c.Payments != "sandbox" {
		return Config{}, fmt.Errorf("CHECKOUT_PAYMENTS must be stripe or sandbox, not %q", c.Payments)
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"CHECKOUT_SHUTDOWN_GRACE", &c.ShutdownGrace}, {"CHECKOUT_DRAIN_DELAY", &c.DrainDelay},
		{"CHECKOUT_BODY_TIMEOUT", &c.BodyTimeout}, {"CHECKOUT_WEBHOOKS_RETRY_BASE", &c.WebhooksRetryBase}} {
		dur, err := time.ParseDuration(get(d.name))
		if err != nil || dur < 0 {
			return Config{}, fmt.Errorf("%s must be a duration such as 20s", d.name)
		}
		*d.dst = dur
	}
	if v := get("CHECKOUT_TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
				return Config{}, fmt.Errorf("CHECKOUT_TRUSTED_PROXIES: %q is not an IP or CIDR", p)
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	n, err := strconv.Atoi(get("CHECKOUT_MAX_CONNS_PER_CLIENT"))
	if err != nil || n < 0 {
		return Config{}, fmt.Errorf("CHECKOUT_MAX_CONNS_PER_CLIENT must be 0 (no bound) or a positive integer")
	}
	c.ConnsPerClient = n
	budget, err := strconv.ParseInt(get("CHECKOUT_BODY_BUDGET_BYTES"), 10, 64)
	if err != nil || budget < 1<<20 {
		return Config{}, fmt.Errorf("CHECKOUT_BODY_BUDGET_BYTES must be an integer of at least 1048576 (one body of the largest size)")
	}
	c.BodyBudget = budget
	switch v := get("CHECKOUT_WEBHOOKS_ALLOW_LOOPBACK"); v {
	case "true", "false":
		c.WebhooksAllowLoopback = v == "true"
	default:
		return Config{}, fmt.Errorf("CHECKOUT_WEBHOOKS_ALLOW_LOOPBACK must be true or false, not %q", v)
	}
	if c.BuyerRateLimit, err = strconv.Atoi(get("CHECKOUT_BUYER_RATE_LIMIT")); err != nil || c.BuyerRateLimit < 1 {
		return Config{}, fmt.Errorf("CHECKOUT_BUYER_RATE_LIMIT must be a positive integer")
	}
	return c, nil
}

// RequireDatabase returns an error when no database URL is configured.
func (c Config) RequireDatabase() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("CHECKOUT_DATABASE_URL is not set")
	}
	return nil
}
