package field

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestScalarVecParallel checks that the vector operations that spread over
// CPUs give, on vectors of several chunks, what one pass element by element
// gives, and that Decode names the lowest invalid element.
func TestScalarVecParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	f := ScalarField{}
	const n = 5*grain + 17
	r := rand.NewChaCha8([32]byte{9})
	x, y := make([]Scalar, n), make([]Scalar, n)
	if err := f.Random(x, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Random(y, r); err != nil {
		t.Fatal(err)
	}
	c := x[3]
	check := func(name string, got []Scalar, want func(i int) Scalar) {
		t.Helper()
		for i := range got {
			if got[i] != want(i) {
				t.Fatalf("%s: element %d differs", name, i)
			}
		}
	}
	z := make([]Scalar, n)
	f.MulVec(z, x, y)
	check("MulVec", z, func(i int) Scalar { return f.Mul(x[i], y[i]) })
	f.ScaleVec(z, x, c)
	check("ScaleVec", z, func(i int) Scalar { return f.Mul(x[i], c) })
	copy(z, y)
	f.AddScaledVec(z, x, c)
	check("AddScaledVec", z, func(i int) Scalar { return f.Add(y[i], f.Mul(x[i], c)) })

	// Random reads its bytes in order: the same as deriving each scalar
	// from the next 64 bytes.
	seed := [32]byte{10}
	if err := f.Random(z, rand.NewChaCha8(seed)); err != nil {
		t.Fatal(err)
	}
	src := rand.NewChaCha8(seed)
	var buf [64]byte
	check("Random", z, func(int) Scalar {
		src.Read(buf[:])
		var s Scalar
		s.Ristretto().SetUniformBytes(buf[:])
		return s
	})

	enc := f.Append([]byte("prefix"), x)
	var want []byte
	want = append(want, "prefix"...)
	for i := range x {
		want = append(want, x[i].Ristretto().Bytes()...)
	}
	if !bytes.Equal(enc, want) {
		t.Fatal("Append differs from element-wise encoding")
	}
	if err := f.Decode(z, enc[len("prefix"):]); err != nil {
		t.Fatal(err)
	}
	check("Decode", z, func(i int) Scalar { return x[i] })

	// Invalid elements in two chunks: the lower one is named, and dst is
	// cleared.
	bad := bytes.Clone(enc[len("prefix"):])
	for _, i := range []int{4*grain + 5, 2*grain + 1} {
		copy(bad[ScalarSize*i:], bytes.Repeat([]byte{0xff}, ScalarSize))
	}
	err := f.Decode(z, bad)
	var de *DecodeError
	if !errors.As(err, &de) || de.Index != 2*grain+1 {
		t.Fatalf("Decode of two bad elements: %v, want element %d", err, 2*grain+1)
	}
	for i := range z {
		if z[i] != (Scalar{}) {
			t.Fatal("Decode left a partial result")
		}
	}
}
