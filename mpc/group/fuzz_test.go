package group

import (
	"bytes"
	"testing"
)

// FuzzDecodePoint checks that every accepted encoding re-encodes to the same
// bytes (decoding is strict, so there is one encoding per element) and that
// rejected input leaves no partial result.
func FuzzDecodePoint(f *testing.F) {
	g := Generator()
	f.Add(g.Bytes())
	f.Add(make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Add(append(g.Bytes(), make([]byte, 32)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Point
		if _, err := p.SetBytes(b); err == nil {
			if !bytes.Equal(p.Bytes(), b) {
				t.Fatalf("SetBytes(%x) re-encodes as %x", b, p.Bytes())
			}
		} else if !p.IsIdentity() {
			t.Fatal("SetBytes changed the receiver on error")
		}
		dst := make([]Point, len(b)/Size)
		if err := DecodeVec(dst, b); err == nil {
			if !bytes.Equal(AppendVec(nil, dst), b) {
				t.Fatalf("DecodeVec(%x) does not round-trip", b)
			}
		} else {
			for i := range dst {
				if !dst[i].IsIdentity() {
					t.Fatal("DecodeVec left a partial result")
				}
			}
		}
		// AddEncodedVec onto the identity accepts exactly what DecodeVec
		// accepts, with the same sum and the same error.
		sum := make([]Point, len(b)/Size)
		err1 := DecodeVec(dst, b)
		err2 := AddEncodedVec(sum, b)
		if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
			t.Fatalf("DecodeVec: %v, AddEncodedVec: %v", err1, err2)
		}
		if err1 == nil && !EqualVec(sum, dst) {
			t.Fatal("AddEncodedVec onto the identity differs from DecodeVec")
		}
	})
}
