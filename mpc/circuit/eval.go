package circuit

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// EvalBits evaluates the circuit on plaintext bits: inputs[i][j] is wire j of
// input value i. It returns one slice of bits per output value. It walks
// [Circuit.Layers] the way an MPC evaluator does, so it also serves as the
// reference for one.
func (c *Circuit) EvalBits(inputs [][]bool) ([][]bool, error) {
	if err := c.checkInputs(len(inputs), func(i int) int { return len(inputs[i]) }); err != nil {
		return nil, err
	}
	w := make([]bool, c.NumWires)
	n := 0
	for _, in := range inputs {
		n += copy(w[n:], in)
	}
	for _, l := range c.Layers {
		for _, g := range l.Linear {
			switch g.Op {
			case XOR:
				w[g.Out[0]] = w[g.In[0]] != w[g.In[1]]
			case INV:
				w[g.Out[0]] = !w[g.In[0]]
			case EQ:
				w[g.Out[0]] = g.Const
			case EQW:
				w[g.Out[0]] = w[g.In[0]]
			}
		}
		for i, o := range l.AndOut {
			w[o] = w[l.AndA[i]] && w[l.AndB[i]]
		}
	}
	out := make([][]bool, len(c.Outputs))
	n = c.NumWires
	for i := len(c.Outputs) - 1; i >= 0; i-- {
		n -= c.Outputs[i]
		out[i] = w[n : n+c.Outputs[i] : n+c.Outputs[i]]
	}
	return out, nil
}

// EvalBatch64 evaluates the circuit on 64 instances at once: bit k of
// inputs[i][j] is wire j of input value i in instance k, and likewise for the
// result. It evaluates the gates in file order, independently of Layers.
func (c *Circuit) EvalBatch64(inputs [][]uint64) ([][]uint64, error) {
	if err := c.checkInputs(len(inputs), func(i int) int { return len(inputs[i]) }); err != nil {
		return nil, err
	}
	w := make([]uint64, c.NumWires)
	n := 0
	for _, in := range inputs {
		n += copy(w[n:], in)
	}
	for i := range c.Gates {
		g := &c.Gates[i]
		switch g.Op {
		case XOR:
			w[g.Out[0]] = w[g.In[0]] ^ w[g.In[1]]
		case AND:
			w[g.Out[0]] = w[g.In[0]] & w[g.In[1]]
		case INV:
			w[g.Out[0]] = ^w[g.In[0]]
		case EQ:
			w[g.Out[0]] = 0
			if g.Const {
				w[g.Out[0]] = ^uint64(0)
			}
		case EQW:
			w[g.Out[0]] = w[g.In[0]]
		case MAND:
			k := len(g.Out)
			for j, o := range g.Out {
				w[o] = w[g.In[j]] & w[g.In[k+j]]
			}
		}
	}
	out := make([][]uint64, len(c.Outputs))
	n = c.NumWires
	for i := len(c.Outputs) - 1; i >= 0; i-- {
		n -= c.Outputs[i]
		out[i] = w[n : n+c.Outputs[i] : n+c.Outputs[i]]
	}
	return out, nil
}

func (c *Circuit) checkInputs(n int, width func(int) int) error {
	if n != len(c.Inputs) {
		return fmt.Errorf("circuit: got %d input values, want %d", n, len(c.Inputs))
	}
	for i, want := range c.Inputs {
		if got := width(i); got != want {
			return fmt.Errorf("circuit: input %d has %d bits, want %d", i, got, want)
		}
	}
	return nil
}

// ValueToBits returns the low width bits of b, read as a big-endian integer,
// least significant first: bit j is bit j%8 of b[len(b)-1-j/8]. Bits of b
// above width are ignored; if b is shorter than width bits, the missing high
// bits are zero.
func ValueToBits(b []byte, width int) []bool {
	bits := make([]bool, width)
	for j := range bits {
		if k := len(b) - 1 - j/8; k >= 0 {
			bits[j] = b[k]>>(j%8)&1 == 1
		}
	}
	return bits
}

// BitsToValue is the inverse of [ValueToBits]: it returns the big-endian
// encoding, in (len(bits)+7)/8 bytes, of the integer whose bit j is bits[j].
func BitsToValue(bits []bool) []byte {
	b := make([]byte, (len(bits)+7)/8)
	for j, v := range bits {
		if v {
			b[len(b)-1-j/8] |= 1 << (j % 8)
		}
	}
	return b
}

// EvalHex evaluates the circuit on input values given as big-endian
// hexadecimal integers (see [Circuit.HexInputs]). It returns each output
// value as lowercase hexadecimal of (width+7)/8 bytes, that is with leading
// zeros up to a whole number of bytes.
func (c *Circuit) EvalHex(inputs []string) ([]string, error) {
	bits, err := c.HexInputs(inputs)
	if err != nil {
		return nil, err
	}
	out, err := c.EvalBits(bits)
	if err != nil {
		return nil, err
	}
	res := make([]string, len(out))
	for i, o := range out {
		res[i] = hex.EncodeToString(BitsToValue(o))
	}
	return res, nil
}

// HexInputs returns the wire bits of input values given as big-endian
// hexadecimal integers, of any length (an odd number of digits is allowed)
// as long as each value fits in its input's width.
func (c *Circuit) HexInputs(inputs []string) ([][]bool, error) {
	if len(inputs) != len(c.Inputs) {
		return nil, fmt.Errorf("circuit: got %d input values, want %d", len(inputs), len(c.Inputs))
	}
	bits := make([][]bool, len(inputs))
	for i, s := range inputs {
		if len(s)%2 == 1 {
			s = "0" + s
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("circuit: input %d: %w", i+1, err)
		}
		width := c.Inputs[i]
		bits[i] = ValueToBits(b, width)
		if !fits(b, width) {
			return nil, fmt.Errorf("circuit: input %d: value %s does not fit in %d bits", i+1, strings.TrimLeft(inputs[i], "0"), width)
		}
	}
	return bits, nil
}

// fits reports whether the big-endian integer b is less than 2^width.
func fits(b []byte, width int) bool {
	for _, v := range ValueToBits(b, 8*len(b))[min(width, 8*len(b)):] {
		if v {
			return false
		}
	}
	return true
}
