// Package storetest is the conformance suite of store.Backend: every store
// (the embedded bbolt store, the PostgreSQL store) runs it with its own
// constructor, so they behave the same for uploads, idempotent retries,
// codes spent once under concurrency, results, retention and deletion, run
// inputs and budgets.
package storetest

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// Opener returns a new, empty store with options o, closed at the end of
// the test.
type Opener func(t *testing.T, o store.Options) store.Backend

var t0 = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// Upload returns an upload of n records of day with ids id/r0, id/r1, ...
// and one result key.
func Upload(id string, day record.Day, n int, kind wire.Kind) *store.Upload {
	u := &store.Upload{ID: []byte(id)}
	for i := range n {
		u.Records = append(u.Records, Record(day, fmt.Sprintf("%s/r%d", id, i), bytes.Repeat([]byte{9}, 32), kind,
			fmt.Sprintf("share %s %d", id, i)))
	}
	u.ContentHash = sha256.Sum256([]byte(fmt.Sprint(id, day, n, kind)))
	return u
}

// Record returns a record of day with the id spelling id (zero padded, at
// most 16 bytes) and the share Share(share).
func Record(day record.Day, id string, resultKey []byte, kind wire.Kind, share string) store.Record {
	r := store.Record{ResultKey: resultKey, Kind: kind}
	r.Day, r.ID, r.Share = day, ID(id), Share(share)
	return r
}

// ID returns the record id spelling s, zero padded; it panics if s is
// longer than an id.
func ID(s string) (id [wire.IDSize]byte) {
	if len(s) > len(id) {
		panic("storetest: record id " + s + " too long")
	}
	copy(id[:], s)
	return id
}

// IDString returns a record id made by ID without its padding.
func IDString(id [wire.IDSize]byte) string { return string(bytes.TrimRight(id[:], "\x00")) }

// Share returns a canonical share whose point is hashed from name.
func Share(name string) (sh record.Share) {
	h := sha512.Sum512([]byte(name))
	sh.Point.SetUniformBytes(h[:])
	return sh
}

// shareString is a short print of a share's encoding.
func shareString(sh *record.Share) string { return fmt.Sprintf("%x", sh.AppendShare(nil)[:8]) }

// Count returns the number of records of days from..to.
func Count(t *testing.T, s store.Backend, from, to record.Day) int {
	t.Helper()
	n := 0
	if err := s.ForEachRecord(from, to, func(*store.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// Run runs the suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Uploads", testUploads},
		{"Stream", testStream},
		{"IdempotentRetry", testIdempotent},
		{"ConcurrentRetries", testConcurrentRetries},
		{"RecordExists", testRecordExists},
		{"CodeOnceConcurrent", testCodeOnce},
		{"Results", testResults},
		{"Publish", testPublish},
		{"Retention", testRetention},
		{"RunInputs", testRunInputs},
		{"Budgets", testBudgets},
		{"Kinds", testKinds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func testUploads(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	d := record.DayOf(t0)
	u := Upload("u1", d, 3, wire.KindOrdinary)
	u.Records = append(u.Records, Record(d-1, "older", []byte("rk"), wire.KindOrdinary, "s-old"))
	rc, err := s.PutUpload(u, t0)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Records != 4 || !bytes.Equal(rc.UploadID, u.ID) || rc.ContentHash != u.ContentHash || !rc.Stored.Equal(t0) {
		t.Fatalf("receipt %+v", rc)
	}
	var got []string
	err = s.ForEachRecord(d-1, d, func(r *store.Record) error {
		if !bytes.Equal(r.UploadID, u.ID) || !r.Created.Equal(t0) || r.Kind != wire.KindOrdinary {
			return fmt.Errorf("record %q: %+v", r.ID, r)
		}
		got = append(got, fmt.Sprintf("%d %s %s %s", r.Day-d+1, IDString(r.ID), r.ResultKey, shareString(&r.Share)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sh := func(name string) string { s := Share(name); return shareString(&s) }
	nines := string(bytes.Repeat([]byte{9}, 32))
	want := []string{"0 older rk " + sh("s-old"), "1 u1/r0 " + nines + " " + sh("share u1 0"),
		"1 u1/r1 " + nines + " " + sh("share u1 1"), "1 u1/r2 " + nines + " " + sh("share u1 2")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("records\n got %q\nwant %q", got, want)
	}
	// The same records with the shares left encoded.
	got = got[:0]
	err = s.ForEachRecordEncoded(d-1, d, func(r *store.Record) error {
		if !bytes.Equal(r.UploadID, u.ID) || !r.Created.Equal(t0) || r.Kind != wire.KindOrdinary {
			return fmt.Errorf("record %q: %+v", r.ID, r)
		}
		sh, err := record.DecodeShare(r.Encoded)
		if err != nil {
			return fmt.Errorf("record %q: %w", r.ID, err)
		}
		got = append(got, fmt.Sprintf("%d %s %s %s", r.Day-d+1, IDString(r.ID), r.ResultKey, shareString(&sh)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("records, shares encoded\n got %q\nwant %q", got, want)
	}
	if n := Count(t, s, d, d); n != 3 {
		t.Fatalf("day d: %d records, want 3", n)
	}
	if n := Count(t, s, d+1, d+5); n != 0 {
		t.Fatalf("later days: %d records", n)
	}
	if rc2, ok, err := s.Upload(u.ID); err != nil || !ok || rc2.Records != 4 || rc2.ContentHash != u.ContentHash {
		t.Fatalf("Upload: %+v %v %v", rc2, ok, err)
	}
	if _, ok, err := s.Upload([]byte("none")); err != nil || ok {
		t.Fatalf("Upload of unknown id: %v %v", ok, err)
	}
	st, err := s.Stats()
	if err != nil || st.Records != 4 || st.DayKeys < 2 {
		t.Fatalf("stats %+v %v", st, err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.ForEachRecord(d-1, d, func(*store.Record) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("an error from fn: %v after %d", err, n)
	}
	if _, err := s.PutUpload(&store.Upload{ID: []byte("bad"), Records: []store.Record{Record(d, "r", nil, 0, "")}}, t0); err == nil {
		t.Fatal("record without kind accepted")
	}
}

// testKinds stores an upload of every kind, a venue warning with its code
// spent in the same transaction, reads each kind back and refuses an
// unknown kind.
func testKinds(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	d := record.DayOf(t0)
	kinds := []wire.Kind{wire.KindOrdinary, wire.KindPositive, wire.KindVenueWarning}
	for i, k := range kinds {
		u := Upload(k.String(), d, 2, k)
		if k.Reports() {
			u.Code = &store.CodeUse{ID: [16]byte{0xee, byte(i)}, Expires: t0.Add(time.Hour)}
		}
		if _, err := s.PutUpload(u, t0); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	got := map[string]wire.Kind{}
	if err := s.ForEachRecord(d, d, func(r *store.Record) error { got[string(r.UploadID)] = r.Kind; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if got[k.String()] != k {
			t.Errorf("upload %s: records read back as kind %d", k, got[k.String()])
		}
	}
	again := Upload("again", d, 1, wire.KindVenueWarning)
	again.Code = &store.CodeUse{ID: [16]byte{0xee, 2}, Expires: t0.Add(time.Hour)}
	if _, err := s.PutUpload(again, t0); !errors.Is(err, store.ErrCodeUsed) {
		t.Errorf("a venue warning's code used twice: %v", err)
	}
	if _, err := s.PutUpload(Upload("odd", d, 1, wire.Kind(4)), t0); err == nil {
		t.Error("a record of kind 4 was stored")
	}
	if n := Count(t, s, d, d); n != 6 {
		t.Errorf("%d records stored, want 6", n)
	}
}

// testStream reads back more records than a batch, in order.
func testStream(t *testing.T, open Opener) {
	s := open(t, store.Options{MaxRecordsPerUserDay: -1})
	d := record.DayOf(t0)
	const uploads, per = 25, 100
	for i := range uploads {
		if _, err := s.PutUpload(Upload(fmt.Sprintf("s%02d", i), d+record.Day(i%2), per, wire.KindOrdinary), t0); err != nil {
			t.Fatal(err)
		}
	}
	var last []byte
	lastDay := record.Day(0)
	n := 0
	err := s.ForEachRecord(d, d+1, func(r *store.Record) error {
		k := append([]byte(fmt.Sprintf("%010d", r.Day)), r.ID[:]...)
		if last != nil && bytes.Compare(k, last) <= 0 {
			return fmt.Errorf("record %d out of order: %s after %s", n, k, last)
		}
		if r.Day < lastDay {
			return errors.New("days out of order")
		}
		last, lastDay = k, r.Day
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != uploads*per {
		t.Fatalf("%d records streamed, want %d", n, uploads*per)
	}
}

func testIdempotent(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	d := record.DayOf(t0)
	u := Upload("u1", d, 2, wire.KindOrdinary)
	rc1, err := s.PutUpload(u, t0)
	if err != nil {
		t.Fatal(err)
	}
	rc2, err := s.PutUpload(Upload("u1", d, 2, wire.KindOrdinary), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !rc2.Stored.Equal(rc1.Stored) || rc2.Records != rc1.Records || rc2.ContentHash != rc1.ContentHash {
		t.Fatalf("retry receipt %+v, first %+v", rc2, rc1)
	}
	other := Upload("u1", d, 3, wire.KindOrdinary)
	if _, err := s.PutUpload(other, t0); !errors.Is(err, store.ErrUploadReused) {
		t.Fatalf("other content under a stored id: %v", err)
	}
	if n := Count(t, s, d, d); n != 2 {
		t.Fatalf("%d records after retries, want 2", n)
	}
}

// testConcurrentRetries sends one upload from many goroutines at once: one
// copy is stored and every sender gets the same receipt.
func testConcurrentRetries(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	d := record.DayOf(t0)
	const senders = 16
	var wg sync.WaitGroup
	rcs := make([]store.Receipt, senders)
	errs := make([]error, senders)
	for i := range senders {
		wg.Go(func() {
			rcs[i], errs[i] = s.PutUpload(Upload("same", d, 5, wire.KindOrdinary), t0.Add(time.Duration(i)))
		})
	}
	wg.Wait()
	for i := range senders {
		if errs[i] != nil {
			t.Fatalf("sender %d: %v", i, errs[i])
		}
		if !rcs[i].Stored.Equal(rcs[0].Stored) || rcs[i].Records != 5 {
			t.Fatalf("sender %d got receipt %+v, sender 0 %+v", i, rcs[i], rcs[0])
		}
	}
	if n := Count(t, s, d, d); n != 5 {
		t.Fatalf("%d records, want 5", n)
	}
	if st, _ := s.Stats(); st.Records != 5 {
		t.Fatalf("stats count %d records", st.Records)
	}
}

func testRecordExists(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	d := record.DayOf(t0)
	if _, err := s.PutUpload(Upload("a", d, 2, wire.KindOrdinary), t0); err != nil {
		t.Fatal(err)
	}
	b := Upload("b", d, 1, wire.KindOrdinary)
	b.Records = append(b.Records, Record(d, "a/r1", nil, wire.KindOrdinary, "x"))
	if _, err := s.PutUpload(b, t0); !errors.Is(err, store.ErrRecordExists) {
		t.Fatalf("record id of another upload: %v", err)
	}
	if _, ok, _ := s.Upload(b.ID); ok {
		t.Fatal("refused upload's id stored")
	}
	if n := Count(t, s, d, d); n != 2 {
		t.Fatalf("%d records after a refused upload, want 2", n)
	}
	// The same record id on another day is another record.
	c := &store.Upload{ID: []byte("c"), Records: []store.Record{Record(d+1, "a/r1", nil, wire.KindOrdinary, "y")}}
	if _, err := s.PutUpload(c, t0); err != nil {
		t.Fatal(err)
	}
}

// testCodeOnce races many positive reports with one authority code: exactly
// one is stored.
func testCodeOnce(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	d := record.DayOf(t0)
	code := &store.CodeUse{ID: [16]byte{1, 2, 3}, Expires: t0.Add(24 * time.Hour)}
	const racers = 24
	var ok, used atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, racers)
	for i := range racers {
		wg.Go(func() {
			u := Upload(fmt.Sprintf("pos%d", i), d, 3, wire.KindPositive)
			for j := range u.Records {
				u.Records[j].ResultKey = nil
			}
			u.Code = code
			_, err := s.PutUpload(u, t0)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrCodeUsed):
				used.Add(1)
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if ok.Load() != 1 || used.Load() != racers-1 {
		t.Fatalf("%d reports stored and %d refused as code used; want 1 and %d", ok.Load(), used.Load(), racers-1)
	}
	if n := Count(t, s, d, d); n != 3 {
		t.Fatalf("%d records, want the one report's 3", n)
	}
	if u, err := s.CodeUsed(code.ID); err != nil || !u {
		t.Fatalf("CodeUsed: %v %v", u, err)
	}
	if err := s.UseCode(code.ID, code.Expires, t0); !errors.Is(err, store.ErrCodeUsed) {
		t.Fatalf("UseCode of a used code: %v", err)
	}
	other := [16]byte{9}
	if err := s.UseCode(other, code.Expires, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.UseCode(other, code.Expires, t0); !errors.Is(err, store.ErrCodeUsed) {
		t.Fatalf("second UseCode: %v", err)
	}
	// A run-input upload spends codes the same way.
	u := &store.Upload{ID: []byte("runup"), Code: code}
	if _, err := s.PutRunInput(u, 1, "run-a", []byte("in"), t0); !errors.Is(err, store.ErrCodeUsed) {
		t.Fatalf("run input with a used code: %v", err)
	}
}

func testResults(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	alice, bob := []byte("alice-key"), []byte("bob-key")
	s1, err := s.PutResult(alice, []byte("r1"), t0)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := s.PutResult(alice, []byte("r2"), t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutResult(bob, []byte("b1"), t0); err != nil {
		t.Fatal(err)
	}
	if s2 <= s1 {
		t.Fatalf("sequence %d after %d", s2, s1)
	}
	rs, err := s.Results(alice)
	if err != nil || len(rs) != 2 || string(rs[0].Blob) != "r1" || string(rs[1].Blob) != "r2" || rs[0].Seq != s1 || !rs[0].Created.Equal(t0) {
		t.Fatalf("results %+v %v", rs, err)
	}
	if n, err := s.DeleteResults(alice, s1); err != nil || n != 1 {
		t.Fatalf("delete through %d: %d %v", s1, n, err)
	}
	if rs, _ := s.Results(alice); len(rs) != 1 || string(rs[0].Blob) != "r2" {
		t.Fatalf("after delete: %+v", rs)
	}
	if err := s.PutResults([]store.UserResult{{UserKey: alice, Blob: []byte("epoch")}, {UserKey: []byte("carol"), Blob: []byte("c")}}, t0); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.Results(alice); len(rs) != 1 || string(rs[0].Blob) != "epoch" {
		t.Fatalf("PutResults did not replace: %+v", rs)
	}
	if rs, _ := s.Results(bob); len(rs) != 1 || string(rs[0].Blob) != "b1" {
		t.Fatalf("bob's results: %+v", rs)
	}
	if rs, err := s.Results([]byte("nobody")); err != nil || len(rs) != 0 {
		t.Fatalf("nobody's results: %+v %v", rs, err)
	}
}

func testPublish(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	if err := s.AddRunInput("in", []byte("a"), t0); err != nil {
		t.Fatal(err)
	}
	p := &store.Publication{
		Results:    []store.UserResult{{UserKey: []byte("u"), Blob: []byte("res")}},
		DeleteRuns: []string{"in"},
		Outputs:    []store.RunInput{{Run: "out", Data: []byte("o1")}, {Run: "out", Data: []byte("o2")}},
	}
	if err := s.Publish(p, t0); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.RunExists("in"); ok {
		t.Fatal("consumed run still there")
	}
	var outs []string
	if err := s.ForEachRunInput("out", func(b []byte) error { outs = append(outs, string(b)); return nil }); err != nil || fmt.Sprint(outs) != "[o1 o2]" {
		t.Fatalf("outputs %v %v", outs, err)
	}
	if rs, _ := s.Results([]byte("u")); len(rs) != 1 {
		t.Fatalf("results %+v", rs)
	}
	// A bad output run id fails the whole publication.
	bad := &store.Publication{Results: []store.UserResult{{UserKey: []byte("v"), Blob: []byte("x")}}, Outputs: []store.RunInput{{Run: ""}}}
	if err := s.Publish(bad, t0); err == nil {
		t.Fatal("publication with an empty run id stored")
	}
	if rs, _ := s.Results([]byte("v")); len(rs) != 0 {
		t.Fatal("part of a failed publication stored")
	}
}

func testRetention(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	const days = 14
	d := record.DayOf(t0)
	old := t0.Add(-20 * 24 * time.Hour)
	if _, err := s.PutUpload(Upload("old", record.DayOf(old), 2, wire.KindOrdinary), old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutResult([]byte("u"), []byte("old result"), old); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRunInput("oldrun", []byte("x"), old); err != nil {
		t.Fatal(err)
	}
	oldCode := [16]byte{7}
	if err := s.UseCode(oldCode, old.Add(time.Hour), old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutUpload(Upload("new", d, 3, wire.KindOrdinary), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutResult([]byte("u"), []byte("new result"), t0); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRunInput("newrun", []byte("y"), t0); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Stats()
	e, err := s.Expire(t0, days)
	if err != nil {
		t.Fatal(err)
	}
	if e.Records != 2 || e.Uploads != 1 || e.Results != 1 || e.Runs != 1 || e.Codes != 1 || e.DayKeys < 1 {
		t.Fatalf("expired %+v", e)
	}
	if n := Count(t, s, 0, d+1); n != 3 {
		t.Fatalf("%d records after expiry, want 3", n)
	}
	if rs, _ := s.Results([]byte("u")); len(rs) != 1 || string(rs[0].Blob) != "new result" {
		t.Fatalf("results after expiry %+v", rs)
	}
	if ok, _ := s.RunExists("oldrun"); ok {
		t.Fatal("old run kept")
	}
	if ok, _ := s.RunExists("newrun"); !ok {
		t.Fatal("new run deleted")
	}
	if u, _ := s.CodeUsed(oldCode); u {
		t.Fatal("expired code entry kept")
	}
	after, _ := s.Stats()
	if after.Records != 3 || after.DayKeys >= before.DayKeys {
		t.Fatalf("stats before %+v after %+v", before, after)
	}
	// The expired upload id is free again; its day is not.
	if _, err := s.PutUpload(Upload("old", d, 1, wire.KindOrdinary), t0); err != nil {
		t.Fatalf("reusing an expired upload id: %v", err)
	}
	// A second expiry deletes nothing more.
	if e, err := s.Expire(t0, days); err != nil || e.Records != 0 || e.Uploads != 0 {
		t.Fatalf("second expiry %+v %v", e, err)
	}
	if _, err := s.Expire(t0, 0); err == nil {
		t.Fatal("retention of 0 days accepted")
	}
}

func testRunInputs(t *testing.T, open Opener) {
	s := open(t, store.Options{MaxRecords: 10})
	for i := range 3 {
		if err := s.AddRunInput("r", []byte(fmt.Sprint("in", i)), t0); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := s.ForEachRunInput("r", func(b []byte) error { got = append(got, string(b)); return nil }); err != nil || fmt.Sprint(got) != "[in0 in1 in2]" {
		t.Fatalf("inputs %v %v", got, err)
	}
	if err := s.ForEachRunInput("none", func([]byte) error { return errors.New("called") }); err != nil {
		t.Fatal(err)
	}
	u := &store.Upload{ID: []byte("map1"), ContentHash: [32]byte{1}}
	rc, err := s.PutRunInput(u, 4, "r", []byte("upload"), t0)
	if err != nil || rc.Records != 4 {
		t.Fatalf("PutRunInput %+v %v", rc, err)
	}
	rc2, err := s.PutRunInput(&store.Upload{ID: []byte("map1"), ContentHash: [32]byte{1}}, 4, "r", []byte("upload"), t0.Add(time.Hour))
	if err != nil || !rc2.Stored.Equal(rc.Stored) {
		t.Fatalf("retried PutRunInput %+v %v", rc2, err)
	}
	if _, err := s.PutRunInput(&store.Upload{ID: []byte("map1"), ContentHash: [32]byte{2}}, 4, "r", []byte("other"), t0); !errors.Is(err, store.ErrUploadReused) {
		t.Fatalf("other content: %v", err)
	}
	n := 0
	s.ForEachRunInput("r", func([]byte) error { n++; return nil })
	if n != 4 {
		t.Fatalf("%d inputs, want 4", n)
	}
	if st, _ := s.Stats(); st.RunItems != 4 {
		t.Fatalf("run items %d, want 4", st.RunItems)
	}
	// 4 items stored of 10: 7 more do not fit.
	if _, err := s.PutRunInput(&store.Upload{ID: []byte("map2")}, 7, "r", []byte("big"), t0); !errors.Is(err, store.ErrFull) {
		t.Fatalf("over the budget: %v", err)
	}
	if err := s.DeleteRun("r"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.RunExists("r"); ok {
		t.Fatal("deleted run exists")
	}
	if st, _ := s.Stats(); st.RunItems != 0 {
		t.Fatalf("run items %d after delete", st.RunItems)
	}
	if _, err := s.PutRunInput(&store.Upload{ID: []byte("map3")}, 7, "r2", []byte("fits"), t0); err != nil {
		t.Fatalf("after delete: %v", err)
	}
}

func testBudgets(t *testing.T, open Opener) {
	d := record.DayOf(t0)
	s := open(t, store.Options{MaxRecords: 10, MaxRecordsPerUserDay: 4})
	if _, err := s.PutUpload(Upload("a", d, 4, wire.KindOrdinary), t0); err != nil {
		t.Fatal(err)
	}
	// The same result key on the same day: over the quota.
	if _, err := s.PutUpload(Upload("b", d, 1, wire.KindOrdinary), t0); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("over the user-day quota: %v", err)
	}
	// Another day is another quota.
	if _, err := s.PutUpload(Upload("c", d+1, 4, wire.KindOrdinary), t0); err != nil {
		t.Fatal(err)
	}
	// Positive reports count for nobody's quota, but against the total.
	pos := Upload("p", d, 2, wire.KindPositive)
	for i := range pos.Records {
		pos.Records[i].ResultKey = nil
	}
	if _, err := s.PutUpload(pos, t0); err != nil {
		t.Fatal(err)
	}
	// 10 stored: the store is full.
	full := Upload("f", d+2, 1, wire.KindOrdinary)
	if _, err := s.PutUpload(full, t0); !errors.Is(err, store.ErrFull) {
		t.Fatalf("over the total: %v", err)
	}
	if n := Count(t, s, d, d+2); n != 10 {
		t.Fatalf("%d records, want 10", n)
	}
	// A refused upload stored nothing, not even its quota count.
	s2 := open(t, store.Options{MaxRecords: -1, MaxRecordsPerUserDay: 3})
	if _, err := s2.PutUpload(Upload("x", d, 4, wire.KindOrdinary), t0); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("4 records over a quota of 3: %v", err)
	}
	if _, err := s2.PutUpload(Upload("y", d, 3, wire.KindOrdinary), t0); err != nil {
		t.Fatalf("3 records after a refused upload: %v", err)
	}
}

// BenchPutUpload stores uploads of perUpload records of 96-byte shares
// from parallel goroutines (GOMAXPROCS times p), each upload committed on
// its own, and reports records/s.
func BenchPutUpload(b *testing.B, s store.Backend, perUpload, p int) {
	day := record.DayOf(time.Now())
	var next atomic.Int64
	b.SetParallelism(p)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			u := &store.Upload{ID: []byte(fmt.Sprint("b", i))}
			for j := range perUpload {
				u.Records = append(u.Records, Record(day, fmt.Sprintf("b%d/%d", i, j),
					[]byte(fmt.Sprintf("user key %064d", i)), wire.KindOrdinary, ""))
			}
			u.ContentHash = sha256.Sum256(u.ID)
			if _, err := s.PutUpload(u, time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(next.Load())*float64(perUpload)/time.Since(start).Seconds(), "records/s")
	if st, err := s.Stats(); err == nil && st.Records > 0 {
		b.ReportMetric(float64(st.DBBytes)/float64(st.Records), "bytes/record")
	}
}
