package seir

import (
	"fmt"
	"math"
)

// NodeParams holds per-node epidemic parameters for a graph of N nodes. Node
// j infects a susceptible neighbour i at rate tau*A[j]*B[i]; node i leaves the
// exposed class at rate Sigma[i] and recovers at rate Gamma[i]. All four
// slices have length N. The models read NodeParams and never modify it.
type NodeParams struct {
	A     []float64 // infectiousness, >= 0
	B     []float64 // susceptibility, >= 0
	Sigma []float64 // rate E -> I, > 0
	Gamma []float64 // rate I -> R, > 0
}

// UniformParams returns parameters for n identical nodes with a = b = 1.
func UniformParams(n int, sigma, gamma float64) *NodeParams {
	p := &NodeParams{
		A:     make([]float64, n),
		B:     make([]float64, n),
		Sigma: make([]float64, n),
		Gamma: make([]float64, n),
	}
	for i := range n {
		p.A[i], p.B[i], p.Sigma[i], p.Gamma[i] = 1, 1, sigma, gamma
	}
	return p
}

// N returns the number of nodes the parameters describe.
func (p *NodeParams) N() int { return len(p.A) }

// Validate reports whether p describes n nodes with finite rates, a and b
// non-negative and sigma and gamma positive.
func (p *NodeParams) Validate(n int) error {
	if len(p.A) != n || len(p.B) != n || len(p.Sigma) != n || len(p.Gamma) != n {
		return fmt.Errorf("seir: parameters for %d nodes, graph has %d", len(p.A), n)
	}
	for i := range n {
		if !nonNeg(p.A[i]) || !nonNeg(p.B[i]) {
			return fmt.Errorf("seir: node %d: a and b must be finite and >= 0", i)
		}
		if !positive(p.Sigma[i]) || !positive(p.Gamma[i]) {
			return fmt.Errorf("seir: node %d: sigma and gamma must be finite and > 0", i)
		}
	}
	return nil
}

func nonNeg(x float64) bool   { return x >= 0 && !math.IsInf(x, 0) }
func positive(x float64) bool { return x > 0 && !math.IsInf(x, 0) }

// checkSeeds reports whether seeds are distinct nodes of 0..n-1.
func checkSeeds(seeds []int, n int) error {
	seen := make(map[int]bool, len(seeds))
	for _, s := range seeds {
		if s < 0 || s >= n {
			return fmt.Errorf("seir: seed %d outside 0..%d", s, n-1)
		}
		if seen[s] {
			return fmt.Errorf("seir: seed %d listed twice", s)
		}
		seen[s] = true
	}
	return nil
}
