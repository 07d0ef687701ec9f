package seir

import (
	"errors"
	"fmt"
	"math"
)

// Closure selects the factor kappa of the pairwise triple closure
// [ASB] = kappa [AS][SB]/[S].
type Closure int

const (
	// ClosureRegular uses kappa = (n-1)/n, for graphs where every node has
	// degree close to the mean degree n (random regular graphs).
	ClosureRegular Closure = iota
	// ClosurePoisson uses kappa = 1, for graphs with Poisson degrees
	// (Erdos-Renyi graphs), where <k(k-1)> = <k>^2.
	ClosurePoisson
)

// String returns "regular" or "poisson".
func (c Closure) String() string {
	switch c {
	case ClosureRegular:
		return "regular"
	case ClosurePoisson:
		return "poisson"
	}
	return fmt.Sprintf("Closure(%d)", int(c))
}

// ParseClosure returns the closure named "regular" or "poisson".
func ParseClosure(s string) (Closure, error) {
	switch s {
	case "regular":
		return ClosureRegular, nil
	case "poisson":
		return ClosurePoisson, nil
	}
	return 0, fmt.Errorf("seir: unknown closure %q (want regular or poisson)", s)
}

// Pairwise is the homogeneous pairwise SEIR model on a network of N nodes
// with mean degree Degree and per-edge transmission rate Tau. Writing [A]
// for the expected number of nodes in class A and [AB] for the expected
// number of ordered pairs of neighbours (so [SS] counts each S-S edge twice),
//
//	d[S]/dt  = -tau [SI]
//	d[E]/dt  =  tau [SI] - sigma [E]
//	d[I]/dt  =  sigma [E] - gamma [I]
//	d[R]/dt  =  gamma [I]
//	d[SS]/dt = -2 tau [SSI]
//	d[SE]/dt =  tau ([SSI] - [ISE]) - sigma [SE]
//	d[SI]/dt =  sigma [SE] - tau ([ISI] + [SI]) - gamma [SI]
//
// closed by [ASB] = kappa [AS][SB]/[S]. The initial state is the expectation
// under random seeding of E0 exposed nodes, rho = E0/N:
// [S] = N(1-rho), [E] = N rho, [SS] = nN(1-rho)^2, [SE] = nN rho(1-rho),
// [SI] = 0. With ClosureRegular on a random n-regular graph the model gives
// the final size of [RegularFinalSize] and the threshold (n-1)T = 1,
// T = tau/(tau+gamma).
type Pairwise struct {
	Degree            float64 // mean degree n, > 1
	Closure           Closure
	Tau, Sigma, Gamma float64 // per-edge transmission, E -> I and I -> R rates
	N                 float64 // number of nodes
	E0                float64 // initially exposed
	// K, if > 0, is the closure factor in place of the one of Closure,
	// such as (<k^2> - <k>)/<k>^2 of a degree distribution
	// ([DegreeMoments]).
	K float64
}

// Kappa returns the closure factor.
func (p *Pairwise) Kappa() float64 {
	if p.K > 0 {
		return p.K
	}
	if p.Closure == ClosurePoisson {
		return 1
	}
	return (p.Degree - 1) / p.Degree
}

func (p *Pairwise) validate() error {
	switch {
	case !(p.Degree > 1) || math.IsInf(p.Degree, 0):
		return errors.New("seir: degree must be finite and > 1")
	case p.Closure != ClosureRegular && p.Closure != ClosurePoisson:
		return fmt.Errorf("seir: unknown closure %d", int(p.Closure))
	case !nonNeg(p.Tau):
		return errors.New("seir: tau must be finite and >= 0")
	case !nonNeg(p.K):
		return errors.New("seir: closure factor must be finite and >= 0")
	case !positive(p.Sigma) || !positive(p.Gamma):
		return errors.New("seir: sigma and gamma must be finite and > 0")
	case !positive(p.N):
		return errors.New("seir: population size must be finite and > 0")
	case !nonNeg(p.E0) || p.E0 > p.N:
		return fmt.Errorf("seir: need 0 <= e0 <= n, got e0=%g n=%g", p.E0, p.N)
	}
	return nil
}

// state indices of the pairwise system.
const (
	pwS = iota
	pwE
	pwI
	pwR
	pwSS
	pwSE
	pwSI
	pwLen
)

func (p *Pairwise) initial() []float64 {
	rho := p.E0 / p.N
	y := make([]float64, pwLen)
	y[pwS] = p.N * (1 - rho)
	y[pwE] = p.N * rho
	y[pwSS] = p.Degree * p.N * (1 - rho) * (1 - rho)
	y[pwSE] = p.Degree * p.N * rho * (1 - rho)
	return y
}

func (p *Pairwise) rhs(_ float64, y, dy []float64) {
	s, ss, se, si := y[pwS], y[pwSS], y[pwSE], y[pwSI]
	var ssi, ise, isi float64
	if s > 0 {
		k := p.Kappa() / s
		ssi = k * ss * si
		ise = k * si * se
		isi = k * si * si
	}
	tau := p.Tau
	dy[pwS] = -tau * si
	dy[pwE] = tau*si - p.Sigma*y[pwE]
	dy[pwI] = p.Sigma*y[pwE] - p.Gamma*y[pwI]
	dy[pwR] = p.Gamma * y[pwI]
	dy[pwSS] = -2 * tau * ssi
	dy[pwSE] = tau*(ssi-ise) - p.Sigma*se
	dy[pwSI] = p.Sigma*se - tau*(isi+si) - p.Gamma*si
}

// Solve integrates the model over days 0..days and returns the curve on the
// integer-day grid.
func (p *Pairwise) Solve(days int) (*Curve, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if days < 0 {
		return nil, errors.New("seir: days must be >= 0")
	}
	c := newCurve(p.N, days)
	err := solveGrid(p.rhs, p.initial(), c.T, func(i int, y []float64) {
		c.S[i], c.E[i], c.I[i], c.R[i] = y[pwS], y[pwE], y[pwI], y[pwR]
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Transmissibility returns T = tau/(tau+gamma), the probability that an
// infectious node infects a given susceptible neighbour before recovering.
func (p *Pairwise) Transmissibility() float64 { return p.Tau / (p.Tau + p.Gamma) }

// RegularFinalSize returns the fraction ever infected in the pairwise model
// with ClosureRegular on a k-regular network, with transmissibility
// T = tau/(tau+gamma) and initially exposed fraction rho:
//
//	attack = 1 - (1-rho) theta^k,  theta = (1-T) + T (1-rho) theta^(k-1),
//
// where theta in (0, 1] is the probability that an edge has not transmitted
// to a susceptible end (the largest root below 1 when it exists). The latent
// period does not change the final size.
func RegularFinalSize(k int, T, rho float64) (float64, error) {
	if k < 2 || !(T >= 0 && T <= 1) || !(rho >= 0 && rho <= 1) {
		return 0, fmt.Errorf("seir: need k >= 2, 0 <= T <= 1, 0 <= rho <= 1, got k=%d T=%g rho=%g", k, T, rho)
	}
	// h(theta) = (1-T) + T(1-rho) theta^(k-1) - theta; h(0) = 1-T >= 0. The
	// epidemic's theta is the largest root in [0, 1]: with rho > 0,
	// h(1) = -T rho < 0 and h is convex, so exactly one root lies in [0, 1].
	h := func(th float64) float64 { return (1 - T) + T*(1-rho)*math.Pow(th, float64(k-1)) - th }
	var theta float64
	switch {
	case rho == 0:
		// No seed: theta = 1 is the physical root, nothing is infected.
		theta = 1
	default:
		theta = bisect(h, 0, 1)
	}
	return 1 - (1-rho)*math.Pow(theta, float64(k)), nil
}
