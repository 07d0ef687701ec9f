package circuit

import "fmt"

// Op is a Bristol Fashion gate operation.
type Op uint8

// The gate operations of Bristol Fashion.
const (
	XOR  Op = iota + 1 // Out[0] = In[0] ^ In[1]
	AND                // Out[0] = In[0] & In[1]
	INV                // Out[0] = !In[0]
	EQ                 // Out[0] = Const; In is empty
	EQW                // Out[0] = In[0]
	MAND               // Out[i] = In[i] & In[k+i] for k = len(Out), i < k
)

var opNames = [...]string{XOR: "XOR", AND: "AND", INV: "INV", EQ: "EQ", EQW: "EQW", MAND: "MAND"}

// String returns the name of op as written in Bristol Fashion files.
func (op Op) String() string {
	if op >= 1 && int(op) < len(opNames) {
		return opNames[op]
	}
	return fmt.Sprintf("Op(%d)", uint8(op))
}

// Linear reports whether op is evaluated locally in MPC (XOR, INV, EQ, EQW),
// as opposed to AND and MAND, which need a multiplication.
func (op Op) Linear() bool { return op != AND && op != MAND }

// Gate is one gate of a circuit.
type Gate struct {
	Op Op
	// In holds the input wires: two for XOR and AND, one for INV and EQW,
	// none for EQ, and 2k for a MAND with k outputs.
	In []int
	// Out holds the output wires: k for a MAND, one for every other op.
	Out []int
	// Const is the constant an EQ gate writes; false for other ops.
	Const bool
}

// Layer is one step of layered evaluation. An evaluator runs Linear, in order,
// and then the products AndOut[i] = AndA[i] & AndB[i] for all i, in any order or
// all at once. AndA, AndB and AndOut have equal lengths; they hold wire
// indices.
type Layer struct {
	// Linear holds the XOR, INV, EQ and EQW gates whose output has AND depth
	// equal to this layer's index, in file order, which is a valid
	// evaluation order.
	Linear []Gate
	// AndA, AndB and AndOut describe the AND products whose outputs have AND
	// depth one more than this layer's index: AND gates and the pairs of MAND
	// gates, flattened, in file order. Their inputs are all available once
	// Linear has run.
	AndA, AndB, AndOut []int
}

// Circuit is a parsed, validated Bristol Fashion circuit. Wires are numbered
// 0 to NumWires-1: the input values occupy the first wires in order, and the
// output values the last wires in order.
//
// A Circuit returned by [Parse] must not be modified: Gates and Layers share
// their slices. Its methods are safe for concurrent use.
type Circuit struct {
	NumWires int
	Inputs   []int  // width in bits of each input value
	Outputs  []int  // width in bits of each output value
	Gates    []Gate // in file order, a topological order
	// Layers has Depth+1 entries (see [Circuit.Stats]); the last one has no
	// AND products.
	Layers []Layer
}

// InputWires returns the wires start, start+1, ..., end-1 of input value i.
func (c *Circuit) InputWires(i int) (start, end int) {
	for _, w := range c.Inputs[:i] {
		start += w
	}
	return start, start + c.Inputs[i]
}

// OutputWires returns the wires start, start+1, ..., end-1 of output value i.
func (c *Circuit) OutputWires(i int) (start, end int) {
	start = c.NumWires
	for _, w := range c.Outputs[i:] {
		start -= w
	}
	return start, start + c.Outputs[i]
}

// Stats summarises a circuit's cost.
type Stats struct {
	Gates, Wires int
	// ANDs is the number of AND products, counting each MAND pair: the
	// number of secure multiplications per evaluation.
	ANDs int
	// Depth is the AND (multiplicative) depth: the number of rounds of
	// multiplication in a layered evaluation.
	Depth int
	// Ops counts gates by operation (a MAND counts once here).
	Ops map[Op]int
}

// Stats returns the circuit's gate counts and AND depth.
func (c *Circuit) Stats() Stats {
	s := Stats{Gates: len(c.Gates), Wires: c.NumWires, Ops: make(map[Op]int)}
	for _, g := range c.Gates {
		s.Ops[g.Op]++
	}
	for _, l := range c.Layers {
		s.ANDs += len(l.AndOut)
	}
	if len(c.Layers) > 0 {
		s.Depth = len(c.Layers) - 1
	}
	return s
}
