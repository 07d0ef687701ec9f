package browsertest_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/internal/testenv/browsertest"
	"github.com/safetrace/safetrace/qr/core"
)

// eval evaluates a JS expression, awaiting a Promise, and fails the test on
// error.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls cond until it holds, for up to three times d: d is what the
// wait takes on a quiet machine, and the tests share two cores with every
// other package's tests (these are bounds, not measurements).
func waitFor(t *testing.T, ctx context.Context, cond string, d time.Duration) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 3*d)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(3*d))); err != nil {
		txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
		t.Fatalf("waiting for %s: %v\npage:\n%s", cond, err, txt)
	}
}

// openApp loads the app in a fresh profile and waits until it is ready.
// clockOffset shifts the app's clock (test clock), e.g. -40 minutes.
// Scripts in before run first in every document.
func openApp(t *testing.T, dev *browsertest.Dev, o browsertest.Options, clockOffset time.Duration, path string, before ...string) context.Context {
	t.Helper()
	ctx := browsertest.NewBrowser(t, o)
	if err := chromedp.Do(ctx,
		browsertest.BeforeLoad(fmt.Sprintf("window.__safetraceClock = {offset: %d};", clockOffset.Milliseconds())+strings.Join(before, ";")),
		chromedp.Navigate(dev.URL+path)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.body.dataset.ready === "1"`, 60*time.Second)
	return ctx
}

func setClock(t *testing.T, ctx context.Context, offset time.Duration) {
	eval[any](t, ctx, fmt.Sprintf("window.__safetraceClock.offset = %d; safetraceApp.tick()", offset.Milliseconds()))
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	// Wait until the element is visible, then click it where it is now:
	// chromedp.Click aims at coordinates taken a moment before, and the
	// app's screens still move while its texts arrive, so a click by
	// position can land on the button that moved into that place.
	if err := chromedp.Do(c, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	ok, err := chromedp.Run(c, chromedp.Evaluate[bool](fmt.Sprintf(`(e => { if (!e) return false; e.scrollIntoView({block: "center"}); e.click(); return true; })(document.querySelector(%q))`, sel)))
	if err != nil || !ok {
		t.Fatalf("click %s: %v (found %v)", sel, err, ok)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf("document.querySelector(%q).textContent", sel))
}

// settledText waits until the element with the given id shows a message
// that is not a progress one (empty, or ending in "…") and returns it.
func settledText(t *testing.T, ctx context.Context, id string, d time.Duration) string {
	t.Helper()
	waitFor(t, ctx, settledJS(id), d)
	return text(t, ctx, "#"+id)
}

// settledJS is the condition of settledText.
func settledJS(id string) string {
	return fmt.Sprintf(`(s => s !== "" && !s.endsWith("…"))(document.getElementById(%q).textContent)`, id)
}

// frameVideo writes frame as the fake camera's video (three identical
// frames) and returns its path.
func frameVideo(t *testing.T, frame image.Image) string {
	t.Helper()
	video := filepath.Join(t.TempDir(), "camera.y4m")
	if err := browsertest.WriteY4M(video, frame, 3); err != nil {
		t.Fatal(err)
	}
	return video
}

// posterVideo is the fake camera's video of v's poster (browsertest.PosterFrame).
func posterVideo(t *testing.T, v *core.Venue, origin string) string {
	t.Helper()
	frame, err := browsertest.PosterFrame(v, origin)
	if err != nil {
		t.Fatal(err)
	}
	return frameVideo(t, frame)
}

// pngVideo is the fake camera's video of a PNG image of a QR code with the
// text want (browsertest.ImageFrame).
func pngVideo(t *testing.T, pngData []byte, want string) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	frame, err := browsertest.ImageFrame(img, want)
	if err != nil {
		t.Fatal(err)
	}
	return frameVideo(t, frame)
}

// TestWasmClientUploadAndFetch is issue 3's check: the client compiled to
// WebAssembly uploads through the relay to 3 party processes and fetches
// its results, inside headless Chromium.
func TestWasmClientUploadAndFetch(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	ctx := openApp(t, dev, browsertest.Options{}, -40*time.Minute, "")
	v, err := core.NewVenue("Upload Test Bar", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	// Open the poster's URL as the phone's camera app would.
	if err := chromedp.Do(ctx, chromedp.Navigate(v.URL(strings.TrimSuffix(dev.URL, "/")))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.body.dataset.ready === "1" && !document.getElementById("confirm").hidden`, 60*time.Second)
	if got := text(t, ctx, "#venue-name"); got != v.Name {
		t.Fatalf("confirm screen shows %q", got)
	}
	click(t, ctx, "#checkin")
	waitFor(t, ctx, `!document.getElementById("active").hidden`, 10*time.Second)
	setClock(t, ctx, 0)
	start := time.Now()
	click(t, ctx, "#checkout")
	waitFor(t, ctx, `safetraceApp.get("visits").then(vs => vs.length === 1 && vs[0].uploaded).then(ok => ok && safetraceApp.pending().then(n => n === 0))`, 60*time.Second)
	t.Logf("upload of a 40-minute visit completed in %v", time.Since(start).Round(time.Millisecond))
	eval[any](t, ctx, "safetraceApp.checkResults()")
	waitFor(t, ctx, `safetraceApp.get("lastCheck").then(c => c && c.risk === false)`, 30*time.Second)
	if got := text(t, ctx, "#status-text"); got != "No known exposure" {
		t.Errorf("status %q", got)
	}
	browsertest.Screenshot(t, ctx, "home-no-exposure")

	// How a day of increased risk is shown (the state an epoch leaves; the
	// full story reaches it through a real epoch): kept across a reload and
	// a new result fetch, never naming the venue.
	day := time.Now().UTC().Format(time.DateOnly)
	eval[any](t, ctx, fmt.Sprintf(`new Promise((res, rej) => { const r = indexedDB.open("safetrace"); r.onsuccess = () => { const tx = r.result.transaction("kv", "readwrite"); tx.objectStore("kv").put({time: Date.now(), risk: true, days: [%q]}, "lastCheck"); tx.oncomplete = () => res(true); tx.onerror = () => rej(tx.error); }; })`, day))
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.body.dataset.ready === "1" && document.getElementById("status-text").textContent.startsWith("Increased risk on")`, 30*time.Second)
	eval[any](t, ctx, "safetraceApp.checkResults()")
	if got := text(t, ctx, "#status"); !strings.Contains(got, "Increased risk on") || strings.Contains(got, v.Name) {
		t.Errorf("risk status %q", got)
	}
	browsertest.Screenshot(t, ctx, "home-increased-risk")
}
