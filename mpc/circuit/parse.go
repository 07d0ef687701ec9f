package circuit

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits that [Parse] enforces, so that a malicious header cannot make the
// parser or an evaluator allocate unbounded memory.
const (
	MaxGates    = 1 << 26 // gates in one circuit
	MaxWires    = 1 << 26 // wires in one circuit
	MaxFileSize = 1 << 30 // bytes of one circuit file
)

// ParseFile reads and parses the Bristol Fashion circuit in the named file.
// See [Parse].
func ParseFile(path string) (*Circuit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("circuit: %w", err)
	}
	defer f.Close()
	c, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("circuit: %s: %w", path, err)
	}
	return c, nil
}

// Parse reads a Bristol Fashion circuit from r, validates it and computes its
// layering. It accepts blank lines anywhere, any run of spaces or tabs
// between fields, and CRLF line ends.
//
// Parse returns an error, never panics, on malformed input: wrong counts,
// unknown operations, wrong arities, wire indices out of range, a wire written
// twice or read before it is written (the input values are wires 0 to
// sum(Inputs)-1, written at the start), output wires never written, and limits
// exceeded. Wires that are neither inputs nor outputs and are never written
// are allowed, but a file may declare at most one such non-input wire per byte
// of its length. Memory use is thus bounded by a small multiple of the file
// size, except that input wires need no bytes of file: a circuit declaring up
// to [MaxWires] input bits is accepted.
func Parse(r io.Reader) (*Circuit, error) {
	c, err := parse(r)
	if err != nil {
		return nil, fmt.Errorf("circuit: %w", err)
	}
	return c, nil
}

func parse(r io.Reader) (*Circuit, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("file larger than %d bytes", MaxFileSize)
	}
	p := &parser{data: data}
	return p.circuit()
}

type parser struct {
	data   []byte
	pos    int      // start of the next line in data
	line   int      // number of the current line, from 1
	fields [][]byte // fields of the current line

	c      *Circuit
	numIn  int     // input wires: 0 to numIn-1
	levels []int32 // AND depth of wire numIn+i, or -1 if not yet written
	chunk  []int   // backing store for gate wire lists
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", p.line, fmt.Sprintf(format, args...))
}

// next advances to the next non-blank line and splits it into p.fields. It
// returns false at the end of the data.
func (p *parser) next() bool {
	for p.pos < len(p.data) {
		p.line++
		end := p.pos
		for end < len(p.data) && p.data[end] != '\n' {
			end++
		}
		line := p.data[p.pos:end]
		p.pos = end + 1
		p.fields = p.fields[:0]
		for i := 0; i < len(line); {
			for i < len(line) && isSpace(line[i]) {
				i++
			}
			j := i
			for j < len(line) && !isSpace(line[j]) {
				j++
			}
			if j > i {
				p.fields = append(p.fields, line[i:j])
			}
			i = j
		}
		if len(p.fields) > 0 {
			return true
		}
	}
	return false
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\r' || b == '\v' || b == '\f'
}

// quote formats a field for an error message, truncating long ones.
func quote(b []byte) string {
	if len(b) > 24 {
		return fmt.Sprintf("%q...", b[:24])
	}
	return fmt.Sprintf("%q", b)
}

// number parses a decimal field no larger than max.
func (p *parser) number(b []byte, what string, max int) (int, error) {
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, p.errorf("invalid %s %s", what, quote(b))
		}
		n = n*10 + int(d-'0')
		if n > max {
			return 0, p.errorf("%s %s too large (limit %d)", what, quote(b), max)
		}
	}
	return n, nil
}

func (p *parser) circuit() (*Circuit, error) {
	c := &Circuit{}
	p.c = c
	if !p.next() {
		return nil, errors.New("empty file")
	}
	if len(p.fields) != 2 {
		return nil, p.errorf("header has %d fields, want 2: gates wires", len(p.fields))
	}
	numGates, err := p.number(p.fields[0], "gate count", MaxGates)
	if err != nil {
		return nil, err
	}
	if c.NumWires, err = p.number(p.fields[1], "wire count", MaxWires); err != nil {
		return nil, err
	}
	var numOut int
	if c.Inputs, p.numIn, err = p.widths("input"); err != nil {
		return nil, err
	}
	if c.Outputs, numOut, err = p.widths("output"); err != nil {
		return nil, err
	}
	if p.numIn+numOut > c.NumWires {
		return nil, p.errorf("inputs and outputs need %d wires, header declares %d", p.numIn+numOut, c.NumWires)
	}
	// Every wire other than an input must be written by a gate, which takes
	// a few bytes of file, so this bounds p.levels by the file size.
	if c.NumWires-p.numIn > len(p.data) {
		return nil, fmt.Errorf("line 1: %d wires besides the inputs cannot be written in a %d-byte file", c.NumWires-p.numIn, len(p.data))
	}
	p.levels = make([]int32, c.NumWires-p.numIn)
	for i := range p.levels {
		p.levels[i] = -1
	}

	// A gate line has at least 10 bytes ("1 1 0 5 EQ") and a line end.
	c.Gates = make([]Gate, 0, min(numGates, len(p.data)/11+1))
	gateLevel := make([]int32, 0, cap(c.Gates))
	for p.next() {
		if len(c.Gates) == numGates {
			return nil, p.errorf("more gates than the %d in the header", numGates)
		}
		g, lvl, err := p.gate()
		if err != nil {
			return nil, err
		}
		c.Gates = append(c.Gates, g)
		gateLevel = append(gateLevel, lvl)
	}
	if len(c.Gates) != numGates {
		return nil, p.errorf("file has %d gates, header declares %d", len(c.Gates), numGates)
	}
	for w := c.NumWires - numOut; w < c.NumWires; w++ {
		if p.levels[w-p.numIn] < 0 {
			return nil, fmt.Errorf("output wire %d is never written", w)
		}
	}
	c.Layers = layers(c.Gates, gateLevel)
	return c, nil
}

// widths parses an input or output line: a count, then each value's width.
func (p *parser) widths(what string) (widths []int, total int, err error) {
	if !p.next() {
		return nil, 0, p.errorf("missing %s line", what)
	}
	n, err := p.number(p.fields[0], what+" count", len(p.fields))
	if err != nil {
		return nil, 0, err
	}
	if len(p.fields) != 1+n {
		return nil, 0, p.errorf("%s line declares %d values but has %d widths", what, n, len(p.fields)-1)
	}
	widths = make([]int, n)
	for i, f := range p.fields[1:] {
		w, err := p.number(f, what+" width", MaxWires)
		if err != nil {
			return nil, 0, err
		}
		if w == 0 {
			return nil, 0, p.errorf("%s %d has width 0", what, i)
		}
		total += w
		if total > p.c.NumWires {
			return nil, 0, p.errorf("%s widths exceed the %d wires", what, p.c.NumWires)
		}
		widths[i] = w
	}
	return widths, total, nil
}

var opsByName = map[string]Op{"XOR": XOR, "AND": AND, "INV": INV, "EQ": EQ, "EQW": EQW, "MAND": MAND}

// gate parses the current line as a gate. It returns the gate and the index of
// the layer it belongs to: the largest AND depth of its inputs.
func (p *parser) gate() (Gate, int32, error) {
	var g Gate
	f := p.fields
	if len(f) < 4 {
		return g, 0, p.errorf("gate has %d fields, want at least 4", len(f))
	}
	nin, err := p.number(f[0], "gate input count", len(f))
	if err != nil {
		return g, 0, err
	}
	nout, err := p.number(f[1], "gate output count", len(f))
	if err != nil {
		return g, 0, err
	}
	name := f[len(f)-1]
	op, ok := opsByName[string(name)]
	if !ok {
		return g, 0, p.errorf("unknown operation %s", quote(name))
	}
	g.Op = op
	if 2+nin+nout+1 != len(f) {
		return g, 0, p.errorf("gate has %d fields, want %d for %d inputs and %d outputs", len(f), 2+nin+nout+1, nin, nout)
	}
	var wantIn, wantOut int
	switch op {
	case XOR, AND:
		wantIn, wantOut = 2, 1
	case INV, EQ, EQW:
		wantIn, wantOut = 1, 1
	case MAND:
		if nout == 0 || nin != 2*nout {
			return g, 0, p.errorf("MAND gate has %d inputs and %d outputs, want 2k and k for some k >= 1", nin, nout)
		}
		wantIn, wantOut = nin, nout
	}
	if nin != wantIn || nout != wantOut {
		return g, 0, p.errorf("%v gate has %d inputs and %d outputs, want %d and %d", op, nin, nout, wantIn, wantOut)
	}

	var lvl int32
	ins, outs := f[2:2+nin], f[2+nin:2+nin+nout]
	if op == EQ {
		switch string(ins[0]) {
		case "0":
		case "1":
			g.Const = true
		default:
			return g, 0, p.errorf("EQ constant must be 0 or 1, got %s", quote(ins[0]))
		}
		ins = nil
	}
	wires := p.alloc(len(ins) + len(outs))
	for i, b := range ins {
		w, err := p.wire(b)
		if err != nil {
			return g, 0, err
		}
		if w >= p.numIn {
			l := p.levels[w-p.numIn]
			if l < 0 {
				return g, 0, p.errorf("wire %d read before it is written", w)
			}
			lvl = max(lvl, l)
		}
		wires[i] = w
	}
	outLevel := lvl
	if !op.Linear() {
		outLevel++
	}
	for i, b := range outs {
		w, err := p.wire(b)
		if err != nil {
			return g, 0, err
		}
		if w < p.numIn {
			return g, 0, p.errorf("gate writes input wire %d", w)
		}
		if p.levels[w-p.numIn] >= 0 {
			return g, 0, p.errorf("wire %d written twice", w)
		}
		p.levels[w-p.numIn] = outLevel
		wires[len(ins)+i] = w
	}
	if len(ins) > 0 {
		g.In = wires[:len(ins):len(ins)]
	}
	g.Out = wires[len(ins):]
	return g, lvl, nil
}

func (p *parser) wire(b []byte) (int, error) {
	w, err := p.number(b, "wire", MaxWires)
	if err != nil {
		return 0, err
	}
	if w >= p.c.NumWires {
		return 0, p.errorf("wire %d out of range: the circuit has %d wires", w, p.c.NumWires)
	}
	return w, nil
}

// alloc returns a slice of n ints with capacity n from a shared chunk, so that
// a large circuit does not need two allocations per gate.
func (p *parser) alloc(n int) []int {
	if len(p.chunk) < n {
		p.chunk = make([]int, max(n, 1<<12))
	}
	s := p.chunk[:n:n]
	p.chunk = p.chunk[n:]
	return s
}
