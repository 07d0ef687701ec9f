package seir

import (
	"io"
	"math"
	"strconv"
)

// ReadSeries reads daily positives from CSV with the header day,positives
// and days consecutive from 0. A count is a non-negative integer, or the
// string "< k" for a day whose count was not released (returned as NaN,
// see [Censored]).
func ReadSeries(r io.Reader) ([]float64, error) {
	cr, _, err := newCSVReader(r, "series", "day,positives")
	if err != nil {
		return nil, err
	}
	var out []float64
	for rec, err := range cr.records(2) {
		if err != nil {
			return nil, err
		}
		d, err := strconv.Atoi(rec[0])
		if err != nil || d != len(out) {
			return nil, cr.errorf(0, "day %q, want %d (days consecutive from 0)", rec[0], len(out))
		}
		if rec[1] == "< k" {
			out = append(out, math.NaN())
			continue
		}
		n, err := strconv.ParseUint(rec[1], 10, 31)
		if err != nil {
			return nil, cr.errorf(1, "positives %q is neither a non-negative integer nor \"< k\"", rec[1])
		}
		out = append(out, float64(n))
	}
	return out, nil
}
