package seir

import (
	"fmt"
	"math"
	"testing"
)

// TestPairwiseRegularFinalSize checks the ODE against the closed-form final
// size on k-regular networks, for several latent periods.
func TestPairwiseRegularFinalSize(t *testing.T) {
	for _, tc := range []struct {
		k                 int
		tau, sigma, gamma float64
		rho               float64
	}{
		{6, 0.3, 0.5, 0.4, 1e-3},
		{6, 0.3, 5, 0.4, 1e-3},
		{4, 1.0, 0.2, 0.5, 0.01},
		{3, 2.0, 1.0, 0.3, 0.05},
		{10, 0.05, 0.3, 0.2, 1e-4},
	} {
		const n = 1e5
		p := Pairwise{Degree: float64(tc.k), Closure: ClosureRegular, Tau: tc.tau, Sigma: tc.sigma, Gamma: tc.gamma, N: n, E0: tc.rho * n}
		c, err := p.Solve(5000)
		if err != nil {
			t.Fatal(err)
		}
		want, err := RegularFinalSize(tc.k, p.Transmissibility(), tc.rho)
		if err != nil {
			t.Fatal(err)
		}
		got := c.R[c.Len()-1] / n
		if math.Abs(got-want) > 1e-7 {
			t.Errorf("%+v: ODE attack %.10f, closed form %.10f", tc, got, want)
		}
	}
}

// TestPairwiseThreshold checks the epidemic threshold (k-1)T = 1: with a
// vanishing seed the attack rate vanishes below it and stays large above it.
func TestPairwiseThreshold(t *testing.T) {
	const k, gamma, n = 5, 1.0, 1e8
	rho := 1e-7
	for _, r := range []float64{0.8, 0.95, 1.05, 1.3} {
		T := r / (k - 1)
		tau := gamma * T / (1 - T)
		p := Pairwise{Degree: k, Tau: tau, Sigma: 1, Gamma: gamma, N: n, E0: rho * n}
		c, err := p.Solve(20000)
		if err != nil {
			t.Fatal(err)
		}
		attack := c.R[c.Len()-1] / n
		closed, _ := RegularFinalSize(k, T, rho)
		if math.Abs(attack-closed) > 1e-7 {
			t.Errorf("(k-1)T=%g: ODE attack %g, closed form %g", r, attack, closed)
		}
		if above := attack > 1e-3; above != (r > 1) {
			t.Errorf("(k-1)T=%g: attack %g with seed %g", r, attack, rho)
		}
	}
}

func TestPairwiseConservesEdges(t *testing.T) {
	p := Pairwise{Degree: 4, Closure: ClosurePoisson, Tau: 0.4, Sigma: 0.3, Gamma: 0.2, N: 1000, E0: 5}
	c, err := p.Solve(100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.T {
		if tot := c.S[i] + c.E[i] + c.I[i] + c.R[i]; math.Abs(tot-p.N) > 1e-7*p.N {
			t.Fatalf("day %d: total %g", i, tot)
		}
		if i > 0 && c.S[i] > c.S[i-1]+1e-9 {
			t.Fatalf("S increased on day %d", i)
		}
	}
}

func TestParseClosure(t *testing.T) {
	for _, s := range []string{"regular", "poisson"} {
		c, err := ParseClosure(s)
		if err != nil || c.String() != s {
			t.Errorf("ParseClosure(%q) = %v, %v", s, c, err)
		}
	}
	if _, err := ParseClosure("lattice"); err == nil {
		t.Error("unknown closure accepted")
	}
}

func ExampleRegularFinalSize() {
	// A 6-regular network, tau = 0.2, gamma = 0.5: T = 2/7 and (k-1)T = 10/7.
	T := 0.2 / (0.2 + 0.5)
	a, _ := RegularFinalSize(6, T, 1e-4)
	fmt.Printf("(k-1)T = %.3f, attack %.4f\n", 5*T, a)
	// Below the threshold the epidemic stays near the seed.
	a, _ = RegularFinalSize(6, 0.15, 1e-4)
	fmt.Printf("(k-1)T = %.3f, attack %.6f\n", 5*0.15, a)
	_, err := RegularFinalSize(1, 0.5, 0.1)
	fmt.Println(err)
	// Output:
	// (k-1)T = 1.429, attack 0.6948
	// (k-1)T = 0.750, attack 0.000460
	// seir: need k >= 2, 0 <= T <= 1, 0 <= rho <= 1, got k=1 T=0.5 rho=0.1
}
