package cli

// Browser tests of web/poster.html and web/dashboard.html in headless
// Chromium. A minimal harness of its own until the PWA's browser-test
// harness lands; then this file moves onto it.

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/internal/testenv/browsertest"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/qr/qrfile"
)

// webRoot returns a directory holding the repository's web/ files and the
// client built to web/dist, as "make wasm" makes them.
func webRoot(t *testing.T) string { return browsertest.WebRoot(t) }

// pagesServer serves root and the endpoints of "safetrace dev" for a
// running in-process deployment.
func pagesServer(t *testing.T, root string) (*httptest.Server, *fabrictest.Deployment) {
	d := fabrictest.Start(t, 3, 1)
	st := &devStatus{m: d.Manifest(), relay: "http://" + strings.TrimSuffix(strings.TrimPrefix(d.RelayURL, "ws://"), "/ws") + "/healthz"}
	for _, s := range d.Servers {
		ps := httptest.NewServer(s.HTTPHandler())
		t.Cleanup(ps.Close)
		st.parties = append(st.parties, ps.URL+"/healthz")
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/status", st)
	mux.HandleFunc("GET /api/manifest.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(d.ManifestBytes)
	})
	registerDashboard(mux, devPartyEndpoints(st))
	app, err := webHandler(root, appCSP(d.Manifest().Relays))
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", app)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, d
}

func TestPagesInBrowser(t *testing.T) {
	browsertest.Chromium(t)
	if _, err := exec.LookPath("pdftoppm"); err != nil && os.Getenv("CI") == "" {
		t.Skip("pdftoppm (poppler-utils) is not installed")
	}
	srv, d := pagesServer(t, webRoot(t))
	ctx := browsertest.NewBrowser(t, browsertest.Options{Width: 1200, Height: 900, Timeout: 2 * time.Minute})

	t.Run("poster", func(t *testing.T) {
		start := time.Now()
		dl := t.TempDir()
		done := make(chan string, 1)
		err := chromedp.ListenBrowser(ctx, func(ev any) {
			if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
				done <- e.GUID
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dl, EventsEnabled: new(true)})
		if err != nil {
			t.Fatal(err)
		}
		const name = "Café Nord 7"
		err = chromedp.Do(ctx,
			chromedp.EmulateViewport(375, 800),
			chromedp.Navigate(srv.URL+"/web/poster.html"),
			chromedp.WaitVisible(`body[data-ready="1"]`),
			chromedp.SendKeys("#name", name),
			chromedp.SendKeys("#room", "Saal 2"),
			chromedp.SetValue("#category", "bar"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("category").dispatchEvent(new Event("input", {bubbles: true}))`),
			chromedp.Poll[chromedp.Void](`(document.getElementById("preview").dataset.url || "").length > 0 && !document.getElementById("dl-pdf").disabled`, chromedp.WithPollingTimeout(30*time.Second)),
			chromedp.WaitVisible("#preview svg"),
		)
		if err != nil {
			t.Fatal(err)
		}
		url, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("preview").dataset.url`))
		if err != nil {
			t.Fatal(err)
		}
		scrollWidth, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if scrollWidth > 375 {
			t.Errorf("poster page is %d px wide at a 375 px viewport", scrollWidth)
		}
		browsertest.Screenshot(t, ctx, "poster-375")
		if err := chromedp.Do(ctx, chromedp.Click("#dl-pdf")); err != nil {
			t.Fatal(err)
		}
		var guid string
		select {
		case guid = <-done:
		case <-ctx.Done():
			t.Fatal("no PDF download")
		}
		pdf, err := os.ReadFile(filepath.Join(dl, guid))
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("download: %v, %.10q", err, pdf)
		}
		png := filepath.Join(t.TempDir(), "page")
		if out, err := exec.Command("pdftoppm", "-r", "100", "-png", "-singlefile", filepath.Join(dl, guid), png).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		f, err := os.Open(png + ".png")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		text, err := qrfile.DecodeReader(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := core.ParseURL(text)
		if err != nil {
			t.Fatal(err)
		}
		origin := d.Manifest().AppOrigin
		if v.Name != name || v.Room != "Saal 2" || v.Category != core.Bar || text != url || !strings.HasPrefix(text, origin+"/#v1.") {
			t.Errorf("PDF code %q: venue %q room %q %v; preview URL %q, origin %q", text, v.Name, v.Room, v.Category, url, origin)
		}
		t.Logf("poster page: wasm load, preview, PDF download and decode in %v", time.Since(start).Round(time.Millisecond))
	})

	t.Run("dashboard", func(t *testing.T) {
		start := time.Now()
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(1200, 900),
			chromedp.Navigate(srv.URL+"/web/dashboard.html"),
			chromedp.Poll[chromedp.Void](`document.querySelectorAll('#health tbody tr[data-state="up"]').length === 4`, chromedp.WithPollingTimeout(20*time.Second)),
			chromedp.WaitVisible(`#chart-compare path.series`),
			chromedp.Poll[chromedp.Void](`document.getElementById('epochstatus').textContent !== '' && document.getElementById('mapstatus').textContent !== ''`, chromedp.WithPollingTimeout(10*time.Second)),
		)
		if err != nil {
			t.Fatal(err)
		}
		type state struct {
			Up, MF, PW, Cmp int
			Epochs, Map     string
		}
		st, err := chromedp.Run(ctx, chromedp.Evaluate[state](`({
			Up: document.querySelectorAll('#health tbody tr[data-state="up"]').length,
			MF: document.querySelectorAll('#chart-meanfield path.series').length,
			PW: document.querySelectorAll('#chart-pairwise path.series').length,
			Cmp: document.querySelectorAll('#chart-compare path.series').length,
			Epochs: document.getElementById('epochstatus').textContent,
			Map: document.getElementById('mapstatus').textContent})`))
		if err != nil {
			t.Fatal(err)
		}
		if st.Up != 4 || st.MF != 4 || st.PW != 4 || st.Cmp != 4 {
			t.Errorf("%d components up, series: meanfield %d, pairwise %d, comparison %d", st.Up, st.MF, st.PW, st.Cmp)
		}
		// The parties of this branch serve neither epochs nor a region map.
		if !strings.Contains(st.Epochs, "No epochs yet") || !strings.Contains(st.Map, "No region map") {
			t.Errorf("epochs %q, map %q", st.Epochs, st.Map)
		}
		browsertest.Screenshot(t, ctx, "dashboard")
		// German on request.
		heading, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const s = document.getElementById('lang'); s.value = 'de'; s.dispatchEvent(new Event('change'));
			return document.documentElement.lang + ' ' + document.getElementById('seirh').textContent; })()`))
		if err != nil || heading != "de Epidemiemodelle" {
			t.Errorf("German: %v, %q", err, heading)
		}
		t.Logf("dashboard: health, charts and German text in %v", time.Since(start).Round(time.Millisecond))
	})
}
