package mpc

import (
	"context"
	"fmt"
	"testing"

	"github.com/safetrace/safetrace/mpc/circuit"
	"github.com/safetrace/safetrace/mpc/field"
)

// BenchmarkMul measures batched multiplications of 3 and 5 in-process
// parties; mults/s counts products of the whole computation.
func BenchmarkMul(b *testing.B) {
	for _, pr := range []struct{ n, t int }{{3, 1}, {5, 2}} {
		for _, m := range []int{1, 1 << 20} {
			b.Run(fmt.Sprintf("n=%d/size=%d", pr.n, m), func(b *testing.B) {
				benchOp(b, pr.n, pr.t, m, func(ctx context.Context, p *Party[E61], x []E61) error {
					_, err := p.Mul(ctx, x, x)
					return err
				})
				b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "mults/s")
				b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "µs/round")
			})
		}
	}
}

// BenchmarkLessThan measures 32-bit comparisons of 3 in-process parties.
func BenchmarkLessThan(b *testing.B) {
	const m = 1 << 14
	benchOp(b, 3, 1, m, func(ctx context.Context, p *Party[E61], x []E61) error {
		_, err := p.LessThan(ctx, x, x, 32)
		return err
	})
	b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "cmps/s")
}

func benchOp(b *testing.B, n, t, m int, op func(context.Context, *Party[E61], []E61) error) {
	f := field.M61Field{}
	x := make([]E61, m)
	for i := range x {
		x[i] = E61(i & 0xffff)
	}
	xs := shareAll(b, f, t, n, x)
	b.ResetTimer()
	runParties(b, f, n, t, newChanConns(n), func(ctx context.Context, p *Party[E61]) (int, error) {
		for i := 0; i < b.N; i++ {
			if err := op(ctx, p, xs[p.ID()-1]); err != nil {
				return 0, err
			}
		}
		return 0, nil
	})
}

// BenchmarkAES evaluates AES-128 on a batch of 1,000 blocks among 3
// in-process parties in GF(2^8).
func BenchmarkAES(b *testing.B) {
	c, err := circuit.AES128()
	if err != nil {
		b.Fatal(err)
	}
	const blocks = 1000
	f := field.GF256Field{}
	in := make([][]field.GF256, 256)
	for j := range in {
		in[j] = make([]field.GF256, blocks)
		for k := range in[j] {
			in[j][k] = field.GF256((j + k) & 1)
		}
	}
	shares := make([][][]field.GF256, 3)
	for j := range in {
		per := shareAll(b, f, 1, 3, in[j])
		for i := range shares {
			shares[i] = append(shares[i], per[i])
		}
	}
	b.ResetTimer()
	runParties(b, f, 3, 1, newChanConns(3), func(ctx context.Context, p *Party[field.GF256]) (int, error) {
		for i := 0; i < b.N; i++ {
			if _, err := EvalCircuit(ctx, p, c, shares[p.ID()-1]); err != nil {
				return 0, err
			}
		}
		return 0, nil
	})
	b.ReportMetric(float64(blocks)*float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
}
