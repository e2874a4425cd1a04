package main

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// load is a closed-loop load: conc workers each run op back to back, first
// for warmup (not recorded), then for duration (recorded). An op that
// completes inside the measured window counts; its latency goes to the
// histogram when it succeeded and its error to the error counts otherwise.
type load struct {
	conc     int
	warmup   time.Duration
	duration time.Duration
	cpu      *cpuProbe // optional: CPU shares over the window
}

// op is one operation of a scenario: the i-th request (0, 1, 2, … across
// all workers, warm-up included). When pool > 0 only i < pool exist (each
// request needs its own pre-seeded household); the run stops early when
// they are used up.
type op struct {
	pool   int64
	cursor *atomic.Int64 // where i continues from run to run (nil: from 0)
	do     func(ctx context.Context, i int64) error
}

// result is what one measured window gave.
type result struct {
	ok        uint64        // successful ops completed in the window
	allOK     uint64        // successful ops, warm-up (and earlier attempts) included
	window    time.Duration // the window actually measured
	hist      hist          // latencies of the successful ops
	errs      map[string]uint64
	errCount  uint64
	exhausted bool // the pool ran out before the window's end
	cpu       cpuShares
}

func (r *result) rate() float64 {
	if r == nil || r.window <= 0 {
		return 0
	}
	return float64(r.ok) / r.window.Seconds()
}

const maxErrKinds = 12

// clock is what a run's workers share: the window's bounds, in
// nanoseconds since the run began (unset: never).
type clock struct {
	base             time.Time
	start, end, stop atomic.Int64 // stop: when the pool ran out
}

func newClock() *clock {
	c := &clock{base: time.Now()}
	for _, a := range []*atomic.Int64{&c.start, &c.end, &c.stop} {
		a.Store(math.MaxInt64)
	}
	return c
}

func (c *clock) now() int64 { return int64(time.Since(c.base)) }

func (c *clock) inWindow(t int64) bool {
	return t >= c.start.Load() && t <= c.end.Load() && t <= c.stop.Load()
}

// worker is one connection's tally.
type worker struct {
	h            hist
	errs         map[string]uint64
	ok, all, bad uint64
}

// loop runs o until ctx ends or the pool is used up.
func (w *worker) loop(ctx context.Context, cancel func(), o op, next *atomic.Int64, c *clock) {
	for ctx.Err() == nil {
		i := next.Add(1) - 1
		if o.pool > 0 && i >= o.pool {
			c.stop.CompareAndSwap(math.MaxInt64, c.now())
			cancel()
			return
		}
		t0 := time.Now()
		err := o.do(ctx, i)
		took := time.Since(t0)
		if err == nil {
			w.all++
		}
		switch {
		case !c.inWindow(c.now()):
		case err == nil:
			w.ok++
			w.h.record(took)
		case ctx.Err() == nil: // not cut off by the window's end
			w.fail(err)
		}
	}
}

func (w *worker) fail(err error) {
	w.bad++
	key := err.Error()
	if len(key) > 160 {
		key = key[:160] + "…"
	}
	if _, seen := w.errs[key]; !seen && len(w.errs) >= maxErrKinds {
		key = "(other errors)"
	}
	w.errs[key]++
}

// run drives o and returns the measured window's result.
func (l load) run(ctx context.Context, o op) *result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := newClock()
	next := o.cursor
	if next == nil {
		next = new(atomic.Int64)
	}
	workers := make([]*worker, l.conc)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{errs: map[string]uint64{}}
		workers[i] = w
		wg.Add(1)
		go func() { defer wg.Done(); w.loop(ctx, cancel, o, next, c) }()
	}
	wait := func(d time.Duration) {
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}
	var before, after cpuSample
	wait(l.warmup)
	if l.cpu != nil {
		before = l.cpu.sample()
	}
	c.start.Store(c.now())
	wait(l.duration)
	c.end.Store(c.now())
	if l.cpu != nil {
		after = l.cpu.sample()
	}
	cancel()
	wg.Wait()

	r := &result{errs: map[string]uint64{}}
	end := c.end.Load()
	if s := c.stop.Load(); s < end {
		end, r.exhausted = s, true
	}
	if start := c.start.Load(); end > start {
		r.window = time.Duration(end - start)
	}
	for _, w := range workers {
		r.ok += w.ok
		r.allOK += w.all
		r.errCount += w.bad
		r.hist.merge(&w.h)
		for k, v := range w.errs {
			r.errs[k] += v
		}
	}
	if l.cpu != nil {
		r.cpu = l.cpu.shares(before, after)
	}
	return r
}

// errorSummary lists the error kinds, most frequent first.
func (r *result) errorSummary() []string {
	type kv struct {
		k string
		v uint64
	}
	var list []kv
	for k, v := range r.errs {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v })
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, fmt.Sprintf("%d× %s", e.v, e.k))
	}
	return out
}
