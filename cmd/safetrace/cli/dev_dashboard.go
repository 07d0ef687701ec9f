package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/safetrace/safetrace/seir"
	"github.com/safetrace/safetrace/trace"
)

// The dashboard's endpoints on the "safetrace dev" web server (see
// docs/dashboard.md):
//
//	GET /api/seir       model curves (seir.CurveJSON) for the parameter form
//	GET /api/epochs     each party's GET /v1/epochs, side by side
//	GET /api/regionmap  the released region map (GET /v1/regionmap of the
//	                    first party that has one), normalised, with cell boxes
//	GET /api/aggregates the daily series of the last epoch (GET
//	                    /v1/aggregates of the first party that has them)
//	GET /api/outbreak   the "Outbreak" section: the series fitted (seir
//	                    fit's analysis, seir.OutbreakJSON)
//
// The proxies only read from the parties' HTTP listeners on loopback; a
// party that is down or does not serve an endpoint yet shows up as such in
// the answer, never as an error of the whole request.

// partyEndpoint is one party's HTTP listener, such as http://127.0.0.1:9101.
type partyEndpoint struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Base string `json:"-"`
}

// dashboardTimeout bounds each proxied request to a party.
const dashboardTimeout = 2 * time.Second

// registerDashboard adds the dashboard's endpoints to mux.
func registerDashboard(mux *http.ServeMux, parties []partyEndpoint) {
	mux.HandleFunc("GET /api/seir", serveSEIR)
	mux.HandleFunc("GET /api/epochs", func(w http.ResponseWriter, r *http.Request) {
		serveEpochs(w, r, parties)
	})
	mux.HandleFunc("GET /api/regionmap", func(w http.ResponseWriter, r *http.Request) {
		serveRegionMap(w, r, parties)
	})
	mux.HandleFunc("GET /api/aggregates", func(w http.ResponseWriter, r *http.Request) {
		a := fetchAggregates(r.Context(), parties)
		writeJSON(w, http.StatusOK, a)
	})
	mux.HandleFunc("GET /api/outbreak", func(w http.ResponseWriter, r *http.Request) {
		serveOutbreak(w, r, parties)
	})
}

// devPartyEndpoints derives the dashboard's party list from the health URLs
// of "safetrace dev".
func devPartyEndpoints(st *devStatus) []partyEndpoint {
	var ps []partyEndpoint
	for i, u := range st.parties {
		p := st.m.Parties[i]
		ps = append(ps, partyEndpoint{ID: p.ID, Name: p.Name, Base: strings.TrimSuffix(u, "/healthz")})
	}
	return ps
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// seirLimits bounds every parameter of /api/seir: [min, max] and the default.
var seirLimits = map[string]struct{ min, max, def float64 }{
	"beta":   {0, 100, 0.5},
	"sigma":  {1e-3, 100, 0.2},
	"gamma":  {1e-3, 100, 0.1},
	"n":      {1, 1e9, 10000},
	"e0":     {0, 1e9, 10},
	"i0":     {0, 1e9, 0},
	"days":   {1, 3650, 160},
	"degree": {1.01, 1000, 10},
	"tau":    {0, 100, -1}, // default beta/degree
}

// seirCurve runs the model named by q with its parameters, checked.
func seirCurve(q url.Values) (*seir.CurveJSON, error) {
	model := q.Get("model")
	if model == "" {
		model = "meanfield"
	}
	if model != "meanfield" && model != "pairwise" {
		return nil, fmt.Errorf("model must be meanfield or pairwise, not %q", model)
	}
	p := map[string]float64{}
	for k, l := range seirLimits {
		p[k] = l.def
		s := q.Get(k)
		if s == "" {
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %q is not a number", k, s)
		}
		if x < l.min || x > l.max {
			return nil, fmt.Errorf("%s: %v is outside [%v, %v]", k, x, l.min, l.max)
		}
		p[k] = x
	}
	if p["days"] != math.Trunc(p["days"]) {
		return nil, fmt.Errorf("days: %v is not a whole number", p["days"])
	}
	if p["e0"]+p["i0"] > p["n"] {
		return nil, fmt.Errorf("e0 + i0 = %v exceeds n = %v", p["e0"]+p["i0"], p["n"])
	}
	if p["e0"]+p["i0"] == 0 {
		return nil, errors.New("e0 + i0 must be positive")
	}
	days := int(p["days"])
	var (
		c      *seir.Curve
		err    error
		params map[string]float64
	)
	switch model {
	case "meanfield":
		mf := &seir.MeanField{Beta: p["beta"], Sigma: p["sigma"], Gamma: p["gamma"], N: p["n"], E0: p["e0"], I0: p["i0"]}
		c, err = mf.Solve(days)
		params = map[string]float64{"beta": mf.Beta, "sigma": mf.Sigma, "gamma": mf.Gamma, "n": mf.N, "e0": mf.E0, "i0": mf.I0, "days": p["days"], "r0": mf.R0()}
	case "pairwise":
		tau := p["tau"]
		if q.Get("tau") == "" {
			tau = p["beta"] / p["degree"] // the same force of infection when everyone is susceptible
		}
		closure, cerr := seir.ParseClosure(cmp.Or(q.Get("kappa"), "poisson"))
		if cerr != nil {
			return nil, cerr
		}
		if q.Get("i0") != "" && p["i0"] != 0 {
			return nil, errors.New("i0: the pairwise model starts with exposed nodes only (use e0)")
		}
		pw := &seir.Pairwise{Degree: p["degree"], Closure: closure, Tau: tau, Sigma: p["sigma"], Gamma: p["gamma"], N: p["n"], E0: p["e0"]}
		c, err = pw.Solve(days)
		params = map[string]float64{"degree": pw.Degree, "tau": tau, "sigma": pw.Sigma, "gamma": pw.Gamma, "n": pw.N, "e0": pw.E0, "days": p["days"], "kappa": pw.Kappa()}
	}
	if err != nil {
		return nil, err
	}
	j := c.JSON(model, params, false)
	j.N = p["n"]
	return j, nil
}

func serveSEIR(w http.ResponseWriter, r *http.Request) {
	j, err := seirCurve(r.URL.Query())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "seir: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// partyAnswer is one party's answer to a proxied request.
type partyAnswer struct {
	partyEndpoint
	OK     bool            `json:"ok"`
	Status int             `json:"status,omitempty"` // HTTP status, 0 when unreachable
	Body   json.RawMessage `json:"body,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// fetchParty GETs path from p, reading at most 4 MiB.
func fetchParty(ctx context.Context, p partyEndpoint, path string) (partyAnswer, []byte) {
	a := partyAnswer{partyEndpoint: p}
	ctx, cancel := context.WithTimeout(ctx, dashboardTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", p.Base+path, nil)
	if err != nil {
		a.Error = err.Error()
		return a, nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.Error = "unreachable"
		return a, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	a.Status = resp.StatusCode
	switch {
	case err != nil:
		a.Error = err.Error()
	case resp.StatusCode == http.StatusNotFound:
		a.Error = "not served by this party (yet)"
	case resp.StatusCode != http.StatusOK:
		a.Error = resp.Status
	default:
		a.OK = true
		return a, b
	}
	return a, nil
}

// serveEpochs answers {"parties": [...]} with each party's epoch list as
// it sent it (JSON) in body.
func serveEpochs(w http.ResponseWriter, r *http.Request, parties []partyEndpoint) {
	answers := make([]partyAnswer, len(parties))
	var wg sync.WaitGroup
	for i, p := range parties {
		wg.Go(func() {
			a, b := fetchParty(r.Context(), p, "/v1/epochs")
			if a.OK {
				if json.Valid(b) {
					a.Body = b
				} else {
					a.OK, a.Error = false, "answer is not JSON"
				}
			}
			answers[i] = a
		})
	}
	wg.Wait()
	writeJSON(w, http.StatusOK, map[string]any{"parties": answers})
}

// Region is one released cell of the region map with its bounding box.
type Region struct {
	Region string      `json:"region"`
	Count  float64     `json:"count"`
	Box    *[4]float64 `json:"box,omitempty"` // min lat, min lon, max lat, max lon; absent if not a geohash
}

// regionMap is the answer of /api/regionmap.
type regionMap struct {
	Available bool          `json:"available"`
	Source    string        `json:"source,omitempty"` // the party it came from
	K         float64       `json:"k,omitempty"`      // the k-anonymity threshold, if the party says
	Regions   []Region      `json:"regions"`
	Parties   []partyAnswer `json:"parties"`
}

func serveRegionMap(w http.ResponseWriter, r *http.Request, parties []partyEndpoint) {
	out := regionMap{Regions: []Region{}}
	for _, p := range parties {
		a, b := fetchParty(r.Context(), p, "/v1/regionmap")
		if a.OK {
			regions, k, err := parseRegions(b)
			if err != nil {
				a.OK, a.Error = false, err.Error()
			} else if !out.Available {
				out.Available, out.Source, out.K, out.Regions = true, p.Name, k, regions
			}
		}
		out.Parties = append(out.Parties, a)
		if out.Available {
			break // the released map is public and the same at every party
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// parseRegions reads a released region map as a party serves it on
// GET /v1/regionmap: {"day": ..., "k": k, "uploads": ..., "regions":
// [{"region": s, "count": n}, ...]}. Regions are returned sorted by count,
// then name; geohashes get their bounding box.
func parseRegions(b []byte) ([]Region, float64, error) {
	var rm struct {
		K       float64 `json:"k"`
		Regions []struct {
			Region string   `json:"region"`
			Count  *float64 `json:"count"`
		} `json:"regions"`
	}
	if err := json.Unmarshal(b, &rm); err != nil {
		return nil, 0, fmt.Errorf("region map: %w", err)
	}
	if rm.Regions == nil {
		return nil, 0, errors.New("region map: no regions")
	}
	regions := make([]Region, 0, len(rm.Regions))
	for _, it := range rm.Regions {
		if it.Region == "" || it.Count == nil {
			return nil, 0, errors.New("region map: entry without region or count")
		}
		r := Region{Region: it.Region, Count: *it.Count}
		if box, err := trace.CellBox(it.Region); err == nil {
			r.Box = &[4]float64{box.MinLat, box.MinLon, box.MaxLat, box.MaxLon}
		}
		regions = append(regions, r)
	}
	sort.Slice(regions, func(i, j int) bool {
		if regions[i].Count != regions[j].Count {
			return regions[i].Count > regions[j].Count
		}
		return regions[i].Region < regions[j].Region
	})
	return regions, rm.K, nil
}

// aggregatesAnswer is the answer of /api/aggregates.
type aggregatesAnswer struct {
	Available  bool            `json:"available"`
	Source     string          `json:"source,omitempty"`
	Aggregates json.RawMessage `json:"aggregates,omitempty"` // the party's JSON as it came
	Parties    []partyAnswer   `json:"parties"`
}

// fetchAggregates takes the first party that serves GET /v1/aggregates.
// The parties compute the same series, except that a report stored around
// midnight UTC may be dated a day apart at two parties (docs/seir.md).
func fetchAggregates(ctx context.Context, parties []partyEndpoint) aggregatesAnswer {
	out := aggregatesAnswer{Parties: []partyAnswer{}}
	for _, p := range parties {
		a, b := fetchParty(ctx, p, "/v1/aggregates")
		if a.OK && !json.Valid(b) {
			a.OK, a.Error = false, "answer is not JSON"
		}
		out.Parties = append(out.Parties, a)
		if a.OK {
			out.Available, out.Source, out.Aggregates = true, p.Name, b
			break
		}
	}
	return out
}

// outbreakLimits bounds the parameters of /api/outbreak: [min, max] and
// the default; reporting 0 and a negative delay mean fitted.
var outbreakLimits = map[string]struct{ min, max, def float64 }{
	"sigma":      {1e-3, 100, 0.2},
	"gamma":      {1e-3, 100, 0.1},
	"population": {10, 1e9, 10000},
	"reporting":  {0, 1, 0},
	"delay":      {-1, 14, -1},
	"horizon":    {0, 365, 30},
}

// serveOutbreak fits the released positives of the first party with
// aggregates (seir.AnalyseOutbreak, the released degree distribution for
// the network models).
func serveOutbreak(w http.ResponseWriter, r *http.Request, parties []partyEndpoint) {
	q := r.URL.Query()
	p := map[string]float64{}
	for k, l := range outbreakLimits {
		p[k] = l.def
		s := q.Get(k)
		if s == "" {
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || x < l.min || x > l.max {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("outbreak: %s: %q is not a number in [%v, %v]", k, s, l.min, l.max)})
			return
		}
		p[k] = x
	}
	a := fetchAggregates(r.Context(), parties)
	if !a.Available {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "outbreak: no aggregates released yet (run an epoch)", "parties": a.Parties})
		return
	}
	data, k, hist, err := aggregatesSeries(a.Aggregates)
	var days []string
	if err == nil {
		var ds struct {
			Days []struct {
				Day string `json:"day"`
			} `json:"days"`
		}
		json.Unmarshal(a.Aggregates, &ds)
		for _, d := range ds.Days {
			days = append(days, d.Day)
		}
	}
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "outbreak: " + err.Error()})
		return
	}
	cfg := seir.OutbreakConfig{Fit: seir.FitConfig{Sigma: p["sigma"], Gamma: p["gamma"], N: p["population"],
		Reporting: p["reporting"], Delay: p["delay"], K: k, Horizon: int(p["horizon"]), Samples: 200, Seed: 1}, Hist: hist}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	o, err := seir.AnalyseOutbreak(ctx, data, cfg)
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "outbreak: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"source": a.Source, "k": k, "days": days, "summary": o.Summary(), "fit": o.JSON()})
}
