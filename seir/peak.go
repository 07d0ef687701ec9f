package seir

import (
	"errors"
	"math"
)

// peakSearch integrates y' = f from y0 over [0, tmax] and returns the time at
// which obj(y) is largest together with that value. It brackets the maximum
// by the accepted steps of the integrator and refines it by golden-section
// search on the dense output, which does not use derivatives of obj.
func peakSearch(f rhs, y0 []float64, tmax float64, obj func([]float64) float64) (float64, float64, error) {
	if !(tmax > 0) {
		return 0, obj(y0), nil
	}
	type node struct{ t, v float64 }
	// Record every accepted step end so the maximum can be bracketed.
	d := newDopri(f, 0, y0)
	pts := []node{{0, obj(y0)}}
	var steps []*denseStep
	for d.t < tmax {
		if err := d.step(tmax); err != nil {
			return 0, 0, err
		}
		steps = append(steps, d.dense.clone())
		pts = append(pts, node{d.t, obj(d.y)})
	}
	best := 0
	for i, p := range pts {
		if p.v > pts[best].v {
			best = i
		}
	}
	if best == 0 || best == len(pts)-1 {
		return pts[best].t, pts[best].v, nil
	}
	// The maximum lies in the step before or after pts[best]: search over
	// the two steps, evaluating through whichever step covers t.
	lo, hi := pts[best-1].t, pts[best+1].t
	y := make([]float64, len(y0))
	val := func(t float64) float64 {
		s := steps[best-1]
		if t > pts[best].t {
			s = steps[best]
		}
		s.eval(t, y)
		return obj(y)
	}
	invPhi := (math.Sqrt(5) - 1) / 2
	a, b := lo, hi
	x1, x2 := b-invPhi*(b-a), a+invPhi*(b-a)
	f1, f2 := val(x1), val(x2)
	for b-a > 1e-12*math.Max(1, math.Abs(b)) {
		if f1 < f2 {
			a, x1, f1 = x1, x2, f2
			x2 = a + invPhi*(b-a)
			f2 = val(x2)
		} else {
			b, x2, f2 = x2, x1, f1
			x1 = b - invPhi*(b-a)
			f1 = val(x1)
		}
	}
	t := (a + b) / 2
	v := val(t)
	if math.IsNaN(v) {
		return 0, 0, errors.New("seir: peak search produced a non-finite value")
	}
	return t, v, nil
}
