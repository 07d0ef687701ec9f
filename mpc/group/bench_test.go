package group

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"

	"github.com/safetrace/safetrace/mpc/field"
)

func BenchmarkPoint(b *testing.B) {
	r := rand.NewChaCha8([32]byte{2})
	p := make([]Point, 2)
	Random(p, r)
	k := make([]field.Scalar, 1)
	field.ScalarField{}.Random(k, r)
	var u [64]byte
	r.Read(u[:])
	enc := p[0].Bytes()
	var q Point
	b.Run("HashToPoint", func(b *testing.B) {
		msg := make([]byte, 48)
		for b.Loop() {
			HashToPoint("safetrace/bench", msg)
		}
	})
	b.Run("SetUniformBytes", func(b *testing.B) {
		for b.Loop() {
			q.SetUniformBytes(u[:])
		}
	})
	b.Run("ScalarMult", func(b *testing.B) {
		for b.Loop() {
			q.ScalarMult(&k[0], &p[0])
		}
	})
	b.Run("ScalarBaseMult", func(b *testing.B) {
		for b.Loop() {
			q.ScalarBaseMult(&k[0])
		}
	})
	b.Run("Add", func(b *testing.B) {
		for b.Loop() {
			q.Add(&p[0], &p[1])
		}
	})
	b.Run("Equal", func(b *testing.B) {
		for b.Loop() {
			q.Equal(&p[1])
		}
	})
	b.Run("Encode", func(b *testing.B) {
		buf := make([]byte, 0, 32)
		for b.Loop() {
			p[0].AppendBytes(buf)
		}
	})
	b.Run("Decode", func(b *testing.B) {
		for b.Loop() {
			q.SetBytes(enc)
		}
	})
	for _, n := range []int{2, 3, 16} {
		pts := make([]Point, n)
		ks := make([]field.Scalar, n)
		Random(pts, r)
		field.ScalarField{}.Random(ks, r)
		b.Run("MultiScalarMul/"+itoa(n), func(b *testing.B) {
			for b.Loop() {
				MultiScalarMul(ks, pts)
			}
		})
	}
}

// BenchmarkRandom compares two ways to draw uniform points: k*B with the
// fixed-base table for uniform k, and element derivation from 64 bytes (what
// Random does).
func BenchmarkRandom(b *testing.B) {
	const n = 1024
	dst := make([]Point, n)
	r := rand.NewChaCha8([32]byte{3})
	for _, c := range []struct {
		name string
		fn   func([]Point, *rand.ChaCha8) error
	}{
		{"ScalarBaseMult", func(p []Point, r *rand.ChaCha8) error {
			k := make([]field.Scalar, len(p))
			if err := (field.ScalarField{}).Random(k, r); err != nil {
				return err
			}
			ScalarBaseMulVec(p, k)
			return nil
		}},
		{"SetUniformBytes", func(p []Point, r *rand.ChaCha8) error { return Random(p, r) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.fn(dst, r)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

func BenchmarkVec(b *testing.B) {
	const n = 1 << 12
	x, y := make([]Point, n), make([]Point, n)
	r := rand.NewChaCha8([32]byte{4})
	Random(x, r)
	Random(y, r)
	k := make([]field.Scalar, 2)
	field.ScalarField{}.Random(k, r)
	report := func(b *testing.B) {
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
	}
	b.Run("AddVec", func(b *testing.B) {
		for b.Loop() {
			AddVec(x, x, y)
		}
		report(b)
	})
	b.Run("ScaleVec", func(b *testing.B) {
		for b.Loop() {
			ScaleVec(y, x, k[0])
		}
		report(b)
	})
	b.Run("LinearCombination2", func(b *testing.B) {
		for b.Loop() {
			LinearCombination(y, k, [][]Point{x, y})
		}
		report(b)
	})
	b.Run("LinearCombination2Small", func(b *testing.B) {
		small := []field.Scalar{field.ScalarField{}.FromUint64(2), field.ScalarField{}.Neg(field.ScalarField{}.One())}
		for b.Loop() {
			LinearCombination(y, small, [][]Point{x, y})
		}
		report(b)
	})
}

// BenchmarkParallel is the machine's ceiling for spreading the group
// arithmetic over cores: scalar multiplications (and, for contrast,
// SHA-256 compressions, which use other execution units) run by
// GOMAXPROCS goroutines at once, each on its own data. With -cpu 1,2 the
// ns/op of the second run is half the first's where two cores really run
// field arithmetic at once; on CPUs whose two logical cores share one
// core's multipliers it is not.
func BenchmarkParallel(b *testing.B) {
	r := rand.NewChaCha8([32]byte{5})
	k := make([]field.Scalar, 1)
	field.ScalarField{}.Random(k, r)
	b.Run("ScalarMult", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			p := Generator()
			for pb.Next() {
				p.ScalarMult(&k[0], &p)
			}
		})
	})
	b.Run("SHA256", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var s [32]byte
			for pb.Next() {
				s = sha256.Sum256(s[:])
			}
		})
	})
}
