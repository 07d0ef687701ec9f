package server

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/regionmap/regionjob"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// Metrics (GET /metrics on the operator's listener only: HTTPHandler, which
// `safetrace party --listen` serves; nothing the relays reach serves it).
// Whoever can scrape them must not learn, with the relay's timing, which
// connection made a positive report, whether an upload was accepted, or a
// count below k (docs/leakage.md). So:
//
//   - nothing is counted by upload kind: positive reports appear only as
//     the last epoch's report count, under the k rule;
//   - everything counted per request (uploads and their records, retries,
//     results served, refusals by reason, the latency histograms) is
//     published late and coarsely: increments wait for the end of a
//     metricsPeriod slot (UTC-aligned), and a series is published only
//     once at least k increments are waiting (an upload's records wait for
//     its uploads), so every change a scraper sees covers at least one full
//     period and at least k requests, and every published count is 0 or at
//     least k;
//   - the epoch's counters follow the same rule as its summary.
//
// Runs, run durations, the durations of a run's steps, the computation
// lease and relay registrations count no people and are live. The store's
// size counts records, so it is sampled once per metricsPeriod slot and a
// new sample is published only when the record count moved by at least k
// (bytes in whole MiB).

// metricsPeriod is the slot of the per-request metrics.
const metricsPeriod = time.Hour

// latencyBuckets are the upper bounds, in seconds, of the request latency
// histograms: coarse, so that a single request's bucket says little.
var latencyBuckets = []float64{0.005, 0.025, 0.1, 0.5, 2.5, 10}

// gated is a count published only in steps of at least k per slot.
type gated struct{ pending, published uint64 }

// fold publishes the pending count if it is at least k.
func (g *gated) fold(k uint64) bool {
	if g.pending < k || g.pending == 0 {
		return false
	}
	g.published += g.pending
	g.pending = 0
	return true
}

// histogram is a gated latency histogram.
type histogram struct {
	count   gated
	buckets [2][]uint64 // pending, published: counts per upper bound (the last: above all), not cumulative
	sum     [2]float64
}

func newHistogram() *histogram {
	return &histogram{buckets: [2][]uint64{make([]uint64, len(latencyBuckets)+1), make([]uint64, len(latencyBuckets)+1)}}
}

func (h *histogram) observe(d time.Duration) {
	v := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, v)
	h.buckets[0][i]++
	h.sum[0] += v
	h.count.pending++
}

func (h *histogram) fold(k uint64) {
	if !h.count.fold(k) {
		return
	}
	for i, n := range h.buckets[0] {
		h.buckets[1][i] += n
		h.buckets[0][i] = 0
	}
	h.sum[1] += h.sum[0]
	h.sum[0] = 0
}

// metric returns the published histogram.
func (h *histogram) metric(desc *prometheus.Desc, label string) prometheus.Metric {
	cum := make(map[float64]uint64, len(latencyBuckets))
	var n uint64
	for i, ub := range latencyBuckets {
		n += h.buckets[1][i]
		cum[ub] = n
	}
	return prometheus.MustNewConstHistogram(desc, h.count.published, h.sum[1], cum, label)
}

// requestNames are the request types with a latency histogram.
var requestNames = map[wire.Type]string{wire.TypeUpload: "upload", wire.TypeResultRequest: "results"}

type metrics struct {
	reg *prometheus.Registry
	now func() time.Time
	k   uint64

	runsStarted, runsDone, runsFailed prometheus.Counter

	// retries counts uploads received again (host.go), resultsServed the
	// result blobs delivered (upload.go); both gated.
	retries, resultsServed counter

	mu       sync.Mutex
	slot     time.Time // the slot of the pending increments
	uploads  gated     // uploads stored, of every kind
	records  gated     // their records, published with the uploads
	refusals map[string]*gated
	latency  map[string]*histogram
	// The last exposure epoch's public counters, under the k rule.
	epochCounts map[string]compute.Count

	descs   struct{ uploads, records, retries, served, rejected, latency, epoch, belowK, lastRun, storeRecords, storeBytes *prometheus.Desc }
	lastRun func() map[string]float64

	// steps times the steps of computation runs (from the start of an
	// attempt to each stage its computation names, then stage to stage).
	steps *prometheus.HistogramVec

	// The store's size, sampled per slot (see above).
	stats       func() (store.Stats, error)
	sampleSlot  time.Time
	storeRecs   int64 // published
	storeBytes  int64 // published, whole MiB
	storeSample bool  // a sample was published
}

// sampleStore takes the store's size once per slot, outside m.mu.
func (m *metrics) sampleStore() {
	m.mu.Lock()
	slot := m.now().UTC().Truncate(metricsPeriod)
	due := !slot.Equal(m.sampleSlot)
	if due {
		m.sampleSlot = slot
	}
	m.mu.Unlock()
	if !due || m.stats == nil {
		return
	}
	st, err := m.stats()
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if d := st.Records + st.RunItems - m.storeRecs; !m.storeSample || d >= int64(m.k) || -d >= int64(m.k) {
		m.storeRecs = st.Records + st.RunItems
	}
	m.storeBytes = st.DBBytes >> 20 << 20
	m.storeSample = true
}

// counter is a gated count with the Add of an atomic counter.
type counter struct {
	m *metrics
	g gated
}

// Add counts n more.
func (c *counter) Add(n uint64) {
	c.m.mu.Lock()
	c.m.roll()
	c.g.pending += n
	c.m.mu.Unlock()
}

// init sets the metrics of s up.
func (m *metrics) init(s *Server) {
	m.now, m.k, m.lastRun = s.now, uint64(max(s.m.Params.KAnonymity, 1)), s.lastRunSeconds
	m.retries.m, m.resultsServed.m = m, m
	m.refusals = map[string]*gated{"other": {}}
	for _, c := range wire.Codes() {
		m.refusals[c.Slug()] = &gated{}
	}
	m.latency = map[string]*histogram{}
	for _, name := range requestNames {
		m.latency[name] = newHistogram()
	}
	delayed := " Published per hour, in steps of at least k."
	m.descs.uploads = prometheus.NewDesc("safetrace_party_uploads_total", "Uploads stored, of every kind (retries not counted)."+delayed, nil, nil)
	m.descs.records = prometheus.NewDesc("safetrace_party_records_total", "Records stored, published with the uploads that carried them.", nil, nil)
	m.descs.retries = prometheus.NewDesc("safetrace_party_upload_retries_total", "Uploads received again and receipted again."+delayed, nil, nil)
	m.descs.served = prometheus.NewDesc("safetrace_party_results_served_total", "Sealed result blobs delivered."+delayed, nil, nil)
	m.descs.rejected = prometheus.NewDesc("safetrace_party_rejected_total", "Requests refused, by reason."+delayed, []string{"reason"}, nil)
	m.descs.latency = prometheus.NewDesc("safetrace_party_request_seconds", "Time to answer upload requests (every kind, accepted or refused) and result requests."+delayed, []string{"request"}, nil)
	m.descs.epoch = prometheus.NewDesc("safetrace_party_epoch_count", "Counts of the last exposure epoch (records, reports, rejected_reports, users) that are at least k; smaller ones are left out and marked in safetrace_party_epoch_below_k.", []string{"count"}, nil)
	m.descs.belowK = prometheus.NewDesc("safetrace_party_epoch_below_k", "1 for each count of the last exposure epoch that is below k and so not shown.", []string{"count"}, nil)
	m.descs.lastRun = prometheus.NewDesc("safetrace_party_run_last_seconds", "Duration of the last finished run, by computation.", []string{"computation"}, nil)
	m.descs.storeRecords = prometheus.NewDesc("safetrace_party_store_items", "Records and run-input items in the store, sampled once per hour and moved only in steps of at least k.", nil, nil)
	m.descs.storeBytes = prometheus.NewDesc("safetrace_party_store_bytes", "Size of the store (bbolt file, or the PostgreSQL schema's tables and indexes), sampled once per hour, in whole MiB.", nil, nil)
	m.stats = s.st.Stats
	m.steps = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "safetrace_party_run_step_seconds",
		Help:    "Time of the steps of computation runs: from the start of an attempt to its first stage, then stage to stage, and the last stage to the end (stage \"end\").",
		Buckets: []float64{0.1, 0.5, 1, 5, 15, 60, 300, 1200, 3600}}, []string{"computation", "stage"})

	m.reg = prometheus.NewRegistry()
	runs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "safetrace_party_runs_total",
		Help: "Computation runs, by outcome (started counts accepted runs)."}, []string{"outcome"})
	m.runsStarted, m.runsDone, m.runsFailed = runs.WithLabelValues("started"), runs.WithLabelValues("done"), runs.WithLabelValues("failed")
	m.reg.MustRegister(runs, m, m.steps, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "safetrace_party_relays_registered",
		Help: "Relays at which the party is registered."}, func() float64 { return float64(s.RelaysRegistered()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "safetrace_party_lease_holder",
			Help: "1 if this front end holds the computation lease and runs the computations, else 0."}, func() float64 {
			if s.lease.Holds() {
				return 1
			}
			return 0
		}))
}

// roll publishes, when a new slot has begun, the pending increments that
// reached k. m.mu is held.
func (m *metrics) roll() {
	slot := m.now().UTC().Truncate(metricsPeriod)
	if slot.Equal(m.slot) {
		return
	}
	m.slot = slot
	if m.uploads.pending >= m.k {
		m.uploads.fold(m.k)
		m.records.fold(0)
	}
	m.retries.g.fold(m.k)
	m.resultsServed.g.fold(m.k)
	for _, g := range m.refusals {
		g.fold(m.k)
	}
	for _, h := range m.latency {
		h.fold(m.k)
	}
}

// upload counts an upload stored with n records; its kind is not counted.
func (m *metrics) upload(_ wire.Kind, n int) {
	m.mu.Lock()
	m.roll()
	m.uploads.pending++
	m.records.pending += uint64(n)
	m.mu.Unlock()
}

// rejected counts a refusal.
func (m *metrics) rejected(c wire.Code) {
	m.mu.Lock()
	m.roll()
	g, ok := m.refusals[c.Slug()]
	if !ok {
		g = m.refusals["other"]
	}
	g.pending++
	m.mu.Unlock()
}

// request observes the time to answer a request of type t.
func (m *metrics) request(t wire.Type, d time.Duration) {
	name, ok := requestNames[t]
	if !ok {
		return
	}
	m.mu.Lock()
	m.roll()
	m.latency[name].observe(d)
	m.mu.Unlock()
}

// epoch keeps the public counters of an exposure epoch's summary.
func (m *metrics) epoch(c map[string]compute.Count) {
	m.mu.Lock()
	m.epochCounts = c
	m.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.descs.uploads, m.descs.records, m.descs.retries, m.descs.served,
		m.descs.rejected, m.descs.latency, m.descs.epoch, m.descs.belowK, m.descs.lastRun, m.descs.storeRecords, m.descs.storeBytes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the published values only.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.sampleStore()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll()
	emit := func(d *prometheus.Desc, g *gated, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(g.published), labels...)
	}
	emit(m.descs.uploads, &m.uploads)
	emit(m.descs.records, &m.records)
	emit(m.descs.retries, &m.retries.g)
	emit(m.descs.served, &m.resultsServed.g)
	for _, reason := range slices.Sorted(maps.Keys(m.refusals)) {
		emit(m.descs.rejected, m.refusals[reason], reason)
	}
	for _, name := range slices.Sorted(maps.Keys(m.latency)) {
		ch <- m.latency[name].metric(m.descs.latency, name)
	}
	for _, name := range slices.Sorted(maps.Keys(m.epochCounts)) {
		if n, ok := m.epochCounts[name].Value(); ok {
			ch <- prometheus.MustNewConstMetric(m.descs.epoch, prometheus.GaugeValue, float64(n), name)
		} else {
			ch <- prometheus.MustNewConstMetric(m.descs.belowK, prometheus.GaugeValue, 1, name)
		}
	}
	if m.storeSample {
		ch <- prometheus.MustNewConstMetric(m.descs.storeRecords, prometheus.GaugeValue, float64(m.storeRecs))
		ch <- prometheus.MustNewConstMetric(m.descs.storeBytes, prometheus.GaugeValue, float64(m.storeBytes))
	}
	last := m.lastRun()
	for _, name := range slices.Sorted(maps.Keys(last)) {
		ch <- prometheus.MustNewConstMetric(m.descs.lastRun, prometheus.GaugeValue, last[name], name)
	}
}

// Health is the JSON body of /healthz.
type Health struct {
	Status           string `json:"status"` // "ok", or "degraded" when registered at no relay
	Party            int    `json:"party"`
	Name             string `json:"name"`
	Manifest         string `json:"manifest"`
	Relays           int    `json:"relays"`
	RelaysRegistered int    `json:"relays_registered"`
	Instance         string `json:"instance"`     // this front end
	LeaseHolder      bool   `json:"lease_holder"` // runs the computations
	Store            string `json:"store"`        // "ok" or why the store is not
}

// Health returns the party's health.
func (s *Server) Health() Health {
	h := Health{Status: "ok", Party: s.key.ID, Name: s.key.Name, Manifest: s.mhash.String(),
		Relays: len(s.cfg.Relays), RelaysRegistered: s.RelaysRegistered(),
		Instance: s.lease.instance, LeaseHolder: s.lease.Holds(), Store: "ok"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		h.Store = err.Error()
	}
	if h.RelaysRegistered == 0 || h.Store != "ok" {
		h.Status = "degraded"
	}
	return h
}

// Ready reports whether a load balancer may send the front end of health h
// work: its store answers and it is registered at a relay at least.
func (h Health) Ready() bool { return h.Store == "ok" && h.RelaysRegistered > 0 }

// HTTPHandler is the operator's listener (`safetrace party --listen`): GET
// /healthz (JSON Health, status 200 even when degraded: the process is
// alive), GET /readyz (the same body; 503 unless the store answers and
// the party is registered at a relay at least: a load balancer's
// readiness check), GET /metrics (Prometheus, see metrics above), GET /v1/epochs
// (recent computation runs with their public summaries) and GET
// /v1/regionmap (the newest released region map, 404 before the first)
// and GET /v1/aggregates (the daily series of the last exposure epoch,
// aggregates.go).
// The relays never reach it: requests through them go to Handle only.
func (s *Server) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Health())
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		h := s.Health()
		if !h.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(h)
	})
	mux.HandleFunc("GET /v1/epochs", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // counts below k read "< k"
		enc.Encode(map[string]any{"epochs": s.Runs()})
	})
	mux.HandleFunc("GET /v1/regionmap", func(w http.ResponseWriter, _ *http.Request) {
		rm, err := regionjob.Latest(s.host())
		if err != nil {
			http.Error(w, "region map unavailable", http.StatusInternalServerError)
			return
		}
		if rm.Day == 0 {
			http.NotFound(w, nil)
			return
		}
		type region struct {
			Region string `json:"region"`
			Count  uint32 `json:"count"` // at least k: the map releases no others
		}
		out := struct {
			Day     string        `json:"day"`
			K       uint32        `json:"k"`
			Uploads compute.Count `json:"uploads"`
			Regions []region      `json:"regions"`
		}{Day: record.Day(rm.Day).String(), K: rm.K, Uploads: compute.KCount(int(rm.Uploads), int(rm.K)), Regions: []region{}}
		for _, rc := range rm.Released {
			if int(rc.Region) < len(s.m.Params.Regions) {
				out.Regions = append(out.Regions, region{s.m.Params.Regions[rc.Region], rc.Count})
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /v1/aggregates", s.serveAggregates)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}
