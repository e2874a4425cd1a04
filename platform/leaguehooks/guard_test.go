package leaguehooks_test

import (
	"context"
	"testing"

	"github.com/leaguepay/checkout/platform/leaguehooks"
)

func TestGuardRefusesInwardURLs(t *testing.T) {
	ctx := context.Background()
	strict, dev := leaguehooks.Guard{}, leaguehooks.Guard{AllowLoopback: true}
	cases := []struct {
		url         string
		strict, dev bool // admitted
	}{
		{"https://1.1.1.1/hooks", true, true},
		{"https://[2606:4700:4700::1111]/hooks", true, true},
		{"http://1.1.1.1/hooks", false, false},
		{"https://127.0.0.1/hooks", false, true},
		{"http://127.0.0.1:8080/hooks", false, true},
		{"https://[::1]/hooks", false, true},
		{"https://localhost/hooks", false, true},
		{"https://10.0.0.7/hooks", false, false},
		{"https://172.16.3.4/hooks", false, false},
		{"https://192.168.1.1/hooks", false, false},
		{"https://169.254.169.254/latest/meta-data/", false, false},
		{"https://[fe80::1]/hooks", false, false},
		{"https://[fd00::1]/hooks", false, false},
		{"https://[::ffff:10.0.0.1]/hooks", false, false},
		{"https://100.64.0.1/hooks", false, false},
		{"https://0.0.0.0/hooks", false, false},
		{"https://224.0.0.1/hooks", false, false},
		{"https://user:pw@1.1.1.1/hooks", false, false},
		{"ftp://1.1.1.1/hooks", false, false},
		{"/hooks", false, false},
		{"https://name.invalid/hooks", false, false},
	}
	for _, c := range cases {
		for _, g := range []struct {
			name  string
			guard leaguehooks.Guard
			want  bool
		}{{"strict", strict, c.strict}, {"loopback allowed", dev, c.dev}} {
			why := g.guard.CheckURL(ctx, c.url)
			if (why == "") != g.want {
				t.Errorf("%s: CheckURL(%q) = %q, want admitted %v", g.name, c.url, why, g.want)
			}
		}
	}
}
