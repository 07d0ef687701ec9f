package seir

import (
	"errors"
	"math"
)

// PairBased is the node-level pair-based SEIR model on an explicit graph
// (Sharkey 2011). Its state is the probability of each node being in each
// class, <S_i>, <E_i>, <I_i>, <R_i>, and for every ordered pair of
// neighbours (i, j) the joint probabilities <S_i S_j>, <S_i E_j> and
// <S_i I_j>. With T_ji = tau a_j b_i the rate at which j infects i,
//
//	d<S_i>/dt     = -sum_j T_ji <S_i I_j>
//	d<E_i>/dt     =  sum_j T_ji <S_i I_j> - sigma_i <E_i>
//	d<I_i>/dt     =  sigma_i <E_i> - gamma_i <I_i>
//	d<R_i>/dt     =  gamma_i <I_i>
//	d<S_i S_j>/dt = -sum_{k~j, k!=i} T_kj <S_i S_j I_k> - sum_{k~i, k!=j} T_ki <I_k S_i S_j>
//	d<S_i E_j>/dt =  sum_{k~j, k!=i} T_kj <S_i S_j I_k> - sum_{k~i, k!=j} T_ki <I_k S_i E_j> - sigma_j <S_i E_j>
//	d<S_i I_j>/dt =  sigma_j <S_i E_j> - sum_{k~i, k!=j} T_ki <I_k S_i I_j> - (T_ji + gamma_j) <S_i I_j>
//
// closed by <A_k S_i B_j> = <A_k S_i><S_i B_j>/<S_i>. The seeds start
// exposed with probability one and every other node susceptible, so the
// initial pair probabilities are products of node probabilities. The closure
// is exact on trees (Sharkey et al. 2015), and on a tree with one seed the
// probability that node i is ever infected is the product, along the path
// from the seed, of the edge transmissibilities T_ji/(T_ji + gamma_j).
//
// Cost per derivative evaluation is O(N + M) time; memory is O(N + M).
type PairBased struct {
	Graph  *Graph
	Params *NodeParams
	Tau    float64
	Seeds  []int // initially exposed nodes
}

// PairBasedResult is the solution of a [PairBased] model.
type PairBasedResult struct {
	Curve *Curve // expected counts: sums of the node probabilities
	// Node[c][i] is the probability that node i is in class c (0..3 for
	// S, E, I, R) at the end of the horizon.
	Node [4][]float64
}

type pbSystem struct {
	g     *Graph
	p     *NodeParams
	tau   float64
	n, m2 int   // nodes, directed edges
	rev   []int // reverse directed edge
	src   []int32
	force []float64 // F_i = sum_j T_ji <S_i I_j>
}

// Layout of the state vector: S, E, I, R (n each), then SS, SE, SI (one per
// directed edge i -> j, indexed as in the graph's adjacency).
func (s *pbSystem) rhs(_ float64, y, dy []float64) {
	n, m2 := s.n, s.m2
	S, E, I := y[:n], y[n:2*n], y[2*n:3*n]
	SS, SE, SI := y[4*n:4*n+m2], y[4*n+m2:4*n+2*m2], y[4*n+2*m2:4*n+3*m2]
	dS, dE, dI, dR := dy[:n], dy[n:2*n], dy[2*n:3*n], dy[3*n:4*n]
	dSS, dSE, dSI := dy[4*n:4*n+m2], dy[4*n+m2:4*n+2*m2], dy[4*n+2*m2:4*n+3*m2]
	a, b, sigma, gamma := s.p.A, s.p.B, s.p.Sigma, s.p.Gamma
	adj, off := s.g.adj, s.g.off
	for i := range n {
		var f float64
		for e := off[i]; e < off[i+1]; e++ {
			f += s.tau * a[adj[e]] * b[i] * SI[e]
		}
		s.force[i] = f
		dS[i] = -f
		dE[i] = f - sigma[i]*E[i]
		dI[i] = sigma[i]*E[i] - gamma[i]*I[i]
		dR[i] = gamma[i] * I[i]
	}
	for e := range m2 {
		i, j := int(s.src[e]), int(adj[e])
		tji := s.tau * a[j] * b[i]
		tij := s.tau * a[i] * b[j]
		// Rate at which i is infected by neighbours other than j, per unit
		// of <S_i>, and the same for j excluding i.
		var ri, rj float64
		if S[i] > 0 {
			ri = math.Max(0, s.force[i]-tji*SI[e]) / S[i]
		}
		if S[j] > 0 {
			rj = math.Max(0, s.force[j]-tij*SI[s.rev[e]]) / S[j]
		}
		jInfected := rj * SS[e] // sum_k T_kj <S_i S_j I_k>
		dSS[e] = -jInfected - ri*SS[e]
		dSE[e] = jInfected - ri*SE[e] - sigma[j]*SE[e]
		dSI[e] = sigma[j]*SE[e] - ri*SI[e] - (tji+gamma[j])*SI[e]
	}
}

// Solve integrates the model over days 0..days.
func (pb *PairBased) Solve(days int) (*PairBasedResult, error) {
	if pb.Graph == nil || pb.Params == nil {
		return nil, errors.New("seir: pair-based model needs a graph and parameters")
	}
	g := pb.Graph
	n := g.N()
	if err := pb.Params.Validate(n); err != nil {
		return nil, err
	}
	if !nonNeg(pb.Tau) {
		return nil, errors.New("seir: tau must be finite and >= 0")
	}
	if err := checkSeeds(pb.Seeds, n); err != nil {
		return nil, err
	}
	if days < 0 {
		return nil, errors.New("seir: days must be >= 0")
	}
	m2 := len(g.adj)
	s := &pbSystem{g: g, p: pb.Params, tau: pb.Tau, n: n, m2: m2, rev: g.reverse(),
		src: make([]int32, m2), force: make([]float64, n)}
	for i := range n {
		for e := g.off[i]; e < g.off[i+1]; e++ {
			s.src[e] = int32(i)
		}
	}
	y0 := make([]float64, 4*n+3*m2)
	S, E := y0[:n], y0[n:2*n]
	for i := range S {
		S[i] = 1
	}
	for _, v := range pb.Seeds {
		S[v], E[v] = 0, 1
	}
	SS, SE := y0[4*n:4*n+m2], y0[4*n+m2:4*n+2*m2]
	for e := range m2 {
		i, j := s.src[e], g.adj[e]
		SS[e] = S[i] * S[j]
		SE[e] = S[i] * E[j]
	}
	c := newCurve(float64(n), days)
	res := &PairBasedResult{Curve: c}
	err := solveGrid(s.rhs, y0, c.T, func(k int, y []float64) {
		c.S[k], c.E[k], c.I[k], c.R[k] = sumRange(y[:n]), sumRange(y[n:2*n]), sumRange(y[2*n:3*n]), sumRange(y[3*n:4*n])
		if k == days {
			for cl := range 4 {
				res.Node[cl] = append([]float64(nil), y[cl*n:(cl+1)*n]...)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func sumRange(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}
