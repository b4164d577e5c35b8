package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus series the server exports on /metrics. Each Server has its own registry so that
// several servers can run in one test process.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "iamd_requests_total",
			Help: "API requests by service, operation and HTTP status.",
		}, []string{"service", "operation", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "iamd_request_duration_seconds",
			Help: "API request latency by service and operation.",
			// From 100µs: most requests are answered from memory.
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}, []string{"service", "operation"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "iamd_requests_in_flight",
			Help: "API requests being served.",
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.inflight,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(service, operation string, status int, d time.Duration) {
	if service == "" {
		service = "unknown"
	}
	if operation == "" {
		operation = "unknown"
	}
	m.requests.WithLabelValues(service, operation, statusLabel(status)).Inc()
	m.latency.WithLabelValues(service, operation).Observe(d.Seconds())
}

// statusLabels are the label values of the HTTP statuses, made once: strconv.Itoa allocates for every
// status above 99.
var statusLabels = func() (l [600]string) {
	for i := range l {
		l[i] = strconv.Itoa(i)
	}
	return l
}()

func statusLabel(status int) string {
	if status >= 0 && status < len(statusLabels) {
		return statusLabels[status]
	}
	return strconv.Itoa(status)
}
