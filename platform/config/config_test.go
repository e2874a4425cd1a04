package config_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/leaguepay/checkout/platform/config"
)

func TestFromEnv(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	cases := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c config.Config)
		err   string
	}{
		{"defaults need nothing but give the documented values", nil, func(t *testing.T, c config.Config) {
			if c.HTTPAddr != ":8080" || c.Payments != "stripe" || c.ShutdownGrace != 20*time.Second || c.DrainDelay != 0 {
				t.Errorf("defaults %+v", c)
			}
		}, ""},
		{"the migration URL defaults to the database URL", map[string]string{"CHECKOUT_DATABASE_URL": "postgres://a@h/d"},
			func(t *testing.T, c config.Config) {
				if c.MigrateDatabaseURL != "postgres://a@h/d" {
					t.Errorf("migrate URL %q", c.MigrateDatabaseURL)
				}
			}, ""},
		{"a 32-byte base64 key is accepted", map[string]string{"CHECKOUT_ENCRYPTION_KEY": key},
			func(t *testing.T, c config.Config) {
				if len(c.EncryptionKey) != 32 {
					t.Errorf("key of %d bytes", len(c.EncryptionKey))
				}
			}, ""},
		{"trusted proxies are split and kept", map[string]string{"CHECKOUT_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"},
			func(t *testing.T, c config.Config) {
				if strings.Join(c.TrustedProxies, "|") != "10.0.0.0/8|192.0.2.1" {
					t.Errorf("proxies %v", c.TrustedProxies)
				}
			}, ""},
		{"a short encryption key is refused", map[string]string{"CHECKOUT_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(make([]byte, 16))}, nil, "CHECKOUT_ENCRYPTION_KEY"},
		{"an unknown payments mode is refused", map[string]string{"CHECKOUT_PAYMENTS": "paypal"}, nil, "CHECKOUT_PAYMENTS"},
		{"a bad rate limit is refused", map[string]string{"CHECKOUT_BUYER_RATE_LIMIT": "0"}, nil, "CHECKOUT_BUYER_RATE_LIMIT"},
		{"a bad duration is refused", map[string]string{"CHECKOUT_SHUTDOWN_GRACE": "soon"}, nil, "CHECKOUT_SHUTDOWN_GRACE"},
		{"a bad proxy is refused", map[string]string{"CHECKOUT_TRUSTED_PROXIES": "ingress"}, nil, "CHECKOUT_TRUSTED_PROXIES"},
	}
	vars := []string{"CHECKOUT_DATABASE_URL", "CHECKOUT_MIGRATE_DATABASE_URL", "CHECKOUT_HTTP_ADDR", "CHECKOUT_PAYMENTS",
		"CHECKOUT_ENCRYPTION_KEY", "CHECKOUT_BUYER_RATE_LIMIT", "CHECKOUT_SHUTDOWN_GRACE", "CHECKOUT_DRAIN_DELAY", "CHECKOUT_TRUSTED_PROXIES"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range vars {
				t.Setenv(v, tc.env[v])
			}
			c, err := config.FromEnv()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}
