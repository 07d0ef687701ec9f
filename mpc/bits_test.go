package mpc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/safetrace/safetrace/mpc/field"
)

func TestIntegerProtocols(t *testing.T) {
	f := field.M61Field{}
	for _, pr := range params {
		for _, k := range []int{1, 5, 16, 32} {
			t.Run(fmt.Sprintf("n=%d,t=%d,k=%d", pr.n, pr.t, k), func(t *testing.T) {
				testIntegers(t, f, pr.n, pr.t, k)
			})
		}
	}
}

func testIntegers(t *testing.T, f field.M61Field, n, th, k int) {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(k)))
	const m = 64
	a, b := make([]E61, m), make([]E61, m)
	mask := uint64(1)<<k - 1
	for i := range a {
		a[i] = E61(rng.Uint64() & mask)
		switch i % 4 {
		case 0:
			b[i] = a[i]
		case 1:
			b[i] = E61(min(uint64(a[i])+1, mask))
		case 2:
			b[i] = E61(mask)
		default:
			b[i] = E61(rng.Uint64() & mask)
		}
	}
	a[1], b[1] = E61(mask), 0
	as, bs := shareAll(t, f, th, n, a), shareAll(t, f, th, n, b)
	type out struct{ lt, eq, bits, rb []E61 }
	res := runParties(t, f, n, th, newChanConns(n), func(ctx context.Context, p *Party[E61]) (out, error) {
		i := p.ID() - 1
		lt, err := p.LessThan(ctx, as[i], bs[i], k)
		if err != nil {
			return out{}, err
		}
		eq, err := p.Equal(ctx, as[i], bs[i], k)
		if err != nil {
			return out{}, err
		}
		bits, err := p.BitDecompose(ctx, as[i], k)
		if err != nil {
			return out{}, err
		}
		rb, err := p.RandomBits(ctx, 200)
		return out{lt, eq, bits, rb}, err
	})
	col := func(get func(out) []E61) []E61 {
		var v [][]E61
		for _, r := range res {
			v = append(v, get(r))
		}
		return reconstruct(t, f, th, v)
	}
	lt := col(func(o out) []E61 { return o.lt })
	eq := col(func(o out) []E61 { return o.eq })
	bits := col(func(o out) []E61 { return o.bits })
	rb := col(func(o out) []E61 { return o.rb })
	b2i := func(b bool) E61 {
		if b {
			return 1
		}
		return 0
	}
	for i := range a {
		if lt[i] != b2i(a[i] < b[i]) {
			t.Errorf("%d < %d: got %d", a[i], b[i], lt[i])
		}
		if eq[i] != b2i(a[i] == b[i]) {
			t.Errorf("%d == %d: got %d", a[i], b[i], eq[i])
		}
		for j := 0; j < k; j++ {
			if bits[i*k+j] != E61(a[i]>>j&1) {
				t.Fatalf("bit %d of %d: got %d", j, a[i], bits[i*k+j])
			}
		}
	}
	ones := 0
	for _, v := range rb {
		if v > 1 {
			t.Fatalf("random bit %d", v)
		}
		ones += int(v)
	}
	if ones < 50 || ones > 150 {
		t.Fatalf("%d ones in 200 random bits", ones)
	}
}

func TestIntegerBounds(t *testing.T) {
	f := field.M61Field{}
	runParties(t, f, 3, 1, newChanConns(3), func(ctx context.Context, p *Party[E61]) (int, error) {
		x := []E61{1}
		if _, err := p.LessThan(ctx, x, x, 50); err == nil {
			return 0, fmt.Errorf("50-bit comparison in m61: no error")
		}
		if _, err := p.BitDecompose(ctx, x, 0); err == nil {
			return 0, fmt.Errorf("0-bit decomposition: no error")
		}
		return 0, nil
	})
}

// TestInRangeSound checks that InRange never yields 1 for a value outside
// [0, 2^k), even far outside [0, 2^(k+1)), so it can check client input.
func TestInRangeSound(t *testing.T) {
	f := field.ScalarField{}
	const k = 11
	vals := []field.Scalar{
		f.FromUint64(0), f.FromUint64(1600), f.FromUint64(2047), // in range
		f.FromUint64(2048), f.FromUint64(5000), f.FromUint64(1 << 40),
		f.Neg(f.One()), f.Neg(f.FromUint64(2048)),
	}
	shares := shareAll(t, f, 1, 3, vals)
	res := runParties(t, f, 3, 1, newChanConns(3), func(ctx context.Context, p *Party[field.Scalar]) ([]field.Scalar, error) {
		b, err := p.InRange(ctx, shares[p.ID()-1], k)
		if err != nil {
			return nil, err
		}
		return p.Open(ctx, b)
	})
	for i, v := range res[0] {
		if want := i < 3; (v == f.One()) != want {
			t.Errorf("value %d: in range %v, want %v", i, v == f.One(), want)
		}
	}
}
