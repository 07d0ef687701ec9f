package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/epoch/epochjob"
	"github.com/safetrace/safetrace/epoch/epochsim"
	"github.com/safetrace/safetrace/wire"
)

const epochUsage = `usage:
  safetrace epoch run --manifest FILE [--key FILE] [--wait=false] [--timeout 10m]
  safetrace epoch simulate --users U --records R --positives P --seed S [--parties N --threshold T] [--noise-epsilon E] [--max-chunk C] [--party-memory-limit MIB] [--detail]`

func runEpoch(ctx context.Context, args []string) error {
	return dispatch(ctx, "epoch", epochUsage, args, verbs{
		"simulate": func(ctx context.Context, args []string) error { return epochSimulate(ctx, args, stdout) },
		"run": func(ctx context.Context, args []string) error {
			return computeRunCmd(ctx, "epoch run", manifest.ComputationExposure, args, stdout)
		},
		// The hidden party process of "epoch simulate".
		"party": func(ctx context.Context, _ []string) error { return epochParty(ctx, os.Stdin, os.Stdout) },
	})
}

func epochSimulate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("epoch simulate")
	var cfg epochsim.Config
	fs.IntVar(&cfg.Users, "users", 1000, "number of users")
	fs.IntVar(&cfg.Records, "records", 10000, "number of ordinary records in all")
	fs.IntVar(&cfg.Positives, "positives", 10, "number of users who report a positive test")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic population")
	fs.IntVar(&cfg.Parties, "parties", 3, "number of party processes")
	fs.IntVar(&cfg.Threshold, "threshold", 1, "threshold t")
	fs.Float64Var(&cfg.NoiseEpsilon, "noise-epsilon", 0, "noise the tag-group sizes with this epsilon (0: no noise; the manifest's default is 1)")
	fs.IntVar(&cfg.MaxChunk, "max-chunk", manifest.DefaultParams().Risk.MaxChunk, "run each day's ordinary records in chunks of at most this many, as the manifest's risk.max_chunk (0: one chunk per day)")
	memLimit := fs.Int64("party-memory-limit", 0, "soft memory limit of each party process in `MiB` (as GOMEMLIMIT; 0: none)")
	detail := fs.Bool("detail", false, "after the summary, print one line per party: epoch seconds, process CPU seconds, peak resident memory, dummy records")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// The parties read their shares from files one day at a time.
	dir, err := os.MkdirTemp("", "safetrace-epoch-simulate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.Dir = dir
	cfg.MemoryLimit = *memLimit << 20
	sim, jobs, err := epochsim.New(cfg)
	if err != nil {
		return err
	}
	results, err := runParties[*epochsim.Result](ctx, []string{"epoch", "party"}, cfg.Parties, cfg.Threshold, jobs)
	if err != nil {
		return err
	}
	sum, err := sim.Check(results)
	if sum.Users > 0 {
		fmt.Fprintln(stdout, sum)
		if *detail {
			fmt.Fprint(stdout, sum.Detail())
		}
	}
	return err
}

// epochParty is the hidden "safetrace epoch party" command: one party of
// "epoch simulate".
func epochParty(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	return partyProcess(ctx, stdin, stdout, epochsim.Party)
}

// computeRunCmd asks every party of a manifest, through its relays, to run
// a computation now and prints each party's outcome.
func computeRunCmd(ctx context.Context, cmd, name string, args []string, stdout io.Writer) error {
	fs := newFlagSet(cmd)
	mpath := fs.String("manifest", "", "deployment manifest `file` (required)")
	var kpath stringList
	fs.Var(&kpath, "key", "a party's key `file` to sign the request, repeated for t+1 parties (default: party1.key .. party{t+1}.key next to the manifest)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this `long`")
	wait := fs.Bool("wait", true, "wait until the run finished at every party (false: until every party accepted it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *mpath == "" {
		return fmt.Errorf("%s: --manifest is required", cmd)
	}
	m, err := readVerifiedManifest(*mpath)
	if err != nil {
		return err
	}
	mb, err := m.Marshal()
	if err != nil {
		return err
	}
	signers, err := runSigners(kpath, *mpath, m.T)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	c, err := client.New(mb, nil, nil, nil, client.WithLogger(cliLogger()))
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	start := time.Now()
	do := operator.Run
	if !*wait {
		do = operator.Start
	}
	outs, err := do(ctx, c, name, signers, 500*time.Millisecond)
	for _, o := range outs {
		switch {
		case o.Err != nil:
			fmt.Fprintf(stdout, "party %d: error: %v\n", o.Party, o.Err)
		default:
			fmt.Fprintf(stdout, "party %d: %v %s\n", o.Party, o.State, runLine(o.State, o.Text))
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if !*wait {
		fmt.Fprintf(stdout, "%s: started at all %d parties\n", name, len(outs))
		return nil
	}
	fmt.Fprintf(stdout, "%s: done at all %d parties in %.1f s\n", name, len(outs), time.Since(start).Seconds())
	return nil
}

// runLine shortens a run's status text for one line of output: the
// counters and total time of an exposure summary, else the text.
func runLine(st wire.RunState, text string) string {
	var sum epochjob.Summary
	if st != wire.RunDone || json.Unmarshal([]byte(text), &sum) != nil || sum.Seconds == nil {
		return text
	}
	sizes := make([]string, 0, len(sum.GroupSizes))
	for _, s := range slices.Sorted(maps.Keys(sum.GroupSizes)) {
		sizes = append(sizes, fmt.Sprintf("%d:%d", s, sum.GroupSizes[s]))
	}
	return fmt.Sprintf("records=%d (held %d) reports=%d rejected=%d users=%d user_days=%d group_sizes=[%s] in %.2f s",
		sum.Records, sum.Held, sum.Reports, sum.RejectedReports, sum.Users, sum.UserDays, strings.Join(sizes, " "), sum.Seconds["total"])
}
