package mpc

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Integer protocols on values in [0, 2^k) embedded in a prime field, after
// Catrina and de Hoogh, "Improved primitives for secure multiparty integer
// computation" (SCN 2010): a value is masked by a random integer whose low k
// bits are shared bit by bit, opened, and the low bits are compared with the
// mask's bits by a carry (borrow) circuit of logarithmic depth. Bits are field
// elements 0 and 1; xor(a, b) = a + b - 2ab, which in GF(2^8) is plain
// addition.

// Kappa is the statistical security parameter of the integer masks when the
// field has room for it.
const Kappa = 40

type bitLength interface{ Bits() int }

// isChar2 reports whether 1 + 1 = 0 in the field.
func (p *Party[E]) isChar2() bool {
	var zero E
	return p.F.Add(p.F.One(), p.F.One()) == zero
}

// one returns a vector of m ones.
func (p *Party[E]) ones(m int) []E {
	v := make([]E, m)
	for i := range v {
		v[i] = p.F.One()
	}
	return v
}

// dealBy has parties 1..d each share m values in one round. values are this
// party's own values (ignored when id > d); out[j] are the shares of party
// j+1's values.
func (p *Party[E]) dealBy(ctx context.Context, d int, values []E, m int) ([][]E, error) {
	out := make([][]byte, p.n)
	res := make([][]E, d)
	if p.id <= d {
		shares, err := p.split(values)
		if err != nil {
			return nil, err
		}
		for j, s := range shares {
			if j+1 == p.id {
				res[p.id-1] = s
				continue
			}
			out[j] = p.F.Append(make([]byte, 0, m*p.F.ElemSize()), s)
		}
	}
	from := make([]bool, p.n)
	for j := 1; j <= d; j++ {
		from[j-1] = j != p.id
	}
	in, err := p.exchangeFrom(ctx, out, from)
	if err != nil {
		return nil, err
	}
	if err := p.decodeEach(res, in, d, m); err != nil {
		return nil, err
	}
	return res, nil
}

// xorTree returns shares of the xor of the bit vectors in vs, in
// ceil(log2 len(vs)) rounds (none in characteristic 2).
func (p *Party[E]) xorTree(ctx context.Context, vs [][]E) ([]E, error) {
	return p.pairTree(ctx, vs, func(xs, ys []E) ([]E, error) {
		sum := make([]E, len(xs))
		p.F.AddVec(sum, xs, ys)
		if !p.isChar2() {
			prod, err := p.Mul(ctx, xs, ys)
			if err != nil {
				return nil, err
			}
			p.F.SubVec(sum, sum, prod)
			p.F.SubVec(sum, sum, prod)
		}
		return sum, nil
	})
}

// pairTree folds the equal-length vectors in vs into one by combining
// pairs, all pairs of a level in one call of combine (xs holds the first
// vector of every pair, ys the second), an odd one passing up unchanged.
func (p *Party[E]) pairTree(ctx context.Context, vs [][]E, combine func(xs, ys []E) ([]E, error)) ([]E, error) {
	for len(vs) > 1 {
		half := len(vs) / 2
		m := len(vs[0])
		var xs, ys []E
		for i := 0; i < half; i++ {
			xs = append(xs, vs[2*i]...)
			ys = append(ys, vs[2*i+1]...)
		}
		c, err := combine(xs, ys)
		if err != nil {
			return nil, err
		}
		next := make([][]E, 0, half+1)
		for i := 0; i < half; i++ {
			next = append(next, c[i*m:(i+1)*m])
		}
		if len(vs)%2 == 1 {
			next = append(next, vs[len(vs)-1])
		}
		vs = next
	}
	return vs[0], nil
}

// RandomBits returns shares of m uniformly random bits. Parties 1..t+1 each
// deal m random bits and the result is their xor, so it is uniform as long
// as one dealer is honest.
func (p *Party[E]) RandomBits(ctx context.Context, m int) ([]E, error) {
	bits, _, err := p.randomMasks(ctx, m, 0, 0)
	return bits, err
}

// randomMasks returns shares of m random bits and of cnt random integers
// below (t+1)*2^kappa (the sum of t+1 dealt integers below 2^kappa), in one
// dealing round plus the xor rounds.
func (p *Party[E]) randomMasks(ctx context.Context, m, cnt, kappa int) (bitsOut, highs []E, err error) {
	d := p.T + 1
	var mine []E
	if p.id <= d {
		mine = make([]E, m+cnt)
		buf := make([]byte, (m+7)/8+8*cnt)
		kappa := max(kappa, 1)
		if _, err := p.rnd.Read(buf); err != nil {
			return nil, nil, err
		}
		for i := 0; i < m; i++ {
			if buf[i/8]>>(i%8)&1 == 1 {
				mine[i] = p.F.One()
			}
		}
		for i := 0; i < cnt; i++ {
			v := binary.LittleEndian.Uint64(buf[(m+7)/8+8*i:])
			mine[m+i] = p.F.FromUint64(v >> (64 - kappa))
		}
	}
	dealt, err := p.dealBy(ctx, d, mine, m+cnt)
	if err != nil {
		return nil, nil, err
	}
	vs := make([][]E, d)
	highs = make([]E, cnt)
	for j := range dealt {
		vs[j] = dealt[j][:m]
		p.F.AddVec(highs, highs, dealt[j][m:])
	}
	bitsOut, err = p.xorTree(ctx, vs)
	return bitsOut, highs, err
}

// maskKappa returns the statistical security of masks for values below
// 2^(k+1) whose low k bits are masked bit by bit: x + r_low + 2^k*high must
// stay below p > 2^(bits-1), and high < (t+1)*2^kappa, so
// kappa = bits - k - 2 - len(t+1), at most Kappa. It fails below 16 bits.
func (p *Party[E]) maskKappa(k int) (int, error) {
	b, ok := p.F.(bitLength)
	if !ok {
		return 0, fmt.Errorf("mpc: %s is not a prime field for integer comparison", p.F.Name())
	}
	if k < 1 || k > 62 {
		return 0, fmt.Errorf("mpc: bit length %d out of range 1..62", k)
	}
	kappa := min(Kappa, b.Bits()-k-2-bits.Len(uint(p.T+1)))
	if kappa < 16 {
		return 0, fmt.Errorf("mpc: %d-bit values leave %d bits of statistical security in %s (need 16)", k, kappa, p.F.Name())
	}
	return kappa, nil
}

// maskOpen opens c = x + r for each x < 2^(k+1), where r = sum_i 2^i
// rbits[i] + 2^k high with k random shared bits per value. It returns c's low k bits (as
// integers), the mask bits (rbits[i*k+j] is bit j of value i) and the mask's
// low value shares.
func (p *Party[E]) maskOpen(ctx context.Context, x []E, k int) (cLow []uint64, rbits, rLow []E, err error) {
	kappa, err := p.maskKappa(k)
	if err != nil {
		return nil, nil, nil, err
	}
	m := len(x)
	rbits, high, err := p.randomMasks(ctx, m*k, m, kappa)
	if err != nil {
		return nil, nil, nil, err
	}
	f := p.F
	rLow = make([]E, m)
	masked := make([]E, m)
	twoK := f.FromUint64(1 << k)
	for i := 0; i < m; i++ {
		var v E
		for j := k - 1; j >= 0; j-- {
			v = f.Add(f.Add(v, v), rbits[i*k+j])
		}
		rLow[i] = v
		masked[i] = f.Add(f.Add(x[i], v), f.Mul(twoK, high[i]))
	}
	c, err := p.Open(ctx, masked)
	if err != nil {
		return nil, nil, nil, err
	}
	cLow = make([]uint64, m)
	var buf []byte
	for i := range c {
		buf = f.Append(buf[:0], c[i:i+1])
		var w [8]byte
		copy(w[:], buf)
		cLow[i] = binary.LittleEndian.Uint64(w[:]) & (1<<k - 1)
	}
	return cLow, rbits, rLow, nil
}

// borrowOut returns shares of [c < r] for each public k-bit c[i] and shared
// bits r[i*k+j], by combining (generate, propagate) pairs of the subtraction
// c - r in a tree: ceil(log2 k) rounds, about 2k multiplications each.
func (p *Party[E]) borrowOut(ctx context.Context, c []uint64, r []E, k int) ([]E, error) {
	f := p.F
	m := len(c)
	one := f.One()
	// g[i][j]: bit j of c - r generates a borrow (c_j = 0, r_j = 1);
	// q[i][j]: it propagates one (c_j = r_j).
	g := make([][]E, k)
	q := make([][]E, k)
	for j := 0; j < k; j++ {
		g[j] = make([]E, m)
		q[j] = make([]E, m)
		for i := 0; i < m; i++ {
			rb := r[i*k+j]
			if c[i]>>j&1 == 1 {
				q[j][i] = rb
			} else {
				g[j][i] = rb
				q[j][i] = f.Sub(one, rb)
			}
		}
	}
	// Combine (hi o lo) = (g_hi + q_hi g_lo, q_hi q_lo) pairwise, low first.
	for len(g) > 1 {
		half := len(g) / 2
		last := len(g) == 2
		var xs, ys []E
		for h := 0; h < half; h++ {
			lo, hi := 2*h, 2*h+1
			xs = append(xs, q[hi]...)
			ys = append(ys, g[lo]...)
			if !last {
				xs = append(xs, q[hi]...)
				ys = append(ys, q[lo]...)
			}
		}
		prod, err := p.Mul(ctx, xs, ys)
		if err != nil {
			return nil, err
		}
		ng, nq := make([][]E, 0, half+1), make([][]E, 0, half+1)
		step := 2 * m
		if last {
			step = m
		}
		for h := 0; h < half; h++ {
			gg := make([]E, m)
			f.AddVec(gg, g[2*h+1], prod[h*step:h*step+m])
			ng = append(ng, gg)
			if !last {
				nq = append(nq, prod[h*step+m:h*step+2*m])
			}
		}
		if len(g)%2 == 1 {
			ng = append(ng, g[len(g)-1])
			nq = append(nq, q[len(q)-1])
		}
		g, q = ng, nq
	}
	return g[0], nil
}

// LessThan returns shares of the bits [a[i] < b[i]] for a[i], b[i] in
// [0, 2^k), in a prime field with room for k + kappa + 4 bits.
func (p *Party[E]) LessThan(ctx context.Context, a, b []E, k int) ([]E, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("mpc: less than: %d and %d values", len(a), len(b))
	}
	f := p.F
	// d = a - b + 2^k is in [1, 2^(k+1)); a < b iff d < 2^k.
	d := make([]E, len(a))
	f.SubVec(d, a, b)
	twoK := f.FromUint64(1 << k)
	for i := range d {
		d[i] = f.Add(d[i], twoK)
	}
	return p.InRange(ctx, d, k)
}

// InRange returns shares of the bits [x[i] < 2^k] for x[i] in [0, 2^(k+1)).
// For any other x[i] the result is some field element, but never 1: a bit
// opened as 1 proves x[i] in [0, 2^k) whatever x[i] was, which makes InRange
// a range check on values from untrusted clients.
func (p *Party[E]) InRange(ctx context.Context, x []E, k int) ([]E, error) {
	f := p.F
	m := len(x)
	cLow, rbits, rLow, err := p.maskOpen(ctx, x, k)
	if err != nil {
		return nil, err
	}
	u, err := p.borrowOut(ctx, cLow, rbits, k)
	if err != nil {
		return nil, err
	}
	// x mod 2^k = c_low - r_low + 2^k u, in [0, 2^k) whatever x is; the
	// result 1 - (x - x mod 2^k) / 2^k is 1 exactly when x is that value.
	twoK := f.FromUint64(1 << k)
	inv, _ := f.Inv(twoK)
	out := make([]E, m)
	one := f.One()
	for i := range out {
		xLow := f.Add(f.Sub(f.FromUint64(cLow[i]), rLow[i]), f.Mul(twoK, u[i]))
		top := f.Mul(f.Sub(x[i], xLow), inv)
		out[i] = f.Sub(one, top)
	}
	return out, nil
}

// LessThanPublic returns shares of [a[i] < c] for a[i] in [0, 2^k) and a
// public bound c < 2^k.
func (p *Party[E]) LessThanPublic(ctx context.Context, a []E, c uint64, k int) ([]E, error) {
	cs := make([]E, len(a))
	for i := range cs {
		cs[i] = p.F.FromUint64(c)
	}
	return p.LessThan(ctx, a, cs, k)
}

// Equal returns shares of the bits [a[i] = b[i]] for a[i], b[i] in [0, 2^k).
func (p *Party[E]) Equal(ctx context.Context, a, b []E, k int) ([]E, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("mpc: equal: %d and %d values", len(a), len(b))
	}
	f := p.F
	m := len(a)
	k1 := k + 1
	// d = a - b + 2^k in [1, 2^(k+1)); a = b iff d = 2^k iff the low k+1
	// bits of c = d + r equal those of r + 2^k, that is r with bit k flipped.
	d := make([]E, m)
	f.SubVec(d, a, b)
	twoK := f.FromUint64(1 << k)
	for i := range d {
		d[i] = f.Add(d[i], twoK)
	}
	cLow, rbits, _, err := p.maskOpen(ctx, d, k1)
	if err != nil {
		return nil, err
	}
	one := f.One()
	eq := make([][]E, k1)
	for j := 0; j < k1; j++ {
		eq[j] = make([]E, m)
		for i := 0; i < m; i++ {
			rb := rbits[i*k1+j]
			if j == k {
				rb = f.Sub(one, rb)
			}
			if cLow[i]>>j&1 == 1 {
				eq[j][i] = rb
			} else {
				eq[j][i] = f.Sub(one, rb)
			}
		}
	}
	return p.andTree(ctx, eq)
}

// andTree returns the product of the vectors in vs, in ceil(log2 len(vs))
// rounds.
func (p *Party[E]) andTree(ctx context.Context, vs [][]E) ([]E, error) {
	return p.pairTree(ctx, vs, func(xs, ys []E) ([]E, error) { return p.Mul(ctx, xs, ys) })
}

// BitDecompose returns shares of the k bits of each x[i] in [0, 2^k), least
// significant first: out[i*k+j] is bit j of x[i]. It takes 2 + ceil(log2 k)
// rounds after the masks, using a Kogge-Stone prefix of the borrows of
// c - r.
func (p *Party[E]) BitDecompose(ctx context.Context, x []E, k int) ([]E, error) {
	f := p.F
	m := len(x)
	cLow, r, _, err := p.maskOpen(ctx, x, k)
	if err != nil {
		return nil, err
	}
	one := f.One()
	g := make([][]E, k)
	q := make([][]E, k)
	e := make([][]E, k) // c_j xor r_j
	for j := 0; j < k; j++ {
		g[j], q[j], e[j] = make([]E, m), make([]E, m), make([]E, m)
		for i := 0; i < m; i++ {
			rb := r[i*k+j]
			if cLow[i]>>j&1 == 1 {
				q[j][i] = rb
				e[j][i] = f.Sub(one, rb)
			} else {
				g[j][i] = rb
				q[j][i] = f.Sub(one, rb)
				e[j][i] = rb
			}
		}
	}
	// After the prefix, g[j] is the borrow out of bits 0..j.
	for dist := 1; dist < k; dist *= 2 {
		var xs, ys []E
		for j := dist; j < k; j++ {
			xs = append(append(xs, q[j]...), q[j]...)
			ys = append(append(ys, g[j-dist]...), q[j-dist]...)
		}
		prod, err := p.Mul(ctx, xs, ys)
		if err != nil {
			return nil, err
		}
		for j := dist; j < k; j++ {
			o := (j - dist) * 2 * m
			ng := make([]E, m)
			f.AddVec(ng, g[j], prod[o:o+m])
			g[j] = ng
			q[j] = prod[o+m : o+2*m]
		}
	}
	// bit j = e_j xor borrow-in_j, with borrow-in_j = g[j-1].
	out := make([]E, m*k)
	var xs, ys []E
	for j := 1; j < k; j++ {
		xs = append(xs, e[j]...)
		ys = append(ys, g[j-1]...)
	}
	var prod []E
	if !p.isChar2() && k > 1 {
		if prod, err = p.Mul(ctx, xs, ys); err != nil {
			return nil, err
		}
	}
	for j := 0; j < k; j++ {
		for i := 0; i < m; i++ {
			v := e[j][i]
			if j > 0 {
				b := g[j-1][i]
				v = f.Add(v, b)
				if prod != nil {
					pr := prod[(j-1)*m+i]
					v = f.Sub(f.Sub(v, pr), pr)
				}
			}
			out[i*k+j] = v
		}
	}
	return out, nil
}
