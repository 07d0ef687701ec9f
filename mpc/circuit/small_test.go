package circuit

import (
	"reflect"
	"strings"
	"testing"
)

func TestSmallCircuits(t *testing.T) {
	tests := []struct {
		file   string
		inputs []string
		want   []string
	}{
		{"small/ops.txt", []string{"a", "6"}, []string{"02", "03", "01", "00"}},
		{"small/ops.txt", []string{"f", "f"}, []string{"0f", "0f", "01", "01"}},
		{"small/ops.txt", []string{"0", "0"}, []string{"00", "0f", "01", "00"}},
		{"small/ops.txt", []string{"5", "c"}, []string{"04", "06", "01", "01"}},
		{"small/const.txt", nil, []string{"01"}},
		{"small/layers.txt", []string{"1", "1", "0", "1"}, []string{"00", "01"}},
		{"small/layers.txt", []string{"1", "0", "1", "1"}, []string{"01", "00"}},
		{"small/layers.txt", []string{"0", "0", "0", "0"}, []string{"00", "01"}},
		{"small/layers.txt", []string{"0", "1", "1", "1"}, []string{"01", "01"}},
	}
	for _, tt := range tests {
		c := load(t, tt.file)
		got, err := c.EvalHex(tt.inputs)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.file, tt.inputs, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v = %v, want %v", tt.file, tt.inputs, got, tt.want)
		}
	}
}

func TestLayersStructure(t *testing.T) {
	c := load(t, "small/layers.txt")
	gate := func(i int) Gate { return c.Gates[i] }
	want := []Layer{
		{Linear: []Gate{gate(4)}, AndA: []int{0}, AndB: []int{1}, AndOut: []int{4}},
		{Linear: []Gate{gate(1), gate(6)}, AndA: []int{5, 0}, AndB: []int{3, 1}, AndOut: []int{6, 7}},
		{Linear: []Gate{gate(3), gate(5)}, AndA: []int{}, AndB: []int{}, AndOut: []int{}},
	}
	if !reflect.DeepEqual(c.Layers, want) {
		t.Errorf("layers:\n got %+v\nwant %+v", c.Layers, want)
	}
	s := c.Stats()
	if s.ANDs != 3 || s.Depth != 2 || s.Ops[MAND] != 1 || s.Ops[AND] != 1 {
		t.Errorf("stats %+v", s)
	}
	if start, end := c.InputWires(2); start != 2 || end != 3 {
		t.Errorf("InputWires(2) = %d, %d", start, end)
	}
	if start, end := c.OutputWires(0); start != 10 || end != 11 {
		t.Errorf("OutputWires(0) = %d, %d", start, end)
	}
}

// TestWhitespace checks that CRLF line ends, tabs and blank lines anywhere do
// not change the parsed circuit.
func TestWhitespace(t *testing.T) {
	c := load(t, "small/ops.txt")
	text, _ := c.MarshalText()
	variants := map[string]string{
		"crlf":          strings.ReplaceAll(string(text), "\n", "\r\n"),
		"tabs":          strings.ReplaceAll(string(text), " ", "\t \t"),
		"blank lines":   "\n\n" + strings.ReplaceAll(string(text), "\n", "\n\n \n"),
		"no final eol":  strings.TrimSuffix(string(text), "\n"),
		"no blank line": strings.Replace(string(text), "\n\n", "\n", 1),
	}
	for name, v := range variants {
		c2, err := Parse(strings.NewReader(v))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(c, c2) {
			t.Errorf("%s: parsed circuit differs", name)
		}
	}
}

func TestMalformed(t *testing.T) {
	const hdr = "3 5\n2 1 1\n1 1\n\n" // 3 gates, inputs 0 and 1, output wire 4
	tests := []struct {
		name, in, err string
	}{
		// Header.
		{"empty", "", "empty file"},
		{"blank", "\n \r\n\t\n", "empty file"},
		{"header fields", "3 5 7\n2 1 1\n1 1\n", "line 1: header has 3 fields"},
		{"header one field", "3\n", "line 1: header has 1 fields"},
		{"negative gates", "-3 5\n2 1 1\n1 1\n", "line 1: invalid gate count"},
		{"plus sign", "+3 5\n", "invalid gate count"},
		{"hex number", "0x3 5\n", "invalid gate count"},
		{"huge gates", "99999999999999999999999 5\n", "gate count \"99999999999999999999999\" too large"},
		{"huge wires", "1 99999999\n", "wire count \"99999999\" too large"},
		{"wires beyond file size", "1 60000000\n1 1\n1 1\n1 1 0 2 EQ\n", "cannot be written"},
		{"missing inputs", "1 3\n", "line 1: missing input line"},
		{"missing outputs", "1 3\n1 1\n", "line 2: missing output line"},
		{"input count mismatch", "1 3\n2 1\n1 1\n", "line 2: input line declares 2 values but has 1 widths"},
		{"input count too big", "1 3\n99999999999 1\n1 1\n", "input count"},
		{"output count mismatch", "1 3\n1 1\n1 1 1\n", "line 3: output line declares 1 values but has 2 widths"},
		{"zero width", "1 3\n1 0\n1 1\n", "input 0 has width 0"},
		{"inputs exceed wires", "1 3\n2 2 2\n1 1\n", "input widths exceed the 3 wires"},
		{"inputs and outputs exceed wires", "1 3\n1 2\n1 2\n", "inputs and outputs need 4 wires"},
		{"huge width", "1 3\n1 999999999999\n1 1\n", "too large"},

		// Gate counts.
		{"no gates", hdr, "line 4: file has 0 gates, header declares 3"},
		{"too few gates", hdr + "2 1 0 1 2 XOR\n2 1 0 2 3 AND\n", "line 6: file has 2 gates, header declares 3"},
		{"too many gates", hdr + "2 1 0 1 2 XOR\n2 1 0 2 3 AND\n1 1 3 4 INV\n1 1 0 5 EQ\n", "line 8: more gates than the 3 in the header"},
		{"huge gate count", "67108864 3\n1 1\n1 1\n1 1 0 2 EQ\n", "file has 1 gates, header declares 67108864"},

		// Gate syntax.
		{"short gate", hdr + "2 1 XOR\n", "line 5: gate has 3 fields, want at least 4"},
		{"unknown op", hdr + "2 1 0 1 2 NAND\n", "line 5: unknown operation \"NAND\""},
		{"lowercase op", hdr + "2 1 0 1 2 xor\n", "unknown operation \"xor\""},
		{"long op", hdr + "2 1 0 1 2 " + strings.Repeat("X", 100) + "\n", "unknown operation \"XXXXXXXXXXXXXXXXXXXXXXXX\"..."},
		{"field count", hdr + "2 1 0 1 2 3 XOR\n", "gate has 7 fields, want 6"},
		{"field count short", hdr + "2 1 0 2 XOR\n", "gate has 5 fields, want 6"},
		{"huge arity", hdr + "99999999999999 1 0 1 2 XOR\n", "gate input count"},
		{"bad wire", hdr + "2 1 0 x 2 XOR\n", "invalid wire \"x\""},
		{"negative wire", hdr + "2 1 0 -1 2 XOR\n", "invalid wire \"-1\""},

		// Arity.
		{"XOR one input", hdr + "1 1 0 2 XOR\n", "XOR gate has 1 inputs and 1 outputs, want 2 and 1"},
		{"AND two outputs", hdr + "2 2 0 1 2 3 AND\n", "AND gate has 2 inputs and 2 outputs"},
		{"INV two inputs", hdr + "2 1 0 1 2 INV\n", "INV gate has 2 inputs"},
		{"EQW no input", hdr + "0 1 2 EQW\n", "EQW gate has 0 inputs"},
		{"EQ two inputs", hdr + "2 1 0 1 2 EQ\n", "EQ gate has 2 inputs"},
		{"MAND odd", hdr + "3 1 0 1 0 2 MAND\n", "MAND gate has 3 inputs and 1 outputs, want 2k and k"},
		{"MAND empty", hdr + "0 0 MAND\n", "line 5: gate has 3 fields"},
		{"MAND zero", hdr + "0 0 0 MAND\n", "gate has 4 fields, want 3"},
		{"MAND mismatch", hdr + "4 1 0 1 0 1 2 MAND\n", "MAND gate has 4 inputs and 1 outputs"},

		// EQ constants.
		{"EQ constant 2", hdr + "1 1 2 2 EQ\n", "EQ constant must be 0 or 1, got \"2\""},
		{"EQ constant 01", hdr + "1 1 01 2 EQ\n", "EQ constant must be 0 or 1"},

		// Wire ranges and single assignment.
		{"input out of range", hdr + "2 1 0 5 2 XOR\n", "line 5: wire 5 out of range: the circuit has 5 wires"},
		{"output out of range", hdr + "2 1 0 1 7 XOR\n", "wire 7 out of range"},
		{"huge wire", hdr + "2 1 0 1 99999999999 XOR\n", "wire \"99999999999\" too large"},
		{"read before write", hdr + "2 1 0 3 2 XOR\n", "line 5: wire 3 read before it is written"},
		{"read own output", hdr + "2 1 0 2 2 XOR\n", "wire 2 read before it is written"},
		{"written twice", hdr + "2 1 0 1 2 XOR\n2 1 0 1 2 AND\n", "line 6: wire 2 written twice"},
		{"MAND writes twice", hdr + "4 2 0 1 0 1 2 2 MAND\n", "wire 2 written twice"},
		{"writes input", hdr + "2 1 0 1 1 XOR\n", "gate writes input wire 1"},
		{"EQ writes input", hdr + "1 1 1 0 EQ\n", "gate writes input wire 0"},
		{"output gap", "2 5\n2 1 1\n1 1\n2 1 0 1 2 XOR\n2 1 0 2 3 AND\n", "output wire 4 is never written"},

		// Garbage.
		{"binary", "\x00\x01 \x02", "invalid gate count"},
		{"NUL in gate", hdr + "2 1 0 1 2\x00 XOR\n", "invalid wire"},
		{"utf8 spaces", "3\u00a05\n", "header has 1 fields"},
	}
	for _, tt := range tests {
		c, err := Parse(strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("%s: parsed without error: %+v", tt.name, c)
			continue
		}
		if !strings.HasPrefix(err.Error(), "circuit: ") || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %q, want it to contain %q", tt.name, err, tt.err)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	c := load(t, "small/ops.txt")
	for _, in := range [][]string{
		{"1"},
		{"1", "2", "3"},
		{"10", "1"}, // does not fit in 4 bits
		{"1", "zz"},
	} {
		if out, err := c.EvalHex(in); err == nil {
			t.Errorf("EvalHex(%q) = %v, want error", in, out)
		}
	}
	if _, err := c.EvalBits([][]bool{make([]bool, 4), make([]bool, 3)}); err == nil {
		t.Error("EvalBits with a short input: no error")
	}
	if _, err := c.EvalBatch64([][]uint64{make([]uint64, 4)}); err == nil {
		t.Error("EvalBatch64 with one input: no error")
	}
}

func TestValueBits(t *testing.T) {
	// Wire 0 is the least significant bit of the last byte.
	bits := ValueToBits([]byte{0x80, 0x01}, 16)
	for j, v := range bits {
		if v != (j == 0 || j == 15) {
			t.Errorf("bit %d = %v", j, v)
		}
	}
	if got := BitsToValue(bits); string(got) != "\x80\x01" {
		t.Errorf("BitsToValue = %x", got)
	}
	// Widths that are not whole bytes, short and long values.
	if got := BitsToValue(ValueToBits([]byte{0xff, 0xff}, 9)); string(got) != "\x01\xff" {
		t.Errorf("9 bits of ffff = %x", got)
	}
	if got := BitsToValue(ValueToBits([]byte{0x05}, 12)); string(got) != "\x00\x05" {
		t.Errorf("12 bits of 05 = %x", got)
	}
	if got := BitsToValue(nil); len(got) != 0 {
		t.Errorf("BitsToValue(nil) = %x", got)
	}
}
