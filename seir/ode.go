package seir

import (
	"errors"
	"fmt"
	"math"
)

// Tolerances of the ODE integrator: the local error estimate of each accepted
// step is below atol + rtol*|y| in the root-mean-square norm.
const (
	odeRtol = 1e-10
	odeAtol = 1e-10
)

// maxSteps bounds the number of steps of one integration; a well-posed SEIR
// system needs a few hundred.
const maxSteps = 1_000_000

// rhs evaluates dy = f(t, y). It must not retain y or dy.
type rhs func(t float64, y, dy []float64)

// Dormand-Prince 5(4) coefficients (Hairer, Norsett and Wanner, table II.5.2)
// and the dense-output coefficients of their routine DOPRI5.
const (
	c2, c3, c4, c5 = 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9

	a21                     = 1.0 / 5
	a31, a32                = 3.0 / 40, 9.0 / 40
	a41, a42, a43           = 44.0 / 45, -56.0 / 15, 32.0 / 9
	a51, a52, a53, a54      = 19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729
	a61, a62, a63, a64, a65 = 9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656
	a71, a73, a74, a75, a76 = 35.0 / 384, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84
	e1, e3, e4, e5, e6, e7  = 71.0 / 57600, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40
	d1, d3, d4, d5, d6, d7  = -12715105075.0 / 11282082432, 87487479700.0 / 32700410799, -10690763975.0 / 1880347072, 701980252875.0 / 199316789632, -1453857185.0 / 822651844, 69997945.0 / 29380423
)

// dopri integrates y' = f(t, y) with adaptive Dormand-Prince 5(4) steps and
// keeps the dense-output polynomial of the last accepted step, so the
// solution can be evaluated anywhere in [t0, t] of that step.
type dopri struct {
	f          rhs
	t, h       float64
	y, ynew    []float64
	k          [7][]float64 // k[0] is f(t, y) (first same as last)
	tmp        []float64
	dense      denseStep // dense output of the last accepted step
	steps      int
	rtol, atol float64
}

func newDopri(f rhs, t0 float64, y0 []float64) *dopri {
	n := len(y0)
	d := &dopri{f: f, t: t0, rtol: odeRtol, atol: odeAtol}
	d.dense.t0, d.dense.t1 = t0, t0
	d.y = append([]float64(nil), y0...)
	d.ynew = make([]float64, n)
	d.tmp = make([]float64, n)
	for i := range d.k {
		d.k[i] = make([]float64, n)
	}
	for i := range d.dense.cont {
		d.dense.cont[i] = make([]float64, n)
	}
	f(t0, d.y, d.k[0])
	d.h = d.initialStep()
	copy(d.dense.cont[0], d.y) // dense output is constant until the first step
	return d
}

// initialStep follows Hairer, Norsett and Wanner, section II.4.
func (d *dopri) initialStep() float64 {
	var d0, d1 float64
	for i, yi := range d.y {
		sc := d.atol + d.rtol*math.Abs(yi)
		d0 += (yi / sc) * (yi / sc)
		d1 += (d.k[0][i] / sc) * (d.k[0][i] / sc)
	}
	n := float64(len(d.y))
	d0, d1 = math.Sqrt(d0/n), math.Sqrt(d1/n)
	h := 1e-6
	if d0 >= 1e-5 && d1 >= 1e-5 {
		h = 0.01 * d0 / d1
	}
	return h
}

// step advances by one accepted step, not beyond tmax.
func (d *dopri) step(tmax float64) error {
	k := &d.k
	y, yn, tmp := d.y, d.ynew, d.tmp
	for {
		if d.steps++; d.steps > maxSteps {
			return errors.New("seir: ode integrator exceeded the step limit")
		}
		h := min(d.h, tmax-d.t)
		if h <= math.Abs(d.t)*1e-15 {
			return fmt.Errorf("seir: ode step size underflow at t=%g", d.t)
		}
		t := d.t
		for i := range y {
			tmp[i] = y[i] + h*a21*k[0][i]
		}
		d.f(t+c2*h, tmp, k[1])
		for i := range y {
			tmp[i] = y[i] + h*(a31*k[0][i]+a32*k[1][i])
		}
		d.f(t+c3*h, tmp, k[2])
		for i := range y {
			tmp[i] = y[i] + h*(a41*k[0][i]+a42*k[1][i]+a43*k[2][i])
		}
		d.f(t+c4*h, tmp, k[3])
		for i := range y {
			tmp[i] = y[i] + h*(a51*k[0][i]+a52*k[1][i]+a53*k[2][i]+a54*k[3][i])
		}
		d.f(t+c5*h, tmp, k[4])
		for i := range y {
			tmp[i] = y[i] + h*(a61*k[0][i]+a62*k[1][i]+a63*k[2][i]+a64*k[3][i]+a65*k[4][i])
		}
		d.f(t+h, tmp, k[5])
		for i := range y {
			yn[i] = y[i] + h*(a71*k[0][i]+a73*k[2][i]+a74*k[3][i]+a75*k[4][i]+a76*k[5][i])
		}
		d.f(t+h, yn, k[6])
		var errSum float64
		for i := range y {
			ei := h * (e1*k[0][i] + e3*k[2][i] + e4*k[3][i] + e5*k[4][i] + e6*k[5][i] + e7*k[6][i])
			sc := d.atol + d.rtol*max(math.Abs(y[i]), math.Abs(yn[i]))
			errSum += (ei / sc) * (ei / sc)
		}
		errNorm := math.Sqrt(errSum / float64(len(y)))
		if math.IsNaN(errNorm) {
			return fmt.Errorf("seir: ode solution is not finite at t=%g", t)
		}
		// Standard step-size controller with safety factor 0.9, bounded change.
		fac := 10.0
		if errNorm > 0 {
			fac = min(10, max(0.2, 0.9*math.Pow(errNorm, -0.2)))
		}
		if errNorm > 1 {
			d.h = h * min(1, fac)
			continue
		}
		cont := &d.dense.cont
		for i := range y {
			ydiff := yn[i] - y[i]
			bspl := h*k[0][i] - ydiff
			cont[0][i] = y[i]
			cont[1][i] = ydiff
			cont[2][i] = bspl
			cont[3][i] = ydiff - h*k[6][i] - bspl
			cont[4][i] = h * (d1*k[0][i] + d3*k[2][i] + d4*k[3][i] + d5*k[4][i] + d6*k[5][i] + d7*k[6][i])
		}
		d.t = t + h
		if h == tmax-t {
			d.t = tmax // avoid rounding past the target
		}
		d.dense.t0, d.dense.t1 = t, d.t
		d.y, d.ynew = yn, y
		k[0], k[6] = k[6], k[0]
		d.h = h * fac
		return nil
	}
}

// A denseStep is the fourth-order dense-output polynomial of one accepted
// step over [t0, t1].
type denseStep struct {
	t0, t1 float64
	cont   [5][]float64
}

// eval writes the solution at t, which should lie in [t0, t1], into out.
func (s *denseStep) eval(t float64, out []float64) {
	h := s.t1 - s.t0
	if h == 0 {
		copy(out, s.cont[0])
		return
	}
	th := (t - s.t0) / h
	th1 := 1 - th
	c := &s.cont
	for i := range out {
		out[i] = c[0][i] + th*(c[1][i]+th1*(c[2][i]+th*(c[3][i]+th1*c[4][i])))
	}
}

// clone returns a deep copy of s.
func (s *denseStep) clone() *denseStep {
	c := &denseStep{t0: s.t0, t1: s.t1}
	for i := range c.cont {
		c.cont[i] = append([]float64(nil), s.cont[i]...)
	}
	return c
}

// solveGrid integrates from grid[0] with initial state y0 and calls at(i, y)
// with the solution at every grid time grid[i], which must be increasing.
// The slice y is reused between calls and must not be retained.
func solveGrid(f rhs, y0, grid []float64, at func(i int, y []float64)) error {
	if len(grid) == 0 {
		return nil
	}
	for gi := 1; gi < len(grid); gi++ {
		if grid[gi] <= grid[gi-1] {
			return errors.New("seir: time grid must be increasing")
		}
	}
	d := newDopri(f, grid[0], y0)
	y := append([]float64(nil), y0...)
	at(0, y)
	for gi := 1; gi < len(grid); gi++ {
		for d.t < grid[gi] {
			if err := d.step(grid[len(grid)-1]); err != nil {
				return err
			}
		}
		d.dense.eval(grid[gi], y)
		at(gi, y)
	}
	return nil
}
