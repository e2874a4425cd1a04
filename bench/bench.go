package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// bench is one run: what it started and what it measured.
type bench struct {
	opts    options
	started time.Time
	machine machine
	tmp     string
	db      database
	admin   *pgx.Conn // superuser on the run's database
	toks    tokens
	leagues []*league
	poolAt  time.Time
	load    load

	setupTook, seedTook, vacuumTook time.Duration
	seedStats                       []tableStat
	checks                          []string
	serverPool, floorPool           int
	deepDepth                       int
	results                         map[string]*result
	order                           []string // the scenarios, in the order they ran
	cursors                         map[string]*atomic.Int64
	attempts                        map[string][]string // scenario → other processes' share in each window measured
	timeWait                        map[string]int      // scenario → TIME_WAIT sockets towards stripe-mock after it
	verified                        map[string]string   // scenario → what the database says it wrote
	exports                         []exportRun
	rejectedWrites                  string
	logs                            []namedLog
	notes                           []string
}

type namedLog struct {
	name string
	sum  logSummary
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (b *bench) note(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
	b.logf("note: "+format, args...)
}

// main runs everything and writes the report; whatever happens, it stops
// the children and drops the database (unless -keep).
func (b *bench) main(ctx context.Context) (err error) {
	b.started = time.Now()
	b.load = load{conc: b.opts.conc, warmup: b.opts.warmup, duration: b.opts.duration}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "checkout-bench-"); err != nil {
		return err
	}
	defer func() {
		if b.opts.keep {
			b.logf("kept %s (logs) and database %s", b.tmp, b.db.name)
			return
		}
		_ = os.RemoveAll(b.tmp)
	}()
	b.logf("building ./cmd/checkout and stripe-mock")
	checkoutBin, mockBin := filepath.Join(b.tmp, "checkout"), filepath.Join(b.tmp, "stripe-mock")
	if err := build(ctx, root, "./cmd/checkout", checkoutBin); err != nil {
		return err
	}
	if err := build(ctx, filepath.Join(root, "tools"), "github.com/stripe/stripe-mock", mockBin); err != nil {
		return err
	}
	if b.db, err = createDatabase(ctx, b.opts.adminURL, checkoutBin, b.opts.serverPool); err != nil {
		return err
	}
	defer func() {
		if !b.opts.keep {
			if derr := b.db.drop(context.Background(), b.opts.adminURL); derr != nil {
				b.logf("drop database %s: %v", b.db.name, derr)
			}
		}
	}()
	b.logf("database %s created and migrated (checkout migrate); application role %s", b.db.name, appLoginRole)
	if b.admin, err = pgx.Connect(ctx, b.db.adminURL); err != nil {
		return err
	}
	defer b.admin.Close(context.Background())
	b.machine = describeMachine(ctx, b.admin)

	mock, mockURL, err := startStripeMock(mockBin, filepath.Join(b.tmp, "stripe-mock.log"))
	if err != nil {
		return err
	}
	defer mock.stop(5 * time.Second)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	env := serverEnv{bin: checkoutBin, databaseURL: b.db.appURL, platformToken: "bench-" + randomHex(16),
		encryptionKey: base64.StdEncoding.EncodeToString(key), stripeURL: mockURL}
	b.toks = tokens{key: randomHex(16)}

	srv, err := env.start("stripe", filepath.Join(b.tmp, "server-stripe.log"))
	if err != nil {
		return err
	}
	defer srv.stop(10 * time.Second)
	b.serverPool = srv.poolMax()
	if err := b.setup(ctx, srv, env.platformToken); err != nil {
		return err
	}
	if err := b.seed(ctx); err != nil {
		return err
	}
	b.load.cpu = &cpuProbe{pids: map[string]int{"server": srv.pid(), "stripe-mock": mock.pid()}, db: b.db.name}
	if err := b.phaseStripe(ctx, srv, mockURL); err != nil {
		return err
	}
	if err := b.stopServer(srv); err != nil {
		return err
	}

	sandbox, err := env.start("sandbox", filepath.Join(b.tmp, "server-sandbox.log"))
	if err != nil {
		return err
	}
	defer sandbox.stop(10 * time.Second)
	b.load.cpu = &cpuProbe{pids: map[string]int{"server": sandbox.pid()}, db: b.db.name}
	if err := b.phaseSandbox(ctx, sandbox); err != nil {
		return err
	}
	if err := b.stopServer(sandbox); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return b.writeReport(root)
}

// stopServer stops a server and keeps what its log says.
func (b *bench) stopServer(s *server) error {
	s.stop(30 * time.Second)
	if !s.exitedCleanly() {
		b.note("%s did not exit with status 0 after SIGTERM (%v)", s.name, s.cmd.ProcessState)
	}
	sum, err := summarizeLog(s.logPath)
	if err != nil {
		return fmt.Errorf("read %s's log: %w", s.name, err)
	}
	b.logs = append(b.logs, namedLog{s.name, sum})
	return nil
}

// setup creates the leagues through the application's own APIs.
func (b *bench) setup(ctx context.Context, srv *server, platformToken string) error {
	start := time.Now()
	counts := orderCounts(b.opts.tenants, b.opts.orders, b.opts.largeOrders)
	var err error
	if b.leagues, err = setupLeagues(ctx, srv, platformToken, counts, b.admin); err != nil {
		return err
	}
	b.setupTook = time.Since(start)
	b.logf("%d leagues created through the platform and admin APIs in %v (keys, 4 products each, Stripe keys checked with stripe-mock)",
		len(b.leagues), b.setupTook.Round(time.Millisecond))
	return nil
}

// seed COPYs the background data and the benchmark's own households,
// checks the result, then vacuums, analyzes and checkpoints.
func (b *bench) seed(ctx context.Context) error {
	start := time.Now()
	now := time.Now().UTC()
	b.poolAt = now.Add(-30 * time.Minute)
	large := b.leagues[0]
	type weighted struct {
		mk     func() source
		weight int
	}
	var all []weighted
	for _, l := range b.leagues {
		all = append(all, weighted{func() source { return newBgGen(b.opts.seed, l, now) }, l.orders * 3})
	}
	pools := []struct {
		name string
		n    int
	}{{poolFree, b.opts.households}, {poolFloor, b.opts.households}, {poolSandbox, b.opts.paidHouseholds},
		{poolStripe, b.opts.paidHouseholds}, {poolRejected, 1}, {poolHooks, b.opts.hookOrders + 1}}
	for _, p := range pools {
		all = append(all, weighted{func() source {
			return newPoolGen(large, p.name, int64(p.n), b.poolAt, b.toks, b.opts.seed)
		}, p.n})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].weight > all[j].weight })
	groups := make([][]func() source, max(1, b.opts.seedWorkers))
	loads := make([]int, len(groups))
	for _, w := range all {
		g := 0
		for i := range loads {
			if loads[i] < loads[g] {
				g = i
			}
		}
		groups[g] = append(groups[g], w.mk)
		loads[g] += w.weight
	}
	b.logf("seeding with COPY (%d connections)", len(groups))
	var err error
	if b.seedStats, err = seedTables(ctx, b.db.adminURL, groups, func(s string) { b.logf("%s", s) }); err != nil {
		return err
	}
	b.seedTook = time.Since(start)
	if err := b.checkSeed(ctx); err != nil {
		return err
	}
	start = time.Now()
	for _, q := range []string{"VACUUM (ANALYZE)", "CHECKPOINT"} {
		if _, err := b.admin.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	b.vacuumTook = time.Since(start)
	b.logf("seeded in %v; VACUUM (ANALYZE) and CHECKPOINT in %v", b.seedTook.Round(time.Second), b.vacuumTook.Round(time.Second))
	return nil
}

// checkSeed proves the COPYed rows consistent, since foreign-key triggers
// were off while loading: every reference resolves, every live claim has
// its order.
func (b *bench) checkSeed(ctx context.Context) error {
	checks := []struct{ what, q string }{
		{"orders without their customer", `SELECT count(*) FROM orders o WHERE NOT EXISTS
			(SELECT 1 FROM customers c WHERE c.tenant_id = o.tenant_id AND c.id = o.customer_id)`},
		{"orders without their player", `SELECT count(*) FROM orders o WHERE NOT EXISTS
			(SELECT 1 FROM players p WHERE p.tenant_id = o.tenant_id AND p.id = o.player_id AND p.customer_id = o.customer_id)`},
		{"orders without their product", `SELECT count(*) FROM orders o WHERE NOT EXISTS
			(SELECT 1 FROM products p WHERE p.tenant_id = o.tenant_id AND p.id = o.product_id)`},
		{"events without their order", `SELECT count(*) FROM order_events e WHERE NOT EXISTS
			(SELECT 1 FROM orders o WHERE o.tenant_id = e.tenant_id AND o.id = e.order_id)`},
		{"claims not held by a live order", `SELECT count(*) FROM claims c WHERE NOT EXISTS (SELECT 1 FROM order_claims oc
			JOIN orders o ON o.tenant_id = oc.tenant_id AND o.id = oc.order_id AND o.status IN ('pending', 'paid', 'partially_refunded')
			WHERE oc.tenant_id = c.tenant_id AND oc.scope = c.scope AND oc.value = c.value)`},
		{"players without their household", `SELECT count(*) FROM players p WHERE NOT EXISTS
			(SELECT 1 FROM customers c WHERE c.tenant_id = p.tenant_id AND c.id = p.customer_id)`},
	}
	for _, c := range checks {
		var n int64
		if err := b.admin.QueryRow(ctx, c.q).Scan(&n); err != nil {
			return fmt.Errorf("check %s: %w", c.what, err)
		}
		if n != 0 {
			return errors.New("seeded data is inconsistent: " + fmt.Sprint(n) + " " + c.what)
		}
	}
	var large int64
	if err := b.admin.QueryRow(ctx, `SELECT count(*) FROM orders WHERE tenant_id = $1`, b.leagues[0].ID).Scan(&large); err != nil {
		return err
	}
	b.checks = append(b.checks, fmt.Sprintf("foreign keys and claims consistent (%d checks); the large league holds %d orders "+
		"(%d background + %d pending for the webhooks)", len(checks), large, b.leagues[0].orders, b.opts.hookOrders+1))
	return nil
}
