package epoch

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/mpc/transport"
)

// TestShuffleForward runs the shuffle on shared random points and weights
// and checks what comes out against the plaintext: every party's point
// shares, those of Q given as logarithms (the seed-derived shares) and the
// others received, lie on one polynomial of degree t (so a seed-derived
// share is exactly what the dealers would have sent), whose value at 0 is
// the permuted input times the public scale; the weights come out
// permuted; and the tags equal K times the scaled permuted points. n = 4
// and n = 6 have parties outside both the last round's members and Q,
// which receive their shares.
func TestShuffleForward(t *testing.T) {
	for _, pr := range []struct{ n, t int }{{3, 1}, {4, 1}, {5, 2}, {6, 2}, {5, 1}} {
		t.Run(fmt.Sprintf("n=%d,t=%d", pr.n, pr.t), func(t *testing.T) {
			testShuffleForward(t, pr.n, pr.t, 300)
		})
	}
}

func testShuffleForward(t *testing.T, n, th, m int) {
	f := field.ScalarField{}
	pts := make([]group.Point, m)
	if err := group.Random(pts, rand.Reader); err != nil {
		t.Fatal(err)
	}
	ws := make([]field.Scalar, 2*m) // two classes
	if err := f.Random(ws, rand.Reader); err != nil {
		t.Fatal(err)
	}
	ps, err := shamir.SplitPoints(th, n, pts, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wsh, err := shamir.Split[field.Scalar](f, th, n, ws, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	conns := transport.NewLocal(n)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type result struct {
		sh   *shuffle
		pts  []group.Point
		logs []field.Scalar
		ws   []field.Scalar
		key  field.Scalar
		tags []string
	}
	res := make([]result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns[i].Close()
			errs[i] = func() error {
				p, err := mpc.New(ctx, f, th, conns[i])
				if err != nil {
					return err
				}
				key, err := p.RandomKey(ctx, 1)
				if err != nil {
					return err
				}
				sh, err := newShuffle(ctx, p, m)
				if err != nil {
					return err
				}
				out, w, err := sh.forward(ctx, slices.Clone(ps[i].Y), slices.Clone(wsh[i].Y))
				if err != nil {
					return err
				}
				res[i] = result{sh: sh, pts: out, logs: slices.Clone(sh.logs), ws: w, key: key[0]}
				res[i].tags, err = sh.openTags(ctx, key[0], slices.Clone(out))
				return err
			}()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i+1, err)
		}
	}

	// The permutation and the scale, from the parties that know them.
	sh := res[0].sh
	perm := make([]int, m) // out[k] = in[perm[k]]
	for k := range perm {
		perm[k] = k
	}
	scale := int64(1)
	for r, round := range sh.rounds {
		a := round.members
		rp := res[a[0]-1].sh.rounds[r].perm
		perm = permute(perm, rp, false)
		var d int64 = 1
		for _, xi := range a {
			var den int64 = 1
			for _, xj := range a {
				if xj != xi {
					den *= int64(xj - xi)
				}
			}
			d = lcm(d, abs(den))
		}
		scale *= d
	}
	q := sh.q
	if len(q) != th {
		t.Fatalf("Q = %v, want %d parties", q, th)
	}
	mult, _ := seededCoeffs(q, n)
	scale *= mult

	shares := make([]shamir.PointShare, n)
	for i := range n {
		inQ := slices.Contains(q, i+1)
		switch {
		case inQ && (res[i].pts != nil || len(res[i].logs) != m):
			t.Fatalf("party %d in Q: %d points, %d logs, want none and %d", i+1, len(res[i].pts), len(res[i].logs), m)
		case !inQ && (len(res[i].pts) != m || res[i].logs != nil):
			t.Fatalf("party %d: %d points, %d logs, want %d and none", i+1, len(res[i].pts), len(res[i].logs), m)
		}
		y := res[i].pts
		if inQ {
			y = make([]group.Point, m)
			group.ScalarBaseMulVec(y, res[i].logs)
		}
		shares[i] = shamir.PointShare{X: i + 1, Y: y}
	}
	got, err := shamir.ReconstructPoints(th, shares)
	if err != nil {
		t.Fatalf("shuffled point shares: %v", err)
	}
	want := make([]group.Point, m)
	group.LinearCombination(want, []field.Scalar{scalarInt(scale)}, [][]group.Point{permute(pts, perm, false)})
	if !group.EqualVec(got, want) {
		t.Fatalf("shuffled points are not %d times the permuted input", scale)
	}

	wshares := make([]shamir.Share[field.Scalar], n)
	for i := range n {
		wshares[i] = shamir.Share[field.Scalar]{X: i + 1, Y: res[i].ws}
	}
	gotW, err := shamir.Reconstruct[field.Scalar](f, th, wshares)
	if err != nil {
		t.Fatalf("shuffled weights: %v", err)
	}
	wantW := append(permute(ws[:m], perm, false), permute(ws[m:], perm, false)...)
	if !slices.Equal(gotW, wantW) {
		t.Fatal("shuffled weights are not the permuted input")
	}

	keys := make([]shamir.Share[field.Scalar], n)
	for i := range n {
		keys[i] = shamir.Share[field.Scalar]{X: i + 1, Y: []field.Scalar{res[i].key}}
	}
	k, err := shamir.Reconstruct[field.Scalar](f, th, keys)
	if err != nil {
		t.Fatal(err)
	}
	tagPts := make([]group.Point, m)
	group.ScaleVec(tagPts, want, k[0])
	enc := group.AppendVec(nil, tagPts)
	for i := range n {
		for j, tag := range res[i].tags {
			if tag != string(enc[j*group.Size:(j+1)*group.Size]) {
				t.Fatalf("party %d: tag %d is not K times the shuffled point", i+1, j)
			}
		}
	}
}

// TestShuffleSeededCoeffs checks the integers of the seeded dealing: the
// polynomial with f(0) = M x and f(q) = M S_q takes at j the value
// c_0(j) x + sum_q c_q(j) S_q, checked on scalars for every j outside Q.
func TestShuffleSeededCoeffs(t *testing.T) {
	f := field.ScalarField{}
	for _, pr := range []struct{ n, t int }{{3, 1}, {4, 1}, {5, 2}, {7, 3}, {9, 4}} {
		subsets := mpc.Subsets(pr.n, pr.t)
		q := subsets[len(subsets)-1]
		mult, coef := seededCoeffs(q, pr.n)
		// A random polynomial with f(0) = x and f(q) = s_q, interpolated
		// through {0} and Q, times M.
		vals := make([]field.Scalar, pr.t+1)
		if err := f.Random(vals, rand.Reader); err != nil {
			t.Fatal(err)
		}
		nodes := append([]int{0}, q...)
		for j := 1; j <= pr.n; j++ {
			if slices.Contains(q, j) {
				if coef[j-1] != nil {
					t.Fatalf("n=%d t=%d: coefficients for party %d in Q", pr.n, pr.t, j)
				}
				continue
			}
			var want, got field.Scalar
			for k, xk := range nodes {
				// Lagrange basis polynomial of node k at j.
				lam := f.One()
				for _, xl := range nodes {
					if xl != xk {
						inv, err := f.Inv(scalarInt(int64(xk - xl)))
						if err != nil {
							t.Fatal(err)
						}
						lam = f.Mul(lam, f.Mul(scalarInt(int64(j-xl)), inv))
					}
				}
				want = f.Add(want, f.Mul(f.Mul(lam, scalarInt(mult)), vals[k]))
				got = f.Add(got, f.Mul(scalarInt(coef[j-1][k]), vals[k]))
			}
			if got != want {
				t.Fatalf("n=%d t=%d: party %d's coefficients %v (M = %d) do not interpolate", pr.n, pr.t, j, coef[j-1], mult)
			}
		}
	}
}

func TestPermuteInPlace(t *testing.T) {
	r := mrand.New(mrand.NewPCG(3, 4))
	for _, m := range []int{0, 1, 2, 3, 10, 257} {
		perm := r.Perm(m)
		x := r.Perm(m)
		for _, inverse := range []bool{false, true} {
			got := slices.Clone(x)
			permuteInPlace(got, perm, inverse, make([]bool, m))
			if want := permute(x, perm, inverse); !slices.Equal(got, want) {
				t.Errorf("m=%d inverse=%v: %v, want %v", m, inverse, got, want)
			}
		}
	}
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
