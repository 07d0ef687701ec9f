package epoch

import (
	"context"
	"fmt"
	"sync"

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
	f := field.ScalarField{}
	n, id, m := p.N(), p.ID(), len(points)
	lam := p.Lambda(id)
	lk := f.Mul(lam, k)
	z, err := p.PRZS(m)
	if err != nil {
		return nil, err
	}
	f.ScaleVec(z, z, lam)
	mine := make([]group.Point, m)
	mask := make([]group.Point, m)
	parallel(m, func(lo, hi int) {
		group.ScaleVec(mine[lo:hi], points[lo:hi], lk)
		group.ScalarBaseMulVec(mask[lo:hi], z[lo:hi])
		group.AddVec(mine[lo:hi], mine[lo:hi], mask[lo:hi])
	})
	in, err := p.Broadcast(ctx, group.AppendVec(make([]byte, 0, m*group.Size), mine))
	if err != nil {
		return nil, err
	}
	for j := 1; j <= n; j++ {
		if j == id {
			continue
		}
		if len(in[j-1]) != m*group.Size {
			return nil, fmt.Errorf("epoch: tags: %d bytes from party %d, want %d", len(in[j-1]), j, m*group.Size)
		}
	}
	tags := make([]string, m)
	var mu sync.Mutex
	parallel(m, func(lo, hi int) {
		buf := make([]group.Point, hi-lo)
		sum := mine[lo:hi]
		for j := 1; j <= n; j++ {
			if j == id {
				continue
			}
			if e := group.DecodeVec(buf, in[j-1][lo*group.Size:hi*group.Size]); e != nil {
				mu.Lock()
				err = fmt.Errorf("epoch: tags: party %d: %w", j, e)
				mu.Unlock()
				return
			}
			group.AddVec(sum, sum, buf)
		}
		for i := range sum {
			tags[lo+i] = string(sum[i].Bytes())
		}
	})
	return tags, err
}
