package wire

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/wire/record"
)

var genCorpus = flag.Bool("gencorpus", false, "rewrite the seed corpora in testdata/fuzz")

func testUpload(n int, positive bool) *Upload {
	u := &Upload{Kind: KindOrdinary}
	if positive {
		u.Kind, u.Code = KindPositive, "ABCD-EFGH"
	}
	rand.Read(u.ReplyKey[:])
	rand.Read(u.ID[:])
	rand.Read(u.ResultKey[:])
	rand.Read(u.TokenHash[:])
	pts := make([]group.Point, n)
	group.Random(pts, rand.Reader)
	sc := make([]field.Scalar, 2*n)
	field.ScalarField{}.Random(sc, rand.Reader)
	for i := range n {
		r := Record{Day: record.Day(20000 + i%14), Share: record.Share{Point: pts[i], Weight: sc[2*i], Minutes: sc[2*i+1]}}
		rand.Read(r.ID[:])
		u.Records = append(u.Records, r)
	}
	return u
}

func mustEncode(t testing.TB, m Message) []byte {
	b, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func samples(t testing.TB) map[string][]byte {
	rs := &ResultShare{Party: 2, Days: []uint32{20000, 20001}, Values: make([]field.Scalar, 2)}
	field.ScalarField{}.Random(rs.Values, rand.Reader)
	return map[string][]byte{
		"upload":          mustEncode(t, testUpload(3, false)),
		"upload_positive": mustEncode(t, testUpload(1, true)),
		"receipt":         mustEncode(t, &Receipt{Party: 1, Records: 3}),
		"result_request":  mustEncode(t, &ResultRequest{DeleteThrough: 7}),
		"result_response": mustEncode(t, &ResultResponse{Results: []ResultBlob{{Seq: 1, Blob: []byte("x")}, {Seq: 5}}}),
		"error":           mustEncode(t, &Error{Code: CodeCodeUsed, Message: "used"}),
		"result_share":    mustEncode(t, rs),
		"version2":        {2, 1},
		"empty":           {},
	}
}

func TestRoundTrip(t *testing.T) {
	for name, b := range samples(t) {
		m, err := Decode(b)
		if name == "version2" || name == "empty" {
			if err == nil {
				t.Errorf("%s: decoded", name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := mustEncode(t, m); !bytes.Equal(got, b) {
			t.Errorf("%s: re-encoding differs", name)
		}
	}
}

func TestUploadContentHash(t *testing.T) {
	u := testUpload(2, false)
	h1, _ := u.ContentHash()
	u.ReplyKey[0] ^= 1
	h2, _ := u.ContentHash()
	if h1 != h2 {
		t.Error("content hash depends on the reply key")
	}
	u.Records[0].Day++
	if h3, _ := u.ContentHash(); h3 == h1 {
		t.Error("content hash ignores records")
	}
	_, h4, err := DecodeUploadHash(mustEncode(t, u))
	if err != nil || h4 != func() [32]byte { h, _ := u.ContentHash(); return h }() {
		t.Errorf("DecodeUploadHash: %v", err)
	}
}

func TestUploadInvalid(t *testing.T) {
	good := mustEncode(t, testUpload(2, false))
	off := requestHdrSize + IDSize + 1 + 2 + 2*KeySize + 4 // first record
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	nonCanonical := bytes.Repeat([]byte{0xff}, 32)
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		// Framing.
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"trailing", append(bytes.Clone(good), 0), ErrMalformed},
		{"version", mod(func(b []byte) []byte { b[0] = 9; return b }), ErrVersion},
		{"count too large", mod(func(b []byte) []byte { b[off-4] = 0xff; return b }), ErrMalformed},
		{"count mismatch", mod(func(b []byte) []byte { b[off-1] = 3; return b }), ErrMalformed},
		// Content.
		{"kind", mod(func(b []byte) []byte { b[requestHdrSize+IDSize] = 3; return b }), ErrMalformed},
		{"positive without code", mod(func(b []byte) []byte { b[requestHdrSize+IDSize] = 2; return b }), ErrMalformed},
		{"duplicate record id", mod(func(b []byte) []byte { copy(b[off+RecordSize:], b[off:off+IDSize]); return b }), ErrMalformed},
		// Shares.
		{"point", mod(func(b []byte) []byte { copy(b[off+IDSize+4:], nonCanonical); return b }), record.ErrBadShare},
		{"weight", mod(func(b []byte) []byte { copy(b[off+IDSize+4+32:], nonCanonical); return b }), record.ErrBadShare},
		{"minutes", mod(func(b []byte) []byte { copy(b[off+IDSize+4+64:], nonCanonical); return b }), record.ErrBadShare},
	}
	for _, c := range cases {
		if _, err := DecodeUpload(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := testUpload(MaxRecords+1, false).AppendBinary(nil); err == nil {
		t.Error("encoded more than MaxRecords")
	}
}

func TestMaxUploadFitsRelay(t *testing.T) {
	u := testUpload(MaxRecords, true)
	u.Code = strings.Repeat("A", MaxCodeLen)
	b := mustEncode(t, u)
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env, err := SealEnvelope(d.Manifest, 1, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(env) > MaxEnvelope {
		t.Fatalf("envelope of %d bytes", len(env))
	}
	pt, e := OpenEnvelope(d.Parties[0], d.Manifest, d.Manifest.Hash(), env)
	if e != nil || !bytes.Equal(pt, b) {
		t.Fatalf("open: %v", e)
	}
}

func TestEnvelopeErrors(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, h := d.Manifest, d.Manifest.Hash()
	req := mustEncode(t, &ResultRequest{})
	env, err := SealEnvelope(m, 2, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, e := OpenEnvelope(d.Parties[1], m, h, env); e != nil {
		t.Fatal(e)
	}
	mod := func(f func(b []byte)) []byte { b := bytes.Clone(env); f(b); return b }
	cases := []struct {
		name string
		b    []byte
		want Code
	}{
		{"empty", nil, CodeBadFrame},
		{"short", env[:40], CodeBadFrame},
		{"version", mod(func(b []byte) { b[0] = 1 }), CodeBadVersion},
		{"manifest", mod(func(b []byte) { b[1] ^= 1 }), CodeWrongManifest},
		{"party", mod(func(b []byte) { b[33] = 3 }), CodeWrongParty},
		{"ciphertext", mod(func(b []byte) { b[len(b)-1] ^= 1; SetWork(b, m.Params.Budget.WorkBits) }), CodeBadEnvelope},
		{"no work", mod(func(b []byte) { b[len(b)-1] ^= 1 }), CodeNoWork},
		{"nonce", mod(func(b []byte) { b[envelopeNonceAt] ^= 0xff }), CodeNoWork},
		{"oversized", make([]byte, MaxEnvelope+1), CodeBadFrame},
	}
	cases[len(cases)-1].b[0] = EnvelopeVersion
	cases[len(cases)-1].want = CodeTooLarge
	for _, c := range cases {
		if _, e := OpenEnvelope(d.Parties[1], m, h, c.b); e == nil || e.Code != c.want {
			t.Errorf("%s: %v, want %v", c.name, e, c.want)
		}
	}
}

func TestWorkBits(t *testing.T) {
	// Sizes of padded requests; the envelope adds its header and the
	// seal's overhead.
	for _, c := range []struct{ size, base, want int }{
		{1000, 0, 0}, {1000, 13, 13}, {4 << 10, 13, 13}, {4<<10 + 1, 13, 14},
		{16 << 10, 13, 14}, {64 << 10, 13, 15}, {256 << 10, 13, 16}, {1 << 20, 13, 17},
		{1 << 30, 30, MaxWorkBits},
	} {
		if got := WorkBits(c.size+EnvelopeHeaderSize+SealOverhead, c.base); got != c.want {
			t.Errorf("WorkBits(%d, %d) = %d, want %d", c.size, c.base, got, c.want)
		}
	}
	env := make([]byte, 2000)
	env[0] = EnvelopeVersion
	SetWork(env, 12)
	if !CheckWork(env, 12) || !CheckWork(env, 0) {
		t.Fatal("work not accepted")
	}
	// The work is bound to the content: about one in 4096 nonces passes.
	bad := 0
	for i := range 64 {
		e := bytes.Clone(env)
		e[100+i]++
		if !CheckWork(e, 12) {
			bad++
		}
	}
	if bad < 60 {
		t.Fatalf("%d of 64 altered envelopes fail the work check", bad)
	}
	if CheckWork(env[:10], 0) {
		t.Fatal("a truncated envelope passed")
	}
}

func BenchmarkWork(b *testing.B) {
	env := make([]byte, 4<<10)
	env[0] = EnvelopeVersion
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		env[100] = byte(i)
		env[101] = byte(i >> 8)
		SetWork(env, 13)
	}
}

func TestReply(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := d.Manifest.Hash()
	k, _ := NewReplyKey()
	rc := &Receipt{Party: 1, Records: 4}
	rc.Sign(d.Parties[0].Sign, h)
	m, err := k.OpenReply(h, 1, SealReply(k.Public(), h, 1, rc))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.(*Receipt); !got.Verify(d.Manifest.Parties[0].SignKey, h) || got.Verify(d.Manifest.Parties[1].SignKey, h) {
		t.Error("receipt signature")
	}
	if _, err := k.OpenReply(h, 2, SealReply(k.Public(), h, 1, rc)); err == nil {
		t.Error("reply of party 1 opened as party 2's")
	}
	_, err = k.OpenReply(h, 1, ClearReply(&Error{Code: CodeBadEnvelope, Message: "no"}))
	var e *Error
	if !errors.Is(err, ErrClearReply) || !errors.As(err, &e) || e.Code != CodeBadEnvelope {
		t.Errorf("clear reply: %v", err)
	}
}

func writeCorpus(t *testing.T, fuzzName string, seeds map[string][]byte) {
	dir := filepath.Join("testdata", "fuzz", fuzzName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGenCorpus(t *testing.T) {
	if !*genCorpus {
		t.Skip("use -gencorpus")
	}
	s := samples(t)
	writeCorpus(t, "FuzzDecode", s)
	writeCorpus(t, "FuzzDecodeUpload", map[string][]byte{"upload": s["upload"], "upload_positive": s["upload_positive"]})
	writeCorpus(t, "FuzzOpenReply", map[string][]byte{"clear": ClearReply(&Error{Code: CodeCodeUsed, Message: "m"}), "sealed": append([]byte{1, 1}, make([]byte, 60)...)})
}

// FuzzDecode checks that every accepted message re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		out, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatalf("decoded %v does not encode: %v", m.Type(), err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("%v: re-encoding differs", m.Type())
		}
	})
}

// FuzzDecodeUpload checks the upload decoder and its content hash.
func FuzzDecodeUpload(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		u, h, err := DecodeUploadHash(b)
		if err != nil {
			return
		}
		out, err := u.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip: %v", err)
		}
		if h2, _ := u.ContentHash(); h2 != h {
			t.Fatal("content hash differs")
		}
		for i := range u.Records {
			s, err := record.DecodeShare(u.Records[i].AppendShare(nil))
			if err != nil || !group.EqualVec([]group.Point{s.Point}, []group.Point{u.Records[i].Point}) || s.Weight != u.Records[i].Weight || s.Minutes != u.Records[i].Minutes {
				t.Fatalf("share round trip: %v", err)
			}
		}
	})
}

// FuzzOpenReply checks that no reply makes the client panic.
func FuzzOpenReply(f *testing.F) {
	k, err := NewReplyKey()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k.OpenReply([32]byte{}, 1, b)
	})
}

// TestUploadShare: the share bytes of a decoded upload are those AppendShare
// gives for its decoded records.
func TestUploadShare(t *testing.T) {
	for _, positive := range []bool{false, true} {
		enc, err := testUpload(7, positive).AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		u, err := DecodeUpload(enc)
		if err != nil {
			t.Fatal(err)
		}
		for i := range u.Records {
			if got, want := UploadShare(enc, len(u.Records), i), u.Records[i].AppendShare(nil); !bytes.Equal(got, want) {
				t.Fatalf("record %d: share %x, want %x", i, got, want)
			}
		}
	}
}

// TestWorkBitsPerBucket: a sealed envelope pays for its bucket, not for the
// next one because of its header and seal (a 256 KiB request once needed
// the 1 MiB bucket's bits).
func TestWorkBitsPerBucket(t *testing.T) {
	for i, b := range Buckets {
		want := 13 + max(0, i-1)
		if got := WorkBits(EnvelopeHeaderSize+SealOverhead+b, 13); got != want {
			t.Errorf("bucket of %d bytes: %d bits, want %d", b, got, want)
		}
	}
}

// TestAttackWorkOneBucketDown: an envelope of the 256 KiB bucket that
// carries one bit less work than its bucket asks for (a hostile client
// trying the bits of the bucket below) is refused before it is opened, and
// the same envelope with its bucket's work opens.
func TestAttackWorkOneBucketDown(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, h := d.Manifest, d.Manifest.Hash()
	req := mustEncode(t, &ResultRequest{})
	req = append(req, make([]byte, 200<<10)...) // padded into the 256 KiB bucket
	env, err := SealEnvelope(m, 1, req)
	if err != nil {
		t.Fatal(err)
	}
	need := WorkBits(len(env), m.Params.Budget.WorkBits)
	if len(env) != EnvelopeHeaderSize+SealOverhead+256<<10 || need != m.Params.Budget.WorkBits+3 {
		t.Fatalf("envelope of %d bytes needs %d bits", len(env), need)
	}
	// A nonce with exactly need-1 leading zero bits.
	d0 := workDigest(env)
	nonce := env[envelopeNonceAt : envelopeNonceAt+WorkNonceSize]
	for n := uint64(0); ; n++ {
		binary.BigEndian.PutUint64(nonce, n)
		if workOK(d0, nonce, need-1) && !workOK(d0, nonce, need) {
			break
		}
	}
	if _, e := OpenEnvelope(d.Parties[0], m, h, env); e == nil || e.Code != CodeNoWork {
		t.Fatalf("one bit short: %v, want %v", e, CodeNoWork)
	}
	if CheckWork(env, m.Params.Budget.WorkBits) {
		t.Fatal("CheckWork (the relay's check) accepts one bit short")
	}
	SetWork(env, m.Params.Budget.WorkBits)
	if _, e := OpenEnvelope(d.Parties[0], m, h, env); e != nil {
		t.Fatalf("with its bucket's work: %v", e)
	}
}
