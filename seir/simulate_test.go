package seir

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// treeFixture is a random tree with heterogeneous node parameters.
func treeFixture(t *testing.T, n int, seed uint64) (*Graph, *NodeParams, []int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	parent := make([]int, n)
	var edges [][2]int
	for v := 1; v < n; v++ {
		parent[v] = rng.IntN(v)
		edges = append(edges, [2]int{parent[v], v})
	}
	g, err := NewGraph(n, edges)
	if err != nil {
		t.Fatal(err)
	}
	p := UniformParams(n, 1, 1)
	for i := range n {
		p.A[i] = 0.5 + rng.Float64()
		p.B[i] = 0.5 + rng.Float64()
		p.Sigma[i] = 0.2 + rng.Float64()
		p.Gamma[i] = 0.3 + rng.Float64()
	}
	return g, p, parent
}

// treeInfectionProb returns, for a tree rooted at the single seed 0 with
// parent pointers, the probability that each node is ever infected: the
// product along the path of T_ji/(T_ji + gamma_j).
func treeInfectionProb(p *NodeParams, tau float64, parent []int) []float64 {
	prob := make([]float64, len(parent))
	prob[0] = 1
	for v := 1; v < len(parent); v++ { // parents have smaller ids
		j := parent[v]
		rate := tau * p.A[j] * p.B[v]
		prob[v] = prob[j] * rate / (rate + p.Gamma[j])
	}
	return prob
}

// TestPairBasedExactOnTree checks the node-level pair-based model against the
// exact per-node infection probabilities on a tree.
func TestPairBasedExactOnTree(t *testing.T) {
	g, p, parent := treeFixture(t, 40, 7)
	const tau = 1.3
	pb := PairBased{Graph: g, Params: p, Tau: tau, Seeds: []int{0}}
	res, err := pb.Solve(400)
	if err != nil {
		t.Fatal(err)
	}
	want := treeInfectionProb(p, tau, parent)
	for i, w := range want {
		got := 1 - res.Node[0][i]
		if math.Abs(got-w) > 1e-7 {
			t.Errorf("node %d: pair-based P(infected) = %.9f, exact %.9f", i, got, w)
		}
	}
}

// TestSimulationMatchesTree checks the stochastic simulation per
// node against the exact tree probabilities, within statistical error.
func TestSimulationMatchesTree(t *testing.T) {
	g, p, parent := treeFixture(t, 40, 7)
	const tau, runs = 1.3, 20000
	sim := &Simulation{Graph: g, Params: p, Tau: tau}
	ens, err := RunEnsemble(context.Background(), sim, EnsembleConfig{Runs: runs, Seed: 1, Days: 400, Seeds: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	want := treeInfectionProb(p, tau, parent)
	for i, w := range want {
		se := math.Sqrt(w * (1 - w) / runs)
		if d := math.Abs(ens.NodeInfected[i] - w); d > 4.5*se+1e-12 {
			t.Errorf("node %d: simulated %.4f, exact %.4f (%.1f standard errors)", i, ens.NodeInfected[i], w, d/se)
		}
	}
}

// TestSimulationMatchesPairwiseRegular compares the mean over runs on a random
// 6-regular graph with the pairwise model with kappa = (n-1)/n.
func TestSimulationMatchesPairwiseRegular(t *testing.T) {
	const n, k, e0, runs, days = 4000, 6, 40, 200, 120
	const tau, sigma, gamma = 0.25, 0.5, 0.4
	g, err := RandomRegular(rand.New(rand.NewPCG(3, 4)), n, k)
	if err != nil {
		t.Fatal(err)
	}
	sim := &Simulation{Graph: g, Params: UniformParams(n, sigma, gamma), Tau: tau}
	ens, err := RunEnsemble(context.Background(), sim, EnsembleConfig{Runs: runs, Seed: 9, Days: days, E0: e0})
	if err != nil {
		t.Fatal(err)
	}
	pw := Pairwise{Degree: k, Tau: tau, Sigma: sigma, Gamma: gamma, N: n, E0: e0}
	want, err := pw.Solve(days)
	if err != nil {
		t.Fatal(err)
	}
	mean := ens.Mean()
	for d := 0; d <= days; d += 5 {
		for cls, name := range []string{"S", "E", "I", "R"} {
			var ss float64
			for r := range runs {
				x := ens.Curve(r).class(cls)[d] - mean.class(cls)[d]
				ss += x * x
			}
			se := math.Sqrt(ss / (runs - 1) / runs)
			got, w := mean.class(cls)[d], want.class(cls)[d]
			// Allow 4.5 standard errors plus 0.5% of N for the finite graph.
			if math.Abs(got-w) > 4.5*se+0.005*n {
				t.Errorf("day %d %s: simulated mean %.1f, pairwise %.1f (se %.1f)", d, name, got, w, se)
			}
		}
	}
}

func TestEnsembleDeterministic(t *testing.T) {
	g, err := ErdosRenyi(rand.New(rand.NewPCG(1, 2)), 500, 5)
	if err != nil {
		t.Fatal(err)
	}
	sim := &Simulation{Graph: g, Params: UniformParams(500, 0.5, 0.3), Tau: 0.3}
	cfg := EnsembleConfig{Runs: 16, Seed: 5, Days: 60, E0: 3}
	var first []RunSummary
	for _, w := range []int{1, 3} {
		cfg.Workers = w
		ens, err := RunEnsemble(context.Background(), sim, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = ens.Runs
			continue
		}
		for i := range first {
			if first[i] != ens.Runs[i] {
				t.Fatalf("run %d differs between worker counts: %+v vs %+v", i, first[i], ens.Runs[i])
			}
		}
	}
}

func TestRunCurveConsistent(t *testing.T) {
	g, err := ErdosRenyi(rand.New(rand.NewPCG(1, 2)), 300, 4)
	if err != nil {
		t.Fatal(err)
	}
	sim := &Simulation{Graph: g, Params: UniformParams(300, 1, 0.5), Tau: 0.5}
	res, err := sim.Run(rand.New(rand.NewPCG(8, 8)), []int{0, 1}, 200)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Curve
	if c.E[0] != 2 || c.S[0] != 298 {
		t.Errorf("day 0: S=%g E=%g, want 298 and 2", c.S[0], c.E[0])
	}
	for d := range c.T {
		if c.S[d]+c.E[d]+c.I[d]+c.R[d] != 300 {
			t.Fatalf("day %d: classes do not sum to N", d)
		}
	}
	infected := 0
	for _, b := range res.Infected {
		if b {
			infected++
		}
	}
	if infected != res.FinalSize || float64(res.FinalSize) != 300-c.S[200] {
		t.Errorf("final size %d, infected flags %d, curve %g", res.FinalSize, infected, 300-c.S[200])
	}
	if res.Events != 3*res.FinalSize-int(c.E[200])*2-int(c.I[200]) {
		t.Errorf("events %d inconsistent with final size %d", res.Events, res.FinalSize)
	}
	if float64(res.Peak) < maxOf(c.I) {
		t.Errorf("peak %d below the daily maximum %g", res.Peak, maxOf(c.I))
	}
}

func maxOf(x []float64) float64 { return x[peakIndex(x)] }

func TestSimulationInvalid(t *testing.T) {
	g, _ := NewGraph(3, [][2]int{{0, 1}, {1, 2}})
	rng := rand.New(rand.NewPCG(1, 1))
	for name, tc := range map[string]struct {
		sim   Simulation
		seeds []int
	}{
		"no params":      {Simulation{Graph: g, Tau: 1}, []int{0}},
		"params too few": {Simulation{Graph: g, Params: UniformParams(2, 1, 1), Tau: 1}, []int{0}},
		"negative tau":   {Simulation{Graph: g, Params: UniformParams(3, 1, 1), Tau: -1}, []int{0}},
		"seed range":     {Simulation{Graph: g, Params: UniformParams(3, 1, 1), Tau: 1}, []int{3}},
		"seed twice":     {Simulation{Graph: g, Params: UniformParams(3, 1, 1), Tau: 1}, []int{1, 1}},
	} {
		if _, err := tc.sim.Run(rng, tc.seeds, 10); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
