package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics holds the server's Prometheus collectors, in a registry of its own
// (several servers may live in one process, as in the tests).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func newMetrics(quads func() float64, caches map[string]func() cacheStats) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "threatgraph_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "threatgraph_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "threatgraph_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.inflight,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "threatgraph_store_quads",
			Help: "Quads in the store as of the last ingest.",
		}, quads),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for name, stats := range caches {
		labels := prometheus.Labels{"cache": name}
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "threatgraph_cache_bytes", ConstLabels: labels,
				Help: "Bytes the cache holds, as it weighs its entries (key, value and per-entry overhead)."},
				func() float64 { return float64(stats().Bytes) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "threatgraph_cache_max_bytes", ConstLabels: labels,
				Help: "The cache's bound in bytes (serve.cache_bytes, serve.memo_bytes)."},
				func() float64 { return float64(stats().Max) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "threatgraph_cache_entries", ConstLabels: labels,
				Help: "Entries the cache holds."},
				func() float64 { return float64(stats().Entries) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "threatgraph_cache_evictions_total", ConstLabels: labels,
				Help: "Entries evicted (least recently used first) to keep the cache within its bound."},
				func() float64 { return float64(stats().Evictions) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "threatgraph_cache_rejected_total", ConstLabels: labels,
				Help: "Answers served but not cached because they alone weigh more than the bound."},
				func() float64 { return float64(stats().Rejected) }),
		)
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// statusWriter records the status code.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts and times h under the route pattern (never the raw
// path, which would make a label per entity).
func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	dur := m.duration.WithLabelValues(route)
	ok := m.requests.WithLabelValues(route, "200") // the common case, looked up once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inflight.Inc()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			m.inflight.Dec()
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			dur.Observe(time.Since(start).Seconds())
			if code == http.StatusOK {
				ok.Inc()
				return
			}
			m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
		}()
		h.ServeHTTP(sw, r)
	})
}
