// Package shamir implements Shamir secret sharing (Shamir, "How to share a
// secret", CACM 1979) of vectors over any [field.Field].
//
// Threshold: t is the number of parties that may collude. A secret is the
// constant term of a random polynomial of degree t; party i holds its value at
// x = i (1 <= i <= n), and any t+1 shares reconstruct while any t reveal
// nothing. Shares carry their x coordinate explicitly because they arrive over
// the network; reconstruction returns an error, never panics, on zero,
// duplicate, out-of-range or too few x coordinates, and on shares of unequal
// length.
//
// Warning: sharing hides secrets only from coalitions of at most t parties.
// Nothing here authenticates shares: with more than t+1 shares, Reconstruct
// detects inconsistent shares but a coalition of t+1 can still lie.
package shamir

import (
	"errors"
	"fmt"
	"io"

	"github.com/safetrace/safetrace/mpc/field"
)

// Share is party X's share of a vector of secrets: Y[k] is the share of
// secret k.
type Share[E comparable] struct {
	X int
	Y []E
}

// ErrInconsistent is returned when more than t+1 shares do not all lie on one
// polynomial of degree t.
var ErrInconsistent = errors.New("shamir: shares are not consistent with one degree-t polynomial")

// InconsistentError names the shares that disagree with the majority
// polynomial, when one exists. It wraps [ErrInconsistent].
type InconsistentError struct {
	Bad []int // x coordinates of the shares that disagree; empty if undecided
}

func (e *InconsistentError) Error() string {
	if len(e.Bad) == 0 {
		return ErrInconsistent.Error()
	}
	return fmt.Sprintf("%v: shares %v disagree", ErrInconsistent, e.Bad)
}

func (e *InconsistentError) Unwrap() error { return ErrInconsistent }

// Split shares each of secrets among n parties with threshold t, drawing the
// polynomial coefficients from rnd. It returns n shares with X = 1..n.
func Split[E comparable](f field.Field[E], t, n int, secrets []E, rnd io.Reader) ([]Share[E], error) {
	if err := CheckParams(f, t, n); err != nil {
		return nil, err
	}
	coeffs := make([][]E, t)
	for j := range coeffs {
		coeffs[j] = make([]E, len(secrets))
		if err := f.Random(coeffs[j], rnd); err != nil {
			return nil, fmt.Errorf("shamir: randomness: %w", err)
		}
	}
	return Eval(f, secrets, coeffs, n), nil
}

// Eval returns the values at x = 1..n of the polynomials with constant terms
// c0 and higher coefficients coeffs[0] (degree 1), coeffs[1], ... .
func Eval[E comparable](f field.Field[E], c0 []E, coeffs [][]E, n int) []Share[E] {
	shares := make([]Share[E], n)
	for i := range shares {
		x := f.FromUint64(uint64(i + 1))
		y := make([]E, len(c0))
		// Horner: y = (((c_t) x + c_{t-1}) x + ...) x + c0.
		for j := len(coeffs) - 1; j >= 0; j-- {
			f.ScaleVec(y, y, x)
			f.AddVec(y, y, coeffs[j])
		}
		if len(coeffs) > 0 {
			f.ScaleVec(y, y, x)
		}
		f.AddVec(y, y, c0)
		shares[i] = Share[E]{X: i + 1, Y: y}
	}
	return shares
}

// CheckParams reports whether threshold t and n parties are usable in f:
// 0 <= t < n and every x coordinate 1..n is a distinct non-zero element.
func CheckParams[E comparable](f field.Field[E], t, n int) error {
	switch {
	case n < 1:
		return fmt.Errorf("shamir: need at least 1 party, got %d", n)
	case t < 0 || t >= n:
		return fmt.Errorf("shamir: threshold %d out of range for %d parties", t, n)
	case f.ElemSize() == 1 && n > 255:
		return fmt.Errorf("shamir: %s has room for 255 parties, got %d", f.Name(), n)
	}
	return nil
}

// Reconstruct returns the secrets shared by shares with threshold t. It needs
// at least t+1 shares with distinct positive x coordinates. With more than
// t+1 shares it checks that all lie on one degree-t polynomial and otherwise
// returns an *InconsistentError, which names the bad shares when at most
// (len(shares)-t-1)/2 of them are bad (so that the culprits are certain).
func Reconstruct[E comparable](f field.Field[E], t int, shares []Share[E]) ([]E, error) {
	xs, err := shareXs(t, len(shares), func(i int) (int, int) { return shares[i].X, len(shares[i].Y) })
	if err != nil {
		return nil, err
	}
	if err := CheckXs(f, xs); err != nil {
		return nil, err
	}
	base := shares[:t+1]
	secrets, err := interpolate(f, base, 0)
	if err != nil {
		return nil, err
	}
	if len(shares) == t+1 {
		return secrets, nil
	}
	var bad []int
	for _, s := range shares[t+1:] {
		y, err := interpolate(f, base, s.X)
		if err != nil {
			return nil, err
		}
		for k := range y {
			if y[k] != s.Y[k] {
				bad = append(bad, s.X)
				break
			}
		}
	}
	if bad == nil {
		return secrets, nil
	}
	return nil, &InconsistentError{Bad: blame(f, t, shares)}
}

// interpolate evaluates at x the degree-t polynomial through base.
func interpolate[E comparable](f field.Field[E], base []Share[E], x int) ([]E, error) {
	xs := make([]int, len(base))
	for i, s := range base {
		xs[i] = s.X
	}
	lambda, err := Lagrange(f, xs, x)
	if err != nil {
		return nil, err
	}
	out := make([]E, len(base[0].Y))
	for i, s := range base {
		f.AddScaledVec(out, s.Y, lambda[i])
	}
	return out, nil
}

// blame looks for a degree-t polynomial through t+1 of the shares that
// agrees with all but at most e = (len(shares)-t-1)/2 of them, and returns
// the x coordinates of those that disagree. Within that bound the polynomial
// is unique (two candidates would agree on n-2e >= t+1 points), so honest
// shares are never blamed; beyond it blame returns nil ("undecided").
func blame[E comparable](f field.Field[E], t int, shares []Share[E]) []int {
	return blameBy(t, len(shares), func(base []int, j int) bool {
		b := make([]Share[E], len(base))
		for i, k := range base {
			b[i] = shares[k]
		}
		y, err := interpolate(f, b, shares[j].X)
		if err != nil {
			return true
		}
		for k := range y {
			if y[k] != shares[j].Y[k] {
				return true
			}
		}
		return false
	}, func(i int) int { return shares[i].X })
}

// blameBy runs the search of blame over n shares given off(base, j), which
// reports whether share j is off the polynomial through the shares with
// indices base, and x(i), the x coordinate of share i.
func blameBy(t, n int, off func(base []int, j int) bool, x func(i int) int) []int {
	maxBad := (n - t - 1) / 2
	if maxBad < 1 {
		return nil
	}
	idx := make([]int, t+1)
	for i := range idx {
		idx[i] = i
	}
	for {
		var bad []int
		inBase := func(j int) bool {
			for _, i := range idx {
				if i == j {
					return true
				}
			}
			return false
		}
		for j := 0; j < n && len(bad) <= maxBad; j++ {
			if !inBase(j) && off(idx, j) {
				bad = append(bad, x(j))
			}
		}
		if len(bad) <= maxBad {
			return bad
		}
		// Next combination of t+1 indices out of n.
		i := t
		for i >= 0 && idx[i] == n-(t+1)+i {
			i--
		}
		if i < 0 {
			return nil
		}
		idx[i]++
		for j := i + 1; j <= t; j++ {
			idx[j] = idx[j-1] + 1
		}
	}
}

// CheckXs reports an error for an empty list or for zero, negative, duplicate
// or unrepresentable x coordinates.
func CheckXs[E comparable](f field.Field[E], xs []int) error {
	if len(xs) == 0 {
		return errors.New("shamir: no shares")
	}
	seen := make(map[int]bool, len(xs))
	// Distinct integers may still collide as field elements (x = 2^61-1 is
	// zero in GF(2^61-1)); a zero x would be the secret itself.
	elems := make(map[E]int, len(xs))
	var zero E
	for _, x := range xs {
		switch {
		case x <= 0:
			return fmt.Errorf("shamir: x coordinate %d is not positive", x)
		case f.ElemSize() == 1 && x > 255:
			return fmt.Errorf("shamir: x coordinate %d out of range for %s", x, f.Name())
		case seen[x]:
			return fmt.Errorf("shamir: duplicate x coordinate %d", x)
		}
		seen[x] = true
		e := f.FromUint64(uint64(x))
		if e == zero {
			return fmt.Errorf("shamir: x coordinate %d is zero in %s", x, f.Name())
		}
		if y, ok := elems[e]; ok {
			return fmt.Errorf("shamir: x coordinates %d and %d are equal in %s", y, x, f.Name())
		}
		elems[e] = x
	}
	return nil
}

// Lagrange returns the coefficients l_i such that p(at) = sum l_i p(xs[i]) for
// every polynomial p of degree below len(xs).
func Lagrange[E comparable](f field.Field[E], xs []int, at int) ([]E, error) {
	if err := CheckXs(f, xs); err != nil {
		return nil, err
	}
	a := f.FromUint64(uint64(at))
	if at < 0 {
		a = f.Neg(f.FromUint64(uint64(-at)))
	}
	out := make([]E, len(xs))
	for i, xi := range xs {
		num, den := f.One(), f.One()
		fxi := f.FromUint64(uint64(xi))
		for j, xj := range xs {
			if j == i {
				continue
			}
			fxj := f.FromUint64(uint64(xj))
			num = f.Mul(num, f.Sub(a, fxj))
			den = f.Mul(den, f.Sub(fxi, fxj))
		}
		inv, err := f.Inv(den)
		if err != nil {
			return nil, fmt.Errorf("shamir: x coordinates collide in %s: %w", f.Name(), err)
		}
		out[i] = f.Mul(num, inv)
	}
	return out, nil
}

// shareXs checks the count and lengths of n shares for threshold t (share
// i has x coordinate and value count at(i)) and returns their x
// coordinates.
func shareXs(t, n int, at func(i int) (x, values int)) ([]int, error) {
	if t < 0 {
		return nil, fmt.Errorf("shamir: negative threshold %d", t)
	}
	if n < t+1 {
		return nil, fmt.Errorf("shamir: need %d shares, got %d", t+1, n)
	}
	xs := make([]int, n)
	x0, v0 := at(0)
	for i := range xs {
		x, v := at(i)
		xs[i] = x
		if v != v0 {
			return nil, fmt.Errorf("shamir: share %d has %d values, share %d has %d", x, v, x0, v0)
		}
	}
	return xs, nil
}
