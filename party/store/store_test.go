package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "party.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func reopen(t *testing.T, s *Store, path string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

func upload(id string, day record.Day, n int, kind wire.Kind) *Upload {
	u := &Upload{ID: []byte(id)}
	for i := range n {
		r := Record{ResultKey: bytes.Repeat([]byte{9}, 32), Kind: kind}
		r.Day, r.ID, r.Share = day, recID(fmt.Sprintf("%s/r%d", id, i)), testShare(fmt.Sprintf("share %s %d", id, i))
		u.Records = append(u.Records, r)
	}
	u.ContentHash = sha256.Sum256([]byte(fmt.Sprint(id, day, n, kind)))
	return u
}

// recID returns the record id spelling s, padded with zeros.
func recID(s string) (id [wire.IDSize]byte) {
	if copy(id[:], s) < len(s) {
		panic("record id " + s + " too long")
	}
	return id
}

// testShare returns a canonical share whose point is hashed from s.
func testShare(s string) (sh record.Share) {
	h := sha512.Sum512([]byte(s))
	sh.Point.SetUniformBytes(h[:])
	return sh
}

// idString is a record id without its zero padding.
func idString(id [wire.IDSize]byte) string { return string(bytes.TrimRight(id[:], "\x00")) }

func count(t *testing.T, s *Store, from, to record.Day) int {
	t.Helper()
	n := 0
	if err := s.ForEachRecord(from, to, func(*Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUploadsSurviveReopen(t *testing.T) {
	s, path := openTemp(t)
	day := record.DayOf(t0)
	u := upload("u1", day, 3, wire.KindOrdinary)
	rc, err := s.PutUpload(u, t0)
	if err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, path)
	var got []Record
	s.ForEachRecord(day, day, func(r *Record) error {
		c := *r
		c.UploadID = bytes.Clone(r.UploadID)
		got = append(got, c)
		return nil
	})
	if len(got) != 3 {
		t.Fatalf("%d records after reopening", len(got))
	}
	r, sh := got[1], testShare("share u1 1")
	if r.Day != day || r.ID != recID("u1/r1") || string(r.UploadID) != "u1" || r.Kind != wire.KindOrdinary ||
		!r.Created.Equal(t0) || !bytes.Equal(r.AppendShare(nil), sh.AppendShare(nil)) || len(r.ResultKey) != 32 {
		t.Fatalf("record changed: %+v", r)
	}
	rc2, ok, err := s.Upload([]byte("u1"))
	if err != nil || !ok || rc2.Records != 3 || rc2.ContentHash != rc.ContentHash || !rc2.Stored.Equal(rc.Stored) {
		t.Fatalf("receipt %+v %v %v", rc2, ok, err)
	}
}

// TestKindsSurviveReopen: a venue warning's records keep their kind, which
// the epoch reads as the report's class, across a restart.
func TestKindsSurviveReopen(t *testing.T) {
	s, path := openTemp(t)
	day := record.DayOf(t0)
	for i, k := range []wire.Kind{wire.KindOrdinary, wire.KindPositive, wire.KindVenueWarning} {
		u := upload(k.String(), day, 2, k)
		if k.Reports() {
			u.Code = &CodeUse{ID: [16]byte{byte(i)}, Expires: t0.Add(time.Hour)}
		}
		if _, err := s.PutUpload(u, t0); err != nil {
			t.Fatal(err)
		}
	}
	s = reopen(t, s, path)
	got := map[string]wire.Kind{}
	s.ForEachRecord(day, day, func(r *Record) error {
		got[string(r.UploadID)] = r.Kind
		return nil
	})
	for _, k := range []wire.Kind{wire.KindOrdinary, wire.KindPositive, wire.KindVenueWarning} {
		if got[k.String()] != k {
			t.Errorf("upload %s: records of kind %d after reopening", k, got[k.String()])
		}
	}
}

func TestIdempotentUpload(t *testing.T) {
	s, path := openTemp(t)
	day := record.DayOf(t0)
	rc1, err := s.PutUpload(upload("u1", day, 2, wire.KindOrdinary), t0)
	if err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, path)
	rc2, err := s.PutUpload(upload("u1", day, 2, wire.KindOrdinary), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !rc2.Stored.Equal(rc1.Stored) || rc2.Records != 2 {
		t.Fatalf("retry got a different receipt: %+v %+v", rc1, rc2)
	}
	if n := count(t, s, 0, day+10); n != 2 {
		t.Fatalf("%d records", n)
	}
	_, err = s.PutUpload(upload("u1", day, 3, wire.KindOrdinary), t0)
	if !errors.Is(err, ErrUploadReused) || err.Error() != "store: upload id reused with different content" {
		t.Fatalf("reused id: %v", err)
	}
	// A record id of the same day from another upload fails and stores nothing.
	u := upload("u2", day, 2, wire.KindOrdinary)
	u.Records[1].ID = recID("u1/r0")
	if _, err := s.PutUpload(u, t0); !errors.Is(err, ErrRecordExists) {
		t.Fatalf("record clash: %v", err)
	}
	if _, ok, _ := s.Upload([]byte("u2")); ok || count(t, s, 0, day+10) != 2 {
		t.Fatal("failed upload stored something")
	}
	for _, bad := range []*Upload{{ID: nil}, {ID: make([]byte, 65)}, {ID: []byte("x"), Records: []Record{{Kind: 7}}}} {
		if _, err := s.PutUpload(bad, t0); err == nil {
			t.Fatalf("accepted %+v", bad)
		}
	}
}

func TestCodeOnce(t *testing.T) {
	s, path := openTemp(t)
	day := record.DayOf(t0)
	code := &CodeUse{ID: [16]byte{1, 2, 3}, Expires: t0.Add(14 * 24 * time.Hour)}
	p1 := upload("pos1", day, 2, wire.KindPositive)
	p1.Code = code
	if _, err := s.PutUpload(p1, t0); err != nil {
		t.Fatal(err)
	}
	// The retry of the same report is fine and does not trip the code.
	if _, err := s.PutUpload(p1, t0); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, path)
	// Another report with the same code: refused, and none of its records stored.
	p2 := upload("pos2", day, 5, wire.KindPositive)
	p2.Code = code
	if _, err := s.PutUpload(p2, t0); !errors.Is(err, ErrCodeUsed) {
		t.Fatalf("second use: %v", err)
	}
	if n := count(t, s, day, day); n != 2 {
		t.Fatalf("%d records stored, want 2", n)
	}
	if _, ok, _ := s.Upload([]byte("pos2")); ok {
		t.Fatal("failed report left an upload entry")
	}
	if err := s.UseCode(code.ID, code.Expires, t0); !errors.Is(err, ErrCodeUsed) {
		t.Fatalf("UseCode: %v", err)
	}
	// A report that fails after the code check leaves the code unused.
	fresh := [16]byte{9}
	p3 := upload("pos3", day, 1, wire.KindPositive)
	p3.Records[0].ID = recID("pos1/r0")
	p3.Code = &CodeUse{ID: fresh, Expires: code.Expires}
	if _, err := s.PutUpload(p3, t0); !errors.Is(err, ErrRecordExists) {
		t.Fatal(err)
	}
	if used, _ := s.CodeUsed(fresh); used {
		t.Fatal("code used by a failed report")
	}
	if err := s.UseCode(fresh, code.Expires, t0); err != nil {
		t.Fatal(err)
	}
}

func TestExpire(t *testing.T) {
	s, _ := openTemp(t)
	today := record.DayOf(t0)
	for d := today - 20; d <= today; d++ {
		if _, err := s.PutUpload(upload(fmt.Sprint("u", d), d, 1, wire.KindOrdinary), d.Time()); err != nil {
			t.Fatal(err)
		}
	}
	s.UseCode([16]byte{1}, t0.Add(-48*time.Hour), t0.Add(-20*24*time.Hour)) // long expired
	s.UseCode([16]byte{2}, t0.Add(30*24*time.Hour), t0.Add(-20*24*time.Hour))
	s.PutResult([]byte("user"), []byte("old"), t0.Add(-15*24*time.Hour))
	s.PutResult([]byte("user"), []byte("new"), t0)
	s.AddRunInput("old", []byte("x"), t0.Add(-15*24*time.Hour))
	s.AddRunInput("new", []byte("y"), t0)

	e, err := s.Expire(t0, 14)
	if err != nil {
		t.Fatal(err)
	}
	// Uploads expire by time: the one stored at 00:00 of day today-14 is more
	// than 14 days before t0 (12:00), while its records' day is still kept.
	want := Expired{Records: 6, Uploads: 7, Codes: 1, Results: 1, Runs: 1, DayKeys: 6}
	if e != want {
		t.Fatalf("expired %+v, want %+v", e, want)
	}
	if n := count(t, s, 0, today); n != 15 {
		t.Fatalf("%d records left, want 15 (days today-14..today)", n)
	}
	if count(t, s, 0, today-15) != 0 {
		t.Fatal("old records left")
	}
	if used, _ := s.CodeUsed([16]byte{2}); !used {
		t.Fatal("unexpired code forgotten")
	}
	if rs, _ := s.Results([]byte("user")); len(rs) != 1 || string(rs[0].Blob) != "new" {
		t.Fatalf("results %v", rs)
	}
	n := 0
	s.ForEachRunInput("old", func([]byte) error { n++; return nil })
	s.ForEachRunInput("new", func([]byte) error { n += 10; return nil })
	if n != 10 {
		t.Fatal("runs not expired correctly")
	}
	if e, _ := s.Expire(t0, 14); e != (Expired{}) {
		t.Fatalf("second expire deleted %+v", e)
	}
}

func TestResultsAndRuns(t *testing.T) {
	s, path := openTemp(t)
	a, b := []byte("key A"), []byte("key B")
	for i := range 3 {
		s.PutResult(a, []byte(fmt.Sprint("a", i)), t0)
	}
	s.PutResult(b, []byte("b0"), t0)
	s = reopen(t, s, path)
	rs, err := s.Results(a)
	if err != nil || len(rs) != 3 || string(rs[2].Blob) != "a2" {
		t.Fatalf("%v %v", rs, err)
	}
	if n, err := s.DeleteResults(a, rs[1].Seq); err != nil || n != 2 {
		t.Fatal(n, err)
	}
	if rs, _ := s.Results(a); len(rs) != 1 || string(rs[0].Blob) != "a2" {
		t.Fatalf("after delete: %v", rs)
	}
	if rs, _ := s.Results(b); len(rs) != 1 {
		t.Fatal("other user's results touched")
	}

	for i := range 4 {
		if err := s.AddRunInput("run-1", []byte{byte(i)}, t0); err != nil {
			t.Fatal(err)
		}
	}
	var got []byte
	s.ForEachRunInput("run-1", func(d []byte) error { got = append(got, d...); return nil })
	if !bytes.Equal(got, []byte{0, 1, 2, 3}) {
		t.Fatalf("inputs %v", got)
	}
	if err := s.DeleteRun("run-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRun("run-1"); err != nil {
		t.Fatal(err)
	}
	got = nil
	s.ForEachRunInput("run-1", func(d []byte) error { got = append(got, d...); return nil })
	if got != nil {
		t.Fatal("run not deleted")
	}
}

// TestKill runs a child process that stores uploads and prints each receipt,
// kills it with SIGKILL part way, and checks that every acknowledged upload is
// in the database.
func TestKill(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" {
		t.Skip("needs SIGKILL")
	}
	if path := os.Getenv("STORE_KILL_CHILD"); path != "" {
		s, err := Open(path)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		for i := 0; ; i++ {
			if _, err := s.PutUpload(upload(fmt.Sprint("k", i), record.DayOf(t0), 3, wire.KindOrdinary), t0); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Println("acked", i)
		}
	}
	path := filepath.Join(t.TempDir(), "party.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill$")
	cmd.Env = append(os.Environ(), "STORE_KILL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "acked" {
			acked, _ = strconv.Atoi(f[1])
			if acked == 30 {
				cmd.Process.Kill()
				break
			}
		} else if len(f) > 0 && f[0] == "error" {
			t.Fatal(sc.Text())
		}
	}
	cmd.Wait()
	if acked < 30 {
		t.Fatalf("child acknowledged only %d uploads", acked)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i <= acked; i++ {
		if _, ok, err := s.Upload([]byte(fmt.Sprint("k", i))); !ok || err != nil {
			t.Fatalf("acknowledged upload %d lost (%v)", i, err)
		}
	}
	if n := count(t, s, 0, record.DayOf(t0)); n < 3*(acked+1) || n%3 != 0 {
		t.Fatalf("%d records for %d acknowledged uploads", n, acked+1)
	}
}

// TestLeakCodeUseTime plays the curious party reading its own database: the
// entry that marks a code as spent holds nothing that ties it to the
// upload stored in the same transaction (no time of use, no upload id), so
// the authority (who knows which person got which code) and a party cannot
// join a code to a report. Before, the entry held the time of use, equal to
// the report's stored time.
func TestLeakCodeUseTime(t *testing.T) {
	s, _ := openTemp(t)
	at := t0.Add(1234567 * time.Nanosecond)
	p := upload("pos-link", record.DayOf(at), 2, wire.KindPositive)
	p.Code = &CodeUse{ID: [16]byte{9, 9, 9}, Expires: at.Add(time.Hour)}
	if _, err := s.PutUpload(p, at); err != nil {
		t.Fatal(err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCodes).Get(p.Code.ID[:])
		if v == nil {
			t.Fatal("the code is not marked spent")
		}
		for _, secs := range []int64{at.UnixNano(), at.Unix(), at.UnixMilli()} {
			if bytes.Contains(v, binary.BigEndian.AppendUint64(nil, uint64(secs))) {
				t.Errorf("the spent code's entry holds the time of use (%x)", v)
			}
		}
		if bytes.Contains(v, p.ID) {
			t.Error("the spent code's entry holds the upload id")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecordEncodingStable pins a record's stored key and value to the
// layout databases already hold: key day || id, value version 1, kind,
// created, then upload id, result key and the 96-byte share, each with a
// uvarint length.
func TestRecordEncodingStable(t *testing.T) {
	var r Record
	r.Day, r.ID = 20000, recID("record id 16 by.")
	r.Weight = field.ScalarField{}.FromUint64(7)
	r.Minutes = field.ScalarField{}.FromUint64(300)
	r.UploadID, r.ResultKey, r.Kind, r.Created = []byte("upload"), []byte("rk"), wire.KindPositive, time.Unix(0, 1e18).UTC()
	key, _ := hex.DecodeString("00004e20" + hex.EncodeToString([]byte("record id 16 by.")))
	if got := recordKey(r.Day, r.ID[:]); !bytes.Equal(got, key) {
		t.Fatalf("key %x, want %x", got, key)
	}
	want := "0102" + "0de0b6b3a7640000" + "06" + hex.EncodeToString([]byte("upload")) + "02" + hex.EncodeToString([]byte("rk")) + "60" +
		strings.Repeat("00", 32) + "07" + strings.Repeat("00", 31) + "2c01" + strings.Repeat("00", 30)
	if got := hex.EncodeToString(encodeRecord(&r)); got != want {
		t.Fatalf("value %s,\nwant  %s", got, want)
	}
	back, err := decodeRecord(key, encodeRecord(&r))
	if err != nil || back.Day != r.Day || back.ID != r.ID || back.Weight != r.Weight || back.Minutes != r.Minutes || back.Kind != r.Kind || !back.Created.Equal(r.Created) {
		t.Fatalf("decoded %+v, %v", back, err)
	}
}
