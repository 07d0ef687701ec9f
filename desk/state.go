package desk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
)

// Audit actions.
const (
	actIssue        = "issue"          // positive-test codes
	actIssueVenue   = "issue-venue"    // venue-warning codes
	actRevoke       = "revoke"         // one code revoked
	actSignIn       = "sign-in"        // a staff account signed in
	actSignInFailed = "sign-in-failed" // a wrong password for a staff account
	actLocked       = "locked"         // an account was locked
)

// AuditEntry is one line of the audit log (audit.jsonl): which staff
// account did what, how many codes, when. It holds no code and nothing
// about the people codes are given to.
type AuditEntry struct {
	Time   time.Time `json:"time"`
	Staff  string    `json:"staff"`
	Action string    `json:"action"`
	Count  int       `json:"count,omitempty"`
}

// DayCounts are the counts of one UTC day.
type DayCounts struct {
	Day                    string // YYYY-MM-DD
	Issued, Venue, Revoked int
}

// state is the desk's durable state in its data directory: the audit log
// and the signed revocation list. Both are written before the action they
// record is shown as done.
type state struct {
	mu      sync.Mutex
	dir     string
	audit   []AuditEntry
	revoked *authority.RevocationList // nil before the first revocation
	listB   []byte                    // revoked's encoding, as served
}

func openState(dir string, key *authority.Key, now time.Time) (*state, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("desk: %w", err)
	}
	st := &state{dir: dir}
	if f, err := os.Open(filepath.Join(dir, "audit.jsonl")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var e AuditEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				f.Close()
				return nil, fmt.Errorf("desk: audit log: %w", err)
			}
			st.audit = append(st.audit, e)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("desk: audit log: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("desk: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "revocations.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		// An empty list, serial 0, so parties can fetch from the start.
		l, err := authority.SignRevocations(key, 0, nil, now)
		if err != nil {
			return nil, err
		}
		st.revoked = l
		if st.listB, err = l.Marshal(); err != nil {
			return nil, err
		}
		if err := replaceSecretFile(filepath.Join(dir, "revocations.json"), st.listB); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("desk: %w", err)
	default:
		l, err := authority.ParseRevocations(b)
		if err != nil {
			return nil, fmt.Errorf("desk: %w", err)
		}
		if !bytes.Equal(l.Key, key.Public().Key) {
			return nil, errors.New("desk: revocations.json is signed by another key than --key")
		}
		st.revoked, st.listB = l, b
	}
	return st, nil
}

// record appends e to the audit log.
func (st *state) record(e AuditEntry) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.recordLocked(e)
}

func (st *state) recordLocked(e AuditEntry) error {
	e.Time = e.Time.UTC().Truncate(time.Second)
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(st.dir, "audit.jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("desk: audit log: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("desk: audit log: %w", err)
	}
	st.audit = append(st.audit, e)
	return nil
}

// revokeResult says what revoke did.
type revokeResult int

const (
	revokedNow revokeResult = iota
	revokedBefore
)

// revoke adds code c to the revocation list, signs it with the next serial,
// writes it and the audit entry.
func (st *state) revoke(key *authority.Key, c authority.Code, staff string, now time.Time) (revokeResult, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.revoked.Revokes(c.ID) {
		return revokedBefore, nil
	}
	rs := append(append([]authority.Revoked(nil), st.revoked.Revoked...), authority.Revoked{ID: c.ID, Expires: c.Expires})
	// The serial is at least the time in Unix seconds: a desk that lost
	// its data directory still signs lists newer than the ones parties
	// hold (the lost entries are lost, though: back the directory up).
	l, err := authority.SignRevocations(key, max(st.revoked.Serial+1, uint64(max(now.Unix(), 0))), rs, now)
	if err != nil {
		return 0, err
	}
	b, err := l.Marshal()
	if err != nil {
		return 0, err
	}
	if err := replaceSecretFile(filepath.Join(st.dir, "revocations.json"), b); err != nil {
		return 0, err
	}
	st.revoked, st.listB = l, b
	if err := st.recordLocked(AuditEntry{Time: now, Staff: staff, Action: actRevoke, Count: 1}); err != nil {
		return 0, err
	}
	return revokedNow, nil
}

// list returns the encoded revocation list.
func (st *state) list() []byte {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.listB
}

// counts returns the issued and revoked counts of each day with any, the
// newest day first.
func (st *state) counts() []DayCounts {
	st.mu.Lock()
	defer st.mu.Unlock()
	by := map[string]*DayCounts{}
	for _, e := range st.audit {
		d := e.Time.UTC().Format(time.DateOnly)
		c := by[d]
		if c == nil {
			c = &DayCounts{Day: d}
		}
		switch e.Action {
		case actIssue:
			c.Issued += e.Count
		case actIssueVenue:
			c.Venue += e.Count
		case actRevoke:
			c.Revoked += e.Count
		default:
			continue
		}
		by[d] = c
	}
	var out []DayCounts
	for _, c := range by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day > out[j].Day })
	return out
}

// recent returns the newest n audit entries, newest first.
func (st *state) recent(n int) []AuditEntry {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []AuditEntry
	for i := len(st.audit) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, st.audit[i])
	}
	return out
}

// Audit returns a copy of the whole audit log, oldest first.
func (st *state) all() []AuditEntry {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]AuditEntry(nil), st.audit...)
}
