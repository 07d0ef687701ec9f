package shamir

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/safetrace/safetrace/mpc/group"
)

func TestPointRoundTrip(t *testing.T) {
	for _, tc := range []struct{ t, n int }{{0, 1}, {1, 3}, {2, 5}, {1, 4}, {3, 7}} {
		secrets := make([]group.Point, 5)
		if err := group.Random(secrets[1:], rand.Reader); err != nil {
			t.Fatal(err)
		}
		shares, err := SplitPoints(tc.t, tc.n, secrets, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for mask := 1; mask < 1<<tc.n; mask++ {
			var sub []PointShare
			for i := 0; i < tc.n; i++ {
				if mask&(1<<i) != 0 {
					sub = append(sub, shares[i])
				}
			}
			got, err := ReconstructPoints(tc.t, sub)
			if len(sub) <= tc.t {
				if err == nil {
					t.Fatalf("t=%d: %d shares reconstructed", tc.t, len(sub))
				}
				continue
			}
			if err != nil {
				t.Fatalf("t=%d n=%d mask=%b: %v", tc.t, tc.n, mask, err)
			}
			if !group.EqualVec(got, secrets) {
				t.Fatalf("t=%d n=%d mask=%b: wrong secrets", tc.t, tc.n, mask)
			}
		}
		if tc.n >= tc.t+2 {
			for bad := 0; bad < tc.n; bad++ {
				tampered := append([]PointShare(nil), shares...)
				y := append([]group.Point(nil), tampered[bad].Y...)
				g := group.Generator()
				y[3].Add(&y[3], &g)
				tampered[bad].Y = y
				_, err := ReconstructPoints(tc.t, tampered)
				var ie *InconsistentError
				if !errors.As(err, &ie) || !errors.Is(err, ErrInconsistent) {
					t.Fatalf("t=%d n=%d: tampered share %d not detected: %v", tc.t, tc.n, bad+1, err)
				}
				if (tc.n-tc.t-1)/2 >= 1 {
					if len(ie.Bad) != 1 || ie.Bad[0] != bad+1 {
						t.Errorf("t=%d n=%d: blamed %v, want [%d]", tc.t, tc.n, ie.Bad, bad+1)
					}
				} else if len(ie.Bad) != 0 {
					t.Errorf("t=%d n=%d: blamed %v, want undecided", tc.t, tc.n, ie.Bad)
				}
			}
		}
	}
}
