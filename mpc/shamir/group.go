package shamir

import (
	"fmt"
	"io"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

// PointShare is party X's share of a vector of secret ristretto255 points:
// Y[k] is the share of secret k. Point sharings use the same threshold t and
// x coordinates as field sharings, with polynomials whose coefficients are
// points and whose variable ranges over the scalar field.
type PointShare struct {
	X int
	Y []group.Point
}

// SplitPoints shares each of secrets among n parties with threshold t. The t
// coefficients of each polynomial are uniform random points drawn from rnd
// with [group.Random] (64 bytes each); share i is P + sum_j C_j i^j. It returns n shares with
// X = 1..n.
func SplitPoints(t, n int, secrets []group.Point, rnd io.Reader) ([]PointShare, error) {
	if err := CheckParams[field.Scalar](field.ScalarField{}, t, n); err != nil {
		return nil, err
	}
	coeffs := make([][]group.Point, t)
	for j := range coeffs {
		coeffs[j] = make([]group.Point, len(secrets))
		if err := group.Random(coeffs[j], rnd); err != nil {
			return nil, fmt.Errorf("shamir: randomness: %w", err)
		}
	}
	return EvalPoints(secrets, coeffs, n), nil
}

// EvalPoints returns the values at x = 1..n of the polynomials with constant
// terms c0 and higher coefficients coeffs[0] (degree 1), coeffs[1], ... .
// Every coeffs[j] must have len(c0) elements.
func EvalPoints(c0 []group.Point, coeffs [][]group.Point, n int) []PointShare {
	shares := make([]PointShare, n)
	if len(coeffs) == 1 {
		// Degree 1: y_1 = c0 + c1 and y_{x+1} = y_x + c1, one addition
		// per share instead of Horner's small multiples.
		prev := c0
		for i := range shares {
			y := make([]group.Point, len(c0))
			group.AddVec(y, prev, coeffs[0])
			shares[i] = PointShare{X: i + 1, Y: y}
			prev = y
		}
		return shares
	}
	for i := range shares {
		x := uint64(i + 1)
		y := make([]group.Point, len(c0))
		// Horner with small-integer multiples, which are additions and
		// doublings: y = ((c_t x + c_{t-1}) x + ...) x + c0.
		for j := len(coeffs) - 1; j >= 0; j-- {
			group.MulSmallAddVec(y, x, coeffs[j])
		}
		group.MulSmallAddVec(y, x, c0)
		shares[i] = PointShare{X: i + 1, Y: y}
	}
	return shares
}

// ReconstructPoints returns the points shared by shares with threshold t,
// with the same rules as [Reconstruct]: at least t+1 shares with distinct
// positive x coordinates and equal lengths, and with more than t+1 shares a
// check that all lie on one degree-t polynomial, failing with an
// *InconsistentError that names the bad shares when that is certain.
// Interpolation uses Lagrange coefficients in the scalar field applied with
// [group.LinearCombination].
func ReconstructPoints(t int, shares []PointShare) ([]group.Point, error) {
	xs, err := shareXs(t, len(shares), func(i int) (int, int) { return shares[i].X, len(shares[i].Y) })
	if err != nil {
		return nil, err
	}
	f := field.ScalarField{}
	if err := CheckXs[field.Scalar](f, xs); err != nil {
		return nil, err
	}
	base := shares[:t+1]
	secrets, err := interpolatePoints(base, 0)
	if err != nil {
		return nil, err
	}
	for _, s := range shares[t+1:] {
		y, err := interpolatePoints(base, s.X)
		if err != nil {
			return nil, err
		}
		if !group.EqualVec(y, s.Y) {
			return nil, &InconsistentError{Bad: blamePoints(t, shares)}
		}
	}
	return secrets, nil
}

// interpolatePoints evaluates at x the degree-t polynomial through base.
func interpolatePoints(base []PointShare, x int) ([]group.Point, error) {
	xs := make([]int, len(base))
	ys := make([][]group.Point, len(base))
	for i, s := range base {
		xs[i] = s.X
		ys[i] = s.Y
	}
	lambda, err := Lagrange[field.Scalar](field.ScalarField{}, xs, x)
	if err != nil {
		return nil, err
	}
	out := make([]group.Point, len(base[0].Y))
	group.LinearCombination(out, lambda, ys)
	return out, nil
}

func blamePoints(t int, shares []PointShare) []int {
	return blameBy(t, len(shares), func(base []int, j int) bool {
		b := make([]PointShare, len(base))
		for i, k := range base {
			b[i] = shares[k]
		}
		y, err := interpolatePoints(b, shares[j].X)
		return err != nil || !group.EqualVec(y, shares[j].Y)
	}, func(i int) int { return shares[i].X })
}
