package server_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/wire"
)

// asRelay sends msg to party 1 the way the relay forwards it (an envelope
// handed to the party's handler) and returns the reply bytes the relay
// carries back, with the message the client opens from them.
func asRelay(t *testing.T, d *fabrictest.Deployment, msg func(rk [wire.KeySize]byte) wire.Message) ([]byte, wire.Message) {
	t.Helper()
	rk, err := wire.NewReplyKey()
	if err != nil {
		t.Fatal(err)
	}
	req, err := wire.Encode(msg(rk.Public()))
	if err != nil {
		t.Fatal(err)
	}
	env, err := wire.SealEnvelope(d.Manifest(), 1, req)
	if err != nil {
		t.Fatal(err)
	}
	reply := d.Servers[0].Handle(context.Background(), env)
	m, err := rk.OpenReply(d.Manifest().Hash(), 1, reply)
	if err != nil {
		t.Fatal(err)
	}
	return reply, m
}

// TestLeakReplySizes plays the relay: it records the size of every reply
// it carries back and tries to tell an accepted upload from a rejected one
// (bad code, bad day, used code), and a user without results from one with
// 14 days of results. Before replies were padded they were 169 B (receipt),
// 83-116 B (errors) and 54 to 639 B (results); now every one is the same
// size.
func TestLeakReplySizes(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	w := d.Manifest().Params.Window(time.Now())
	codes, err := authority.Issue(d.Authority, 2, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(kind wire.Kind, code string, day uint32) func([wire.KeySize]byte) wire.Message {
		u := rawUpload(t, 3, 1, day)[0]
		u.Kind, u.Code = kind, code
		return func(rk [wire.KeySize]byte) wire.Message { u.ReplyKey = rk; return u }
	}
	var token [32]byte
	rand.Read(token[:])
	results := func(rk [wire.KeySize]byte) wire.Message {
		return &wire.ResultRequest{ReplyKey: rk, Token: token}
	}
	type seen struct {
		what string
		size int
	}
	var sizes []seen
	record := func(what string, reply []byte, m wire.Message, want wire.Type) {
		t.Helper()
		if m.Type() != want {
			t.Fatalf("%s: answered %T %+v, want a %v", what, m, m, want)
		}
		sizes = append(sizes, seen{what, len(reply)})
	}

	reply, m := asRelay(t, d, upload(wire.KindOrdinary, "", w.Today))
	record("accepted ordinary upload", reply, m, wire.TypeReceipt)
	reply, m = asRelay(t, d, upload(wire.KindPositive, codes[0], w.Today))
	record("accepted positive upload", reply, m, wire.TypeReceipt)
	reply, m = asRelay(t, d, upload(wire.KindPositive, "not-a-code", w.Today))
	record("upload with a bad code", reply, m, wire.TypeError)
	reply, m = asRelay(t, d, upload(wire.KindPositive, codes[0], w.Today))
	record("upload with a used code", reply, m, wire.TypeError)
	reply, m = asRelay(t, d, upload(wire.KindOrdinary, "", w.Today+5))
	record("upload of a future day", reply, m, wire.TypeError)
	reply, m = asRelay(t, d, upload(wire.KindOrdinary, "", w.Oldest-1))
	record("upload of an expired day", reply, m, wire.TypeError)

	reply, m = asRelay(t, d, results)
	if len(m.(*wire.ResultResponse).Results) != 0 {
		t.Fatal("a new token has results")
	}
	record("results: none", reply, m, wire.TypeResultResponse)
	rk, err := wire.GenerateResultKey()
	if err != nil {
		t.Fatal(err)
	}
	user := compute.UserKey{TokenHash: sha256.Sum256(token[:])}
	copy(user.ResultKey[:], rk.PublicKey())
	share := &wire.ResultShare{}
	rand.Read(share.ID[:])
	for i := range d.Manifest().Params.RetentionDays {
		share.Days = append(share.Days, w.Oldest+uint32(i))
		share.Values = append(share.Values, field.ScalarField{}.FromUint64(1))
	}
	if _, err := d.Servers[0].PutResult(user, share); err != nil {
		t.Fatal(err)
	}
	reply, m = asRelay(t, d, results)
	if rs := m.(*wire.ResultResponse).Results; len(rs) != 1 {
		t.Fatalf("%d results, want 1", len(rs))
	}
	record("results: every day of the window", reply, m, wire.TypeResultResponse)

	if d.Manifest().Params.RetentionDays < 14 {
		t.Fatalf("the test deployment keeps %d days; the test wants 14 or more", d.Manifest().Params.RetentionDays)
	}
	for _, s := range sizes {
		t.Logf("%-34s %d B", s.what, s.size)
		if s.size != sizes[0].size {
			t.Errorf("the relay tells %q (%d B) from %q (%d B) by size", s.what, s.size, sizes[0].what, sizes[0].size)
		}
	}
}

// countFields are the summary fields that count records, reports or users.
var countFields = map[string]bool{"records": true, "positive_records": true, "held": true, "reports": true,
	"rejected_reports": true, "users": true, "user_days": true, "unsealable": true, "uploads": true, "rejected": true}

// checkPublicCounts fails for every count in the JSON value v (a summary
// or a list of them) that is a number below k, and adds the counts it saw
// to seen by field name.
func checkPublicCounts(t *testing.T, where string, v any, k int, seen map[string][]string) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for name, x := range v {
			if countFields[name] {
				seen[name] = append(seen[name], fmt.Sprint(x))
				switch x := x.(type) {
				case float64:
					if int(x) < k {
						t.Errorf("%s: %s = %v, an exact count below k = %d", where, name, x, k)
					}
				case string:
					if x != compute.BelowK {
						t.Errorf("%s: %s = %q", where, name, x)
					}
				default:
					t.Errorf("%s: %s = %v (%T)", where, name, x, x)
				}
				continue
			}
			checkPublicCounts(t, where, x, k, seen)
		}
	case []any:
		for _, x := range v {
			checkPublicCounts(t, where, x, k, seen)
		}
	}
}

// TestLeakSmallCounts plays an outsider after an epoch over three users and
// one positive report: it asks a party for the run's status (an
// unauthenticated StatusRequest through the relay) and reads GET /v1/epochs,
// and finds no count below k: the users (3) and reports (1) show as "< k".
func TestLeakSmallCounts(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	k := d.Manifest().Params.KAnonymity
	if k <= 3 {
		t.Fatalf("k = %d; the test needs k > 3", k)
	}
	vs, _ := honestStory(t, d)
	runEpoch(t, d, vs[0].c)
	id := lastRunID(t, d)

	_, m := asRelay(t, d, func(rk [wire.KeySize]byte) wire.Message {
		return &wire.StatusRequest{ReplyKey: rk, Name: "exposure", RunID: id}
	})
	st, ok := m.(*wire.RunStatus)
	if !ok || st.State != wire.RunDone {
		t.Fatalf("status request answered %T %+v", m, m)
	}
	var status any
	if err := json.Unmarshal([]byte(st.Text), &status); err != nil {
		t.Fatalf("status text %q: %v", st.Text, err)
	}
	seen := map[string][]string{}
	checkPublicCounts(t, "status reply", status, k, seen)

	rec := httptest.NewRecorder()
	d.Servers[0].HTTPHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/epochs", nil))
	var epochs any
	if err := json.Unmarshal(rec.Body.Bytes(), &epochs); err != nil {
		t.Fatalf("/v1/epochs: %v: %s", err, rec.Body.String())
	}
	checkPublicCounts(t, "/v1/epochs", epochs, k, seen)
	for _, name := range []string{"users", "reports"} {
		if len(seen[name]) < 2 {
			t.Errorf("%s: seen %v, want it in the status reply and /v1/epochs", name, seen[name])
		}
		for _, v := range seen[name] {
			if v != compute.BelowK {
				t.Errorf("%s shown as %s", name, v)
			}
		}
	}

	// /metrics, scraped now and two hours later (after the slots of the
	// four uploads): no exact count below k, and the epoch's users and
	// reports marked as below k.
	for range 2 {
		body := scrape(t, d, 0)
		checkMetricCounts(t, body, k)
		m := samples(t, body)
		for _, name := range []string{"users", "reports"} {
			if _, ok := m[`safetrace_party_epoch_count{count="`+name+`"}`]; ok {
				t.Errorf("/metrics shows the epoch's %s", name)
			}
			if m[`safetrace_party_epoch_below_k{count="`+name+`"}`] != 1 {
				t.Errorf("/metrics does not mark the epoch's %s as below k", name)
			}
		}
		later := time.Now().Add(2 * time.Hour)
		server.SetMetricsClock(d.Servers[0], func() time.Time { return later })
	}
	t.Logf("status text: %s", st.Text)
}

// scrape reads party i's /metrics (i from 0) as the operator's listener
// serves it.
func scrape(t *testing.T, d *fabrictest.Deployment, i int) string {
	t.Helper()
	rec := httptest.NewRecorder()
	d.Servers[i].HTTPHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// samples returns the metric lines of a scrape, by series.
func samples(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// countingSeries are the metric series that count people, uploads,
// reports or records. A latency histogram's buckets are not among them:
// they split a step of at least k requests published together by how long
// each took, so one bucket may hold fewer than k of them.
func countingSeries(name string) bool {
	for _, p := range []string{"safetrace_party_uploads_total", "safetrace_party_records_total", "safetrace_party_upload_retries_total",
		"safetrace_party_results_served_total", "safetrace_party_rejected_total", "safetrace_party_request_seconds_count",
		"safetrace_party_epoch_count", "safetrace_party_codes_used_total"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// checkMetricCounts fails for every counting series whose value is
// neither 0 nor at least k.
func checkMetricCounts(t *testing.T, body string, k int) {
	t.Helper()
	for name, v := range samples(t, body) {
		if countingSeries(name) && v != 0 && v < float64(k) {
			t.Errorf("/metrics: %s = %v, a count below k = %d", name, v, k)
		}
	}
}

// TestLeakMetrics plays whoever can scrape a party's /metrics and also
// knows, from the relay, exactly when each connection's request reached
// the party. Before, the counters were live and by kind: a scrape after
// each request showed which one was a positive report (uploads_total
// {kind="positive"}, codes_used_total) and which was refused, and why. Now
// no scrape between requests changes at all, nothing is counted by kind,
// counts below k are never published, and once k uploads have waited for
// the end of an hour they appear together, with the latency histograms.
func TestLeakMetrics(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	k := d.Manifest().Params.KAnonymity
	var mu sync.Mutex
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	server.SetMetricsClock(d.Servers[0], func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
	advance := func(dt time.Duration) { mu.Lock(); clock = clock.Add(dt); mu.Unlock() }
	w := d.Manifest().Params.Window(time.Now())
	codes, err := authority.Issue(d.Authority, k, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(kind wire.Kind, code string, day uint32) func([wire.KeySize]byte) wire.Message {
		u := rawUpload(t, 3, 1, day)[0]
		u.Kind, u.Code = kind, code
		return func(rk [wire.KeySize]byte) wire.Message { u.ReplyKey = rk; return u }
	}
	var token [32]byte
	rand.Read(token[:])
	requests := []struct {
		what string
		msg  func([wire.KeySize]byte) wire.Message
	}{
		{"ordinary upload", upload(wire.KindOrdinary, "", w.Today)},
		{"positive report", upload(wire.KindPositive, codes[0], w.Today)},
		{"report with a used code", upload(wire.KindPositive, codes[0], w.Today)},
		{"report with a bad code", upload(wire.KindPositive, "nope", w.Today)},
		{"upload of a bad day", upload(wire.KindOrdinary, "", w.Today+3)},
		{"result request", func(rk [wire.KeySize]byte) wire.Message { return &wire.ResultRequest{ReplyKey: rk, Token: token} }},
	}
	before := scrape(t, d, 0)
	for _, name := range []string{"kind=", "positive", "codes_used"} {
		if strings.Contains(before, name) {
			t.Errorf("/metrics mentions %q", name)
		}
	}
	for _, r := range requests {
		asRelay(t, d, r.msg)
		if after := scrape(t, d, 0); after != before {
			t.Errorf("a scrape right after the %s differs from the one before it:\n%s", r.what, diffLines(before, after))
		}
	}
	// After the hour, fewer than k uploads are still not shown.
	advance(time.Hour)
	got := scrape(t, d, 0)
	checkMetricCounts(t, got, k)
	if after := scrape(t, d, 0); after != got {
		t.Errorf("scrapes in one slot differ:\n%s", diffLines(got, after))
	}
	if v := samples(t, got)["safetrace_party_uploads_total"]; v != 0 {
		t.Errorf("uploads_total = %v after 2 uploads, k = %d", v, k)
	}
	// k-1 more uploads, half of them positive reports, and the next hour.
	for i := range k - 1 {
		if i%2 == 0 {
			asRelay(t, d, upload(wire.KindPositive, codes[1+i/2], w.Today))
		} else {
			asRelay(t, d, upload(wire.KindOrdinary, "", w.Today))
		}
	}
	if after := scrape(t, d, 0); after != got {
		t.Errorf("a scrape within the hour of the uploads differs:\n%s", diffLines(got, after))
	}
	advance(time.Hour)
	got = scrape(t, d, 0)
	checkMetricCounts(t, got, k)
	s := samples(t, got)
	for series, want := range map[string]float64{
		"safetrace_party_uploads_total":                                      float64(k + 1),
		"safetrace_party_records_total":                                      float64(k + 1),
		`safetrace_party_request_seconds_count{request="upload"}`:            float64(k + 4),
		`safetrace_party_request_seconds_bucket{request="upload",le="+Inf"}`: float64(k + 4),
		`safetrace_party_request_seconds_count{request="results"}`:           0,
		`safetrace_party_rejected_total{reason="code_used"}`:                 0,
	} {
		if s[series] != want {
			t.Errorf("%s = %v, want %v", series, s[series], want)
		}
	}
	for _, name := range []string{"kind=", "positive", "codes_used"} {
		if strings.Contains(got, name) {
			t.Errorf("/metrics mentions %q", name)
		}
	}
	t.Logf("published after two hours:\n%s", got)
}

// diffLines lists the lines of b that are not in a.
func diffLines(a, b string) string {
	old := map[string]bool{}
	for l := range strings.Lines(a) {
		old[l] = true
	}
	var out strings.Builder
	for l := range strings.Lines(b) {
		if !old[l] {
			out.WriteString("+ " + l)
		}
	}
	return out.String()
}
