package mpc

import (
	"context"
	"fmt"
)

// Mul returns shares of x[i]*y[i] for all i, in one round: each party
// multiplies its shares (a degree-2t sharing of the products) and reshares
// its Lagrange-weighted product with degree t; the new share is the sum of
// what it receives (Gennaro, Rabin and Rabin 1998).
func (p *Party[E]) Mul(ctx context.Context, x, y []E) ([]E, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("mpc: mul: %d values times %d values", len(x), len(y))
	}
	z := make([]E, len(x))
	p.F.MulVec(z, x, y)
	return p.reduce(ctx, z)
}

// InnerProducts returns shares of sum_l x[k][l]*y[k][l] for every k, in one
// round whatever the lengths.
func (p *Party[E]) InnerProducts(ctx context.Context, x, y [][]E) ([]E, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("mpc: inner products: %d vectors and %d vectors", len(x), len(y))
	}
	z := make([]E, len(x))
	for k := range x {
		if len(x[k]) != len(y[k]) {
			return nil, fmt.Errorf("mpc: inner product %d: lengths %d and %d", k, len(x[k]), len(y[k]))
		}
		for l := range x[k] {
			z[k] = p.F.Add(z[k], p.F.Mul(x[k][l], y[k][l]))
		}
	}
	return p.reduce(ctx, z)
}

// reduce turns this party's share z of a sharing of degree at most n-1 into a
// fresh sharing of degree t of the same secrets. z is overwritten.
func (p *Party[E]) reduce(ctx context.Context, z []E) ([]E, error) {
	f := p.F
	m := len(z)
	f.ScaleVec(z, z, p.lambda[p.id-1])
	coeffs := make([][]E, p.T)
	for k := range coeffs {
		coeffs[k] = make([]E, m)
		if err := f.Random(coeffs[k], p.rnd); err != nil {
			return nil, err
		}
	}
	out := make([][]byte, p.n)
	s := make([]E, m)
	var own []E
	for j := 1; j <= p.n; j++ {
		copy(s, z)
		xj := f.FromUint64(uint64(j))
		xk := xj
		for k := range coeffs {
			f.AddScaledVec(s, coeffs[k], xk)
			xk = f.Mul(xk, xj)
		}
		if j == p.id {
			own = append([]E(nil), s...)
			continue
		}
		out[j-1] = f.Append(make([]byte, 0, m*f.ElemSize()), s)
	}
	in, err := p.exchange(ctx, out)
	if err != nil {
		return nil, err
	}
	for j := 1; j <= p.n; j++ {
		if j == p.id {
			continue
		}
		if err := p.decodeFrom(j, s, in[j-1]); err != nil {
			return nil, err
		}
		f.AddVec(own, own, s)
	}
	return own, nil
}
