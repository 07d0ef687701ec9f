package shamir

import (
	"bytes"
	"testing"

	"github.com/safetrace/safetrace/mpc/field"
)

// FuzzShareEncoding checks that every accepted share encoding, of field and
// point shares alike, re-encodes to the same bytes.
func FuzzShareEncoding(f *testing.F) {
	m := field.M61Field{}
	f.Add(AppendShare(m, nil, Share[field.M61]{X: 1, Y: []field.M61{1, field.P61 - 1}}))
	f.Add(AppendShare(field.ScalarField{}, nil, Share[field.Scalar]{X: 3, Y: make([]field.Scalar, 1)}))
	f.Add([]byte{0, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := DecodeShare(m, b); err == nil && !bytes.Equal(AppendShare(m, nil, s), b) {
			t.Fatalf("m61 share %x does not round-trip", b)
		}
		sf := field.ScalarField{}
		if s, err := DecodeShare(sf, b); err == nil && !bytes.Equal(AppendShare(sf, nil, s), b) {
			t.Fatalf("scalar share %x does not round-trip", b)
		}
		g := field.GF256Field{}
		if s, err := DecodeShare(g, b); err == nil && !bytes.Equal(AppendShare(g, nil, s), b) {
			t.Fatalf("gf256 share %x does not round-trip", b)
		}
		if s, err := DecodePointShare(b); err == nil && !bytes.Equal(AppendPointShare(nil, s), b) {
			t.Fatalf("point share %x does not round-trip", b)
		}
	})
}
