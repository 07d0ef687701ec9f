package field

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"slices"
	"testing"
)

// FuzzDecodeM61 checks that Decode accepts exactly the canonical encodings
// and that Append reproduces them byte for byte.
func FuzzDecodeM61(f *testing.F) {
	f.Add(binary.LittleEndian.AppendUint64(nil, P61-1))
	f.Add(binary.LittleEndian.AppendUint64(nil, P61))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<64-1))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		fld := M61Field{}
		dst := make([]M61, len(b)/8)
		err := fld.Decode(dst, b)
		canonical := len(b)%8 == 0
		for i := 0; i+8 <= len(b); i += 8 {
			if binary.LittleEndian.Uint64(b[i:]) >= P61 {
				canonical = false
			}
		}
		if (err == nil) != canonical {
			t.Fatalf("Decode(%x): err = %v, canonical = %v", b, err, canonical)
		}
		if err == nil && !bytes.Equal(fld.Append(nil, dst), b) {
			t.Fatalf("Append(Decode(%x)) differs", b)
		}
	})
}

// FuzzDecodeScalar checks Decode against math/big: an encoding is accepted
// exactly when its little-endian value is below l, and round-trips.
func FuzzDecodeScalar(f *testing.F) {
	l := bigL.FillBytes(make([]byte, 32))
	slices.Reverse(l)
	f.Add(l)
	f.Add(make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		fld := ScalarField{}
		dst := make([]Scalar, len(b)/32)
		err := fld.Decode(dst, b)
		canonical := len(b)%32 == 0
		for i := 0; i+32 <= len(b); i += 32 {
			v := slices.Clone(b[i : i+32])
			slices.Reverse(v)
			if new(big.Int).SetBytes(v).Cmp(bigL) >= 0 {
				canonical = false
			}
		}
		if (err == nil) != canonical {
			t.Fatalf("Decode(%x): err = %v, canonical = %v", b, err, canonical)
		}
		if err == nil && !bytes.Equal(fld.Append(nil, dst), b) {
			t.Fatalf("Append(Decode(%x)) differs", b)
		}
	})
}
