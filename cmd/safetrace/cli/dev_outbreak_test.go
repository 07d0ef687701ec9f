package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/seir"
)

// aggregatesJSON is a party's GET /v1/aggregates for 40 days of a
// mean-field epidemic (R0 = 2.5, sigma 0.2, gamma 0.1, N 100000, half the
// onsets reported), k = 5: the first days are below k.
func aggregatesJSON(t *testing.T) string {
	t.Helper()
	m := &seir.MeanField{Beta: 0.25, Sigma: 0.2, Gamma: 0.1, N: 100000, E0: 200}
	c, err := m.Solve(40)
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for d := range 40 {
		n := int(math.Round(0.5 * ((c.I[d+1] + c.R[d+1]) - (c.I[d] + c.R[d]))))
		pos := fmt.Sprint(n)
		if n < 5 {
			pos = `"< k"`
		}
		days = append(days, fmt.Sprintf(`{"day":"2026-10-%02d","positives":%s,"users":120,"at_risk":"< k"}`, d+1, pos))
	}
	return `{"run":"ab12","k":5,"positives_by":"report_day","days":[` + strings.Join(days, ",") +
		`],"degree":[{"lo":1,"hi":2,"count":40},{"lo":3,"hi":3,"count":50},{"lo":4,"hi":9,"count":30}]}`
}

func TestDashboardOutbreak(t *testing.T) {
	agg := aggregatesJSON(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/aggregates", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, agg) })
	full := httptest.NewServer(mux)
	defer full.Close()
	old := httptest.NewServer(http.NotFoundHandler())
	defer old.Close()
	srv := dashboardServer(t, []partyEndpoint{{1, "one", old.URL}, {2, "two", full.URL}})

	var a aggregatesAnswer
	getJSON(t, srv.URL+"/api/aggregates", &a)
	if !a.Available || a.Source != "two" || len(a.Parties) != 2 || !strings.Contains(string(a.Aggregates), `"positives_by":"report_day"`) {
		t.Fatalf("aggregates %+v", a)
	}

	var r struct {
		Source  string
		K       int
		Days    []string
		Summary string
		Fit     seir.OutbreakJSON
	}
	if code := getJSON(t, srv.URL+"/api/outbreak?population=100000&reporting=0.5&delay=0&horizon=20", &r); code != 200 {
		t.Fatalf("outbreak: %d", code)
	}
	f := r.Fit
	if r.K != 5 || len(r.Days) != 40 || len(f.Expected) != 60 || len(f.Data) != 40 || f.Pairwise == nil || f.Dynamic == nil {
		t.Fatalf("outbreak %+v", r)
	}
	if math.Abs(f.Params["r0"]-2.5) > 0.25 || !strings.HasPrefix(r.Summary, "R0=") {
		t.Errorf("R0 %v, summary %q", f.Params["r0"], r.Summary)
	}
	if mean := f.Pairwise.Params["mean_degree"]; math.Abs(mean-(40*1.0+50*3+30*6)/120) > 1e-9 {
		t.Errorf("pairwise mean degree %v", mean)
	}

	for _, q := range []string{"population=-1", "reporting=2", "delay=x", "sigma=0"} {
		var e struct{ Error string }
		if code := getJSON(t, srv.URL+"/api/outbreak?"+q, &e); code != 400 || !strings.HasPrefix(e.Error, "outbreak: ") {
			t.Errorf("%s: %d %q", q, code, e.Error)
		}
	}
	srv = dashboardServer(t, []partyEndpoint{{1, "one", old.URL}})
	var e map[string]any
	if code := getJSON(t, srv.URL+"/api/outbreak", &e); code != 404 {
		t.Errorf("without aggregates: %d %v", code, e)
	}
	b, _ := json.Marshal(e)
	if !strings.Contains(string(b), "no aggregates released yet") {
		t.Errorf("without aggregates: %s", b)
	}
}

// TestSEIRFitManifest runs "seir fit --manifest" against a fake party's
// GET /v1/aggregates: the released k must be the manifest's.
func TestSEIRFitManifest(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "manifest", "init", "--out", dir, "--parties", "3", "--threshold", "1")
	mpath := dir + "/manifest.json"
	k := loadManifest(t, mpath).Params.KAnonymity
	agg := aggregatesJSON(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/aggregates", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, agg) })
	party := httptest.NewServer(mux)
	defer party.Close()
	args := []string{"seir", "fit", "--manifest", mpath, "--party", party.URL, "--population", "100000",
		"--reporting", "0.5", "--delay", "0", "--samples", "20", "--out", dir + "/fit.csv"}
	if _, err := runCLI(t, args...); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("released under k = 5, the manifest says %d", k)) {
		t.Fatalf("k mismatch: %v", err)
	}
	agg = strings.Replace(agg, `"k":5`, fmt.Sprintf(`"k":%d`, k), 1)
	out, err := runCLI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	var r0 float64
	if _, err := fmt.Sscanf(out, "R0=%g ", &r0); err != nil || math.Abs(r0-2.5) > 0.25 {
		t.Errorf("output %q", out)
	}
	b, err := os.ReadFile(dir + "/fit.csv")
	if err != nil || !strings.HasPrefix(string(b), "day,positives,expected,lo,hi,rt,rt_lo,rt_hi,pairwise,dynamic,") ||
		strings.Count(string(b), "\n") != 1+40+30 {
		t.Errorf("fit.csv: %v %.200s", err, b)
	}
}
