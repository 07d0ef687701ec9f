package shamir

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/safetrace/safetrace/mpc/field"
)

func testRoundTrip[E comparable](t *testing.T, f field.Field[E]) {
	for _, tc := range []struct{ t, n int }{{0, 1}, {1, 3}, {2, 5}, {3, 7}, {1, 4}} {
		secrets := make([]E, 17)
		if err := f.Random(secrets, rand.Reader); err != nil {
			t.Fatal(err)
		}
		shares, err := Split(f, tc.t, tc.n, secrets, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		// Every subset of size >= t+1 reconstructs.
		for mask := 1; mask < 1<<tc.n; mask++ {
			var sub []Share[E]
			for i := 0; i < tc.n; i++ {
				if mask&(1<<i) != 0 {
					sub = append(sub, shares[i])
				}
			}
			got, err := Reconstruct(f, tc.t, sub)
			if len(sub) <= tc.t {
				if err == nil {
					t.Fatalf("%s t=%d: %d shares reconstructed", f.Name(), tc.t, len(sub))
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s t=%d n=%d mask=%b: %v", f.Name(), tc.t, tc.n, mask, err)
			}
			for k := range got {
				if got[k] != secrets[k] {
					t.Fatalf("%s: wrong secret %d", f.Name(), k)
				}
			}
		}
		if tc.n >= tc.t+2 {
			// A tampered share is detected and, with a majority, blamed.
			bad := append([]Share[E](nil), shares...)
			y := append([]E(nil), bad[tc.n-1].Y...)
			y[3] = f.Add(y[3], f.One())
			bad[tc.n-1].Y = y
			_, err := Reconstruct(f, tc.t, bad)
			var ie *InconsistentError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInconsistent) {
				t.Fatalf("%s t=%d n=%d: tampered share not detected: %v", f.Name(), tc.t, tc.n, err)
			}
			if tc.n >= 2*tc.t+2 || (tc.n >= tc.t+3) {
				if len(ie.Bad) != 1 || ie.Bad[0] != tc.n {
					t.Errorf("%s t=%d n=%d: blamed %v, want [%d]", f.Name(), tc.t, tc.n, ie.Bad, tc.n)
				}
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	testRoundTrip[field.M61](t, field.M61Field{})
	testRoundTrip[field.GF256](t, field.GF256Field{})
}

func TestReconstructErrors(t *testing.T) {
	f := field.M61Field{}
	ok := []M61Share{{1, []field.M61{1}}, {2, []field.M61{2}}}
	for _, tc := range []struct {
		name   string
		t      int
		shares []M61Share
	}{
		// Too few.
		{"none", 1, nil},
		{"one of two", 1, ok[:1]},
		// Bad x coordinates.
		{"zero x", 1, []M61Share{{0, []field.M61{1}}, {2, []field.M61{2}}}},
		{"negative x", 1, []M61Share{{-1, []field.M61{1}}, {2, []field.M61{2}}}},
		{"duplicate x", 1, []M61Share{{2, []field.M61{1}}, {2, []field.M61{2}}}},
		// Ragged values.
		{"ragged", 1, []M61Share{{1, []field.M61{1}}, {2, []field.M61{2, 3}}}},
		{"negative t", -1, ok},
	} {
		if _, err := Reconstruct[field.M61](f, tc.t, tc.shares); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if _, err := Reconstruct[field.GF256](field.GF256Field{}, 1, []Share[field.GF256]{{1, []field.GF256{1}}, {256, []field.GF256{1}}}); err == nil {
		t.Error("x=256 in GF(2^8): no error")
	}
}

type M61Share = Share[field.M61]
