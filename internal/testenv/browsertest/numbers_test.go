package browsertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/internal/testenv/browsertest"
	"github.com/safetrace/safetrace/qr/core"
)

// decodeJS decodes the camera's current frame n times with the Go decoder
// and returns the times in milliseconds and the last text.
const decodeJS = `(async (n, whole) => {
  const s = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}});
  const v = document.createElement("video");
  v.muted = true; v.srcObject = s; await v.play();
  while (!v.videoWidth) await new Promise(r => setTimeout(r, 50));
  await new Promise(r => setTimeout(r, 300));
  const c = document.createElement("canvas");
  c.width = v.videoWidth; c.height = v.videoHeight;
  const ctx = c.getContext("2d", {willReadFrequently: true});
  const ms = [], wholeMs = []; let text = "", reads = 0;
  for (let i = 0; i < n; i++) {
    ctx.drawImage(v, 0, 0);
    const img = ctx.getImageData(0, 0, c.width, c.height);
    const t0 = performance.now();
    const got = await safetrace.app.decode(img.data, img.width, img.height);
    ms.push(performance.now() - t0);
    if (got) { text = got; reads++; }
    if (whole) { // the whole chain on the same frame, for comparison
      const t1 = performance.now();
      await safetrace.app.decode(img.data, img.width, img.height, true);
      wholeMs.push(performance.now() - t1);
    }
  }
  s.getTracks().forEach(t => t.stop());
  return {ms, wholeMs, text, reads, w: c.width, h: c.height};
})`

type decodeRun struct {
	MS    []float64 `json:"ms"`
	Whole []float64 `json:"wholeMs"`
	Text  string    `json:"text"`
	Reads int       `json:"reads"`
	W, H  int
}

// runDecode decodes n camera frames in the page (see decodeJS), each also
// with the whole chain if whole is set.
func runDecode(t *testing.T, ctx context.Context, n int, whole bool) decodeRun {
	t.Helper()
	var d decodeRun
	raw := eval[string](t, ctx, fmt.Sprintf("(%s)(%d, %v).then(JSON.stringify)", decodeJS, n, whole))
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// moduleSizes returns the raw, gzip and brotli sizes of a built file, as
// "make wasm" wrote them (name, name.gz, name.br).
func moduleSizes(t *testing.T, name string) (raw, gz, br int) {
	t.Helper()
	dist := filepath.Join(browsertest.WebRoot(t), "web", "dist")
	size := func(f string) int {
		fi, err := os.Stat(filepath.Join(dist, f))
		if err != nil {
			t.Fatal(err)
		}
		return int(fi.Size())
	}
	return size(name), size(name + ".gz"), size(name + ".br")
}

// writeNumbers writes nums to test-artifacts/numbers.json: the unthrottled
// figures replace the file but for its "throttled" object, which the
// throttled test replaces.
func writeNumbers(t *testing.T, nums map[string]any) {
	out, _ := json.MarshalIndent(nums, "", "  ")
	t.Logf("numbers:\n%s", out)
	dir := filepath.Join(browsertest.ModuleRoot(t), "test-artifacts")
	os.MkdirAll(dir, 0o755)
	file := filepath.Join(dir, "numbers.json")
	old := map[string]any{}
	if b, err := os.ReadFile(file); err == nil {
		json.Unmarshal(b, &old)
	}
	all := map[string]any{}
	if _, ok := nums["throttled"]; ok {
		all = old
	} else if th, ok := old["throttled"]; ok {
		all["throttled"] = th
	}
	maps.Copy(all, nums)
	out, _ = json.MarshalIndent(all, "", "  ")
	os.WriteFile(file, out, 0o644)
}

// benchRun is one safetraceApp.bench(1000).
type benchRun struct {
	DeriveMS    float64 `json:"derive_ms"`
	ShareMS     float64 `json:"share_ms"`
	WorkMS      float64 `json:"work_ms"`
	Envelopes   int     `json:"envelopes"`
	WorkBits    int     `json:"work_bits"`
	VisitSealMS float64 `json:"visit_seal_ms"`
	VisitWorkMS float64 `json:"visit_work_ms"`
	VisitBytes  int     `json:"visit_envelope_bytes"`
}

// runBench runs the records benchmark n times and returns the medians.
func runBench(t *testing.T, ctx context.Context, n int) (med benchRun) {
	t.Helper()
	var runs []benchRun
	for range n {
		var b benchRun
		raw := eval[string](t, ctx, "safetraceApp.bench(1000).then(JSON.stringify)")
		if err := json.Unmarshal([]byte(raw), &b); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, b)
	}
	pick := func(f func(benchRun) float64) float64 {
		var xs []float64
		for _, r := range runs {
			xs = append(xs, f(r))
		}
		return median(xs)
	}
	med = runs[0]
	med.DeriveMS = pick(func(r benchRun) float64 { return r.DeriveMS })
	med.ShareMS = pick(func(r benchRun) float64 { return r.ShareMS })
	med.WorkMS = pick(func(r benchRun) float64 { return r.WorkMS })
	med.VisitSealMS = pick(func(r benchRun) float64 { return r.VisitSealMS })
	med.VisitWorkMS = pick(func(r benchRun) float64 { return r.VisitWorkMS })
	return med
}

// budget checks a measured figure: the target is logged as met or
// missed, and only a value over the (generous) budget fails the test, so a
// busy machine does not make it flaky.
func budget(t *testing.T, name string, got, target, limit float64) {
	t.Helper()
	verdict := "target met"
	if got > target {
		verdict = "TARGET MISSED"
	}
	t.Logf("%-34s %10.1f  target %8.1f  budget %8.1f  %s", name, got, target, limit, verdict)
	if got > limit {
		t.Errorf("%s = %.1f, over the budget of %.1f (target %.1f)", name, got, limit, target)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestAppNumbers measures the figures docs/app.md reports: the modules'
// sizes, time to interactive (cold and from the service worker), the Go QR
// decoder per camera frame in the browser, and sharing and sealing 1,000
// records in the browser. They go to the log and test-artifacts/numbers.json.
// It checks the module split (the visitor app's module has no PDF writer)
// and the frame cost.
func TestAppNumbers(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	origin := strings.TrimSuffix(dev.URL, "/")
	nums := map[string]any{}

	assets := browsertest.Assets(t)
	for _, m := range []string{"app", "poster"} {
		raw, gz, br := moduleSizes(t, assets[m+".wasm"])
		nums[m+"_wasm_bytes"], nums[m+"_wasm_gzip_bytes"], nums[m+"_wasm_brotli_bytes"] = raw, gz, br
	}
	app, err := os.ReadFile(filepath.Join(browsertest.WebRoot(t), "web", "dist", assets["app.wasm"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"go-pdf/fpdf", "x/image/font", "wasm/internal/posterkit", "safetrace/party/"} {
		if bytes.Contains(app, []byte(pkg)) {
			t.Errorf("the visitor app's module contains %s", pkg)
		}
	}
	budget(t, "app module gzip (MB)", float64(nums["app_wasm_gzip_bytes"].(int))/1e6, 2.0, 2.6)
	budget(t, "app module brotli (MB)", float64(nums["app_wasm_brotli_bytes"].(int))/1e6, 2.0, 2.1)

	v, err := core.NewVenue("Numbers Café", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	video := posterVideo(t, v, origin)
	ctx := openApp(t, dev, browsertest.Options{Video: video}, 0, "")
	nums["tti_cold_ms"], nums["module_ready_cold_ms"] = startTimes(t, ctx)
	waitFor(t, ctx, `navigator.serviceWorker.ready.then(r => !!r.active)`, 30*time.Second)
	for range 2 { // the second reload is served by the active worker
		if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `document.body.dataset.ready === "1"`, 30*time.Second)
	}
	nums["tti_warm_ms"], nums["module_ready_warm_ms"] = startTimes(t, ctx)

	d := runDecode(t, ctx, 15, false)
	if d.Text != v.URL(origin) || d.Reads < 7 {
		t.Errorf("decoded %q in %d of 15 frames from the camera", d.Text, d.Reads)
	}
	nums["decode_ms_median_code"] = median(d.MS[1:])
	nums["decode_frames_read_of_15"] = d.Reads

	plain := openApp(t, dev, browsertest.Options{}, 0, "") // Chromium's test pattern, no code
	d = runDecode(t, plain, 25, true)
	t.Logf("frames without a code (ms): %.0f", d.MS)
	t.Logf("the same frames, whole chain (ms): %.0f", d.Whole)
	scanMed, wholeMed := median(d.MS[1:]), median(d.Whole[1:])
	nums["decode_ms_median_nocode"], nums["decode_ms_median_nocode_whole_chain"] = scanMed, wholeMed
	nums["decode_ms_max_nocode"] = slices.Max(d.MS[1:])
	// The absolute figure depends on the machine's load; the ratio to the
	// whole chain, measured on the same frames at the same time, does not.
	budget(t, "frame without a code, median (ms)", scanMed, 15, 60)
	budget(t, "frame without a code / whole chain", scanMed/wholeMed, 0.3, 0.5)

	b := runBench(t, ctx, 3)
	nums["records_1000_derive_ms"], nums["records_1000_share_seal_ms"] = b.DeriveMS, b.ShareMS
	nums["records_1000_work_ms"], nums["records_1000_envelopes"] = b.WorkMS, b.Envelopes
	nums["visit_seal_ms"], nums["visit_work_ms"], nums["work_bits"] = b.VisitSealMS, b.VisitWorkMS, b.WorkBits
	nums["decode_frame"] = "640x480"
	writeNumbers(t, nums)
}

// startTimes returns the two times of a start, in milliseconds from
// navigation: the app interactive (the home screen drawn from what the
// phone keeps, with its texts, and its buttons working; no Go needed) and
// the module ready (the Go client running in its worker, the manifest
// verified: what "time to interactive" meant before the app drew its home
// screen without it).
func startTimes(t *testing.T, ctx context.Context) (interactive, module float64) {
	t.Helper()
	return eval[float64](t, ctx, "window.__stPerf.interactive"), eval[float64](t, ctx, "window.__stPerf.ttiFromNav")
}

// measured logs a figure that has no target of the issue, and fails past
// the budget.
func measured(t *testing.T, name string, got, limit float64) {
	t.Helper()
	t.Logf("%-34s %10.1f  %15s  budget %8.1f", name, got, "", limit)
	if got > limit {
		t.Errorf("%s = %.1f, over the budget of %.1f", name, got, limit)
	}
}

// TestAppNumbersThrottled measures the app on an older phone
// (browsertest.SlowPhone: CPU 4x slower, 1.6 Mbit/s down, 150 ms latency)
// and checks the targets with generous budgets. The app as it is
// (its Go module in a worker): time to interactive cold and from the
// service worker, the delay of a real tap on a tab while the module still
// downloads, and when the module is ready. Chromium throttles a worker's
// network but not its CPU (browsertest.throttleWorkers), so the figures of
// Go's CPU cost are measured with the module in the page
// (window.__safetraceGoInPage, web/go.js), where the CPU throttling
// applies: the module ready cold and warm, a poster in the fake camera
// checked in after opening the scanner, 1,000 records shared and sealed,
// the proof of work of an upload. The figures go to
// test-artifacts/numbers.json under "throttled".
func TestAppNumbersThrottled(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	origin := strings.TrimSuffix(dev.URL, "/")
	nums := map[string]any{"profile": "CPU 4x, 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency"}

	v, err := core.NewVenue("Slow Phone Café", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	video := posterVideo(t, v, origin)
	o := browsertest.Options{Video: video, Throttle: browsertest.SlowPhone, Timeout: 6 * time.Minute}

	// The app as it is: the home screen first, the module in its worker.
	ctx := browsertest.NewBrowser(t, o)
	if err := chromedp.Do(ctx, browsertest.BeforeLoad("window.__safetraceClock = {offset: 0};"), chromedp.Navigate(dev.URL)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.body.dataset.interactive === "1"`, 60*time.Second)
	// A real tap (through the browser's input, queued behind whatever
	// runs on the main thread) on a tab while the module downloads: the
	// Event Timing API's first input gives its delay until the handler ran
	// and its duration until the next paint.
	if eval[bool](t, ctx, `document.body.dataset.ready === "1"`) {
		t.Errorf("the module was ready before the tap: the home screen waited for it, or the download was not throttled")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.tabs [data-go="visits"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `!document.getElementById("visits").hidden`, 10*time.Second)
	var fi struct{ Delay, Duration float64 }
	if err := json.Unmarshal([]byte(eval[string](t, ctx, `new Promise(r => { const get = () => { const e = performance.getEntriesByType("first-input")[0]; if (e) r(JSON.stringify({delay: e.processingStart - e.startTime, duration: e.duration})); else setTimeout(get, 50); }; get(); })`)), &fi); err != nil {
		t.Fatal(err)
	}
	loadingAfterTap := eval[bool](t, ctx, `document.body.dataset.ready !== "1"`)
	click(t, ctx, `.tabs [data-go="home"]`)
	waitFor(t, ctx, `document.body.dataset.ready === "1"`, 60*time.Second)
	cold, coldModule := startTimes(t, ctx)
	t.Logf("cold start: %s", eval[string](t, ctx, "JSON.stringify(window.__stPerf.marks)"))
	waitFor(t, ctx, `navigator.serviceWorker.ready.then(r => !!r.active)`, 60*time.Second)
	for range 2 {
		if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `document.body.dataset.ready === "1"`, 60*time.Second)
	}
	warm, warmModule := startTimes(t, ctx)
	t.Logf("warm start: %s", eval[string](t, ctx, "JSON.stringify(window.__stPerf.marks)"))

	// The module's CPU cost: the same app with the module in the page.
	ctx = openApp(t, dev, o, 0, "", "window.__safetraceGoInPage = true")
	_, coldInPage := startTimes(t, ctx)
	t.Logf("cold start, module in the page: %s", eval[string](t, ctx, "JSON.stringify(window.__stPerf.marks)"))
	waitFor(t, ctx, `navigator.serviceWorker.ready.then(r => !!r.active)`, 60*time.Second)
	for range 2 {
		if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `document.body.dataset.ready === "1"`, 60*time.Second)
	}
	_, warmInPage := startTimes(t, ctx)
	t.Logf("warm start, module in the page: %s", eval[string](t, ctx, "JSON.stringify(window.__stPerf.marks)"))

	// From the tap on "scan" to the confirmation screen with the venue.
	scan := eval[float64](t, ctx, `(async () => {
  const t0 = performance.now();
  document.getElementById("scan").click();
  while (document.getElementById("confirm").hidden) await new Promise(r => setTimeout(r, 20));
  return performance.now() - t0;
})()`)
	if got := text(t, ctx, "#venue-name"); got != v.Name {
		t.Errorf("confirm screen shows %q", got)
	}
	click(t, ctx, "#checkin")
	waitFor(t, ctx, `!document.getElementById("active").hidden`, 20*time.Second)

	b := runBench(t, ctx, 3)

	nums["tti_cold_ms"], nums["tti_warm_ms"] = cold, warm
	nums["first_input_delay_ms"], nums["first_input_duration_ms"], nums["first_input_while_module_loads"] = fi.Delay, fi.Duration, loadingAfterTap
	nums["module_ready_cold_ms"], nums["module_ready_warm_ms"] = coldModule, warmModule
	nums["module_ready_cold_in_page_ms"], nums["module_ready_warm_in_page_ms"] = coldInPage, warmInPage
	nums["worker_cpu"] = "not throttled (Chromium); the *_in_page_*, scan, records and visit figures ran the module in the page, CPU throttled"
	nums["scan_to_confirm_ms"] = scan
	nums["records_1000_share_seal_ms"], nums["records_1000_work_ms"], nums["records_1000_envelopes"] = b.ShareMS, b.WorkMS, b.Envelopes
	nums["records_1000_share_seal_without_work_ms"] = b.ShareMS - b.WorkMS
	nums["visit_seal_ms"], nums["visit_work_ms"], nums["work_bits"] = b.VisitSealMS, b.VisitWorkMS, b.WorkBits
	writeNumbers(t, map[string]any{"throttled": nums})

	budget(t, "throttled: cold time to interactive (ms)", cold, 3000, 10000)
	budget(t, "throttled: warm time to interactive (ms)", warm, 1000, 5000)
	budget(t, "throttled: first input delay (ms)", fi.Delay, 100, 1000)
	// The module alone is 1.8 MB with brotli, 9 s at 1.6 Mbit/s.
	measured(t, "throttled: module ready, cold (ms)", coldModule, 30000)
	measured(t, "throttled: module ready, warm (ms)", warmModule, 6000)
	measured(t, "throttled: in page: ready, cold (ms)", coldInPage, 30000)
	measured(t, "throttled: in page: ready, warm (ms)", warmInPage, 6000)
	budget(t, "throttled: scan to check-in screen (ms)", scan, 2000, 5000)
	// Sharing and sealing is client and wire code; since envelopes carry a
	// proof of work (up to 16 bits for the large envelopes of 1,000
	// records) it misses the target, so the budget only guards against
	// regressions.
	budget(t, "throttled: 1,000 records share+seal (ms)", b.ShareMS, 500, 8000)
	budget(t, "throttled: 1,000 records without the work (ms)", b.ShareMS-b.WorkMS, 500, 5000)
	budget(t, "throttled: a visit's proof of work (ms)", b.VisitWorkMS, 300, 1000)
}
