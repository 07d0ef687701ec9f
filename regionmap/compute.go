package regionmap

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/shamir"
)

// Input is one party's shares of one upload, in the order the parties agreed
// on (see [Agree]). Coded is public: the upload carried an authority code.
// Without a code, Positive must be zero (the public sharing of 0).
type Input struct {
	Presence []field.M61
	Positive field.M61
	Coded    bool
}

// Result is what a run releases, the same at every party.
type Result struct {
	// Accepted[i] says whether input i passed the bit and degree checks.
	Accepted []bool
	// Positives is the number of accepted inputs with a code (known to the
	// parties, not released).
	Positives int
	// Released are the regions with count >= k, by increasing index.
	Released []Count
	// Kappa is the statistical security (bits) of the comparisons, 0 if
	// none ran.
	Kappa int
}

// Rejected returns the number of inputs left out.
func (r *Result) Rejected() int {
	n := 0
	for _, a := range r.Accepted {
		if !a {
			n++
		}
	}
	return n
}

// Compute runs one party's side of the region map over p (GF(2^61-1)) for
// inputs of regions presence shares each, releasing the regions with at
// least k positive participants. Every party must call it with its shares of
// the same inputs in the same order and the same regions and k. Communication:
// 3 rounds, plus about 3 + log2(bits) for the comparisons when at least k
// positive inputs are accepted, plus one to open the released counts.
//
// Counts below k are never opened: only the comparison bits and the counts
// >= k are. The comparisons use values of b = bits.Len(positives) bits, with
// kappa = min(40, 61 - b - 2 - bits.Len(t+1)) bits of statistical masking
// (40 up to 2^17 positive participant-days with t <= 2).
func Compute(ctx context.Context, p *mpc.Party[field.M61], inputs []Input, regions, k int) (*Result, error) {
	if regions < 1 {
		return nil, errors.New("regionmap: no regions")
	}
	if k < 1 {
		return nil, fmt.Errorf("regionmap: k = %d, need >= 1", k)
	}
	m := len(inputs)
	for i, in := range inputs {
		if len(in.Presence) != regions {
			return nil, fmt.Errorf("regionmap: input %d has %d presence shares, want %d", i, len(in.Presence), regions)
		}
		if !in.Coded && in.Positive != 0 {
			return nil, fmt.Errorf("regionmap: input %d has a positive share without a code", i)
		}
	}
	res := &Result{Accepted: make([]bool, m)}
	if m == 0 {
		return res, nil
	}

	// Public coin, drawn after the inputs were stored: open 4 PRSS values
	// (about 244 random bits) and expand them with AES-CTR.
	seedShares, err := p.PRSS(4)
	if err != nil {
		return nil, err
	}
	seed, err := p.Open(ctx, seedShares)
	if err != nil {
		return nil, fmt.Errorf("regionmap: coin: %w", err)
	}
	coin := newCoin(seed)

	// Bit check s_u = sum_j rho_j b_j (1 - b_j) = sum rho_j b_j - sum (rho_j b_j) b_j,
	// and degree check d_u = sum_j sigma_j b_j + mask_u, over b = presence || positive.
	w := regions + 1
	rho := make([]field.M61, w)
	sigma := make([]field.M61, w)
	xs := make([][]field.M61, m)
	ys := make([][]field.M61, m)
	lin := make([]field.M61, m)
	deg := make([]field.M61, m)
	for u, in := range inputs {
		if err := F.Random(rho, coin); err != nil {
			return nil, err
		}
		if err := F.Random(sigma, coin); err != nil {
			return nil, err
		}
		b := make([]field.M61, w)
		copy(b, in.Presence)
		b[regions] = in.Positive
		x := make([]field.M61, w)
		F.MulVec(x, rho, b)
		var l field.M61
		for _, v := range x {
			l = F.Add(l, v)
		}
		lin[u] = l
		deg[u] = field.InnerProduct(F, sigma, b)
		xs[u], ys[u] = x, b
	}
	sq, err := p.InnerProducts(ctx, xs, ys)
	if err != nil {
		return nil, err
	}
	mask, err := p.PRSS(m)
	if err != nil {
		return nil, err
	}
	check := make([]field.M61, 2*m)
	F.SubVec(check[:m], lin, sq)
	F.AddVec(check[m:], deg, mask)
	vals, ok, err := openEach(ctx, p, check)
	if err != nil {
		return nil, fmt.Errorf("regionmap: check: %w", err)
	}
	for u := range inputs {
		// s_u must be 0 (it is always a consistent sharing: it comes out of a
		// multiplication); d_u must be a consistent degree-t sharing.
		res.Accepted[u] = ok[u] && vals[u] == 0 && ok[m+u]
	}

	// Counts over the accepted inputs with a code (the others have the
	// public positive bit 0 and add nothing).
	var pos []field.M61
	for u, in := range inputs {
		if res.Accepted[u] && in.Coded {
			res.Positives++
			pos = append(pos, in.Positive)
		}
	}
	if res.Positives < k {
		// No count can reach k; nothing is released and nothing opened.
		return res, nil
	}
	pres := make([][]field.M61, regions)
	posv := make([][]field.M61, regions)
	for r := range regions {
		col := make([]field.M61, 0, res.Positives)
		for u, in := range inputs {
			if res.Accepted[u] && in.Coded {
				col = append(col, in.Presence[r])
			}
		}
		pres[r] = col
		posv[r] = pos
	}
	counts, err := p.InnerProducts(ctx, pres, posv)
	if err != nil {
		return nil, err
	}

	// count_r <= Positives < 2^nb, and k <= Positives.
	nb := bits.Len(uint(res.Positives))
	res.Kappa = min(mpc.Kappa, F.Bits()-nb-2-bits.Len(uint(p.T+1)))
	below, err := p.LessThanPublic(ctx, counts, uint64(k), nb)
	if err != nil {
		return nil, err
	}
	belowBits, err := p.Open(ctx, below)
	if err != nil {
		return nil, fmt.Errorf("regionmap: comparison: %w", err)
	}
	var idx []int
	var rel []field.M61
	for r, b := range belowBits {
		switch b {
		case 0:
			idx = append(idx, r)
			rel = append(rel, counts[r])
		case 1:
		default:
			return nil, fmt.Errorf("regionmap: comparison of region %d opened to %d, not a bit", r, b)
		}
	}
	if len(rel) == 0 {
		return res, nil
	}
	opened, err := p.Open(ctx, rel)
	if err != nil {
		return nil, fmt.Errorf("regionmap: counts: %w", err)
	}
	for i, r := range idx {
		res.Released = append(res.Released, Count{Region: r, Count: uint64(opened[i])})
	}
	return res, nil
}

// newCoin expands the opened seed into a public random stream.
func newCoin(seed []field.M61) *cipher.StreamReader {
	h := sha256.New()
	h.Write([]byte("safetrace region-map coin v1\x00"))
	h.Write(F.Append(nil, seed))
	block, err := aes.NewCipher(h.Sum(nil))
	if err != nil {
		panic(err) // the key is 32 bytes
	}
	return &cipher.StreamReader{S: cipher.NewCTR(block, make([]byte, aes.BlockSize)), R: zeroReader{}}
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// openEach opens every element of x like Party.Open, in one round, but checks
// consistency element by element: ok[i] reports whether the n shares of x[i]
// lie on one polynomial of degree t, and vals[i] is the value from the
// shares of parties 1..t+1.
func openEach(ctx context.Context, p *mpc.Party[field.M61], x []field.M61) (vals []field.M61, ok []bool, err error) {
	n, t, id := p.N(), p.T, p.ID()
	msg := F.Append(nil, x)
	out := make([][]byte, n)
	for j := range out {
		if j+1 != id {
			out[j] = msg
		}
	}
	in, err := p.Exchange(ctx, out, nil)
	if err != nil {
		return nil, nil, err
	}
	ys := make([][]field.M61, n)
	for j := range n {
		if j+1 == id {
			ys[j] = x
			continue
		}
		ys[j] = make([]field.M61, len(x))
		if err := F.Decode(ys[j], in[j]); err != nil {
			return nil, nil, fmt.Errorf("message from party %d: %w", j+1, err)
		}
	}
	base := make([]int, t+1)
	for i := range base {
		base[i] = i + 1
	}
	at0, err := shamir.Lagrange(F, base, 0)
	if err != nil {
		return nil, nil, err
	}
	vals = make([]field.M61, len(x))
	for i, c := range at0 {
		F.AddScaledVec(vals, ys[i], c)
	}
	ok = make([]bool, len(x))
	for i := range ok {
		ok[i] = true
	}
	pred := make([]field.M61, len(x))
	for j := t + 2; j <= n; j++ {
		lj, err := shamir.Lagrange(F, base, j)
		if err != nil {
			return nil, nil, err
		}
		clear(pred)
		for i, c := range lj {
			F.AddScaledVec(pred, ys[i], c)
		}
		for i := range pred {
			if pred[i] != ys[j-1][i] {
				ok[i] = false
			}
		}
	}
	return vals, ok, nil
}
