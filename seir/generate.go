package seir

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/graphs/gen"
	"gonum.org/v1/gonum/graph/simple"
)

// RandomRegular returns a random simple k-regular graph on n nodes, drawn by
// the pairing algorithm of Steger and Wormald ("Generating random regular
// graphs quickly", Combin. Probab. Comput. 8, 1999): stubs are paired at
// random, pairs that would make a loop or a multiple edge are redrawn, and
// the whole pairing restarts if it gets stuck. The distribution is
// asymptotically uniform for fixed k. n*k must be even and k < n.
func RandomRegular(rng *rand.Rand, n, k int) (*Graph, error) {
	switch {
	case n <= 0 || k < 0:
		return nil, fmt.Errorf("seir: need n > 0 and k >= 0, got n=%d k=%d", n, k)
	case k >= n:
		return nil, fmt.Errorf("seir: degree %d needs more than %d nodes", k, n)
	case n*k%2 != 0:
		return nil, fmt.Errorf("seir: n*k = %d*%d must be even", n, k)
	}
	deg := make([]int, n)
	for i := range deg {
		deg[i] = k
	}
	for range 100 {
		if edges, ok := pairStubs(rng, deg, true); ok {
			return NewGraph(n, edges)
		}
	}
	return nil, errors.New("seir: could not pair stubs into a simple regular graph")
}

// ConfigurationModel returns a graph on len(deg) nodes whose node i has
// degree at most deg[i]: stubs are paired uniformly at random and the
// resulting loops and multiple edges are erased (the erased configuration
// model; Britton, Deijfen and Martin-Lof, J. Stat. Phys. 124, 2006). The
// degree sum must be even.
func ConfigurationModel(rng *rand.Rand, deg []int) (*Graph, error) {
	total := 0
	for i, d := range deg {
		if d < 0 {
			return nil, fmt.Errorf("seir: node %d: negative degree %d", i, d)
		}
		total += d
	}
	if total%2 != 0 {
		return nil, fmt.Errorf("seir: degree sum %d is odd", total)
	}
	edges, _ := pairStubs(rng, deg, false)
	return NewGraph(len(deg), edges)
}

// pairStubs pairs the stubs of the degree sequence at random. With reject,
// a pair forming a loop or a repeated edge is redrawn and ok is false if the
// pairing gets stuck; otherwise such pairs are dropped.
func pairStubs(rng *rand.Rand, deg []int, reject bool) (edges [][2]int, ok bool) {
	var stubs []int32
	for i, d := range deg {
		for range d {
			stubs = append(stubs, int32(i))
		}
	}
	seen := make(map[[2]int32]bool, len(stubs)/2)
	key := func(u, v int32) [2]int32 {
		if u > v {
			u, v = v, u
		}
		return [2]int32{u, v}
	}
	for len(stubs) > 0 {
		placed := false
		for try := 0; try < 50+len(stubs); try++ {
			i, j := rng.IntN(len(stubs)), rng.IntN(len(stubs))
			u, v := stubs[i], stubs[j]
			if i == j || (reject && (u == v || seen[key(u, v)])) {
				continue
			}
			if u != v && !seen[key(u, v)] {
				seen[key(u, v)] = true
				edges = append(edges, [2]int{int(u), int(v)})
			}
			// Remove stubs i and j, larger index first.
			i, j = max(i, j), min(i, j)
			stubs[i] = stubs[len(stubs)-1]
			stubs = stubs[:len(stubs)-1]
			stubs[j] = stubs[len(stubs)-1]
			stubs = stubs[:len(stubs)-1]
			placed = true
			break
		}
		if !placed {
			return nil, false
		}
	}
	return edges, true
}

// ErdosRenyi returns a G(n, p) random graph with p = meanDegree/(n-1), drawn
// with gonum's implementation of the Batagelj-Brandes algorithm in
// O(n + m) time.
func ErdosRenyi(rng *rand.Rand, n int, meanDegree float64) (*Graph, error) {
	if n <= 0 || !(meanDegree >= 0) || (n > 1 && meanDegree > float64(n-1)) {
		return nil, fmt.Errorf("seir: need n > 0 and 0 <= mean degree <= n-1, got n=%d k=%g", n, meanDegree)
	}
	p := 0.0
	if n > 1 {
		p = meanDegree / float64(n-1)
	}
	rec := &edgeRecorder{}
	if err := gen.Gnp(rec, n, p, rngSource{rng}); err != nil {
		return nil, fmt.Errorf("seir: %w", err)
	}
	return NewGraph(n, rec.edges)
}

// BarabasiAlbert returns a preferential-attachment graph on n nodes in which
// each new node attaches to m distinct existing nodes with probability
// proportional to their degree (Barabasi and Albert, Science 286, 1999),
// drawn with gonum's gen.PreferentialAttachment.
func BarabasiAlbert(rng *rand.Rand, n, m int) (*Graph, error) {
	if m < 1 || n <= m {
		return nil, fmt.Errorf("seir: need 1 <= m < n, got n=%d m=%d", n, m)
	}
	g := simple.NewUndirectedGraph()
	if err := gen.PreferentialAttachment(g, n, m, rngSource{rng}); err != nil {
		return nil, fmt.Errorf("seir: %w", err)
	}
	var edges [][2]int
	it := g.Edges()
	for it.Next() {
		e := it.Edge()
		edges = append(edges, [2]int{int(e.From().ID()), int(e.To().ID())})
	}
	return NewGraph(n, edges)
}

// rngSource adapts a *rand.Rand to the rand.Source gonum expects, so that
// generators draw from the caller's generator.
type rngSource struct{ r *rand.Rand }

func (s rngSource) Uint64() uint64 { return s.r.Uint64() }

// edgeRecorder is a gonum graph.Builder that only records the edges set on
// it, with nodes numbered in creation order. It lets gonum's generators
// write straight into an edge list.
type edgeRecorder struct {
	nodes int64
	edges [][2]int
}

func (r *edgeRecorder) NewNode() graph.Node { return simple.Node(r.nodes) }
func (r *edgeRecorder) AddNode(n graph.Node) {
	if n.ID() != r.nodes {
		panic("seir: edgeRecorder nodes must be added in order")
	}
	r.nodes++
}
func (r *edgeRecorder) NewEdge(from, to graph.Node) graph.Edge {
	return simple.Edge{F: from, T: to}
}
func (r *edgeRecorder) SetEdge(e graph.Edge) {
	r.edges = append(r.edges, [2]int{int(e.From().ID()), int(e.To().ID())})
}
