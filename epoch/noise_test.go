package epoch

import (
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/safetrace/safetrace/mpc/transport"
)

// injection is the population of the group-size injection attack (issue
// 12, leak 1): the curious party's clients put inject records on the guessed
// key "target", honest users put c records there, and in the world with
// c-1 honest records there the remaining honest record is alone on a key of
// its own, so both worlds have the same number of records (which the
// parties see anyway). A few other records fill groups of size 1 and 2.
func injection(inject, c int, moved bool) []plainRecord {
	var recs []plainRecord
	u := 0
	add := func(key string) {
		recs = append(recs, plainRecord{user: u, report: -1, key: key, mins: 10})
		u++
	}
	for range inject {
		add("target")
	}
	for i := range c {
		if moved && i == c-1 {
			add("elsewhere")
			continue
		}
		add("target")
	}
	for i := range 4 {
		add(fmt.Sprint("other", i))
	}
	add("pair")
	add("pair")
	return recs
}

// TestLeakGroupSizeInjection plays the curious party 1 of issue 12, leak 1:
// it injects 2 records on a guessed key, on which honest users have 1 or 2
// records, and reads the group sizes it sees after the tags. Without noise
// the two worlds differ exactly: a group of size 3 against one of size 4.
// With noise at (epsilon, delta) per key, the attacker's best single
// statistic for this question, X = (groups of size 4) - (groups of size 3),
// must satisfy the differential-privacy inequality P0(E) <= e^epsilon P1(E)
// + delta (and the other way round) for every event E = {X >= x} and
// {X <= x}, within sampling error.
func TestLeakGroupSizeInjection(t *testing.T) {
	const inject = 2
	stat := func(st Stats) int { return st.GroupSizes[inject+2] - st.GroupSizes[inject+1] }
	view := func(prm Params, moved bool, runs int) []int {
		shares := share(t, injection(inject, 2, moved), 3, 1, -1)
		var xs []int
		for range runs {
			outs := runEpoch(t, transport.NewLocal(3), 1, shares, prm)
			xs = append(xs, stat(outs[0].Stats))
		}
		return xs
	}

	// Without noise: exact.
	plain := Params{Threshold: 10000, MaxWeight: 1600}
	x0, x1 := view(plain, true, 3), view(plain, false, 3)
	for i := range x0 {
		if x0[i] != -1 || x1[i] != 1 {
			t.Fatalf("without noise the attacker sees %d and %d, want -1 and 1", x0[i], x1[i])
		}
	}

	// With noise.
	eps := 2.0
	prm := Params{Threshold: 10000, MaxWeight: 1600, NoiseEpsilon: eps, NoiseDelta: 1e-6, NoiseMaxGroup: inject + 2}
	runs := 80
	if testing.Short() {
		runs = 30
	}
	x0, x1 = view(prm, true, runs), view(prm, false, runs)
	worst := dpCheck(t, x0, x1, eps)
	// The noise is as planned: X = D_4 - D_3 -/+ 1 with D_s the sum of 3
	// discrete Laplace values of parameter exp(-eps/2), so each world's X
	// has mean -1 or 1 and variance 2 * 3 * 2a/(1-a)^2.
	a := math.Exp(-eps / 2)
	sd := math.Sqrt(6 * 2 * a / ((1 - a) * (1 - a)))
	for i, xs := range [][]int{x0, x1} {
		want := float64(2*i - 1)
		if m := mean(xs); math.Abs(m-want) > 4*sd/math.Sqrt(float64(runs)) {
			t.Errorf("world %d: mean %.2f, want %.0f (noise sd %.2f)", i, m, want, sd)
		}
		if got := stddev(xs); got < sd/2 || got > 2*sd {
			t.Errorf("world %d: standard deviation %.2f, want about %.2f", i, got, sd)
		}
	}
	t.Logf("noise: %d runs per world, means %.2f and %.2f, largest ratio of tail frequencies %.2f (bound e^%.0f = %.2f)",
		runs, mean(x0), mean(x1), worst, eps, math.Exp(eps))
}

// dpCheck checks P0(E) <= e^eps P1(E) + slack and the reverse for all tail
// events of the samples, slack being 4 standard errors of the two
// frequencies; it returns the largest ratio seen among events frequent
// enough to measure.
func dpCheck(t *testing.T, x0, x1 []int, eps float64) float64 {
	t.Helper()
	vals := map[int]bool{}
	for _, x := range append(append([]int(nil), x0...), x1...) {
		vals[x] = true
	}
	var vs []int
	for v := range vals {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	freq := func(xs []int, in func(int) bool) float64 {
		k := 0
		for _, x := range xs {
			if in(x) {
				k++
			}
		}
		return float64(k) / float64(len(xs))
	}
	se := func(p float64, n int) float64 { return math.Sqrt(max(p*(1-p), 1/float64(n)) / float64(n)) }
	e := math.Exp(eps)
	worst := 0.0
	for _, v := range vs {
		for _, ev := range []struct {
			name string
			in   func(int) bool
		}{
			{fmt.Sprintf("X >= %d", v), func(x int) bool { return x >= v }},
			{fmt.Sprintf("X <= %d", v), func(x int) bool { return x <= v }},
		} {
			p0, p1 := freq(x0, ev.in), freq(x1, ev.in)
			for _, pq := range [][2]float64{{p0, p1}, {p1, p0}} {
				a, b := pq[0], pq[1]
				slack := 4 * math.Hypot(se(a, len(x0)), e*se(b, len(x1)))
				if a > e*b+slack {
					t.Errorf("%s: frequencies %.3f and %.3f, beyond e^%.1f within sampling error", ev.name, a, b, eps)
				}
				if a >= 0.1 && b >= 0.1 {
					worst = max(worst, a/b)
				}
			}
		}
	}
	return worst
}

func stddev(xs []int) float64 {
	m, v := mean(xs), 0.0
	for _, x := range xs {
		v += (float64(x) - m) * (float64(x) - m)
	}
	return math.Sqrt(v / float64(len(xs)-1))
}

// TestNoisePlan checks the shift against the closed form for one party
// (P(Z <= -mu) = alpha^mu / (1 + alpha)), that more parties need more, the
// cap and the parameter ranges.
func TestNoisePlan(t *testing.T) {
	for _, eps := range []float64{0.5, 1, 2} {
		delta := 1e-6
		pl, err := planNoise(Params{NoiseEpsilon: eps, NoiseDelta: delta}, 1)
		if err != nil {
			t.Fatal(err)
		}
		a := math.Exp(-eps / 2)
		tail := func(mu int) float64 { return math.Pow(a, float64(mu)) / (1 + a) }
		if tail(pl.mu) > delta/4 || tail(pl.mu-1) <= delta/4 {
			t.Errorf("eps %v: mu %d, tails %g and %g around delta/4 = %g", eps, pl.mu, tail(pl.mu), tail(pl.mu-1), delta/4)
		}
		if pl.sizes != 6 || pl.c != 2*pl.mu || pl.records != pl.c*21 {
			t.Errorf("eps %v: plan %+v", eps, *pl)
		}
		p3, _ := planNoise(Params{NoiseEpsilon: eps, NoiseDelta: delta}, 3)
		if p3.mu <= pl.mu {
			t.Errorf("eps %v: mu %d for 3 parties, %d for 1", eps, p3.mu, pl.mu)
		}
	}
	pl, err := planNoise(Params{NoiseEpsilon: 1, NoiseDelta: 1e-6, NoiseMaxGroup: 8, NoiseMaxRecords: 1000}, 3)
	if err != nil || pl.records > 1000 || pl.sizes >= 8 {
		t.Errorf("capped plan %+v, %v", pl, err)
	}
	if pl, err := planNoise(Params{}, 3); pl != nil || err != nil {
		t.Errorf("no noise: %v, %v", pl, err)
	}
	for _, prm := range []Params{
		{NoiseEpsilon: 0.01, NoiseDelta: 1e-6},
		{NoiseEpsilon: 1},
		{NoiseEpsilon: 1, NoiseDelta: 0.5},
		{NoiseEpsilon: 1, NoiseDelta: 1e-6, NoiseMaxGroup: 65},
		{NoiseEpsilon: 1, NoiseDelta: 1e-6, NoiseMaxRecords: 10},
	} {
		if _, err := planNoise(prm, 3); err == nil {
			t.Errorf("%+v accepted", prm)
		}
	}
}

func mean(xs []int) float64 {
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs))
}
