package desk

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"sync"
	"time"
)

// Session lifetimes. A session ends after SessionIdle without a request or
// SessionMax after sign-in, whichever comes first; the server decides, the
// cookie carries no expiry of its own (it is a browser-session cookie).
const (
	SessionIdle = 30 * time.Minute
	SessionMax  = 8 * time.Hour
	// preSessionMax is the life of a signed-out session: it carries only
	// the CSRF token of the sign-in form.
	preSessionMax = time.Hour
	maxSessions   = 10000
)

// Lock-out: after MaxFailures wrong passwords in a row an account is locked
// for LockFor; a correct password does not sign in while it is locked.
const (
	MaxFailures = 5
	LockFor     = 15 * time.Minute
	maxTracked  = 10000
)

// session is server-side state of one cookie. Signed-out (pre-sign-in)
// sessions have staff == "".
type session struct {
	staff   string
	csrf    string
	created time.Time
	seen    time.Time
}

// sessions maps session ids (32 random bytes, base64url) to their state.
type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) expired(x *session, now time.Time) bool {
	if x.staff == "" {
		return now.Sub(x.created) > preSessionMax
	}
	return now.Sub(x.seen) > SessionIdle || now.Sub(x.created) > SessionMax
}

// create makes a fresh session for staff ("" for signed out) and returns
// its id and CSRF token; ok is false when the table is full of live
// sessions.
func (s *sessions) create(staff string, now time.Time) (id, csrf string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*session{}
	}
	if len(s.m) >= maxSessions {
		for k, x := range s.m {
			if s.expired(x, now) {
				delete(s.m, k)
			}
		}
		if len(s.m) >= maxSessions {
			// Full of live sessions: signed-out ones (the sign-in form's,
			// cheap to make by the thousand) give way first, so staff
			// who sign in are not shut out by a flood of them.
			for k, x := range s.m {
				if x.staff == "" {
					delete(s.m, k)
				}
				if len(s.m) < maxSessions*3/4 {
					break
				}
			}
		}
		if len(s.m) >= maxSessions {
			return "", "", false
		}
	}
	id, csrf = randomToken(), randomToken()
	s.m[id] = &session{staff: staff, csrf: csrf, created: now, seen: now}
	return id, csrf, true
}

// get returns a copy of the live session id, touching it; an expired one
// is deleted and reported with expired = true.
func (s *sessions) get(id string, now time.Time) (x session, ok, expired bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.m[id]
	if p == nil {
		return session{}, false, false
	}
	if s.expired(p, now) {
		delete(s.m, id)
		return session{}, false, p.staff != ""
	}
	p.seen = now
	return *p, true, false
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// checkCSRF reports whether token is the CSRF token of session x, in
// constant time.
func checkCSRF(x session, token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(x.csrf), []byte(token)) == 1
}

// lockout counts failed sign-ins per account name (known or not, so that
// the answers do not tell which names exist).
type lockout struct {
	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n     int
	until time.Time // locked until
	last  time.Time
}

// key is the table's key of name. A name longer than an account's (64
// bytes) is cut to 65, so that a hostile form's long names take little
// room and still match no account.
func (l *lockout) key(name string) string {
	if len(name) > 65 {
		name = name[:65]
	}
	return strings.ToLower(name)
}

// locked reports whether name is locked at now and until when.
func (l *lockout) locked(name string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[l.key(name)]
	if f == nil || !now.Before(f.until) {
		return false, time.Time{}
	}
	return true, f.until
}

// fail records a wrong password for name and reports whether it locked the
// account. known tells that name is a staff account: an account's failures
// are counted even when unknown names fill the table, so that a flood of
// made-up names does not switch off the lock-out of the real ones.
func (l *lockout) fail(name string, known bool, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*failures{}
	}
	if len(l.m) >= maxTracked {
		for k, f := range l.m {
			if now.Sub(f.last) > LockFor {
				delete(l.m, k)
			}
		}
	}
	k := l.key(name)
	f := l.m[k]
	if f == nil {
		if len(l.m) >= maxTracked && !known {
			return false
		}
		f = &failures{}
		l.m[k] = f
	}
	if !f.until.IsZero() && !now.Before(f.until) {
		f.n, f.until = 0, time.Time{} // a lock that ran out starts afresh
	}
	f.n++
	f.last = now
	if f.n >= MaxFailures {
		f.until = now.Add(LockFor)
		return true
	}
	return false
}

// succeed clears name's failures.
func (l *lockout) succeed(name string) {
	l.mu.Lock()
	delete(l.m, l.key(name))
	l.mu.Unlock()
}
