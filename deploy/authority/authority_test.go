package authority

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/deploy/manifest"
)

func testManifest(t *testing.T, keys ...*Key) *manifest.Manifest {
	m := &manifest.Manifest{}
	for _, k := range keys {
		m.Authorities = append(m.Authorities, k.Public())
	}
	return m
}

func TestIssueVerify(t *testing.T) {
	k, _ := GenerateKey("Gesundheitsamt")
	k2, _ := GenerateKey("other")
	m := testManifest(t, k2, k)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	codes, err := issueAt(k, PositiveTest, 5, 14*24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[16]byte]bool{}
	for _, c := range codes {
		if len(c) != 136+33 {
			t.Fatalf("code %q has %d characters", c, len(c))
		}
		id, exp, err := VerifyAt(m, c, now)
		if err != nil {
			t.Fatal(err)
		}
		if !exp.Equal(now.Add(14 * 24 * time.Hour)) {
			t.Fatalf("expires %v", exp)
		}
		if seen[id] {
			t.Fatal("repeated code id")
		}
		seen[id] = true
		// Case, separators and confusable letters do not matter.
		loose := strings.ReplaceAll(strings.ToLower(c), "-", " ")
		loose = strings.ReplaceAll(strings.ReplaceAll(loose, "0", "o"), "1", "l")
		if id2, _, err := VerifyAt(m, loose, now); err != nil || id2 != id {
			t.Fatalf("loose form: %v", err)
		}
	}
	c := codes[0]
	if _, _, err := VerifyAt(m, c, now.Add(15*24*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, _, err := VerifyAt(testManifest(t, k2), c, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("unknown authority: %v", err)
	}
	// One changed character is a bad signature (or, in the version group,
	// an unknown version).
	for i := 5; i < len(c); i += 7 {
		if c[i] == '-' {
			continue
		}
		b := []byte(c)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if _, _, err := VerifyAt(m, string(b), now); err == nil {
			t.Fatalf("typo at %d accepted", i)
		}
	}
	for _, bad := range []string{"", "ABCD-EFGH", c + "-0", c[:len(c)-1], strings.Replace(c, c[10:11], "U", 1), "1" + c[1:]} {
		if _, _, err := VerifyAt(m, bad, now); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
	if _, err := Issue(k, 0, time.Hour); err == nil {
		t.Fatal("issued 0 codes")
	}
	if _, err := Issue(k, 1, time.Second); err == nil {
		t.Fatal("issued a 1s code")
	}
}

func TestKeyFile(t *testing.T) {
	k, _ := GenerateKey("HA")
	path := filepath.Join(t.TempDir(), "authority.key")
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !k2.Private.Equal(k.Private) || k2.Name != "HA" {
		t.Fatal("key changed")
	}
	if _, err := ParseKey([]byte(`{"type":"safetrace party key v1"}`)); err == nil {
		t.Fatal("parsed a party key as an authority key")
	}
}

// FuzzParseCode: ParseCode never panics, and a parsed code's String parses
// back to the same code and is a fixed point.
func FuzzParseCode(f *testing.F) {
	k, _ := GenerateKey("HA")
	codes, _ := Issue(k, 2, time.Hour)
	for _, c := range codes {
		f.Add(c)
		f.Add(strings.ToLower(c))
	}
	f.Add("")
	f.Add("0000-0000")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			return
		}
		c2, err := ParseCode(c.String())
		if err != nil {
			t.Fatal(err)
		}
		if c2 != c || c2.String() != c.String() {
			t.Fatalf("round trip changed the code: %v %v", c, c2)
		}
	})
}
