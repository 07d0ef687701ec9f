package desk_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/desk"
)

// cheap are argon2id parameters that keep the tests fast.
var cheap = desk.Params{Memory: 64, Time: 1, Threads: 1}

const password = "correct horse battery"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type rig struct {
	t     *testing.T
	srv   *desk.Server
	ts    *httptest.Server
	key   *authority.Key
	clock *clock
	dir   string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	key, _ := authority.GenerateKey("Gesundheitsamt")
	staff := &desk.Staff{Type: "safetrace desk staff v1", Members: []desk.StaffMember{
		{Name: "anna", Hash: desk.HashPassword(password, cheap)},
		{Name: "ben", Hash: desk.HashPassword(password+"2", cheap)},
	}}
	c := &clock{t: time.Now()}
	dir := filepath.Join(t.TempDir(), "desk")
	s, err := desk.New(desk.Config{Key: key, Staff: staff, DataDir: dir, Now: c.now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &rig{t: t, srv: s, ts: ts, key: key, clock: c, dir: dir}
}

// browser is one cookie (the session) and the last page.
type browser struct {
	r      *rig
	cookie string
	body   string
	status int
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

func (b *browser) csrf() string {
	m := csrfRE.FindStringSubmatch(b.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func (b *browser) do(method, path string, form url.Values, hdr ...string) *http.Response {
	b.r.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.r.ts.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "desk-session", Value: b.cookie})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		b.r.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.Name == "desk-session" {
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				b.r.t.Errorf("session cookie %v is not HttpOnly and SameSite=Strict", ck)
			}
			b.cookie = ck.Value
		}
	}
	b.body, b.status = string(data), resp.StatusCode
	return resp
}

func (b *browser) signIn(name, pw string) {
	b.r.t.Helper()
	b.do("GET", "/signin", nil)
	b.do("POST", "/signin", url.Values{"csrf": {b.csrf()}, "name": {name}, "password": {pw}})
}

func (r *rig) signedIn(name, pw string) *browser {
	r.t.Helper()
	b := &browser{r: r}
	b.signIn(name, pw)
	if b.status != http.StatusSeeOther {
		r.t.Fatalf("sign-in: status %d\n%s", b.status, b.body)
	}
	b.do("GET", "/", nil)
	if b.status != 200 || !strings.Contains(b.body, "Signed in as "+name) {
		r.t.Fatalf("home after sign-in: %d\n%s", b.status, b.body)
	}
	return b
}

var codeRE = regexp.MustCompile(`<code id="code-text">([0-9A-Z-]+)</code>`)

// issued counts the codes in the audit log.
func (r *rig) issued() int {
	n := 0
	for _, e := range r.srv.Audit() {
		if strings.HasPrefix(e.Action, "issue") {
			n += e.Count
		}
	}
	return n
}

func (r *rig) revocations() *authority.RevocationList {
	r.t.Helper()
	resp, err := http.Get(r.ts.URL + "/v1/revocations")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	l, err := authority.ParseRevocations(data)
	if err != nil {
		r.t.Fatal(err)
	}
	return l
}

func TestIssueAndRevoke(t *testing.T) {
	r := newRig(t)
	m := &manifest.Manifest{Authorities: []manifest.Authority{r.key.Public()}}
	b := r.signedIn("anna", password)
	resp := b.do("POST", "/issue", url.Values{"csrf": {b.csrf()}, "purpose": {"positive"}})
	if csp := resp.Header.Get("Content-Security-Policy"); csp != desk.CSP {
		t.Errorf("CSP %q", csp)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a page with a code has Cache-Control %q", cc)
	}
	mc := codeRE.FindStringSubmatch(b.body)
	if mc == nil || !strings.Contains(b.body, `src="data:image/png;base64,`) {
		t.Fatalf("no code and QR code on the page:\n%s", b.body)
	}
	code := mc[1]
	if _, _, err := authority.Verify(m, code); err != nil {
		t.Fatalf("issued code: %v", err)
	}
	b.do("GET", "/", nil)
	b.do("POST", "/issue", url.Values{"csrf": {b.csrf()}, "purpose": {"venue"}})
	venue := codeRE.FindStringSubmatch(b.body)[1]
	if _, err := authority.Check(m, venue, authority.VenueWarning, time.Now()); err != nil {
		t.Fatalf("venue-warning code: %v", err)
	}
	if _, _, err := authority.Verify(m, venue); err == nil {
		t.Fatal("a venue-warning code verifies as a positive-test code")
	}
	b.do("GET", "/", nil)
	b.do("POST", "/sheet", url.Values{"csrf": {b.csrf()}, "count": {"3"}})
	if n := strings.Count(b.body, `class="slip"`); n != 3 {
		t.Fatalf("sheet has %d codes, want 3", n)
	}
	b.do("GET", "/", nil)
	b.do("POST", "/revoke", url.Values{"csrf": {b.csrf()}, "code": {strings.ToLower(code)}})
	if !strings.Contains(b.body, "The code is revoked") {
		t.Fatalf("revoke:\n%s", b.body)
	}
	b.do("POST", "/revoke", url.Values{"csrf": {b.csrf()}, "code": {code}})
	if !strings.Contains(b.body, "revoked before") {
		t.Fatalf("second revoke:\n%s", b.body)
	}
	l := r.revocations()
	pc, _ := authority.ParseCode(code)
	if l.Serial < uint64(r.clock.now().Unix()) || !l.Revokes(pc.ID) || l.VerifyFor(m) != nil {
		t.Fatalf("revocation list serial %d, %d entries", l.Serial, len(l.Revoked))
	}
	other, _ := authority.GenerateKey("other")
	foreign, _ := authority.Issue(other, 1, time.Hour)
	b.do("POST", "/revoke", url.Values{"csrf": {b.csrf()}, "code": {foreign[0]}})
	if b.status != http.StatusBadRequest || !strings.Contains(b.body, "not a code of this desk") || r.revocations().Serial != l.Serial {
		t.Fatalf("foreign code revoked: %d\n%s", b.status, b.body)
	}
	// Counts: issued 1 + 3 positive, 1 venue, 1 revoked, today.
	if !regexp.MustCompile(`<td class="num">4</td><td class="num">1</td><td class="num">not known</td><td class="num">1</td>`).MatchString(b.body) {
		t.Errorf("counts not shown:\n%s", b.body)
	}
	// The desk's files hold no code.
	for _, e := range r.srv.Audit() {
		if e.Staff != "anna" {
			t.Errorf("audit entry %+v", e)
		}
	}
	if r.issued() != 5 {
		t.Errorf("audit log counts %d codes, want 5", r.issued())
	}
	// German.
	b.do("GET", "/lang?to=de", nil)
	req, _ := http.NewRequest("GET", r.ts.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "desk-session", Value: b.cookie})
	req.AddCookie(&http.Cookie{Name: "lang", Value: "de"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	de, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(de), `lang="de"`) || !strings.Contains(string(de), "Code ausgeben") {
		t.Errorf("German page:\n%s", de)
	}
}

func TestBadPassword(t *testing.T) {
	r := newRig(t)
	b := &browser{r: r}
	b.signIn("anna", "wrong password!")
	if b.status != http.StatusUnauthorized || !strings.Contains(b.body, "Wrong account name or password.") {
		t.Fatalf("bad password: %d\n%s", b.status, b.body)
	}
	// Unknown accounts read the same.
	b.signIn("nobody", "wrong password!")
	if b.status != http.StatusUnauthorized || !strings.Contains(b.body, "Wrong account name or password.") {
		t.Fatalf("unknown account: %d\n%s", b.status, b.body)
	}
	b.do("GET", "/", nil)
	if b.status != http.StatusSeeOther {
		t.Fatalf("home without sign-in: %d", b.status)
	}
	b.do("POST", "/issue", url.Values{"csrf": {b.csrf()}})
	if r.issued() != 0 {
		t.Fatal("codes issued without sign-in")
	}
}

func TestLockout(t *testing.T) {
	r := newRig(t)
	b := &browser{r: r}
	for i := range desk.MaxFailures {
		b.signIn("Anna", "wrong password!")
		if i < desk.MaxFailures-1 && b.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, b.status)
		}
	}
	if !strings.Contains(b.body, "This account is locked") {
		t.Fatalf("after %d failures:\n%s", desk.MaxFailures, b.body)
	}
	b.signIn("anna", password)
	if b.status != http.StatusForbidden || !strings.Contains(b.body, "This account is locked") {
		t.Fatalf("correct password while locked: %d\n%s", b.status, b.body)
	}
	// Other accounts are not locked.
	r.signedIn("ben", password+"2")
	r.clock.add(desk.LockFor + time.Second)
	r.signedIn("anna", password)
	var acts []string
	for _, e := range r.srv.Audit() {
		if e.Staff == "anna" {
			acts = append(acts, e.Action)
		}
	}
	if got := strings.Join(acts, " "); got != strings.Repeat("sign-in-failed ", desk.MaxFailures)+"locked sign-in" {
		t.Errorf("audit of anna: %s", got)
	}
	if r.issued() != 0 {
		t.Error("codes issued")
	}
}

func TestMissingCSRFToken(t *testing.T) {
	r := newRig(t)
	b := r.signedIn("anna", password)
	b.do("POST", "/issue", url.Values{"purpose": {"positive"}})
	if b.status != http.StatusForbidden || !strings.Contains(b.body, "Nothing was changed") || codeRE.MatchString(b.body) {
		t.Fatalf("issue without token: %d\n%s", b.status, b.body)
	}
	if r.issued() != 0 {
		t.Fatal("a code was issued without the token")
	}
	// Still signed in; the page offers the right token again.
	b.do("POST", "/issue", url.Values{"csrf": {b.csrf()}})
	if b.status != 200 || r.issued() != 1 {
		t.Fatalf("issue with token after a refusal: %d", b.status)
	}
}

func TestExpiredSession(t *testing.T) {
	r := newRig(t)
	b := r.signedIn("anna", password)
	token := b.csrf()
	r.clock.add(desk.SessionIdle + time.Second)
	b.do("POST", "/issue", url.Values{"csrf": {token}})
	if b.status != http.StatusUnauthorized || !strings.Contains(b.body, "Your session has ended") || codeRE.MatchString(b.body) {
		t.Fatalf("issue with an expired session: %d\n%s", b.status, b.body)
	}
	if r.issued() != 0 {
		t.Fatal("a code was issued in an expired session")
	}
	// The absolute limit holds even for a busy session.
	b = r.signedIn("anna", password)
	for range desk.SessionMax/(desk.SessionIdle/2) + 1 {
		r.clock.add(desk.SessionIdle / 2)
		b.do("GET", "/", nil)
	}
	if b.status != http.StatusSeeOther {
		t.Fatalf("session alive after %v: %d", desk.SessionMax, b.status)
	}
}

// TestAttackCSRF: a page of another site makes the staff member's browser
// post the issue form (a browser that sends the cookie; SameSite=Strict
// stops this in current browsers), without the token, or with the token of
// the attacker's own session. Nothing is issued or revoked.
func TestAttackCSRF(t *testing.T) {
	r := newRig(t)
	victim := r.signedIn("anna", password)
	attacker := r.signedIn("ben", password+"2")
	codes, _ := authority.Issue(r.key, 1, time.Hour)
	forged := &browser{r: r, cookie: victim.cookie}
	for _, tc := range []struct {
		name string
		form url.Values
		hdr  []string
	}{
		{"cross-site, no token", url.Values{"purpose": {"positive"}}, []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}},
		{"no headers, no token", url.Values{"purpose": {"positive"}}, nil},
		{"another session's token", url.Values{"purpose": {"positive"}, "csrf": {attacker.csrf()}}, nil},
		{"another session's token, cross-site", url.Values{"purpose": {"positive"}, "csrf": {attacker.csrf()}}, []string{"Origin", "https://evil.example"}},
	} {
		for _, path := range []string{"/issue", "/sheet", "/revoke", "/signout"} {
			f := url.Values{"count": {"5"}, "code": {codes[0]}}
			for k, v := range tc.form {
				f[k] = v
			}
			forged.do("POST", path, f, tc.hdr...)
			if forged.status != http.StatusForbidden || codeRE.MatchString(forged.body) || strings.Contains(forged.body, `class="slip"`) {
				t.Errorf("%s, %s: status %d\n%s", tc.name, path, forged.status, forged.body)
			}
		}
	}
	if r.issued() != 0 || r.revocations().Serial != 0 {
		t.Fatalf("forged requests issued %d codes, revocation serial %d", r.issued(), r.revocations().Serial)
	}
	// The victim is still signed in and can work.
	victim.do("POST", "/issue", url.Values{"csrf": {victim.csrf()}})
	if victim.status != 200 || r.issued() != 1 {
		t.Fatalf("the victim's own form: %d", victim.status)
	}
	// A forged sign-in (login CSRF) without the token does not sign in.
	login := &browser{r: r}
	login.do("POST", "/signin", url.Values{"name": {"ben"}, "password": {password + "2"}})
	if login.status != http.StatusForbidden {
		t.Fatalf("sign-in without token: %d", login.status)
	}
}

// TestAttackSessionFixation: an attacker gets a session id from the sign-in
// page (or makes one up) and plants it in the staff member's browser; after
// the staff member signs in, the planted id is not signed in.
func TestAttackSessionFixation(t *testing.T) {
	r := newRig(t)
	attacker := &browser{r: r}
	attacker.do("GET", "/signin", nil)
	planted := attacker.cookie
	if planted == "" {
		t.Fatal("no session cookie on the sign-in page")
	}
	victim := &browser{r: r, cookie: planted, body: attacker.body} // the same form and token
	victim.do("GET", "/signin", nil)
	if victim.cookie != planted {
		t.Fatal("the sign-in page replaced a live signed-out session")
	}
	victim.do("POST", "/signin", url.Values{"csrf": {victim.csrf()}, "name": {"anna"}, "password": {password}})
	if victim.status != http.StatusSeeOther || victim.cookie == planted {
		t.Fatalf("sign-in kept the session id (status %d)", victim.status)
	}
	attacker.do("GET", "/", nil)
	if attacker.status != http.StatusSeeOther {
		t.Fatalf("the planted session id is signed in: %d\n%s", attacker.status, attacker.body)
	}
	attacker.do("POST", "/issue", url.Values{"csrf": {csrfRE.FindStringSubmatch(victim.body + `name="csrf" value=""`)[1]}})
	if r.issued() != 0 {
		t.Fatal("the planted session id issued a code")
	}
	// An id the server never issued is not taken up.
	made := &browser{r: r, cookie: "attacker-chosen-session-id"}
	made.do("GET", "/signin", nil)
	if made.cookie == "attacker-chosen-session-id" {
		t.Fatal("the server kept an id it did not make")
	}
	victim.do("GET", "/", nil)
	if victim.status != 200 {
		t.Fatalf("the victim's own session: %d", victim.status)
	}
}

func TestStaffFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "staff.json")
	if err := desk.AddStaff(path, "anna", "short", cheap); err == nil {
		t.Error("short password accepted")
	}
	if err := desk.AddStaff(path, "an na", password, cheap); err == nil {
		t.Error("bad name accepted")
	}
	if err := desk.AddStaff(path, "anna", password, cheap); err != nil {
		t.Fatal(err)
	}
	if err := desk.AddStaff(path, "ANNA", password, cheap); err == nil {
		t.Error("duplicate account accepted")
	}
	if err := desk.AddStaff(path, "ben", desk.GeneratePassword(), cheap); err != nil {
		t.Fatal(err)
	}
	s, err := desk.LoadStaff(path)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := s.Lookup("anna")
	if !ok || !strings.HasPrefix(m.Hash, "$argon2id$v=19$m=64,t=1,p=1$") || len(s.Members) != 2 {
		t.Fatalf("staff %+v", s.Members)
	}
	if ok, err := desk.CheckPassword(m.Hash, password); !ok || err != nil {
		t.Fatalf("CheckPassword: %v %v", ok, err)
	}
	if ok, _ := desk.CheckPassword(m.Hash, password+"x"); ok {
		t.Fatal("wrong password accepted")
	}
}
