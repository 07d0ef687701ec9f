package browsertest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/internal/testenv/browsertest"
)

// visitAt checks in at the venue of url with the app's clock at offset
// and checks out now, waiting until the visit is uploaded.
func visitAt(t *testing.T, dev *browsertest.Dev, url string, offset time.Duration) context.Context {
	t.Helper()
	ctx := openApp(t, dev, browsertest.Options{}, offset, "")
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `!document.getElementById("confirm").hidden`, 30*time.Second)
	checkIn(t, ctx)
	// Now: check out, unless the app did at the venue's usual stay.
	setClock(t, ctx, 0)
	eval[any](t, ctx, `(b => { if (b && b.offsetParent !== null) b.click(); })(document.getElementById("checkout"))`)
	waitFor(t, ctx, `safetraceApp.get("visits").then(vs => vs.length > 0 && vs.every(v => v.uploaded)).then(ok => ok && safetraceApp.pending().then(n => n === 0))`, 60*time.Second)
	return ctx
}

// warnFrom fills the poster page's warning form with the window
// [now+from, now+to) and the code, checks it and returns the preview.
func warnFrom(t *testing.T, ctx context.Context, from, to time.Duration, code string) (preview, status string) {
	t.Helper()
	eval[any](t, ctx, fmt.Sprintf(`(() => {
		const local = (ms) => { const d = new Date(ms); return new Date(ms - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); };
		document.getElementById("warnfrom").value = local(Date.now() + %d);
		document.getElementById("warnto").value = local(Date.now() + %d);
		document.getElementById("warncode").value = %q;
		document.getElementById("warnstatus").textContent = "";
		document.getElementById("warnform").dispatchEvent(new Event("input"));
	})()`, from.Milliseconds(), to.Milliseconds(), code))
	click(t, ctx, "#warncheck")
	waitFor(t, ctx, settledJS("warnstatus")+` || document.getElementById("warnpreview").textContent !== ""`, 20*time.Second)
	return text(t, ctx, "#warnpreview"), text(t, ctx, "#warnstatus")
}

// warnSend sends the checked warning and returns the page's message.
func warnSend(t *testing.T, ctx context.Context) string {
	t.Helper()
	click(t, ctx, "#warnsend")
	return settledText(t, ctx, "warnstatus", 60*time.Second)
}

// TestVenueWarningFromPoster: the owner makes a poster on the poster page;
// visitor In checks in with it inside the window the health authority
// names, visitor Out after it. The owner sends the warning from the
// poster page with a venue-warning code (refused: a made-up code, a
// personal code, a window of more than a day, the used code again). After
// an epoch In sees the venue warning, not the personal risk, and Out sees
// nothing.
func TestVenueWarningFromPoster(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)

	owner := browsertest.NewBrowser(t, browsertest.Options{})
	if err := chromedp.Do(owner, chromedp.Navigate(dev.URL+"web/poster.html")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, owner, `document.body.dataset.ready === "1"`, 60*time.Second)
	eval[any](t, owner, `document.getElementById("name").value = "Café Warnung"; document.getElementById("form").dispatchEvent(new Event("input", {bubbles: true}))`)
	waitFor(t, owner, `!!document.getElementById("preview").dataset.url`, 20*time.Second)
	url := eval[string](t, owner, `document.getElementById("preview").dataset.url`)
	if !strings.HasPrefix(url, strings.TrimSuffix(dev.URL, "/")) {
		t.Fatalf("poster URL %q is not the deployment's", url)
	}

	in := visitAt(t, dev, url, -80*time.Minute)  // overlaps [now-3h, now-1h)
	out := visitAt(t, dev, url, -40*time.Minute) // after it

	issue := func(venue bool) string {
		args := []string{"authority", "issue", "--key", filepath.Join(dev.Dir, "authority.key")}
		if venue {
			args = append(args, "--venue-warning")
		}
		s, err := dev.Run(context.Background(), args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(s)
	}
	// The poster maker's module carries no client: the warning form's
	// module is fetched only once the form is used (by the Go worker,
	// which fetches the modules).
	warnFetched := `performance.getEntriesByType("resource").some(e => /\/warn\.[0-9a-f]{16}\.wasm$/.test(e.name))`
	if workerEval[bool](t, owner, warnFetched) {
		t.Fatal("the poster page fetched the warning module before the form was used")
	}
	code := issue(true)
	click(t, owner, "#warnuse")
	if got := eval[string](t, owner, `document.getElementById("warnurl").value`); got != url {
		t.Fatalf("the poster made above gave %q", got)
	}
	for _, c := range []struct {
		name, code string
		from, to   time.Duration
		want       string
	}{
		{"made-up code", "08AB-CDEF", -3 * time.Hour, -time.Hour, "not valid"},
		{"personal code", issue(false), -3 * time.Hour, -time.Hour, "positive test"},
		{"window too long", code, -30 * time.Hour, -time.Hour, "exceeds 24h"},
		{"future", code, time.Hour, 2 * time.Hour, "future"},
	} {
		if p, st := warnFrom(t, owner, c.from, c.to, c.code); p != "" || !strings.Contains(st, c.want) {
			t.Errorf("%s: preview %q, status %q; want a message with %q", c.name, p, st, c.want)
		}
		if eval[bool](t, owner, `!document.getElementById("warnsend").hidden`) {
			t.Errorf("%s: the send button shows", c.name)
		}
	}
	if !workerEval[bool](t, owner, warnFetched) {
		t.Logf("worker resources: %s", workerEval[string](t, owner, `JSON.stringify(performance.getEntriesByType("resource").map(e => e.name))`))
		t.Fatal("the warning form ran without its module")
	}
	preview, _ := warnFrom(t, owner, -3*time.Hour, -time.Hour, code)
	if !strings.Contains(preview, "Café Warnung") || !strings.Contains(preview, "time slots") {
		t.Fatalf("preview %q", preview)
	}
	browsertest.Screenshot(t, owner, "venue-warning-preview")
	if msg := warnSend(t, owner); !strings.Contains(msg, "was sent") {
		t.Fatalf("send: %q", msg)
	}
	if _, st := warnFrom(t, owner, -3*time.Hour, -time.Hour, code); st != "" {
		t.Errorf("a check of the used code said %q", st)
	}
	if msg := warnSend(t, owner); !strings.Contains(msg, "already used") {
		t.Errorf("the used code again: %q", msg)
	}

	ectx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := dev.Run(ectx, "epoch", "run", "--manifest", dev.Manifest)
	if err != nil {
		t.Fatalf("epoch: %v\n%s\n%s", err, res, dev.Log)
	}
	t.Logf("epoch: %s", res)
	for name, ctx := range map[string]context.Context{"In": in, "Out": out} {
		eval[any](t, ctx, "safetraceApp.checkResults()")
		waitFor(t, ctx, `safetraceApp.get("lastCheck").then(c => c !== null)`, 30*time.Second)
		click(t, ctx, `[data-go="home"]`)
		warned := eval[bool](t, ctx, `!document.getElementById("venue-warning").hidden`)
		msg, status := text(t, ctx, "#venue-warning-text"), text(t, ctx, "#status-text")
		t.Logf("%s: %q / %q", name, status, msg)
		if want := name == "In"; warned != want {
			t.Errorf("%s: venue warning shown %v, want %v (%q)", name, warned, want, msg)
		}
		if warned && !strings.HasPrefix(msg, "A health authority warned about a place you visited on ") {
			t.Errorf("%s: venue warning %q", name, msg)
		}
		if eval[bool](t, ctx, `safetraceApp.get("lastCheck").then(c => c.risk)`) || !strings.Contains(status, "No known exposure") {
			t.Errorf("%s: personal risk shown: %q", name, status)
		}
		if strings.Contains(eval[string](t, ctx, `document.getElementById("home").innerText`), "Café Warnung") {
			t.Errorf("%s: the home screen names the venue", name)
		}
	}
	browsertest.Screenshot(t, in, "home-venue-warning")
	// The German message.
	eval[any](t, in, `(s => { s.value = "de"; s.dispatchEvent(new Event("change")); })(document.getElementById("lang"))`)
	waitFor(t, in, `document.getElementById("venue-warning-text").textContent.startsWith("Eine Gesundheitsbehörde hat vor einem Ort gewarnt, den du am ")`, 10*time.Second)
}

// workerEval evaluates expr in the Go worker (web/go-worker.js) of the page
// of ctx.
func workerEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.Type == "worker" && strings.HasSuffix(in.URL, "/web/go-worker.js") {
			// Not cancelled: that would close the worker; the session
			// ends with the browser.
			wctx, _ := chromedp.NewContext(ctx, chromedp.WithTargetID(in.TargetID))
			return eval[T](t, wctx, expr)
		}
	}
	t.Fatal("the page has no Go worker")
	var zero T
	return zero
}
