package server_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

func revocationList(t *testing.T, k *authority.Key, serial uint64, codes ...string) []byte {
	t.Helper()
	var rs []authority.Revoked
	for _, c := range codes {
		pc, err := authority.ParseCode(c)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, authority.Revoked{ID: pc.ID, Expires: pc.Expires})
	}
	l, err := authority.SignRevocations(k, serial, rs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func positiveRecords(n int, salt byte) []trace.Record {
	today := trace.DayOf(time.Now())
	rs := make([]trace.Record, n)
	for i := range rs {
		rs[i] = trace.Record{Weight: 1, Minutes: 10, Day: today}
		rs[i].Key[0], rs[i].Key[1], rs[i].Key[2] = 0xee, salt, byte(i)
	}
	return rs
}

func refusal(err error) wire.Code {
	var e *wire.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// TestRevokedCode: every party refuses a revoked code with its own error,
// before and after the code was used; older lists, and lists of keys that
// are no authority of the manifest, change nothing.
func TestRevokedCode(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	v := newVisitor(t, d, "b")
	codes, err := authority.Issue(d.Authority, 3, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if st, err := v.c.Upload(ctx, wire.KindPositive, codes[0], positiveRecords(2, 0)); err != nil || !st.Complete {
		t.Fatalf("positive upload before any revocation: %v", err)
	}
	install := func(data []byte, want bool) {
		t.Helper()
		for i, s := range d.Servers {
			ok, err := s.SetRevocations(data)
			if err != nil || ok != want {
				t.Fatalf("party %d: SetRevocations = %v, %v; want %v", i+1, ok, err, want)
			}
		}
	}
	install(revocationList(t, d.Authority, 2, codes[0], codes[1]), true)
	install(revocationList(t, d.Authority, 1), false) // older: ignored
	forger, _ := authority.GenerateKey("forger")
	for i, s := range d.Servers {
		if _, err := s.SetRevocations(revocationList(t, forger, 9)); err == nil {
			t.Fatalf("party %d installed a list of a key that is no authority", i+1)
		}
	}
	// Revoked before use.
	_, err = v.c.Upload(ctx, wire.KindPositive, codes[1], positiveRecords(2, 1))
	if refusal(err) != wire.CodeCodeRevoked {
		t.Fatalf("revoked code: %v, want %v", err, wire.CodeCodeRevoked)
	}
	// Revoked after use: the stored report stays, another use is refused.
	_, err = v.c.Upload(ctx, wire.KindPositive, codes[0], positiveRecords(2, 2))
	if refusal(err) != wire.CodeCodeRevoked {
		t.Fatalf("code revoked after use: %v, want %v", err, wire.CodeCodeRevoked)
	}
	if st, err := v.c.Upload(ctx, wire.KindPositive, codes[2], positiveRecords(2, 3)); err != nil || !st.Complete {
		t.Fatalf("a code not revoked: %v", err)
	}
	for i, st := range d.Stores {
		if n := count(t, st); n != 4 {
			t.Errorf("party %d stores %d records, want 4 (the two accepted reports)", i+1, n)
		}
	}
}

func count(t *testing.T, st *store.Store) int {
	t.Helper()
	n := 0
	if err := st.ForEachRecord(0, 1<<32-1, func(*store.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRevocationsPersist: a list installed at a party is read again from
// its file after a restart.
func TestRevocationsPersist(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	codes, _ := authority.Issue(d.Authority, 1, time.Hour)
	pc, _ := authority.ParseCode(codes[0])
	file := filepath.Join(t.TempDir(), "revocations.json")
	st, err := store.Open(filepath.Join(t.TempDir(), "party.db"), store.Options{MaxRecords: -1, MaxRecordsPerUserDay: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := server.Config{Manifest: d.Manifest(), Key: d.Parties[0], Store: st, Logger: slog.New(slog.DiscardHandler), RevocationsFile: file}
	s1, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s1.SetRevocations(revocationList(t, d.Authority, 1, codes[0])); !ok || err != nil {
		t.Fatalf("SetRevocations: %v %v", ok, err)
	}
	s2, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !server.RevokedCode(s2, d.Authority.Public().Key, pc.ID) {
		t.Error("the revocation was lost in the restart")
	}
	if ok, _ := s2.SetRevocations(revocationList(t, d.Authority, 1)); ok {
		t.Error("a list with the same serial replaced the persisted one")
	}
}

// TestAttackRevocationList: whoever serves a party its revocation list (the
// list's host, or someone on the way) alters an honest list: one more code
// revoked, a larger serial to replace the honest list with an empty one,
// an unknown field, entries out of order, another type. Every party refuses
// each such list, the honest list stays in force, and an honest user's
// report with a code never revoked is accepted and stored whole.
func TestAttackRevocationList(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	v := newVisitor(t, d, "honest")
	codes, err := authority.Issue(d.Authority, 3, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	honest := revocationList(t, d.Authority, 5, codes[0])
	for i, s := range d.Servers {
		if ok, err := s.SetRevocations(honest); !ok || err != nil {
			t.Fatalf("party %d: honest list: %v %v", i+1, ok, err)
		}
	}
	l, err := authority.ParseRevocations(honest)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := authority.ParseCode(codes[1])
	if err != nil {
		t.Fatal(err)
	}
	alter := func(f func(j map[string]any)) []byte {
		var j map[string]any
		if err := json.Unmarshal(honest, &j); err != nil {
			t.Fatal(err)
		}
		f(j)
		b, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	entry := map[string]any{"id": hex.EncodeToString(pc.ID[:]), "expires": pc.Expires.UTC().Format(time.RFC3339)}
	for _, c := range []struct {
		what string
		data []byte
	}{
		{"another code revoked", alter(func(j map[string]any) { j["revoked"] = append(j["revoked"].([]any), entry) })},
		{"larger serial, no entries", alter(func(j map[string]any) { j["serial"] = l.Serial + 1; j["revoked"] = []any{} })},
		{"an unknown field", alter(func(j map[string]any) { j["grace"] = true })},
		{"entries out of order", alter(func(j map[string]any) { j["revoked"] = append([]any{entry}, j["revoked"].([]any)...) })},
		{"another type", alter(func(j map[string]any) { j["type"] = "safetrace revocations v0" })},
		{"not JSON", []byte("revoked: all")},
	} {
		for i, s := range d.Servers {
			if ok, err := s.SetRevocations(c.data); ok || err == nil {
				t.Errorf("%s: party %d installed it (%v, %v)", c.what, i+1, ok, err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := v.c.Upload(ctx, wire.KindPositive, codes[0], positiveRecords(2, 0)); refusal(err) != wire.CodeCodeRevoked {
		t.Fatalf("code of the honest list: %v, want %v", err, wire.CodeCodeRevoked)
	}
	if st, err := v.c.Upload(ctx, wire.KindPositive, codes[1], positiveRecords(3, 1)); err != nil || !st.Complete {
		t.Fatalf("honest report with a code never revoked: %v", err)
	}
	for i, st := range d.Stores {
		if n := count(t, st); n != 3 {
			t.Errorf("party %d stores %d records, want 3 (the honest report)", i+1, n)
		}
	}
}
