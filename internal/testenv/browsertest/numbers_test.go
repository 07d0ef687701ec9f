package browsertest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/internal/testenv/browsertest"
	"github.com/safetrace/safetrace/qr"
)

// decodeJS decodes the camera's current frame n times with the Go decoder
// and returns the times in milliseconds and the last text.
const decodeJS = `(async (n) => {
  const s = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}});
  const v = document.createElement("video");
  v.muted = true; v.srcObject = s; await v.play();
  while (!v.videoWidth) await new Promise(r => setTimeout(r, 50));
  await new Promise(r => setTimeout(r, 300));
  const c = document.createElement("canvas");
  c.width = v.videoWidth; c.height = v.videoHeight;
  const ctx = c.getContext("2d", {willReadFrequently: true});
  const ms = []; let text = "";
  for (let i = 0; i < n; i++) {
    ctx.drawImage(v, 0, 0);
    const img = ctx.getImageData(0, 0, c.width, c.height);
    const t0 = performance.now();
    text = await safetrace.app.decode(img.data, img.width, img.height);
    ms.push(performance.now() - t0);
  }
  s.getTracks().forEach(t => t.stop());
  return {ms, text, w: c.width, h: c.height};
})`

type decodeRun struct {
	MS   []float64 `json:"ms"`
	Text string    `json:"text"`
	W, H int
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestAppNumbers measures the figures docs/app.md reports: the gzipped
// client, time to interactive (cold and from the service worker), the Go
// QR decoder per camera frame in the browser, and sharing and sealing 1,000
// records in the browser. They go to the log and test-artifacts/numbers.json.
func TestAppNumbers(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	origin := strings.TrimSuffix(dev.URL, "/")
	nums := map[string]any{}

	raw, err := os.ReadFile(filepath.Join(browsertest.WebRoot(t), "web", "dist", "safetrace.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	nums["wasm_bytes"], nums["wasm_gzip_bytes"] = len(raw), gz.Len()

	v, err := qr.NewVenue("Numbers Café", qr.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	frame, err := browsertest.PosterFrame(v, origin)
	if err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(t.TempDir(), "poster.y4m")
	if err := browsertest.WriteY4M(video, frame, 3); err != nil {
		t.Fatal(err)
	}
	ctx := openApp(t, dev, browsertest.Options{Video: video}, 0, "")
	nums["tti_cold_ms"] = eval[float64](t, ctx, "window.__stPerf.ttiFromNav")
	waitFor(t, ctx, `navigator.serviceWorker.ready.then(r => !!r.active)`, 30*time.Second)
	for range 2 { // the second reload is served by the active worker
		if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `document.body.dataset.ready === "1"`, 30*time.Second)
	}
	nums["tti_warm_ms"] = eval[float64](t, ctx, "window.__stPerf.ttiFromNav")

	var d decodeRun
	raw2 := eval[string](t, ctx, "("+decodeJS+")(15).then(JSON.stringify)")
	if err := json.Unmarshal([]byte(raw2), &d); err != nil {
		t.Fatal(err)
	}
	if d.Text != v.URL(origin) {
		t.Errorf("decoded %q from the camera", d.Text)
	}
	nums["decode_ms_median_code"] = median(d.MS[1:])

	plain := openApp(t, dev, browsertest.Options{}, 0, "") // Chromium's test pattern, no code
	raw2 = eval[string](t, plain, "("+decodeJS+")(8).then(JSON.stringify)")
	if err := json.Unmarshal([]byte(raw2), &d); err != nil {
		t.Fatal(err)
	}
	nums["decode_ms_median_nocode"] = median(d.MS[1:])

	var derive, share []float64
	for range 3 {
		var b struct {
			DeriveMS float64 `json:"derive_ms"`
			ShareMS  float64 `json:"share_ms"`
		}
		raw := eval[string](t, ctx, "safetraceApp.bench(1000).then(JSON.stringify)")
		if err := json.Unmarshal([]byte(raw), &b); err != nil {
			t.Fatal(err)
		}
		derive, share = append(derive, b.DeriveMS), append(share, b.ShareMS)
	}
	nums["records_1000_derive_ms"], nums["records_1000_share_seal_ms"] = median(derive), median(share)
	nums["decode_frame"] = "640x480"

	out, _ := json.MarshalIndent(nums, "", "  ")
	t.Logf("numbers:\n%s", out)
	dir := filepath.Join(browsertest.ModuleRoot(t), "test-artifacts")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "numbers.json"), out, 0o644)
}
