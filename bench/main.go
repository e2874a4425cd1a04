// Command bench is the platform's end-to-end benchmark. It seeds a
// realistic data set (by default 50 leagues, 1,000,000 orders, one league
// with 300,000) into a database of its own, runs the real server (`checkout
// serve`, built from ./cmd/checkout, configured from the environment as in
// production) against it, drives it over loopback HTTP at a fixed
// concurrency, measures floors in the same run (a static Fiber handler,
// the minimal SQL of a $0 checkout, raw stripe-mock), and writes a
// markdown report to bench/results.
//
//	go run ./bench                 # full size (about 20 minutes on 2 cores)
//	go run ./bench -quick          # a small run to try it (about 3 minutes)
//
// It needs a PostgreSQL role that may create databases and roles
// (-admin-url, or BENCH_DATABASE_URL) and the Go toolchain (it builds the
// server and stripe-mock). See the README's Benchmarks section.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"sync/atomic"
	"syscall"
	"time"
)

// defaultAdminURL is the local PostgreSQL the tests use too.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// options are the command's flags.
type options struct {
	adminURL       string
	tenants        int
	orders         int
	largeOrders    int
	conc           int
	warmup         time.Duration
	duration       time.Duration
	households     int
	paidHouseholds int
	hookOrders     int
	deep           int
	serverPool     int
	seedWorkers    int
	exportRuns     int
	retries        int
	quietWait      time.Duration
	seed           uint64
	run            *regexp.Regexp
	keep           bool
	out            string
	quick          bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	admin := os.Getenv("BENCH_DATABASE_URL")
	if admin == "" {
		admin = defaultAdminURL
	}
	fs.StringVar(&o.adminURL, "admin-url", admin, "PostgreSQL URL of a role that may create databases and roles (env BENCH_DATABASE_URL)")
	fs.IntVar(&o.tenants, "tenants", 50, "leagues to create")
	fs.IntVar(&o.orders, "orders", 1_000_000, "background orders over all leagues")
	fs.IntVar(&o.largeOrders, "large-orders", 300_000, "background orders of the first (large) league")
	fs.IntVar(&o.conc, "c", 16, "concurrent connections (workers) of the load generator")
	fs.DurationVar(&o.warmup, "warmup", 5*time.Second, "warm-up of each scenario (not measured)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured window of each scenario")
	fs.IntVar(&o.households, "households", 300_000, "pre-seeded households for the $0 checkout and for its SQL floor (each)")
	fs.IntVar(&o.paidHouseholds, "paid-households", 60_000, "pre-seeded households for each paid checkout scenario")
	fs.IntVar(&o.hookOrders, "hook-orders", 150_000, "pre-seeded pending orders for the distinct-webhooks scenario")
	fs.IntVar(&o.deep, "deep", 250_000, "depth (rows) of the deep admin page in the large league")
	fs.IntVar(&o.serverPool, "server-pool", 0, "pool_max_conns of the server and of the SQL floor (0: pgx's default)")
	fs.IntVar(&o.seedWorkers, "seed-workers", 2, "COPY connections working at once while seeding")
	fs.IntVar(&o.exportRuns, "export-runs", 2, "CSV exports of the large league to time")
	fs.IntVar(&o.retries, "retries", 3, "times to measure a scenario again when other processes took over 10 % of the machine")
	fs.DurationVar(&o.quietWait, "quiet-wait", 3*time.Minute, "how long to wait before each scenario for other processes to quiet down (0: never)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generated data")
	runRE := fs.String("run", "", "run only the scenarios whose name matches this regexp")
	fs.BoolVar(&o.keep, "keep", false, "keep the database (and the logs) at the end")
	fs.StringVar(&o.out, "out", "bench/results", "directory of the reports")
	fs.BoolVar(&o.quick, "quick", false, "a small run: 5 leagues, 20,000 orders, 3 s windows (flags given explicitly win)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.run, err = regexp.Compile(*runRE); err != nil {
		return o, fmt.Errorf("-run: %w", err)
	}
	if o.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := map[string]string{"tenants": "5", "orders": "20000", "large-orders": "10000", "warmup": "1s",
			"duration": "3s", "households": "30000", "paid-households": "10000", "hook-orders": "20000",
			"deep": "8000", "export-runs": "1"}
		for name, v := range quick {
			if !set[name] {
				_ = fs.Set(name, v)
			}
		}
	}
	switch {
	case o.tenants < 1 || o.conc < 1 || o.largeOrders < 0 || o.orders < o.largeOrders:
		return o, fmt.Errorf("need -tenants ≥ 1, -c ≥ 1 and 0 ≤ -large-orders ≤ -orders")
	case o.warmup < 0 || o.duration <= 0:
		return o, fmt.Errorf("need -duration > 0 and -warmup ≥ 0")
	}
	return o, nil
}

// fullSize reports whether the run has the sizes the project's budgets
// are stated at; only such a run replaces latest.md.
func (o options) fullSize() bool {
	return o.tenants >= 50 && o.orders >= 1_000_000 && o.largeOrders >= 300_000 && o.deep >= 250_000
}

func main() {
	if addr := os.Getenv(staticAddrEnv); addr != "" {
		if err := serveStaticChild(addr, os.Getenv(staticBodyEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "bench static floor:", err)
			os.Exit(1)
		}
		return
	}
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &bench{opts: opts, results: map[string]*result{}, verified: map[string]string{},
		cursors: map[string]*atomic.Int64{}, attempts: map[string][]string{}, timeWait: map[string]int{}}
	if err := b.main(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
