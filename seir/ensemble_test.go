package seir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestEnsembleQuantiles(t *testing.T) {
	g, err := RandomRegular(rand.New(rand.NewPCG(5, 5)), 500, 4)
	if err != nil {
		t.Fatal(err)
	}
	sim := &Simulation{Graph: g, Params: UniformParams(500, 0.5, 0.5), Tau: 0.4}
	ens, err := RunEnsemble(context.Background(), sim, EnsembleConfig{Runs: 50, Seed: 2, Days: 80, E0: 5})
	if err != nil {
		t.Fatal(err)
	}
	lo, _ := ens.Quantile(0)
	med, _ := ens.Quantile(0.5)
	hi, _ := ens.Quantile(1)
	mean := ens.Mean()
	for d := range mean.T {
		for k := range 4 {
			l, m, h, mu := lo.class(k)[d], med.class(k)[d], hi.class(k)[d], mean.class(k)[d]
			if l > m || m > h || mu < l || mu > h {
				t.Fatalf("day %d class %d: min %g median %g max %g mean %g", d, k, l, m, h, mu)
			}
		}
	}
	// The 0 and 1 quantiles are the extremes over runs.
	minR := ens.Curve(0).R[80]
	for r := range ens.Runs {
		minR = min(minR, ens.Curve(r).R[80])
	}
	if lo.R[80] != minR {
		t.Errorf("0-quantile %g, minimum %g", lo.R[80], minR)
	}
	if _, err := ens.Quantile(1.5); err == nil {
		t.Error("quantile 1.5 accepted")
	}
}

func TestEnsembleCancel(t *testing.T) {
	g, _ := ErdosRenyi(rand.New(rand.NewPCG(1, 1)), 100, 3)
	sim := &Simulation{Graph: g, Params: UniformParams(100, 1, 1), Tau: 1}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := RunEnsemble(ctx, sim, EnsembleConfig{Runs: 1000, Days: 10, E0: 1, Workers: 1})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	for _, cfg := range []EnsembleConfig{{Runs: 0, E0: 1}, {Runs: 1, E0: 0}, {Runs: 1, E0: 101}, {Runs: 1, Days: -1, E0: 1}} {
		if _, err := RunEnsemble(context.Background(), sim, cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestCurveJSONRoundTrip(t *testing.T) {
	m := MeanField{Beta: 0.4, Sigma: 0.3, Gamma: 0.2, N: 1000, E0: 1}
	c, _ := m.Solve(30)
	var buf bytes.Buffer
	if err := c.JSON("meanfield", map[string]float64{"beta": 0.4}, false).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var j CurveJSON
	if err := json.Unmarshal(buf.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	c2, err := j.Curve()
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	c.WriteCSV(&a)
	c2.WriteCSV(&b)
	if a.String() != b.String() || j.Model != "meanfield" || j.Params["beta"] != 0.4 {
		t.Error("JSON round trip changed the curve")
	}
	j.S = j.S[:3]
	if _, err := j.Curve(); err == nil {
		t.Error("ragged JSON accepted")
	}
}

func ExamplePairBased() {
	// A path 0-1-2 seeded at 0: node 2 is infected with probability
	// T_01 T_12, T_ji = tau a_j b_i / (tau a_j b_i + gamma_j).
	g, _ := NewGraph(3, [][2]int{{0, 1}, {1, 2}})
	p := UniformParams(3, 1, 1)
	p.A[1] = 3 // node 1 is three times as infectious
	pb := PairBased{Graph: g, Params: p, Tau: 1, Seeds: []int{0}}
	res, err := pb.Solve(200)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("P(node 2 infected) = %.6f, exact %.6f\n", 1-res.Node[0][2], 0.5*0.75)
	// Output:
	// P(node 2 infected) = 0.375000, exact 0.375000
}
