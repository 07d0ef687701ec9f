package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/regionmap/regionsim"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

const computeUsage = `usage:
  safetrace compute run region-map --manifest FILE [--key FILE] [--timeout 10m]
  safetrace compute result region-map --manifest FILE [--day YYYY-MM-DD]
  safetrace compute simulate region-map --manifest FILE --participants P --seed S [--key FILE] [--authority FILE]`

func runCompute(ctx context.Context, args []string) error {
	// Each verb takes the computation's name, then its flags.
	named := func(verb string, run func(ctx context.Context, args []string) error) func(context.Context, []string) error {
		return func(ctx context.Context, args []string) error {
			if len(args) == 0 || args[0] != manifest.ComputationRegionMap {
				return fmt.Errorf("compute %s: want the computation name %q", verb, manifest.ComputationRegionMap)
			}
			return run(ctx, args[1:])
		}
	}
	return dispatch(ctx, "compute", computeUsage, args, verbs{
		"run": named("run", func(ctx context.Context, args []string) error {
			return computeRunCmd(ctx, "compute run region-map", manifest.ComputationRegionMap, args, stdout)
		}),
		"result":   named("result", func(ctx context.Context, args []string) error { return computeResult(ctx, args, stdout) }),
		"simulate": named("simulate", func(ctx context.Context, args []string) error { return computeSimulate(ctx, args, stdout) }),
	})
}

// computeEnv is what every compute subcommand needs: the verified manifest
// and a client of the deployment.
type computeEnv struct {
	path string
	m    *manifest.Manifest
	c    *client.Client
}

func openCompute(path string) (*computeEnv, error) {
	if path == "" {
		return nil, errors.New("--manifest is required")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := readVerifiedManifest(path)
	if err != nil {
		return nil, err
	}
	c, err := client.New(b, nil, nil, nil, client.WithBackoff(50*time.Millisecond, 2*time.Second),
		client.WithAttemptWait(10*time.Second), client.WithLogger(cliLogger()))
	if err != nil {
		return nil, err
	}
	return &computeEnv{path: path, m: m, c: c}, nil
}

func (e *computeEnv) nextTo(name string) string { return filepath.Join(filepath.Dir(e.path), name) }

// triggerRun starts computation at every party through the computation
// runner (a RunRequest signed with the party key in keyPath, through the
// relays) and waits until every party reports the run done.
func triggerRun(ctx context.Context, e *computeEnv, keyPaths []string, computation string) error {
	signers, err := runSigners(keyPaths, e.path, e.m.T)
	if err != nil {
		return err
	}
	outs, err := operator.Run(ctx, e.c, computation, signers, 200*time.Millisecond)
	if err != nil {
		for _, o := range outs {
			if o.Err != nil || o.State != wire.RunDone {
				err = fmt.Errorf("%w (party %d: %v %v %s)", err, o.Party, o.State, o.Err, o.Text)
				break
			}
		}
	}
	return err
}

// runSigners loads the party keys that sign a run request: the files in
// paths, or, when none is given, party1.key .. party{t+1}.key next to the
// manifest (a local deployment keeps them there). A run on request needs
// the signatures of t+1 parties.
func runSigners(paths []string, manifestPath string, t int) ([]operator.Signer, error) {
	if len(paths) == 0 {
		for i := 1; i <= t+1; i++ {
			paths = append(paths, filepath.Join(filepath.Dir(manifestPath), fmt.Sprintf("party%d.key", i)))
		}
	}
	var out []operator.Signer
	for _, p := range paths {
		key, err := keys.Load(p)
		if err != nil {
			return nil, fmt.Errorf("%w\nsafetrace: hint: run requests are signed with the keys of t+1 parties (--key FILE, repeated)", err)
		}
		out = append(out, operator.Signer{Party: key.ID, Key: key.Sign})
	}
	return out, nil
}

func dayString(d uint32) string {
	if d == 0 {
		return "none"
	}
	return record.Day(d).String()
}

func computeResult(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("compute result region-map")
	mpath := fs.String("manifest", "", "deployment manifest `file` (required)")
	dayFlag := fs.String("day", "", "UTC day `YYYY-MM-DD` (default: the latest released map)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, err := openCompute(*mpath)
	if err != nil {
		return err
	}
	defer e.c.Close()
	var day uint32
	if *dayFlag != "" {
		t, err := time.Parse(time.DateOnly, *dayFlag)
		if err != nil {
			return fmt.Errorf("--day: %w", err)
		}
		day = uint32(record.DayOf(t))
	}
	rm, err := e.c.FetchRegionMap(ctx, day)
	if err != nil {
		return err
	}
	if rm.Day == 0 {
		return errors.New("no region map released yet\nsafetrace: hint: 'safetrace compute run region-map' releases the days before today")
	}
	fmt.Fprintf(os.Stderr, "safetrace: region map of %s: %d uploads, %d rejected, k = %d; the %d parties agree\n",
		dayString(rm.Day), rm.Uploads, rm.Rejected, rm.K, e.m.N)
	return printRegionMap(stdout, e.m, rm)
}

func printRegionMap(w io.Writer, m *manifest.Manifest, rm *wire.RegionMapResponse) error {
	for _, rc := range rm.Released {
		if int(rc.Region) >= len(m.Params.Regions) {
			return fmt.Errorf("released region %d is not in the manifest", rc.Region)
		}
		fmt.Fprintf(w, "%s,%d\n", m.Params.Regions[rc.Region], rc.Count)
	}
	return nil
}

func computeSimulate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("compute simulate region-map")
	mpath := fs.String("manifest", "", "deployment manifest `file` (required)")
	participants := fs.Int("participants", 100, "synthetic participants")
	seed := fs.Uint64("seed", 1, "random seed of the synthetic population")
	posFrac := fs.Float64("positive", 0.5, "fraction of positive participants")
	var kpath stringList
	fs.Var(&kpath, "key", "party key `file` that signs the run request, repeated for t+1 parties (default party1.key .. party{t+1}.key next to the manifest)")
	apath := fs.String("authority", "", "authority key `file` for the positives' codes (default authority.key next to the manifest)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *participants < 1 {
		return errors.New("--participants must be positive")
	}
	e, err := openCompute(*mpath)
	if err != nil {
		return err
	}
	defer e.c.Close()
	if *apath == "" {
		*apath = e.nextTo("authority.key")
	}
	sum, err := regionsim.Simulate(ctx, e.c, e.m, regionsim.Config{
		Participants: *participants, Seed: *seed, Positive: *posFrac,
		Codes: func(n int) ([]string, error) {
			ak, err := authority.LoadKey(*apath)
			if err != nil {
				return nil, fmt.Errorf("authority key for the positives' codes: %w", err)
			}
			return authority.Issue(ak, n, 24*time.Hour)
		},
		Run: func(ctx context.Context) error { return triggerRun(ctx, e, kpath, manifest.ComputationRegionMap) },
	})
	if sum.Participants > 0 {
		fmt.Fprintln(stdout, sum)
	}
	return err
}
