package shamir

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

func TestRoundTripScalar(t *testing.T) {
	testRoundTrip[field.Scalar](t, field.ScalarField{})
}

// TestBlameOnlyWhenCertain is the regression test for blame with n = 2t+1:
// a wrong first share used to be blamed on the last one, because the
// polynomial through shares 1..t+1 disagreed with "only" one share.
func TestBlameOnlyWhenCertain(t *testing.T) {
	f := field.M61Field{}
	for _, tc := range []struct{ t, n int }{{1, 3}, {2, 5}, {1, 4}, {1, 5}, {2, 7}} {
		shares, err := Split(f, tc.t, tc.n, []field.M61{42}, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for bad := range shares {
			tampered := append([]Share[field.M61](nil), shares...)
			tampered[bad].Y = []field.M61{f.Add(shares[bad].Y[0], 1)}
			_, err := Reconstruct(f, tc.t, tampered)
			var ie *InconsistentError
			if !errors.As(err, &ie) {
				t.Fatalf("t=%d n=%d bad=%d: %v", tc.t, tc.n, bad+1, err)
			}
			certain := (tc.n-tc.t-1)/2 >= 1
			if certain && (len(ie.Bad) != 1 || ie.Bad[0] != bad+1) {
				t.Errorf("t=%d n=%d: blamed %v, want [%d]", tc.t, tc.n, ie.Bad, bad+1)
			}
			if !certain && len(ie.Bad) != 0 {
				t.Errorf("t=%d n=%d: blamed %v though the culprit is ambiguous", tc.t, tc.n, ie.Bad)
			}
		}
	}
}

func TestXAsFieldElement(t *testing.T) {
	f := field.M61Field{}
	// x = 2^61-1 is zero in GF(2^61-1): the share would be the secret.
	sh := []Share[field.M61]{{1, []field.M61{1}}, {field.P61, []field.M61{2}}}
	if _, err := Reconstruct(f, 1, sh); err == nil || !strings.Contains(err.Error(), "is zero in m61") {
		t.Errorf("x = p: %v", err)
	}
	sh = []Share[field.M61]{{1, []field.M61{1}}, {field.P61 + 1, []field.M61{2}}}
	if _, err := Reconstruct(f, 1, sh); err == nil || !strings.Contains(err.Error(), "equal in m61") {
		t.Errorf("x = p+1: %v", err)
	}
	// Lagrange at a negative point.
	l, err := Lagrange[field.M61](f, []int{1, 2}, -1)
	if err != nil || l[0] != 3 || l[1] != f.Neg(2) {
		t.Errorf("Lagrange at -1: %v %v", l, err)
	}
}

func TestReconstructPointsErrors(t *testing.T) {
	g := group.Generator()
	one := []group.Point{g}
	for _, tc := range []struct {
		name   string
		t      int
		shares []PointShare
	}{
		// Too few.
		{"none", 1, nil},
		{"one of two", 1, []PointShare{{1, one}}},
		// Bad x coordinates.
		{"zero x", 1, []PointShare{{0, one}, {2, one}}},
		{"negative x", 1, []PointShare{{-1, one}, {2, one}}},
		{"duplicate x", 1, []PointShare{{2, one}, {2, one}}},
		// Ragged values.
		{"ragged", 1, []PointShare{{1, one}, {2, []group.Point{g, g}}}},
		{"negative t", -1, []PointShare{{1, one}}},
	} {
		if _, err := ReconstructPoints(tc.t, tc.shares); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if _, err := SplitPoints(3, 3, one, rand.Reader); err == nil {
		t.Error("SplitPoints: t = n accepted")
	}
	if _, err := SplitPoints(1, 3, one, bytes.NewReader(nil)); err == nil {
		t.Error("SplitPoints: empty randomness accepted")
	}
}

func TestShareEncoding(t *testing.T) {
	f := field.ScalarField{}
	secrets := make([]field.Scalar, 4)
	f.Random(secrets, rand.Reader)
	shares, _ := Split(f, 1, 3, secrets, rand.Reader)
	for _, s := range shares {
		b := AppendShare(f, nil, s)
		got, err := DecodeShare(f, b)
		if err != nil || got.X != s.X || !bytes.Equal(AppendShare(f, nil, got), b) {
			t.Fatalf("round trip: %v", err)
		}
		for _, bad := range [][]byte{b[:5], b[:len(b)-1], append(b, 0), append([]byte{0, 0}, b[2:]...)} {
			if _, err := DecodeShare(f, bad); err == nil {
				t.Errorf("bad encoding %x accepted", bad)
			}
		}
	}
	if _, err := DecodeShare[field.GF256](field.GF256Field{}, []byte{1, 0, 0, 0, 0, 0}); err == nil {
		t.Error("GF(2^8) share with x = 256 accepted")
	}
	pts := make([]group.Point, 3)
	group.Random(pts, rand.Reader)
	ps, _ := SplitPoints(1, 3, pts, rand.Reader)
	b := AppendPointShare(nil, ps[2])
	got, err := DecodePointShare(b)
	if err != nil || got.X != 3 || !group.EqualVec(got.Y, ps[2].Y) {
		t.Fatalf("point share round trip: %v", err)
	}
	b[len(b)-1] |= 0x80 // not reduced
	if _, err := DecodePointShare(b); err == nil {
		t.Error("bad point accepted")
	}
}

// TestSplitAgainstBig checks share values against a direct evaluation of
// the polynomial in math/big.
func TestSplitAgainstBig(t *testing.T) {
	f := field.M61Field{}
	secrets := []field.M61{5, field.P61 - 1}
	shares, _ := Split(f, 2, 4, secrets, rand.Reader)
	// Recover the coefficients from 3 shares, then recheck the 4th share.
	res, err := Reconstruct(f, 2, shares)
	if err != nil || res[0] != 5 || res[1] != field.P61-1 {
		t.Fatal(err)
	}
	p := big.NewInt(field.P61)
	for k := range secrets {
		// Lagrange in math/big at x = 4 from shares 1..3.
		sum := new(big.Int)
		for i := 1; i <= 3; i++ {
			num, den := big.NewInt(1), big.NewInt(1)
			for j := 1; j <= 3; j++ {
				if j != i {
					num.Mul(num, big.NewInt(int64(4-j)))
					den.Mul(den, big.NewInt(int64(i-j)))
				}
			}
			term := new(big.Int).Mul(num, new(big.Int).ModInverse(new(big.Int).Mod(den, p), p))
			term.Mul(term, new(big.Int).SetUint64(uint64(shares[i-1].Y[k])))
			sum.Add(sum, term)
		}
		if sum.Mod(sum, p).Uint64() != uint64(shares[3].Y[k]) {
			t.Errorf("share 4 of secret %d off the polynomial", k)
		}
	}
}

func ExampleSplit() {
	f := field.M61Field{}
	// n = 3 parties, any t = 1 may collude, any 2 reconstruct.
	shares, err := Split(f, 1, 3, []field.M61{42, 7}, rand.Reader)
	if err != nil {
		panic(err)
	}
	secrets, err := Reconstruct(f, 1, []Share[field.M61]{shares[2], shares[0]})
	fmt.Println(secrets, err)
	// Output: [42 7] <nil>
}

func ExampleReconstruct_failure() {
	f := field.M61Field{}
	shares, _ := Split(f, 1, 3, []field.M61{42}, rand.Reader)
	_, err := Reconstruct(f, 1, shares[:1])
	fmt.Println(err)
	_, err = Reconstruct(f, 1, []Share[field.M61]{shares[0], shares[0]})
	fmt.Println(err)
	// Five shares of which one was altered: the culprit is certain.
	shares, _ = Split(f, 1, 5, []field.M61{42}, rand.Reader)
	shares[3].Y[0] = f.Add(shares[3].Y[0], 1)
	_, err = Reconstruct(f, 1, shares)
	fmt.Println(err, errors.Is(err, ErrInconsistent))
	// Output:
	// shamir: need 2 shares, got 1
	// shamir: duplicate x coordinate 1
	// shamir: shares are not consistent with one degree-t polynomial: shares [4] disagree true
}

func ExampleSplitPoints() {
	key := group.HashToPoint("safetrace/example", []byte("venue secret, 10:00 bucket"))
	shares, err := SplitPoints(1, 3, []group.Point{key}, rand.Reader)
	if err != nil {
		panic(err)
	}
	got, err := ReconstructPoints(1, shares[1:])
	fmt.Println(err, got[0].Equal(&key))
	// A tampered share among three is detected but cannot be pinned down.
	g := group.Generator()
	shares[0].Y[0].Add(&shares[0].Y[0], &g)
	_, err = ReconstructPoints(1, shares)
	fmt.Println(err)
	// Output:
	// <nil> true
	// shamir: shares are not consistent with one degree-t polynomial
}
