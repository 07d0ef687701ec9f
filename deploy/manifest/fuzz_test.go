package manifest_test

import (
	"bytes"
	"testing"

	"github.com/safetrace/safetrace/deploy/manifest"
)

// FuzzParseManifest checks that Parse never panics and that a parsed manifest
// is a fixed point of Marshal: parse -> marshal -> parse -> marshal gives the
// same bytes and the same hash. The seed corpus in testdata/fuzz holds valid
// signed manifests made by localdeploy.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":1,"parties":[{"id":1}],"signatures":[{"party":1,"sig":"AA=="}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := manifest.Parse(data)
		if err != nil {
			return
		}
		_ = m.Verify() // must not panic either
		b1, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := manifest.Parse(b1)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, b1)
		}
		b2, err := m2.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("marshal not stable:\n%s\n%s", b1, b2)
		}
		if m.Hash() != m2.Hash() {
			t.Fatal("hash not stable")
		}
		if (m.Verify() == nil) != (m2.Verify() == nil) {
			t.Fatal("verification result changed")
		}
	})
}
