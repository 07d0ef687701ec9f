package keys_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/internal/localdeploy"
	"github.com/safetrace/safetrace/party/keys"
)

func TestKeyFile(t *testing.T) {
	k, err := keys.Generate(2, "Org B", "127.0.0.1:7002")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "party2.key")
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := k.Save(path); err == nil {
		t.Fatal("Save overwrote an existing key file")
	}
	st, _ := os.Stat(path)
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	k2, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := k.Public(), k2.Public()
	if p1.ID != p2.ID || p1.Name != p2.Name || p1.Mesh != p2.Mesh ||
		!bytes.Equal(p1.HPKEKey, p2.HPKEKey) || !bytes.Equal(p1.SignKey, p2.SignKey) {
		t.Fatalf("loaded key differs: %+v %+v", p1, p2)
	}
	switch runtime.GOOS {
	case "windows", "js", "wasip1", "plan9": // no permission check there
	default:
		os.Chmod(path, 0o644)
		if _, err := keys.Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("loaded a world-readable key: %v", err)
		}
	}
	if _, err := keys.Parse([]byte(`{"type":"safetrace party key v1","party":1,"sign_seed":"AA==","hpke_private":"AA=="}`)); err == nil {
		t.Fatal("parsed a short seed")
	}
	if _, err := keys.Generate(0, "x", "y:1"); err == nil {
		t.Fatal("generated party 0")
	}
}

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
	payload, err := keys.Pad([]byte("shares for party 2"), keys.DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := keys.Seal(m, 2, payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != 1024+keys.Overhead {
		t.Fatalf("envelope is %d bytes", len(sealed))
	}
	got, err := keys.Open(d.Parties[1], m, sealed)
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := keys.Unpad(got, keys.DefaultBuckets); err != nil || string(msg) != "shares for party 2" {
		t.Fatalf("%q %v", msg, err)
	}

	// Failures.
	if _, err := keys.Open(d.Parties[0], m, sealed); !errors.Is(err, keys.ErrOpen) {
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
	if _, err := keys.Open(d.Parties[1], &m2, sealed); !errors.Is(err, keys.ErrOpen) {
		t.Fatalf("wrong manifest hash: %v", err)
	}
	// A key that is not the manifest's.
	if _, err := keys.Open(other.Parties[1], m, sealed); err == nil || !strings.Contains(err.Error(), "does not match hpke_key") {
		t.Fatalf("foreign key: %v", err)
	}
	for _, i := range []int{0, 10, 32, 40, len(sealed) - 1} { // encapsulated key, ciphertext, tag
		bad := bytes.Clone(sealed)
		bad[i] ^= 1
		if _, err := keys.Open(d.Parties[1], m, bad); !errors.Is(err, keys.ErrOpen) {
			t.Fatalf("tampered byte: %v", err)
		}
	}
	if _, err := keys.Open(d.Parties[1], m, sealed[:len(sealed)-1]); !errors.Is(err, keys.ErrOpen) {
		t.Fatalf("truncated by 1: %v", err)
	}
	if _, err := keys.Open(d.Parties[1], m, sealed[:20]); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated to 20: %v", err)
	}
	if _, err := keys.Seal(m, 4, payload); err == nil {
		t.Fatal("sealed to party 4 of 3")
	}
}

func TestResultEnvelope(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rk, err := keys.GenerateResultKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.CheckResultPublicKey(rk.PublicKey()); err != nil {
		t.Fatal(err)
	}
	rk2, err := keys.ParseResultKey(rk.Bytes())
	if err != nil || !bytes.Equal(rk2.PublicKey(), rk.PublicKey()) {
		t.Fatal("result key round trip", err)
	}
	sealed, err := keys.SealResult(d.Manifest, 3, rk.PublicKey(), []byte("share"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := keys.OpenResult(rk2, d.Manifest, 3, sealed); err != nil || string(got) != "share" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := keys.OpenResult(rk, d.Manifest, 2, sealed); !errors.Is(err, keys.ErrOpen) {
		t.Fatalf("claimed sender: %v", err)
	}
	// A result envelope is not a party envelope, and vice versa: the labels differ.
	pe, _ := keys.Seal(d.Manifest, 3, []byte("x"))
	if _, err := keys.OpenResult(rk, d.Manifest, 3, pe); !errors.Is(err, keys.ErrOpen) {
		t.Fatal("party envelope opened as a result")
	}
	other, _ := keys.GenerateResultKey()
	if _, err := keys.OpenResult(other, d.Manifest, 3, sealed); !errors.Is(err, keys.ErrOpen) {
		t.Fatal("opened with another device's key")
	}
	if err := keys.CheckResultPublicKey(make([]byte, 31)); err == nil {
		t.Fatal("accepted a 31-byte key")
	}
}

func TestPad(t *testing.T) {
	b := keys.DefaultBuckets
	for _, n := range []int{0, 1, 1020, 1021, 4092, 4093, 1<<20 - 4} {
		p, err := keys.Pad(make([]byte, n), b)
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
		u, err := keys.Unpad(p, b)
		if err != nil || len(u) != n {
			t.Fatal(n, err)
		}
	}
	if _, err := keys.Pad(make([]byte, 1<<20-3), b); err == nil {
		t.Fatal("padded past the largest bucket")
	}
	good, _ := keys.Pad([]byte("abc"), b)
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
		if _, err := keys.Unpad(tt.in, b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := keys.Pad(nil, []int{100, 50}); err == nil {
		t.Fatal("accepted descending buckets")
	}
}

func FuzzUnpad(f *testing.F) {
	buckets := []int{8, 16, 64}
	f.Add([]byte{0, 0, 0, 1, 'x', 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		u, err := keys.Unpad(in, buckets)
		if err != nil {
			return
		}
		p, err := keys.Pad(u, buckets)
		if err != nil || !bytes.Equal(p, in) {
			t.Fatalf("Pad(Unpad(x)) != x: %x %x %v", in, p, err)
		}
	})
}
