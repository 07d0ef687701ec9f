package seir

import (
	"errors"
	"fmt"
	"math"
)

// MeanField is the well-mixed SEIR model
//
//	dS/dt = -beta S I / N
//	dE/dt =  beta S I / N - sigma E
//	dI/dt =  sigma E - gamma I
//	dR/dt =  gamma I
//
// with S(0) = N - E0 - I0 and R(0) = 0.
type MeanField struct {
	Beta, Sigma, Gamma float64 // transmission, E -> I and I -> R rates, per day
	N                  float64 // population size
	E0, I0             float64 // initially exposed and infectious
}

// R0 returns the basic reproduction number beta/gamma.
func (m *MeanField) R0() float64 { return m.Beta / m.Gamma }

func (m *MeanField) validate() error {
	switch {
	case !nonNeg(m.Beta):
		return errors.New("seir: beta must be finite and >= 0")
	case !positive(m.Sigma) || !positive(m.Gamma):
		return errors.New("seir: sigma and gamma must be finite and > 0")
	case !positive(m.N):
		return errors.New("seir: population size must be finite and > 0")
	case !nonNeg(m.E0) || !nonNeg(m.I0) || m.E0+m.I0 > m.N:
		return fmt.Errorf("seir: need 0 <= e0, i0 and e0+i0 <= n, got e0=%g i0=%g n=%g", m.E0, m.I0, m.N)
	}
	return nil
}

func (m *MeanField) rhs(_ float64, y, dy []float64) {
	inf := m.Beta * y[0] * y[2] / m.N
	dy[0] = -inf
	dy[1] = inf - m.Sigma*y[1]
	dy[2] = m.Sigma*y[1] - m.Gamma*y[2]
	dy[3] = m.Gamma * y[2]
}

// Solve integrates the model over days 0..days and returns the curve on the
// integer-day grid.
func (m *MeanField) Solve(days int) (*Curve, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	if days < 0 {
		return nil, errors.New("seir: days must be >= 0")
	}
	c := newCurve(m.N, days)
	err := solveGrid(m.rhs, []float64{m.N - m.E0 - m.I0, m.E0, m.I0, 0}, c.T, func(i int, y []float64) {
		c.S[i], c.E[i], c.I[i], c.R[i] = y[0], y[1], y[2], y[3]
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// FinalSize returns the fraction r of the population ever infected as
// t -> infinity, the root in (0, 1] of 1 - r = s0 exp(-R0 r) with
// s0 = S(0)/N. It returns 0 when s0 = 1.
func (m *MeanField) FinalSize() (float64, error) {
	if err := m.validate(); err != nil {
		return 0, err
	}
	s0 := (m.N - m.E0 - m.I0) / m.N
	r0 := m.R0()
	if s0 == 1 {
		return 0, nil
	}
	// g(r) = 1 - r - s0 exp(-R0 r) is concave with g(0) = 1 - s0 > 0 and
	// g(1) = -s0 exp(-R0) <= 0, so it has exactly one root in (0, 1].
	g := func(r float64) float64 { return 1 - r - s0*math.Exp(-r0*r) }
	return bisect(g, 0, 1), nil
}

// Peak returns the time in [0, days] at which E+I is largest and the value
// of E+I there, found by golden-section search on the dense output of the
// integrator over the two steps around the largest step-end value of E+I.
func (m *MeanField) Peak(days int) (t, ei float64, err error) {
	if err := m.validate(); err != nil {
		return 0, 0, err
	}
	return peakSearch(m.rhs, []float64{m.N - m.E0 - m.I0, m.E0, m.I0, 0}, float64(days),
		func(y []float64) float64 { return y[1] + y[2] })
}

// bisect returns the root of g in [lo, hi], where g(lo) > 0 >= g(hi), to
// machine precision.
func bisect(g func(float64) float64, lo, hi float64) float64 {
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid == lo || mid == hi {
			break
		}
		if g(mid) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
