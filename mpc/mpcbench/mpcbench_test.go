package mpcbench

import (
	"context"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/safetrace/safetrace/mpc/circuit"
	"github.com/safetrace/safetrace/mpc/transport"
)

func runLocal(t *testing.T, jobs []*Job) []*Result {
	t.Helper()
	conns := transport.NewLocal(len(jobs))
	results := make([]*Result, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() { results[i], errs[i] = Party(context.Background(), conns[i], jobs[i]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i+1, err)
		}
	}
	return results
}

// TestCircuitAES evaluates AES-128 on the FIPS-197 appendix C.1 vector.
func TestCircuitAES(t *testing.T) {
	path := "../circuit/testdata/aes_128.txt"
	c, err := circuit.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.HexInputs([]string{"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff"})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := CircuitJobs(c, path, in, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := CircuitOutputs(c, 1, runLocal(t, jobs))
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || hex.EncodeToString(outs[0]) != "69c4e0d86a7b0430d8cdb78070b4c55a" {
		t.Errorf("outputs %x", outs)
	}
}

func TestBench(t *testing.T) {
	for _, op := range []string{"mul", "cmp", "aes"} {
		jobs, err := BenchJobs(op, 4, 2, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		line := BenchLine(op, 4, 2, runLocal(t, jobs))
		if !strings.HasPrefix(line, "op="+op+" size=4 repeat=2 seconds=") {
			t.Errorf("%s: %q", op, line)
		}
	}
	for _, bad := range []struct {
		op           string
		size, repeat int
	}{{"div", 1, 1}, {"mul", 0, 1}, {"mul", 1, 0}} {
		if _, err := BenchJobs(bad.op, bad.size, bad.repeat, 3, 1); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
