package field

import (
	"crypto/subtle"
	"unsafe"
)

// asBytes views a GF256 slice as bytes without copying.
func asBytes(x []GF256) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x))
}

// xorBytes sets dst = x ^ y with the word-at-a-time loop of crypto/subtle.
func xorBytes(dst, x, y []byte) {
	subtle.XORBytes(dst, x, y)
}

// GF256Bytes views x as a byte slice without copying; writes through it
// change x.
func GF256Bytes(x []GF256) []byte { return asBytes(x) }

// BytesGF256 views b as a GF256 slice without copying.
func BytesGF256(b []byte) []GF256 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*GF256)(unsafe.Pointer(&b[0])), len(b))
}
