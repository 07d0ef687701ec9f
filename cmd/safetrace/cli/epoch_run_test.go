package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

// TestProcessesEpochRun runs the exposure epoch in real party processes,
// started with "safetrace epoch run", and checks the users' results against
// the oracle.
func TestProcessesEpochRun(t *testing.T) {
	pd := newProcDeployment(t)
	p := trace.DefaultParams()
	now := time.Now().UTC()
	at := func(ago time.Duration) time.Time { return now.Add(-ago).Truncate(time.Minute) }
	var venue [32]byte
	rand.Read(venue[:])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	upload := func(c *client.Client, kind wire.Kind, code string, recs []trace.Record) {
		if _, err := c.Upload(ctx, kind, code, recs); err != nil {
			t.Fatal(err)
		}
	}
	visit := func(from, to time.Duration) []trace.Record {
		recs, err := trace.VenueRecords(venue, at(from), at(to), p)
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	near, far := pd.client(t), pd.client(t)
	nearRecs, farRecs := visit(3*time.Hour, 2*time.Hour), visit(30*time.Hour, 29*time.Hour)
	upload(near, wire.KindOrdinary, "", nearRecs)
	upload(far, wire.KindOrdinary, "", farRecs)
	report, err := trace.PositiveReport(trace.Report{
		Visits: []trace.Visit{{Secret: venue, Arrive: at(3*time.Hour + 30*time.Minute), Depart: at(2*time.Hour + 40*time.Minute)}},
		Onset:  trace.DayOf(now),
	}, p, now)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := authority.Issue(pd.d.Authority, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	upload(pd.client(t), wire.KindPositive, codes[0], report)

	// With a party down the run fails everywhere and stores no result;
	// once the party is back, a new run succeeds.
	pd.stop("party3", syscall.SIGKILL)
	var out bytes.Buffer
	if err := computeRunCmd(ctx, "epoch run", "exposure", []string{"--manifest", pd.mpath, "--timeout", "40s"}, &out); err == nil {
		t.Fatalf("epoch run without party 3 succeeded:\n%s", out.String())
	}
	if n := strings.Count(out.String(), "failed"); n != 2 {
		t.Errorf("want 2 parties reporting failure:\n%s", out.String())
	}
	if res, err := near.FetchResults(ctx); err != nil || len(res.Results) != 0 {
		t.Fatalf("results after a failed run: %+v, %v", res, err)
	}
	pd.start("party3")
	out.Reset()
	if err := computeRunCmd(ctx, "epoch run", "exposure", []string{"--manifest", pd.mpath, "--timeout", "90s"}, &out); err != nil {
		t.Fatalf("epoch run: %v\n%s\nparty 1 log:\n%s", err, out.String(), pd.logs["party1"].String())
	}
	if !strings.Contains(out.String(), "done at all 3 parties") {
		t.Fatalf("epoch run printed:\n%s", out.String())
	}
	want := trace.Oracle([]trace.Upload{
		{User: "positive", Positive: true, Records: report},
		{User: "near", Records: nearRecs},
		{User: "far", Records: farRecs},
	}, p)
	for name, c := range map[string]*client.Client{"near": near, "far": far} {
		res, err := c.FetchResults(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Results) != 1 {
			t.Fatalf("%s: %d results", name, len(res.Results))
		}
		var days []trace.Day
		for i, d := range res.Results[0].Days {
			if res.Results[0].Values[i] == 1 {
				days = append(days, trace.Day(d))
			}
		}
		slices.Sort(days)
		if !slices.Equal(days, want[name].Days) {
			t.Errorf("%s: days at risk %v, oracle %v", name, days, want[name].Days)
		}
	}
	if len(want["near"].Days) == 0 || len(want["far"].Days) != 0 {
		t.Fatalf("the oracle should put near at risk and not far: %+v", want)
	}
}
