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
	// weights replaces the weight shares of some records and drop leaves
	// some out (both by index into the epoch's records): the records of
	// one report on one key are folded into the first of them, which gets
	// their total weight, capped at MaxKeyWeight.
	weights map[int]field.Scalar
	drop    map[int]bool
}

// validate checks the positive reports (design 4.3 step 2) and returns the
// indices of those that fail, with the weights changed by the per-key cap.
//
//  1. Consistency: a report's point, weight and minute shares must lie on
//     polynomials of degree t. A random linear combination of its points and
//     one of its weights and minutes, each masked by a fresh random sharing,
//     are opened with all n shares; a report whose openings are not on one
//     degree-t polynomial is rejected here, and nothing of it enters a later
//     opening: every later step works on consistent sharings only, so a
//     client's inconsistent shares cannot make an opening fail.
//  2. Repetition (only when MaxKeyWeight > 0): the points of the remaining
//     reports are tagged with a fresh key K' nobody knows (as in [openTags]),
//     which shows, per report, which of its records have equal keys and
//     nothing else; K' is independent of the epoch key, so these tags cannot
//     be linked to the epoch's.
//  3. Range checks in MPC: every weight in [0, MaxWeight], the sum of each
//     report's weights in [0, MaxReportWeight] (when set); two InRange
//     checks per value, combined per report with random coefficients into
//     one value that opens to 0 exactly when all pass. For honest reports
//     only "pass" is revealed.
//  4. Fold and cap (only when MaxKeyWeight > 0): the records of one report
//     on one key become one record, the first of them, carrying the sum s of
//     their weights (a local sum of shares); where the records could
//     together exceed MaxKeyWeight = L, s is replaced by
//     min(s, L) = L + [s <= L] (s - L), with the bit from the range check
//     and one multiplication. Whether the cap applied is not revealed, and
//     the folded copies do not enter the shuffle, so the epoch's group sizes
//     do not show a report's repetitions either.
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

	// 2. Which records of a report share a key.
	kw := max(1, bits.Len64(prm.MaxWeight))
	if kw > maxLimitBits {
		return nil, fmt.Errorf("epoch: max weight %d too large", prm.MaxWeight)
	}
	if bits.Len64(prm.MaxReportWeight) > maxLimitBits || bits.Len64(prm.MaxKeyWeight) > maxLimitBits {
		return nil, fmt.Errorf("epoch: report limits %d and %d too large", prm.MaxReportWeight, prm.MaxKeyWeight)
	}
	k := max(kw, bits.Len64(prm.MaxReportWeight))
	// capped[q] lists report q's sets of records on one key that could
	// together carry more than MaxKeyWeight, merged[q] its other sets of
	// two records or more on one key.
	capped := make([][][]int, reports)
	merged := make([][][]int, reports)
	if prm.MaxKeyWeight > 0 {
		var idx []int
		var pts []group.Point
		for _, ix := range byReport {
			for _, i := range ix {
				idx = append(idx, i)
				pts = append(pts, recs[i].Point)
			}
		}
		kk, err := p.PRSS(1)
		if err != nil {
			return nil, err
		}
		var tags []string
		if len(pts) > 0 {
			tags, err = openTags(ctx, p, kk[0], pts)
		}
		clear(kk)
		if err != nil {
			return nil, fmt.Errorf("repetition tags: %w", err)
		}
		tagOf := make(map[int]string, len(idx))
		for j, i := range idx {
			tagOf[i] = tags[j]
		}
		for q, ix := range byReport {
			sets := map[string][]int{}
			var order []string
			for _, i := range ix {
				t := tagOf[i]
				if _, ok := sets[t]; !ok {
					order = append(order, t)
				}
				sets[t] = append(sets[t], i)
			}
			for _, t := range order {
				s := sets[t]
				c := uint64(len(s))
				if c > (1<<maxLimitBits-1)/max(prm.MaxWeight, 1) {
					// So many copies of one key that their sum would
					// not fit the range checks: no honest report.
					bad[q] = true
					byReport[q] = nil
					capped[q], merged[q] = nil, nil
					break
				}
				if c*prm.MaxWeight <= prm.MaxKeyWeight {
					// Cannot exceed the limit.
					if c > 1 {
						merged[q] = append(merged[q], s)
					}
					continue
				}
				k = max(k, bits.Len64(c*prm.MaxWeight))
				capped[q] = append(capped[q], s)
			}
		}
	}

	// 3. Range checks: x < 2^k and x + 2^k - 1 - limit < 2^k, so x in
	// [0, limit] (limit < 2^k), for every weight and, when limited, every
	// report's total. The per-key sums get the second check only: with
	// every weight in range they are below 2^k, and the check's bit is
	// [sum <= MaxKeyWeight], used for the cap rather than for rejection.
	twoKm1 := f.FromUint64(1<<k - 1)
	shift := func(limit uint64) field.Scalar { return f.Sub(twoKm1, f.FromUint64(limit)) }
	shiftW, shiftR, shiftK := shift(prm.MaxWeight), shift(prm.MaxReportWeight), shift(prm.MaxKeyWeight)
	var ds []field.Scalar
	var owner []int // report of ds[i] for rejection checks, -1 for cap bits
	type capSet struct {
		first []int // the records whose weight sum is capped
		sum   field.Scalar
	}
	var caps []capSet
	for q, ix := range byReport {
		var total field.Scalar
		for _, i := range ix {
			w := recs[i].Weight
			total = f.Add(total, w)
			ds = append(ds, w, f.Add(w, shiftW))
			owner = append(owner, q, q)
		}
		if prm.MaxReportWeight > 0 && len(ix) > 0 {
			ds = append(ds, total, f.Add(total, shiftR))
			owner = append(owner, q, q)
		}
		for _, s := range capped[q] {
			var sum field.Scalar
			for _, i := range s {
				sum = f.Add(sum, recs[i].Weight)
			}
			ds = append(ds, f.Add(sum, shiftK))
			owner = append(owner, -1)
			caps = append(caps, capSet{first: s, sum: sum})
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
		var capBits []field.Scalar
		for i, q := range owner {
			if q < 0 {
				capBits = append(capBits, ok[i])
				continue
			}
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

		// 4. The cap: L + [s <= L] (s - L). For a report that failed a
		// range check the bit means nothing, but the report is dropped.
		if len(caps) > 0 {
			limit := f.FromUint64(prm.MaxKeyWeight)
			diff := make([]field.Scalar, len(caps))
			for j, c := range caps {
				diff[j] = f.Sub(c.sum, limit)
			}
			prod, err := p.Mul(ctx, capBits, diff)
			if err != nil {
				return nil, err
			}
			for j, c := range caps {
				// Shares of the public L: every party adds L itself.
				res.fold(c.first, f.Add(limit, prod[j]))
			}
		}
	}
	for q := range merged {
		for _, s := range merged[q] {
			var sum field.Scalar
			for _, i := range s {
				sum = f.Add(sum, recs[i].Weight)
			}
			res.fold(s, sum)
		}
	}
	for q := range bad {
		if bad[q] {
			res.rejected = append(res.rejected, q)
		}
	}
	return res, nil
}

// fold replaces the records set by one record, the first, with weight w.
func (v *validation) fold(set []int, w field.Scalar) {
	if v.weights == nil {
		v.weights, v.drop = map[int]field.Scalar{}, map[int]bool{}
	}
	v.weights[set[0]] = w
	for _, i := range set[1:] {
		v.drop[i] = true
	}
}
