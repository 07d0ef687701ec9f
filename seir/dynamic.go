package seir

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// DegreeMoments returns the mean degree <k>, the mean excess degree
// (<k^2> - <k>)/<k> and the closure factor kappa = (<k^2> - <k>)/<k>^2 of
// a degree histogram (kappa is (n-1)/n on n-regular graphs and 1 for
// Poisson degrees, the two closures of [Pairwise]).
func DegreeMoments(h []DegreeCount) (mean, excess, kappa float64, err error) {
	var n, k1, k2 float64
	for _, b := range h {
		if b.Degree < 0 || b.Count < 0 {
			return 0, 0, 0, fmt.Errorf("seir: histogram bin %d,%d is negative", b.Degree, b.Count)
		}
		c, d := float64(b.Count), float64(b.Degree)
		n += c
		k1 += c * d
		k2 += c * d * d
	}
	if n == 0 || k1 == 0 {
		return 0, 0, 0, errors.New("seir: histogram has no edges")
	}
	mean = k1 / n
	excess = (k2 - k1) / k1
	kappa = (k2 - k1) / n / (mean * mean)
	return mean, excess, kappa, nil
}

// PairwiseFromHistogram returns the pairwise model on a network with the
// degree distribution h: mean degree and closure factor from h, and the
// per-edge rate tau that gives the pairwise model the early growth rate of
// the mean-field model with the given beta: r solves (r+sigma)(r+gamma) =
// beta sigma, and the linearised pairwise model grows at r when
// (r+sigma)(r+tau+gamma) = tau sigma (<k^2> - <k>)/<k>. Matching the
// growth (what the data determine) rather than R0 (which depends on the
// assumed generation interval, shorter on a network) keeps the pairwise
// curve on the data early on; its R0, T (<k^2> - <k>)/<k> with
// T = tau/(tau+gamma), is returned too. It fails when no tau reaches r.
func PairwiseFromHistogram(h []DegreeCount, beta, sigma, gamma, n, e0 float64) (pw *Pairwise, r0 float64, err error) {
	mean, excess, kappa, err := DegreeMoments(h)
	if err != nil {
		return nil, 0, err
	}
	if mean <= 1 {
		return nil, 0, fmt.Errorf("seir: mean degree %.3g must be > 1 for the pairwise model", mean)
	}
	// Growth rate of the mean-field model: the positive root of
	// r^2 + (sigma+gamma) r + sigma gamma - beta sigma = 0.
	b := sigma + gamma
	r := (-b + math.Sqrt(b*b-4*(sigma*gamma-beta*sigma))) / 2
	den := excess*sigma - r - sigma
	if !(den > 0) {
		return nil, 0, fmt.Errorf("seir: the fitted growth is out of reach on this degree distribution (mean excess degree %.3g)", excess)
	}
	tau := (r + sigma) * (r + gamma) / den
	pw = &Pairwise{Degree: mean, K: kappa, Tau: tau, Sigma: sigma, Gamma: gamma, N: n, E0: e0}
	return pw, tau / (tau + gamma) * excess, nil
}

// DynamicNetwork is the stochastic SEIR process on a contact network that
// is drawn again every day: on each day the nodes get a fresh random
// assignment of a degree sequence from the histogram (scaled to N nodes)
// and a fresh erased configuration-model graph on it. Within a day the
// process is the exact event-driven one of [Simulation] (rate Tau per
// infectious-susceptible edge, Sigma and Gamma per node); at the end of the
// day pending clocks are dropped and drawn again on the next day's graph,
// which is exact because every clock is exponential.
type DynamicNetwork struct {
	Hist              []DegreeCount
	N                 int
	Tau, Sigma, Gamma float64
}

// TauForR0 returns the per-edge rate that gives a newly infected node r0
// infections on average when its contacts are redrawn daily from the
// histogram: r0 = tau <k> / gamma (its degree on later days is not biased
// by how it was reached). Valid while tau << gamma.
func (d *DynamicNetwork) TauForR0(r0 float64) (float64, error) {
	mean, _, _, err := DegreeMoments(d.Hist)
	if err != nil {
		return 0, err
	}
	return r0 * d.Gamma / mean, nil
}

// DynamicRun is one run of a [DynamicNetwork].
type DynamicRun struct {
	Curve  *Curve    // counts at days 0..days
	Onsets []float64 // entries into I during [d, d+1), d = 0..days-1
	Edges  []int     // edges of each day's graph
}

// Run simulates days days from e0 random exposed nodes.
func (d *DynamicNetwork) Run(rng *rand.Rand, e0, days int) (*DynamicRun, error) {
	if d.N < 2 || e0 < 1 || e0 > d.N || days < 0 {
		return nil, fmt.Errorf("seir: dynamic network: need n >= 2, 1 <= e0 <= n, days >= 0")
	}
	if !nonNeg(d.Tau) || !positive(d.Sigma) || !positive(d.Gamma) {
		return nil, errors.New("seir: dynamic network: tau >= 0, sigma > 0 and gamma > 0 needed")
	}
	deg, err := DegreeSequence(d.Hist, d.N)
	if err != nil {
		return nil, err
	}
	state := make([]uint8, d.N)
	for _, s := range randomSeeds(rng, d.N, e0) {
		state[s] = stE
	}
	c := newCurve(float64(d.N), days)
	out := &DynamicRun{Curve: c, Onsets: make([]float64, days)}
	count := func(i int) {
		for _, s := range state {
			switch s {
			case stS:
				c.S[i]++
			case stE:
				c.E[i]++
			case stI:
				c.I[i]++
			default:
				c.R[i]++
			}
		}
	}
	count(0)
	var q eventQueue
	rec := make([]float64, d.N) // recovery time of an infectious node this day
	for day := range days {
		rng.Shuffle(len(deg), func(i, j int) { deg[i], deg[j] = deg[j], deg[i] })
		g, err := ConfigurationModel(rng, deg)
		if err != nil {
			return nil, err
		}
		out.Edges = append(out.Edges, g.M())
		t0, t1 := float64(day), float64(day+1)
		q.reset()
		infectious := func(j int, t float64) {
			rec[j] = t + rng.ExpFloat64()/d.Gamma
			if rec[j] < t1 {
				q.push(event{t: rec[j], node: int32(j), kind: evRecover})
			}
			if d.Tau == 0 {
				return
			}
			for _, i := range g.Neighbors(j) {
				if state[i] != stS {
					continue
				}
				ti := t + rng.ExpFloat64()/d.Tau
				if ti < rec[j] && ti < t1 {
					q.push(event{t: ti, node: i, kind: evTransmit})
				}
			}
		}
		exposed := func(i int, t float64) {
			if to := t + rng.ExpFloat64()/d.Sigma; to < t1 {
				q.push(event{t: to, node: int32(i), kind: evOnset})
			}
		}
		for i, s := range state {
			switch s {
			case stE:
				exposed(i, t0)
			case stI:
				infectious(i, t0)
			}
		}
		for q.len() > 0 {
			e := q.pop()
			i := int(e.node)
			switch e.kind {
			case evTransmit:
				if state[i] == stS {
					state[i] = stE
					exposed(i, e.t)
				}
			case evOnset:
				state[i] = stI
				out.Onsets[day]++
				infectious(i, e.t)
			case evRecover:
				state[i] = stR
			}
		}
		count(day + 1)
	}
	return out, nil
}

// DynamicBand is the summary of several runs of a [DynamicNetwork]: the
// mean daily onsets and their pointwise 5% and 95% quantiles.
type DynamicBand struct {
	Mean, Lo, Hi []float64
	MeanEdges    float64 // edges per day, averaged
}

// RunDynamic runs the dynamic network runs times (run r seeded by the PCG
// stream (seed, r)), one after another, checking ctx between runs.
func RunDynamic(ctx context.Context, d *DynamicNetwork, runs int, seed uint64, e0, days int) (*DynamicBand, error) {
	if runs < 1 {
		return nil, errors.New("seir: dynamic network: runs must be > 0")
	}
	per := make([][]float64, days)
	band := &DynamicBand{Mean: make([]float64, days), Lo: make([]float64, days), Hi: make([]float64, days)}
	edges := 0.0
	for r := range runs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := d.Run(rand.New(rand.NewPCG(seed, uint64(r))), e0, days)
		if err != nil {
			return nil, err
		}
		for t, v := range res.Onsets {
			per[t] = append(per[t], v)
			band.Mean[t] += v / float64(runs)
		}
		for _, m := range res.Edges {
			edges += float64(m) / float64(max(len(res.Edges), 1)) / float64(runs)
		}
	}
	for t := range per {
		band.Lo[t], band.Hi[t] = quantile(per[t], 0.05), quantile(per[t], 0.95)
	}
	band.MeanEdges = math.Round(edges)
	return band, nil
}
