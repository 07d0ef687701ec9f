package shamir

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

var benchParams = []struct{ t, n int }{{1, 3}, {2, 5}}

func benchShamir[E comparable](b *testing.B, f field.Field[E], m int) {
	r := rand.NewChaCha8([32]byte{5})
	secrets := make([]E, m)
	f.Random(secrets, r)
	for _, p := range benchParams {
		secretsPerSec := func(b *testing.B) {
			b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "secrets/s")
		}
		name := fmt.Sprintf("%s/t=%d,n=%d", f.Name(), p.t, p.n)
		b.Run("Split/"+name, func(b *testing.B) {
			for b.Loop() {
				Split(f, p.t, p.n, secrets, r)
			}
			secretsPerSec(b)
		})
		shares, _ := Split(f, p.t, p.n, secrets, r)
		b.Run("Reconstruct/"+name, func(b *testing.B) {
			for b.Loop() {
				Reconstruct(f, p.t, shares[:p.t+1])
			}
			secretsPerSec(b)
		})
		b.Run("ReconstructChecked/"+name, func(b *testing.B) {
			for b.Loop() {
				Reconstruct(f, p.t, shares)
			}
			secretsPerSec(b)
		})
	}
}

func BenchmarkShamir(b *testing.B) {
	benchShamir[field.GF256](b, field.GF256Field{}, 1<<16)
	benchShamir[field.M61](b, field.M61Field{}, 1<<16)
	benchShamir[field.Scalar](b, field.ScalarField{}, 1<<16)
}

// BenchmarkShamirPoints uses 1<<12 secrets to stay quick; the rate is per
// secret either way.
func BenchmarkShamirPoints(b *testing.B) {
	const m = 1 << 12
	r := rand.NewChaCha8([32]byte{6})
	secrets := make([]group.Point, m)
	group.Random(secrets, r)
	for _, p := range benchParams {
		secretsPerSec := func(b *testing.B) {
			b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "secrets/s")
		}
		name := fmt.Sprintf("t=%d,n=%d", p.t, p.n)
		b.Run("Split/"+name, func(b *testing.B) {
			for b.Loop() {
				SplitPoints(p.t, p.n, secrets, r)
			}
			secretsPerSec(b)
		})
		shares, _ := SplitPoints(p.t, p.n, secrets, r)
		for _, sub := range []struct {
			name string
			s    []PointShare
		}{
			{"first", shares[:p.t+1]},
			{"last", shares[p.n-p.t-1:]},
			{"all", shares},
		} {
			b.Run("Reconstruct/"+sub.name+"/"+name, func(b *testing.B) {
				for b.Loop() {
					ReconstructPoints(p.t, sub.s)
				}
				secretsPerSec(b)
			})
		}
	}
}
