package wire_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/wire"
)

func TestEnvelope(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := d.Manifest
	payload, err := wire.Pad([]byte("shares for party 2"), wire.DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := wire.SealToParty(m, 2, payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != 1024+wire.SealOverhead {
		t.Fatalf("envelope is %d bytes", len(sealed))
	}
	got, err := wire.OpenAsParty(d.Parties[1], m, sealed)
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := wire.Unpad(got, wire.DefaultBuckets); err != nil || string(msg) != "shares for party 2" {
		t.Fatalf("%q %v", msg, err)
	}

	// Failures.
	if _, err := wire.OpenAsParty(d.Parties[0], m, sealed); !errors.Is(err, wire.ErrOpen) {
		t.Fatalf("wrong party: %v", err)
	}
	// Same keys, another manifest (a new serial): the hash differs.
	m2 := *m
	m2.Serial++
	for _, p := range d.Parties {
		if err := m2.Sign(p.ID, p.Sign); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := wire.OpenAsParty(d.Parties[1], &m2, sealed); !errors.Is(err, wire.ErrOpen) {
		t.Fatalf("wrong manifest hash: %v", err)
	}
	// A key that is not the manifest's.
	if _, err := wire.OpenAsParty(other.Parties[1], m, sealed); err == nil || !strings.Contains(err.Error(), "does not match hpke_key") {
		t.Fatalf("foreign key: %v", err)
	}
	for _, i := range []int{0, 10, 32, 40, len(sealed) - 1} { // encapsulated key, ciphertext, tag
		bad := bytes.Clone(sealed)
		bad[i] ^= 1
		if _, err := wire.OpenAsParty(d.Parties[1], m, bad); !errors.Is(err, wire.ErrOpen) {
			t.Fatalf("tampered byte: %v", err)
		}
	}
	if _, err := wire.OpenAsParty(d.Parties[1], m, sealed[:len(sealed)-1]); !errors.Is(err, wire.ErrOpen) {
		t.Fatalf("truncated by 1: %v", err)
	}
	if _, err := wire.OpenAsParty(d.Parties[1], m, sealed[:20]); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated to 20: %v", err)
	}
	if _, err := wire.SealToParty(m, 4, payload); err == nil {
		t.Fatal("sealed to party 4 of 3")
	}
}

func TestResultEnvelope(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rk, err := wire.GenerateResultKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := wire.CheckResultPublicKey(rk.PublicKey()); err != nil {
		t.Fatal(err)
	}
	rk2, err := wire.ParseResultKey(rk.Bytes())
	if err != nil || !bytes.Equal(rk2.PublicKey(), rk.PublicKey()) {
		t.Fatal("result key round trip", err)
	}
	sealed, err := wire.SealResult(d.Manifest, 3, rk.PublicKey(), []byte("share"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := wire.OpenResult(rk2, d.Manifest, 3, sealed); err != nil || string(got) != "share" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := wire.OpenResult(rk, d.Manifest, 2, sealed); !errors.Is(err, wire.ErrOpen) {
		t.Fatalf("claimed sender: %v", err)
	}
	// A result envelope is not a party envelope, and vice versa: the labels differ.
	pe, _ := wire.SealToParty(d.Manifest, 3, []byte("x"))
	if _, err := wire.OpenResult(rk, d.Manifest, 3, pe); !errors.Is(err, wire.ErrOpen) {
		t.Fatal("party envelope opened as a result")
	}
	other, _ := wire.GenerateResultKey()
	if _, err := wire.OpenResult(other, d.Manifest, 3, sealed); !errors.Is(err, wire.ErrOpen) {
		t.Fatal("opened with another device's key")
	}
	if err := wire.CheckResultPublicKey(make([]byte, 31)); err == nil {
		t.Fatal("accepted a 31-byte key")
	}
}

func TestPad(t *testing.T) {
	b := wire.DefaultBuckets
	for _, n := range []int{0, 1, 1020, 1021, 4092, 4093, 1<<20 - 4} {
		p, err := wire.Pad(make([]byte, n), b)
		if err != nil {
			t.Fatal(n, err)
		}
		want := 0
		for _, s := range b {
			if n+4 <= s {
				want = s
				break
			}
		}
		if len(p) != want {
			t.Fatalf("%d bytes padded to %d, want %d", n, len(p), want)
		}
		u, err := wire.Unpad(p, b)
		if err != nil || len(u) != n {
			t.Fatal(n, err)
		}
	}
	if _, err := wire.Pad(make([]byte, 1<<20-3), b); err == nil {
		t.Fatal("padded past the largest bucket")
	}
	good, _ := wire.Pad([]byte("abc"), b)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"not a bucket", good[:1000], "not a bucket size"},
		{"empty", nil, "not a bucket size"},
		{"length too big", append([]byte{0, 0, 4, 0}, good[4:]...), "exceeds"},
		{"non-zero padding", func() []byte { x := bytes.Clone(good); x[100] = 1; return x }(), "non-zero padding"},
		{"wrong bucket", func() []byte { x := make([]byte, 4096); x[3] = 3; return x }(), "fits the 1024-byte bucket"},
	}
	for _, tt := range tests {
		if _, err := wire.Unpad(tt.in, b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := wire.Pad(nil, []int{100, 50}); err == nil {
		t.Fatal("accepted descending buckets")
	}
}

func FuzzUnpad(f *testing.F) {
	buckets := []int{8, 16, 64}
	f.Add([]byte{0, 0, 0, 1, 'x', 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		u, err := wire.Unpad(in, buckets)
		if err != nil {
			return
		}
		p, err := wire.Pad(u, buckets)
		if err != nil || !bytes.Equal(p, in) {
			t.Fatalf("Pad(Unpad(x)) != x: %x %x %v", in, p, err)
		}
	})
}

// TestCheckResultPublicKeyLowOrder: CheckResultPublicKey refuses exactly
// the keys that sealing a result or a reply to refuses: the X25519 points of low order (and
// their encodings with the ignored top bit set), not random keys.
func TestCheckResultPublicKeyLowOrder(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	for _, h := range []string{
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	} {
		k, _ := hex.DecodeString(h)
		top := bytes.Clone(k)
		top[31] |= 0x80
		keys = append(keys, k, top)
	}
	low := len(keys)
	for range 64 {
		rk, err := wire.GenerateResultKey()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, rk.PublicKey())
	}
	for i, k := range keys {
		checked := wire.CheckResultPublicKey(k)
		_, sealed := wire.SealResult(d.Manifest, 1, k, []byte("share"))
		_, replied := wire.NewReplySealer([wire.KeySize]byte(k), d.Manifest.Hash(), 1)
		if (checked == nil) != (sealed == nil) || (checked == nil) != (replied == nil) {
			t.Errorf("key %x: check %v, seal %v, reply sealer %v", k, checked, sealed, replied)
		}
		if i < low && checked == nil {
			t.Errorf("low-order key %x accepted", k)
		}
		if i >= low && checked != nil {
			t.Errorf("random key %x refused: %v", k, checked)
		}
	}
}
