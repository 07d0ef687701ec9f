// Package desk is the health authority's desk: a small web page where staff
// of the authority sign in, issue one-time codes (for a positive test or a
// venue warning, one at a time with a QR code or as a printable sheet) and
// revoke codes handed to the wrong person, and where parties fetch the
// authority's signed revocation list (GET /v1/revocations). See
// docs/desk.md.
//
// Use [New] with a [Config] and serve [Server.Handler], over TLS except on
// a loopback address.
//
// Security design: staff accounts are in a staff file with argon2id hashes
// (staff.go). Sessions are server-side (session.go): a random 256-bit id in
// an HttpOnly, SameSite=Strict cookie (Secure, with the __Host- prefix,
// when served over TLS), ending after [SessionIdle] without a request or
// [SessionMax] after sign-in. Every form carries a synchronizer token bound
// to its session, compared in constant time; cross-origin requests are also
// refused by their Sec-Fetch-Site and Origin headers
// ([http.CrossOriginProtection]). Sign-in replaces the session (and its
// token) with a fresh one, so an id planted before sign-in is worth
// nothing. An account is locked for [LockFor] after [MaxFailures] wrong
// passwords in a row. Pages run no script; the Content-Security-Policy
// allows the desk's own style sheet and data: images (the QR codes) only.
//
// The desk stores no personal data: its audit log (state.go) records which
// staff account issued or revoked how many codes when; codes themselves are
// shown once and never stored, except the ids of revoked codes.
//
// Warning: the authority key is in the desk's memory while it runs, and
// anyone signed in can issue codes. Staff accounts are as strong as their
// passwords; serve the desk only on the authority's network, over TLS.
package desk

import (
	"crypto/ed25519"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/web"
)

//go:embed page.html desk.css
var files embed.FS

// MaxSheet is the most codes on one printable sheet.
const MaxSheet = 200

// CSP is the Content-Security-Policy of every page: no script at all.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// Config configures a Server. Key, Staff and DataDir are required.
type Config struct {
	// Key is the authority's signing key. It stays in memory.
	Key *authority.Key
	// Staff are the accounts that may sign in.
	Staff *Staff
	// DataDir holds the audit log and the revocation list (created 0700).
	DataDir string
	// Secure marks the session cookie Secure, with the __Host- prefix, and
	// sends HSTS: set it when the desk is served over TLS.
	Secure bool
	// Validity is how long codes are valid; zero means 14 days.
	Validity time.Duration
	// Now returns the time; nil means time.Now.
	Now func() time.Time
	// Logger receives structured logs; nil means slog.Default(). Codes and
	// passwords are never logged.
	Logger *slog.Logger
}

// Server is the desk. Its methods are safe for concurrent use.
type Server struct {
	cfg      Config
	own      *manifest.Manifest // the desk's key as the only authority, to check codes
	st       *state
	sess     sessions
	lock     lockout
	hashing  chan struct{} // bounds concurrent argon2id computations
	tmpl     *template.Template
	css      []byte
	log      *slog.Logger
	now      func() time.Time
	cookie   string
	dummyPHC string // hashed for unknown account names, so they take as long
}

// New checks cfg, opens the data directory and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Key == nil || cfg.Staff == nil || cfg.DataDir == "" {
		return nil, errors.New("desk: config needs Key, Staff and DataDir")
	}
	if len(cfg.Key.Private) != ed25519.PrivateKeySize {
		return nil, errors.New("desk: invalid authority key")
	}
	if cfg.Validity == 0 {
		cfg.Validity = 14 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	st, err := openState(cfg.DataDir, cfg.Key, cfg.Now())
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, st: st, log: cfg.Logger, now: cfg.Now, hashing: make(chan struct{}, 2),
		own: &manifest.Manifest{Authorities: []manifest.Authority{cfg.Key.Public()}}, cookie: "desk-session"}
	if cfg.Secure {
		s.cookie = "__Host-desk-session"
	}
	p := DefaultParams
	if len(cfg.Staff.Members) > 0 {
		p = paramsOf(cfg.Staff.Members[0].Hash)
	}
	s.dummyPHC = HashPassword(randomToken(), p)
	own, err := files.ReadFile("desk.css")
	if err != nil {
		return nil, err
	}
	s.css = append(append([]byte(nil), web.BaseCSS...), own...)
	s.tmpl, err = template.New("desk").Funcs(template.FuncMap{"t": func(string, ...any) string { return "" }}).ParseFS(files, "page.html")
	if err != nil {
		return nil, fmt.Errorf("desk: %w", err)
	}
	return s, nil
}

// paramsOf returns the parameters of a PHC string, or DefaultParams.
func paramsOf(phc string) Params {
	p := DefaultParams
	parts := strings.Split(phc, "$")
	if len(parts) == 6 {
		var q Params
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &q.Memory, &q.Time, &q.Threads); err == nil && q.Memory <= maxMemory && q.Time <= maxTime && q.Time > 0 && q.Threads > 0 {
			p = q
		}
	}
	return p
}

// Handler returns the desk's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /signin", s.signinPage)
	mux.HandleFunc("POST /signin", s.signin)
	mux.HandleFunc("POST /signout", s.form(s.signout))
	mux.HandleFunc("POST /issue", s.form(s.issue))
	mux.HandleFunc("POST /sheet", s.form(s.sheet))
	mux.HandleFunc("POST /revoke", s.form(s.revoke))
	mux.HandleFunc("GET /lang", s.setLang)
	mux.HandleFunc("GET /desk.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(s.css)
	})
	mux.HandleFunc("GET /v1/revocations", func(w http.ResponseWriter, r *http.Request) {
		// Public: revoked code ids say nothing about anyone.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write(s.st.list())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"authority":%q}`+"\n", s.cfg.Key.Name)
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusForbidden, &page{View: "signin", Msg: tr(language(r), "csrf"), MsgErr: true})
	}))
	h := cop.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", CSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		if s.cfg.Secure {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		h.ServeHTTP(w, r)
	})
}

// page is what the template shows.
type page struct {
	Lang, Other string
	View        string // signin, home, codes, sheet
	Staff, CSRF string
	Msg         string
	MsgErr      bool
	Venue       bool
	Codes       []shownCode
	Expires     string
	Counts      []DayCounts
	Audit       []AuditEntry
	SheetMax    int
}

type shownCode struct {
	Text string
	QR   template.URL
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, p *page) {
	p.Lang = language(r)
	p.Other = "de"
	if p.Lang == "de" {
		p.Other = "en"
	}
	p.SheetMax = MaxSheet
	t, err := s.tmpl.Clone()
	if err == nil {
		t.Funcs(template.FuncMap{"t": func(key string, vars ...any) string {
			var vs []string
			for _, v := range vars {
				vs = append(vs, fmt.Sprint(v))
			}
			return tr(p.Lang, key, vs...)
		}})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err == nil {
		err = t.ExecuteTemplate(w, "page", p)
	}
	if err != nil {
		s.log.Error("desk: page", "err", err)
	}
}

func (s *Server) setCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: id, Path: "/", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteStrictMode})
}

// current returns the request's live session and its id.
func (s *Server) current(r *http.Request) (x session, id string, ok, expired bool) {
	c, err := r.Cookie(s.cookie)
	if err != nil || c.Value == "" {
		return session{}, "", false, false
	}
	x, ok, expired = s.sess.get(c.Value, s.now())
	return x, c.Value, ok, expired
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	x, _, ok, expired := s.current(r)
	if !ok || x.staff == "" {
		to := "/signin"
		if expired {
			to += "?m=expired"
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	s.renderHome(w, r, http.StatusOK, x, "", false)
}

func (s *Server) renderHome(w http.ResponseWriter, r *http.Request, status int, x session, msg string, isErr bool) {
	s.render(w, r, status, &page{View: "home", Staff: x.staff, CSRF: x.csrf, Msg: msg, MsgErr: isErr,
		Counts: s.st.counts(), Audit: s.st.recent(50)})
}

// signinPage shows the sign-in form with a signed-out session for its CSRF
// token (reusing the request's signed-out session, if live).
func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	x, _, ok, _ := s.current(r)
	if ok && x.staff != "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	var msg string
	if r.URL.Query().Get("m") == "expired" {
		msg = tr(language(r), "expired")
	}
	s.signinForm(w, r, http.StatusOK, x, ok, msg)
}

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request, status int, x session, ok bool, msg string) {
	if !ok {
		id, csrf, created := s.sess.create("", s.now())
		if !created {
			s.render(w, r, http.StatusServiceUnavailable, &page{View: "signin", Msg: tr(language(r), "busy"), MsgErr: true})
			return
		}
		s.setCookie(w, id)
		x = session{csrf: csrf}
	}
	s.render(w, r, status, &page{View: "signin", CSRF: x.csrf, Msg: msg, MsgErr: msg != ""})
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	lang := language(r)
	x, oldID, ok, _ := s.current(r)
	if err := r.ParseForm(); err != nil || !ok || !checkCSRF(x, r.PostForm.Get("csrf")) {
		s.signinForm(w, r, http.StatusForbidden, session{}, false, tr(lang, "csrf"))
		return
	}
	name, password := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("password")
	now := s.now()
	if locked, until := s.lock.locked(name, now); locked {
		s.signinForm(w, r, http.StatusForbidden, x, true, tr(lang, "locked", "until", until.UTC().Format("15:04 UTC")))
		return
	}
	member, known := s.cfg.Staff.Lookup(name)
	hash := s.dummyPHC
	if known {
		hash = member.Hash
	}
	select {
	case s.hashing <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	good, err := CheckPassword(hash, password)
	<-s.hashing
	if err != nil {
		s.log.Error("desk: staff file", "account", member.Name, "err", err)
	}
	if !known || !good || err != nil {
		lockedNow := s.lock.fail(name, known, now)
		if known {
			s.st.record(AuditEntry{Time: now, Staff: member.Name, Action: actSignInFailed})
			if lockedNow {
				s.st.record(AuditEntry{Time: now, Staff: member.Name, Action: actLocked})
				s.log.Warn("desk: account locked", "account", member.Name)
			}
		}
		msg := tr(lang, "bad")
		if lockedNow {
			_, until := s.lock.locked(name, now)
			msg = tr(lang, "locked", "until", until.UTC().Format("15:04 UTC"))
		}
		s.signinForm(w, r, http.StatusUnauthorized, x, true, msg)
		return
	}
	// A new session id and token at sign-in: an id known before (planted
	// by someone else) is not the signed-in session.
	s.sess.delete(oldID)
	id, _, created := s.sess.create(member.Name, now)
	if !created {
		s.render(w, r, http.StatusServiceUnavailable, &page{View: "signin", Msg: tr(lang, "busy"), MsgErr: true})
		return
	}
	s.lock.succeed(name)
	s.st.record(AuditEntry{Time: now, Staff: member.Name, Action: actSignIn})
	s.setCookie(w, id)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// form wraps a handler of a signed-in form: the session must be live and
// signed in, and the form's csrf field its token. Otherwise nothing is done.
func (s *Server) form(h func(w http.ResponseWriter, r *http.Request, x session, id string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := language(r)
		x, id, ok, expired := s.current(r)
		if !ok || x.staff == "" {
			msg := tr(lang, "expired")
			if !expired && !ok {
				msg = tr(lang, "csrf")
			}
			s.signinForm(w, r, http.StatusUnauthorized, x, ok, msg)
			return
		}
		if err := r.ParseForm(); err != nil || !checkCSRF(x, r.PostForm.Get("csrf")) {
			s.renderHome(w, r, http.StatusForbidden, x, tr(lang, "csrf"), true)
			return
		}
		h(w, r, x, id)
	}
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, _ session, id string) {
	s.sess.delete(id)
	s.clearCookie(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// qrDataURL returns a PNG QR code of text as a data: URL.
func qrDataURL(text string, size int) (template.URL, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, size)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}

// issueCodes issues n codes of purpose p, records them in the audit log and
// shows them in view.
func (s *Server) issueCodes(w http.ResponseWriter, r *http.Request, x session, p authority.Purpose, n int, view string, qrSize int) {
	codes, err := authority.IssueFor(s.cfg.Key, p, n, s.cfg.Validity)
	if err != nil {
		s.renderHome(w, r, http.StatusInternalServerError, x, tr(language(r), "error", "err", err.Error()), true)
		return
	}
	act := actIssue
	if p == authority.VenueWarning {
		act = actIssueVenue
	}
	// Recorded before shown: a code never exists without its audit entry.
	if err := s.st.record(AuditEntry{Time: s.now(), Staff: x.staff, Action: act, Count: n}); err != nil {
		s.log.Error("desk: audit log", "err", err)
		s.renderHome(w, r, http.StatusInternalServerError, x, tr(language(r), "error", "err", "audit log"), true)
		return
	}
	pg := &page{View: view, Staff: x.staff, CSRF: x.csrf, Venue: p == authority.VenueWarning}
	for _, c := range codes {
		u, err := qrDataURL(c, qrSize)
		if err != nil {
			s.renderHome(w, r, http.StatusInternalServerError, x, tr(language(r), "error", "err", err.Error()), true)
			return
		}
		pg.Codes = append(pg.Codes, shownCode{Text: c, QR: u})
	}
	if pc, err := authority.ParseCode(codes[0]); err == nil {
		pg.Expires = pc.Expires.Format("2006-01-02 15:04")
	}
	s.log.Info("desk: codes issued", "staff", x.staff, "purpose", p.String(), "count", n)
	s.render(w, r, http.StatusOK, pg)
}

func purposeOf(v string) authority.Purpose {
	if v == "venue" {
		return authority.VenueWarning
	}
	return authority.PositiveTest
}

func (s *Server) issue(w http.ResponseWriter, r *http.Request, x session, _ string) {
	s.issueCodes(w, r, x, purposeOf(r.PostForm.Get("purpose")), 1, "codes", 296)
}

func (s *Server) sheet(w http.ResponseWriter, r *http.Request, x session, _ string) {
	n, err := strconv.Atoi(r.PostForm.Get("count"))
	if err != nil || n < 1 || n > MaxSheet {
		s.renderHome(w, r, http.StatusBadRequest, x, tr(language(r), "sheet.n", "max", strconv.Itoa(MaxSheet)), true)
		return
	}
	s.issueCodes(w, r, x, purposeOf(r.PostForm.Get("purpose")), n, "sheet", 148)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, x session, _ string) {
	lang := language(r)
	text := r.PostForm.Get("code")
	c, err := authority.ParseCode(text)
	if err == nil {
		_, err = authority.Check(s.own, text, c.Purpose, s.now())
	}
	switch {
	case errors.Is(err, authority.ErrExpired):
		s.renderHome(w, r, http.StatusOK, x, tr(lang, "revoke.old"), false)
		return
	case err != nil:
		s.renderHome(w, r, http.StatusBadRequest, x, tr(lang, "revoke.bad", "err", strings.TrimPrefix(err.Error(), "authority: ")), true)
		return
	}
	res, err := s.st.revoke(s.cfg.Key, c, x.staff, s.now())
	switch {
	case err != nil:
		s.log.Error("desk: revoke", "err", err)
		s.renderHome(w, r, http.StatusInternalServerError, x, tr(lang, "error", "err", "revocation list"), true)
	case res == revokedBefore:
		s.renderHome(w, r, http.StatusOK, x, tr(lang, "revoked.before"), false)
	default:
		s.log.Info("desk: code revoked", "staff", x.staff)
		s.renderHome(w, r, http.StatusOK, x, tr(lang, "revoked"), false)
	}
}

// setLang sets the lang cookie to "en" or "de" and goes back to the desk.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	if l := r.URL.Query().Get("to"); texts[l] != nil {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode, MaxAge: 365 * 24 * 3600})
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// Audit returns the whole audit log, oldest first.
func (s *Server) Audit() []AuditEntry { return s.st.all() }
