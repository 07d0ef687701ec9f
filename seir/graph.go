package seir

import (
	"fmt"
	"slices"
)

// A Graph is an undirected simple graph on the nodes 0..N-1, stored in
// compressed sparse row form. A Graph is immutable once built and safe for
// concurrent use. The zero value is the empty graph with no nodes.
type Graph struct {
	off []int   // neighbours of i are adj[off[i]:off[i+1]]
	adj []int32 // sorted within each node
}

// NewGraph returns the graph on n nodes with the given undirected edges.
// It returns an error for an endpoint outside 0..n-1, a self-loop or an edge
// listed twice (in either orientation). The edges slice is not retained.
func NewGraph(n int, edges [][2]int) (*Graph, error) {
	if n < 0 {
		return nil, fmt.Errorf("seir: negative node count %d", n)
	}
	if n > 1<<31-1 {
		return nil, fmt.Errorf("seir: %d nodes is more than supported", n)
	}
	deg := make([]int, n+1)
	for _, e := range edges {
		u, v := e[0], e[1]
		if u < 0 || u >= n || v < 0 || v >= n {
			return nil, fmt.Errorf("seir: edge %d,%d has a node outside 0..%d", u, v, n-1)
		}
		if u == v {
			return nil, fmt.Errorf("seir: self-loop on node %d", u)
		}
		deg[u+1]++
		deg[v+1]++
	}
	for i := 1; i <= n; i++ {
		deg[i] += deg[i-1]
	}
	g := &Graph{off: deg, adj: make([]int32, deg[n])}
	fill := slices.Clone(deg[:n])
	for _, e := range edges {
		u, v := e[0], e[1]
		g.adj[fill[u]] = int32(v)
		fill[u]++
		g.adj[fill[v]] = int32(u)
		fill[v]++
	}
	for i := range n {
		nb := g.adj[g.off[i]:g.off[i+1]]
		slices.Sort(nb)
		for k := 1; k < len(nb); k++ {
			if nb[k] == nb[k-1] {
				return nil, fmt.Errorf("seir: edge %d,%d listed twice", i, nb[k])
			}
		}
	}
	return g, nil
}

// N returns the number of nodes.
func (g *Graph) N() int {
	if len(g.off) == 0 {
		return 0
	}
	return len(g.off) - 1
}

// M returns the number of undirected edges.
func (g *Graph) M() int { return len(g.adj) / 2 }

// Degree returns the number of neighbours of node i.
func (g *Graph) Degree(i int) int { return g.off[i+1] - g.off[i] }

// Neighbors returns the neighbours of node i in increasing order. The slice
// aliases the graph's storage and must not be modified.
func (g *Graph) Neighbors(i int) []int32 { return g.adj[g.off[i]:g.off[i+1]] }

// MeanDegree returns 2M/N, or 0 for a graph with no nodes.
func (g *Graph) MeanDegree() float64 {
	if g.N() == 0 {
		return 0
	}
	return float64(len(g.adj)) / float64(g.N())
}

// Edges returns every edge once as {u, v} with u < v, sorted by u then v.
func (g *Graph) Edges() [][2]int {
	out := make([][2]int, 0, g.M())
	for u := range g.N() {
		for _, v := range g.Neighbors(u) {
			if int(v) > u {
				out = append(out, [2]int{u, int(v)})
			}
		}
	}
	return out
}

// reverse returns, for each directed edge index e = (i -> j), the index of
// (j -> i). Directed edge indices are positions in adj.
func (g *Graph) reverse() []int {
	rev := make([]int, len(g.adj))
	for i := range g.N() {
		for e := g.off[i]; e < g.off[i+1]; e++ {
			j := int(g.adj[e])
			nb := g.Neighbors(j)
			k, _ := slices.BinarySearch(nb, int32(i))
			rev[e] = g.off[j] + k
		}
	}
	return rev
}
