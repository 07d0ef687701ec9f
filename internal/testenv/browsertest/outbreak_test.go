package browsertest_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/browsertest"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

// TestOutbreakFromAggregates runs the chain of the "Outbreak" section with
// real processes: 12 visitors upload venue check-ins of yesterday and today
// through the relay (Go client), one of them reports positive, an epoch
// runs ("safetrace epoch run"), the parties release the daily series, and
// the dashboard shows them (today's users and user-days at risk at or
// above k = 10, the rest "< k") and fits the model to them.
func TestOutbreakFromAggregates(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	mb, err := os.ReadFile(dev.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(mb)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Hash()
	p := trace.DefaultParams()
	now := time.Now().UTC()
	var cafe [32]byte
	rand.Read(cafe[:])
	// A day's visit ending an hour ago (at least 10 minutes after
	// midnight UTC; on a day before, the same time of day).
	end := now.Add(-time.Hour).Truncate(time.Minute)
	if end.Sub(end.Truncate(24*time.Hour)) < 50*time.Minute {
		end = end.Truncate(24 * time.Hour).Add(50 * time.Minute)
	}
	visit := func(daysAgo int) (time.Time, time.Time) {
		e := end.AddDate(0, 0, -daysAgo)
		return e.Add(-40 * time.Minute), e
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	upload := func(kind wire.Kind, code string, recs []trace.Record) {
		t.Helper()
		c, err := client.New(mb, h[:], nil, nil, client.WithBackoff(20*time.Millisecond, 200*time.Millisecond), client.WithAttemptWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Upload(ctx, kind, code, recs); err != nil {
			t.Fatalf("upload: %v", err)
		}
	}
	const visitors = 12
	for i := range visitors {
		var recs []trace.Record
		for d := range 2 {
			a, b := visit(d)
			r, err := trace.VenueRecords(cafe, a.Add(time.Duration(i)*time.Minute), b, p)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r...)
		}
		upload(wire.KindOrdinary, "", recs)
	}
	a, b := visit(0)
	report, err := trace.PositiveReport(trace.Report{Visits: []trace.Visit{{Secret: cafe, Arrive: a, Depart: b}}, Onset: trace.DayOf(now)}, p, now)
	if err != nil {
		t.Fatal(err)
	}
	upload(wire.KindPositive, dev.IssueCode(t), report)
	if out, err := dev.Run(ctx, "epoch", "run", "--manifest", dev.Manifest); err != nil {
		t.Fatalf("epoch: %v\n%s\n%s", err, out, dev.Log)
	}

	bctx := browsertest.NewBrowser(t, browsertest.Options{Width: 1200, Height: 2400})
	if err := chromedp.Do(bctx, chromedp.Navigate(dev.URL+"web/dashboard.html")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, `!document.getElementById("aggtable").hidden && document.querySelectorAll("#aggtable tbody tr").length > 0`, 30*time.Second)
	today := now.Format(time.DateOnly)
	row := eval[[]string](t, bctx, fmt.Sprintf(`[...document.querySelectorAll("#aggtable tbody tr")].filter(r => r.cells[0].textContent === %q).flatMap(r => [...r.cells].map(c => c.textContent))`, today))
	t.Logf("today's row: %q; %s", row, text(t, bctx, "#aggstatus"))
	if len(row) != 4 || row[1] != "< k" || row[2] != fmt.Sprint(visitors) || row[3] != fmt.Sprint(visitors) {
		t.Errorf("today's released row %q, want [%s < k %d %d]", row, today, visitors, visitors)
	}
	for _, c := range eval[[]string](t, bctx, `[...document.querySelectorAll("#aggtable tbody td, #degtable tbody td")].map(c => c.textContent)`) {
		if c != "< k" && !regexp.MustCompile(`^[0-9]+$`).MatchString(c) {
			t.Errorf("released cell %q", c)
		} else if c != "< k" && c != "0" && len(c) < 2 {
			t.Errorf("released count %q is below k = 10", c)
		}
	}
	if n := eval[int](t, bctx, `document.querySelectorAll("#degtable tbody tr").length`); n < 1 {
		t.Errorf("no degree bin released (24 user-days)")
	}

	// The fit.
	click(t, bctx, `#outbreakform button[type="submit"]`)
	waitFor(t, bctx, `document.getElementById("outbreakresult").textContent.startsWith("R0=")`, 60*time.Second)
	summary := text(t, bctx, "#outbreakresult")
	if !regexp.MustCompile(`^R0=[0-9.]+ peak_day=[0-9]+ rt_last=\S+$`).MatchString(summary) {
		t.Errorf("summary %q", summary)
	}
	if n := eval[int](t, bctx, `document.querySelectorAll("#chart-fit svg polygon.band, #chart-fit svg path.series").length`); n < 2 {
		t.Errorf("fit chart has %d band and line elements", n)
	}
	if !eval[bool](t, bctx, `document.querySelectorAll("#chart-net svg path.series").length >= 3`) {
		t.Errorf("network chart: %q", text(t, bctx, "#chart-net"))
	}
	t.Logf("fit: %s | %s", summary, text(t, bctx, "#outbreakstatus"))
	browsertest.Screenshot(t, bctx, "dashboard-outbreak")
	if strings.Contains(text(t, bctx, "#outbreakstatus"), "error") {
		t.Errorf("status %q", text(t, bctx, "#outbreakstatus"))
	}
}
