package field

import (
	"encoding/binary"
	"io"
	"math/bits"
)

// P61 is the Mersenne prime 2^61 - 1.
const P61 = 1<<61 - 1

// M61 is an element of GF(2^61-1), always in [0, P61).
type M61 uint64

// M61Field is GF(2^61-1). Reduction uses 2^61 = 1 (mod p): no division.
type M61Field struct{}

func (M61Field) Name() string            { return "m61" }
func (M61Field) ElemSize() int           { return 8 }
func (M61Field) One() M61                { return 1 }
func (M61Field) FromUint64(v uint64) M61 { return M61(reduce61(v)) }

func reduce61(v uint64) uint64 {
	r := (v & P61) + (v >> 61)
	if r >= P61 {
		r -= P61
	}
	return r
}

func add61(x, y uint64) uint64 {
	r := x + y
	if r >= P61 {
		r -= P61
	}
	return r
}

func sub61(x, y uint64) uint64 {
	r := x - y
	if x < y {
		r += P61
	}
	return r
}

func mul61(x, y uint64) uint64 {
	hi, lo := bits.Mul64(x, y)
	// x, y < 2^61, so the product is below 2^122 and hi < 2^58.
	r := (hi<<3 | lo>>61) + lo&P61
	if r >= P61 {
		r -= P61
	}
	return r
}

func (M61Field) Add(x, y M61) M61 { return M61(add61(uint64(x), uint64(y))) }
func (M61Field) Sub(x, y M61) M61 { return M61(sub61(uint64(x), uint64(y))) }
func (M61Field) Mul(x, y M61) M61 { return M61(mul61(uint64(x), uint64(y))) }
func (M61Field) Neg(x M61) M61    { return M61(sub61(0, uint64(x))) }

// Inv returns x^(p-2).
func (f M61Field) Inv(x M61) (M61, error) {
	if x == 0 {
		return 0, ErrZeroInverse
	}
	return Pow[M61](f, x, P61-2), nil
}

func (M61Field) AddVec(dst, x, y []M61) {
	checkLen(len(dst), len(x), len(y))
	for i := range dst {
		dst[i] = M61(add61(uint64(x[i]), uint64(y[i])))
	}
}

func (M61Field) SubVec(dst, x, y []M61) {
	checkLen(len(dst), len(x), len(y))
	for i := range dst {
		dst[i] = M61(sub61(uint64(x[i]), uint64(y[i])))
	}
}

func (M61Field) MulVec(dst, x, y []M61) {
	checkLen(len(dst), len(x), len(y))
	for i := range dst {
		dst[i] = M61(mul61(uint64(x[i]), uint64(y[i])))
	}
}

func (M61Field) ScaleVec(dst, x []M61, c M61) {
	checkLen(len(dst), len(x))
	for i := range dst {
		dst[i] = M61(mul61(uint64(x[i]), uint64(c)))
	}
}

func (M61Field) AddScaledVec(dst, x []M61, c M61) {
	checkLen(len(dst), len(x))
	for i := range dst {
		dst[i] = M61(add61(uint64(dst[i]), mul61(uint64(x[i]), uint64(c))))
	}
}

// Random draws 61-bit values and rejects P61 itself.
func (M61Field) Random(dst []M61, r io.Reader) error {
	buf := make([]byte, 8*min(len(dst), 4096))
	for i := 0; i < len(dst); {
		n := min(len(dst)-i, len(buf)/8)
		if _, err := io.ReadFull(r, buf[:8*n]); err != nil {
			return err
		}
		for j := 0; j < n; j++ {
			v := binary.LittleEndian.Uint64(buf[8*j:]) & P61
			if v == P61 {
				continue
			}
			dst[i] = M61(v)
			i++
		}
	}
	return nil
}

func (M61Field) Append(b []byte, x []M61) []byte {
	for _, v := range x {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}

func (M61Field) Decode(dst []M61, b []byte) error {
	if len(b) != 8*len(dst) {
		return &DecodeError{"m61", -1, "need " + itoa(8*len(dst)) + " bytes, got " + itoa(len(b))}
	}
	// Check everything before writing, so that dst is unchanged on error.
	for i := range dst {
		if binary.LittleEndian.Uint64(b[8*i:]) >= P61 {
			return &DecodeError{"m61", i, "not reduced"}
		}
	}
	for i := range dst {
		dst[i] = M61(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return nil
}

// Bits returns 61, the bit length of the modulus.
func (M61Field) Bits() int { return 61 }
