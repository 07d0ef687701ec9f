package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/seir"
)

func dashboardServer(t *testing.T, parties []partyEndpoint) *httptest.Server {
	mux := http.NewServeMux()
	registerDashboard(mux, parties)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func getJSON(t *testing.T, u string, v any) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: content type %q", u, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return resp.StatusCode
}

func TestDashboardSEIR(t *testing.T) {
	srv := dashboardServer(t, nil)
	var j seir.CurveJSON
	if code := getJSON(t, srv.URL+"/api/seir?model=meanfield&beta=0.4&sigma=0.25&gamma=0.1&n=1000&e0=5&days=120", &j); code != 200 {
		t.Fatalf("status %d", code)
	}
	want, err := (&seir.MeanField{Beta: 0.4, Sigma: 0.25, Gamma: 0.1, N: 1000, E0: 5}).Solve(120)
	if err != nil {
		t.Fatal(err)
	}
	if j.Model != "meanfield" || j.N != 1000 || len(j.T) != 121 || j.Params["r0"] != 4 {
		t.Fatalf("curve %s n=%v len=%d params=%v", j.Model, j.N, len(j.T), j.Params)
	}
	for i := range want.T {
		if j.S[i] != want.S[i] || j.E[i] != want.E[i] || j.I[i] != want.I[i] || j.R[i] != want.R[i] {
			t.Fatalf("day %d differs from seir.MeanField", i)
		}
	}

	// Pairwise with tau defaulting to beta/degree.
	if code := getJSON(t, srv.URL+"/api/seir?model=pairwise&beta=0.4&sigma=0.25&gamma=0.1&n=1000&e0=5&days=50&degree=8&kappa=regular", &j); code != 200 {
		t.Fatalf("pairwise status %d", code)
	}
	pw, err := (&seir.Pairwise{Degree: 8, Closure: seir.ClosureRegular, Tau: 0.05, Sigma: 0.25, Gamma: 0.1, N: 1000, E0: 5}).Solve(50)
	if err != nil {
		t.Fatal(err)
	}
	if j.Model != "pairwise" || j.Params["tau"] != 0.05 || len(j.I) != 51 || math.Abs(j.I[50]-pw.I[50]) > 1e-9 {
		t.Errorf("pairwise %s params %v, I(50) %v want %v", j.Model, j.Params, j.I[len(j.I)-1], pw.I[50])
	}

	for _, q := range []string{
		// unknown model or closure
		"model=sir", "model=pairwise&kappa=cubic",
		// not numbers
		"beta=x", "beta=NaN", "n=Inf", "days=1e400",
		// out of range
		"beta=-1", "sigma=0", "gamma=1000", "n=0", "days=0", "days=100000", "degree=1", "days=10.5",
		// inconsistent
		"n=10&e0=11", "e0=0&i0=0", "model=pairwise&i0=3",
	} {
		var e struct{ Error string }
		if code := getJSON(t, srv.URL+"/api/seir?"+q, &e); code != 400 || !strings.HasPrefix(e.Error, "seir: ") {
			t.Errorf("%s: status %d, error %q", q, code, e.Error)
		}
	}
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestDashboardProxiesTolerateMissingParties(t *testing.T) {
	// party 1 has both endpoints, party 2 predates them (404), party 3 is down.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/epochs", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `[{"epoch":1,"records":42,"duration_ms":1234}]`)
	})
	mux.HandleFunc("GET /v1/regionmap", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"k":5,"regions":[{"region":"u33d","count":7},{"region":"u33e","count":12}]}`)
	})
	full := httptest.NewServer(mux)
	defer full.Close()
	old := httptest.NewServer(http.NotFoundHandler())
	defer old.Close()
	parties := []partyEndpoint{{1, "one", full.URL}, {2, "two", old.URL}, {3, "three", closedPort(t)}}

	srv := dashboardServer(t, parties)
	var ep struct{ Parties []partyAnswer }
	getJSON(t, srv.URL+"/api/epochs", &ep)
	if len(ep.Parties) != 3 || !ep.Parties[0].OK || ep.Parties[1].OK || ep.Parties[1].Status != 404 || ep.Parties[2].OK || ep.Parties[2].Status != 0 {
		t.Fatalf("epochs %+v", ep.Parties)
	}
	var epochs []map[string]float64
	if err := json.Unmarshal(ep.Parties[0].Body, &epochs); err != nil || epochs[0]["records"] != 42 {
		t.Errorf("party 1 body %s: %v", ep.Parties[0].Body, err)
	}

	var rm regionMap
	getJSON(t, srv.URL+"/api/regionmap", &rm)
	if !rm.Available || rm.Source != "one" || rm.K != 5 || len(rm.Regions) != 2 || rm.Regions[0].Region != "u33e" || rm.Regions[0].Box == nil {
		t.Errorf("region map %+v", rm)
	}

	// With no party serving the map (or none up), the answer says so.
	srv = dashboardServer(t, parties[1:])
	rm = regionMap{}
	getJSON(t, srv.URL+"/api/regionmap", &rm)
	if rm.Available || len(rm.Parties) != 2 || rm.Regions == nil {
		t.Errorf("absent region map %+v", rm)
	}
	ep.Parties = nil
	getJSON(t, srv.URL+"/api/epochs", &ep)
	if len(ep.Parties) != 2 || ep.Parties[0].OK || ep.Parties[1].OK {
		t.Errorf("epochs without parties %+v", ep.Parties)
	}
}

func TestParseRegions(t *testing.T) {
	// As party/server's GET /v1/regionmap answers.
	in := `{"day":"2026-11-30","k":5,"uploads":40,"regions":[{"region":"u33d","count":7},{"region":"ezs42","count":12},{"region":"downtown","count":9}]}`
	rs, k, err := parseRegions([]byte(in))
	if err != nil || k != 5 || len(rs) != 3 || rs[0].Region != "ezs42" || rs[0].Count != 12 || rs[1].Region != "downtown" {
		t.Fatalf("%+v, %v, %v", rs, k, err)
	}
	// Known answer from the geohash reference: "ezs42" covers
	// 42.583..42.627 N, -5.625..-5.581 E.
	if b := rs[0].Box; b == nil || math.Abs(b[0]-42.5830078125) > 1e-9 || math.Abs(b[1]+5.625) > 1e-9 || math.Abs(b[2]-42.626953125) > 1e-9 || math.Abs(b[3]+5.5810546875) > 1e-9 {
		t.Errorf("ezs42 box %v", rs[0].Box)
	}
	if rs[1].Box != nil {
		t.Errorf("a region that is not a geohash got box %v", rs[1].Box)
	}
	for _, in := range []string{
		`{"regions":[{"region":"a"}]}`, `{"regions":[{"count":1}]}`, `nonsense`, `{"a":"b"}`,
		`[{"region":"u33d","count":7}]`, "region,count\nu33d,7\n",
	} {
		if _, _, err := parseRegions([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
