package seir

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestReadEdges(t *testing.T) {
	g, err := ReadEdges(strings.NewReader("u,v\n0,1\n2, 1\n3,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g.N() != 4 || g.M() != 3 || g.Degree(0) != 2 || g.Degree(2) != 1 {
		t.Fatalf("got N=%d M=%d", g.N(), g.M())
	}
	var buf bytes.Buffer
	WriteEdges(&buf, g)
	if want := "u,v\n0,1\n0,3\n1,2\n"; buf.String() != want {
		t.Errorf("WriteEdges = %q, want %q", buf.String(), want)
	}
}

func TestReadEdgesErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		// Header problems.
		{"", "empty file"},
		{"a,b\n0,1\n", "header"},
		{"u\n0\n", "header"},
		// Malformed rows.
		{"u,v\n0,1,2\n", "line 2: 3 fields, want 2"},
		{"u,v\n0\n", "1 fields"},
		{"u,v\nx,1\n", `line 2, column 1: node "x"`},
		{"u,v\n0,-1\n", `node "-1"`},
		{"u,v\n0,1.5\n", `node "1.5"`},
		{"u,v\n0,99999999999\n", "not an integer"},
		{"u,v\n\"0,1\n", "seir: edge list"},
		// Graph problems.
		{"u,v\n2,2\n", "self-loop on node 2"},
		{"u,v\n0,1\n1,0\n", "listed twice"},
	} {
		_, err := ReadEdges(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "seir: ") {
			t.Errorf("ReadEdges(%q) error %v, want one containing %q", tc.in, err, tc.msg)
		}
	}
}

func TestReadParams(t *testing.T) {
	p, err := ReadParams(strings.NewReader("node,a,b\n1,2,0.5\n0,1,1\n"), 2, 0.3, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if p.A[1] != 2 || p.B[1] != 0.5 || p.Sigma[1] != 0.3 || p.Gamma[0] != 0.2 {
		t.Errorf("got %+v", p)
	}
	p, err = ReadParams(strings.NewReader("node,a,b,sigma,gamma\n0,1,1,0.5,0.25\n"), 1, 9, 9)
	if err != nil {
		t.Fatal(err)
	}
	if p.Sigma[0] != 0.5 || p.Gamma[0] != 0.25 {
		t.Errorf("per-node rates not used: %+v", p)
	}
}

func TestReadParamsErrors(t *testing.T) {
	for _, tc := range []struct {
		in  string
		n   int
		msg string
	}{
		{"node,a\n0,1\n", 1, "header"},
		{"node,a,b\n0,1\n", 1, "2 fields, want 3"},
		{"node,a,b\n0,1,1\n", 2, "node 1 missing"},
		{"node,a,b\n0,1,1\n0,2,2\n", 1, "node 0 listed twice"},
		{"node,a,b\n5,1,1\n", 2, "node 5 outside"},
		{"node,a,b\n0,-1,1\n", 1, `a "-1" is not a finite number >= 0`},
		{"node,a,b\n0,1,NaN\n", 1, `b "NaN"`},
		{"node,a,b\n0,1,Inf\n", 1, `b "Inf"`},
		{"node,a,b,sigma,gamma\n0,1,1,0,1\n", 1, `sigma "0" is not a finite number > 0`},
		{"node,a,b,sigma,gamma\n0,1,1,1,x\n", 1, `gamma "x"`},
	} {
		_, err := ReadParams(strings.NewReader(tc.in), tc.n, 1, 1)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ReadParams(%q) error %v, want one containing %q", tc.in, err, tc.msg)
		}
	}
}

func TestHistogram(t *testing.T) {
	h, err := ReadHistogram(strings.NewReader("degree,count\n3,2\n1,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0] != (DegreeCount{1, 3}) || h[1] != (DegreeCount{3, 2}) {
		t.Fatalf("got %v", h)
	}
	// Degree sum 3+6 = 9 is odd: the largest degree loses a stub.
	deg, err := DegreeSequence(h, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(deg) != "[1 1 1 3 2]" {
		t.Errorf("DegreeSequence = %v", deg)
	}
	// Scaled to 10 nodes: 6 of degree 1 and 4 of degree 3.
	deg, _ = DegreeSequence(h, 10)
	if fmt.Sprint(deg) != "[1 1 1 1 1 1 3 3 3 3]" {
		t.Errorf("scaled DegreeSequence = %v", deg)
	}
	for _, in := range []string{"degree,count\n1,2\n1,3\n", "degree,count\n1,-2\n", "deg,count\n", "degree,count\n1,x\n"} {
		if _, err := ReadHistogram(strings.NewReader(in)); err == nil {
			t.Errorf("ReadHistogram(%q) accepted", in)
		}
	}
	if _, err := DegreeSequence([]DegreeCount{{2, 0}}, 0); err == nil {
		t.Error("empty histogram accepted")
	}
}

func ExampleReadEdges() {
	g, err := ReadEdges(strings.NewReader("u,v\n0,1\n1,2\n"))
	fmt.Println(g.N(), g.M(), err)
	_, err = ReadEdges(strings.NewReader("u,v\n0,1\n1,1\n"))
	fmt.Println(err)
	WriteEdges(os.Stdout, g)
	// Output:
	// 3 2 <nil>
	// seir: edge list: line 3, column 1: self-loop on node 1
	// u,v
	// 0,1
	// 1,2
}
