package epoch

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
	mrand "math/rand/v2"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
)

// validate checks the positive reports (design 4.3 step 2) and returns the
// indices of those that fail. A report's point and weight shares must lie
// on polynomials of degree t: a random linear combination of them, masked by
// a fresh random sharing, is opened with all n shares. Its weights must lie
// in [0, maxWeight]: two range checks per weight, combined per report with
// random coefficients into one value that opens to 0 exactly when all pass.
// For honest reports only "pass" is revealed.
func validate(ctx context.Context, p *Party, recs []Record, reports int, maxWeight uint64) ([]int, error) {
	if reports == 0 {
		return nil, nil
	}
	f := field.ScalarField{}
	n := p.N()

	// Public random coefficients from a coin that no t parties control.
	r, err := p.PRSS(1)
	if err != nil {
		return nil, err
	}
	coin, err := p.Open(ctx, r)
	if err != nil {
		return nil, err
	}
	seed := sha256.Sum256(f.Append([]byte("safetrace epoch validation coin"), coin))
	rho := make([]field.Scalar, 2*len(recs)+1)
	if err := f.Random(rho, mrand.NewChaCha8(seed)); err != nil {
		return nil, err
	}

	// Masked combinations per report: sum rho_r P_r + m_q G and
	// sum rho'_r w_r + m'_q.
	mp, err := p.PRSS(reports)
	if err != nil {
		return nil, err
	}
	mw, err := p.PRSS(reports)
	if err != nil {
		return nil, err
	}
	qp := make([]group.Point, reports)
	group.ScalarBaseMulVec(qp, mp)
	qw := mw
	byReport := make([][]int, reports)
	for i, rec := range recs {
		if rec.Report < 0 {
			continue
		}
		q := rec.Report
		byReport[q] = append(byReport[q], i)
		var t group.Point
		t.ScalarMult(&rho[2*i], &rec.Point)
		qp[q].Add(&qp[q], &t)
		qw[q] = f.Add(qw[q], f.Mul(rho[2*i+1], rec.Weight))
	}
	in, err := p.Broadcast(ctx, f.Append(group.AppendVec(nil, qp), qw))
	if err != nil {
		return nil, err
	}
	pshares := make([]shamir.PointShare, n)
	wshares := make([]shamir.Share[field.Scalar], n)
	for j := 0; j < n; j++ {
		if len(in[j]) != reports*(group.Size+field.ScalarSize) {
			return nil, fmt.Errorf("epoch: validation: %d bytes from party %d", len(in[j]), j+1)
		}
		pshares[j] = shamir.PointShare{X: j + 1, Y: make([]group.Point, reports)}
		wshares[j] = shamir.Share[field.Scalar]{X: j + 1, Y: make([]field.Scalar, reports)}
		if err := group.DecodeVec(pshares[j].Y, in[j][:reports*group.Size]); err != nil {
			return nil, fmt.Errorf("epoch: validation: party %d: %w", j+1, err)
		}
		if err := f.Decode(wshares[j].Y, in[j][reports*group.Size:]); err != nil {
			return nil, fmt.Errorf("epoch: validation: party %d: %w", j+1, err)
		}
	}
	bad := make([]bool, reports)
	for q := 0; q < reports; q++ {
		ps := make([]shamir.PointShare, n)
		ws := make([]shamir.Share[field.Scalar], n)
		for j := range ps {
			ps[j] = shamir.PointShare{X: j + 1, Y: pshares[j].Y[q : q+1]}
			ws[j] = shamir.Share[field.Scalar]{X: j + 1, Y: wshares[j].Y[q : q+1]}
		}
		_, perr := shamir.ReconstructPoints(p.T, ps)
		_, werr := shamir.Reconstruct[field.Scalar](f, p.T, ws)
		for _, e := range []error{perr, werr} {
			switch {
			case e == nil:
			case errors.Is(e, shamir.ErrInconsistent):
				bad[q] = true
			default:
				return nil, fmt.Errorf("epoch: validation: %w", e)
			}
		}
	}

	// Range checks: w < 2^k and w + 2^k - 1 - max < 2^k, so w in [0, max].
	k := max(1, bits.Len64(maxWeight))
	if k > 60 {
		return nil, fmt.Errorf("epoch: max weight %d too large", maxWeight)
	}
	shift := f.FromUint64(1<<k - 1 - maxWeight)
	var ds []field.Scalar
	var owner []int
	for q, idx := range byReport {
		for _, i := range idx {
			w := recs[i].Weight
			ds = append(ds, w, f.Add(w, shift))
			owner = append(owner, q, q)
		}
	}
	ok, err := p.InRange(ctx, ds, k)
	if err != nil {
		return nil, err
	}
	// Per report, open sum rho_i (1 - ok_i), which is 0 when every check
	// gave 1. A product of the checks would not do: a failing check is not
	// always 0, and two failures could multiply to 1.
	sums := make([]field.Scalar, reports)
	one := f.One()
	for i, q := range owner {
		sums[q] = f.Add(sums[q], f.Mul(rho[i%len(rho)], f.Sub(one, ok[i])))
	}
	opened, err := p.Open(ctx, sums)
	if err != nil {
		return nil, err
	}
	var rejected []int
	for q := range opened {
		if opened[q] != (field.Scalar{}) {
			bad[q] = true
		}
		if bad[q] {
			rejected = append(rejected, q)
		}
	}
	return rejected, nil
}
