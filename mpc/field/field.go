// Package field implements the finite fields SafeTrace computes in, with
// batched vector operations as the hot path:
//
//   - GF(2^8), the AES field, for boolean circuits (addition is XOR);
//   - the Mersenne prime field GF(2^61-1), for fast arithmetic;
//   - the ristretto255 scalar field (RFC 9496, Section 4.4,
//     https://www.rfc-editor.org/rfc/rfc9496), for the exposure epoch, with
//     arithmetic from github.com/gtank/ristretto255.
//
// Each field is a stateless value implementing [Field] for its element type.
// The zero value of every element type is the field's zero. Elements are kept
// in canonical (fully reduced) form, so == compares them.
//
// Vector operations take a destination slice that may alias any input; all
// slices of one call must have the same length, and a length mismatch is a
// programming error that panics. None of the operations is constant time
// except where an implementation says so: the MPC protocols hide values by
// masking, not by timing.
//
// Warning: these are bare fields. Nothing here hides or authenticates
// values; secrecy comes from sharing (package shamir) among parties of which
// at most t collude.
package field

import (
	"errors"
	"io"
)

// Field is a finite field with element type E and batched vector operations.
// Implementations are stateless and safe for concurrent use.
type Field[E comparable] interface {
	// Name is a short identifier such as "gf256" or "m61".
	Name() string
	// ElemSize is the number of bytes of one encoded element.
	ElemSize() int
	// One returns the multiplicative identity.
	One() E
	// FromUint64 returns v reduced into the field.
	FromUint64(v uint64) E

	Add(x, y E) E
	Sub(x, y E) E
	Mul(x, y E) E
	Neg(x E) E
	// Inv returns 1/x, or an error for x = 0.
	Inv(x E) (E, error)

	// AddVec sets dst[i] = x[i] + y[i].
	AddVec(dst, x, y []E)
	// SubVec sets dst[i] = x[i] - y[i].
	SubVec(dst, x, y []E)
	// MulVec sets dst[i] = x[i] * y[i].
	MulVec(dst, x, y []E)
	// ScaleVec sets dst[i] = c * x[i].
	ScaleVec(dst, x []E, c E)
	// AddScaledVec sets dst[i] += c * x[i].
	AddScaledVec(dst, x []E, c E)

	// Random fills dst with independent uniform elements read from r
	// (rejection sampling, so it may read more than ElemSize bytes each).
	Random(dst []E, r io.Reader) error
	// Append appends the fixed-size encodings of x to b.
	Append(b []byte, x []E) []byte
	// Decode sets dst from exactly len(dst)*ElemSize bytes of canonical
	// encodings; it returns an error, not a partial result, on bad input.
	Decode(dst []E, b []byte) error
}

// ErrZeroInverse is returned by Inv for the zero element.
var ErrZeroInverse = errors.New("field: inverse of zero")

func checkLen(n int, others ...int) {
	for _, m := range others {
		if m != n {
			panic("field: vector length mismatch")
		}
	}
}

// DecodeError reports why a byte string is not a valid vector encoding.
type DecodeError struct {
	Field string
	Index int // element index, or -1 for a length error
	Msg   string
}

func (e *DecodeError) Error() string {
	if e.Index < 0 {
		return "field: " + e.Field + ": " + e.Msg
	}
	return "field: " + e.Field + ": element " + itoa(e.Index) + ": " + e.Msg
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

// Pow returns x^e in f, by square and multiply.
func Pow[E comparable](f Field[E], x E, e uint64) E {
	r := f.One()
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			r = f.Mul(r, x)
		}
		x = f.Mul(x, x)
	}
	return r
}

// InnerProduct returns sum x[i]*y[i].
func InnerProduct[E comparable](f Field[E], x, y []E) E {
	checkLen(len(x), len(y))
	var s E
	for i := range x {
		s = f.Add(s, f.Mul(x[i], y[i]))
	}
	return s
}
