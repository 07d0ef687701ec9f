package mpc

import (
	"context"
	"fmt"

	"github.com/safetrace/safetrace/mpc/circuit"
	"github.com/safetrace/safetrace/mpc/field"
)

// EvalCircuit evaluates the boolean circuit c on shares in GF(2^8) for a
// batch of instances at once. in[j] holds this party's shares of input wire j
// for every instance (all of one length, the batch size); the result holds
// the shares of the output wires in order. XOR, INV, EQ and EQW are local;
// all AND and MAND products of one layer are one [Party.Mul], so the number
// of rounds is the circuit's AND depth.
func EvalCircuit(ctx context.Context, p *Party[field.GF256], c *circuit.Circuit, in [][]field.GF256) ([][]field.GF256, error) {
	nin := 0
	for _, w := range c.Inputs {
		nin += w
	}
	if len(in) != nin {
		return nil, fmt.Errorf("mpc: circuit has %d input wires, got %d", nin, len(in))
	}
	batch := 0
	if nin > 0 {
		batch = len(in[0])
	}
	for j := range in {
		if len(in[j]) != batch {
			return nil, fmt.Errorf("mpc: input wire %d has %d instances, wire 0 has %d", j, len(in[j]), batch)
		}
	}
	f := p.F
	w := make([]field.GF256, c.NumWires*batch)
	wire := func(j int) []field.GF256 { return w[j*batch : (j+1)*batch] }
	for j := range in {
		copy(wire(j), in[j])
	}
	var xs, ys []field.GF256
	for _, l := range c.Layers {
		for _, g := range l.Linear {
			out := wire(g.Out[0])
			switch g.Op {
			case circuit.XOR:
				f.AddVec(out, wire(g.In[0]), wire(g.In[1]))
			case circuit.INV:
				// Adding a public constant to every share adds it to the secret.
				copy(out, wire(g.In[0]))
				b := field.GF256Bytes(out)
				for i := range b {
					b[i] ^= 1
				}
			case circuit.EQ:
				v := field.GF256(0)
				if g.Const {
					v = 1
				}
				for i := range out {
					out[i] = v
				}
			case circuit.EQW:
				copy(out, wire(g.In[0]))
			}
		}
		if len(l.AndOut) == 0 {
			continue
		}
		xs, ys = xs[:0], ys[:0]
		for i := range l.AndA {
			xs = append(xs, wire(l.AndA[i])...)
			ys = append(ys, wire(l.AndB[i])...)
		}
		z, err := p.Mul(ctx, xs, ys)
		if err != nil {
			return nil, fmt.Errorf("mpc: circuit layer: %w", err)
		}
		for i, o := range l.AndOut {
			copy(wire(o), z[i*batch:(i+1)*batch])
		}
	}
	var outs [][]field.GF256
	for i := range c.Outputs {
		start, end := c.OutputWires(i)
		for j := start; j < end; j++ {
			outs = append(outs, append([]field.GF256(nil), wire(j)...))
		}
	}
	return outs, nil
}
