// Package mpcbench evaluates Bristol Fashion circuits and benchmarks the MPC
// core ([mpc.Party.Mul], [mpc.Party.LessThan], AES-128 as a circuit) across
// parties. [CircuitJobs] is the client that shares a circuit's inputs,
// [BenchJobs] describes a benchmark, [Party] is one party on its MPC
// connection, and [CircuitOutputs] and [BenchLine] read the parties' results.
//
// The parties may run in one process over [transport.NewLocal] or as
// separate processes over the TLS mesh ("safetrace mpc eval-circuit" and
// "safetrace mpc bench"): a [Job] and a [Result] are plain data, encodable
// as JSON.
//
// Warning: a test and benchmark harness; CircuitJobs sees the inputs in the
// clear.
package mpcbench

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/circuit"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/mpc/transport"
)

// Job is one party's task.
type Job struct {
	Threshold int
	Op        string // circuit, mul, cmp or aes
	Circuit   string `json:",omitempty"` // the circuit's file, for Op circuit
	Inputs    []byte `json:",omitempty"` // GF(2^8) shares of the input bits
	Size      int    `json:",omitempty"` // batch size of mul, cmp and aes
	Repeat    int    `json:",omitempty"` // run the batch this many times
}

// Result is one party's outcome.
type Result struct {
	Outputs []byte  `json:",omitempty"` // GF(2^8) shares of the output bits
	Seconds float64 // time of the measured operation
	Rounds  int
}

// CircuitJobs shares the circuit c's input bits (inBits[i] for input i)
// among n parties with threshold t; path is the circuit's file, which each
// party reads.
func CircuitJobs(c *circuit.Circuit, path string, inBits [][]bool, n, t int) ([]*Job, error) {
	f := field.GF256Field{}
	var bits []field.GF256
	for _, in := range inBits {
		for _, bit := range in {
			v := field.GF256(0)
			if bit {
				v = 1
			}
			bits = append(bits, v)
		}
	}
	if err := shamir.CheckParams(f, t, n); err != nil {
		return nil, err
	}
	shares, err := shamir.Split(f, t, n, bits, rand.Reader)
	if err != nil {
		return nil, err
	}
	jobs := make([]*Job, n)
	for i := range jobs {
		jobs[i] = &Job{Threshold: t, Op: "circuit", Circuit: path, Inputs: f.Append(nil, shares[i].Y)}
	}
	return jobs, nil
}

// CircuitOutputs reconstructs c's outputs, as big-endian values of their
// bits, from all parties' results (results[i] from party i+1).
func CircuitOutputs(c *circuit.Circuit, t int, results []*Result) ([][]byte, error) {
	f := field.GF256Field{}
	outShares := make([]shamir.Share[field.GF256], len(results))
	for i, r := range results {
		y := make([]field.GF256, len(r.Outputs))
		if err := f.Decode(y, r.Outputs); err != nil {
			return nil, fmt.Errorf("mpcbench: party %d: %w", i+1, err)
		}
		outShares[i] = shamir.Share[field.GF256]{X: i + 1, Y: y}
	}
	vals, err := shamir.Reconstruct(f, t, outShares)
	if err != nil {
		return nil, fmt.Errorf("mpcbench: outputs: %w", err)
	}
	var outs [][]byte
	w := 0
	for _, width := range c.Outputs {
		var ob []bool
		for _, v := range vals[w : w+width] {
			if v > 1 {
				return nil, fmt.Errorf("mpcbench: output wire is %d, not a bit", v)
			}
			ob = append(ob, v == 1)
		}
		w += width
		outs = append(outs, circuit.BitsToValue(ob))
	}
	return outs, nil
}

// BenchJobs returns the jobs of a benchmark of op (mul, cmp or aes) on
// batches of size, repeat times, for n parties with threshold t.
func BenchJobs(op string, size, repeat, n, t int) ([]*Job, error) {
	switch op {
	case "mul", "cmp", "aes":
	default:
		return nil, fmt.Errorf("mpcbench: unknown op %q (want mul, cmp or aes)", op)
	}
	if size < 1 || repeat < 1 {
		return nil, fmt.Errorf("mpcbench: size and repeat must be positive")
	}
	jobs := make([]*Job, n)
	for i := range jobs {
		jobs[i] = &Job{Threshold: t, Op: op, Size: size, Repeat: repeat}
	}
	return jobs, nil
}

// BenchLine is the one line "safetrace mpc bench" prints: the slowest
// party's time and the operations per second.
func BenchLine(op string, size, repeat int, results []*Result) string {
	secs := 0.0
	for _, r := range results {
		secs = max(secs, r.Seconds)
	}
	total := float64(size) * float64(repeat)
	if repeat == 1 {
		return fmt.Sprintf("op=%s size=%d seconds=%.6f per_second=%.0f", op, size, secs, total/secs)
	}
	return fmt.Sprintf("op=%s size=%d repeat=%d seconds=%.6f per_second=%.0f us_per_batch=%.1f", op, size, repeat, secs, total/secs, secs/float64(repeat)*1e6)
}

// Party runs one party's part of job on conn.
func Party(ctx context.Context, conn transport.Conn, job *Job) (*Result, error) {
	switch job.Op {
	case "circuit", "aes":
		return partyCircuit(ctx, conn, job)
	case "mul", "cmp":
		return partyArith(ctx, conn, job)
	}
	return nil, fmt.Errorf("mpcbench: unknown op %q", job.Op)
}

func partyCircuit(ctx context.Context, conn transport.Conn, job *Job) (*Result, error) {
	var c *circuit.Circuit
	var err error
	if job.Op == "aes" {
		c, err = circuit.AES128()
	} else {
		c, err = circuit.ParseFile(job.Circuit)
	}
	if err != nil {
		return nil, err
	}
	p, err := mpc.New(ctx, field.GF256Field{}, job.Threshold, conn)
	if err != nil {
		return nil, err
	}
	nin := 0
	for _, w := range c.Inputs {
		nin += w
	}
	batch := 1
	flat := make([]field.GF256, nin)
	if job.Op == "aes" {
		batch = job.Size
		if flat, err = p.RandomBits(ctx, nin*batch); err != nil {
			return nil, err
		}
	} else if err := (field.GF256Field{}).Decode(flat, job.Inputs); err != nil {
		return nil, fmt.Errorf("mpcbench: input shares: %w", err)
	}
	in := make([][]field.GF256, nin)
	for j := range in {
		in[j] = flat[j*batch : (j+1)*batch]
	}
	start, err := barrier(ctx, p)
	if err != nil {
		return nil, err
	}
	var out [][]field.GF256
	for r := 0; r < max(job.Repeat, 1); r++ {
		if out, err = mpc.EvalCircuit(ctx, p, c, in); err != nil {
			return nil, err
		}
	}
	res := &Result{Seconds: time.Since(start).Seconds(), Rounds: p.Rounds()}
	for _, o := range out {
		res.Outputs = field.GF256Field{}.Append(res.Outputs, o)
	}
	return res, nil
}

func partyArith(ctx context.Context, conn transport.Conn, job *Job) (*Result, error) {
	p, err := mpc.New(ctx, field.M61Field{}, job.Threshold, conn)
	if err != nil {
		return nil, err
	}
	m := job.Size
	var x, y []field.M61
	if job.Op == "mul" {
		if x, err = p.PRSS(m); err != nil {
			return nil, err
		}
		if y, err = p.PRSS(m); err != nil {
			return nil, err
		}
	} else {
		// Random 32-bit operands from shared random bits.
		b, err := p.RandomBits(ctx, 64*m)
		if err != nil {
			return nil, err
		}
		x, y = make([]field.M61, m), make([]field.M61, m)
		f := p.F
		for i := 0; i < m; i++ {
			for j := 31; j >= 0; j-- {
				x[i] = f.Add(f.Add(x[i], x[i]), b[64*i+j])
				y[i] = f.Add(f.Add(y[i], y[i]), b[64*i+32+j])
			}
		}
	}
	start, err := barrier(ctx, p)
	if err != nil {
		return nil, err
	}
	for r := 0; r < max(job.Repeat, 1); r++ {
		if job.Op == "mul" {
			_, err = p.Mul(ctx, x, y)
		} else {
			_, err = p.LessThan(ctx, x, y, 32)
		}
		if err != nil {
			return nil, err
		}
	}
	return &Result{Seconds: time.Since(start).Seconds(), Rounds: p.Rounds()}, nil
}

// barrier synchronises the parties with one small round and returns the time
// after it.
func barrier[E comparable](ctx context.Context, p *mpc.Party[E]) (time.Time, error) {
	if _, err := p.Open(ctx, make([]E, 1)); err != nil {
		return time.Time{}, err
	}
	return time.Now(), nil
}
