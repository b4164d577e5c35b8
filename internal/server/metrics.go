package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/sqlstore"
)

// metrics are the Prometheus series the server exports on /metrics. Each Server has its own registry so that
// several servers can run in one test process.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
	series   sync.Map // seriesKey → *series
	// conns are the open client connections (WrapListener); refused those closed at once over the limit.
	conns   prometheus.Gauge
	refused prometheus.Counter
}

// storeStats is implemented by the SQL stores (sqlstore.Store.Stats): work they had to do again.
type storeStats interface{ Stats() sqlstore.Stats }

// CacheTables is the store's cache (storage/cache.Store): the entries and bound of each of its tables.
type CacheTables interface{ Tables() []cache.TableSize }

func newMetrics(store storage.Store, authn *auth.Authenticator, rec *audit.Recorder, tables CacheTables) *metrics {
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
	m.conns = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "iamd_connections_open",
		Help: "Client connections open (bounded by --max-connections).",
	})
	m.refused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "iamd_connections_refused_total",
		Help: "Client connections closed on accept because --max-connections were open.",
	})
	m.registry.MustRegister(m.requests, m.latency, m.inflight, m.conns, m.refused,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	if authn != nil {
		// What an unauthenticated caller can fill, to watch against its bound.
		entries := func(cache string, v func(auth.CacheSizes) int) prometheus.Collector {
			return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "iamd_auth_cache_entries",
				Help: "Entries in the authenticator's caches.", ConstLabels: prometheus.Labels{"cache": cache}},
				func() float64 { return float64(v(authn.CacheSizes())) })
		}
		m.registry.MustRegister(
			entries("keys", func(c auth.CacheSizes) int { return c.Keys }),
			entries("missing_keys", func(c auth.CacheSizes) int { return c.MissingKeys }),
			entries("users", func(c auth.CacheSizes) int { return c.Users }),
			entries("accounts", func(c auth.CacheSizes) int { return c.Accounts }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "iamd_auth_cache_capacity",
				Help: "Bound of an authenticator cache.", ConstLabels: prometheus.Labels{"cache": "missing_keys"}},
				func() float64 { return float64(authn.MaxMissingKeys()) }),
		)
	}
	if rec != nil {
		// The trail's write-behind queue: its depth against its bound, and what a full queue dropped.
		m.registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "iamd_audit_queue_depth",
				Help: "Audited calls waiting to be encoded into a batch (bounded by --audit-queue-size)."},
				func() float64 { return float64(rec.QueueDepth()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "iamd_audit_batch_events",
				Help: "Audit events encoded into the batch being gathered, not yet written."},
				func() float64 { return float64(rec.BatchedEvents()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "iamd_audit_events_dropped_total",
				Help: "Audit events dropped because the write-behind queue was full."},
				func() float64 { return float64(rec.Dropped()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "iamd_audit_events_written_total",
				Help: "Audit events written behind by the trail's writer."},
				func() float64 { return float64(rec.Written()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "iamd_audit_events_failed_total",
				Help: "Audit events lost because the store refused their batch."},
				func() float64 { return float64(rec.Failed()) }),
		)
	}
	if tables != nil {
		m.registry.MustRegister(cacheCollector{tables})
	}
	if ss, ok := store.(storeStats); ok {
		// Contention shows here first: serialization failures between nodes on PostgreSQL, a commit group
		// that one member's conflict failed, reads whose snapshot moved under them.
		counter := func(name, help string, v func(sqlstore.Stats) int64) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
				func() float64 { return float64(v(ss.Stats())) })
		}
		m.registry.MustRegister(
			counter("iamd_store_retries_total", "Store transactions run again after a serialization failure, a deadlock or a busy database.",
				func(s sqlstore.Stats) int64 { return s.Retries }),
			counter("iamd_store_group_fallbacks_total", "Commit groups that failed as a whole and whose members were then run one by one.",
				func(s sqlstore.Stats) int64 { return s.GroupFallbacks }),
			counter("iamd_store_view_reruns_total", "Single-statement reads run again in a transaction because their first read moved (PostgreSQL).",
				func(s sqlstore.Stats) int64 { return s.ViewReruns }),
			counter("iamd_store_statements_total", "Statements sent to the database, BEGIN and COMMIT aside (on PostgreSQL a write transaction's share round trips).",
				func(s sqlstore.Stats) int64 { return s.Statements }),
			counter("iamd_store_view_transactions_total", "Reads of the store that ran in a transaction (BEGIN and COMMIT around them on PostgreSQL).",
				func(s sqlstore.Stats) int64 { return s.ViewTransactions }),
		)
	}
	return m
}

// cacheCollector exports the entries and bound of every table of the store's cache, read once per scrape
// (tables come and go with the cache, not with this file).
type cacheCollector struct{ tables CacheTables }

var (
	cacheEntriesDesc = prometheus.NewDesc("iamd_cache_entries",
		"Entries in a table of the store's cache (rows, IDs, versions).", []string{"table"}, nil)
	cacheCapacityDesc = prometheus.NewDesc("iamd_cache_capacity",
		"Bound of a table of the store's cache, in entries.", []string{"table"}, nil)
)

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheEntriesDesc
	ch <- cacheCapacityDesc
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for _, t := range c.tables.Tables() {
		ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(t.Entries), t.Name)
		ch <- prometheus.MustNewConstMetric(cacheCapacityDesc, prometheus.GaugeValue, float64(t.Capacity), t.Name)
	}
}

func (m *metrics) observe(service, operation string, status int, d time.Duration) {
	if service == "" {
		service = "unknown"
	}
	if operation == "" {
		operation = "unknown"
	}
	k := seriesKey{service, operation, status}
	s, ok := m.series.Load(k)
	if !ok {
		// Label values are only ever known service and operation names (or "unknown") and HTTP statuses the
		// server writes, so the map stays small.
		s, _ = m.series.LoadOrStore(k, &series{
			requests: m.requests.WithLabelValues(service, operation, statusLabel(status)),
			latency:  m.latency.WithLabelValues(service, operation),
		})
	}
	ss := s.(*series)
	ss.requests.Inc()
	ss.latency.Observe(d.Seconds())
}

// seriesKey names the series one request updates.
type seriesKey struct {
	service, operation string
	status             int
}

// series are the children of the request vectors for one seriesKey, looked up once: resolving label
// values (validation, hashing, a locked map) cost about a microsecond per request.
type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
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
