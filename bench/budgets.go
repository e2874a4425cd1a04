package main

import (
	"fmt"
	"strings"
	"time"
)

// budget is one of the project's performance budgets, as measured.
type budget struct {
	what   string
	from   []string // the scenarios it is computed from
	value  float64
	ok     bool // measured
	target string
	met    func(float64) bool // nil: no number to meet
	format string
}

func (b *bench) budgets() []budget {
	rate := func(name string) (float64, bool) {
		r := b.results[name]
		return r.rate(), r != nil && r.ok > 0
	}
	ratio := func(a, f string) (float64, bool) {
		x, ok1 := rate(a)
		y, ok2 := rate(f)
		if !ok1 || !ok2 || y == 0 {
			return 0, false
		}
		return x / y, true
	}
	tail := func(name string) (float64, bool) {
		r := b.results[name]
		if r == nil || r.ok == 0 {
			return 0, false
		}
		return float64(r.hist.quantile(0.99)) / float64(r.hist.quantile(0.5)), true
	}
	atLeast := func(t float64) func(float64) bool { return func(v float64) bool { return v >= t } }
	atMost := func(t float64) func(float64) bool { return func(v float64) bool { return v <= t } }
	var out []budget
	add := func(what string, v float64, ok bool, target string, met func(float64) bool, format string, from ...string) {
		out = append(out, budget{what: what, from: from, value: v, ok: ok, target: target, met: met, format: format})
	}
	v, ok := ratio("checkout-free", "sql-floor")
	add("$0 checkout / minimal-SQL floor (throughput)", v, ok, "≥ 0.75", atLeast(0.75), "%.2f", "checkout-free", "sql-floor")
	v, ok = ratio("checkout-sandbox", "sql-floor")
	add("paid checkout (sandbox) / minimal-SQL floor (throughput)", v, ok, "≥ 0.4", atLeast(0.4), "%.2f",
		"checkout-sandbox", "sql-floor")
	name, _ := b.staticFloor()
	v, ok = ratio("products", name)
	add("public product list / static Fiber handler (throughput)", v, ok, "near 1", nil, "%.2f", "products", name)
	for _, r := range rejectedVariants {
		v, ok = rate(r.name)
		add("rejected custom_data, "+strings.TrimPrefix(r.name, "rejected-")+" (req/s)", v, ok, "≥ 12,000", atLeast(12000),
			"%.0f", r.name)
	}
	for _, c := range []string{"checkout-free", "checkout-sandbox", "checkout-stripe"} {
		v, ok = tail(c)
		add("p99/p50 of "+c, v, ok, "≤ 4", atMost(4), "%.2f", c)
	}
	first, deep := b.results["admin-first"], b.results["admin-deep"]
	if first != nil && deep != nil && first.ok > 0 && deep.ok > 0 {
		add("admin list p99, deep page / first page", float64(deep.hist.quantile(0.99))/float64(first.hist.quantile(0.99)),
			true, "≤ 2", atMost(2), "%.2f", "admin-first", "admin-deep")
	}
	return out
}

func (b *bench) renderBudgets(p func(string, ...any)) {
	p("## Budgets")
	p("")
	p("| budget | measured | target | |\n|---|---:|---|---|")
	for _, bg := range b.budgets() {
		value, verdict := "not run", ""
		if bg.ok {
			value = fmt.Sprintf(bg.format, bg.value)
			switch {
			case bg.met == nil:
				verdict = ""
			case bg.met(bg.value):
				verdict = "met"
			default:
				verdict = "**missed**"
			}
		}
		for _, name := range bg.from {
			if r := b.results[name]; bg.ok && r != nil && r.cpu.other > disturbed {
				verdict += fmt.Sprintf(" (%s's window was disturbed: other processes %.0f %%)", name, 100*r.cpu.other)
			}
		}
		p("| %s | %s | %s | %s |", bg.what, value, bg.target, verdict)
	}
	p("")
	p("The server was measured as it is on this branch; these are reported, not tuned for.")
	p("")
}

// renderCPU says where each window's CPU went, as shares of the whole
// machine (all cores).
func (b *bench) renderCPU(p func(string, ...any)) {
	p("## Where the CPU went")
	p("")
	p("Shares of the whole machine (%d cores) during each measured window, from /proc.", b.machine.cores)
	p("")
	p("| scenario | busy | server | PostgreSQL | load generator (+ in-process floors) | stripe-mock | irq + softirq | other processes | server CPU per request |")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	pct := func(f float64) string { return fmt.Sprintf("%.0f %%", 100*f) }
	for _, n := range b.order {
		r := b.results[n]
		if r == nil || r.window == 0 {
			continue
		}
		c := r.cpu
		perReq := "—"
		if s, ok := c.named["server"]; ok && r.ok > 0 && n != "static-floor" && n != "sql-floor" && n != "stripe-floor" {
			perReq = fmt.Sprintf("%.0f µs", s*float64(b.machine.cores)*r.window.Seconds()/float64(r.ok)*1e6)
		}
		mock := "—"
		if s, ok := c.named["stripe-mock"]; ok {
			mock = pct(s)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", n, pct(c.busy), pct(c.named["server"]), pct(c.postgres), pct(c.self), mock,
			pct(c.irq), pct(c.other), perReq)
	}
	p("")
}

func (b *bench) renderChecks(p func(string, ...any)) {
	p("## Checks")
	p("")
	for _, c := range b.checks {
		p("- Seed: %s.", c)
	}
	if b.results[rejectedVariants[0].name] != nil {
		p("- Rejected custom_data: %s (every answer had to be a 422 naming the field, else it counted as an error).", b.rejectedWrites)
	}
	for _, name := range b.order {
		if v, ok := b.verified[name]; ok {
			p("- %s: %s.", name, v)
		}
	}
	if len(b.verified) > 0 {
		p("- (Answers count warm-up and every attempt; a request cut off at a window's end may have been written without " +
			"being answered, so the database may hold up to `-c` more per attempt.)")
	}
	for _, name := range b.order {
		r := b.results[name]
		if r.errCount > 0 {
			p("- **%s: %d errors** in the window: %s.", name, r.errCount, strings.Join(r.errorSummary(), "; "))
		}
	}
	for _, l := range b.logs {
		s := l.sum
		line := fmt.Sprintf("- Log of `%s`: %s request lines", l.name, commas(s.requests))
		if len(s.byStatus) == 0 {
			line += ", no 5xx answers"
		} else {
			var parts []string
			for code, n := range s.byStatus {
				parts = append(parts, fmt.Sprintf("%d× %d", n, code))
			}
			line += ", **5xx answers: " + strings.Join(parts, ", ") + "** (" + strings.Join(top(s.byRoute, 5), "; ") + ")"
		}
		if len(s.errors) > 0 {
			line += "; ERROR lines: " + strings.Join(top(s.errors, 5), "; ")
		}
		if len(s.warnings) > 0 {
			line += "; WARN lines: " + strings.Join(top(s.warnings, 5), "; ")
		}
		p("%s.", line)
	}
	for _, name := range []string{"stripe-floor", "checkout-stripe"} {
		if n, ok := b.timeWait[name]; ok {
			p("- After %s, %d sockets towards stripe-mock were in TIME_WAIT (connections closed in the last minute).", name, n)
		}
	}
	for _, name := range b.order {
		if a := b.attempts[name]; len(a) > 1 {
			p("- %s was measured %d times, other processes taking %s of the machine; the least disturbed window is reported.",
				name, len(a), strings.Join(a, ", "))
		}
	}
	for _, n := range b.notes {
		p("- %s", n)
	}
	p("")
	p("Report written %s.", time.Now().UTC().Format(time.RFC3339))
}
