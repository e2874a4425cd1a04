package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"os/exec"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/payments"
)

// appLoginRole is the login role the server and the SQL floor connect as:
// a member of checkout_app, subject to row-level security.
const appLoginRole = "checkout_bench_app"

// database is the run's own database.
type database struct {
	name     string
	adminURL string // the server's admin (superuser) on this database
	appURL   string // the application role on this database
}

// createDatabase creates a database with a random name on the server at
// adminURL and migrates it by running `checkout migrate` as its owner.
func createDatabase(ctx context.Context, adminURL, checkoutBin string, poolMax int) (database, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return database{}, fmt.Errorf("connect to %s: %w", redact(adminURL), err)
	}
	defer conn.Close(ctx)
	d := database{name: "checkout_bench_" + randomHex(6)}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+d.name); err != nil {
		return d, fmt.Errorf("create database: %w", err)
	}
	if d.adminURL, err = db.WithDatabase(adminURL, d.name); err != nil {
		return d, err
	}
	cmd := exec.CommandContext(ctx, checkoutBin, "migrate")
	cmd.Env = childEnv(map[string]string{"CHECKOUT_MIGRATE_DATABASE_URL": d.adminURL})
	if out, err := cmd.CombinedOutput(); err != nil {
		return d, fmt.Errorf("checkout migrate: %v\n%s", err, out)
	}
	if d.appURL, err = db.EnsureLoginRole(ctx, d.adminURL, appLoginRole); err != nil {
		return d, err
	}
	if poolMax > 0 {
		u, _ := url.Parse(d.appURL)
		q := u.Query()
		q.Set("pool_max_conns", fmt.Sprint(poolMax))
		u.RawQuery = q.Encode()
		d.appURL = u.String()
	}
	return d, nil
}

// drop removes the run's database.
func (d database) drop(ctx context.Context, adminURL string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+d.name+" WITH (FORCE)")
	return err
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// product is a product created through the admin API.
type product struct {
	ID    uuid.UUID `json:"id"`
	Name  string    `json:"name"`
	Price int64     `json:"price_cents"`
}

// league is one tenant with what the benchmark made for it.
type league struct {
	idx        int
	ID         uuid.UUID
	Slug, Name string
	Admin      string // an admin API key
	Viewer     string // a viewer API key (large league only)
	Home       product
	OptOut     product
	Kit        product
	Contract   product
	WebhookKey string // the league's own Stripe webhook secret
	secretKey  string
	accountRef string // its Stripe customers' namespace (payments.Account.Ref)
	orders     int    // background orders to seed
}

// The products every league sells: a numbered jersey with sizes, its $0
// opt-out, a priced unnumbered practice kit and a $0 contract.
var (
	homeConfig = map[string]any{"top_sizes": topSizes, "bottom_sizes": bottomSizes,
		"number_min": 0, "number_max": 99, "number_required": false, "number_scope": "home-2026", "name_on_back": true}
	topSizes    = []string{"YXS", "YS", "YM", "YL", "AS", "AM", "AL", "AXL"}
	bottomSizes = []string{"YS", "YM", "YL", "AS", "AM", "AL"}
	kitConfig   = map[string]any{"top_sizes": bottomSizes, "bottom_sizes": bottomSizes, "number_required": false}
	termsText   = "The player agrees to the league's code of conduct for the 2026 season and the family to its refund policy."
	productDefs = []struct {
		field func(*league) *product
		body  map[string]any
	}{
		{func(l *league) *product { return &l.Home }, map[string]any{"type": "jersey", "name": "Home jersey 2026",
			"description": "Game jersey and shorts; number and name printed on the back.", "price_cents": 4500, "config": homeConfig}},
		{func(l *league) *product { return &l.OptOut }, map[string]any{"type": "jersey", "name": "Jersey opt-out",
			"description": "We already have a jersey from last season.", "price_cents": 0, "config": map[string]any{"opt_out": true}}},
		{func(l *league) *product { return &l.Kit }, map[string]any{"type": "jersey", "name": "Practice kit",
			"description": "Reversible practice top and shorts.", "price_cents": 2500, "config": kitConfig}},
		{func(l *league) *product { return &l.Contract }, map[string]any{"type": "contract", "name": "Player contract 2026",
			"price_cents": 0, "config": map[string]any{"season": "2026", "terms_version": "v3", "terms_text": termsText}}},
	}
)

var leagueTowns = []string{"Northside", "Riverbend", "Maple Grove", "Lakeview", "Cedar Falls", "Harbor City", "Pine Hills",
	"Eastgate", "Westfield", "Stonebridge", "Fox Run", "Oak Park", "Silver Lake", "Brookhaven", "Highland"}
var leagueSports = []string{"Youth Soccer", "Little League", "Youth Hockey", "Flag Football", "Youth Basketball", "Lacrosse Club"}

// setupLeagues creates the tenants, their keys, products and Stripe
// settings through the platform and admin APIs of s.
func setupLeagues(ctx context.Context, s *server, platformToken string, counts []int, conn *pgx.Conn) ([]*league, error) {
	a := apiClient{base: s.base, client: newClient(4)}
	leagues := make([]*league, len(counts))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range counts {
		l := &league{idx: i, Slug: fmt.Sprintf("league-%03d", i+1), orders: counts[i],
			Name: fmt.Sprintf("%s %s", leagueTowns[i%len(leagueTowns)], leagueSports[(i/len(leagueTowns)+i)%len(leagueSports)])}
		leagues[i] = l
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := setupLeague(ctx, a, platformToken, l); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	for _, l := range leagues {
		var acct string
		if err := conn.QueryRow(ctx, `SELECT own_account_id FROM stripe_settings WHERE tenant_id = $1`, l.ID).Scan(&acct); err != nil {
			return nil, fmt.Errorf("read %s's Stripe account: %w", l.Slug, err)
		}
		l.accountRef = payments.Account{Mode: payments.ModeOwnKeys, AccountID: acct, SecretKey: l.secretKey}.Ref()
	}
	return leagues, nil
}

func setupLeague(ctx context.Context, a apiClient, platformToken string, l *league) error {
	var t struct {
		ID uuid.UUID `json:"id"`
	}
	err := a.call(ctx, "POST", "/v1/platform/tenants", platformToken, map[string]any{"slug": l.Slug, "name": l.Name,
		"currency": "usd", "allowed_redirect_origins": []string{"https://" + l.Slug + ".example"}}, &t, 201)
	if err != nil {
		return err
	}
	l.ID = t.ID
	key := func(role string) (string, error) {
		var k struct {
			Key string `json:"key"`
		}
		err := a.call(ctx, "POST", "/v1/platform/tenants/"+l.Slug+"/api-keys", platformToken,
			map[string]any{"role": role, "name": "bench " + role}, &k, 201)
		return k.Key, err
	}
	if l.Admin, err = key("admin"); err != nil {
		return err
	}
	if l.idx == 0 {
		if l.Viewer, err = key("viewer"); err != nil {
			return err
		}
	}
	admin := "/v1/tenants/" + l.Slug + "/admin"
	for _, def := range productDefs {
		if err := a.call(ctx, "POST", admin+"/products", l.Admin, def.body, def.field(l), 201); err != nil {
			return err
		}
	}
	l.secretKey, l.WebhookKey = "sk_test_"+randomHex(12), "whsec_"+randomHex(16)
	return a.call(ctx, "PUT", admin+"/stripe", l.Admin,
		map[string]any{"secret_key": l.secretKey, "webhook_secret": l.WebhookKey}, nil, 204)
}

// orderCounts splits total background orders over n leagues: the first
// gets large, the others the rest with a skew (league k ∝ 1/k^0.7), as
// leagues differ in size.
func orderCounts(n, total, large int) []int {
	counts := make([]int, n)
	counts[0] = large
	if n == 1 {
		counts[0] = total
		return counts
	}
	rest := total - large
	weights := make([]float64, n)
	var sum float64
	for k := 1; k < n; k++ {
		weights[k] = 1 / math.Pow(float64(k), 0.7)
		sum += weights[k]
	}
	left := rest
	for k := 1; k < n; k++ {
		counts[k] = int(float64(rest) * weights[k] / sum)
		left -= counts[k]
	}
	counts[1] += left
	return counts
}
