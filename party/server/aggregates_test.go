package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
)

// TestAggregatesBelowK reads GET /v1/aggregates before and after an epoch
// over three users and one report (k > 3): 404 first, then every day of
// the window with each count "< k" or at least k, the users and the
// report below k, and no degree bin (three user-days are fewer than k).
func TestAggregatesBelowK(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	k := d.Manifest().Params.KAnonymity
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		d.Servers[0].HTTPHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/aggregates", nil))
		return rec
	}
	if rec := get(); rec.Code != 404 {
		t.Fatalf("before any epoch: %d %s", rec.Code, rec.Body.String())
	}
	vs, _ := honestStory(t, d)
	runEpoch(t, d, vs[0].c)
	rec := get()
	if rec.Code != 200 {
		t.Fatalf("/v1/aggregates: %d %s", rec.Code, rec.Body.String())
	}
	var a struct {
		K           int    `json:"k"`
		PositivesBy string `json:"positives_by"`
		Days        []map[string]any
		Degree      []map[string]any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if a.K != k || a.PositivesBy != "report_day" || len(a.Days) != d.Manifest().Params.RetentionDays || len(a.Degree) != 0 {
		t.Fatalf("aggregates %s", rec.Body.String())
	}
	for _, day := range a.Days {
		for _, name := range []string{"positives", "users", "at_risk"} {
			switch x := day[name].(type) {
			case float64:
				if int(x) < k {
					t.Errorf("%v: %s = %v below k = %d", day["day"], name, x, k)
				}
			case string:
				if x != compute.BelowK {
					t.Errorf("%v: %s = %q", day["day"], name, x)
				}
			default:
				t.Errorf("%v: %s = %v", day["day"], name, x)
			}
		}
	}
	t.Logf("%s", rec.Body.String())
}
