package epoch

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"slices"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
)

// shuffle is the oblivious shuffle of design 4.3 step 4: one round per
// t-coalition C, run by the t+1 lowest parties A outside C, with a
// permutation that only A knows.
type shuffle struct {
	p      *Party
	m      int
	rounds []shuffleRound
}

type shuffleRound struct {
	members []int // A, ascending
	perm    []int // out[k] = in[perm[k]]; nil when this party is not in A
}

// newShuffle agrees on the rounds' permutations for m records in one round:
// the lowest member of each A draws a seed and sends it to the others.
func newShuffle(ctx context.Context, p *Party, m int) (*shuffle, error) {
	n, t, id := p.N(), p.T, p.ID()
	s := &shuffle{p: p, m: m}
	out := make([][]byte, n)
	from := make([]bool, n)
	seeds := make([][]byte, 0)
	for _, c := range mpc.Subsets(n, t) {
		var a []int
		for j := 1; j <= n && len(a) < t+1; j++ {
			if !slices.Contains(c, j) {
				a = append(a, j)
			}
		}
		s.rounds = append(s.rounds, shuffleRound{members: a})
		var seed []byte
		if a[0] == id {
			seed = make([]byte, 32)
			if _, err := io.ReadFull(rand.Reader, seed); err != nil {
				return nil, err
			}
			for _, j := range a[1:] {
				out[j-1] = append(out[j-1], seed...)
			}
		} else if slices.Contains(a, id) {
			from[a[0]-1] = true
		}
		seeds = append(seeds, seed)
	}
	in, err := p.Exchange(ctx, out, from)
	if err != nil {
		return nil, err
	}
	off := make([]int, n)
	for r := range s.rounds {
		a := s.rounds[r].members
		if !slices.Contains(a, id) {
			continue
		}
		seed := seeds[r]
		if seed == nil {
			l := a[0]
			msg := in[l-1]
			if len(msg) < off[l-1]+32 {
				return nil, fmt.Errorf("epoch: shuffle seeds: short message from party %d", l)
			}
			seed = msg[off[l-1] : off[l-1]+32]
			off[l-1] += 32
		}
		s.rounds[r].perm = mrand.New(mrand.NewChaCha8([32]byte(seed))).Perm(m)
	}
	for j := range in {
		if from[j] && len(in[j]) != off[j] {
			return nil, fmt.Errorf("epoch: shuffle seeds: %d bytes from party %d, want %d", len(in[j]), j+1, off[j])
		}
	}
	return s, nil
}

// lagrange returns this party's Lagrange coefficient over set a at 0, as a
// scalar, and a small integer multiple of it, D*lambda, with D > 0 the same
// for every member: multiplying points by small integers costs a few
// additions instead of a scalar multiplication.
func lagrange(a []int, id int) (field.Scalar, int64, error) {
	f := field.ScalarField{}
	lam, err := shamir.Lagrange[field.Scalar](f, a, 0)
	if err != nil {
		return field.Scalar{}, 0, err
	}
	var d int64 = 1
	nums := make([]int64, len(a))
	dens := make([]int64, len(a))
	for i, xi := range a {
		nums[i], dens[i] = 1, 1
		for _, xj := range a {
			if xj != xi {
				nums[i] *= int64(xj)
				dens[i] *= int64(xj - xi)
			}
		}
		d = lcm(d, abs(dens[i]))
	}
	for i, xi := range a {
		if xi == id {
			return lam[i], nums[i] * (d / dens[i]), nil
		}
	}
	return field.Scalar{}, 0, fmt.Errorf("epoch: party %d not in %v", id, a)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func lcm(a, b int64) int64 {
	g, h := a, b
	for h != 0 {
		g, h = h, g%h
	}
	return a / g * b
}

func scalarInt(v int64) field.Scalar {
	f := field.ScalarField{}
	s := f.FromUint64(uint64(abs(v)))
	if v < 0 {
		s = f.Neg(s)
	}
	return s
}

// forward applies the rounds to point and weight shares. The points come
// out multiplied by a public integer (the product of the rounds' D), which
// scales every tag alike.
func (s *shuffle) forward(ctx context.Context, points []group.Point, weights []field.Scalar) ([]group.Point, []field.Scalar, error) {
	for _, r := range s.rounds {
		var err error
		if points, weights, err = s.round(ctx, r, points, weights, false); err != nil {
			return nil, nil, err
		}
	}
	return points, weights, nil
}

// backward undoes the permutations on scalar shares, last round first.
func (s *shuffle) backward(ctx context.Context, x []field.Scalar) ([]field.Scalar, error) {
	for i := len(s.rounds) - 1; i >= 0; i-- {
		var err error
		if _, x, err = s.round(ctx, s.rounds[i], nil, x, true); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// erase forgets the permutations.
func (s *shuffle) erase() {
	for i := range s.rounds {
		clear(s.rounds[i].perm)
		s.rounds[i].perm = nil
	}
}

// round runs one resharing round: members of A permute (or, inverse, undo
// the permutation of) their additive shares and deal them with degree t;
// every party sums what it receives. points may be nil. x holds one or
// more blocks of m scalars (one per score class), each permuted alike.
func (s *shuffle) round(ctx context.Context, r shuffleRound, points []group.Point, x []field.Scalar, inverse bool) ([]group.Point, []field.Scalar, error) {
	p, f := s.p, field.ScalarField{}
	n, t, id, m := p.N(), p.T, p.ID(), s.m
	mx := len(x)
	if m == 0 && mx != 0 || m != 0 && mx%m != 0 {
		return nil, nil, fmt.Errorf("epoch: shuffle: %d scalars for %d records", mx, m)
	}
	withPoints := points != nil
	out := make([][]byte, n)
	var ownP []group.Point
	var ownX []field.Scalar
	if slices.Contains(r.members, id) {
		lam, small, err := lagrange(r.members, id)
		if err != nil {
			return nil, nil, err
		}
		px := make([]field.Scalar, mx)
		f.ScaleVec(px, x, lam)
		for lo := 0; lo < mx; lo += m {
			copy(px[lo:lo+m], permute(px[lo:lo+m], r.perm, inverse))
		}
		var pp []group.Point
		if withPoints {
			pp = make([]group.Point, m)
			group.LinearCombination(pp, []field.Scalar{scalarInt(small)}, [][]group.Point{points})
			pp = permute(pp, r.perm, inverse)
		}
		// Deal with degree t: random coefficients, evaluated at 1..n.
		cx := make([][]field.Scalar, t)
		cp := make([][]group.Point, t)
		for k := 0; k < t; k++ {
			cx[k] = make([]field.Scalar, mx)
			if err := f.Random(cx[k], p.Rand()); err != nil {
				return nil, nil, err
			}
			if withPoints {
				cp[k] = make([]group.Point, m)
				if err := group.Random(cp[k], p.Rand()); err != nil {
					return nil, nil, err
				}
			}
		}
		sxAll := shamir.Eval[field.Scalar](f, px, cx, n)
		for j := 1; j <= n; j++ {
			sx := sxAll[j-1].Y
			var sp []group.Point
			if withPoints {
				sp = evalPoints(pp, cp, j)
			}
			if j == id {
				ownP, ownX = sp, sx
				continue
			}
			msg := make([]byte, 0, mx*field.ScalarSize+m*group.Size)
			if withPoints {
				msg = group.AppendVec(msg, sp)
			}
			out[j-1] = f.Append(msg, sx)
		}
	}
	from := make([]bool, n)
	for _, a := range r.members {
		from[a-1] = a != id
	}
	in, err := p.Exchange(ctx, out, from)
	if err != nil {
		return nil, nil, err
	}
	sumX := make([]field.Scalar, mx)
	var sumP []group.Point
	if withPoints {
		sumP = make([]group.Point, m)
	}
	if ownX != nil {
		copy(sumX, ownX)
		copy(sumP, ownP)
	}
	bufX := make([]field.Scalar, mx)
	var bufP []group.Point
	if withPoints {
		bufP = make([]group.Point, m)
	}
	for _, a := range r.members {
		if a == id {
			continue
		}
		msg := in[a-1]
		want := mx * field.ScalarSize
		if withPoints {
			want += m * group.Size
		}
		if len(msg) != want {
			return nil, nil, fmt.Errorf("epoch: shuffle: %d bytes from party %d, want %d", len(msg), a, want)
		}
		if withPoints {
			if err := group.DecodeVec(bufP, msg[:m*group.Size]); err != nil {
				return nil, nil, fmt.Errorf("epoch: shuffle: party %d: %w", a, err)
			}
			group.AddVec(sumP, sumP, bufP)
			msg = msg[m*group.Size:]
		}
		if err := f.Decode(bufX, msg); err != nil {
			return nil, nil, fmt.Errorf("epoch: shuffle: party %d: %w", a, err)
		}
		f.AddVec(sumX, sumX, bufX)
	}
	return sumP, sumX, nil
}

// permute returns out[k] = x[perm[k]], or with inverse out[perm[k]] = x[k].
func permute[T any](x []T, perm []int, inverse bool) []T {
	out := make([]T, len(x))
	for k, j := range perm {
		if inverse {
			out[j] = x[k]
		} else {
			out[k] = x[j]
		}
	}
	return out
}

// evalPoints returns c0 + sum_k coeffs[k] * x^(k+1), by Horner's rule with
// small-integer multiplications.
func evalPoints(c0 []group.Point, coeffs [][]group.Point, x int) []group.Point {
	acc := make([]group.Point, len(c0))
	if len(coeffs) == 0 {
		copy(acc, c0)
		return acc
	}
	copy(acc, coeffs[len(coeffs)-1])
	for k := len(coeffs) - 2; k >= 0; k-- {
		group.MulSmallAddVec(acc, uint64(x), coeffs[k])
	}
	group.MulSmallAddVec(acc, uint64(x), c0)
	return acc
}
