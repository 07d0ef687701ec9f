package seir

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"
)

// maxCSVNodes bounds node ids read from CSV so that a malformed file cannot
// make the reader allocate without limit.
const maxCSVNodes = 1 << 27

// csvReader wraps encoding/csv with the header check and line-numbered
// errors shared by the decoders in this file.
type csvReader struct {
	r    *csv.Reader
	what string
}

func newCSVReader(r io.Reader, what string, headers ...string) (*csvReader, []string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	c := &csvReader{r: cr, what: what}
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("seir: %s: empty file, want header %q", what, headers[0])
	}
	if err != nil {
		return nil, nil, fmt.Errorf("seir: %s: %w", what, err)
	}
	got := strings.Join(rec, ",")
	for _, h := range headers {
		if got == h {
			return c, append([]string(nil), rec...), nil
		}
	}
	return nil, nil, fmt.Errorf("seir: %s: header %q, want %q", what, got, strings.Join(headers, `" or "`))
}

// records yields the remaining records, each with want fields, and stops
// after the first error.
func (c *csvReader) records(want int) iter.Seq2[[]string, error] {
	return func(yield func([]string, error) bool) {
		for {
			rec, err := c.next(want)
			if err == io.EOF || !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// next returns the next record with want fields, or io.EOF.
func (c *csvReader) next(want int) ([]string, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("seir: %s: %w", c.what, err)
	}
	if len(rec) != want {
		line, _ := c.r.FieldPos(0)
		return nil, fmt.Errorf("seir: %s: line %d: %d fields, want %d", c.what, line, len(rec), want)
	}
	return rec, nil
}

func (c *csvReader) errorf(field int, format string, args ...any) error {
	line, col := c.r.FieldPos(field)
	return fmt.Errorf("seir: %s: line %d, column %d: %s", c.what, line, col, fmt.Sprintf(format, args...))
}

func (c *csvReader) node(rec []string, field int) (int, error) {
	v, err := strconv.Atoi(rec[field])
	if err != nil || v < 0 || v >= maxCSVNodes {
		return 0, c.errorf(field, "node %q is not an integer in 0..%d", rec[field], maxCSVNodes-1)
	}
	return v, nil
}

// ReadEdges reads an undirected graph from CSV with the header u,v and one
// edge per line between nodes given as non-negative integers. The graph has
// max(node)+1 nodes. Self-loops and repeated edges are errors.
func ReadEdges(r io.Reader) (*Graph, error) {
	cr, _, err := newCSVReader(r, "edge list", "u,v")
	if err != nil {
		return nil, err
	}
	var edges [][2]int
	n := 0
	for rec, err := range cr.records(2) {
		if err != nil {
			return nil, err
		}
		u, err := cr.node(rec, 0)
		if err != nil {
			return nil, err
		}
		v, err := cr.node(rec, 1)
		if err != nil {
			return nil, err
		}
		if u == v {
			return nil, cr.errorf(0, "self-loop on node %d", u)
		}
		edges = append(edges, [2]int{u, v})
		n = max(n, u+1, v+1)
	}
	g, err := NewGraph(n, edges)
	if err != nil {
		return nil, fmt.Errorf("seir: edge list: %s", strings.TrimPrefix(err.Error(), "seir: "))
	}
	return g, nil
}

// WriteEdges writes g as CSV with the header u,v, each edge once with u < v,
// in increasing order. ReadEdges reads it back as g, except that isolated
// nodes with the largest ids are not represented.
func WriteEdges(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("u,v\n")
	var buf []byte
	for _, e := range g.Edges() {
		buf = strconv.AppendInt(buf[:0], int64(e[0]), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(e[1]), 10)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}

// ReadParams reads per-node parameters for a graph of n nodes from CSV with
// the header node,a,b or node,a,b,sigma,gamma. Every node 0..n-1 must appear
// exactly once. Without the sigma and gamma columns every node gets the given
// sigma and gamma.
func ReadParams(r io.Reader, n int, sigma, gamma float64) (*NodeParams, error) {
	cr, hdr, err := newCSVReader(r, "node parameters", "node,a,b", "node,a,b,sigma,gamma")
	if err != nil {
		return nil, err
	}
	p := UniformParams(n, sigma, gamma)
	seen := make([]bool, n)
	count := 0
	for rec, err := range cr.records(len(hdr)) {
		if err != nil {
			return nil, err
		}
		v, err := cr.node(rec, 0)
		if err != nil {
			return nil, err
		}
		if v >= n {
			return nil, cr.errorf(0, "node %d outside the graph's 0..%d", v, n-1)
		}
		if seen[v] {
			return nil, cr.errorf(0, "node %d listed twice", v)
		}
		seen[v] = true
		count++
		dst := []*float64{&p.A[v], &p.B[v], &p.Sigma[v], &p.Gamma[v]}
		for f := 1; f < len(rec); f++ {
			x, err := strconv.ParseFloat(rec[f], 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || (f >= 3 && x == 0) {
				cond := ">= 0"
				if f >= 3 {
					cond = "> 0"
				}
				return nil, cr.errorf(f, "%s %q is not a finite number %s", hdr[f], rec[f], cond)
			}
			*dst[f-1] = x
		}
	}
	if count != n {
		for v, ok := range seen {
			if !ok {
				return nil, fmt.Errorf("seir: node parameters: node %d missing (%d of %d nodes listed)", v, count, n)
			}
		}
	}
	if err := p.Validate(n); err != nil {
		return nil, err
	}
	return p, nil
}

// WriteParams writes p as CSV with the header node,a,b,sigma,gamma.
func WriteParams(w io.Writer, p *NodeParams) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("node,a,b,sigma,gamma\n")
	var buf []byte
	for i := range p.A {
		buf = strconv.AppendInt(buf[:0], int64(i), 10)
		for _, x := range []float64{p.A[i], p.B[i], p.Sigma[i], p.Gamma[i]} {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, x, 'g', -1, 64)
		}
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}
