package cli

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/epoch"
	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

const epochUsage = `usage:
  safetrace epoch run --manifest FILE [--key FILE] [--wait=false] [--timeout 10m]
  safetrace epoch simulate --users U --records R --positives P --seed S [--parties N --threshold T]`

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

// epochJob is one party's input to a simulated epoch: its shares of every
// record and the records' public fields.
type epochJob struct {
	meshJob
	Params  epoch.Params
	Users   []int32 // per record: user index, or -1 for a positive report's record
	Days    []int32
	Reports []int32 // per record: positive report index, or -1
	Shares  []byte  // per record: point, weight and minutes shares, 96 bytes
}

type epochResult struct {
	Seconds float64
	Results []byte // per result: user (4 bytes), day (4 bytes), bit share (32 bytes)
	Stats   epoch.Stats
}

const epochRecordSize = group.Size + 2*field.ScalarSize

func epochSimulate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("epoch simulate")
	users := fs.Int("users", 1000, "number of users")
	records := fs.Int("records", 10000, "number of ordinary records in all")
	positives := fs.Int("positives", 10, "number of users who report a positive test")
	seed := fs.Uint64("seed", 1, "seed of the synthetic population")
	n := fs.Int("parties", 3, "number of party processes")
	t := fs.Int("threshold", 1, "threshold t")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *users < 1 || *records < 0 || *positives < 0 || *positives > *users {
		return fmt.Errorf("epoch simulate: need users >= 1, records >= 0 and 0 <= positives <= users")
	}
	if err := shamir.CheckParams[field.Scalar](field.ScalarField{}, *t, *n); err != nil {
		return err
	}
	p := trace.DefaultParams()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	uploads := trace.Synthesize(*seed, *users, *records, *positives, p, start)
	want := trace.Oracle(uploads, p)

	// Public fields, in upload order; users numbered by first appearance.
	userIndex := map[string]int32{}
	var names []string
	var recs []trace.Record
	var userOf, reportOf []int32
	report := int32(0)
	for _, u := range uploads {
		if _, ok := userIndex[u.User]; !ok {
			userIndex[u.User] = int32(len(names))
			names = append(names, u.User)
		}
		for _, r := range u.Records {
			recs = append(recs, r)
			if u.Positive {
				userOf, reportOf = append(userOf, -1), append(reportOf, report)
			} else {
				userOf, reportOf = append(userOf, userIndex[u.User]), append(reportOf, -1)
			}
		}
		if u.Positive {
			report++
		}
	}
	// The clients' part: hash keys to points and share everything.
	f := field.ScalarField{}
	m := len(recs)
	pts := make([]group.Point, m)
	ws := make([]field.Scalar, m)
	mins := make([]field.Scalar, m)
	days := make([]int32, m)
	for i, r := range recs {
		if _, err := pts[i].SetUniformBytes(r.Key[:]); err != nil {
			return err
		}
		ws[i] = f.FromUint64(uint64(r.Weight))
		mins[i] = f.FromUint64(uint64(r.Minutes))
		days[i] = int32(r.Day)
	}
	pshares, err := shamir.SplitPoints(*t, *n, pts, rand.Reader)
	if err != nil {
		return err
	}
	wshares, err := shamir.Split[field.Scalar](f, *t, *n, ws, rand.Reader)
	if err != nil {
		return err
	}
	mshares, err := shamir.Split[field.Scalar](f, *t, *n, mins, rand.Reader)
	if err != nil {
		return err
	}
	jobs := make([]*epochJob, *n)
	prm := epoch.Params{Threshold: p.Threshold, MaxWeight: uint64(p.MaxWeight)}
	for i := range jobs {
		buf := make([]byte, 0, m*epochRecordSize)
		for k := 0; k < m; k++ {
			buf = pshares[i].Y[k].AppendBytes(buf)
			buf = f.Append(buf, wshares[i].Y[k:k+1])
			buf = f.Append(buf, mshares[i].Y[k:k+1])
		}
		jobs[i] = &epochJob{Params: prm, Users: userOf, Days: days, Reports: reportOf, Shares: buf}
	}
	results, err := runParties[epochResult](ctx, []string{"epoch", "party"}, *n, *t, jobs)
	if err != nil {
		return err
	}

	// The users' part: reconstruct each result and compare with the oracle.
	got := map[int32][]trace.Day{}
	seen := map[int32]bool{}
	secs := 0.0
	const rsize = 8 + field.ScalarSize
	count := len(results[0].Results) / rsize
	for _, r := range results {
		secs = max(secs, r.Seconds)
		if len(r.Results) != count*rsize {
			return fmt.Errorf("epoch simulate: parties disagree on the number of results")
		}
	}
	for k := 0; k < count; k++ {
		off := k * rsize
		user := int32(binary.BigEndian.Uint32(results[0].Results[off:]))
		day := int32(binary.BigEndian.Uint32(results[0].Results[off+4:]))
		shares := make([]shamir.Share[field.Scalar], *n)
		for i, r := range results {
			if !slices.Equal(r.Results[off:off+8], results[0].Results[off:off+8]) {
				return fmt.Errorf("epoch simulate: parties disagree on result %d", k)
			}
			y := make([]field.Scalar, 1)
			if err := f.Decode(y, r.Results[off+8:off+rsize]); err != nil {
				return fmt.Errorf("epoch simulate: party %d: %w", i+1, err)
			}
			shares[i] = shamir.Share[field.Scalar]{X: i + 1, Y: y}
		}
		bit, err := shamir.Reconstruct[field.Scalar](f, *t, shares)
		if err != nil {
			return fmt.Errorf("epoch simulate: result of user %d day %d: %w", user, day, err)
		}
		seen[user] = true
		switch bit[0] {
		case f.One():
			got[user] = append(got[user], trace.Day(day))
		case field.Scalar{}:
		default:
			return fmt.Errorf("epoch simulate: result of user %d day %d is not a bit", user, day)
		}
	}
	mismatches, atRisk := 0, 0
	for i, name := range names {
		w := want[name]
		g := got[int32(i)]
		if len(g) > 0 {
			atRisk++
		}
		if !slices.Equal(g, w.Days) {
			mismatches++
		}
	}
	fmt.Fprintf(stdout, "users=%d records=%d at_risk=%d mismatches=%d seconds=%.2f\n", len(names), m, atRisk, mismatches, secs)
	if mismatches > 0 {
		return fmt.Errorf("epoch simulate: %d users' results differ from the oracle", mismatches)
	}
	return nil
}

// epochParty is the hidden "safetrace epoch party" command: one party of a
// simulated epoch.
func epochParty(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	var job epochJob
	if err := json.NewDecoder(stdin).Decode(&job); err != nil {
		return fmt.Errorf("epoch party: reading job: %w", err)
	}
	m := len(job.Users)
	if len(job.Days) != m || len(job.Reports) != m || len(job.Shares) != m*epochRecordSize {
		return fmt.Errorf("epoch party: inconsistent job for %d records", m)
	}
	f := field.ScalarField{}
	recs := make([]epoch.Record, m)
	for k := range recs {
		b := job.Shares[k*epochRecordSize:]
		r := &recs[k]
		if _, err := r.Point.SetBytes(b[:group.Size]); err != nil {
			return fmt.Errorf("epoch party: record %d: %w", k, err)
		}
		w := make([]field.Scalar, 2)
		if err := f.Decode(w, b[group.Size:epochRecordSize]); err != nil {
			return fmt.Errorf("epoch party: record %d: %w", k, err)
		}
		r.Weight, r.Minutes = w[0], w[1]
		r.User, r.Day, r.Report = int(job.Users[k]), job.Days[k], int(job.Reports[k])
	}
	conn, err := job.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	p, err := mpc.New(ctx, f, job.T, conn)
	if err != nil {
		return err
	}
	start := time.Now()
	out, err := epoch.Run(ctx, p, recs, job.Params)
	if err != nil {
		return err
	}
	res := epochResult{Seconds: time.Since(start).Seconds(), Stats: out.Stats}
	for _, r := range out.Results {
		res.Results = binary.BigEndian.AppendUint32(res.Results, uint32(r.User))
		res.Results = binary.BigEndian.AppendUint32(res.Results, uint32(r.Day))
		res.Results = f.Append(res.Results, []field.Scalar{r.Bit})
	}
	return json.NewEncoder(stdout).Encode(res)
}

// computeRunCmd asks every party of a manifest, through its relays, to run
// a computation now and prints each party's outcome.
func computeRunCmd(ctx context.Context, cmd, name string, args []string, stdout io.Writer) error {
	fs := newFlagSet(cmd)
	mpath := fs.String("manifest", "", "deployment manifest `file` (required)")
	kpath := fs.String("key", "", "a party's key `file` to sign the request (default: party1.key next to the manifest)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this `long`")
	wait := fs.Bool("wait", true, "wait until the run finished at every party (false: until every party accepted it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *mpath == "" {
		return fmt.Errorf("%s: --manifest is required", cmd)
	}
	if *kpath == "" {
		*kpath = filepath.Join(filepath.Dir(*mpath), "party1.key")
	}
	m, err := readVerifiedManifest(*mpath)
	if err != nil {
		return err
	}
	mb, err := m.Marshal()
	if err != nil {
		return err
	}
	key, err := keys.Load(*kpath)
	if err != nil {
		return fmt.Errorf("%s: %w\nsafetrace: hint: run requests are signed with a party's key (--key)", cmd, err)
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
	outs, err := do(ctx, c, name, key.ID, key.Sign, 500*time.Millisecond)
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
	var sum server.ExposureSummary
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
