package epoch

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/bits"
	mrand "math/rand/v2"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
)

// Openings a client's shares could break. Only an opening that checks
// consistency (mpc.Party.Open with n > t+1 shares) can fail on a client's
// shares, and only when the opened sharing is a linear function of shares
// that are not on one degree-t polynomial. Through the epoch:
//
//   - validation's coin: PRSS, no client input;
//   - validation's per-report combinations: inconsistency is what they
//     detect; the report is rejected, the opening itself never fails;
//   - validation's range checks (the masked openings of InRange and the
//     per-report sums): only records of reports that passed the consistency
//     check go in, and every other input is produced by the parties;
//   - the shuffle opens nothing, and each round's output is the sum of fresh
//     degree-t sharings dealt by the parties, consistent whatever went in;
//     ordinary records' weights are replaced by 0 before it;
//   - the tags (openTags) are sums of what all n parties send, with no
//     consistency check, and are taken after the shuffle anyway;
//   - the scores are Mul outputs (a reshare from all n parties: consistent
//     whatever the inputs, so inconsistent minutes only give their own
//     record a wrong score), summed per user and day, and the comparison's
//     masked opening is of those sums plus party-made masks.
//
// So a client's inconsistent ordinary record changes only its own user's
// result (which may then not be a bit), and an inconsistent report is
// rejected alone.

// maxLimitBits bounds the bit length of the validation's range checks.
const maxLimitBits = 60

// validation is the outcome of [validate].
type validation struct {
	// rejected lists the failing reports, ascending.
	rejected []int
	// weights replaces the weight shares of some records (by index into
	// the epoch's records).
	weights map[int]field.Scalar
}

// validate checks the positive reports (design 4.3 step 2) and returns the
// indices of those that fail.
//
//  1. Consistency: a report's point, weight and minute shares must lie on
//     polynomials of degree t. A random linear combination of its points and
//     one of its weights and minutes, each masked by a fresh random sharing,
//     are opened with all n shares; a report whose openings are not on one
//     degree-t polynomial is rejected here, and nothing of it enters a later
//     opening: every later step works on consistent sharings only, so a
//     client's inconsistent shares cannot make an opening fail.
//  2. Range checks in MPC: every weight in [0, MaxWeight]; two InRange
//     checks per value, combined per report with random coefficients into
//     one value that opens to 0 exactly when all pass. For honest reports
//     only "pass" is revealed.
func validate(ctx context.Context, p *Party, recs []Record, reports int, prm Params) (*validation, error) {
	res := &validation{}
	if reports == 0 {
		return res, nil
	}
	f := field.ScalarField{}
	n := p.N()

	// Public random coefficients from a coin that no t parties control,
	// drawn after every client committed to its shares.
	r, err := p.PRSS(1)
	if err != nil {
		return nil, err
	}
	coin, err := p.Open(ctx, r)
	if err != nil {
		return nil, err
	}
	seed := sha256.Sum256(f.Append([]byte("safetrace epoch validation coin"), coin))
	rng := mrand.NewChaCha8(seed)
	coeffs := func(m int) ([]field.Scalar, error) {
		c := make([]field.Scalar, m)
		return c, f.Random(c, io.Reader(rng))
	}

	// 1. Masked combinations per report: sum rho_r P_r + m_q G and
	// sum rho'_r w_r + rho''_r minutes_r + m'_q.
	rho, err := coeffs(3 * len(recs))
	if err != nil {
		return nil, err
	}
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
		t.ScalarMult(&rho[3*i], &rec.Point)
		qp[q].Add(&qp[q], &t)
		qw[q] = f.Add(qw[q], f.Add(f.Mul(rho[3*i+1], rec.Weight), f.Mul(rho[3*i+2], rec.Minutes)))
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
	// From here on only the records of consistent reports are used.
	for q := range byReport {
		if bad[q] {
			byReport[q] = nil
		}
	}

	// 2. Range checks: w < 2^k and w + 2^k - 1 - max < 2^k, so w in
	// [0, max].
	k := max(1, bits.Len64(prm.MaxWeight))
	if k > maxLimitBits {
		return nil, fmt.Errorf("epoch: max weight %d too large", prm.MaxWeight)
	}
	twoKm1 := f.FromUint64(1<<k - 1)
	shift := func(limit uint64) field.Scalar { return f.Sub(twoKm1, f.FromUint64(limit)) }
	shiftW := shift(prm.MaxWeight)
	var ds []field.Scalar
	var owner []int
	for q, ix := range byReport {
		for _, i := range ix {
			w := recs[i].Weight
			ds = append(ds, w, f.Add(w, shiftW))
			owner = append(owner, q, q)
		}
	}
	if len(ds) > 0 {
		ok, err := p.InRange(ctx, ds, k)
		if err != nil {
			return nil, err
		}
		// Per report, open sum rho_i (1 - ok_i), which is 0 when every
		// check gave 1. A product of the checks would not do: a failing
		// check is not always 0, and two failures could multiply to 1.
		rhoR, err := coeffs(len(ds))
		if err != nil {
			return nil, err
		}
		sums := make([]field.Scalar, reports)
		one := f.One()
		for i, q := range owner {
			sums[q] = f.Add(sums[q], f.Mul(rhoR[i], f.Sub(one, ok[i])))
		}
		opened, err := p.Open(ctx, sums)
		if err != nil {
			return nil, err
		}
		for q := range opened {
			if opened[q] != (field.Scalar{}) {
				bad[q] = true
			}
		}
	}
	for q := range bad {
		if bad[q] {
			res.rejected = append(res.rejected, q)
		}
	}
	return res, nil
}
