package group

import (
	"errors"
	"sync"

	"github.com/gtank/ristretto255"
	"github.com/safetrace/safetrace/mpc/field"
)

// The vector operations take a destination that may alias any input. All
// slices of one call must have the same length; a mismatch is a programming
// error that panics.

func checkLen(n int, others ...int) {
	for _, m := range others {
		if m != n {
			panic("group: vector length mismatch")
		}
	}
}

// AddVec sets dst[i] = x[i] + y[i].
func AddVec(dst, x, y []Point) {
	checkLen(len(dst), len(x), len(y))
	for i := range dst {
		dst[i].Add(&x[i], &y[i])
	}
}

// SubVec sets dst[i] = x[i] - y[i].
func SubVec(dst, x, y []Point) {
	checkLen(len(dst), len(x), len(y))
	for i := range dst {
		dst[i].Sub(&x[i], &y[i])
	}
}

// NegVec sets dst[i] = -x[i].
func NegVec(dst, x []Point) {
	checkLen(len(dst), len(x))
	for i := range dst {
		dst[i].Neg(&x[i])
	}
}

// The operations that cost a scalar multiplication or a square root per
// element (scalar multiplications, linear combinations, encoding, decoding,
// derivation of random points) spread long vectors over GOMAXPROCS
// goroutines; the result is the same as one pass.

// ScalarMulVec sets dst[i] = k[i] * x[i], in constant time.
func ScalarMulVec(dst []Point, k []field.Scalar, x []Point) {
	checkLen(len(dst), len(k), len(x))
	par(len(dst), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i].ScalarMult(&k[i], &x[i])
		}
	})
}

// ScaleVec sets dst[i] = k * x[i], in constant time.
func ScaleVec(dst, x []Point, k field.Scalar) {
	checkLen(len(dst), len(x))
	par(len(dst), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i].ScalarMult(&k, &x[i])
		}
	})
}

// ScalarBaseMulVec sets dst[i] = k[i] * B for the generator B, in constant
// time.
func ScalarBaseMulVec(dst []Point, k []field.Scalar) {
	checkLen(len(dst), len(k))
	par(len(dst), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i].ScalarBaseMult(&k[i])
		}
	})
}

// EqualVec reports whether x and y have the same length and equal elements.
func EqualVec(x, y []Point) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !x[i].Equal(&y[i]) {
			return false
		}
	}
	return true
}

// MultiScalarMul returns sum k[i] * p[i]. It runs in variable time (Straus /
// Pippenger in ristretto255's VarTimeMultiScalarMult): the scalars must be
// public.
func MultiScalarMul(k []field.Scalar, p []Point) Point {
	checkLen(len(k), len(p))
	ks := make([]*ristretto255.Scalar, len(k))
	ps := make([]*ristretto255.Element, len(p))
	for i := range k {
		ks[i] = k[i].Ristretto()
		ps[i] = p[i].el()
	}
	var out Point
	out.e.VarTimeMultiScalarMult(ks, ps)
	out.ok = true
	return out
}

// LinearCombination sets dst[j] = sum_i k[i] * x[i][j], the vector form of
// [MultiScalarMul]; every x[i] must have len(dst) elements and dst may alias
// any of them. It runs in variable time: the scalars must be public (such as
// Lagrange coefficients). Coefficients that are small integers, as the
// Lagrange coefficients of consecutive party indices are, take a much
// faster path of additions and doublings.
func LinearCombination(dst []Point, k []field.Scalar, x [][]Point) {
	checkLen(len(k), len(x))
	for i := range x {
		checkLen(len(dst), len(x[i]))
	}
	if small, ok := smallInts(k); ok {
		linCombSmall(dst, small, x)
		return
	}
	ks := make([]*ristretto255.Scalar, len(k))
	for i := range k {
		ks[i] = k[i].Ristretto()
	}
	par(len(dst), func(lo, hi int) {
		ps := make([]*ristretto255.Element, len(k))
		var t ristretto255.Element
		for j := lo; j < hi; j++ {
			for i := range x {
				ps[i] = x[i][j].el()
			}
			t.VarTimeMultiScalarMult(ks, ps)
			dst[j].e.Set(&t)
			dst[j].ok = true
		}
	})
}

// smallLimit bounds the integer coefficients handled by additions: beyond
// it a multi-scalar multiplication is cheaper.
const smallLimit = 1 << 16

// smallInts returns k as integers in (-smallLimit, smallLimit), if they are.
func smallInts(k []field.Scalar) ([]int64, bool) {
	f := field.ScalarField{}
	out := make([]int64, len(k))
	for i := range k {
		b := k[i].Ristretto().Bytes()
		neg := false
		if !fitsSmall(b) {
			n := f.Neg(k[i])
			b = n.Ristretto().Bytes()
			if !fitsSmall(b) {
				return nil, false
			}
			neg = true
		}
		v := int64(b[0]) | int64(b[1])<<8 | int64(b[2])<<16
		if neg {
			v = -v
		}
		out[i] = v
	}
	return out, true
}

func fitsSmall(b []byte) bool {
	if int64(b[0])|int64(b[1])<<8|int64(b[2])<<16 >= smallLimit {
		return false
	}
	for _, c := range b[3:] {
		if c != 0 {
			return false
		}
	}
	return true
}

// linCombSmall sets dst[j] = sum_i k[i] * x[i][j] for small public integers
// k[i] by a shared double-and-add over the bits of |k[i]| (Straus with
// window 1), negating the terms of negative coefficients.
func linCombSmall(dst []Point, k []int64, x [][]Point) {
	top := 0
	abs := make([]uint64, len(k))
	for i, v := range k {
		if v < 0 {
			v = -v
		}
		abs[i] = uint64(v)
		for top < 64 && abs[i]>>top != 0 {
			top++
		}
	}
	par(len(dst), func(lo, hi int) {
		var acc ristretto255.Element
		for j := lo; j < hi; j++ {
			acc.Set(identity)
			for bit := top - 1; bit >= 0; bit-- {
				acc.Add(&acc, &acc)
				for i := range x {
					if abs[i]>>bit&1 == 0 {
						continue
					}
					if k[i] < 0 {
						acc.Subtract(&acc, x[i][j].el())
					} else {
						acc.Add(&acc, x[i][j].el())
					}
				}
			}
			dst[j].e.Set(&acc)
			dst[j].ok = true
		}
	})
}

// MulSmallAddVec sets dst[i] = k*dst[i] + y[i] for a small public integer k
// (such as a party index) by double-and-add: variable time in k, which must
// be public. It is the Horner step of evaluating a polynomial with point
// coefficients at x = k. y may alias dst.
func MulSmallAddVec(dst []Point, k uint64, y []Point) {
	checkLen(len(dst), len(y))
	top := 0
	for top < 64 && k>>top != 0 {
		top++
	}
	par(len(dst), func(lo, hi int) {
		var acc ristretto255.Element
		for i := lo; i < hi; i++ {
			base := dst[i].el()
			acc.Set(identity)
			for bit := top - 1; bit >= 0; bit-- {
				acc.Add(&acc, &acc)
				if k>>bit&1 == 1 {
					acc.Add(&acc, base)
				}
			}
			acc.Add(&acc, y[i].el())
			dst[i].e.Set(&acc)
			dst[i].ok = true
		}
	})
}

// AppendVec appends the 32-byte encodings of x to b.
func AppendVec(b []byte, x []Point) []byte {
	off := len(b)
	b = append(b, make([]byte, Size*len(x))...)
	out := b[off:]
	par(len(x), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x[i].AppendBytes(out[Size*i : Size*i : Size*(i+1)])
		}
	})
	return b
}

// DecodeError reports why a byte string is not a valid encoding of a vector
// of points.
type DecodeError struct {
	Index int // element index, or -1 for a length error
	Msg   string
}

func (e *DecodeError) Error() string {
	if e.Index < 0 {
		return "group: " + e.Msg
	}
	return "group: element " + itoa(e.Index) + ": " + e.Msg
}

// DecodeVec sets dst from exactly len(dst)*Size bytes of canonical point
// encodings. On error it returns a *DecodeError and sets every element of dst
// to the identity rather than leave a partial result.
func DecodeVec(dst []Point, b []byte) error {
	if len(b) != Size*len(dst) {
		return &DecodeError{-1, "need " + itoa(Size*len(dst)) + " bytes, got " + itoa(len(b))}
	}
	// Every chunk stops at its first invalid element; the error names the
	// lowest one, as a single pass would.
	var mu sync.Mutex
	bad := -1
	par(len(dst), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if _, err := dst[i].e.SetCanonicalBytes(b[Size*i : Size*(i+1)]); err != nil {
				mu.Lock()
				if bad < 0 || i < bad {
					bad = i
				}
				mu.Unlock()
				return
			}
			dst[i].ok = true
		}
	})
	if bad >= 0 {
		clear(dst)
		return &DecodeError{bad, whyInvalid(b[Size*bad : Size*(bad+1)])}
	}
	return nil
}

// addBatch is the number of points AddEncodedVec decodes at a time.
const addBatch = 4096

// AddEncodedVec adds to each dst[i] the point encoded in
// b[Size*i:Size*(i+1)], from exactly len(dst)*Size bytes of canonical
// encodings, as DecodeVec and AddVec would, but decoding a batch at a time
// so that it holds no second vector of len(dst) points. On error it returns
// a *DecodeError naming the lowest invalid element of b, and dst holds a
// partial sum, which the caller must discard.
func AddEncodedVec(dst []Point, b []byte) error {
	if len(b) != Size*len(dst) {
		return &DecodeError{-1, "need " + itoa(Size*len(dst)) + " bytes, got " + itoa(len(b))}
	}
	buf := make([]Point, min(len(dst), addBatch))
	for lo := 0; lo < len(dst); lo += addBatch {
		hi := min(lo+addBatch, len(dst))
		if err := DecodeVec(buf[:hi-lo], b[Size*lo:Size*hi]); err != nil {
			var de *DecodeError
			if errors.As(err, &de) && de.Index >= 0 {
				de.Index += lo
			}
			return err
		}
		AddVec(dst[lo:hi], dst[lo:hi], buf[:hi-lo])
	}
	clear(buf)
	return nil
}
