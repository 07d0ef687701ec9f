package seir

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/stat"
)

// EnsembleConfig describes a set of independent runs of a [Simulation].
type EnsembleConfig struct {
	Runs int    // number of runs, > 0
	Seed uint64 // run r uses rand.New(rand.NewPCG(Seed, r))
	Days int    // horizon and curve length
	// Seeds lists the nodes exposed at time 0 in every run. If it is empty,
	// each run instead exposes E0 distinct nodes drawn uniformly at random.
	Seeds []int
	E0    int
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	// The result does not depend on it.
	Workers int
}

// RunSummary is the summary of one run of an ensemble.
type RunSummary struct {
	FinalSize int
	Peak      int
	PeakTime  float64
	Events    int
}

// Ensemble holds the results of [RunEnsemble].
type Ensemble struct {
	N      float64
	Days   int
	Runs   []RunSummary
	curves []*Curve // per run
	// NodeInfected[i] is the fraction of runs in which node i was infected.
	NodeInfected []float64
}

// RunEnsemble performs cfg.Runs independent runs of sim in parallel. Run r
// draws everything, including random seeds, from its own generator seeded by
// (cfg.Seed, r), so results are reproducible whatever the scheduling. It
// stops early with ctx's error if ctx is cancelled.
func RunEnsemble(ctx context.Context, sim *Simulation, cfg EnsembleConfig) (*Ensemble, error) {
	if err := sim.Validate(); err != nil {
		return nil, err
	}
	n := sim.Graph.N()
	switch {
	case cfg.Runs <= 0:
		return nil, errors.New("seir: need at least one run")
	case cfg.Days < 0:
		return nil, errors.New("seir: days must be >= 0")
	case len(cfg.Seeds) == 0 && (cfg.E0 <= 0 || cfg.E0 > n):
		return nil, fmt.Errorf("seir: need seed nodes or 1 <= e0 <= %d, got e0=%d", n, cfg.E0)
	}
	if err := checkSeeds(cfg.Seeds, n); err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, cfg.Runs)
	ens := &Ensemble{N: float64(n), Days: cfg.Days, Runs: make([]RunSummary, cfg.Runs),
		curves: make([]*Curve, cfg.Runs), NodeInfected: make([]float64, n)}
	next := make(chan int)
	counts := make([][]int32, workers)
	var wg sync.WaitGroup
	for w := range workers {
		counts[w] = make([]int32, n)
		wg.Go(func() {
			r := newRunner(sim)
			var seeds []int
			for run := range next {
				rng := rand.New(rand.NewPCG(cfg.Seed, uint64(run)))
				seeds = cfg.Seeds
				if len(seeds) == 0 {
					seeds = randomSeeds(rng, n, cfg.E0)
				}
				c := newCurve(float64(n), cfg.Days)
				res := r.run(rng, seeds, cfg.Days, c)
				ens.curves[run] = c
				ens.Runs[run] = RunSummary{res.FinalSize, res.Peak, res.PeakTime, res.Events}
				for i := range r.nodes {
					if r.nodes[i].state != stS {
						counts[w][i]++
					}
				}
			}
		})
	}
	var err error
feed:
	for run := range cfg.Runs {
		select {
		case next <- run:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	for _, cw := range counts {
		for i, k := range cw {
			ens.NodeInfected[i] += float64(k)
		}
	}
	for i := range ens.NodeInfected {
		ens.NodeInfected[i] /= float64(cfg.Runs)
	}
	return ens, nil
}

// randomSeeds returns k distinct nodes of 0..n-1 drawn uniformly.
func randomSeeds(rng *rand.Rand, n, k int) []int {
	if 4*k > n {
		return rng.Perm(n)[:k]
	}
	seen := make(map[int]bool, k)
	out := make([]int, 0, k)
	for len(out) < k {
		v := rng.IntN(n)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Curve returns the curve of run r. It is shared with e and must not be
// modified.
func (e *Ensemble) Curve(r int) *Curve { return e.curves[r] }

// Mean returns the mean over runs of the counts at each day.
func (e *Ensemble) Mean() *Curve {
	m := newCurve(e.N, e.Days)
	for _, c := range e.curves {
		for d := range m.T {
			m.S[d] += c.S[d]
			m.E[d] += c.E[d]
			m.I[d] += c.I[d]
			m.R[d] += c.R[d]
		}
	}
	k := float64(len(e.curves))
	for d := range m.T {
		m.S[d] /= k
		m.E[d] /= k
		m.I[d] /= k
		m.R[d] /= k
	}
	return m
}

// Quantile returns, for each day and class separately, the p-quantile over
// runs of the counts (the empirical quantile of gonum's stat.Empirical),
// 0 <= p <= 1. The result is a pointwise band, not the curve of any one run.
func (e *Ensemble) Quantile(p float64) (*Curve, error) {
	if !(p >= 0 && p <= 1) {
		return nil, fmt.Errorf("seir: quantile %g outside [0, 1]", p)
	}
	q := newCurve(e.N, e.Days)
	x := make([]float64, len(e.curves))
	for k := range 4 {
		dst := q.class(k)
		for d := range q.T {
			for r, c := range e.curves {
				x[r] = c.class(k)[d]
			}
			slices.Sort(x)
			dst[d] = stat.Quantile(p, stat.Empirical, x, nil)
		}
	}
	return q, nil
}
