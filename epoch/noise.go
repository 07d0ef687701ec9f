package epoch

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

// Noise on the tag-group histogram (docs/epoch.md, "Noise").
//
// After the tags are opened every party sees how many groups of each size
// there are. For every size s in 1..S the parties add a secret number D_s of
// dummy groups of exactly s records, with fresh random points: the visible
// count of groups of size s is h_s + D_s. D_s = clamp(mu + Z_s, 0, C), where
// Z_s is the sum of one two-sided geometric (discrete Laplace) value with
// parameter alpha = exp(-epsilon/2) drawn by every party, shared and added in
// MPC, so that any t parties miss at least n-t >= 1 of the terms. One record
// more at one key moves that key's group from size c to c+1: two counts
// change by one, each hidden by an independent discrete Laplace term of
// parameter epsilon/2, so the change costs (epsilon, delta) per key as long
// as c+1 <= S; a record moved from one key to another (the number of
// records is public) costs (2 epsilon, 2 delta). mu and C = 2 mu are chosen
// so that the clamping happens with probability at most delta/2 per size.
//
// The dummies are made from shared values only: for each of the C candidate
// groups of each size, a bit b = [mu + Z_s >= g] (a comparison in MPC) says
// whether candidate g is live; every record of the candidate gets the point
// r' G with r' = r_j + b (r - r_j), r and r_j fresh PRSS values, so a live
// candidate is s records on one random point and a dead one is s records on
// s different random points (groups of size 1). Which candidates are live is
// known to nobody; the records then go through the shuffle with weight 0.
// They are dropped after the unshuffle, before scoring: they never get a
// result and, weighing 0, add nothing to any group's sum.

// noisePlan is the public shape of the noise: mu, C and the sizes covered.
type noisePlan struct {
	alpha   float64 // parameter of each party's discrete Laplace term
	mu, c   int     // shift and number of candidate groups per size
	sizes   int     // S: sizes 1..S get dummy groups
	records int     // C * S(S+1)/2, the dummy records added
	bound   int     // each party's term is clamped to [-bound, bound]
}

// Noise limits accepted by [Params].
const (
	maxNoiseGroup = 64
	noiseCmpBits  = 24 // comparisons on mu + Z - g + 2^23
)

// planNoise returns the plan for n parties, or nil when noise is off.
func planNoise(prm Params, n int) (*noisePlan, error) {
	if prm.NoiseEpsilon == 0 {
		return nil, nil
	}
	eps, delta := prm.NoiseEpsilon, prm.NoiseDelta
	if !(eps >= 0.1 && eps <= 10) || !(delta >= 1e-12 && delta <= 0.1) {
		return nil, fmt.Errorf("epoch: noise epsilon %v and delta %v out of range [0.1, 10] and [1e-12, 0.1]", eps, delta)
	}
	s := prm.NoiseMaxGroup
	if s == 0 {
		s = 6
	}
	if s < 1 || s > maxNoiseGroup {
		return nil, fmt.Errorf("epoch: noise max group %d out of range 1..%d", s, maxNoiseGroup)
	}
	alpha := math.Exp(-eps / 2)
	mu := noiseShift(alpha, n, delta/4)
	pl := &noisePlan{alpha: alpha, mu: mu, c: 2 * mu, bound: 2 * mu}
	if n*pl.bound+2*mu >= 1<<(noiseCmpBits-2) {
		return nil, fmt.Errorf("epoch: noise epsilon %v and delta %v need a shift %d that is too large", eps, delta, mu)
	}
	cost := func(s int) int { return pl.c * s * (s + 1) / 2 }
	if prm.NoiseMaxRecords > 0 {
		for s > 0 && cost(s) > prm.NoiseMaxRecords {
			s--
		}
		if s == 0 {
			return nil, fmt.Errorf("epoch: noise needs %d records for groups of size 1, more than the cap %d", cost(1), prm.NoiseMaxRecords)
		}
	}
	pl.sizes, pl.records = s, cost(s)
	return pl, nil
}

// noiseShift returns the smallest mu with P(Z <= -mu) <= tail, for Z the
// sum of n independent discrete Laplace values of parameter alpha
// (P(z) = (1-alpha)/(1+alpha) alpha^|z|), and each term clamped to
// [-2mu, 2mu] (the clamping only moves mass further out than 2mu, which is
// counted in the tail).
func noiseShift(alpha float64, n int, tail float64) int {
	// Support wide enough that the mass left out is far below tail.
	w := int(math.Ceil(math.Log(tail*1e-3)/math.Log(alpha))) + 1
	one := make([]float64, 2*w+1)
	for z := -w; z <= w; z++ {
		one[z+w] = (1 - alpha) / (1 + alpha) * math.Pow(alpha, math.Abs(float64(z)))
	}
	sum := []float64{1}
	for range n {
		next := make([]float64, len(sum)+len(one)-1)
		for i, a := range sum {
			if a == 0 {
				continue
			}
			for j, b := range one {
				next[i+j] += a * b
			}
		}
		sum = next
	}
	off := n * w // sum[z+off] = P(Z = z)
	acc := 0.0
	for z := -off; z <= off; z++ {
		acc += sum[z+off]
		if acc > tail {
			// P(Z <= z) > tail: mu = -z + 1 gives P(Z <= -mu) <= tail.
			return max(1, -z+1)
		}
	}
	return 1
}

// sampleDLap draws a discrete Laplace value of parameter alpha from r as the
// difference of two geometric values, clamped to [-bound, bound].
func sampleDLap(r io.Reader, alpha float64, bound int) (int, error) {
	geom := func() (int, error) {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, err
		}
		// u uniform in (0, 1] with 53 bits.
		u := (float64(binary.LittleEndian.Uint64(b[:])>>11) + 1) / (1 << 53)
		g := math.Floor(math.Log(u) / math.Log(alpha))
		return int(min(g, float64(2*bound))), nil
	}
	a, err := geom()
	if err != nil {
		return 0, err
	}
	b, err := geom()
	if err != nil {
		return 0, err
	}
	return max(-bound, min(bound, a-b)), nil
}

// dummies returns this party's shares of the plan's dummy points, in a
// fixed public order (size, candidate, record).
func dummies(ctx context.Context, p *Party, pl *noisePlan) ([]group.Point, error) {
	f := p.F
	// Every party's discrete Laplace term per size, shared; Z_s their sum.
	mine := make([]field.Scalar, pl.sizes)
	for s := range mine {
		z, err := sampleDLap(p.Rand(), pl.alpha, pl.bound)
		if err != nil {
			return nil, err
		}
		mine[s] = scalarInt(int64(z))
	}
	dealt, err := p.Deal(ctx, mine)
	clear(mine)
	if err != nil {
		return nil, err
	}
	zs := make([]field.Scalar, pl.sizes)
	for _, d := range dealt {
		f.AddVec(zs, zs, d)
		clear(d)
	}
	// [mu + Z_s < g] for g = 1..C, as [Z_s + mu - g + 2^23 < 2^23]; the
	// left side is in [0, 2^24) by the plan's bounds.
	off := uint64(1) << (noiseCmpBits - 1)
	a := make([]field.Scalar, 0, pl.sizes*pl.c)
	for s := range pl.sizes {
		for g := 1; g <= pl.c; g++ {
			a = append(a, f.Add(zs[s], scalarInt(int64(pl.mu-g)+int64(off))))
		}
	}
	clear(zs)
	below, err := p.LessThanPublic(ctx, a, off, noiseCmpBits)
	clear(a)
	if err != nil {
		return nil, err
	}
	// r' = r_j + b (r - r_j) for every record of every candidate.
	groupR, err := p.PRSS(pl.sizes * pl.c)
	if err != nil {
		return nil, err
	}
	own, err := p.PRSS(pl.records)
	if err != nil {
		return nil, err
	}
	bits := make([]field.Scalar, pl.records)
	diff := make([]field.Scalar, pl.records)
	k := 0
	one := f.One()
	for s := 1; s <= pl.sizes; s++ {
		for g := range pl.c {
			cand := (s-1)*pl.c + g
			live := f.Sub(one, below[cand])
			for range s {
				bits[k] = live
				diff[k] = f.Sub(groupR[cand], own[k])
				k++
			}
		}
	}
	prod, err := p.Mul(ctx, bits, diff)
	clear(bits)
	clear(diff)
	clear(below)
	clear(groupR)
	if err != nil {
		return nil, err
	}
	f.AddVec(prod, prod, own)
	clear(own)
	pts := make([]group.Point, pl.records)
	parallel(len(pts), func(lo, hi int) {
		group.ScalarBaseMulVec(pts[lo:hi], prod[lo:hi])
	})
	clear(prod)
	return pts, nil
}
