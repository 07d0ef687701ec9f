package epoch

import (
	"math/rand/v2"
	"testing"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

// BenchmarkTagStep is one party's local work of the tag step (step 4) for
// 10^4 records of 3 parties: its part lambda_i (K_i P_i + z_i G), the parts
// of the other two chunks encoded for their summers, the other two parties'
// parts of its own chunk decoded and added, its chunk's tags encoded and
// the other two chunks of tags decoded. Run with -cpu 1,2 to see how it
// spreads over cores.
func BenchmarkTagStep(b *testing.B) {
	const m, n, id = 10000, 3, 1
	f := field.ScalarField{}
	r := rand.NewChaCha8([32]byte{7})
	points := make([]group.Point, m)
	if err := group.Random(points, r); err != nil {
		b.Fatal(err)
	}
	z := make([]field.Scalar, m)
	k := make([]field.Scalar, 1)
	if err := f.Random(z, r); err != nil {
		b.Fatal(err)
	}
	if err := f.Random(k, r); err != nil {
		b.Fatal(err)
	}
	// The other parties' parts of this party's chunk and their chunks of
	// tags.
	lo, hi := tagChunk(m, n, id)
	parts := make([][]byte, n)
	tags := make([][]byte, n)
	for j := 2; j <= n; j++ {
		other := make([]group.Point, hi-lo)
		if err := group.Random(other, r); err != nil {
			b.Fatal(err)
		}
		parts[j-1] = group.AppendVec(nil, other)
		clo, chi := tagChunk(m, n, j)
		theirs := make([]group.Point, chi-clo)
		if err := group.Random(theirs, r); err != nil {
			b.Fatal(err)
		}
		tags[j-1] = group.AppendVec(nil, theirs)
	}
	for b.Loop() {
		mine := tagShares(points, k[0], z)
		_ = chunkParts(mine, n, id)
		sums, err := sumChunk(mine, parts, id)
		if err != nil {
			b.Fatal(err)
		}
		tags[id-1] = sums
		if _, err := joinTags(tags, m, id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
