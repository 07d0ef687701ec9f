package browsertest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safetrace/safetrace/internal/testenv/browsertest"
	"github.com/safetrace/safetrace/qr/core"
)

// waitPage is waitFor across a navigation: a poll that the new document
// interrupts is tried again.
func waitPage(t *testing.T, ctx context.Context, cond string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		c, cancel := context.WithDeadline(ctx, deadline)
		_, err := chromedp.Run(c, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
			t.Fatalf("waiting for %s: %v\npage:\n%s", cond, err, txt)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// deskSignIn fills the desk's sign-in form and submits it.
func deskSignIn(t *testing.T, ctx context.Context, name, password string) {
	t.Helper()
	waitPage(t, ctx, `document.getElementById("signin-form") !== null`, 20*time.Second)
	eval[any](t, ctx, fmt.Sprintf(`document.getElementById("name").value = %q; document.getElementById("password").value = %q`, name, password))
	click(t, ctx, "#signin")
}

// deskIssue issues a code at the desk with the button sel (#issue or
// #issue-venue) and returns its text and its QR code's PNG.
func deskIssue(t *testing.T, ctx context.Context, desk, sel string) (string, []byte) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(desk)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, `document.getElementById("issue") !== null`, 20*time.Second)
	click(t, ctx, sel)
	waitPage(t, ctx, `document.getElementById("code-text") !== null`, 20*time.Second)
	code := text(t, ctx, "#code-text")
	src := eval[string](t, ctx, `document.querySelector("figure.code img").src`)
	b64, ok := strings.CutPrefix(src, "data:image/png;base64,")
	if !ok {
		t.Fatalf("QR code image %.40s…", src)
	}
	img, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return code, img
}

// deskRevoke revokes code at the desk and returns the message shown.
func deskRevoke(t *testing.T, ctx context.Context, desk, code string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(desk)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, `document.getElementById("revoke-code") !== null`, 20*time.Second)
	eval[any](t, ctx, fmt.Sprintf(`document.getElementById("revoke-code").value = %q`, code))
	click(t, ctx, "#revoke")
	waitPage(t, ctx, `document.getElementById("msg") !== null`, 20*time.Second)
	return text(t, ctx, "#msg")
}

// waitRevocations waits until every party logged installing the desk's
// current revocation list.
func waitRevocations(t *testing.T, dev *browsertest.Dev) {
	t.Helper()
	resp, err := http.Get(dev.Desk + "v1/revocations")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Serial uint64 }
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	serial := list.Serial
	re := regexp.MustCompile(fmt.Sprintf(`"msg":"revocation list installed","party":(\d)[^\n]*"serial":%d\b`, serial))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		parties := map[string]bool{}
		for _, m := range re.FindAllStringSubmatch(dev.Log.String(), -1) {
			parties[m[1]] = true
		}
		if len(parties) == 3 {
			return
		}
	}
	t.Fatalf("the parties did not install revocation list %d:\n%s", serial, dev.Log)
}

// TestDesk is issue 17's story: a staff member signs in at the health
// authority's desk (after a wrong password), issues a code and shows its
// QR code; a visitor scans it with the app's camera on the report screen
// and reports; the parties accept the code once. A second code, revoked
// before use, is refused with its own message, and so is the first after
// it is revoked too. The desk shows counts only.
func TestDesk(t *testing.T) {
	browsertest.Chromium(t)
	dev := browsertest.StartDev(t)
	origin := strings.TrimSuffix(dev.URL, "/")
	name, password := dev.StaffAccount(t)

	staff := browsertest.NewBrowser(t, browsertest.Options{Width: 1100, Height: 900})
	if err := chromedp.Do(staff, chromedp.Navigate(dev.Desk)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, staff, `location.pathname === "/signin"`, 20*time.Second)
	browsertest.Screenshot(t, staff, "desk-signin")
	deskSignIn(t, staff, name, "not the password")
	waitPage(t, staff, `document.getElementById("msg") !== null`, 20*time.Second)
	if msg := text(t, staff, "#msg"); !strings.Contains(msg, "Wrong account name or password") {
		t.Fatalf("wrong password: %q", msg)
	}
	browsertest.Screenshot(t, staff, "desk-bad-password")
	deskSignIn(t, staff, name, password)
	waitPage(t, staff, `document.getElementById("issue") !== null`, 20*time.Second)
	browsertest.Screenshot(t, staff, "desk-home")
	code, pngData := deskIssue(t, staff, dev.Desk, "#issue")
	if !strings.Contains(text(t, staff, "#expires"), "Valid until") {
		t.Error("the code's page shows no expiry")
	}
	browsertest.Screenshot(t, staff, "desk-code")
	second, _ := deskIssue(t, staff, dev.Desk, "#issue")
	venueCode, venuePNG := deskIssue(t, staff, dev.Desk, "#issue-venue")
	browsertest.Screenshot(t, staff, "desk-venue-code")
	if err := chromedp.Do(staff, chromedp.Navigate(dev.Desk)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, staff, `document.getElementById("sheet") !== null`, 20*time.Second)
	eval[any](t, staff, `document.getElementById("count").value = "6"`)
	click(t, staff, "#sheet")
	waitPage(t, staff, `document.querySelectorAll("li.slip").length === 6`, 30*time.Second)
	browsertest.Screenshot(t, staff, "desk-sheet")

	// Lock-out, seen by someone guessing at another account name.
	locker := browsertest.NewBrowser(t, browsertest.Options{Width: 1100, Height: 700})
	for range 5 {
		if err := chromedp.Do(locker, chromedp.Navigate(dev.Desk+"signin")); err != nil {
			t.Fatal(err)
		}
		deskSignIn(t, locker, "guess", "not the password")
		waitPage(t, locker, `document.getElementById("msg") !== null`, 20*time.Second)
	}
	if msg := text(t, locker, "#msg"); !strings.Contains(msg, "locked") {
		t.Fatalf("after 5 wrong passwords: %q", msg)
	}
	browsertest.Screenshot(t, locker, "desk-locked")

	// The fake camera shows the desk's own QR code image.
	video := pngVideo(t, pngData, code)

	// The visitor has a visit to report: a check-in from a poster's URL.
	venue, err := core.NewVenue("Café Desk", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	v := openApp(t, dev, browsertest.Options{Video: video}, -stay, "")
	if err := chromedp.Do(v, chromedp.Navigate(venue.URL(origin))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, v, `!document.getElementById("confirm").hidden`, 30*time.Second)
	checkIn(t, v)
	checkOut(t, v)

	// Scan the code on the report screen, then report.
	click(t, v, `[data-go="report"]`)
	click(t, v, "#scancode")
	waitFor(t, v, `!document.getElementById("report").hidden && document.getElementById("code").value !== ""`, 60*time.Second)
	if got := eval[string](t, v, `document.getElementById("code").value`); got != code {
		t.Fatalf("scanned %q, want %q", got, code)
	}
	browsertest.Screenshot(t, v, "report-scanned")
	day := time.Now().UTC().Format(time.DateOnly)
	eval[any](t, v, fmt.Sprintf(`document.getElementById("onset").value = %q`, day))
	click(t, v, `#report-form button[type="submit"]`)
	waitFor(t, v, `!document.getElementById("report-preview").hidden`, 10*time.Second)
	click(t, v, "#consent")
	click(t, v, "#report-send")
	if msg := settledText(t, v, "report-msg", 60*time.Second); !strings.Contains(msg, "Thank you") {
		t.Fatalf("report with the scanned code: %q", msg)
	}
	// Once only.
	if msg := report(t, v, code, ""); !strings.Contains(msg, "already used") {
		t.Fatalf("the code a second time: %q", msg)
	}

	// Revoked before use.
	if msg := deskRevoke(t, staff, dev.Desk, second); !strings.Contains(msg, "The code is revoked") {
		t.Fatalf("revoke: %q", msg)
	}
	browsertest.Screenshot(t, staff, "desk-revoked")
	waitRevocations(t, dev)
	if msg := report(t, v, second, ""); !strings.Contains(msg, "revoked this code") {
		t.Fatalf("a revoked code: %q", msg)
	}
	browsertest.Screenshot(t, v, "report-revoked")

	// Revoked after use: the report stays, further use is refused as revoked.
	if msg := deskRevoke(t, staff, dev.Desk, code); !strings.Contains(msg, "If it was already used, the report it made stays") {
		t.Fatalf("revoke after use: %q", msg)
	}
	waitRevocations(t, dev)
	if msg := report(t, v, code, ""); !strings.Contains(msg, "revoked this code") {
		t.Fatalf("a used code, revoked: %q", msg)
	}

	// A venue-warning code scanned on the report screen is not taken.
	venueVideo := pngVideo(t, venuePNG, venueCode)
	w := openApp(t, dev, browsertest.Options{Video: venueVideo}, 0, "")
	click(t, w, `[data-go="report"]`)
	click(t, w, "#scancode")
	waitFor(t, w, `document.getElementById("scan-msg").textContent.includes("venue warning")`, 60*time.Second)
	browsertest.Screenshot(t, w, "report-scanned-venue-code")

	// Counts only: 8 positive-test codes and 1 venue-warning code issued,
	// 2 revoked today; the audit log names the
	// staff account.
	if err := chromedp.Do(staff, chromedp.Navigate(dev.Desk)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, staff, `document.getElementById("counts") !== null`, 20*time.Second)
	row := text(t, staff, "#counts tbody tr")
	if !regexp.MustCompile(day + `\s*8\s*1\s*not known\s*2`).MatchString(row) {
		t.Errorf("counts row %q", row)
	}
	if page := text(t, staff, "main"); strings.Contains(page, code) || strings.Contains(page, second) {
		t.Error("the desk's page shows a code after it was issued")
	}
	if audit := text(t, staff, "#audit"); !strings.Contains(audit, name) || !strings.Contains(audit, "issued positive-test codes") {
		t.Errorf("audit log %q", audit)
	}
	browsertest.Screenshot(t, staff, "desk-counts")
	click(t, staff, `a[hreflang="de"]`)
	waitPage(t, staff, `document.documentElement.lang === "de"`, 20*time.Second)
	browsertest.Screenshot(t, staff, "desk-home-de")
}
