package seir

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestRandomRegular(t *testing.T) {
	g, err := RandomRegular(rand.New(rand.NewPCG(1, 1)), 1000, 6)
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.N() {
		if g.Degree(i) != 6 {
			t.Fatalf("node %d has degree %d", i, g.Degree(i))
		}
	}
	for _, bad := range [][2]int{{5, 5}, {5, 3}, {0, 2}, {4, -1}} {
		if _, err := RandomRegular(rand.New(rand.NewPCG(1, 1)), bad[0], bad[1]); err == nil {
			t.Errorf("n=%d k=%d accepted", bad[0], bad[1])
		}
	}
}

func TestErdosRenyiMeanDegree(t *testing.T) {
	const n, k = 20000, 6.0
	g, err := ErdosRenyi(rand.New(rand.NewPCG(2, 2)), n, k)
	if err != nil {
		t.Fatal(err)
	}
	// M is binomial with mean k n/2 and variance about k n/2.
	mean := k * n / 2
	if d := math.Abs(float64(g.M()) - mean); d > 5*math.Sqrt(mean) {
		t.Errorf("M = %d, want about %g", g.M(), mean)
	}
	// The degree variance of a Poisson graph equals its mean.
	var v float64
	for i := range n {
		d := float64(g.Degree(i)) - g.MeanDegree()
		v += d * d
	}
	if v /= n; math.Abs(v-k) > 0.3 {
		t.Errorf("degree variance %g, want about %g", v, k)
	}
}

func TestBarabasiAlbert(t *testing.T) {
	const n, m = 2000, 3
	g, err := BarabasiAlbert(rand.New(rand.NewPCG(3, 3)), n, m)
	if err != nil {
		t.Fatal(err)
	}
	if want := (n - m) * m; g.M() != want {
		t.Errorf("M = %d, want %d", g.M(), want)
	}
	maxDeg := 0
	for i := range n {
		maxDeg = max(maxDeg, g.Degree(i))
	}
	// Preferential attachment makes hubs far above the mean degree 6.
	if maxDeg < 40 {
		t.Errorf("largest degree %d: no hubs", maxDeg)
	}
	if _, err := BarabasiAlbert(rand.New(rand.NewPCG(3, 3)), 3, 3); err == nil {
		t.Error("n <= m accepted")
	}
}

func TestConfigurationModel(t *testing.T) {
	deg, err := DegreeSequence([]DegreeCount{{1, 500}, {4, 300}, {10, 200}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ConfigurationModel(rand.New(rand.NewPCG(4, 4)), deg)
	if err != nil {
		t.Fatal(err)
	}
	erased := 0
	for i, d := range deg {
		if g.Degree(i) > d {
			t.Fatalf("node %d: degree %d above %d", i, g.Degree(i), d)
		}
		erased += d - g.Degree(i)
	}
	// Loops and multi-edges are rare: a few stubs in 3700.
	if erased > 60 {
		t.Errorf("%d stubs erased", erased)
	}
	if _, err := ConfigurationModel(rand.New(rand.NewPCG(4, 4)), []int{1, 2}); err == nil {
		t.Error("odd degree sum accepted")
	}
}

func TestNewGraphErrors(t *testing.T) {
	for _, tc := range []struct {
		n     int
		edges [][2]int
	}{
		{-1, nil},
		{2, [][2]int{{0, 2}}},
		{2, [][2]int{{1, 1}}},
		{3, [][2]int{{0, 1}, {1, 0}}},
	} {
		if _, err := NewGraph(tc.n, tc.edges); err == nil {
			t.Errorf("NewGraph(%d, %v) accepted", tc.n, tc.edges)
		}
	}
	g, err := NewGraph(4, [][2]int{{2, 0}, {0, 1}, {3, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(g.Edges()) != "[[0 1] [0 2] [2 3]]" || fmt.Sprint(g.Neighbors(2)) != "[0 3]" {
		t.Errorf("edges %v", g.Edges())
	}
	rev := g.reverse()
	for e, r := range rev {
		if rev[r] != e || g.adj[r] == g.adj[e] {
			t.Fatalf("reverse edge of %d is %d", e, r)
		}
	}
}

func ExampleSimulation() {
	g, _ := RandomRegular(rand.New(rand.NewPCG(1, 2)), 1000, 6)
	sim := &Simulation{Graph: g, Params: UniformParams(g.N(), 0.5, 0.4), Tau: 0.25}
	res, err := sim.Run(rand.New(rand.NewPCG(3, 4)), []int{0, 1, 2, 3, 4}, 365)
	if err != nil {
		fmt.Println(err)
		return
	}
	// (k-1)T = 5 * 0.25/0.65 > 1: an epidemic takes off.
	fmt.Println(res.FinalSize > 500, res.Curve.E[0] == 5)
	_, err = sim.Run(rand.New(rand.NewPCG(3, 4)), []int{1000}, 365)
	fmt.Println(err)
	// Output:
	// true true
	// seir: seed 1000 outside 0..999
}
