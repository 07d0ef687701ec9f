package seir

import (
	"errors"
	"math"
	"math/rand/v2"
)

// Simulation is the stochastic Markovian SEIR process on a graph: an
// infectious node j infects each susceptible neighbour i at rate
// tau*A[j]*B[i], an exposed node i becomes infectious at rate Sigma[i] and an
// infectious node i recovers at rate Gamma[i].
//
// Runs are exact (they sample the same law as the Gillespie algorithm) and
// event driven: when a node becomes infectious its recovery time and, for
// each susceptible neighbour, a transmission time are drawn; transmissions
// that would happen after recovery, or after the neighbour was already
// reached by an earlier transmission, are never queued. Events are processed
// in time order from a priority queue. The cost of a run is
// O((N_inf * mean degree) log Q) for N_inf infections and queue length Q.
//
// A Simulation is read-only during runs and safe for concurrent use.
type Simulation struct {
	Graph  *Graph
	Params *NodeParams
	Tau    float64
}

// RunResult is the outcome of one stochastic run.
type RunResult struct {
	// Curve holds the counts in each class at days 0..days: the state
	// after every event at or before each day.
	Curve     *Curve
	FinalSize int     // nodes not susceptible at the horizon (ever infected)
	Peak      int     // largest number of infectious nodes at any time
	PeakTime  float64 // first time Peak was reached
	Events    int     // state changes: infections, onsets and recoveries
	// Infected[i] reports whether node i was infected by the horizon.
	Infected []bool
}

// Validate reports whether s is complete and consistent.
func (s *Simulation) Validate() error {
	if s.Graph == nil || s.Params == nil {
		return errors.New("seir: simulation needs a graph and parameters")
	}
	if err := s.Params.Validate(s.Graph.N()); err != nil {
		return err
	}
	if !nonNeg(s.Tau) {
		return errors.New("seir: tau must be finite and >= 0")
	}
	return nil
}

// Run simulates one epidemic until day days, starting from the given nodes
// exposed at time 0 and every other node susceptible. All randomness comes
// from rng, so equal generators give equal runs.
func (s *Simulation) Run(rng *rand.Rand, seeds []int, days int) (*RunResult, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := checkSeeds(seeds, s.Graph.N()); err != nil {
		return nil, err
	}
	if days < 0 {
		return nil, errors.New("seir: days must be >= 0")
	}
	r := newRunner(s)
	c := newCurve(float64(s.Graph.N()), days)
	res := r.run(rng, seeds, days, c)
	res.Curve = c
	res.Infected = make([]bool, s.Graph.N())
	for i := range r.nodes {
		res.Infected[i] = r.nodes[i].state != stS
	}
	return res, nil
}

// Node states of the simulation.
const (
	stS uint8 = iota
	stE
	stI
	stR
)

// runner holds the per-run buffers of a simulation so that they can be
// reused between runs by one goroutine.
type runner struct {
	sim   *Simulation
	nodes []simNode
	q     eventQueue
}

// simNode keeps together what the inner loop reads about a neighbour, so
// that a visit costs one cache miss on large graphs.
type simNode struct {
	pred  float64 // earliest queued transmission time to the node
	b     float64 // susceptibility
	state uint8
}

func newRunner(s *Simulation) *runner {
	r := &runner{sim: s, nodes: make([]simNode, s.Graph.N())}
	for i := range r.nodes {
		r.nodes[i].b = s.Params.B[i]
	}
	return r
}

// run performs one simulation, writing class counts at days 0..days into c.
func (r *runner) run(rng *rand.Rand, seeds []int, days int, c *Curve) *RunResult {
	g, p, tau := r.sim.Graph, r.sim.Params, r.sim.Tau
	n := g.N()
	inf := math.Inf(1)
	nodes := r.nodes
	for i := range nodes {
		nodes[i].state = stS
		nodes[i].pred = inf
	}
	r.q.reset()
	for _, v := range seeds {
		nodes[v].pred = 0
		r.q.push(event{t: 0, node: int32(v), kind: evTransmit})
	}
	counts := [4]int{n, 0, 0, 0}
	res := &RunResult{}
	horizon := float64(days)
	day := 0
	record := func(upTo float64) {
		for ; day <= days && float64(day) < upTo; day++ {
			c.S[day], c.E[day] = float64(counts[stS]), float64(counts[stE])
			c.I[day], c.R[day] = float64(counts[stI]), float64(counts[stR])
		}
	}
	a, sigma, gamma := p.A, p.Sigma, p.Gamma
	for r.q.len() > 0 {
		ev := r.q.pop()
		if ev.t > horizon {
			break
		}
		record(ev.t)
		v := int(ev.node)
		switch ev.kind {
		case evTransmit:
			if nodes[v].state != stS {
				continue
			}
			nodes[v].state = stE
			counts[stS]--
			counts[stE]++
			r.q.push(event{t: ev.t + rng.ExpFloat64()/sigma[v], node: ev.node, kind: evOnset})
		case evOnset:
			nodes[v].state = stI
			counts[stE]--
			counts[stI]++
			if counts[stI] > res.Peak {
				res.Peak, res.PeakTime = counts[stI], ev.t
			}
			rec := ev.t + rng.ExpFloat64()/gamma[v]
			r.q.push(event{t: rec, node: ev.node, kind: evRecover})
			av := tau * a[v]
			if av == 0 {
				break
			}
			for _, u := range g.Neighbors(v) {
				nu := &nodes[u]
				if nu.state != stS {
					continue
				}
				rate := av * nu.b
				if rate == 0 {
					continue
				}
				t := ev.t + rng.ExpFloat64()/rate
				if t < rec && t < nu.pred && t <= horizon {
					nu.pred = t
					r.q.push(event{t: t, node: u, kind: evTransmit})
				}
			}
		case evRecover:
			nodes[v].state = stR
			counts[stI]--
			counts[stR]++
		}
		res.Events++
	}
	record(inf)
	res.FinalSize = n - counts[stS]
	return res
}
