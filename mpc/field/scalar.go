package field

import (
	"encoding/binary"
	"io"
	"sync"

	"github.com/gtank/ristretto255"
)

// ScalarSize is the number of bytes of an encoded [Scalar].
const ScalarSize = 32

// Scalar is an element of the ristretto255 scalar field, the integers modulo
// the group order l = 2^252 + 27742317777372353535851937790883648493
// (RFC 9496, Section 4.4).
//
// Scalar has the same representation as [ristretto255.Scalar] (always fully
// reduced), so the zero value is 0 and == compares values. Convert a pointer
// with [Scalar.Ristretto] or (*ristretto255.Scalar)(&x) to use the
// ristretto255 API, for example for scalar multiplication of points.
type Scalar ristretto255.Scalar

// Ristretto returns x viewed as a *ristretto255.Scalar; writes through it
// change x.
func (x *Scalar) Ristretto() *ristretto255.Scalar { return (*ristretto255.Scalar)(x) }

// ScalarField is the ristretto255 scalar field. Its arithmetic comes from
// github.com/gtank/ristretto255 (fiat-crypto Montgomery arithmetic via
// filippo.io/edwards25519) and is constant time, except that Inv checks for
// zero and the vector operations' loop bounds depend on lengths.
type ScalarField struct{}

func (ScalarField) Name() string  { return "ristretto255-scalar" }
func (ScalarField) ElemSize() int { return ScalarSize }

var scalarOne = ScalarField{}.FromUint64(1)

func (ScalarField) One() Scalar { return scalarOne }

// FromUint64 returns v as a scalar (v < l, so no reduction happens).
func (ScalarField) FromUint64(v uint64) Scalar {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], v)
	var x Scalar
	if _, err := x.Ristretto().SetCanonicalBytes(b[:]); err != nil {
		panic("field: internal error: " + err.Error())
	}
	return x
}

func (ScalarField) Add(x, y Scalar) Scalar {
	x.Ristretto().Add(x.Ristretto(), y.Ristretto())
	return x
}

func (ScalarField) Sub(x, y Scalar) Scalar {
	x.Ristretto().Subtract(x.Ristretto(), y.Ristretto())
	return x
}

func (ScalarField) Mul(x, y Scalar) Scalar {
	x.Ristretto().Multiply(x.Ristretto(), y.Ristretto())
	return x
}

func (ScalarField) Neg(x Scalar) Scalar {
	x.Ristretto().Negate(x.Ristretto())
	return x
}

// Inv returns 1/x, or ErrZeroInverse for x = 0.
func (ScalarField) Inv(x Scalar) (Scalar, error) {
	if x == (Scalar{}) {
		return Scalar{}, ErrZeroInverse
	}
	x.Ristretto().Invert(x.Ristretto())
	return x, nil
}

func (ScalarField) AddVec(dst, x, y []Scalar) {
	checkLen(len(dst), len(x), len(y))
	for i := range dst {
		dst[i].Ristretto().Add(x[i].Ristretto(), y[i].Ristretto())
	}
}

func (ScalarField) SubVec(dst, x, y []Scalar) {
	checkLen(len(dst), len(x), len(y))
	for i := range dst {
		dst[i].Ristretto().Subtract(x[i].Ristretto(), y[i].Ristretto())
	}
}

// The operations that cost a multiplication or more per element (MulVec,
// ScaleVec, AddScaledVec, Random, Append, Decode) spread long vectors over
// GOMAXPROCS goroutines, with the same result as one pass.

func (ScalarField) MulVec(dst, x, y []Scalar) {
	checkLen(len(dst), len(x), len(y))
	par(len(dst), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i].Ristretto().Multiply(x[i].Ristretto(), y[i].Ristretto())
		}
	})
}

func (ScalarField) ScaleVec(dst, x []Scalar, c Scalar) {
	checkLen(len(dst), len(x))
	par(len(dst), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i].Ristretto().Multiply(x[i].Ristretto(), c.Ristretto())
		}
	})
}

func (ScalarField) AddScaledVec(dst, x []Scalar, c Scalar) {
	checkLen(len(dst), len(x))
	par(len(dst), func(lo, hi int) {
		var t ristretto255.Scalar
		for i := lo; i < hi; i++ {
			t.Multiply(x[i].Ristretto(), c.Ristretto())
			dst[i].Ristretto().Add(dst[i].Ristretto(), &t)
		}
	})
}

// Random reduces 64 bytes from r modulo l for each element (RFC 9496,
// Section 4.4): the bias is below 2^-259, so no rejection is needed and
// exactly 64*len(dst) bytes are read.
func (ScalarField) Random(dst []Scalar, r io.Reader) error {
	// The bytes are read in order from r (which need not be safe for
	// concurrent use); the reductions run on all CPUs.
	const chunk = 8192
	buf := make([]byte, 64*min(len(dst), chunk))
	for i := 0; i < len(dst); i += chunk {
		n := min(len(dst)-i, chunk)
		if _, err := io.ReadFull(r, buf[:64*n]); err != nil {
			return err
		}
		d := dst[i : i+n]
		par(n, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				if _, err := d[j].Ristretto().SetUniformBytes(buf[64*j : 64*j+64]); err != nil {
					panic("field: internal error: " + err.Error())
				}
			}
		})
	}
	return nil
}

// Append appends the 32-byte little-endian canonical encodings of x to b.
func (ScalarField) Append(b []byte, x []Scalar) []byte {
	off := len(b)
	b = append(b, make([]byte, ScalarSize*len(x))...)
	out := b[off:]
	par(len(x), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			copy(out[ScalarSize*i:], x[i].Ristretto().Bytes())
		}
	})
	return b
}

// Decode rejects encodings of integers >= l. On error it sets every element
// of dst to zero rather than leave a partial result.
func (ScalarField) Decode(dst []Scalar, b []byte) error {
	if len(b) != ScalarSize*len(dst) {
		return &DecodeError{"ristretto255-scalar", -1, "need " + itoa(ScalarSize*len(dst)) + " bytes, got " + itoa(len(b))}
	}
	// Every chunk stops at its first invalid element; the error names the
	// lowest one, as a single pass would.
	var mu sync.Mutex
	bad := -1
	par(len(dst), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if _, err := dst[i].Ristretto().SetCanonicalBytes(b[ScalarSize*i : ScalarSize*(i+1)]); err != nil {
				mu.Lock()
				if bad < 0 || i < bad {
					bad = i
				}
				mu.Unlock()
				return
			}
		}
	})
	if bad >= 0 {
		clear(dst)
		return &DecodeError{"ristretto255-scalar", bad, "not reduced modulo l"}
	}
	return nil
}

// Bits returns 253, the bit length of the group order l = 2^252 + ....
func (ScalarField) Bits() int { return 253 }
