package seir

import (
	"math"
	"testing"
)

// TestDopriKnownSolutions checks the integrator and its dense output against
// closed-form solutions between and on grid points.
func TestDopriKnownSolutions(t *testing.T) {
	grid := []float64{0, 0.37, 1, 2.5, 7}
	// y1' = -y1 (y1 = e^-t); y2' = y3, y3' = -y2 (y2 = sin t, y3 = cos t).
	f := func(_ float64, y, dy []float64) {
		dy[0] = -y[0]
		dy[1] = y[2]
		dy[2] = -y[1]
	}
	ys := make([][]float64, len(grid))
	err := solveGrid(f, []float64{1, 0, 1}, grid, func(i int, y []float64) {
		ys[i] = append([]float64(nil), y...)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range grid {
		want := []float64{math.Exp(-tt), math.Sin(tt), math.Cos(tt)}
		for k := range want {
			if d := math.Abs(ys[i][k] - want[k]); d > 1e-8 {
				t.Errorf("t=%g component %d: got %.12g want %.12g", tt, k, ys[i][k], want[k])
			}
		}
	}
}

func TestSolveGridRejectsDecreasingGrid(t *testing.T) {
	f := func(_ float64, y, dy []float64) { dy[0] = 0 }
	if err := solveGrid(f, []float64{1}, []float64{0, 2, 1}, func(int, []float64) {}); err == nil {
		t.Fatal("decreasing grid accepted")
	}
}
