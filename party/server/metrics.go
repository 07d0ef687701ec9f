package server

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/regionmap/regionjob"
	"github.com/safetrace/safetrace/wire"
)

type metrics struct {
	uploads       [3]atomic.Uint64 // by wire.Kind
	records       atomic.Uint64
	codesUsed     atomic.Uint64
	retries       atomic.Uint64
	resultsServed atomic.Uint64
	rejectedBy    map[wire.Code]*atomic.Uint64
	rejectedOther atomic.Uint64
	runsStarted   atomic.Uint64
	runsDone      atomic.Uint64
	runsFailed    atomic.Uint64
	// The last exposure epoch's public counters, under the k rule.
	epochMu     sync.Mutex
	epochCounts map[string]compute.Count
}

// epoch keeps the public counters of an exposure epoch's summary.
func (m *metrics) epoch(c map[string]compute.Count) {
	m.epochMu.Lock()
	m.epochCounts = c
	m.epochMu.Unlock()
}

func (m *metrics) init() {
	m.rejectedBy = make(map[wire.Code]*atomic.Uint64)
	for _, c := range wire.Codes() {
		m.rejectedBy[c] = new(atomic.Uint64)
	}
}

func (m *metrics) upload(k wire.Kind, n int) {
	m.uploads[k].Add(1)
	m.records.Add(uint64(n))
	if k == wire.KindPositive {
		m.codesUsed.Add(1)
	}
}

func (m *metrics) rejected(c wire.Code) {
	if ctr, ok := m.rejectedBy[c]; ok {
		ctr.Add(1)
	} else {
		m.rejectedOther.Add(1)
	}
}

func (s *Server) writeMetrics(w io.Writer) {
	m := &s.metrics
	fmt.Fprintln(w, "# HELP safetrace_party_uploads_total Uploads stored, by kind (retries not counted).")
	fmt.Fprintln(w, "# TYPE safetrace_party_uploads_total counter")
	for _, k := range []wire.Kind{wire.KindOrdinary, wire.KindPositive} {
		fmt.Fprintf(w, "safetrace_party_uploads_total{kind=%q} %d\n", k.String(), m.uploads[k].Load())
	}
	fmt.Fprintln(w, "# HELP safetrace_party_records_total Records stored.")
	fmt.Fprintln(w, "# TYPE safetrace_party_records_total counter")
	fmt.Fprintf(w, "safetrace_party_records_total %d\n", m.records.Load())
	fmt.Fprintln(w, "# HELP safetrace_party_upload_retries_total Uploads received again and receipted again.")
	fmt.Fprintln(w, "# TYPE safetrace_party_upload_retries_total counter")
	fmt.Fprintf(w, "safetrace_party_upload_retries_total %d\n", m.retries.Load())
	fmt.Fprintln(w, "# HELP safetrace_party_codes_used_total Authority codes used by positive reports.")
	fmt.Fprintln(w, "# TYPE safetrace_party_codes_used_total counter")
	fmt.Fprintf(w, "safetrace_party_codes_used_total %d\n", m.codesUsed.Load())
	fmt.Fprintln(w, "# HELP safetrace_party_results_served_total Sealed result blobs delivered.")
	fmt.Fprintln(w, "# TYPE safetrace_party_results_served_total counter")
	fmt.Fprintf(w, "safetrace_party_results_served_total %d\n", m.resultsServed.Load())
	fmt.Fprintln(w, "# HELP safetrace_party_rejected_total Requests refused, by reason.")
	fmt.Fprintln(w, "# TYPE safetrace_party_rejected_total counter")
	for _, c := range wire.Codes() {
		fmt.Fprintf(w, "safetrace_party_rejected_total{reason=%q} %d\n", c.Slug(), m.rejectedBy[c].Load())
	}
	fmt.Fprintf(w, "safetrace_party_rejected_total{reason=\"other\"} %d\n", m.rejectedOther.Load())
	fmt.Fprintln(w, "# HELP safetrace_party_runs_total Computation runs, by outcome (started counts accepted runs).")
	fmt.Fprintln(w, "# TYPE safetrace_party_runs_total counter")
	fmt.Fprintf(w, "safetrace_party_runs_total{outcome=\"started\"} %d\n", m.runsStarted.Load())
	fmt.Fprintf(w, "safetrace_party_runs_total{outcome=\"done\"} %d\n", m.runsDone.Load())
	fmt.Fprintf(w, "safetrace_party_runs_total{outcome=\"failed\"} %d\n", m.runsFailed.Load())
	fmt.Fprintln(w, "# HELP safetrace_party_run_last_seconds Duration of the last finished run, by computation.")
	fmt.Fprintln(w, "# TYPE safetrace_party_run_last_seconds gauge")
	last := s.lastRunSeconds()
	for _, name := range slices.Sorted(maps.Keys(last)) {
		fmt.Fprintf(w, "safetrace_party_run_last_seconds{computation=%q} %g\n", name, last[name])
	}
	m.epochMu.Lock()
	counts := m.epochCounts
	m.epochMu.Unlock()
	fmt.Fprintln(w, "# HELP safetrace_party_epoch_count Counts of the last exposure epoch (records, reports, rejected_reports, users) that are at least k; smaller ones are left out and marked in safetrace_party_epoch_below_k.")
	fmt.Fprintln(w, "# TYPE safetrace_party_epoch_count gauge")
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		if n, ok := counts[name].Value(); ok {
			fmt.Fprintf(w, "safetrace_party_epoch_count{count=%q} %d\n", name, n)
		}
	}
	fmt.Fprintln(w, "# HELP safetrace_party_epoch_below_k 1 for each count of the last exposure epoch that is below k and so not shown.")
	fmt.Fprintln(w, "# TYPE safetrace_party_epoch_below_k gauge")
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		if _, ok := counts[name].Value(); !ok {
			fmt.Fprintf(w, "safetrace_party_epoch_below_k{count=%q} 1\n", name)
		}
	}
	fmt.Fprintln(w, "# HELP safetrace_party_relays_registered Relays at which the party is registered.")
	fmt.Fprintln(w, "# TYPE safetrace_party_relays_registered gauge")
	fmt.Fprintf(w, "safetrace_party_relays_registered %d\n", s.RelaysRegistered())
}

// Health is the JSON body of /healthz.
type Health struct {
	Status           string `json:"status"` // "ok", or "degraded" when registered at no relay
	Party            int    `json:"party"`
	Name             string `json:"name"`
	Manifest         string `json:"manifest"`
	Relays           int    `json:"relays"`
	RelaysRegistered int    `json:"relays_registered"`
}

// Health returns the party's health.
func (s *Server) Health() Health {
	h := Health{Status: "ok", Party: s.key.ID, Name: s.key.Name, Manifest: s.mhash.String(),
		Relays: len(s.cfg.Relays), RelaysRegistered: s.RelaysRegistered()}
	if h.RelaysRegistered == 0 {
		h.Status = "degraded"
	}
	return h
}

// HTTPHandler serves GET /healthz (JSON Health, status 200 even when
// degraded: the process is alive), GET /metrics (Prometheus text) and
// GET /v1/epochs (recent computation runs with their public summaries) and
// GET /v1/regionmap (the newest released region map, 404 before the first).
func (s *Server) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Health())
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
		}{Day: store.Day(rm.Day).String(), K: rm.K, Uploads: compute.KCount(int(rm.Uploads), int(rm.K)), Regions: []region{}}
		for _, rc := range rm.Released {
			if int(rc.Region) < len(s.m.Params.Regions) {
				out.Regions = append(out.Regions, region{s.m.Params.Regions[rc.Region], rc.Count})
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.writeMetrics(w)
	})
	return mux
}
