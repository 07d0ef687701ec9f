package mpc

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc/transport"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/shamir"
)

// newChanConns returns n in-process connections.
func newChanConns(n int) []Conn {
	var out []Conn
	for _, c := range transport.NewLocal(n) {
		out = append(out, c)
	}
	return out
}

// runParties runs fn for n parties over conns and returns their results.
func runParties[E comparable, R any](t testing.TB, f field.Field[E], n, th int, conns []Conn, fn func(ctx context.Context, p *Party[E]) (R, error)) []R {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res := make([]R, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := New(ctx, f, th, conns[i])
			if err != nil {
				errs[i] = err
				return
			}
			res[i], errs[i] = fn(ctx, p)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i+1, err)
		}
	}
	return res
}

// shareAll splits secrets and returns per-party share vectors.
func shareAll[E comparable](t testing.TB, f field.Field[E], th, n int, secrets []E) [][]E {
	t.Helper()
	sh, err := shamir.Split(f, th, n, secrets, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]E, n)
	for i := range sh {
		out[i] = sh[i].Y
	}
	return out
}

func reconstruct[E comparable](t testing.TB, f field.Field[E], th int, shares [][]E) []E {
	t.Helper()
	var sh []shamir.Share[E]
	for i, y := range shares {
		sh = append(sh, shamir.Share[E]{X: i + 1, Y: y})
	}
	v, err := shamir.Reconstruct(f, th, sh)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var params = []struct{ n, t int }{{1, 0}, {3, 1}, {4, 1}, {5, 2}, {7, 3}}

func TestMulOpen(t *testing.T) {
	for _, pr := range params {
		t.Run(fmt.Sprintf("n=%d,t=%d", pr.n, pr.t), func(t *testing.T) {
			testMulOpen[field.M61](t, field.M61Field{}, pr.n, pr.t)
			testMulOpen[field.GF256](t, field.GF256Field{}, pr.n, pr.t)
		})
	}
}

func testMulOpen[E comparable](t *testing.T, f field.Field[E], n, th int) {
	const m = 100
	x, y := make([]E, m), make([]E, m)
	f.Random(x, rand.Reader)
	f.Random(y, rand.Reader)
	xs, ys := shareAll(t, f, th, n, x), shareAll(t, f, th, n, y)
	type out struct{ prod, opened, ip []E }
	res := runParties(t, f, n, th, newChanConns(n), func(ctx context.Context, p *Party[E]) (out, error) {
		i := p.ID() - 1
		z, err := p.Mul(ctx, xs[i], ys[i])
		if err != nil {
			return out{}, err
		}
		// (x*y)*x exercises a product of a product.
		z2, err := p.Mul(ctx, z, xs[i])
		if err != nil {
			return out{}, err
		}
		o, err := p.Open(ctx, z2)
		if err != nil {
			return out{}, err
		}
		ip, err := p.InnerProducts(ctx, [][]E{xs[i], xs[i][:3]}, [][]E{ys[i], ys[i][:3]})
		return out{z, o, ip}, err
	})
	var prods, ips [][]E
	for _, r := range res {
		prods = append(prods, r.prod)
		ips = append(ips, r.ip)
	}
	got := reconstruct(t, f, th, prods)
	gotIP := reconstruct(t, f, th, ips)
	for k := 0; k < m; k++ {
		want := f.Mul(x[k], y[k])
		if got[k] != want {
			t.Fatalf("product %d: got %v want %v", k, got[k], want)
		}
		for _, r := range res {
			if r.opened[k] != f.Mul(want, x[k]) {
				t.Fatalf("opened %d wrong", k)
			}
		}
	}
	if w := field.InnerProduct(f, x, y); gotIP[0] != w {
		t.Fatalf("inner product: got %v want %v", gotIP[0], w)
	}
	if w := field.InnerProduct(f, x[:3], y[:3]); gotIP[1] != w {
		t.Fatalf("short inner product: got %v want %v", gotIP[1], w)
	}
}

func TestPRSS(t *testing.T) {
	for _, pr := range params {
		f := field.M61Field{}
		type out struct{ r, z, k []E61 }
		res := runParties(t, f, pr.n, pr.t, newChanConns(pr.n), func(ctx context.Context, p *Party[E61]) (out, error) {
			r, err := p.PRSS(50)
			if err != nil {
				return out{}, err
			}
			z, err := p.PRZS(50)
			if err != nil {
				return out{}, err
			}
			k, err := p.RandomKey(ctx, 50)
			return out{r, z, k}, err
		})
		var rs, zs, ks [][]E61
		for _, o := range res {
			rs, zs, ks = append(rs, o.r), append(zs, o.z), append(ks, o.k)
		}
		r := reconstruct(t, f, pr.t, rs)
		k := reconstruct(t, f, pr.t, ks)
		zero := reconstruct(t, f, 2*pr.t, zs)
		nonzero := 0
		for i := range r {
			if r[i] != 0 {
				nonzero++
			}
			if zero[i] != 0 {
				t.Fatalf("n=%d t=%d: PRZS secret %d = %v", pr.n, pr.t, i, zero[i])
			}
			if k[i] == 0 {
				t.Fatalf("zero key")
			}
		}
		if nonzero < 45 {
			t.Fatalf("PRSS looks degenerate: %d non-zero of %d", nonzero, len(r))
		}
		if pr.t > 0 && pr.n > 2*pr.t {
			// Zero shares of degree 2t are not all zero (the randomness is real).
			allZero := true
			for _, v := range zs[0] {
				allZero = allZero && v == 0
			}
			if allZero {
				t.Fatal("PRZS shares are all zero")
			}
		}
	}
}

type E61 = field.M61
