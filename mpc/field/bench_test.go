package field

import (
	"math/rand/v2"
	"testing"
)

const benchN = 1 << 16

func benchField[E comparable](b *testing.B, f Field[E]) {
	x, y := make([]E, benchN), make([]E, benchN)
	r := rand.NewChaCha8([32]byte{1})
	f.Random(x, r)
	f.Random(y, r)
	c := x[7]
	elems := func(b *testing.B) {
		b.ReportMetric(float64(benchN)*float64(b.N)/b.Elapsed().Seconds(), "elems/s")
	}
	b.Run(f.Name()+"/AddVec", func(b *testing.B) {
		for b.Loop() {
			f.AddVec(x, x, y)
		}
		elems(b)
	})
	b.Run(f.Name()+"/MulVec", func(b *testing.B) {
		for b.Loop() {
			f.MulVec(x, x, y)
		}
		elems(b)
	})
	b.Run(f.Name()+"/AddScaledVec", func(b *testing.B) {
		for b.Loop() {
			f.AddScaledVec(x, y, c)
		}
		elems(b)
	})
	b.Run(f.Name()+"/Random", func(b *testing.B) {
		for b.Loop() {
			f.Random(x, r)
		}
		elems(b)
	})
	b.Run(f.Name()+"/Decode", func(b *testing.B) {
		enc := f.Append(nil, y)
		for b.Loop() {
			f.Decode(x, enc)
		}
		elems(b)
	})
}

func BenchmarkFields(b *testing.B) {
	benchField[GF256](b, GF256Field{})
	benchField[M61](b, M61Field{})
	benchField[Scalar](b, ScalarField{})
}

func BenchmarkScalarInv(b *testing.B) {
	f := ScalarField{}
	x := f.FromUint64(12345)
	for b.Loop() {
		x, _ = f.Inv(x)
	}
}
