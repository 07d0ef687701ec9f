package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
	bolt "go.etcd.io/bbolt"
)

// scanDir returns, for each marker, the files under dir that contain it.
func scanDir(t *testing.T, dir string, markers [][]byte) map[int][]string {
	t.Helper()
	found := map[int][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, m := range markers {
			if bytes.Contains(b, m) {
				found[i] = append(found[i], filepath.Base(p))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// rawKeys reads the live day keys from a key file, as someone with the disk
// would.
func rawKeys(t *testing.T, path string) map[record.Day][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[record.Day][]byte{}
	for i := slotSize; i+slotSize <= len(b); i += slotSize {
		if s := b[i : i+slotSize]; s[0] == 1 {
			m[record.Day(binary.BigEndian.Uint32(s[1:5]))] = bytes.Clone(s[5:37])
		}
	}
	return m
}

// markShare returns a share of a random point whose encoding mk records as
// a marker.
func markShare(mk func(bool, []byte) []byte, live bool) (sh record.Share) {
	p := make([]group.Point, 1)
	group.Random(p, rand.Reader)
	sh.Point = p[0]
	mk(live, sh.AppendShare(nil)[:32])
	return sh
}

func marker() []byte {
	m := make([]byte, 32)
	rand.Read(m)
	return m
}

// TestLeakDeletedSharesOnDisk plays a party (or a thief) that reads the data
// directory byte for byte after expiry: the expired shares, result keys,
// result blobs and run inputs, and the day keys that sealed them, are gone;
// the ciphertexts left in freed pages cannot be opened by any key left.
func TestLeakDeletedSharesOnDisk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "party.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	today := record.DayOf(t0)
	old := today - 20
	var oldMarks, liveMarks [][]byte
	mark := func(live bool, m []byte) []byte {
		if live {
			liveMarks = append(liveMarks, m)
		} else {
			oldMarks = append(oldMarks, m)
		}
		return m
	}
	mk := func(live bool) []byte { return mark(live, marker()) }
	for i := range 20 {
		for _, d := range []record.Day{old, today} {
			u := upload(fmt.Sprint("u", uint32(d), "-", i), d, 4, wire.KindOrdinary)
			for j := range u.Records {
				u.Records[j].Share = markShare(mark, d == today)
				u.Records[j].ResultKey = mk(d == today)
			}
			if _, err := s.PutUpload(u, d.Time()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.PutResult([]byte("user"), mk(false), old.Time()); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRunInput("old-run", mk(false), old.Time()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutResult([]byte("user"), mk(true), t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Before expiry: encrypted at rest, so no marker is in any file, but the
	// key file's key for the old day opens the old ciphertexts.
	all := append(append([][]byte(nil), oldMarks...), liveMarks...)
	if f := scanDir(t, dir, all); len(f) != 0 {
		t.Fatalf("%d markers in plaintext before expiry, e.g. in %v", len(f), f)
	}
	keys := rawKeys(t, keyPath(path))
	if keys[old] == nil || keys[today] == nil {
		t.Fatalf("key file holds days %v", keys)
	}
	var ct, ad []byte
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketRecords).Cursor().First()
		ct, ad = bytes.Clone(v), adRecord(k)
		return nil
	})
	db.Close()
	dk, err := deriveDayKey(keys[old])
	if err != nil {
		t.Fatal(err)
	}
	p, err := dk.open(nil, ad, ct)
	if err != nil {
		t.Fatalf("the old day key does not open an old record: %v", err)
	}
	r, err := decodeRecord(ad[len("record\x00"):], p)
	if err != nil || !bytes.Contains(bytes.Join(oldMarks, nil), r.AppendShare(nil)[:32]) {
		t.Fatalf("decrypted record %v %v", r, err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Expire(t0, 14)
	if err != nil {
		t.Fatal(err)
	}
	if e.Records != 80 || e.DayKeys != 1 || e.Results != 1 || e.Runs != 1 {
		t.Fatalf("expired %+v", e)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// After expiry: no marker and no expired day key in any file, and no key
	// left opens the old ciphertext.
	if f := scanDir(t, dir, append(all, keys[old])); len(f) != 0 {
		t.Fatalf("found after expiry: %v", f)
	}
	left := rawKeys(t, keyPath(path))
	if left[old] != nil || len(left) != 1 || !bytes.Equal(left[today], keys[today]) {
		t.Fatalf("key file after expiry holds %d keys", len(left))
	}
	for _, raw := range left {
		dk, _ := deriveDayKey(raw)
		if _, err := dk.open(nil, ad, ct); err == nil {
			t.Fatal("a remaining key opens an expired record")
		}
	}
	// The live data is intact.
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got [][]byte
	s.ForEachRecord(0, today, func(r *Record) error {
		got = append(got, bytes.Clone(r.AppendShare(nil)[:32]), bytes.Clone(r.ResultKey))
		return nil
	})
	if len(got) != 160 {
		t.Fatalf("%d live fields, want 160", len(got))
	}
	live := bytes.Join(liveMarks, nil)
	for _, g := range got {
		if !bytes.Contains(live, g) {
			t.Fatal("live record changed")
		}
	}
	if rs, err := s.Results([]byte("user")); err != nil || len(rs) != 1 || !bytes.Equal(rs[0].Blob, liveMarks[len(liveMarks)-1]) {
		t.Fatalf("results %v %v", rs, err)
	}
}

func recordsOf(t *testing.T, s *Store, from, to record.Day) map[string]string {
	t.Helper()
	m := map[string]string{}
	if err := s.ForEachRecord(from, to, func(r *Record) error {
		m[idString(r.ID)] = string(r.AppendShare(nil))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAttackStoreFlood fills the store with anonymous uploads: the one that
// would pass the limit gets ErrFull and stores nothing, the honest records are
// intact, the count survives a restart and retries, and expiry makes room.
func TestAttackStoreFlood(t *testing.T) {
	path := filepath.Join(t.TempDir(), "party.db")
	opt := Options{MaxRecords: 100, MaxRecordsPerUserDay: -1}
	s, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	today := record.DayOf(t0)
	if _, err := s.PutUpload(upload("honest", today, 10, wire.KindOrdinary), t0); err != nil {
		t.Fatal(err)
	}
	want := recordsOf(t, s, 0, today)
	var i int
	for ; ; i++ {
		_, err := s.PutUpload(upload(fmt.Sprint("flood", i), today-16, 7, wire.KindOrdinary), t0)
		if errors.Is(err, ErrFull) {
			if err.Error() != "store: the party's store is full (94 stored, 7 more, limit 100)" {
				t.Fatalf("error %q", err)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if i != 12 {
		t.Fatalf("full after %d flood uploads, want 12", i)
	}
	if _, ok, _ := s.Upload([]byte(fmt.Sprint("flood", i))); ok {
		t.Fatal("refused upload left a receipt")
	}
	if n := count(t, s, 0, today); n != 94 {
		t.Fatalf("%d records stored, want 94", n)
	}
	got := recordsOf(t, s, today, today)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatal("honest records changed")
	}
	// Run inputs count too; a retry of a stored upload still succeeds.
	if _, err := s.PutRunInput(&Upload{ID: []byte("region"), ContentHash: [32]byte{1}}, 7, "map", []byte("x"), t0); !errors.Is(err, ErrFull) {
		t.Fatalf("run input: %v", err)
	}
	if _, err := s.PutRunInput(&Upload{ID: []byte("region"), ContentHash: [32]byte{1}}, 6, "map", []byte("x"), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutUpload(upload("flood3", today-16, 7, wire.KindOrdinary), t0); err != nil {
		t.Fatalf("retry: %v", err)
	}
	s.Close()
	if s, err = Open(path, opt); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Stats(); err != nil || st.Records != 94 || st.RunItems != 6 || st.MaxRecords != 100 || st.DBBytes == 0 {
		t.Fatalf("stats after restart %+v %v", st, err)
	}
	if _, err := s.PutUpload(upload("late", today, 1, wire.KindOrdinary), t0); !errors.Is(err, ErrFull) {
		t.Fatalf("after restart: %v", err)
	}
	// Expiry deletes the flood (its day is out of the window) and makes room.
	if _, err := s.Expire(t0, 14); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(); st.Records != 10 || st.RunItems != 6 {
		t.Fatalf("stats after expiry %+v", st)
	}
	if err := s.DeleteRun("map"); err != nil {
		t.Fatal(err)
	}
	for j := range 12 {
		if _, err := s.PutUpload(upload(fmt.Sprint("new", j), today, 7, wire.KindOrdinary), t0); err != nil {
			t.Fatalf("upload %d after expiry: %v", j, err)
		}
	}
	if got := recordsOf(t, s, today, today); got["honest/r3"] != want["honest/r3"] || len(got) != 94 {
		t.Fatalf("%d records after refill", len(got))
	}
}

// TestAttackUserDayQuota sends more records for one result key and day than
// the quota: refused with ErrQuota, nothing stored, other keys and days
// unaffected, and the count holds across retries, restarts and expiry.
func TestAttackUserDayQuota(t *testing.T) {
	path := filepath.Join(t.TempDir(), "party.db")
	opt := Options{MaxRecordsPerUserDay: 5}
	s, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	today := record.DayOf(t0)
	keyed := func(id string, d record.Day, n int, key string) *Upload {
		u := upload(id, d, n, wire.KindOrdinary)
		for i := range u.Records {
			u.Records[i].ResultKey = []byte(key)
		}
		u.ContentHash = sha256.Sum256([]byte(id + key))
		return u
	}
	if _, err := s.PutUpload(keyed("big", today, 6, "mallory"), t0); !errors.Is(err, ErrQuota) {
		t.Fatalf("6 records: %v", err)
	}
	if count(t, s, 0, today) != 0 {
		t.Fatal("refused upload stored records")
	}
	for _, u := range []*Upload{keyed("a", today, 3, "mallory"), keyed("a", today, 3, "mallory"), keyed("b", today, 2, "mallory"),
		keyed("c", today, 5, "alice"), keyed("d", today-1, 5, "mallory")} {
		if _, err := s.PutUpload(u, t0); err != nil {
			t.Fatalf("%s: %v", u.ID, err)
		}
	}
	if _, err := s.PutUpload(keyed("e", today, 1, "mallory"), t0); !errors.Is(err, ErrQuota) {
		t.Fatalf("6th record of the day: %v", err)
	}
	s.Close()
	if s, err = Open(path, opt); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutUpload(keyed("f", today, 1, "mallory"), t0); !errors.Is(err, ErrQuota) {
		t.Fatalf("after restart: %v", err)
	}
	if _, err := s.PutUpload(keyed("g", today, 1, "bob"), t0); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, 0, today); n != 16 {
		t.Fatalf("%d records, want 16", n)
	}
	// Once the day is expired its counters are gone with its records.
	if _, err := s.Expire(t0.AddDate(0, 0, 15), 14); err != nil {
		t.Fatal(err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketQuota).Cursor().First(); k != nil {
			t.Errorf("counter of day %d left after expiry", binary.BigEndian.Uint32(k))
		}
		return nil
	})
	if _, err := s.PutUpload(keyed("h", today, 5, "mallory"), t0); err != nil {
		t.Fatal(err)
	}
}

// TestOpenRefuses checks that Open migrates nothing silently: the old
// unencrypted format, a missing key file and another store's key file are
// refused.
func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	db, err := bolt.Open(old, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucketRecords); return err })
	db.Close()
	if _, err := Open(old); !errors.Is(err, ErrOldFormat) {
		t.Fatalf("old format: %v", err)
	}
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	for _, p := range []string{a, b} {
		s, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		s.PutUpload(upload("u", record.DayOf(t0), 1, wire.KindOrdinary), t0)
		s.Close()
	}
	kb, _ := os.ReadFile(keyPath(b))
	os.WriteFile(keyPath(a), kb, 0o600)
	if _, err := Open(a); err == nil {
		t.Fatal("opened with another store's key file")
	}
	os.Remove(keyPath(a))
	if _, err := Open(a); err == nil {
		t.Fatal("opened without a key file")
	}
	if s, err := Open(b, Options{}, Options{}); err == nil {
		s.Close()
		t.Fatal("two Options accepted")
	}
}

// TestKeyFileTornSlot simulates a crash in the middle of writing a key slot:
// the torn slot is zeroed at Open and the other days stay readable.
func TestKeyFileTornSlot(t *testing.T) {
	s, path := openTemp(t)
	today := record.DayOf(t0)
	for _, d := range []record.Day{today - 1, today} {
		if _, err := s.PutUpload(upload(fmt.Sprint("u", d), d, 2, wire.KindOrdinary), t0); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	f, err := os.OpenFile(keyPath(path), os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := make([]byte, slotSize)
	torn[0], torn[7] = 1, 0x55
	f.Write(torn)
	f.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := count(t, s, 0, today); n != 4 {
		t.Fatalf("%d records", n)
	}
	if st, _ := s.Stats(); st.DayKeys != 2 {
		t.Fatalf("%d day keys", st.DayKeys)
	}
	b, _ := os.ReadFile(keyPath(path))
	if !allZero(b[len(b)-slotSize:]) {
		t.Fatal("torn slot not zeroed")
	}
}

// TestExpireConcurrent runs Expire while uploads and reads go on: no read
// sees a record whose key is gone, and the counts stay right.
func TestExpireConcurrent(t *testing.T) {
	s, _ := openTemp(t)
	today := record.DayOf(t0)
	done := make(chan error, 3)
	go func() {
		for i := range 200 {
			d := today - record.Day(i%30)
			if _, err := s.PutUpload(upload(fmt.Sprint("c", i), d, 2, wire.KindOrdinary), t0); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	go func() {
		for range 50 {
			if err := s.ForEachRecord(0, today, func(*Record) error { return nil }); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	go func() {
		for range 20 {
			if _, err := s.Expire(t0, 14); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Expire(t0, 14); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Stats()
	if n := count(t, s, 0, today); int64(n) != st.Records {
		t.Fatalf("%d records, counter %d", n, st.Records)
	}
}
