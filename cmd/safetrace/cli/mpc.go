package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/circuit"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/mpc/transport"
)

const mpcUsage = `usage:
  safetrace mpc eval-circuit --circuit FILE --parties N --threshold T --input HEX [--input HEX ...] [--plain]
  safetrace mpc bench --parties N --threshold T --op mul|cmp|aes --size K [--repeat R]`

func runMPC(ctx context.Context, args []string) error {
	return dispatch(ctx, "mpc", mpcUsage, args, verbs{
		"eval-circuit": mpcEvalCircuit,
		"bench":        mpcBench,
		// The hidden party process of eval-circuit and bench.
		"party": func(ctx context.Context, _ []string) error { return mpcParty(ctx, os.Stdin, os.Stdout) },
	})
}

func mpcEvalCircuit(ctx context.Context, args []string) error {
	fs := newFlagSet("mpc eval-circuit")
	path := fs.String("circuit", "", "Bristol Fashion circuit `file`")
	n := fs.Int("parties", 3, "number of party processes")
	t := fs.Int("threshold", 1, "threshold t (parties that may collude)")
	plain := fs.Bool("plain", false, "evaluate in the clear, without MPC")
	var inputs stringList
	fs.Var(&inputs, "input", "input value as big-endian `hex`, once per circuit input")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("mpc eval-circuit: --circuit is required")
	}
	c, err := circuit.ParseFile(*path)
	if err != nil {
		return err
	}
	if len(inputs) != len(c.Inputs) {
		return fmt.Errorf("mpc eval-circuit: circuit takes %d inputs, got %d --input", len(c.Inputs), len(inputs))
	}
	inBits, err := c.HexInputs(inputs)
	if err != nil {
		return err
	}
	if *plain {
		out, err := c.EvalBits(inBits)
		if err != nil {
			return err
		}
		for _, o := range out {
			fmt.Fprintln(stdout, hex.EncodeToString(circuit.BitsToValue(o)))
		}
		return nil
	}
	// The client: share every input bit among the parties.
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
	if err := shamir.CheckParams(f, *t, *n); err != nil {
		return err
	}
	shares, err := shamir.Split(f, *t, *n, bits, rand.Reader)
	if err != nil {
		return err
	}
	jobs := make([]*mpcJob, *n)
	for i := range jobs {
		jobs[i] = &mpcJob{Op: "circuit", Circuit: *path, Inputs: field.GF256Field{}.Append(nil, shares[i].Y)}
	}
	results, err := runParties[mpcResult](ctx, []string{"mpc", "party"}, *n, *t, jobs)
	if err != nil {
		return err
	}
	// Reconstruct every output wire from all n shares, checking consistency.
	outShares := make([]shamir.Share[field.GF256], *n)
	for i, r := range results {
		y := make([]field.GF256, len(r.Outputs))
		if err := f.Decode(y, r.Outputs); err != nil {
			return fmt.Errorf("mpc eval-circuit: party %d: %w", i+1, err)
		}
		outShares[i] = shamir.Share[field.GF256]{X: i + 1, Y: y}
	}
	vals, err := shamir.Reconstruct(f, *t, outShares)
	if err != nil {
		return fmt.Errorf("mpc eval-circuit: outputs: %w", err)
	}
	w := 0
	for _, width := range c.Outputs {
		var ob []bool
		for _, v := range vals[w : w+width] {
			if v > 1 {
				return fmt.Errorf("mpc eval-circuit: output wire is %d, not a bit", v)
			}
			ob = append(ob, v == 1)
		}
		w += width
		fmt.Fprintln(stdout, hex.EncodeToString(circuit.BitsToValue(ob)))
	}
	return nil
}

func mpcBench(ctx context.Context, args []string) error {
	fs := newFlagSet("mpc bench")
	n := fs.Int("parties", 3, "number of party processes")
	t := fs.Int("threshold", 1, "threshold t")
	op := fs.String("op", "mul", "operation: mul, cmp or aes")
	size := fs.Int("size", 1<<20, "batch size: multiplications, comparisons or AES blocks")
	repeat := fs.Int("repeat", 1, "run the batch this many times (for round latency use --size 1)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch *op {
	case "mul", "cmp", "aes":
	default:
		return fmt.Errorf("mpc bench: unknown --op %q (want mul, cmp or aes)", *op)
	}
	if *size < 1 || *repeat < 1 {
		return fmt.Errorf("mpc bench: --size and --repeat must be positive")
	}
	jobs := make([]*mpcJob, *n)
	for i := range jobs {
		jobs[i] = &mpcJob{Op: *op, Size: *size, Repeat: *repeat}
	}
	results, err := runParties[mpcResult](ctx, []string{"mpc", "party"}, *n, *t, jobs)
	if err != nil {
		return err
	}
	secs := 0.0
	for _, r := range results {
		secs = max(secs, r.Seconds)
	}
	total := float64(*size) * float64(*repeat)
	if *repeat == 1 {
		fmt.Fprintf(stdout, "op=%s size=%d seconds=%.6f per_second=%.0f\n", *op, *size, secs, total/secs)
	} else {
		fmt.Fprintf(stdout, "op=%s size=%d repeat=%d seconds=%.6f per_second=%.0f us_per_batch=%.1f\n", *op, *size, *repeat, secs, total/secs, secs/float64(*repeat)*1e6)
	}
	return nil
}

// mpcJob is what an mpc party process reads from its standard input.
type mpcJob struct {
	meshJob
	Op      string // circuit, mul, cmp or aes
	Circuit string `json:",omitempty"`
	Inputs  []byte `json:",omitempty"` // GF(2^8) shares of the input bits
	Size    int    `json:",omitempty"`
	Repeat  int    `json:",omitempty"`
}

// mpcResult is what an mpc party process writes to its standard output.
type mpcResult struct {
	Outputs []byte  `json:",omitempty"`
	Seconds float64 // time of the measured operation
	Rounds  int
}

// mpcParty is the hidden "safetrace mpc party" command: one party process of
// eval-circuit or bench. Its listener is inherited as file descriptor 3.
func mpcParty(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	var job mpcJob
	if err := json.NewDecoder(stdin).Decode(&job); err != nil {
		return fmt.Errorf("mpc party: reading job: %w", err)
	}
	conn, err := job.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var res mpcResult
	switch job.Op {
	case "circuit", "aes":
		res, err = partyCircuit(ctx, conn, job)
	case "mul", "cmp":
		res, err = partyArith(ctx, conn, job)
	default:
		err = fmt.Errorf("mpc party: unknown op %q", job.Op)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

func partyCircuit(ctx context.Context, conn transport.Conn, job mpcJob) (mpcResult, error) {
	var c *circuit.Circuit
	var err error
	if job.Op == "aes" {
		c, err = circuit.AES128()
	} else {
		c, err = circuit.ParseFile(job.Circuit)
	}
	if err != nil {
		return mpcResult{}, err
	}
	p, err := mpc.New(ctx, field.GF256Field{}, job.T, conn)
	if err != nil {
		return mpcResult{}, err
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
			return mpcResult{}, err
		}
	} else if err := (field.GF256Field{}).Decode(flat, job.Inputs); err != nil {
		return mpcResult{}, fmt.Errorf("mpc party: input shares: %w", err)
	}
	in := make([][]field.GF256, nin)
	for j := range in {
		in[j] = flat[j*batch : (j+1)*batch]
	}
	start, err := barrier(ctx, p)
	if err != nil {
		return mpcResult{}, err
	}
	var out [][]field.GF256
	for r := 0; r < max(job.Repeat, 1); r++ {
		if out, err = mpc.EvalCircuit(ctx, p, c, in); err != nil {
			return mpcResult{}, err
		}
	}
	res := mpcResult{Seconds: time.Since(start).Seconds(), Rounds: p.Rounds()}
	for _, o := range out {
		res.Outputs = field.GF256Field{}.Append(res.Outputs, o)
	}
	return res, nil
}

func partyArith(ctx context.Context, conn transport.Conn, job mpcJob) (mpcResult, error) {
	p, err := mpc.New(ctx, field.M61Field{}, job.T, conn)
	if err != nil {
		return mpcResult{}, err
	}
	m := job.Size
	var x, y []field.M61
	if job.Op == "mul" {
		if x, err = p.PRSS(m); err != nil {
			return mpcResult{}, err
		}
		if y, err = p.PRSS(m); err != nil {
			return mpcResult{}, err
		}
	} else {
		// Random 32-bit operands from shared random bits.
		b, err := p.RandomBits(ctx, 64*m)
		if err != nil {
			return mpcResult{}, err
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
		return mpcResult{}, err
	}
	for r := 0; r < max(job.Repeat, 1); r++ {
		if job.Op == "mul" {
			_, err = p.Mul(ctx, x, y)
		} else {
			_, err = p.LessThan(ctx, x, y, 32)
		}
		if err != nil {
			return mpcResult{}, err
		}
	}
	return mpcResult{Seconds: time.Since(start).Seconds(), Rounds: p.Rounds()}, nil
}

// barrier synchronises the parties with one small round and returns the time
// after it.
func barrier[E comparable](ctx context.Context, p *mpc.Party[E]) (time.Time, error) {
	if _, err := p.Open(ctx, make([]E, 1)); err != nil {
		return time.Time{}, err
	}
	return time.Now(), nil
}
