package epoch

import (
	"math/rand/v2"
	"testing"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

// BenchmarkTagStep is one party's local work of the tag step (step 4) for
// 10^4 records of 3 parties: its part lambda_i (K_i P_i + z_i G), encoded
// for the broadcast, then the other two parties' parts decoded, added and
// the tags encoded. Run with -cpu 1,2 to see how it spreads over cores.
func BenchmarkTagStep(b *testing.B) {
	const m = 10000
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
	in := make([][]byte, 3)
	for j := 1; j < 3; j++ {
		other := make([]group.Point, m)
		if err := group.Random(other, r); err != nil {
			b.Fatal(err)
		}
		in[j] = group.AppendVec(nil, other)
	}
	for b.Loop() {
		mine := tagShares(points, k[0], z)
		_ = group.AppendVec(make([]byte, 0, m*group.Size), mine)
		if _, err := sumTags(mine, in, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
