package browsertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/internal/testenv/browsertest"
	"github.com/safetrace/safetrace/qr/core"
)

// TestEncounter: E shows its personal code (rendered by the Go QR encoder
// in WebAssembly), F scans it with the camera and uploads the encounter; E
// reports a positive test and after an epoch F is at risk.
func TestEncounter(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	e := openApp(t, dev, browsertest.Options{}, 0, "")
	click(t, e, "#mycode-btn")
	waitFor(t, e, `(document.getElementById("mycode-img").dataset.code || "").startsWith("st-enc1.")`, 10*time.Second)
	code := eval[string](t, e, `document.getElementById("mycode-img").dataset.code`)
	browsertest.Screenshot(t, e, "my-code")
	// The image shows the code: decode the PNG the page shows.
	if got := eval[string](t, e, `(async () => { const i = document.getElementById("mycode-img"); const c = document.createElement("canvas"); c.width = i.naturalWidth + 40; c.height = i.naturalHeight + 40; const x = c.getContext("2d"); x.fillStyle = "#fff"; x.fillRect(0, 0, c.width, c.height); x.drawImage(i, 20, 20); const d = x.getImageData(0, 0, c.width, c.height); return safetrace.app.decode(d.data, d.width, d.height); })()`); got != code {
		t.Fatalf("the personal code image decodes to %q, want %q", got, code)
	}

	img, err := browsertest.CodeFrame(code)
	if err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(t.TempDir(), "code.y4m")
	if err := browsertest.WriteY4M(video, img, 2); err != nil {
		t.Fatal(err)
	}
	f := openApp(t, dev, browsertest.Options{Video: video}, 0, "")
	click(t, f, "#scanperson")
	waitFor(t, f, `safetraceApp.get("encounters").then(x => x && x.length === 1)`, 30*time.Second)
	if !strings.Contains(text(t, f, "#queue"), "Encounter saved") {
		t.Errorf("no confirmation of the encounter: %q", text(t, f, "#queue"))
	}
	// Encounters go out with the periodic upload.
	eval[any](t, f, "safetraceApp.periodicUpload()")
	waitFor(t, f, `safetraceApp.get("encounters").then(x => x[0].uploaded).then(ok => ok && safetraceApp.pending().then(n => n === 0))`, 60*time.Second)

	// E reports a positive test: the report carries E's own ephemeral IDs
	// of the infectious window. After an epoch F, who met E today, sees
	// increased risk.
	if msg := report(t, e, dev.IssueCode(t), ""); !strings.Contains(msg, "Thank you") {
		t.Fatalf("report: %q", msg)
	}
	ectx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := dev.Run(ectx, "epoch", "run", "--manifest", dev.Manifest); err != nil {
		t.Fatalf("epoch: %v\n%s", err, out)
	}
	eval[any](t, f, "safetraceApp.checkResults()")
	waitFor(t, f, `safetraceApp.get("lastCheck").then(c => c !== null)`, 30*time.Second)
	if !eval[bool](t, f, `safetraceApp.get("lastCheck").then(c => c.risk)`) {
		t.Errorf("F met E, who reported positive, but sees no risk: %q", text(t, f, "#status-text"))
	}
}

// TestLanguageAndAccessibility: German from the browser's language and by
// the switch; every control has a label, one main landmark, status regions
// are live; the visits screen lists, deletes and exports; the layout fits
// a 375-pixel screen.
func TestLanguageAndAccessibility(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	// A German phone: navigator.language as its browser reports it.
	ctx := openApp(t, dev, browsertest.Options{}, -stay, "",
		`Object.defineProperty(navigator, "language", {get: () => "de-DE"})`)
	if got := text(t, ctx, "#home-h"); got != "Dein Status" {
		t.Errorf("German browser: heading %q", got)
	}
	if got := eval[string](t, ctx, "document.documentElement.lang"); got != "de" {
		t.Errorf("html lang %q", got)
	}
	browsertest.Screenshot(t, ctx, "home-de")
	// Singular and plural in the report preview's texts.
	for expr, want := range map[string]string{
		`safetraceApp.t("report.day", {day: "Mo", n: 1})`:      "Mo: 1 Eintrag",
		`safetraceApp.t("report.day", {day: "Mo", n: 2})`:      "Mo: 2 Einträge",
		`safetraceApp.t("report.summary", {n: 1, kinds: "x"})`: "1 Eintrag: x.",
		`safetraceApp.t("kind.venue", {n: 1})`:                 "1 Check-in-Zeitraum",
	} {
		if got := eval[string](t, ctx, expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}

	// Accessibility checks a screen reader relies on.
	unlabelled := eval[[]string](t, ctx, `[...document.querySelectorAll("input, select")].filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")).map(e => e.id)`)
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %v", unlabelled)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("main, header, nav, footer").length`); n != 4 {
		t.Errorf("%d landmarks, want header, nav, main, footer", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#status[aria-live], #report-msg[role=alert], #gps-msg[aria-live]").length`); n != 3 {
		t.Errorf("%d live regions", n)
	}
	if w := eval[int](t, ctx, "document.documentElement.scrollWidth"); w > 375 {
		t.Errorf("page is %d pixels wide on a 375-pixel screen", w)
	}
	// Contrast (WCAG 2.1 AA): every visible element with its own text has a
	// ratio of at least 4.5 against its effective background, 3 for large
	// text (24 px, or 18.66 px bold).
	if low := eval[[]string](t, ctx, contrastJS); len(low) > 0 {
		t.Errorf("text below the WCAG AA contrast ratio: %v", low)
	}
	// Keyboard: the skip link comes first, Tab then walks the tabs in order.
	if got := eval[string](t, ctx, `document.querySelector("a[href], button:not([hidden]), input, select").className`); got != "skip" {
		t.Errorf("the first focusable element is %q, want the skip link", got)
	}
	eval[any](t, ctx, `document.querySelector(".skip").focus()`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, "document.activeElement.dataset.go || document.activeElement.id"); got != "home" {
		t.Errorf("Tab after the skip link focuses %q, want the Home tab", got)
	}

	// Switch to English.
	click(t, ctx, `[data-go="about"]`)
	eval[any](t, ctx, `(s => { s.value = "en"; s.dispatchEvent(new Event("change")); })(document.getElementById("lang"))`)
	waitFor(t, ctx, `document.getElementById("about-h").textContent === "About"`, 5*time.Second)
	waitFor(t, ctx, `document.getElementById("summary").textContent.includes("3 parties")`, 10*time.Second)
	browsertest.Screenshot(t, ctx, "about")
	if got := eval[string](t, ctx, `safetraceApp.t("report.summary", {n: 1, kinds: safetraceApp.t("kind.gps", {n: 1})})`); got != "1 record: 1 location period." {
		t.Errorf("English singular: %q", got)
	}
	if got := eval[string](t, ctx, `safetraceApp.t("report.day", {day: "Mon", n: 3})`); got != "Mon: 3 records" {
		t.Errorf("English plural: %q", got)
	}

	// Visits: two check-ins (a new scan ends the previous one), list,
	// delete one, export.
	origin := strings.TrimSuffix(dev.URL, "/")
	for i, name := range []string{"Bäckerei Eins", "Museum Zwei"} {
		v, err := core.NewVenue(name, core.Category(1))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(v.URL(origin))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `document.body.dataset.ready === "1" && !document.getElementById("confirm").hidden`, 30*time.Second)
		checkIn(t, ctx)
		if i == 0 {
			setClock(t, ctx, -stay/2)
		}
	}
	waitFor(t, ctx, `safetraceApp.get("visits").then(vs => vs.length === 2 && vs[0].depart > 0 && vs[0].uploaded && vs[1].depart === 0)`, 30*time.Second)
	click(t, ctx, `[data-go="visits"]`)
	waitFor(t, ctx, `document.querySelectorAll("#visit-list li").length === 2`, 5*time.Second)
	browsertest.Screenshot(t, ctx, "visits")
	checkExport(t, ctx)
	eval[any](t, ctx, `document.querySelector("#visit-list li button").click()`)
	waitFor(t, ctx, `document.querySelectorAll("#visit-list li").length === 1`, 5*time.Second)
	if n := eval[int](t, ctx, `safetraceApp.get("visits").then(v => v.length)`); n != 1 {
		t.Errorf("%d visits stored after deleting one", n)
	}

	// Delete all: the first press asks, the second deletes.
	click(t, ctx, "#delete-all")
	if n := eval[int](t, ctx, `safetraceApp.get("visits").then(v => v.length)`); n != 1 {
		t.Errorf("the first press of delete all deleted: %d visits left", n)
	}
	click(t, ctx, "#delete-all")
	waitFor(t, ctx, `safetraceApp.get("visits").then(v => v.length === 0 && document.querySelectorAll("#visit-list li").length === 0)`, 5*time.Second)

	// Automatic check-out at the end of the stay: a check-in 13 hours ago
	// ends at the venue's default stay (at most 12 hours).
	v, err := core.NewVenue("Auto Checkout Hall", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	// Notifications are permitted; a spy records what the app shows
	// (it shows them through the service worker registration).
	if err := chromedp.Do(ctx, browsertest.GrantNotifications(origin)); err != nil {
		t.Fatal(err)
	}
	setClock(t, ctx, -13*time.Hour)
	if err := chromedp.Do(ctx, chromedp.Navigate(v.URL(origin))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.body.dataset.ready === "1" && !document.getElementById("confirm").hidden`, 30*time.Second)
	// The poster URL only changes the fragment (no new document): the spy
	// goes into the running page.
	eval[any](t, ctx, `window.__notes = [];
		ServiceWorkerRegistration.prototype.showNotification = function (title, o) {
			window.__notes.push({title, body: (o && o.body) || ""}); return Promise.resolve(); }`)
	if got := eval[string](t, ctx, "Notification.permission"); got != "granted" {
		t.Errorf("notification permission %q", got)
	}
	checkIn(t, ctx)
	if n := eval[int](t, ctx, "window.__notes.length"); n != 0 {
		t.Errorf("%d notifications right after the check-in", n)
	}
	// 5 minutes before the end of the stay: the reminder, once.
	setClock(t, ctx, -13*time.Hour+v.Stay-5*time.Minute)
	eval[any](t, ctx, "safetraceApp.tick()")
	waitFor(t, ctx, `window.__notes.length > 0`, 10*time.Second)
	eval[any](t, ctx, "safetraceApp.tick()")
	type note struct{ Title, Body string }
	notes := eval[[]note](t, ctx, "window.__notes")
	if len(notes) != 1 || notes[0].Title != "SafeTrace" || !strings.HasPrefix(notes[0].Body, "Still at Auto Checkout Hall? You will be checked out at ") {
		t.Errorf("reminder notifications: %+v", notes)
	}
	setClock(t, ctx, 0)
	waitFor(t, ctx, `safetraceApp.get("visits").then(vs => vs.some(v => v.name === "Auto Checkout Hall" && v.depart === v.end && v.uploaded))`, 30*time.Second)
	waitFor(t, ctx, `window.__notes.length === 2`, 10*time.Second)
	if notes := eval[[]note](t, ctx, "window.__notes"); notes[1].Body != "You were checked out of Auto Checkout Hall." {
		t.Errorf("check-out notification: %+v", notes[1])
	}
	if !eval[bool](t, ctx, `document.getElementById("active").hidden`) {
		t.Error("still shown as checked in after the end of the stay")
	}
	if got, want := eval[float64](t, ctx, `safetraceApp.get("visits").then(vs => { const v = vs.find(v => v.name === "Auto Checkout Hall"); return (v.depart - v.arrive) / 60000; })`), v.Stay.Minutes(); got != want {
		t.Errorf("automatic check-out after %v minutes, want the venue's %v", got, want)
	}
}

// checkExport presses "export" and reads the JSON the app hands to the
// download link (the Blob behind URL.createObjectURL): the two visits
// with their documented fields, and no venue secret.
func checkExport(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[any](t, ctx, `(() => { window.__exported = null; const orig = URL.createObjectURL;
		URL.createObjectURL = (b) => { if (b instanceof Blob) window.__exported = b; return orig.call(URL, b); };
		HTMLAnchorElement.prototype.click = function () { window.__download = this.download; }; })()`)
	click(t, ctx, "#export")
	waitFor(t, ctx, `window.__exported !== null`, 5*time.Second)
	if got := eval[string](t, ctx, "window.__download"); got != "safetrace-visits.json" {
		t.Errorf("export file name %q", got)
	}
	if got := eval[string](t, ctx, "window.__exported.type"); got != "application/json" {
		t.Errorf("export type %q", got)
	}
	raw := eval[string](t, ctx, "window.__exported.text()")
	var data struct {
		Exported   string           `json:"exported"`
		Visits     []map[string]any `json:"visits"`
		Cells      []any            `json:"cells"`
		Encounters []any            `json:"encounters"`
	}
	if err := json.Unmarshal([]byte(raw), &data); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, raw)
	}
	if _, err := time.Parse(time.RFC3339, data.Exported); err != nil {
		t.Errorf("exported time %q: %v", data.Exported, err)
	}
	if len(data.Visits) != 2 {
		t.Fatalf("%d visits exported, want 2:\n%s", len(data.Visits), raw)
	}
	names := map[string]bool{}
	for _, v := range data.Visits {
		names[fmt.Sprint(v["name"])] = true
		for _, f := range []string{"id", "name", "room", "address", "arrive", "depart", "end", "uploaded"} {
			if _, ok := v[f]; !ok {
				t.Errorf("exported visit without %q: %v", f, v)
			}
		}
		if _, ok := v["secret"]; ok {
			t.Errorf("exported visit carries the venue secret: %v", v)
		}
	}
	if !names["Bäckerei Eins"] || !names["Museum Zwei"] {
		t.Errorf("exported visits %v", names)
	}
	if strings.Contains(raw, "secret") || strings.Contains(raw, "token") || strings.Contains(raw, "result_key") {
		t.Errorf("export names a secret:\n%s", raw)
	}
}

// contrastJS lists the visible elements whose own text falls below the
// WCAG AA contrast ratio, as "selector: ratio".
const contrastJS = `(() => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3); } return [255, 255, 255]; };
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== "");
    if (!own || !el.getClientRects().length) continue;
    const st = getComputedStyle(el);
    if (st.visibility === "hidden" || st.display === "none" || Number(st.opacity) === 0) continue;
    const fg = rgb(st.color).slice(0, 3), b = bg(el);
    const [hi, lo] = [lum(fg), lum(b)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) out.push((el.id ? "#" + el.id : el.tagName.toLowerCase() + "." + el.className) + ": " + ratio.toFixed(2));
  }
  return out;
})()`
