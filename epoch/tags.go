package epoch

import (
	"context"
	"fmt"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

// openTags opens T = K*P for every shared point, in one round. Party i sends
// lambda_i (K_i P_i + z_i G), where lambda_i is its Lagrange coefficient over
// all n parties and z is a pseudo-random sharing of zero of degree 2t: the
// products K_i P_i form a degree-2t sharing of K*P, the zero sharing
// re-randomises it, and the sum of what all parties send is K*P. Scaling by
// lambda_i before sending costs nothing (lambda_i K_i is one scalar) and
// leaves every receiver only additions. The tags are returned as their
// 32-byte encodings.
func openTags(ctx context.Context, p *Party, k field.Scalar, points []group.Point) ([]string, error) {
	return openTagsOf(ctx, p, k, points, nil)
}

// openTagsOf is openTags for shares given as points or, when logs is not
// nil, as their discrete logarithms (share i is logs[i]*G, see
// [shuffle.dealSeeded]): then this party's part is one fixed-base
// multiplication, (lambda_i K_i logs[i] + lambda_i z_i) G, instead of a
// variable-base and a fixed-base one.
func openTagsOf(ctx context.Context, p *Party, k field.Scalar, points []group.Point, logs []field.Scalar) ([]string, error) {
	f := field.ScalarField{}
	id, m := p.ID(), len(points)
	if logs != nil {
		m = len(logs)
	}
	lam := p.Lambda(id)
	lk := f.Mul(lam, k)
	z, err := p.PRZS(m)
	if err != nil {
		return nil, err
	}
	f.ScaleVec(z, z, lam)
	var mine []group.Point
	if logs != nil {
		mine = tagSharesLog(logs, lk, z)
	} else {
		mine = tagShares(points, lk, z)
	}
	clear(z)
	in, err := p.Broadcast(ctx, group.AppendVec(make([]byte, 0, m*group.Size), mine))
	if err != nil {
		return nil, err
	}
	return sumTags(mine, in, id)
}

// tagShares returns lk*points[i] + z[i]*G, this party's part of every tag.
// The group operations spread over all CPUs.
func tagShares(points []group.Point, lk field.Scalar, z []field.Scalar) []group.Point {
	m := len(points)
	mine := make([]group.Point, m)
	mask := make([]group.Point, m)
	group.ScaleVec(mine, points, lk)
	group.ScalarBaseMulVec(mask, z)
	group.AddVec(mine, mine, mask)
	return mine
}

// tagSharesLog returns (lk*logs[i] + z[i])*G, this party's part of every
// tag when its share of point i is logs[i]*G. It overwrites z.
func tagSharesLog(logs []field.Scalar, lk field.Scalar, z []field.Scalar) []group.Point {
	f := field.ScalarField{}
	f.AddScaledVec(z, logs, lk)
	mine := make([]group.Point, len(logs))
	group.ScalarBaseMulVec(mine, z)
	return mine
}

// sumTags adds the other parties' parts in (in[j-1] from party j; in[id-1]
// is ignored) to this party's part mine and returns the encoded sums. It
// overwrites mine.
func sumTags(mine []group.Point, in [][]byte, id int) ([]string, error) {
	m := len(mine)
	for j := 1; j <= len(in); j++ {
		if j == id {
			continue
		}
		if len(in[j-1]) != m*group.Size {
			return nil, fmt.Errorf("epoch: tags: %d bytes from party %d, want %d", len(in[j-1]), j, m*group.Size)
		}
	}
	buf := make([]group.Point, m)
	for j := 1; j <= len(in); j++ {
		if j == id {
			continue
		}
		if err := group.DecodeVec(buf, in[j-1]); err != nil {
			return nil, fmt.Errorf("epoch: tags: party %d: %w", j, err)
		}
		group.AddVec(mine, mine, buf)
	}
	enc := group.AppendVec(make([]byte, 0, m*group.Size), mine)
	tags := make([]string, m)
	for i := range tags {
		tags[i] = string(enc[i*group.Size : (i+1)*group.Size])
	}
	return tags, nil
}
