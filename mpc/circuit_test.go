package mpc

import (
	"context"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/safetrace/safetrace/mpc/circuit"
	"github.com/safetrace/safetrace/mpc/field"
)

// evalShared shares the inputs (hex, one per input value) of a batch of
// instances, evaluates c in MPC and returns the opened outputs as hex.
func evalShared(t *testing.T, c *circuit.Circuit, n, th int, batch [][]string) [][]string {
	t.Helper()
	f := field.GF256Field{}
	var wires [][]field.GF256 // wires[j][instance]
	for v, width := range c.Inputs {
		for j := 0; j < width; j++ {
			col := make([]field.GF256, len(batch))
			for k, inst := range batch {
				b, err := hex.DecodeString(inst[v])
				if err != nil {
					t.Fatal(err)
				}
				if circuit.ValueToBits(b, width)[j] {
					col[k] = 1
				}
			}
			wires = append(wires, col)
		}
	}
	// shares[party][wire]
	shares := make([][][]field.GF256, n)
	for i := range shares {
		shares[i] = make([][]field.GF256, len(wires))
	}
	for j, col := range wires {
		per := shareAll(t, f, th, n, col)
		for i := range per {
			shares[i][j] = per[i]
		}
	}
	res := runParties(t, f, n, th, newChanConns(n), func(ctx context.Context, p *Party[field.GF256]) ([][]field.GF256, error) {
		return EvalCircuit(ctx, p, c, shares[p.ID()-1])
	})
	out := make([][]string, len(batch))
	w := 0
	for _, width := range c.Outputs {
		bits := make([][]bool, len(batch))
		for j := 0; j < width; j++ {
			var per [][]field.GF256
			for i := range res {
				per = append(per, res[i][w+j])
			}
			v := reconstruct(t, f, th, per)
			for k := range v {
				if v[k] > 1 {
					t.Fatalf("output wire is %d, not a bit", v[k])
				}
				bits[k] = append(bits[k], v[k] == 1)
			}
		}
		w += width
		for k := range batch {
			out[k] = append(out[k], hex.EncodeToString(circuit.BitsToValue(bits[k])))
		}
	}
	return out
}

func TestEvalCircuitKnownAnswers(t *testing.T) {
	aes, err := circuit.ParseFile("circuit/testdata/aes_128.txt")
	if err != nil {
		t.Fatal(err)
	}
	add, err := circuit.ParseFile("circuit/testdata/adder64.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range []struct{ n, t int }{{3, 1}, {5, 2}} {
		t.Run(fmt.Sprintf("n=%d,t=%d", pr.n, pr.t), func(t *testing.T) {
			got := evalShared(t, aes, pr.n, pr.t, [][]string{
				{"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff"},
				{"2b7e151628aed2a6abf7158809cf4f3c", "6bc1bee22e409f96e93d7e117393172a"},
			})
			if got[0][0] != "69c4e0d86a7b0430d8cdb78070b4c55a" || got[1][0] != "3ad77bb40d7a3660a89ecaf32466ef97" {
				t.Errorf("aes: got %v", got)
			}
			got = evalShared(t, add, pr.n, pr.t, [][]string{
				{"ffffffffffffffff", "0000000000000005"},
				{"0000000000000001", "0000000000000001"},
			})
			if got[0][0] != "0000000000000004" || got[1][0] != "0000000000000002" {
				t.Errorf("adder64: got %v", got)
			}
		})
	}
}
