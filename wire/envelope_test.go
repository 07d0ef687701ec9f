package wire

import (
	"strings"
	"testing"

	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/mpc/field"
)

// resultBlob seals a ResultShare of days days from party 1 to a fresh
// result key, as an epoch does.
func resultBlob(t *testing.T, d *localdeploy.Deployment, days int) []byte {
	t.Helper()
	rk, err := GenerateResultKey()
	if err != nil {
		t.Fatal(err)
	}
	rs := &ResultShare{Party: 1}
	for i := range days {
		rs.Days = append(rs.Days, uint32(20000+i))
		rs.Values = append(rs.Values, field.ScalarField{}.FromUint64(uint64(i)))
	}
	b, err := rs.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := SealResult(d.Manifest, 1, rk.PublicKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// TestReplyBucketsHoldSmallReplies: a receipt, the longest error and a
// result response for 0 to 60 days (the longest retention window) all seal
// to one size, and open again to the same message.
func TestReplyBucketsHoldSmallReplies(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := d.Manifest.Hash()
	k, _ := NewReplyKey()
	rc := &Receipt{Party: 1, Records: 4}
	rc.Sign(d.Parties[0].Sign, h)
	msgs := map[string]Message{
		"receipt":       rc,
		"short error":   &Error{Code: CodeCodeUsed, Message: "used"},
		"longest error": &Error{Code: CodeBadFrame, Message: strings.Repeat("x", MaxMessage)},
		"no results":    &ResultResponse{},
	}
	for _, days := range []int{1, 14, 60} {
		msgs[itoa(uint64(days))+" days"] = &ResultResponse{Results: []ResultBlob{{Seq: 1, Blob: resultBlob(t, d, days)}}}
	}
	want := ReplyOverhead + ReplyBuckets[0]
	for name, m := range msgs {
		reply := SealReply(k.Public(), h, 1, m)
		if len(reply) != want {
			t.Errorf("%s: sealed reply of %d bytes, want %d", name, len(reply), want)
		}
		got, err := k.OpenReply(h, 1, reply)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a, _ := Encode(m)
		b, _ := Encode(got)
		if string(a) != string(b) {
			t.Errorf("%s: opened to another message", name)
		}
	}
	for _, e := range []*Error{{Code: CodeBadEnvelope, Message: "no"}, {Code: CodeWrongManifest, Message: strings.Repeat("y", MaxMessage)}} {
		if n := len(ClearReply(e)); n != 2+ReplyBuckets[0] {
			t.Errorf("clear reply of %d bytes, want %d", n, 2+ReplyBuckets[0])
		}
	}
}

// TestReplyPaddingChecked: a clear reply whose padding is not canonical
// (non-zero padding, a size that is no bucket) does not open; a reply too
// large for the first bucket takes the next.
func TestReplyPaddingChecked(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := d.Manifest.Hash()
	k, _ := NewReplyKey()
	clear := ClearReply(&Error{Code: CodeBadEnvelope, Message: "no"})
	clear[len(clear)-1] = 1
	if _, err := k.OpenReply(h, 1, clear); err == nil || strings.Contains(err.Error(), "unauthenticated") {
		t.Errorf("clear reply with non-zero padding: %v", err)
	}
	if _, err := k.OpenReply(h, 1, clear[:len(clear)-1]); err == nil {
		t.Error("clear reply one byte short opened")
	}
	// A larger reply takes the next bucket.
	big := SealReply(k.Public(), h, 1, &ResultResponse{Results: []ResultBlob{{Seq: 1, Blob: make([]byte, 5000)}}})
	if len(big) != ReplyOverhead+ReplyBuckets[1] {
		t.Errorf("a 5000-byte reply sealed to %d bytes, want the second bucket", len(big))
	}
	if _, err := k.OpenReply(h, 1, big); err != nil {
		t.Error(err)
	}
}
