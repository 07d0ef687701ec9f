package group

import (
	"bufio"
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/quick"

	"github.com/safetrace/safetrace/mpc/field"
)

var sf = field.ScalarField{}

func readVectors(t *testing.T, name string) []string {
	t.Helper()
	fh, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSmallMultiples(t *testing.T) {
	vecs := readVectors(t, "rfc9496-a1-small-multiples.txt")
	if len(vecs) != 16 {
		t.Fatalf("%d vectors", len(vecs))
	}
	var acc Point // the zero value is the identity, 0*B
	g := Generator()
	for i, v := range vecs {
		want := mustHex(t, v)
		if !bytes.Equal(acc.Bytes(), want) {
			t.Errorf("%d*B by addition: got %x", i, acc.Bytes())
		}
		k := sf.FromUint64(uint64(i))
		var p, q Point
		if !bytes.Equal(p.ScalarBaseMult(&k).Bytes(), want) || !bytes.Equal(q.ScalarMult(&k, &g).Bytes(), want) {
			t.Errorf("%d*B by scalar multiplication wrong", i)
		}
		var d Point
		if _, err := d.SetBytes(want); err != nil || !d.Equal(&acc) || !bytes.Equal(d.AppendBytes(nil), want) {
			t.Errorf("%d*B: decode: %v", i, err)
		}
		acc.Add(&acc, &g)
	}
}

func TestBadEncodings(t *testing.T) {
	vecs := readVectors(t, "rfc9496-a2-bad-encodings.txt")
	if len(vecs) != 29 {
		t.Fatalf("%d vectors", len(vecs))
	}
	for _, v := range vecs {
		reason, h, _ := strings.Cut(v, ": ")
		b := mustHex(t, h)
		p := Generator()
		_, err := p.SetBytes(b)
		if err == nil {
			t.Errorf("%s: %s accepted", reason, h)
			continue
		}
		g := Generator()
		if !p.Equal(&g) {
			t.Errorf("%s: SetBytes changed the receiver on error", reason)
		}
		msg := err.Error()
		var want string
		switch reason {
		case "non-canonical field encoding":
			want = "not reduced"
		case "negative field element":
			want = "negative field element"
		default:
			want = "not a ristretto255 group element"
		}
		if !strings.Contains(msg, want) {
			t.Errorf("%s: error %q does not say %q", reason, msg, want)
		}
		dst := make([]Point, 2)
		var de *DecodeError
		if err := DecodeVec(dst, append(make([]byte, 32), b...)); !errors.As(err, &de) || de.Index != 1 {
			t.Errorf("%s: DecodeVec: %v", reason, err)
		}
	}
	// Length errors.
	var p Point
	if _, err := p.SetBytes(make([]byte, 31)); err == nil || !strings.Contains(err.Error(), "need 32 bytes, got 31") {
		t.Errorf("short: %v", err)
	}
	if err := DecodeVec(make([]Point, 2), make([]byte, 65)); err == nil {
		t.Error("DecodeVec: wrong length accepted")
	}
}

func TestHashToGroupVectors(t *testing.T) {
	for _, v := range readVectors(t, "rfc9496-a3-hash-to-group.txt") {
		in, out, _ := strings.Cut(v, " | ")
		h := sha512.Sum512([]byte(in))
		var p Point
		if _, err := p.SetUniformBytes(h[:]); err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(p.Bytes()); got != out {
			t.Errorf("%q: got %s, want %s", in, got, out)
		}
	}
	var p Point
	if _, err := p.SetUniformBytes(make([]byte, 63)); err == nil {
		t.Error("63 uniform bytes accepted")
	}
}

func TestHashToPoint(t *testing.T) {
	a := HashToPoint("safetrace/venue", []byte("x"))
	b := HashToPoint("safetrace/venue", []byte("x"))
	if !a.Equal(&b) {
		t.Error("not deterministic")
	}
	// The length prefix separates domains from messages.
	c, d := HashToPoint("ab", []byte("c")), HashToPoint("a", []byte("bc"))
	if c.Equal(&d) {
		t.Error("domain not separated from message")
	}
	// The documented construction.
	h := sha512.Sum512([]byte("\x0fsafetrace/venuex"))
	var want Point
	want.SetUniformBytes(h[:])
	if !a.Equal(&want) {
		t.Error("HashToPoint differs from its documented construction")
	}
	for _, dom := range []string{"", strings.Repeat("d", 256)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("domain of %d bytes: no panic", len(dom))
				}
			}()
			HashToPoint(dom, nil)
		}()
	}
}

func TestZeroValue(t *testing.T) {
	var z Point
	g := Generator()
	if !z.IsIdentity() || !bytes.Equal(z.Bytes(), make([]byte, 32)) {
		t.Error("zero value is not the identity")
	}
	var s Point
	if !s.Add(&z, &g).Equal(&g) || !s.Sub(&g, &z).Equal(&g) || !s.Neg(&z).IsIdentity() || g.IsIdentity() {
		t.Error("identity arithmetic wrong")
	}
	k := sf.FromUint64(7)
	if !s.ScalarMult(&k, &z).IsIdentity() {
		t.Error("k*0 != 0")
	}
	// A vector of zero values added in place.
	v := make([]Point, 3)
	AddVec(v, v, v)
	for i := range v {
		if !v[i].IsIdentity() {
			t.Error("0+0 != 0")
		}
	}
}

// randPoints returns n uniform points, some of them the identity or the
// generator, from a seeded source.
func randPoints(seed uint64, n int) []Point {
	r := rand.New(rand.NewPCG(seed, 0))
	p := make([]Point, n)
	if err := Random(p, rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})); err != nil {
		panic(err)
	}
	for i := range p {
		switch r.IntN(6) {
		case 0:
			p[i] = Point{}
		case 1:
			p[i] = Generator()
		}
	}
	return p
}

func randScalars(seed uint64, n int) []field.Scalar {
	k := make([]field.Scalar, n)
	if err := sf.Random(k, rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 1})); err != nil {
		panic(err)
	}
	return k
}

func TestGroupLaws(t *testing.T) {
	cfg := &quick.Config{MaxCount: 50}
	if err := quick.Check(func(seed uint64) bool {
		p := randPoints(seed, 3)
		k := randScalars(seed, 2)
		var l, r, u, v Point
		// Associativity and commutativity.
		l.Add(l.Add(&p[0], &p[1]), &p[2])
		r.Add(&p[0], r.Add(&p[1], &p[2]))
		u.Add(&p[1], &p[0])
		v.Add(&p[0], &p[1])
		ok := l.Equal(&r) && u.Equal(&v)
		// Inverses.
		u.Sub(&p[0], &p[0])
		v.Neg(&p[1])
		v.Add(&v, &p[1])
		ok = ok && u.IsIdentity() && v.IsIdentity()
		// Distributivity: k(P+Q) = kP + kQ, (a+b)P = aP + bP.
		l.ScalarMult(&k[0], l.Add(&p[0], &p[1]))
		u.ScalarMult(&k[0], &p[0])
		v.ScalarMult(&k[0], &p[1])
		r.Add(&u, &v)
		ok = ok && l.Equal(&r)
		ab := sf.Add(k[0], k[1])
		l.ScalarMult(&ab, &p[2])
		u.ScalarMult(&k[0], &p[2])
		v.ScalarMult(&k[1], &p[2])
		r.Add(&u, &v)
		ok = ok && l.Equal(&r)
		// Base multiplication agrees with variable-base multiplication.
		g := Generator()
		u.ScalarBaseMult(&k[0])
		v.ScalarMult(&k[0], &g)
		return ok && u.Equal(&v)
	}, cfg); err != nil {
		t.Error(err)
	}
}

func TestVectorOps(t *testing.T) {
	const n = 9
	x, y := randPoints(1, n), randPoints(2, n)
	ks := randScalars(3, n)
	k := ks[0]
	type op struct {
		name string
		run  func(dst, x, y []Point)
		ref  func(x, y *Point) Point
	}
	ops := []op{
		{"AddVec", AddVec, func(x, y *Point) (p Point) { p.Add(x, y); return }},
		{"SubVec", SubVec, func(x, y *Point) (p Point) { p.Sub(x, y); return }},
		{"NegVec", func(dst, x, _ []Point) { NegVec(dst, x) }, func(x, _ *Point) (p Point) { p.Neg(x); return }},
		{"ScaleVec", func(dst, x, _ []Point) { ScaleVec(dst, x, k) }, func(x, _ *Point) (p Point) { p.ScalarMult(&k, x); return }},
		{"MulSmallAddVec", func(dst, x, y []Point) {
			if &dst[0] != &x[0] {
				copy(dst, x)
			}
			MulSmallAddVec(dst, 11, y)
		}, func(x, y *Point) (p Point) {
			e := sf.FromUint64(11)
			p.ScalarMult(&e, x)
			p.Add(&p, y)
			return
		}},
		{"LinearCombination", func(dst, x, y []Point) {
			LinearCombination(dst, []field.Scalar{ks[1], ks[2]}, [][]Point{x, y})
		}, func(x, y *Point) Point { return MultiScalarMul([]field.Scalar{ks[1], ks[2]}, []Point{*x, *y}) }},
		{"LinearCombinationSmall", func(dst, x, y []Point) {
			LinearCombination(dst, []field.Scalar{sf.FromUint64(3), sf.Neg(sf.FromUint64(1000))}, [][]Point{x, y})
		}, func(x, y *Point) (p Point) {
			a, b := sf.FromUint64(3), sf.Neg(sf.FromUint64(1000))
			var q Point
			p.ScalarMult(&a, x)
			q.ScalarMult(&b, y)
			p.Add(&p, &q)
			return
		}},
	}
	for _, o := range ops {
		for _, alias := range []string{"fresh", "dst=x", "dst=y", "dst=x=y"} {
			if alias != "fresh" && alias != "dst=x=y" && o.name == "MulSmallAddVec" {
				continue // dst is the accumulator; dst=x=y covers dst aliasing y
			}
			xx, yy := append([]Point(nil), x...), append([]Point(nil), y...)
			var dst []Point
			switch alias {
			case "fresh":
				dst = make([]Point, n)
			case "dst=x":
				dst = xx
			case "dst=y":
				dst = yy
			case "dst=x=y":
				yy, dst = xx, xx
			}
			want := make([]Point, n)
			for i := range want {
				if alias == "dst=x=y" {
					want[i] = o.ref(&x[i], &x[i])
				} else {
					want[i] = o.ref(&x[i], &y[i])
				}
			}
			o.run(dst, xx, yy)
			if !EqualVec(dst, want) {
				t.Errorf("%s %s: wrong result", o.name, alias)
			}
		}
	}
	// ScalarMulVec and ScalarBaseMulVec.
	got := append([]Point(nil), x...)
	ScalarMulVec(got, ks, got)
	for i := range got {
		var w Point
		if !got[i].Equal(w.ScalarMult(&ks[i], &x[i])) {
			t.Error("ScalarMulVec wrong")
		}
	}
	ScalarBaseMulVec(got, ks)
	g := make([]Point, n)
	for i := range g {
		g[i] = Generator()
	}
	ScalarMulVec(g, ks, g)
	if !EqualVec(got, g) || EqualVec(got, g[1:]) {
		t.Error("ScalarBaseMulVec wrong")
	}
	// MultiScalarMul against a sum of products.
	var sum Point
	for i := range x {
		var t Point
		sum.Add(&sum, t.ScalarMult(&ks[i], &x[i]))
	}
	if m := MultiScalarMul(ks, x); !m.Equal(&sum) {
		t.Error("MultiScalarMul wrong")
	}
	for _, f := range []func(){
		func() { AddVec(make([]Point, 2), x, y) },
		func() { ScalarMulVec(make([]Point, n), ks[1:], x) },
		func() { MultiScalarMul(ks[1:], x) },
		func() { LinearCombination(make([]Point, n), ks[:1], [][]Point{x[1:]}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic on length mismatch")
				}
			}()
			f()
		}()
	}
}

func TestRandom(t *testing.T) {
	p, q := make([]Point, 300), make([]Point, 300)
	for _, fill := range []func([]Point, *rand.ChaCha8) error{
		func(p []Point, r *rand.ChaCha8) error { return Random(p, r) },
	} {
		if err := fill(p, rand.NewChaCha8([32]byte{9})); err != nil {
			t.Fatal(err)
		}
		if err := fill(q, rand.NewChaCha8([32]byte{9})); err != nil {
			t.Fatal(err)
		}
		if !EqualVec(p, q) || p[0].Equal(&p[299]) || p[1].IsIdentity() {
			t.Error("Random: not deterministic in its reader, or repeats")
		}
	}
	// Random is element derivation from consecutive 64-byte blocks.
	raw := make([]byte, 64*300)
	rand.NewChaCha8([32]byte{9}).Read(raw)
	for i := range q {
		q[i].SetUniformBytes(raw[64*i : 64*i+64])
	}
	if !EqualVec(p, q) {
		t.Error("Random is not SetUniformBytes of its input")
	}
	if err := Random(p, bytes.NewReader(make([]byte, 100))); err == nil {
		t.Error("Random: no error from a short reader")
	}
}

func TestEncodeVec(t *testing.T) {
	x := randPoints(5, 20)
	b := AppendVec([]byte{1}, x)
	got := make([]Point, 20)
	if err := DecodeVec(got, b[1:]); err != nil || !EqualVec(got, x) {
		t.Fatalf("round trip: %v", err)
	}
	if !bytes.Equal(AppendVec(nil, got), b[1:]) {
		t.Error("re-encoding differs")
	}
}

// TestAddEncodedVec: the batched decode-and-add equals DecodeVec then
// AddVec, and an invalid element past the first batch is named by its
// index in the whole vector.
func TestAddEncodedVec(t *testing.T) {
	const n = 2*addBatch + 7
	x, y := randPoints(5, n), randPoints(6, n)
	want := make([]Point, n)
	AddVec(want, x, y)
	got := slices.Clone(x)
	b := AppendVec(nil, y)
	if err := AddEncodedVec(got, b); err != nil || !EqualVec(got, want) {
		t.Fatalf("AddEncodedVec: %v", err)
	}
	bad := addBatch + 3
	copy(b[Size*bad:], bytes.Repeat([]byte{0xff}, Size))
	var de *DecodeError
	if err := AddEncodedVec(slices.Clone(x), b); !errors.As(err, &de) || de.Index != bad {
		t.Errorf("invalid element %d: %v", bad, err)
	}
	if err := AddEncodedVec(make([]Point, 2), make([]byte, 65)); !errors.As(err, &de) || de.Index != -1 {
		t.Errorf("wrong length: %v", err)
	}
}
