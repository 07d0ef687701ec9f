package browsertest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/internal/testenv/browsertest"
	"github.com/safetrace/safetrace/qr/core"
)

// TestOffline: load once (the service worker caches the shell and the
// client), go offline, reload, check in and out; the upload waits in
// IndexedDB and completes once the network is back.
func TestOffline(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	origin := strings.TrimSuffix(dev.URL, "/")
	ctx := openApp(t, dev, browsertest.Options{}, -stay, "")
	waitFor(t, ctx, `navigator.serviceWorker.ready.then(r => !!r.active)`, 30*time.Second)
	// Reload so that the service worker controls the page and has cached
	// what the page loads.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.body.dataset.ready === "1" && !!navigator.serviceWorker.controller`, 30*time.Second)
	// Installable: Chromium finds no installability error.
	res, err := chromedp.Call(ctx, page.GetInstallabilityErrors, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.InstallabilityErrors {
		t.Errorf("not installable: %s", e.ErrorID)
	}
	if err := chromedp.Do(ctx, browsertest.Offline(true)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.body.dataset.ready === "1"`, 30*time.Second)
	// Chromium (148) drops the override of navigator.onLine at a
	// navigation, while the requests stay cut: set it again.
	if err := chromedp.Do(ctx, browsertest.Offline(true)); err != nil {
		t.Fatal(err)
	}
	if online := eval[bool](t, ctx, "navigator.onLine"); online {
		t.Error("navigator.onLine is true under offline emulation")
	}
	if got := eval[string](t, ctx, `fetch("api/status").then(() => "reachable", () => "unreachable")`); got != "unreachable" {
		t.Errorf("offline, the server is %s", got)
	}
	if !eval[bool](t, ctx, "!!navigator.serviceWorker.controller") {
		t.Error("the offline page is not served by the service worker")
	}
	v, err := core.NewVenue("Offline Bistro", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	click(t, ctx, "#scan")
	eval[any](t, ctx, fmt.Sprintf(`document.getElementById("paste").value = %q`, v.URL(origin)))
	click(t, ctx, "#paste-go")
	waitFor(t, ctx, `!document.getElementById("confirm").hidden`, 20*time.Second)
	checkIn(t, ctx)
	setClock(t, ctx, 0)
	click(t, ctx, "#checkout")
	waitFor(t, ctx, `safetraceApp.get("visits").then(vs => vs[0].uploaded)`, 20*time.Second)
	time.Sleep(2 * time.Second)
	if n := eval[int](t, ctx, "safetraceApp.pending()"); n != 1 {
		t.Fatalf("offline: %d uploads pending, want 1", n)
	}
	waitFor(t, ctx, `document.getElementById("queue").textContent.includes("waiting")`, 10*time.Second)
	browsertest.Screenshot(t, ctx, "offline-queued")
	start := time.Now()
	if err := chromedp.Do(ctx, browsertest.Offline(false)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `safetraceApp.pending().then(n => n === 0)`, 60*time.Second)
	t.Logf("the queued upload completed %v after the network came back", time.Since(start).Round(time.Millisecond))
}

// TestGeolocation: with the permission granted and a CDP position the app
// records cells, never coordinates; with it denied it says so.
func TestGeolocation(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	origin := strings.TrimSuffix(dev.URL, "/")
	ctx := openApp(t, dev, browsertest.Options{}, 0, "")
	if eval[bool](t, ctx, `safetraceApp.get("gpsOn").then(v => !!v)`) {
		t.Fatal("location history is on by default")
	}
	if err := chromedp.Do(ctx, browsertest.Geolocation(origin, latMunich, lonMunich, 25)); err != nil {
		t.Fatal(err)
	}
	enableGPS(t, ctx)
	cells := eval[string](t, ctx, `safetraceApp.get("cells").then(c => JSON.stringify(c))`)
	if !strings.Contains(cells, `"cell":"u281z`) || strings.Contains(cells, "48.13") {
		t.Errorf("stored cells %s: want geohash u281z…, no coordinates", cells)
	}

	denied := openApp(t, dev, browsertest.Options{}, 0, "")
	if err := chromedp.Do(denied, browsertest.DenyGeolocation(origin)); err != nil {
		t.Fatal(err)
	}
	click(t, denied, `[data-go="gps"]`)
	click(t, denied, "#gps-on")
	waitFor(t, denied, `document.getElementById("gps-msg").textContent.includes("denied")`, 20*time.Second)
	if eval[bool](t, denied, `document.getElementById("gps-on").checked`) {
		t.Error("the switch stays on after a denial")
	}
	browsertest.Screenshot(t, denied, "gps-denied")
}
