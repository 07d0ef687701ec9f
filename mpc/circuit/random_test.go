package circuit

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
)

// randomCircuit returns a random valid circuit in canonical form (as written
// by WriteTo), using every op, wires written out of order and a few unused
// wires.
func randomCircuit(r *rand.Rand) []byte {
	ins := make([]int, r.IntN(4))
	numIn := 0
	for i := range ins {
		ins[i] = 1 + r.IntN(8)
		numIn += ins[i]
	}
	outs := make([]int, 1+r.IntN(3))
	numOut := 0
	for i := range outs {
		outs[i] = 1 + r.IntN(4)
		numOut += outs[i]
	}
	type gate struct {
		op      Op
		in, out []int // virtual wires: inputs are 0..numIn-1
		c       bool
	}
	var gates []gate
	avail := make([]int, numIn)
	for i := range avail {
		avail[i] = i
	}
	next := numIn
	pick := func() int { return avail[r.IntN(len(avail))] }
	newGate := func(outputs []int) gate {
		op := Op(1 + r.IntN(6))
		if len(avail) == 0 {
			op = EQ
		}
		if op == MAND && outputs != nil {
			op = AND
		}
		g := gate{op: op}
		switch op {
		case XOR, AND:
			g.in = []int{pick(), pick()}
		case INV, EQW:
			g.in = []int{pick()}
		case EQ:
			g.c = r.IntN(2) == 1
		case MAND:
			k := 1 + r.IntN(3)
			for range 2 * k {
				g.in = append(g.in, pick())
			}
			outputs = make([]int, k)
			for i := range outputs {
				outputs[i] = next
				next++
			}
		}
		if outputs == nil {
			outputs = []int{next}
			next++
		}
		g.out = outputs
		return g
	}
	for range r.IntN(60) {
		g := newGate(nil)
		gates = append(gates, g)
		avail = append(avail, g.out...)
	}
	// Map virtual intermediate wires to a random subset of the wires
	// between the inputs and the outputs, leaving up to 2 unused.
	numMid := next - numIn
	gaps := r.IntN(3)
	numWires := numIn + numMid + gaps + numOut
	slots := r.Perm(numMid + gaps)
	real := func(v int) int {
		if v < numIn {
			return v
		}
		if v >= numIn+numMid { // an output wire
			return v - numIn - numMid + numWires - numOut
		}
		return numIn + slots[v-numIn]
	}
	for i := range numOut {
		gates = append(gates, newGate([]int{numIn + numMid + i}))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d %d\n", len(gates), numWires)
	for _, ws := range [][]int{ins, outs} {
		fmt.Fprint(&b, len(ws))
		for _, w := range ws {
			fmt.Fprintf(&b, " %d", w)
		}
		fmt.Fprintln(&b)
	}
	fmt.Fprintln(&b)
	for _, g := range gates {
		if g.op == EQ {
			c := 0
			if g.c {
				c = 1
			}
			fmt.Fprintf(&b, "1 1 %d %d EQ\n", c, real(g.out[0]))
			continue
		}
		fmt.Fprintf(&b, "%d %d", len(g.in), len(g.out))
		for _, w := range append(g.in[:len(g.in):len(g.in)], g.out...) {
			fmt.Fprintf(&b, " %d", real(w))
		}
		fmt.Fprintf(&b, " %v\n", g.op)
	}
	return b.Bytes()
}

// checkLayers checks the contract of Circuit.Layers: running each layer's
// linear gates in order and then its products reads only wires already
// written, covers every gate once and writes every output.
func checkLayers(t *testing.T, c *Circuit) {
	t.Helper()
	numIn := 0
	for _, w := range c.Inputs {
		numIn += w
	}
	ready := make([]bool, c.NumWires)
	for i := range numIn {
		ready[i] = true
	}
	read := func(w int) {
		if !ready[w] {
			t.Fatalf("layers read wire %d before writing it", w)
		}
	}
	write := func(w int) {
		if ready[w] {
			t.Fatalf("layers write wire %d twice", w)
		}
		ready[w] = true
	}
	linear, ands := 0, 0
	for i, l := range c.Layers {
		for _, g := range l.Linear {
			if !g.Op.Linear() {
				t.Fatalf("layer %d: %v gate among linear gates", i, g.Op)
			}
			for _, w := range g.In {
				read(w)
			}
			write(g.Out[0])
			linear++
		}
		if len(l.AndA) != len(l.AndOut) || len(l.AndB) != len(l.AndOut) {
			t.Fatalf("layer %d: product lists of lengths %d, %d, %d", i, len(l.AndA), len(l.AndB), len(l.AndOut))
		}
		for j := range l.AndOut {
			read(l.AndA[j])
			read(l.AndB[j])
		}
		for _, w := range l.AndOut {
			write(w)
		}
		ands += len(l.AndOut)
		if i == len(c.Layers)-1 && len(l.AndOut) != 0 {
			t.Fatalf("last layer has %d products", len(l.AndOut))
		}
	}
	wantLinear, wantAnds := 0, 0
	for _, g := range c.Gates {
		if g.Op.Linear() {
			wantLinear++
		} else {
			wantAnds += len(g.Out)
		}
	}
	if linear != wantLinear || ands != wantAnds {
		t.Fatalf("layers hold %d linear gates and %d products, want %d and %d", linear, ands, wantLinear, wantAnds)
	}
	for w := c.NumWires - 1; w >= c.NumWires-sum(c.Outputs); w-- {
		read(w)
	}
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

// checkEval compares EvalBits, which walks the layers, with EvalBatch64,
// which walks the gates in file order, on 64 pseudo-random instances.
func checkEval(t *testing.T, c *Circuit, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	words := make([][]uint64, len(c.Inputs))
	for i, w := range c.Inputs {
		words[i] = make([]uint64, w)
		for j := range words[i] {
			words[i][j] = r.Uint64()
		}
	}
	got64, err := c.EvalBatch64(words)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 64 {
		bits := make([][]bool, len(c.Inputs))
		for i := range bits {
			bits[i] = make([]bool, c.Inputs[i])
			for j := range bits[i] {
				bits[i][j] = words[i][j]>>k&1 == 1
			}
		}
		got, err := c.EvalBits(bits)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			for j := range got[i] {
				if got[i][j] != (got64[i][j]>>k&1 == 1) {
					t.Fatalf("instance %d output %d bit %d: EvalBits %v, EvalBatch64 disagrees", k, i, j, got[i][j])
				}
			}
		}
	}
}

// checkRoundTrip checks that writing c and parsing the result gives c back,
// and that writing is idempotent.
func checkRoundTrip(t *testing.T, c *Circuit) []byte {
	t.Helper()
	text, err := c.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Parse(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("re-parsing written circuit: %v\n%s", err, text)
	}
	if !reflect.DeepEqual(c, c2) {
		t.Fatalf("re-parsed circuit differs:\n%s", text)
	}
	text2, _ := c2.MarshalText()
	if !bytes.Equal(text, text2) {
		t.Fatalf("writing is not idempotent:\n%s\n%s", text, text2)
	}
	return text
}

func TestRandomCircuits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		src := randomCircuit(r)
		c, err := Parse(bytes.NewReader(src))
		if err != nil {
			t.Fatalf("circuit %d: %v\n%s", i, err, src)
		}
		checkLayers(t, c)
		checkEval(t, c, uint64(i))
		if text := checkRoundTrip(t, c); !bytes.Equal(text, src) {
			t.Fatalf("circuit %d: written form differs from canonical source:\n%s\n%s", i, src, text)
		}
	}
}

func TestTestdataCircuits(t *testing.T) {
	for _, name := range []string{"aes_128.txt", "adder64.txt", "small/ops.txt", "small/const.txt", "small/layers.txt"} {
		c := load(t, name)
		checkLayers(t, c)
		checkEval(t, c, 7)
		text := checkRoundTrip(t, c)
		// The collection's files differ from canonical form only by the
		// trailing spaces of the header lines and blank lines at the end.
		orig, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		orig = bytes.ReplaceAll(orig, []byte(" \n"), []byte("\n"))
		orig = append(bytes.TrimRight(orig, "\n"), '\n')
		if (name == "adder64.txt" || name == "aes_128.txt") && !bytes.Equal(orig, text) {
			t.Errorf("%s: written form differs from the file beyond trailing spaces", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkLayers(t, c)
		checkRoundTrip(t, c)
		if c.NumWires <= 1<<12 {
			checkEval(t, c, uint64(len(data)))
		}
	})
}
