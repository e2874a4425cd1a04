package config

import (
	"fmt"
	"os"
	"strings"
)

// Var is one environment variable the process reads. FromEnv takes its
// defaults from here, `checkout serve --help` prints this table, and a test
// holds the README's configuration table to it.
type Var struct {
	Name string
	// Default is the value used when the variable is unset or empty; ""
	// when there is none.
	Default string
	// Shown, when set, is how the default is shown instead of Default: a
	// default that is not a literal value (another variable, Stripe's own).
	Shown string
	// Usage says what the variable is for, in one line.
	Usage string
}

// DefaultText is the default as help and the README show it: Shown, else
// Default, else "—".
func (v Var) DefaultText() string {
	switch {
	case v.Shown != "":
		return v.Shown
	case v.Default != "":
		return v.Default
	}
	return "—"
}

// Vars lists every variable FromEnv reads, in the README's order.
var Vars = []Var{
	{Name: "CHECKOUT_DATABASE_URL", Shown: "— (required by serve)",
		Usage: "the application's connection: a member of checkout_app, not owner, superuser or BYPASSRLS"},
	{Name: "CHECKOUT_MIGRATE_DATABASE_URL", Shown: "CHECKOUT_DATABASE_URL",
		Usage: "the owner's connection, used by checkout migrate"},
	{Name: "CHECKOUT_HTTP_ADDR", Default: ":8080",
		Usage: "listen address (checkout dev: 127.0.0.1:8080)"},
	{Name: "CHECKOUT_METRICS_ADDR",
		Usage: "serve /metrics on this address instead"},
	{Name: "CHECKOUT_PUBLIC_URL", Default: "http://localhost:8080",
		Usage: "how clients and Stripe reach the service (checkout dev: http:// and the address it listens on)"},
	{Name: "CHECKOUT_PLATFORM_TOKEN",
		Usage: "bearer token of the platform API; unset, /v1/platform/* is 404 (checkout dev on loopback: dev-platform-token)"},
	{Name: "CHECKOUT_ENCRYPTION_KEY",
		Usage: "base64 of 32 bytes; encrypts stored Stripe secrets"},
	{Name: "CHECKOUT_PAYMENTS", Default: "stripe",
		Usage: "stripe or sandbox (checkout dev: sandbox)"},
	{Name: "STRIPE_SECRET_KEY",
		Usage: "the platform's Stripe key (Connect)"},
	{Name: "STRIPE_WEBHOOK_SECRET",
		Usage: "the platform's Stripe webhook secret (Connect)"},
	{Name: "CHECKOUT_STRIPE_API_URL", Shown: "Stripe's",
		Usage: "Stripe API base (tests point it at stripe-mock)"},
	{Name: "CHECKOUT_BUYER_RATE_LIMIT", Default: "300",
		Usage: "buyer requests per client IP, tenant and minute (per replica)"},
	{Name: "CHECKOUT_TRUSTED_PROXIES",
		Usage: "comma-separated IPs/CIDRs of the proxies whose X-Forwarded-For names the client; unset, the peer address is the client"},
	{Name: "CHECKOUT_MAX_CONNS_PER_CLIENT", Default: "128",
		Usage: "connections one peer address may hold open at once (trusted proxies exempt); 0 turns the bound off"},
	{Name: "CHECKOUT_BODY_BUDGET_BYTES", Default: "33554432",
		Usage: "bytes of request bodies read or held at once across all connections; at least 1 MiB"},
	{Name: "CHECKOUT_BODY_TIMEOUT", Default: "10s",
		Usage: "how long the rest of a request body may take to arrive once its route reads it (408 after)"},
	{Name: "CHECKOUT_WEBHOOKS_ALLOW_LOOPBACK", Default: "false",
		Usage: "true admits league webhook endpoints on loopback, over http or https (checkout dev and tests set it)"},
	{Name: "CHECKOUT_WEBHOOKS_RETRY_BASE", Default: "30s",
		Usage: "first retry delay of a failed delivery to a league endpoint; doubles each time, for 3 days"},
	{Name: "CHECKOUT_SHUTDOWN_GRACE", Default: "20s",
		Usage: "after SIGTERM, how long in-flight requests may take once the listener has closed"},
	{Name: "CHECKOUT_DRAIN_DELAY", Default: "0s",
		Usage: "after SIGTERM, how long /readyz answers 503 while requests are still served"},
}

// Lookup returns the variable called name from Vars.
func Lookup(name string) (Var, bool) {
	for _, v := range Vars {
		if v.Name == name {
			return v, true
		}
	}
	return Var{}, false
}

// IsSet reports whether the variable name is set to a non-empty value, for
// commands whose own default differs from the table's (checkout dev).
func IsSet(name string) bool { return os.Getenv(name) != "" }

// get returns the variable's value, or its default when unset or empty. A
// name missing from Vars is a programming error.
func get(name string) string {
	v, ok := Lookup(name)
	if !ok {
		panic("config: " + name + " is read but not listed in Vars")
	}
	if s := os.Getenv(name); s != "" {
		return s
	}
	return v.Default
}

// Help renders Vars for a command's --help: each variable with its default,
// then what it is for.
func Help() string {
	var b strings.Builder
	b.WriteString("Environment (an unset or empty variable takes its default):\n")
	fmt.Fprintf(&b, "  %-31s %s\n", "variable", "default")
	for _, v := range Vars {
		fmt.Fprintf(&b, "  %-31s %s\n      %s\n", v.Name, v.DefaultText(), v.Usage)
	}
	return b.String()
}
