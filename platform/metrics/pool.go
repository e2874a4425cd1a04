package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// poolCollector exposes pgxpool.Stat as checkout_db_pool_* gauges and
// counters, read at scrape time.
type poolCollector struct {
	pool  *pgxpool.Pool
	descs map[string]*prometheus.Desc
}

func newPoolCollector(pool *pgxpool.Pool) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("checkout_db_pool_"+name, help, nil, nil)
	}
	return &poolCollector{pool: pool, descs: map[string]*prometheus.Desc{
		"max":          d("max_connections", "Maximum connections of the pool."),
		"total":        d("total_connections", "Open connections."),
		"idle":         d("idle_connections", "Idle connections."),
		"acquired":     d("acquired_connections", "Connections in use."),
		"constructing": d("constructing_connections", "Connections being opened."),
		"acquires":     d("acquire_total", "Successful acquires."),
		"empty":        d("empty_acquire_total", "Acquires that had to wait for a connection."),
		"canceled":     d("canceled_acquire_total", "Acquires canceled by their context."),
		"wait":         d("acquire_wait_seconds_total", "Time spent waiting for a connection."),
	}}
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(k string, v float64) { ch <- prometheus.MustNewConstMetric(c.descs[k], prometheus.GaugeValue, v) }
	counter := func(k string, v float64) { ch <- prometheus.MustNewConstMetric(c.descs[k], prometheus.CounterValue, v) }
	gauge("max", float64(s.MaxConns()))
	gauge("total", float64(s.TotalConns()))
	gauge("idle", float64(s.IdleConns()))
	gauge("acquired", float64(s.AcquiredConns()))
	gauge("constructing", float64(s.ConstructingConns()))
	counter("acquires", float64(s.AcquireCount()))
	counter("empty", float64(s.EmptyAcquireCount()))
	counter("canceled", float64(s.CanceledAcquireCount()))
	counter("wait", s.AcquireDuration().Seconds())
}
