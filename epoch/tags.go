package epoch

import (
	"context"
	"fmt"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

// openTags opens T = K*P for every shared point, in two rounds. Party i's
// part of a tag is lambda_i (K_i P_i + z_i G), where lambda_i is its
// Lagrange coefficient over all n parties and z is a pseudo-random sharing
// of zero of degree 2t: the products K_i P_i form a degree-2t sharing of
// K*P, the zero sharing re-randomises it, and the sum of all parts is K*P.
// Scaling by lambda_i before sending costs nothing (lambda_i K_i is one
// scalar) and leaves the receiver only additions. The records are split
// into n chunks, chunk j summed by party j: in the first round every party
// sends party j its parts of chunk j, in the second party j broadcasts the
// encoded sums, which every party decodes (so a tag is a canonical point
// encoding whoever summed it). Per record a party encodes one point and
// decodes 2(n-1)/n, where every party summing every tag would encode two
// and decode n-1. The tags are returned as their 32-byte encodings.
// It overwrites points.
func openTags(ctx context.Context, p *Party, k field.Scalar, points []group.Point) ([]string, error) {
	return openTagsOf(ctx, p, k, points, nil)
}

// openTagsOf is openTags for shares given as points (which it overwrites) or, when logs is not
// nil, as their discrete logarithms (share i is logs[i]*G, see
// [shuffle.dealSeeded]): then this party's part is one fixed-base
// multiplication, (lambda_i K_i logs[i] + lambda_i z_i) G, instead of a
// variable-base and a fixed-base one.
func openTagsOf(ctx context.Context, p *Party, k field.Scalar, points []group.Point, logs []field.Scalar) ([]string, error) {
	f := field.ScalarField{}
	n, id, m := p.N(), p.ID(), len(points)
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
	in, err := p.Exchange(ctx, chunkParts(mine, n, id), nil)
	if err != nil {
		return nil, err
	}
	sums, err := sumChunk(mine, in, id)
	if err != nil {
		return nil, err
	}
	all, err := p.Broadcast(ctx, sums)
	if err != nil {
		return nil, err
	}
	return joinTags(all, m, id)
}

// tagShares returns lk*points[i] + z[i]*G, this party's part of every tag,
// computed in points (which it overwrites), the masks a batch at a time.
// The group operations spread over all CPUs.
func tagShares(points []group.Point, lk field.Scalar, z []field.Scalar) []group.Point {
	m := len(points)
	group.ScaleVec(points, points, lk)
	mask := make([]group.Point, min(m, dealBatch))
	for lo := 0; lo < m; lo += dealBatch {
		hi := min(lo+dealBatch, m)
		group.ScalarBaseMulVec(mask[:hi-lo], z[lo:hi])
		group.AddVec(points[lo:hi], points[lo:hi], mask[:hi-lo])
	}
	clear(mask)
	return points
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

// tagChunk returns the records [lo, hi) of m whose tags party j of n sums.
func tagChunk(m, n, j int) (lo, hi int) {
	return (j - 1) * m / n, j * m / n
}

// chunkParts returns the first round's messages: for every other party j
// the encodings of this party's parts of chunk j.
func chunkParts(mine []group.Point, n, id int) [][]byte {
	out := make([][]byte, n)
	for j := 1; j <= n; j++ {
		if j == id {
			continue
		}
		lo, hi := tagChunk(len(mine), n, j)
		out[j-1] = group.AppendVec(make([]byte, 0, (hi-lo)*group.Size), mine[lo:hi])
	}
	return out
}

// sumChunk decodes the other parties' parts of this party's chunk (in[j-1]
// from party j; in[id-1] is ignored), adds them to this party's own parts
// and returns the encoded sums: the chunk's tags. It overwrites the chunk
// of mine.
func sumChunk(mine []group.Point, in [][]byte, id int) ([]byte, error) {
	lo, hi := tagChunk(len(mine), len(in), id)
	own := mine[lo:hi]
	for j := 1; j <= len(in); j++ {
		if j != id && len(in[j-1]) != len(own)*group.Size {
			return nil, fmt.Errorf("epoch: tags: %d bytes from party %d, want %d", len(in[j-1]), j, len(own)*group.Size)
		}
	}
	for j := 1; j <= len(in); j++ {
		if j == id {
			continue
		}
		if err := group.AddEncodedVec(own, in[j-1]); err != nil {
			return nil, fmt.Errorf("epoch: tags: party %d: %w", j, err)
		}
	}
	return group.AppendVec(make([]byte, 0, len(own)*group.Size), own), nil
}

// joinTags checks the second round's chunks of tags (all[j-1] from party
// j, all[id-1] this party's own): each must be the canonical encodings of
// its chunk's points. It returns the m tags in order.
func joinTags(all [][]byte, m, id int) ([]string, error) {
	n := len(all)
	tags := make([]string, 0, m)
	var buf []group.Point
	for j := 1; j <= n; j++ {
		lo, hi := tagChunk(m, n, j)
		msg := all[j-1]
		if len(msg) != (hi-lo)*group.Size {
			return nil, fmt.Errorf("epoch: tags: %d bytes of tags from party %d, want %d", len(msg), j, (hi-lo)*group.Size)
		}
		if j != id {
			buf = buf[:0]
			buf = append(buf, make([]group.Point, hi-lo)...)
			if err := group.DecodeVec(buf, msg); err != nil {
				return nil, fmt.Errorf("epoch: tags: party %d: %w", j, err)
			}
		}
		for i := range hi - lo {
			tags = append(tags, string(msg[i*group.Size:(i+1)*group.Size]))
		}
	}
	return tags, nil
}
