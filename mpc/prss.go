package mpc

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
)

// Pseudo-random secret sharing (Cramer, Damgard and Ishai, TCC 2005): for
// every set A of t parties, the n-t parties outside A share a key k_A. A
// random sharing is sum over A of PRF(k_A) * f_A(x), where f_A has degree t,
// f_A(0) = 1 and f_A(j) = 0 for j in A; no t parties know every key, so the
// secret is hidden, and no communication is needed after the keys are agreed.

type prssKey struct {
	set    []int     // the t parties that do not hold the key
	stream io.Reader // PRF output stream
	zero   io.Reader // stream for zero sharings
}

// Subsets returns all t-subsets of the party ids 1..n in lexicographic
// order: the sets of PRSS keys here, and the coalitions of protocols that
// must hide something from every t parties.
func Subsets(n, t int) [][]int {
	var out [][]int
	cur := make([]int, 0, t)
	var rec func(start int)
	rec = func(start int) {
		if len(cur) == t {
			out = append(out, append([]int(nil), cur...))
			return
		}
		for i := start; i <= n; i++ {
			cur = append(cur, i)
			rec(i + 1)
			cur = cur[:len(cur)-1]
		}
	}
	rec(1)
	return out
}

// setupPRSS agrees on the keys in one round: the lowest-numbered holder of
// each key draws it and sends it to the other holders.
func (p *Party[E]) setupPRSS(ctx context.Context) error {
	sets := Subsets(p.n, p.T)
	out := make([][]byte, p.n)
	keys := make([][]byte, len(sets))
	leader := func(set []int) int {
		for j := 1; ; j++ {
			if !slices.Contains(set, j) {
				return j
			}
		}
	}
	for s, set := range sets {
		if leader(set) != p.id {
			continue
		}
		keys[s] = make([]byte, 32)
		if _, err := io.ReadFull(rand.Reader, keys[s]); err != nil {
			return err
		}
		for j := 1; j <= p.n; j++ {
			if j != p.id && !slices.Contains(set, j) {
				out[j-1] = append(out[j-1], keys[s]...)
			}
		}
	}
	for j := range out {
		if out[j] == nil && j+1 != p.id {
			out[j] = []byte{}
		}
	}
	in, err := p.exchange(ctx, out)
	if err != nil {
		return err
	}
	off := make([]int, p.n)
	for s, set := range sets {
		l := leader(set)
		if slices.Contains(set, p.id) {
			continue
		}
		if l != p.id {
			msg := in[l-1]
			if len(msg) < off[l-1]+32 {
				return fmt.Errorf("mpc: prss setup: short message from party %d", l)
			}
			keys[s] = msg[off[l-1] : off[l-1]+32]
			off[l-1] += 32
		}
		p.prss = append(p.prss, prssKey{
			set:    set,
			stream: newStream(keys[s], []byte("prss")),
			zero:   newStream(keys[s], []byte("przs")),
		})
	}
	for j := range in {
		if in[j] != nil && len(in[j]) != off[j] {
			return fmt.Errorf("mpc: prss setup: %d extra bytes from party %d", len(in[j])-off[j], j+1)
		}
	}
	return nil
}

// fA returns f_A(x) = prod_{j in A} (j - x) / j.
func (p *Party[E]) fA(set []int, x int) E {
	f := p.F
	v := f.One()
	fx := f.FromUint64(uint64(x))
	for _, j := range set {
		fj := f.FromUint64(uint64(j))
		inv, _ := f.Inv(fj) // j >= 1 is non-zero in every field with room for n parties
		v = f.Mul(v, f.Mul(f.Sub(fj, fx), inv))
	}
	return v
}

// PRSS returns this party's shares of m uniformly random secrets, shared with
// degree t, without communication. All parties must call it in the same order
// with the same m.
func (p *Party[E]) PRSS(m int) ([]E, error) {
	out := make([]E, m)
	r := make([]E, m)
	for _, k := range p.prss {
		if err := p.F.Random(r, k.stream); err != nil {
			return nil, err
		}
		p.F.AddScaledVec(out, r, p.fA(k.set, p.id))
	}
	return out, nil
}

// PRZS returns this party's shares of m zeros, shared with degree 2t, without
// communication: sum over A of f_A(x) * sum_{j=1..t} r_{A,j} x^j.
func (p *Party[E]) PRZS(m int) ([]E, error) {
	f := p.F
	out := make([]E, m)
	r := make([]E, m)
	x := f.FromUint64(uint64(p.id))
	for _, k := range p.prss {
		c := p.fA(k.set, p.id)
		for j := 1; j <= p.T; j++ {
			if err := f.Random(r, k.zero); err != nil {
				return nil, err
			}
			c = f.Mul(c, x) // f_A(x) * x^j
			f.AddScaledVec(out, r, c)
		}
	}
	return out, nil
}
