package browsertest_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/internal/testenv/browsertest"
	"github.com/safetrace/safetrace/qr/core"
)

// stay is how long visitors A and B stay, instantly, with the test clock.
const stay = 40 * time.Minute

// Coordinates of the GPS part: B and D overlap, C is elsewhere.
const (
	latMunich, lonMunich = 48.137154, 11.576124
	latBerlin, lonBerlin = 52.520008, 13.404954
)

// checkInWithCamera scans the poster the fake camera shows and checks in.
func checkInWithCamera(t *testing.T, ctx context.Context, venue string) {
	t.Helper()
	click(t, ctx, "#scan")
	waitFor(t, ctx, `!document.getElementById("confirm").hidden`, 30*time.Second)
	if got := text(t, ctx, "#venue-name"); got != venue {
		t.Fatalf("confirm screen shows %q, want %q", got, venue)
	}
}

func checkIn(t *testing.T, ctx context.Context) {
	t.Helper()
	click(t, ctx, "#checkin")
	waitFor(t, ctx, `!document.getElementById("active").hidden`, 10*time.Second)
}

// checkOut advances the clock by the stay, checks out and waits until the
// visit's records are receipted by every party.
func checkOut(t *testing.T, ctx context.Context) {
	t.Helper()
	setClock(t, ctx, 0)
	click(t, ctx, "#checkout")
	waitFor(t, ctx, `safetraceApp.get("visits").then(vs => vs.every(v => v.uploaded)).then(ok => ok && safetraceApp.pending().then(n => n === 0))`, 60*time.Second)
}

// enableGPS turns the location history on and waits for a cell.
func enableGPS(t *testing.T, ctx context.Context) {
	t.Helper()
	click(t, ctx, `[data-go="gps"]`)
	click(t, ctx, "#gps-on")
	waitFor(t, ctx, `safetraceApp.get("cells").then(c => c && c.length > 0)`, 20*time.Second)
	if !eval[bool](t, ctx, `document.getElementById("gps-on").checked`) {
		t.Error("the location switch shows off while recording")
	}
}

// uploadGPS advances the clock and uploads the cells.
func uploadGPS(t *testing.T, ctx context.Context) {
	t.Helper()
	setClock(t, ctx, 0)
	eval[any](t, ctx, "safetraceApp.periodicUpload()")
	waitFor(t, ctx, `safetraceApp.get("cells").then(c => c.every(x => x.uploaded)).then(ok => ok && safetraceApp.pending().then(n => n === 0))`, 60*time.Second)
}

// onePlural matches a count of one with a plural noun ("1 records").
var onePlural = regexp.MustCompile(`(^|[^0-9.,])1 (records|Einträge|check-in periods|location periods|encounter days|Check-in-Zeiträume|Standort-Zeiträume|Begegnungstage)`)

// report enters a code and onset day, checks the preview and sends; it
// returns the message shown.
func report(t *testing.T, ctx context.Context, code, forbidden string) string {
	t.Helper()
	click(t, ctx, `[data-go="report"]`)
	day := time.Now().UTC().Format(time.DateOnly)
	eval[any](t, ctx, fmt.Sprintf(`document.getElementById("code").value = %q; document.getElementById("onset").value = %q; document.getElementById("report-msg").textContent = ""`, code, day))
	click(t, ctx, `#report-form button[type="submit"]`)
	waitFor(t, ctx, `!document.getElementById("report-preview").hidden`, 10*time.Second)
	preview := text(t, ctx, "#report-preview")
	if forbidden != "" && strings.Contains(preview, forbidden) {
		t.Errorf("the report preview names the venue: %q", preview)
	}
	if m := onePlural.FindString(preview); m != "" {
		t.Errorf("the report preview says %q: %q", m, preview)
	}
	browsertest.Screenshot(t, ctx, "report-preview")
	click(t, ctx, "#consent")
	click(t, ctx, "#report-send")
	return settledText(t, ctx, "report-msg", 60*time.Second)
}

// TestFullStory: visitor A scans a poster through the fake camera and stays
// 40 minutes; B was there at the same time (opening the poster's URL, as a
// phone's camera app does) and also recorded GPS cells; B reports a positive
// test with a code from "safetrace authority issue"; D was in B's GPS cell;
// C was elsewhere. After an epoch ("safetrace epoch run") A and D see
// increased risk and C sees none.
func TestFullStory(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	origin := strings.TrimSuffix(dev.URL, "/")
	venue, err := core.NewVenue("Café Story", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	venue.Room = "Saal 2"
	other, err := core.NewVenue("Elsewhere Gym", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	video := posterVideo(t, venue, origin)

	// A: camera scan, 40 minutes, check out.
	a := openApp(t, dev, browsertest.Options{Video: video}, -stay, "")
	checkInWithCamera(t, a, venue.Name)
	browsertest.Screenshot(t, a, "confirm")
	checkIn(t, a)
	setClock(t, a, -stay+17*time.Minute)
	browsertest.Screenshot(t, a, "checked-in")
	checkOut(t, a)
	decodes := eval[[]float64](t, a, "window.__stPerf.decodeMs")
	t.Logf("A: checked in through the camera after %d decoded frames", len(decodes))

	// B: poster URL, GPS in Munich, 40 minutes, check out.
	b := openApp(t, dev, browsertest.Options{}, -stay, "")
	if err := chromedp.Do(b, browsertest.Geolocation(origin, latMunich, lonMunich, 20)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.Navigate(venue.URL(origin))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `!document.getElementById("confirm").hidden && document.getElementById("venue-room").textContent.includes("Saal 2")`, 30*time.Second)
	checkIn(t, b)
	enableGPS(t, b)
	browsertest.Screenshot(t, b, "gps-on")
	click(t, b, `[data-go="home"]`)
	checkOut(t, b)
	uploadGPS(t, b)

	// C: elsewhere (another venue, GPS in Berlin).
	c := openApp(t, dev, browsertest.Options{}, -stay, "")
	if err := chromedp.Do(c, browsertest.Geolocation(origin, latBerlin, lonBerlin, 20)); err != nil {
		t.Fatal(err)
	}
	click(t, c, "#scan")
	browsertest.Screenshot(t, c, "scanner")
	eval[any](t, c, fmt.Sprintf(`document.getElementById("paste").value = %q`, other.URL(origin)))
	click(t, c, "#paste-go")
	waitFor(t, c, `!document.getElementById("confirm").hidden`, 20*time.Second)
	checkIn(t, c)
	enableGPS(t, c)
	click(t, c, `[data-go="home"]`)
	checkOut(t, c)
	uploadGPS(t, c)

	// D: GPS in B's cell at the same time.
	d := openApp(t, dev, browsertest.Options{}, -stay, "")
	if err := chromedp.Do(d, browsertest.Geolocation(origin, latMunich+0.0002, lonMunich-0.0002, 15)); err != nil {
		t.Fatal(err)
	}
	enableGPS(t, d)
	if cb, cd := eval[string](t, b, `safetraceApp.get("cells").then(c => c[0].cell)`), eval[string](t, d, `safetraceApp.get("cells").then(c => c[0].cell)`); cb != cd {
		t.Fatalf("B's cell %s and D's cell %s differ", cb, cd)
	}
	uploadGPS(t, d)

	// B reports a positive test; the code works once.
	code := dev.IssueCode(t)
	if msg := report(t, b, code, venue.Name); !strings.Contains(msg, "Thank you") {
		t.Fatalf("report: %q", msg)
	}
	browsertest.Screenshot(t, b, "report-sent")
	if msg := report(t, b, code, ""); !strings.Contains(msg, "already used") {
		t.Errorf("a used code: %q", msg)
	}
	if msg := report(t, b, "not-a-code", ""); !strings.Contains(msg, "not valid") {
		t.Errorf("a bad code: %q", msg)
	}
	browsertest.Screenshot(t, b, "report-bad-code")

	// The epoch.
	ectx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := dev.Run(ectx, "epoch", "run", "--manifest", dev.Manifest)
	if err != nil && (strings.Contains(err.Error(), "unknown") || strings.Contains(err.Error(), "usage")) {
		t.Logf("safetrace epoch run is not available on this branch yet; the last step (results after an epoch) is left out: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("epoch: %v\n%s\n%s", err, out, dev.Log)
	}
	t.Logf("epoch: %s", out)
	for name, ctx := range map[string]context.Context{"A": a, "C": c, "D": d} {
		eval[any](t, ctx, "safetraceApp.checkResults()")
		waitFor(t, ctx, `safetraceApp.get("lastCheck").then(c => c !== null)`, 30*time.Second)
		risk := eval[bool](t, ctx, `safetraceApp.get("lastCheck").then(c => c.risk)`)
		status := text(t, ctx, "#status-text")
		t.Logf("%s: %s", name, status)
		if want := name != "C"; risk != want {
			t.Errorf("%s: risk %v, want %v (%q)", name, risk, want, status)
		}
		// Results are acknowledged and deleted at the parties; the app
		// keeps the days of risk.
		eval[any](t, ctx, "safetraceApp.checkResults()")
		if again := eval[bool](t, ctx, `safetraceApp.get("lastCheck").then(c => c.risk)`); again != risk {
			t.Errorf("%s: risk %v after a second check, was %v", name, again, risk)
		}
		if strings.Contains(eval[string](t, ctx, `document.getElementById("home").innerText`), venue.Name) {
			t.Errorf("%s: the home screen names the venue", name)
		}
	}
	click(t, a, `[data-go="home"]`)
	browsertest.Screenshot(t, a, "home-increased-risk-after-epoch")
	checkDashboard(t, dev, c)
}

// checkDashboard opens the dashboard in ctx's tab after the epoch (and a
// simulated region-map computation): the epoch tables have a row with a
// duration, the chart is drawn and the region map shows released regions.
func checkDashboard(t *testing.T, dev *browsertest.Dev, ctx context.Context) {
	t.Helper()
	start := time.Now()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	regionMap := true
	if out, err := dev.Run(sctx, "compute", "simulate", "region-map", "--manifest", dev.Manifest, "--participants", "40", "--seed", "1"); err != nil {
		t.Errorf("region map simulation: %v\n%s", err, out)
		regionMap = false
	}
	simulated := time.Since(start)
	if err := chromedp.Do(ctx, chromedp.Navigate(dev.URL+"web/dashboard.html")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelectorAll("#epochtables tbody tr").length > 0`, 20*time.Second)
	// A row with a duration: the "seconds" column holds a number > 0.
	if !eval[bool](t, ctx, `[...document.querySelectorAll("#epochtables table")].some(tb => {
		const i = [...tb.tHead.rows[0].cells].findIndex(c => c.textContent === "seconds");
		return i >= 0 && [...tb.tBodies[0].rows].some(r => Number(r.cells[i].textContent) > 0);
	})`) {
		t.Errorf("no epoch with a duration: %q", text(t, ctx, "#epochtables"))
	}
	waitFor(t, ctx, `!document.getElementById("epochchartfig").hidden && document.querySelectorAll("#epochchart svg rect").length > 0`, 10*time.Second)
	if regionMap {
		waitFor(t, ctx, `!document.getElementById("maptable").hidden && document.querySelectorAll("#maptable tbody tr").length > 0`, 20*time.Second)
		t.Logf("region map: %s", text(t, ctx, "#mapstatus"))
	}
	browsertest.Screenshot(t, ctx, "dashboard-after-epoch")
	t.Logf("dashboard with data: %v (simulation %v)", time.Since(start).Round(time.Millisecond), simulated.Round(time.Millisecond))
}
