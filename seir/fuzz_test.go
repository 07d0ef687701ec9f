package seir

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// FuzzReadEdges checks that ReadEdges never panics and that whatever it
// accepts round-trips: parse -> WriteEdges -> parse -> identical bytes.
func FuzzReadEdges(f *testing.F) {
	f.Add("u,v\n0,1\n1,2\n")
	f.Add("u,v\n")
	f.Add("u,v\n0,0\n")
	f.Fuzz(func(t *testing.T, in string) {
		g, err := ReadEdges(strings.NewReader(in))
		if err != nil {
			return
		}
		var a, b bytes.Buffer
		if err := WriteEdges(&a, g); err != nil {
			t.Fatal(err)
		}
		g2, err := ReadEdges(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("re-reading %q: %v", a.String(), err)
		}
		WriteEdges(&b, g2)
		if !bytes.Equal(a.Bytes(), b.Bytes()) || g2.M() != g.M() {
			t.Fatalf("round trip changed %q to %q", a.String(), b.String())
		}
	})
}

// FuzzReadParams checks ReadParams the same way; parameters read back must
// be bit-for-bit equal.
func FuzzReadParams(f *testing.F) {
	f.Add("node,a,b\n0,1,2\n1,0.5,1e-3\n", 2)
	f.Add("node,a,b,sigma,gamma\n0,1,1,0.2,0.1\n", 1)
	f.Fuzz(func(t *testing.T, in string, n int) {
		if n < 0 || n > 1000 {
			return
		}
		p, err := ReadParams(strings.NewReader(in), n, 0.5, 0.25)
		if err != nil {
			return
		}
		var a, b bytes.Buffer
		WriteParams(&a, p)
		p2, err := ReadParams(bytes.NewReader(a.Bytes()), n, 1, 1)
		if err != nil {
			t.Fatalf("re-reading %q: %v", a.String(), err)
		}
		WriteParams(&b, p2)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("round trip changed %q to %q", a.String(), b.String())
		}
		for i := range n {
			if math.Float64bits(p.A[i]) != math.Float64bits(p2.A[i]) || p.Sigma[i] != p2.Sigma[i] {
				t.Fatalf("node %d changed", i)
			}
		}
	})
}

// FuzzReadHistogram checks ReadHistogram and DegreeSequence.
func FuzzReadHistogram(f *testing.F) {
	f.Add("degree,count\n1,3\n3,2\n", 0)
	f.Add("degree,count\n0,1\n", 7)
	f.Fuzz(func(t *testing.T, in string, n int) {
		h, err := ReadHistogram(strings.NewReader(in))
		if err != nil {
			return
		}
		var a, b bytes.Buffer
		WriteHistogram(&a, h)
		h2, err := ReadHistogram(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("re-reading %q: %v", a.String(), err)
		}
		WriteHistogram(&b, h2)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("round trip changed %q to %q", a.String(), b.String())
		}
		if n < 0 || n > 10000 || totalCount(h) > 10000 {
			return
		}
		deg, err := DegreeSequence(h, n)
		if err != nil {
			return
		}
		if want := max(n, 0); n > 0 && len(deg) != want {
			t.Fatalf("DegreeSequence gave %d nodes, want %d", len(deg), want)
		}
		if sumInts(deg)%2 != 0 {
			t.Fatal("odd degree sum")
		}
	})
}

func totalCount(h []DegreeCount) int {
	s := 0
	for _, b := range h {
		s += b.Count
	}
	return s
}
