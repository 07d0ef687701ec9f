package field

import (
	"io"
)

// GF256 is an element of GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1.
type GF256 uint8

// GF256Field is GF(2^8). Addition is XOR; multiplication uses a 64 KiB
// product table, so vector operations are one load per element.
type GF256Field struct{}

var (
	gfMul [256][256]uint8
	gfInv [256]uint8
)

func init() {
	// exp/log over the generator 3, then the full product table.
	var exp [510]uint8
	var log [256]int
	x := uint8(1)
	for i := 0; i < 255; i++ {
		exp[i], exp[i+255] = x, x
		log[x] = i
		x ^= xtime(x) // x *= 3
	}
	for a := 1; a < 256; a++ {
		for b := 1; b < 256; b++ {
			gfMul[a][b] = exp[log[a]+log[b]]
		}
		gfInv[a] = exp[255-log[a]]
	}
}

func xtime(x uint8) uint8 {
	if x&0x80 != 0 {
		return x<<1 ^ 0x1b
	}
	return x << 1
}

func (GF256Field) Name() string              { return "gf256" }
func (GF256Field) ElemSize() int             { return 1 }
func (GF256Field) One() GF256                { return 1 }
func (GF256Field) FromUint64(v uint64) GF256 { return GF256(v) }
func (GF256Field) Add(x, y GF256) GF256      { return x ^ y }
func (GF256Field) Sub(x, y GF256) GF256      { return x ^ y }
func (GF256Field) Mul(x, y GF256) GF256      { return GF256(gfMul[x][y]) }
func (GF256Field) Neg(x GF256) GF256         { return x }
func (GF256Field) Inv(x GF256) (GF256, error) {
	if x == 0 {
		return 0, ErrZeroInverse
	}
	return GF256(gfInv[x]), nil
}

func (GF256Field) AddVec(dst, x, y []GF256) {
	checkLen(len(dst), len(x), len(y))
	xorBytes(asBytes(dst), asBytes(x), asBytes(y))
}

func (f GF256Field) SubVec(dst, x, y []GF256) { f.AddVec(dst, x, y) }

func (GF256Field) MulVec(dst, x, y []GF256) {
	checkLen(len(dst), len(x), len(y))
	for i := range dst {
		dst[i] = GF256(gfMul[x[i]][y[i]])
	}
}

func (GF256Field) ScaleVec(dst, x []GF256, c GF256) {
	checkLen(len(dst), len(x))
	row := &gfMul[c]
	for i := range dst {
		dst[i] = GF256(row[x[i]])
	}
}

func (GF256Field) AddScaledVec(dst, x []GF256, c GF256) {
	checkLen(len(dst), len(x))
	if c == 1 {
		xorBytes(asBytes(dst), asBytes(dst), asBytes(x))
		return
	}
	row := &gfMul[c]
	for i := range dst {
		dst[i] ^= GF256(row[x[i]])
	}
}

func (GF256Field) Random(dst []GF256, r io.Reader) error {
	_, err := io.ReadFull(r, asBytes(dst))
	return err
}

func (GF256Field) Append(b []byte, x []GF256) []byte { return append(b, asBytes(x)...) }

func (GF256Field) Decode(dst []GF256, b []byte) error {
	if len(b) != len(dst) {
		return &DecodeError{"gf256", -1, "need " + itoa(len(dst)) + " bytes, got " + itoa(len(b))}
	}
	copy(asBytes(dst), b)
	return nil
}
