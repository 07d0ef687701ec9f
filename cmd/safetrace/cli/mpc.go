package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/safetrace/safetrace/mpc/circuit"
	"github.com/safetrace/safetrace/mpc/mpcbench"
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
	var outs [][]byte
	if *plain {
		bits, err := c.EvalBits(inBits)
		if err != nil {
			return err
		}
		for _, o := range bits {
			outs = append(outs, circuit.BitsToValue(o))
		}
	} else {
		jobs, err := mpcbench.CircuitJobs(c, *path, inBits, *n, *t)
		if err != nil {
			return err
		}
		results, err := runParties[*mpcbench.Result](ctx, []string{"mpc", "party"}, *n, *t, jobs)
		if err != nil {
			return err
		}
		if outs, err = mpcbench.CircuitOutputs(c, *t, results); err != nil {
			return err
		}
	}
	for _, o := range outs {
		fmt.Fprintln(stdout, hex.EncodeToString(o))
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
	jobs, err := mpcbench.BenchJobs(*op, *size, *repeat, *n, *t)
	if err != nil {
		return err
	}
	results, err := runParties[*mpcbench.Result](ctx, []string{"mpc", "party"}, *n, *t, jobs)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, mpcbench.BenchLine(*op, *size, *repeat, results))
	return nil
}

// mpcParty is the hidden "safetrace mpc party" command: one party process of
// eval-circuit or bench.
func mpcParty(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	return partyProcess(ctx, stdin, stdout, mpcbench.Party)
}
