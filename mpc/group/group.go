// Package group implements the ristretto255 prime-order group (RFC 9496,
// https://www.rfc-editor.org/rfc/rfc9496) as a group that can be
// Shamir-shared: a [Point] type whose zero value is the identity, batched
// vector operations (the unit of work of the MPC protocols), hashing to the
// group, uniform random points and strict canonical encodings.
//
// All arithmetic comes from github.com/gtank/ristretto255; this package adds
// no curve or field arithmetic of its own. Scalars are [field.Scalar], the
// elements of [field.ScalarField].
//
// Use [HashToPoint] to map record keys to points (DESIGN.md section 3),
// [Random] for uniform points such as the coefficients of point sharings
// (element derivation measured faster than k*B with the fixed-base table),
// and
// [MultiScalarMul] for public linear combinations such as Lagrange
// interpolation. Shamir sharing of points lives in package shamir
// ([shamir.SplitPoints]).
//
// Warning: operations whose name starts with VarTime, [MultiScalarMul], and
// the small public multiples used internally take time that depends on the
// scalars, which must therefore be public (Lagrange coefficients, party
// indices). Point values never influence timing except in decoding, which
// may fail early on invalid input. [ScaleVec], [ScalarMulVec] and
// [Point.ScalarMult] are constant time in the scalar and may be used with
// secret scalars such as shares of an epoch key.
package group

import (
	"crypto/sha512"
	"errors"
	"io"

	"github.com/gtank/ristretto255"
	"github.com/safetrace/safetrace/mpc/field"
)

// Size is the number of bytes of an encoded [Point].
const Size = 32

// Point is an element of the ristretto255 group. The zero value is the
// identity. Points are not comparable with ==, since one element has many
// internal representations; use [Point.Equal] or compare encodings.
//
// Methods follow math/big: p.Add(x, y) sets p = x + y and returns p; the
// receiver may alias any argument.
type Point struct {
	e ristretto255.Element
	// ok reports that e is initialized. The zero value of
	// ristretto255.Element is not a valid element, so an uninitialized
	// Point stands for the identity.
	ok bool
}

var (
	identity  = ristretto255.NewIdentityElement()
	generator = ristretto255.NewGeneratorElement()
)

// el returns the element p stands for without changing p; callers must not
// write through the result.
func (p *Point) el() *ristretto255.Element {
	if p.ok {
		return &p.e
	}
	return identity
}

// Generator returns the canonical generator B of RFC 9496.
func Generator() Point {
	var p Point
	p.e.Set(generator)
	p.ok = true
	return p
}

// Set sets p = x and returns p.
func (p *Point) Set(x *Point) *Point {
	*p = *x
	return p
}

// Add sets p = x + y and returns p.
func (p *Point) Add(x, y *Point) *Point {
	a, b := x.el(), y.el()
	p.e.Add(a, b)
	p.ok = true
	return p
}

// Sub sets p = x - y and returns p.
func (p *Point) Sub(x, y *Point) *Point {
	a, b := x.el(), y.el()
	p.e.Subtract(a, b)
	p.ok = true
	return p
}

// Neg sets p = -x and returns p.
func (p *Point) Neg(x *Point) *Point {
	a := x.el()
	p.e.Negate(a)
	p.ok = true
	return p
}

// ScalarMult sets p = k * x and returns p, in constant time.
func (p *Point) ScalarMult(k *field.Scalar, x *Point) *Point {
	a := x.el()
	p.e.ScalarMult(k.Ristretto(), a)
	p.ok = true
	return p
}

// ScalarBaseMult sets p = k * B for the generator B and returns p, in
// constant time, using the precomputed table of the base point.
func (p *Point) ScalarBaseMult(k *field.Scalar) *Point {
	p.e.ScalarBaseMult(k.Ristretto())
	p.ok = true
	return p
}

// SetUniformBytes sets p to the element derived from 64 bytes (RFC 9496,
// Section 4.3.4) and returns p. Uniform input gives a uniform point whose
// discrete logarithm nobody knows. It returns an error, leaving p unchanged,
// unless len(b) == 64.
func (p *Point) SetUniformBytes(b []byte) (*Point, error) {
	if len(b) != 64 {
		return nil, errors.New("group: uniform bytes: need 64 bytes, got " + itoa(len(b)))
	}
	if _, err := p.e.SetUniformBytes(b); err != nil {
		return nil, errors.New("group: " + err.Error())
	}
	p.ok = true
	return p, nil
}

// Equal reports whether p and q are the same element, in constant time.
func (p *Point) Equal(q *Point) bool {
	return p.el().Equal(q.el()) == 1
}

// IsIdentity reports whether p is the identity.
func (p *Point) IsIdentity() bool {
	return !p.ok || p.e.Equal(identity) == 1
}

// Bytes returns the 32-byte canonical encoding of p (RFC 9496, Section
// 4.3.2). The identity encodes as 32 zero bytes.
func (p *Point) Bytes() []byte {
	return p.el().Bytes()
}

// AppendBytes appends the encoding of p to b.
func (p *Point) AppendBytes(b []byte) []byte {
	return p.el().Encode(b)
}

// SetBytes sets p to the point encoded by b and returns p. It accepts only
// canonical encodings of group elements (RFC 9496, Section 4.3.1) and
// otherwise returns an error that says why, leaving p unchanged.
func (p *Point) SetBytes(b []byte) (*Point, error) {
	if len(b) != Size {
		return nil, errors.New("group: need " + itoa(Size) + " bytes, got " + itoa(len(b)))
	}
	if _, err := p.e.SetCanonicalBytes(b); err != nil {
		return nil, errors.New("group: " + whyInvalid(b))
	}
	p.ok = true
	return p, nil
}

// whyInvalid explains why ristretto255 rejected the 32-byte encoding b. It
// only classifies; the decision is the library's.
func whyInvalid(b []byte) string {
	// p = 2^255 - 19, little endian.
	if b[31] > 0x7f || (b[31] == 0x7f && allFF(b[1:31]) && b[0] >= 0xed) {
		return "non-canonical encoding: field element not reduced modulo 2^255-19"
	}
	if b[0]&1 == 1 {
		return "non-canonical encoding: negative field element"
	}
	return "invalid encoding: not a ristretto255 group element"
}

func allFF(b []byte) bool {
	for _, c := range b {
		if c != 0xff {
			return false
		}
	}
	return true
}

// HashToPoint maps msg to a point under a domain separation tag: the point
// derived (RFC 9496, Section 4.3.4) from the 64-byte SHA-512 hash of
//
//	len(domain) as one byte || domain || msg
//
// The length prefix makes the encoding injective. Nobody knows the discrete
// logarithm of the result. It panics if domain is empty or longer than 255
// bytes: domains are constants, so that is a programming error.
func HashToPoint(domain string, msg []byte) Point {
	if len(domain) == 0 || len(domain) > 255 {
		panic("group: hash-to-point domain must be 1 to 255 bytes")
	}
	h := sha512.New()
	h.Write([]byte{byte(len(domain))})
	h.Write([]byte(domain))
	h.Write(msg)
	var sum [64]byte
	var p Point
	if _, err := p.SetUniformBytes(h.Sum(sum[:0])); err != nil {
		panic("group: internal error: " + err.Error())
	}
	return p
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [21]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// Random fills dst with independent uniform points, each derived from 64
// bytes of r (RFC 9496, Section 4.3.4), so that nobody learns their discrete
// logarithms. Derivation (two Elligator maps, about 6 us) measured faster
// than k*B with the fixed-base table for a uniform scalar k (about 10 us
// plus reducing 64 bytes to k); see BenchmarkRandom.
func Random(dst []Point, r io.Reader) error {
	// The bytes are read in order from r (which need not be safe for
	// concurrent use); the derivations run on all CPUs.
	const chunk = 4096
	buf := make([]byte, 64*min(len(dst), chunk))
	for i := 0; i < len(dst); i += chunk {
		n := min(len(dst)-i, chunk)
		if _, err := io.ReadFull(r, buf[:64*n]); err != nil {
			return err
		}
		d := dst[i : i+n]
		par(n, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				if _, err := d[j].SetUniformBytes(buf[64*j : 64*j+64]); err != nil {
					panic("group: internal error: " + err.Error())
				}
			}
		})
	}
	return nil
}
