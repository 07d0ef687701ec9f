package epoch

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
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
	// seeded holds the last round's seeded point shares (see dealSeeded):
	// q is the set Q of parties whose point shares come from seeds (the
	// last round's coalition), seeds the 32-byte seeds this party shares
	// with each of them (a member of the last round) or with each member
	// (a party in Q), by party id.
	q     []int
	seeds map[int][]byte
	// logs are, for a party in Q after forward, the discrete logarithms of
	// its shares of the shuffled points: share i is logs[i]*G.
	logs []field.Scalar
}

type shuffleRound struct {
	members []int // A, ascending
	perm    []int // out[k] = in[perm[k]]; nil when this party is not in A
}

// newShuffle agrees on the rounds' permutations for m records in one round:
// the lowest member of each A draws a seed and sends it to the others. In
// the same round every member of the last round draws one seed for each
// party of that round's coalition Q and sends it to it (see dealSeeded).
func newShuffle(ctx context.Context, p *Party, m int) (*shuffle, error) {
	n, t, id := p.N(), p.T, p.ID()
	s := &shuffle{p: p, m: m, seeds: map[int][]byte{}}
	out := make([][]byte, n)
	from := make([]bool, n)
	seeds := make([][]byte, 0)
	subsets := mpc.Subsets(n, t)
	for _, c := range subsets {
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
	s.q = subsets[len(subsets)-1]
	last := s.rounds[len(s.rounds)-1].members
	for _, q := range s.q {
		switch {
		case slices.Contains(last, id):
			seed := make([]byte, 32)
			if _, err := io.ReadFull(rand.Reader, seed); err != nil {
				return nil, err
			}
			s.seeds[q] = seed
			out[q-1] = append(out[q-1], seed...)
		case q == id:
			for _, a := range last {
				from[a-1] = true
			}
		}
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
	if slices.Contains(s.q, id) {
		for _, a := range last {
			msg := in[a-1]
			if len(msg) < off[a-1]+32 {
				return nil, fmt.Errorf("epoch: shuffle seeds: short message from party %d", a)
			}
			s.seeds[a] = bytes.Clone(msg[off[a-1] : off[a-1]+32])
			off[a-1] += 32
		}
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
// out multiplied by a public integer (the product of the rounds' D and the
// last round's M, see [shuffle.dealSeeded]), which scales every tag alike.
// A party of the last round's coalition Q gets its point shares as
// discrete logarithms (kept in s.logs) and nil points: [shuffle.openTags]
// takes either. forward consumes points: a round permutes and scales its
// input points where they are.
func (s *shuffle) forward(ctx context.Context, points []group.Point, weights []field.Scalar) ([]group.Point, []field.Scalar, error) {
	for i, r := range s.rounds {
		var next []int
		if i+1 < len(s.rounds) {
			next = s.rounds[i+1].members
		}
		var err error
		if points, weights, err = s.round(ctx, r, points, weights, false, next); err != nil {
			return nil, nil, err
		}
	}
	return points, weights, nil
}

// backward undoes the permutations on scalar shares, last round first.
func (s *shuffle) backward(ctx context.Context, x []field.Scalar) ([]field.Scalar, error) {
	for i := len(s.rounds) - 1; i >= 0; i-- {
		var err error
		if _, x, err = s.round(ctx, s.rounds[i], nil, x, true, nil); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// erase forgets the permutations and the seeds.
func (s *shuffle) erase() {
	for i := range s.rounds {
		clear(s.rounds[i].perm)
		s.rounds[i].perm = nil
	}
	for _, seed := range s.seeds {
		clear(seed)
	}
	clear(s.seeds)
	clear(s.logs)
	s.logs = nil
}

// round runs one resharing round: members of A permute (or, inverse, undo
// the permutation of) their additive shares and deal them with degree t.
// x holds one or more blocks of m scalars (one per score class), each
// permuted alike, dealt to every party. points may be nil; they are dealt
// only to the parties that use them: with next (the members of the next
// round) to those, since a round uses only its members' shares, and in
// the last round (next nil) to every party outside Q, whose shares come
// from seeds (dealSeeded). A party that gets no point shares returns
// zeros in their place, or, in Q, nil with its shares' logarithms in
// s.logs. Every party sums what it receives.
func (s *shuffle) round(ctx context.Context, r shuffleRound, points []group.Point, x []field.Scalar, inverse bool, next []int) ([]group.Point, []field.Scalar, error) {
	p, f := s.p, field.ScalarField{}
	n, t, id, m := p.N(), p.T, p.ID(), s.m
	mx := len(x)
	if m == 0 && mx != 0 || m != 0 && mx%m != 0 {
		return nil, nil, fmt.Errorf("epoch: shuffle: %d scalars for %d records", mx, m)
	}
	withPoints := points != nil
	seeded := withPoints && next == nil && len(s.q) > 0
	pointsTo := func(j int) bool {
		switch {
		case !withPoints:
			return false
		case next != nil:
			return slices.Contains(next, j)
		case seeded:
			return !slices.Contains(s.q, j)
		}
		return true
	}
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
		seen := make([]bool, m)
		for lo := 0; lo < mx; lo += m {
			clear(seen)
			permuteInPlace(px[lo:lo+m], r.perm, inverse, seen)
		}
		// Deal with degree t: random coefficients, evaluated at 1..n.
		cx := make([][]field.Scalar, t)
		for k := 0; k < t; k++ {
			cx[k] = make([]field.Scalar, mx)
			if err := f.Random(cx[k], p.Rand()); err != nil {
				return nil, nil, err
			}
		}
		sxAll := shamir.Eval[field.Scalar](f, px, cx, n)
		// Every other party's message: its point shares, if it gets
		// points, then its scalar shares.
		for j := 1; j <= n; j++ {
			if j == id {
				continue
			}
			size := mx * field.ScalarSize
			if pointsTo(j) {
				size += m * group.Size
			}
			out[j-1] = make([]byte, 0, size)
		}
		// The point shares: the permuted part times small, dealt a batch
		// at a time, each batch's shares encoded into the messages of
		// the parties that get points (this party's own kept as points).
		if withPoints {
			// points is the caller's (forward consumes its input): permuted
			// and scaled where it is.
			clear(seen)
			permuteInPlace(points, r.perm, inverse, seen)
			group.LinearCombination(points, []field.Scalar{scalarInt(small)}, [][]group.Point{points})
			if pointsTo(id) {
				ownP = make([]group.Point, m)
			}
			emit := func(j, lo int, sh []group.Point) {
				if j == id {
					copy(ownP[lo:], sh)
				} else {
					out[j-1] = group.AppendVec(out[j-1], sh)
				}
			}
			if seeded {
				err = s.dealSeeded(points, emit)
			} else {
				err = dealPoints(points, t, n, pointsTo, p.Rand(), emit)
			}
			clear(points)
			if err != nil {
				return nil, nil, err
			}
		}
		for j := 1; j <= n; j++ {
			if j == id {
				ownX = sxAll[j-1].Y
			} else {
				out[j-1] = f.Append(out[j-1], sxAll[j-1].Y)
			}
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
	getsPoints := pointsTo(id)
	sumX := ownX
	if sumX == nil {
		sumX = make([]field.Scalar, mx)
	}
	sumP := ownP
	if withPoints && sumP == nil {
		sumP = make([]group.Point, m) // zero values: the identity
	}
	bufX := make([]field.Scalar, mx)
	for _, a := range r.members {
		if a == id {
			continue
		}
		msg := in[a-1]
		want := mx * field.ScalarSize
		if getsPoints {
			want += m * group.Size
		}
		if len(msg) != want {
			return nil, nil, fmt.Errorf("epoch: shuffle: %d bytes from party %d, want %d", len(msg), a, want)
		}
		if getsPoints {
			if err := group.AddEncodedVec(sumP, msg[:m*group.Size]); err != nil {
				return nil, nil, fmt.Errorf("epoch: shuffle: party %d: %w", a, err)
			}
			msg = msg[m*group.Size:]
		}
		if err := f.Decode(bufX, msg); err != nil {
			return nil, nil, fmt.Errorf("epoch: shuffle: party %d: %w", a, err)
		}
		f.AddVec(sumX, sumX, bufX)
		in[a-1] = nil
	}
	if seeded {
		if slices.Contains(s.q, id) {
			if s.logs, err = s.seededLogs(r.members); err != nil {
				return nil, nil, err
			}
			sumP = nil
		}
		// The seeds are used once.
		for _, seed := range s.seeds {
			clear(seed)
		}
		clear(s.seeds)
	}
	return sumP, sumX, nil
}

// The last round's point shares of Q from seeds. A member a of the last
// round shares its additive share x_a with a polynomial f_a of degree t
// whose values at the t parties q of Q are chosen first, uniformly: f_a(q)
// = M s_{a,q} G, with s_{a,q} drawn from a seed that only a and q know, and
// f_a(0) = M x_a. These t+1 values fix f_a, so f_a is a uniform polynomial
// of degree t with f_a(0) = M x_a, as a dealing with random coefficients
// would give; a sends f_a(j) to every party j outside Q and nothing to Q,
// whose parties compute their shares' discrete logarithms
// M sum_a s_{a,q} from the seeds instead of receiving and decoding points.
// M is the least common multiple of the Lagrange denominators over
// {0} and Q, so that f_a(j) = c_0(j) x_a + sum_q c_q(j) s_{a,q} G with
// small integers c; the scale M multiplies every point alike.

// seededCoeffs returns M and, for every party j outside q (by j-1; nil for
// j in q), the integers c_0(j), c_q(j) for q in order.
func seededCoeffs(q []int, n int) (int64, [][]int64) {
	nodes := append([]int{0}, q...)
	dens := make([]int64, len(nodes))
	var mult int64 = 1
	for k, xk := range nodes {
		dens[k] = 1
		for l, xl := range nodes {
			if l != k {
				dens[k] *= int64(xk - xl)
			}
		}
		mult = lcm(mult, abs(dens[k]))
	}
	coef := make([][]int64, n)
	for j := 1; j <= n; j++ {
		if slices.Contains(q, j) {
			continue
		}
		coef[j-1] = make([]int64, len(nodes))
		for k := range nodes {
			c := mult / dens[k]
			for l, xl := range nodes {
				if l != k {
					c *= int64(j - xl)
				}
			}
			coef[j-1][k] = c
		}
	}
	return mult, coef
}

// seededScalars returns the m scalars s_{a,q} drawn from seed.
func seededScalars(seed []byte, m int) ([]field.Scalar, error) {
	if len(seed) != 32 {
		return nil, errors.New("epoch: shuffle: no seed for the last round's shares")
	}
	v := make([]field.Scalar, m)
	if err := (field.ScalarField{}).Random(v, mrand.NewChaCha8([32]byte(seed))); err != nil {
		return nil, err
	}
	return v, nil
}

// dealSeeded deals a last-round member's point shares of x: f_a(j) as
// above for every party j outside Q, passed to emit a batch at a time
// (dealBatch), with lo the index of the batch's first point.
func (s *shuffle) dealSeeded(x []group.Point, emit func(j, lo int, shares []group.Point)) error {
	n, m := s.p.N(), s.m
	_, coef := seededCoeffs(s.q, n)
	ks := make([][]field.Scalar, n)
	for j := 1; j <= n; j++ {
		if coef[j-1] == nil {
			continue
		}
		ks[j-1] = make([]field.Scalar, len(coef[j-1]))
		for k, c := range coef[j-1] {
			ks[j-1][k] = scalarInt(c)
		}
	}
	// The seeds' scalars are drawn in order, a batch at a time, as
	// seededScalars draws them all at once.
	streams := make([]io.Reader, len(s.q))
	for i, q := range s.q {
		if len(s.seeds[q]) != 32 {
			return errors.New("epoch: shuffle: no seed for the last round's shares")
		}
		streams[i] = mrand.NewChaCha8([32]byte(s.seeds[q]))
	}
	f := field.ScalarField{}
	b := min(m, dealBatch)
	logs := make([]field.Scalar, b)
	terms := make([][]group.Point, 1+len(s.q))
	for i := range s.q {
		terms[1+i] = make([]group.Point, b)
	}
	sh := make([]group.Point, b)
	for lo := 0; lo < m; lo += dealBatch {
		hi := min(lo+dealBatch, m)
		terms[0] = x[lo:hi]
		for i := range s.q {
			if err := f.Random(logs[:hi-lo], streams[i]); err != nil {
				return err
			}
			terms[1+i] = terms[1+i][:hi-lo]
			group.ScalarBaseMulVec(terms[1+i], logs[:hi-lo])
		}
		for j := 1; j <= n; j++ {
			if ks[j-1] == nil {
				continue
			}
			group.LinearCombination(sh[:hi-lo], ks[j-1], terms)
			emit(j, lo, sh[:hi-lo])
		}
	}
	clear(logs)
	for i := range s.q {
		clear(terms[1+i][:cap(terms[1+i])])
	}
	clear(sh)
	return nil
}

// seededLogs returns, for a party of Q, the discrete logarithms of its
// shares: M times the sum over the last round's members of their seeds'
// scalars.
func (s *shuffle) seededLogs(members []int) ([]field.Scalar, error) {
	f := field.ScalarField{}
	mult, _ := seededCoeffs(s.q, s.p.N())
	sum := make([]field.Scalar, s.m)
	for _, a := range members {
		v, err := seededScalars(s.seeds[a], s.m)
		if err != nil {
			return nil, err
		}
		f.AddVec(sum, sum, v)
		clear(v)
	}
	f.ScaleVec(sum, sum, scalarInt(mult))
	return sum, nil
}

// openTags opens the tags of forward's output, points (which it
// overwrites), or this party's shares as logarithms when it is in the
// last round's Q.
func (s *shuffle) openTags(ctx context.Context, k field.Scalar, points []group.Point) ([]string, error) {
	tags, err := openTagsOf(ctx, s.p, k, points, s.logs)
	clear(s.logs)
	s.logs = nil
	return tags, err
}

// permuteInPlace permutes x where it is, following the permutation's
// cycles, to out[k] = x[perm[k]], or with inverse out[perm[k]] = x[k];
// seen must hold len(x) falses and is overwritten.
func permuteInPlace[T any](x []T, perm []int, inverse bool, seen []bool) {
	for s := range perm {
		if seen[s] {
			continue
		}
		v := x[s] // forward: the start's old value; inverse: x[k]'s old value
		for k := s; ; {
			seen[k] = true
			j := perm[k]
			switch {
			case !inverse && j == s:
				x[k] = v
			case !inverse:
				x[k] = x[j]
			default: // out[j] = x[k]
				v, x[j] = x[j], v
			}
			if j == s {
				break
			}
			k = j
		}
	}
}

// dealBatch is the number of points dealt, encoded or decoded at a time in
// a shuffle round: a round holds a batch of coefficients and shares
// besides its messages, not one array per party.
const dealBatch = 4096

// dealPoints deals x with degree t to the parties j in 1..n for which to(j):
// a batch at a time (dealBatch), with t random coefficient points per
// element drawn from rnd (shamir.EvalPoints); emit gets party j's shares of
// x[lo:lo+len(shares)].
func dealPoints(x []group.Point, t, n int, to func(int) bool, rnd io.Reader, emit func(j, lo int, shares []group.Point)) error {
	m := len(x)
	cp := make([][]group.Point, t)
	for k := range cp {
		cp[k] = make([]group.Point, min(m, dealBatch))
	}
	for lo := 0; lo < m; lo += dealBatch {
		hi := min(lo+dealBatch, m)
		for k := range cp {
			cp[k] = cp[k][:hi-lo]
			if err := group.Random(cp[k], rnd); err != nil {
				return err
			}
		}
		for _, sh := range shamir.EvalPoints(x[lo:hi], cp, n) {
			if to(sh.X) {
				emit(sh.X, lo, sh.Y)
			}
			clear(sh.Y)
		}
	}
	for k := range cp {
		clear(cp[k][:cap(cp[k])])
	}
	return nil
}
