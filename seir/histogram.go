package seir

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// A DegreeCount is one bin of a degree histogram: Count nodes have Degree
// contacts.
type DegreeCount struct {
	Degree, Count int
}

// ReadHistogram reads a degree histogram from CSV with the header
// degree,count. Degrees and counts are non-negative integers and each degree
// appears at most once. The bins are returned sorted by degree.
func ReadHistogram(r io.Reader) ([]DegreeCount, error) {
	cr, _, err := newCSVReader(r, "degree histogram", "degree,count")
	if err != nil {
		return nil, err
	}
	var h []DegreeCount
	seen := map[int]bool{}
	for rec, err := range cr.records(2) {
		if err != nil {
			return nil, err
		}
		d, err := cr.node(rec, 0)
		if err != nil {
			return nil, cr.errorf(0, "degree %q is not an integer in 0..%d", rec[0], maxCSVNodes-1)
		}
		c, err := cr.node(rec, 1)
		if err != nil {
			return nil, cr.errorf(1, "count %q is not an integer in 0..%d", rec[1], maxCSVNodes-1)
		}
		if seen[d] {
			return nil, cr.errorf(0, "degree %d listed twice", d)
		}
		seen[d] = true
		h = append(h, DegreeCount{d, c})
	}
	slices.SortFunc(h, func(a, b DegreeCount) int { return a.Degree - b.Degree })
	return h, nil
}

// WriteHistogram writes h as CSV with the header degree,count.
func WriteHistogram(w io.Writer, h []DegreeCount) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("degree,count\n")
	for _, b := range h {
		bw.WriteString(strconv.Itoa(b.Degree) + "," + strconv.Itoa(b.Count) + "\n")
	}
	return bw.Flush()
}

// DegreeSequence turns a histogram into a degree sequence for
// [ConfigurationModel]. If n is 0 the histogram's counts are used as they
// are; otherwise the histogram is read as a distribution and scaled to n
// nodes by largest-remainder rounding, so a released histogram can be
// applied to a population of another size. If the degree sum is odd, one
// node of the largest degree loses one stub. Nodes are ordered by degree.
func DegreeSequence(h []DegreeCount, n int) ([]int, error) {
	total := 0
	for _, b := range h {
		if b.Degree < 0 || b.Count < 0 {
			return nil, fmt.Errorf("seir: histogram bin %d,%d is negative", b.Degree, b.Count)
		}
		total += b.Count
		if total > maxCSVNodes {
			return nil, fmt.Errorf("seir: histogram has more than %d nodes", maxCSVNodes)
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("seir: histogram is empty")
	}
	if n < 0 || n > maxCSVNodes {
		return nil, fmt.Errorf("seir: node count %d out of range", n)
	}
	counts := make([]int, len(h))
	for i, b := range h {
		counts[i] = b.Count
	}
	if n > 0 && n != total {
		counts = scaleCounts(counts, total, n)
	}
	var deg []int
	for i, b := range h {
		for range counts[i] {
			deg = append(deg, b.Degree)
		}
	}
	if len(deg) > 0 && sumInts(deg)%2 != 0 {
		// deg is sorted by degree, so the last node has the largest one.
		deg[len(deg)-1]--
	}
	return deg, nil
}

// scaleCounts scales counts summing to total so that they sum to n, by
// largest-remainder rounding (ties to the lower bin).
func scaleCounts(counts []int, total, n int) []int {
	out := make([]int, len(counts))
	rem := make([]float64, len(counts))
	left := n
	for i, c := range counts {
		x := float64(c) * float64(n) / float64(total)
		out[i] = int(math.Floor(x))
		rem[i] = x - float64(out[i])
		left -= out[i]
	}
	idx := make([]int, len(counts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case rem[a] > rem[b]:
			return -1
		case rem[a] < rem[b]:
			return 1
		}
		return 0
	})
	for k := 0; k < left; k++ {
		out[idx[k%len(idx)]]++
	}
	return out
}

func sumInts(x []int) int {
	s := 0
	for _, v := range x {
		s += v
	}
	return s
}
