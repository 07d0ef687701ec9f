package field

import (
	"bytes"
	"errors"
	"io"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/quick"
)

// suite describes one field for the generic tests: edge values and a
// reference implementation independent of the code under test.
type suite[E comparable] struct {
	f     Field[E]
	edges []E
	add   func(x, y E) E
	sub   func(x, y E) E
	mul   func(x, y E) E
	neg   func(x E) E
}

// bigSuite builds the reference of a prime field from math/big, reading
// elements through their little-endian encodings.
func bigSuite[E comparable](f Field[E], p *big.Int, edges []*big.Int) suite[E] {
	toBig := func(x E) *big.Int {
		b := f.Append(nil, []E{x})
		slices.Reverse(b)
		return new(big.Int).SetBytes(b)
	}
	fromBig := func(v *big.Int) E {
		v = new(big.Int).Mod(v, p)
		b := v.FillBytes(make([]byte, f.ElemSize()))
		slices.Reverse(b)
		var out [1]E
		if err := f.Decode(out[:], b); err != nil {
			panic(err)
		}
		return out[0]
	}
	s := suite[E]{f: f}
	for _, e := range edges {
		s.edges = append(s.edges, fromBig(e))
	}
	s.add = func(x, y E) E { return fromBig(new(big.Int).Add(toBig(x), toBig(y))) }
	s.sub = func(x, y E) E { return fromBig(new(big.Int).Sub(toBig(x), toBig(y))) }
	s.mul = func(x, y E) E { return fromBig(new(big.Int).Mul(toBig(x), toBig(y))) }
	s.neg = func(x E) E { return fromBig(new(big.Int).Neg(toBig(x))) }
	return s
}

var (
	bigP61  = big.NewInt(P61)
	bigL, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
)

func primeEdges(p *big.Int) []*big.Int {
	one := big.NewInt(1)
	return []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2),
		new(big.Int).Sub(p, one),           // -1
		new(big.Int).Sub(p, big.NewInt(2)), // -2
		new(big.Int).Rsh(p, 1),             // (p-1)/2
		new(big.Int).Add(new(big.Int).Rsh(p, 1), one),
		new(big.Int).SetUint64(1<<32 - 1),
		new(big.Int).SetUint64(1 << 32),
		new(big.Int).Lsh(one, uint(p.BitLen()-1)),
	}
}

func m61Suite() suite[M61] { return bigSuite[M61](M61Field{}, bigP61, primeEdges(bigP61)) }

func scalarSuite() suite[Scalar] {
	s := bigSuite[Scalar](ScalarField{}, bigL, primeEdges(bigL))
	return s
}

// clmul multiplies in GF(2^8) bit by bit: carry-less product, then
// reduction by x^8+x^4+x^3+x+1.
func clmul(a, b uint8) uint8 {
	var p uint16
	for i := 0; i < 8; i++ {
		if b>>i&1 == 1 {
			p ^= uint16(a) << i
		}
	}
	for i := 15; i >= 8; i-- {
		if p>>i&1 == 1 {
			p ^= 0x11b << (i - 8)
		}
	}
	return uint8(p)
}

func gf256Suite() suite[GF256] {
	return suite[GF256]{
		f:     GF256Field{},
		edges: []GF256{0, 1, 2, 3, 0x80, 0xff, 0x53, 0xca, 0x1b},
		add:   func(x, y GF256) GF256 { return x ^ y },
		sub:   func(x, y GF256) GF256 { return x ^ y },
		mul:   func(x, y GF256) GF256 { return GF256(clmul(uint8(x), uint8(y))) },
		neg:   func(x GF256) GF256 { return x },
	}
}

// gen returns an element derived from r: an edge value a quarter of the
// time, otherwise uniform.
func (s suite[E]) gen(r *rand.Rand) E {
	if r.IntN(4) == 0 {
		return s.edges[r.IntN(len(s.edges))]
	}
	var out [1]E
	if err := s.f.Random(out[:], rand.NewChaCha8(seed32(r))); err != nil {
		panic(err)
	}
	return out[0]
}

func (s suite[E]) vec(r *rand.Rand, n int) []E {
	v := make([]E, n)
	for i := range v {
		v[i] = s.gen(r)
	}
	return v
}

func seed32(r *rand.Rand) (s [32]byte) {
	for i := range s {
		s[i] = byte(r.Uint32())
	}
	return s
}

func TestFields(t *testing.T) {
	t.Run("m61", func(t *testing.T) { testField(t, m61Suite()) })
	t.Run("scalar", func(t *testing.T) { testField(t, scalarSuite()) })
	t.Run("gf256", func(t *testing.T) { testField(t, gf256Suite()) })
}

func testField[E comparable](t *testing.T, s suite[E]) {
	f := s.f
	var zero E
	one := f.One()
	cfg := &quick.Config{MaxCount: 300}
	elems := func(seed uint64, n int) []E {
		return s.vec(rand.New(rand.NewPCG(seed, 1)), n)
	}
	prop := func(name string, p func(x, y, z E) bool) {
		t.Helper()
		if err := quick.Check(func(seed uint64) bool {
			e := elems(seed, 3)
			return p(e[0], e[1], e[2])
		}, cfg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	prop("add associative", func(x, y, z E) bool { return f.Add(f.Add(x, y), z) == f.Add(x, f.Add(y, z)) })
	prop("mul associative", func(x, y, z E) bool { return f.Mul(f.Mul(x, y), z) == f.Mul(x, f.Mul(y, z)) })
	prop("commutative", func(x, y, _ E) bool { return f.Add(x, y) == f.Add(y, x) && f.Mul(x, y) == f.Mul(y, x) })
	prop("distributive", func(x, y, z E) bool { return f.Mul(x, f.Add(y, z)) == f.Add(f.Mul(x, y), f.Mul(x, z)) })
	prop("identities", func(x, _, _ E) bool { return f.Add(x, zero) == x && f.Mul(x, one) == x && f.Mul(x, zero) == zero })
	prop("additive inverse", func(x, y, _ E) bool {
		return f.Add(x, f.Neg(x)) == zero && f.Sub(x, x) == zero && f.Sub(x, y) == f.Add(x, f.Neg(y))
	})
	prop("multiplicative inverse", func(x, _, _ E) bool {
		inv, err := f.Inv(x)
		if x == zero {
			return errors.Is(err, ErrZeroInverse)
		}
		return err == nil && f.Mul(x, inv) == one
	})
	prop("reference", func(x, y, _ E) bool {
		return f.Add(x, y) == s.add(x, y) && f.Sub(x, y) == s.sub(x, y) &&
			f.Mul(x, y) == s.mul(x, y) && f.Neg(x) == s.neg(x)
	})
	// Every pair of edge values against the reference.
	for _, x := range s.edges {
		for _, y := range s.edges {
			if f.Add(x, y) != s.add(x, y) || f.Sub(x, y) != s.sub(x, y) || f.Mul(x, y) != s.mul(x, y) {
				t.Errorf("edge values %v, %v disagree with the reference", x, y)
			}
		}
		if f.Neg(x) != s.neg(x) {
			t.Errorf("Neg(%v) disagrees with the reference", x)
		}
	}
	if _, err := f.Inv(zero); !errors.Is(err, ErrZeroInverse) {
		t.Errorf("Inv(0): %v", err)
	}
	if Pow(f, one, 12345) != one || Pow(f, zero, 0) != one {
		t.Error("Pow of 0 or 1 wrong")
	}
	r := rand.New(rand.NewPCG(1, 2))
	x := s.gen(r)
	if Pow(f, x, 5) != f.Mul(f.Mul(f.Mul(x, x), f.Mul(x, x)), x) {
		t.Error("Pow(x, 5) wrong")
	}
	a, b := s.vec(r, 9), s.vec(r, 9)
	var ip E
	for i := range a {
		ip = s.add(ip, s.mul(a[i], b[i]))
	}
	if InnerProduct(f, a, b) != ip {
		t.Error("InnerProduct wrong")
	}
	testVectors(t, s)
	testEncoding(t, s)
}

// testVectors checks every vector operation against the scalar reference,
// with a fresh destination and with dst aliasing each input.
func testVectors[E comparable](t *testing.T, s suite[E]) {
	f := s.f
	r := rand.New(rand.NewPCG(3, 4))
	const n = 37
	x, y, c := s.vec(r, n), s.vec(r, n), s.gen(r)
	binary := []struct {
		name string
		op   func(dst, x, y []E)
		ref  func(x, y E) E
	}{
		{"AddVec", f.AddVec, s.add},
		{"SubVec", f.SubVec, s.sub},
		{"MulVec", f.MulVec, s.mul},
		{"ScaleVec", func(dst, x, _ []E) { f.ScaleVec(dst, x, c) }, func(x, _ E) E { return s.mul(c, x) }},
		{"AddScaledVec(dst=y)", func(dst, x, y []E) {
			if &dst[0] != &y[0] {
				copy(dst, y)
			}
			f.AddScaledVec(dst, x, c)
		}, func(x, y E) E { return s.add(y, s.mul(c, x)) }},
	}
	for _, op := range binary {
		want := make([]E, n)
		for i := range want {
			want[i] = op.ref(x[i], y[i])
		}
		for _, alias := range []string{"fresh", "dst=x", "dst=y", "dst=x=y"} {
			if alias == "dst=x" && strings.HasPrefix(op.name, "AddScaledVec") {
				continue // dst is also the accumulator y; dst=x=y covers it
			}
			xx, yy := slices.Clone(x), slices.Clone(y)
			var dst []E
			w := want
			switch alias {
			case "fresh":
				dst = make([]E, n)
			case "dst=x":
				dst = xx
			case "dst=y":
				dst = yy
			case "dst=x=y":
				yy = xx
				dst = xx
				w = make([]E, n)
				for i := range w {
					w[i] = op.ref(x[i], x[i])
				}
			}
			op.op(dst, xx, yy)
			if !slices.Equal(dst, w) {
				t.Errorf("%s %s: wrong result", op.name, alias)
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on length mismatch", op.name)
				}
			}()
			op.op(make([]E, n), x[:n-1], y)
		}()
	}
	// Empty vectors are fine.
	f.AddVec(nil, nil, nil)
	f.AddScaledVec(nil, nil, c)
}

func testEncoding[E comparable](t *testing.T, s suite[E]) {
	f := s.f
	r := rand.New(rand.NewPCG(5, 6))
	x := append(s.vec(r, 50), s.edges...)
	b := f.Append([]byte("prefix"), x)
	if string(b[:6]) != "prefix" || len(b) != 6+len(x)*f.ElemSize() {
		t.Fatalf("Append: wrong length %d", len(b))
	}
	got := make([]E, len(x))
	if err := f.Decode(got, b[6:]); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, x) {
		t.Error("Decode(Append(x)) != x")
	}
	var de *DecodeError
	if err := f.Decode(got, b[7:]); !errors.As(err, &de) || de.Index != -1 {
		t.Errorf("short input: %v", err)
	}
	if err := f.Decode(got[:0], nil); err != nil {
		t.Errorf("empty: %v", err)
	}
	// FromUint64 agrees with the reference on small values.
	acc := *new(E)
	for v := uint64(0); v < 300; v++ {
		if f.FromUint64(v) != acc && f.ElemSize() > 1 {
			t.Fatalf("FromUint64(%d) wrong", v)
		}
		acc = s.add(acc, f.One())
	}
	// Random is deterministic in its reader and fails on a short one.
	r1, r2 := make([]E, 100), make([]E, 100)
	if err := f.Random(r1, rand.NewChaCha8([32]byte{1})); err != nil {
		t.Fatal(err)
	}
	if err := f.Random(r2, rand.NewChaCha8([32]byte{1})); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r1, r2) {
		t.Error("Random not deterministic")
	}
	if slices.Equal(r1[:50], r1[50:]) {
		t.Error("Random repeats itself")
	}
	if err := f.Random(r1, bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("Random: no error from a short reader")
	}
}

func TestM61Specific(t *testing.T) {
	f := M61Field{}
	for _, tc := range []struct{ in, want uint64 }{
		{0, 0}, {P61, 0}, {P61 + 1, 1}, {2 * P61, 0}, {1<<64 - 1, (1<<64 - 1) % P61}, {1 << 61, 1},
	} {
		if got := f.FromUint64(tc.in); uint64(got) != tc.want {
			t.Errorf("FromUint64(%#x) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
	if err := quick.Check(func(v uint64) bool {
		return uint64(f.FromUint64(v)) == v%P61
	}, nil); err != nil {
		t.Error(err)
	}
	// Largest products: (p-1)^2 = 1.
	if f.Mul(P61-1, P61-1) != 1 {
		t.Error("(p-1)^2 != 1")
	}
	// Decode rejects non-canonical values and leaves dst unchanged.
	for _, v := range []uint64{P61, P61 + 1, 1 << 61, 1<<63 - 1, 1<<64 - 1} {
		b := f.Append(f.Append(nil, []M61{7}), []M61{M61(v)})
		dst := []M61{1, 2}
		var de *DecodeError
		if err := f.Decode(dst, b); !errors.As(err, &de) || de.Index != 1 {
			t.Errorf("Decode(%#x): %v", v, err)
		}
		if dst[0] != 1 || dst[1] != 2 {
			t.Errorf("Decode(%#x) changed dst on error", v)
		}
	}
	// Random rejects P61 itself (the only 61-bit value out of range).
	var raw []byte
	raw = f.Append(raw, []M61{P61, 5})
	dst := make([]M61, 1)
	if err := f.Random(dst, bytes.NewReader(raw)); err != nil || dst[0] != 5 {
		t.Errorf("Random after P61: %v %v", dst, err)
	}
}

func TestGF256Exhaustive(t *testing.T) {
	f := GF256Field{}
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			if got, want := f.Mul(GF256(a), GF256(b)), clmul(uint8(a), uint8(b)); uint8(got) != want {
				t.Fatalf("%#x * %#x = %#x, want %#x", a, b, got, want)
			}
		}
		if a == 0 {
			continue
		}
		inv, err := f.Inv(GF256(a))
		if err != nil || clmul(uint8(a), uint8(inv)) != 1 {
			t.Fatalf("Inv(%#x) = %#x, %v", a, inv, err)
		}
	}
	// FromUint64 keeps the low byte: x coordinates 1..255 map to distinct
	// non-zero elements.
	if f.FromUint64(0x1ff) != 0xff {
		t.Error("FromUint64 does not truncate")
	}
	x := []GF256{1, 2, 3}
	GF256Bytes(x)[1] = 9
	if x[1] != 9 || len(BytesGF256([]byte{1, 2})) != 2 || GF256Bytes(nil) != nil || BytesGF256(nil) != nil {
		t.Error("byte views wrong")
	}
}

func TestScalarSpecific(t *testing.T) {
	f := ScalarField{}
	s := scalarSuite()
	lMinus1 := s.edges[3]
	// The zero value is zero and == is canonical.
	if f.Add(lMinus1, f.One()) != (Scalar{}) {
		t.Error("(l-1)+1 != zero value")
	}
	if !bytes.Equal(f.Append(nil, []Scalar{{}}), make([]byte, 32)) {
		t.Error("zero value does not encode as zero")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 200; i++ {
		x, y := s.gen(r), s.gen(r)
		// Same value reached by different routes compares equal.
		if f.Sub(f.Add(x, y), y) != x || f.Mul(f.Mul(x, y), mustInv(f, y)) != x && y != (Scalar{}) {
			t.Fatal("== not canonical")
		}
		if (x == y) != bytes.Equal(f.Append(nil, []Scalar{x}), f.Append(nil, []Scalar{y})) {
			t.Fatal("== disagrees with encodings")
		}
	}
	// FromUint64 against math/big.
	if err := quick.Check(func(v uint64) bool {
		want := f.Append(nil, []Scalar{s.mul(f.FromUint64(v), f.One())})
		var b [32]byte
		for i := 0; i < 8; i++ {
			b[i] = byte(v >> (8 * i))
		}
		return bytes.Equal(want, b[:])
	}, nil); err != nil {
		t.Error(err)
	}
	// Random reduces exactly 64 little-endian bytes modulo l.
	raw := make([]byte, 64*3)
	for i := range raw {
		raw[i] = 0xff
	}
	copy(raw[64:], []byte{5})
	cr := &countingReader{r: bytes.NewReader(raw)}
	dst := make([]Scalar, 3)
	if err := f.Random(dst, cr); err != nil || cr.n != 192 {
		t.Fatalf("Random read %d bytes, %v", cr.n, err)
	}
	want := new(big.Int).Mod(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 512), big.NewInt(1)), bigL)
	if got := scalarBig(dst[0]); got.Cmp(want) != 0 {
		t.Errorf("Random(0xff..) = %v, want %v", got, want)
	}
	// Decode rejects every integer >= l and zeroes dst on error.
	for _, v := range []*big.Int{
		bigL,
		new(big.Int).Add(bigL, big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(1), 253),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19)),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)),
	} {
		b := v.FillBytes(make([]byte, 32))
		slices.Reverse(b)
		dst := []Scalar{f.One(), f.One()}
		var de *DecodeError
		if err := f.Decode(dst, append(f.Append(nil, []Scalar{f.One()}), b...)); !errors.As(err, &de) || de.Index != 1 {
			t.Errorf("Decode(%x): %v", b, err)
		}
		if dst[0] != (Scalar{}) || dst[1] != (Scalar{}) {
			t.Error("Decode left a partial result")
		}
	}
}

func mustInv[E comparable](f Field[E], x E) E {
	inv, _ := f.Inv(x)
	return inv
}

func scalarBig(x Scalar) *big.Int {
	b := ScalarField{}.Append(nil, []Scalar{x})
	slices.Reverse(b)
	return new(big.Int).SetBytes(b)
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestDecodeErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  *DecodeError
		want string
	}{
		{&DecodeError{"m61", -1, "need 8 bytes, got 3"}, "field: m61: need 8 bytes, got 3"},
		{&DecodeError{"m61", 12, "not reduced"}, "field: m61: element 12: not reduced"},
		{&DecodeError{"m61", 0, "not reduced"}, "field: m61: element 0: not reduced"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
