package circuit

import (
	"crypto/aes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/quick"
)

var (
	parsedOnce sync.Map // file name -> func() (*Circuit, error)
)

// load parses a file in testdata once per test binary.
func load(t testing.TB, name string) *Circuit {
	t.Helper()
	f, _ := parsedOnce.LoadOrStore(name, sync.OnceValues(func() (*Circuit, error) {
		return ParseFile(filepath.Join("testdata", name))
	}))
	c, err := f.(func() (*Circuit, error))()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTestdataHashes checks the circuit files against the sha256 sums recorded
// in testdata/README.md next to their source.
func TestTestdataHashes(t *testing.T) {
	readme, err := os.ReadFile("testdata/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"aes_128.txt", "adder64.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		want := "| " + name + " | " + hex.EncodeToString(sum[:]) + " |"
		if !strings.Contains(string(readme), want) {
			t.Errorf("%s: sha256 %x not recorded in testdata/README.md", name, sum)
		}
	}
}

func TestKnownAnswers(t *testing.T) {
	tests := []struct {
		file   string
		inputs []string
		want   string
	}{
		// FIPS-197 appendix C.1.
		{"aes_128.txt", []string{"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff"}, "69c4e0d86a7b0430d8cdb78070b4c55a"},
		// NIST SP 800-38A F.1.1.
		{"aes_128.txt", []string{"2b7e151628aed2a6abf7158809cf4f3c", "6bc1bee22e409f96e93d7e117393172a"}, "3ad77bb40d7a3660a89ecaf32466ef97"},
		{"adder64.txt", []string{"ffffffffffffffff", "5"}, "0000000000000004"},
		{"adder64.txt", []string{"1", "1"}, "0000000000000002"},
		{"adder64.txt", []string{"0", "0"}, "0000000000000000"},
	}
	for _, tt := range tests {
		c := load(t, tt.file)
		got, err := c.EvalHex(tt.inputs)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.file, tt.inputs, err)
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s %v = %v, want %s", tt.file, tt.inputs, got, tt.want)
		}
	}
}

func TestStats(t *testing.T) {
	for _, tt := range []struct {
		file        string
		ands, depth int
	}{
		{"aes_128.txt", 6400, 60},
		{"adder64.txt", 63, 63},
	} {
		s := load(t, tt.file).Stats()
		t.Logf("%s: %+v", tt.file, s)
		if s.ANDs != tt.ands || s.Depth != tt.depth {
			t.Errorf("%s: %d ANDs, depth %d; want %d, %d", tt.file, s.ANDs, s.Depth, tt.ands, tt.depth)
		}
	}
}

// aesCircuit encrypts one block with the circuit, bytes in and out.
func aesCircuit(t *testing.T, c *Circuit, key, pt []byte) []byte {
	out, err := c.EvalBits([][]bool{ValueToBits(key, 128), ValueToBits(pt, 128)})
	if err != nil {
		t.Fatal(err)
	}
	return BitsToValue(out[0])
}

func TestAESQuick(t *testing.T) {
	c := load(t, "aes_128.txt")
	f := func(key, pt [16]byte) bool {
		b, err := aes.NewCipher(key[:])
		if err != nil {
			t.Fatal(err)
		}
		var want [16]byte
		b.Encrypt(want[:], pt[:])
		return string(aesCircuit(t, c, key[:], pt[:])) == string(want[:])
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 20}); err != nil {
		t.Error(err)
	}
}

// TestAESBatch64 checks the bit-sliced evaluator against crypto/aes on 64
// blocks at once.
func TestAESBatch64(t *testing.T) {
	c := load(t, "aes_128.txt")
	var keys, pts [64][16]byte
	for k := range keys {
		for i := range keys[k] {
			keys[k][i] = byte(k*31 + i*7)
			pts[k][i] = byte(k*13 ^ i*101)
		}
	}
	key := make([]uint64, 128)
	pt := make([]uint64, 128)
	for k := range 64 {
		for j, v := range ValueToBits(keys[k][:], 128) {
			if v {
				key[j] |= 1 << k
			}
		}
		for j, v := range ValueToBits(pts[k][:], 128) {
			if v {
				pt[j] |= 1 << k
			}
		}
	}
	out, err := c.EvalBatch64([][]uint64{key, pt})
	if err != nil {
		t.Fatal(err)
	}
	for k := range 64 {
		bits := make([]bool, 128)
		for j := range bits {
			bits[j] = out[0][j]>>k&1 == 1
		}
		b, _ := aes.NewCipher(keys[k][:])
		var want [16]byte
		b.Encrypt(want[:], pts[k][:])
		if got := BitsToValue(bits); string(got) != string(want[:]) {
			t.Errorf("instance %d: got %x, want %x", k, got, want)
		}
	}
}

func TestAdder64Quick(t *testing.T) {
	c := load(t, "adder64.txt")
	f := func(x, y uint64) bool {
		var a, b [8]byte
		binary.BigEndian.PutUint64(a[:], x)
		binary.BigEndian.PutUint64(b[:], y)
		out, err := c.EvalBits([][]bool{ValueToBits(a[:], 64), ValueToBits(b[:], 64)})
		if err != nil {
			t.Fatal(err)
		}
		return binary.BigEndian.Uint64(BitsToValue(out[0])) == x+y
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
	for _, x := range []uint64{0, 1, 1<<63 - 1, 1 << 63, ^uint64(0)} {
		for _, y := range []uint64{0, 1, 1 << 63, ^uint64(0)} {
			if !f(x, y) {
				t.Errorf("%#x + %#x wrong", x, y)
			}
		}
	}
}

func BenchmarkParseAES(b *testing.B) {
	data, err := os.ReadFile("testdata/aes_128.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(strings.NewReader(string(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalAES(b *testing.B) {
	c := load(b, "aes_128.txt")
	in := [][]bool{make([]bool, 128), make([]bool, 128)}
	for b.Loop() {
		if _, err := c.EvalBits(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
}

func BenchmarkEvalAESBatch64(b *testing.B) {
	c := load(b, "aes_128.txt")
	in := [][]uint64{make([]uint64, 128), make([]uint64, 128)}
	for b.Loop() {
		if _, err := c.EvalBatch64(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(64*float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
}
