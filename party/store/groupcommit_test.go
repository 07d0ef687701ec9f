package store

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// userUpload is upload with a result key of its own.
func userUpload(id string, day record.Day, n int) *Upload {
	u := upload(id, day, n, wire.KindOrdinary)
	for i := range u.Records {
		u.Records[i].ResultKey = bytes.Repeat([]byte(id[:1]), 32)
		copy(u.Records[i].ResultKey, id)
	}
	return u
}

// putAll stores ups concurrently while the writer is held (Expire's lock),
// so that they are committed together, and returns their receipts and
// errors.
func putAll(t *testing.T, s *Store, ups []*Upload) ([]Receipt, []error) {
	t.Helper()
	rcs := make([]Receipt, len(ups))
	errs := make([]error, len(ups))
	s.shred.Lock()
	queued := s.gc.queued.Load()
	var wg sync.WaitGroup
	for i, u := range ups {
		wg.Go(func() { rcs[i], errs[i] = s.PutUpload(u, t0) })
	}
	// Every upload is queued, or taken by the writer, which waits for
	// the lock.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		n := s.gc.queued.Load() - queued
		if n == int64(len(ups)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d uploads queued", n, len(ups))
		}
	}
	s.shred.Unlock()
	wg.Wait()
	return rcs, errs
}

// TestGroupCommit: concurrent uploads share a transaction; the ones the
// store refuses (over a user's day budget, a used code, a taken record id)
// get their errors and store nothing, every other is receipted, a retry in
// the same batch gets the first receipt, and all of it is there after
// reopening.
func TestGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "party.db")
	s, err := Open(path, Options{MaxRecordsPerUserDay: 30})
	if err != nil {
		t.Fatal(err)
	}
	d := record.DayOf(t0)
	pre := userUpload("pre", d, 5)
	preRC, err := s.PutUpload(pre, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	code := CodeUse{ID: [16]byte{7}, Expires: t0.Add(time.Hour)}
	if err := s.UseCode(code.ID, code.Expires, t0); err != nil {
		t.Fatal(err)
	}
	const good = 48
	var ups []*Upload
	for i := range good {
		ups = append(ups, userUpload(fmt.Sprintf("good%02d", i), d, 20))
	}
	ups = append(ups, ups[0]) // a retry, at once
	overBudget := userUpload("over", d, 31)
	usedCode := upload("used code", d, 3, wire.KindPositive)
	usedCode.Code = &code
	for i := range usedCode.Records {
		usedCode.Records[i].ResultKey = nil
	}
	taken := userUpload("taken", d, 4)
	taken.Records[2].ID = pre.Records[1].ID
	ups = append(ups, overBudget, usedCode, taken, pre)
	before := s.gc.commits.Load()
	rcs, errs := putAll(t, s, ups)
	if n := s.gc.commits.Load() - before; n > 2 {
		t.Errorf("%d uploads in %d transactions, want at most 2", len(ups), n)
	}
	for i := range good + 1 {
		if errs[i] != nil || rcs[i].Records != 20 || !bytes.Equal(rcs[i].UploadID, ups[i].ID) {
			t.Errorf("upload %d: %+v, %v", i, rcs[i], errs[i])
		}
	}
	if !rcs[good].Stored.Equal(rcs[0].Stored) {
		t.Error("the retry got another receipt")
	}
	for i, want := range []error{ErrQuota, ErrCodeUsed, ErrRecordExists} {
		if err := errs[good+1+i]; !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", ups[good+1+i].ID, err, want)
		}
	}
	if last := len(ups) - 1; errs[last] != nil || !rcs[last].Stored.Equal(preRC.Stored) {
		t.Errorf("retry of a stored upload: %+v, %v; want %+v", rcs[last], errs[last], preRC)
	}

	s = reopen(t, s, path)
	for i := range good {
		if rc, ok, err := s.Upload(ups[i].ID); !ok || err != nil || rc.Records != 20 {
			t.Errorf("upload %d after reopening: %+v %v %v", i, rc, ok, err)
		}
	}
	for _, u := range []*Upload{overBudget, usedCode, taken} {
		if _, ok, _ := s.Upload(u.ID); ok {
			t.Errorf("refused upload %s stored", u.ID)
		}
	}
	if n := count(t, s, d, d); n != 5+good*20 {
		t.Errorf("%d records after reopening, want %d", n, 5+good*20)
	}
	if st, err := s.Stats(); err != nil || st.Records != 5+good*20 {
		t.Errorf("stats %+v %v", st, err)
	}
	// The refused uploads used nothing: their budget, code and ids are free.
	if _, err := s.PutUpload(userUpload("over", d, 30), t0); err != nil {
		t.Errorf("the over-budget user's day: %v", err)
	}
}

// TestGroupCommitFull: concurrent uploads past the store budget in one
// transaction: exactly those that fit are receipted, the others get
// ErrFull, and the store holds exactly the receipted ones after reopening.
func TestGroupCommitFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "party.db")
	s, err := Open(path, Options{MaxRecords: 200})
	if err != nil {
		t.Fatal(err)
	}
	d := record.DayOf(t0)
	var ups []*Upload
	for i := range 12 {
		ups = append(ups, userUpload(fmt.Sprintf("u%02d", i), d, 20))
	}
	rcs, errs := putAll(t, s, ups)
	stored := map[string]bool{}
	for i, err := range errs {
		switch {
		case err == nil && rcs[i].Records == 20:
			stored[string(ups[i].ID)] = true
		case !errors.Is(err, ErrFull):
			t.Errorf("upload %d: %v", i, err)
		}
	}
	if len(stored) != 10 {
		t.Errorf("%d uploads receipted, want 10", len(stored))
	}
	s = reopen(t, s, path)
	for _, u := range ups {
		if _, ok, _ := s.Upload(u.ID); ok != stored[string(u.ID)] {
			t.Errorf("upload %s: stored %v, receipted %v", u.ID, ok, stored[string(u.ID)])
		}
	}
	if n := count(t, s, d, d); n != 200 {
		t.Errorf("%d records, want 200", n)
	}
}

// TestGroupCommitStaleKey: an upload prepared (sealed) before its day's key
// was destroyed is sealed again when committed, under a live key, so its
// records are readable, as when PutUpload sealed under the shred lock.
func TestGroupCommitStaleKey(t *testing.T) {
	s, _ := openTemp(t)
	d := record.DayOf(t0)
	u := userUpload("stale", d, 3)
	r, err := s.prepare(u, t0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.keys.destroyBefore(d + 1); err != nil || n != 1 {
		t.Fatalf("destroyed %d keys: %v", n, err)
	}
	s.commitGroup([]*putReq{r})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := count(t, s, d, d); n != 3 {
		t.Fatalf("%d records readable, want 3", n)
	}
}

// TestGroupCommitKeyKeptOnReload: reading the key file again (as ensure
// does for a new day's key) keeps the live keys as they are, so an upload
// prepared before is not taken for stale and sealed a second time.
func TestGroupCommitKeyKeptOnReload(t *testing.T) {
	s, _ := openTemp(t)
	d := record.DayOf(t0)
	r, err := s.prepare(userUpload("kept", d, 3), t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.keys.ensure(d + 1); err != nil {
		t.Fatal(err)
	}
	if !s.keysLive(r.dks) {
		t.Fatal("a new day's key made the keys of an upload prepared before stale")
	}
}
