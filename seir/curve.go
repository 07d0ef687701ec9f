package seir

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// A Curve is the time course of an epidemic: the expected number of nodes in
// each class at the times T. All five slices have the same length. N is the
// population size, used to convert counts to fractions.
type Curve struct {
	N          float64
	T          []float64
	S, E, I, R []float64
}

func newCurve(n float64, days int) *Curve {
	c := &Curve{N: n}
	c.T = make([]float64, days+1)
	for i := range c.T {
		c.T[i] = float64(i)
	}
	c.S = make([]float64, days+1)
	c.E = make([]float64, days+1)
	c.I = make([]float64, days+1)
	c.R = make([]float64, days+1)
	return c
}

// class returns S, E, I or R for k = 0..3.
func (c *Curve) class(k int) []float64 {
	switch k {
	case 0:
		return c.S
	case 1:
		return c.E
	case 2:
		return c.I
	}
	return c.R
}

// Len returns the number of time points.
func (c *Curve) Len() int { return len(c.T) }

// Fractions returns a copy of c with every class divided by N.
func (c *Curve) Fractions() *Curve {
	f := &Curve{N: 1, T: append([]float64(nil), c.T...)}
	scale := func(x []float64) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = v / c.N
		}
		return y
	}
	f.S, f.E, f.I, f.R = scale(c.S), scale(c.E), scale(c.I), scale(c.R)
	return f
}

// WriteCSV writes c as CSV with the header t,S,E,I,R, one row per time point.
// Numbers are written in the shortest form that reads back exactly.
func (c *Curve) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("t,S,E,I,R\n")
	var buf []byte
	for i := range c.T {
		buf = buf[:0]
		for k, x := range []float64{c.T[i], c.S[i], c.E[i], c.I[i], c.R[i]} {
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, x, 'g', -1, 64)
		}
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}

// CurveJSON is the JSON form of a model's output, shared with the web
// dashboard. Model names the model ("meanfield", "pairwise", "pairbased" or
// "simulate"); Params holds the numeric parameters it was run with; Fractions
// reports whether the classes are fractions of N rather than counts. Bands
// optionally holds quantile curves keyed like "I_q0.05".
type CurveJSON struct {
	Model     string               `json:"model"`
	Params    map[string]float64   `json:"params"`
	N         float64              `json:"n"`
	Fractions bool                 `json:"fractions"`
	T         []float64            `json:"t"`
	S         []float64            `json:"S"`
	E         []float64            `json:"E"`
	I         []float64            `json:"I"`
	R         []float64            `json:"R"`
	Bands     map[string][]float64 `json:"bands,omitempty"`
}

// JSON returns the JSON form of c. It does not copy the slices of c.
func (c *Curve) JSON(model string, params map[string]float64, fractions bool) *CurveJSON {
	return &CurveJSON{Model: model, Params: params, N: c.N, Fractions: fractions,
		T: c.T, S: c.S, E: c.E, I: c.I, R: c.R}
}

// Curve returns the curve held by j. It does not copy the slices of j.
func (j *CurveJSON) Curve() (*Curve, error) {
	n := len(j.T)
	if len(j.S) != n || len(j.E) != n || len(j.I) != n || len(j.R) != n {
		return nil, fmt.Errorf("seir: curve json has series of different lengths")
	}
	return &Curve{N: j.N, T: j.T, S: j.S, E: j.E, I: j.I, R: j.R}, nil
}

// WriteJSON writes j as indented JSON.
func (j *CurveJSON) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(j)
}

// peakIndex returns the index of the largest value of x (the first, if tied).
func peakIndex(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
