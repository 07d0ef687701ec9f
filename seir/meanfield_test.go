package seir

import (
	"fmt"
	"math"
	"testing"
)

func TestMeanFieldFinalSize(t *testing.T) {
	for _, m := range []MeanField{
		{Beta: 0.5, Sigma: 0.2, Gamma: 0.25, N: 1e6, E0: 10, I0: 5},
		{Beta: 1.2, Sigma: 1, Gamma: 0.3, N: 5000, E0: 50, I0: 0},
		{Beta: 0.3, Sigma: 0.5, Gamma: 0.2, N: 1e4, E0: 0, I0: 100},
	} {
		c, err := m.Solve(3000)
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.FinalSize()
		if err != nil {
			t.Fatal(err)
		}
		s0 := (m.N - m.E0 - m.I0) / m.N
		if g := 1 - r - s0*math.Exp(-m.R0()*r); math.Abs(g) > 1e-14 {
			t.Errorf("%+v: FinalSize %g does not solve the final-size relation (residual %g)", m, r, g)
		}
		last := c.Len() - 1
		got := c.R[last] / m.N
		if math.Abs(got-r) > 1e-8 {
			t.Errorf("%+v: ODE final size %.12g, closed form %.12g", m, got, r)
		}
		total := c.S[last] + c.E[last] + c.I[last] + c.R[last]
		if math.Abs(total-m.N) > 1e-6*m.N {
			t.Errorf("population not conserved: %g", total)
		}
	}
}

// TestMeanFieldPeak checks that E+I peaks when S = N gamma/beta = N/R0:
// d(E+I)/dt = beta S I/N - gamma I vanishes there.
func TestMeanFieldPeak(t *testing.T) {
	m := MeanField{Beta: 0.6, Sigma: 0.25, Gamma: 0.2, N: 1e5, E0: 20, I0: 0}
	tp, ei, err := m.Peak(400)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Solve(400)
	if err != nil {
		t.Fatal(err)
	}
	// Evaluate S at the peak time by integrating to it.
	var at []float64
	err = solveGrid(m.rhs, []float64{m.N - m.E0, m.E0, 0, 0}, []float64{0, tp}, func(_ int, y []float64) {
		at = append(at[:0], y...)
	})
	if err != nil {
		t.Fatal(err)
	}
	s := at[0]
	if want := m.N / m.R0(); math.Abs(s-want) > 1e-5*m.N {
		t.Errorf("S at the E+I peak = %.9g, want N/R0 = %.9g", s, want)
	}
	if d := math.Abs(at[1] + at[2] - ei); d > 1e-6*m.N {
		t.Errorf("peak value %g disagrees with the solution there %g", ei, at[1]+at[2])
	}
	k := peakIndex(sum(c.E, c.I))
	if math.Abs(float64(k)-tp) > 1 {
		t.Errorf("peak time %g far from the grid maximum at day %d", tp, k)
	}
}

func sum(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

func TestMeanFieldInvalid(t *testing.T) {
	for _, m := range []MeanField{
		{Beta: -1, Sigma: 1, Gamma: 1, N: 10, E0: 1},          // negative beta
		{Beta: 1, Sigma: 0, Gamma: 1, N: 10, E0: 1},           // zero sigma
		{Beta: 1, Sigma: 1, Gamma: math.Inf(1), N: 10, E0: 1}, // infinite gamma
		{Beta: 1, Sigma: 1, Gamma: 1, N: 0, E0: 0},            // empty population
		{Beta: 1, Sigma: 1, Gamma: 1, N: 10, E0: 6, I0: 5},    // more seeds than people
		{Beta: 1, Sigma: 1, Gamma: 1, N: 10, E0: math.NaN()},  // NaN
	} {
		if _, err := m.Solve(10); err == nil {
			t.Errorf("%+v: accepted", m)
		}
	}
}

func ExampleMeanField() {
	m := &MeanField{Beta: 0.5, Sigma: 0.2, Gamma: 0.2, N: 10000, E0: 10}
	c, err := m.Solve(365)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := m.FinalSize()
	tp, ei, _ := m.Peak(365)
	fmt.Printf("R0 = %.1f, final size %.4f, day 365 attack %.4f\n", m.R0(), r, c.R[365]/c.N)
	fmt.Printf("E+I peaks on day %.1f at %.0f\n", tp, ei)

	bad := &MeanField{Beta: 0.5, Sigma: 0.2, Gamma: 0, N: 10000, E0: 10}
	_, err = bad.Solve(365)
	fmt.Println(err)
	// Output:
	// R0 = 2.5, final size 0.8928, day 365 attack 0.8928
	// E+I peaks on day 61.8 at 2339
	// seir: sigma and gamma must be finite and > 0
}
