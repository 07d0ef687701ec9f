package circuit_test

import (
	"fmt"
	"strings"

	"github.com/safetrace/safetrace/mpc/circuit"
)

// A 2-bit AND of two values, then NOT of the first bit: two ANDs in one MAND,
// AND depth 1.
const tiny = `2 7
2 2 2
1 3

4 2 0 1 2 3 4 5 MAND
1 1 0 6 INV
`

func Example() {
	c, err := circuit.Parse(strings.NewReader(tiny))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := c.EvalHex([]string{"3", "1"})
	fmt.Println(out, err)
	s := c.Stats()
	fmt.Println("ANDs:", s.ANDs, "depth:", s.Depth)
	// Output:
	// [01] <nil>
	// ANDs: 2 depth: 1
}

// An MPC evaluator walks the layers: linear gates locally, then one batched
// multiplication per layer.
func ExampleLayer() {
	c, _ := circuit.Parse(strings.NewReader(tiny))
	for i, l := range c.Layers {
		fmt.Printf("layer %d: %d linear gates, products %v*%v -> %v\n", i, len(l.Linear), l.AndA, l.AndB, l.AndOut)
	}
	// Output:
	// layer 0: 1 linear gates, products [0 1]*[2 3] -> [4 5]
	// layer 1: 0 linear gates, products []*[] -> []
}

func ExampleParse_error() {
	_, err := circuit.Parse(strings.NewReader("1 3\n1 1\n1 1\n\n2 1 0 1 2 XOR\n"))
	fmt.Println(err)
	// Output:
	// circuit: line 5: wire 1 read before it is written
}

func ExampleValueToBits() {
	// Wire 0 is the least significant bit of the last byte.
	bits := circuit.ValueToBits([]byte{0x01, 0x02}, 12)
	fmt.Println(bits[1], bits[8])
	fmt.Printf("%x\n", circuit.BitsToValue(bits))
	// Output:
	// true true
	// 0102
}
