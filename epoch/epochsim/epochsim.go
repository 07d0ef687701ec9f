// Package epochsim runs the exposure epoch, partitioned by day as the
// parties run it ([epoch.RunPartitioned]), on a synthetic
// population ([trace.Synthesize]) and checks every user's result against the
// plaintext oracle ([trace.Oracle]). It plays all three roles: [New] is the
// clients (hash record keys to points, share everything), [Party] is one
// party on its MPC connection, and [Sim.Check] is the users (reconstruct each
// result bit).
//
// The parties may run in one process over [transport.NewLocal] or as
// separate processes over the TLS mesh ("safetrace epoch simulate"): a [Job]
// and a [Result] are plain data, encodable as JSON.
//
// Warning: this is a test and benchmark harness. It holds every share and
// every user's plaintext records at once; nothing here is private.
package epochsim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/safetrace/safetrace/epoch"
	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire/record"
)

// Config is the synthetic population and the parties.
type Config struct {
	Users     int    // users, at least 1
	Records   int    // ordinary records in all, at least 0
	Positives int    // users who report a positive test, 0..Users
	Seed      uint64 // seed of the population
	Parties   int    // n
	Threshold int    // t: parties that may collude (n >= 2t+1)
	// NoiseEpsilon turns on the noise of the tag-group sizes
	// (epoch.Params.NoiseEpsilon) with the manifest's other defaults
	// (delta 10^-6, groups up to 6, at most 20,000 dummy records); 0 is
	// off.
	NoiseEpsilon float64
	// Dir, if set, is where New writes every party's shares (one file per
	// party) for the jobs to refer to, instead of holding them in the job:
	// a party process then reads one day at a time from its file, as the
	// party server streams the store, and never holds every share.
	Dir string
	// MaxChunk is epoch.Params.MaxChunk: a day's ordinary records run in
	// chunks of at most this many (0: one chunk per day).
	MaxChunk int
	// MemoryLimit, if positive, is the soft memory limit in bytes each
	// party sets for the Go runtime (runtime/debug.SetMemoryLimit, as
	// GOMEMLIMIT would) before the epoch.
	MemoryLimit int64
}

// Job is one party's input to a simulated epoch: its shares of every record
// and the records' public fields.
type Job struct {
	Threshold int
	Params    epoch.Params
	Users     []int32 // per record: user index, or -1 for a positive report's record
	Days      []int32
	Reports   []int32 // per record: positive report index, or -1
	Shares    []byte  // per record: point, weight and minutes shares, RecordSize bytes
	// SharesFile, when Shares is nil, is the file holding them.
	SharesFile string
	// MemoryLimit is Config.MemoryLimit.
	MemoryLimit int64
}

// Result is one party's output: its shares of every user's result bits.
type Result struct {
	Seconds float64 // time of epoch.Run at this party
	Results []byte  // per result: user (4 bytes), day (4 bytes), bit share (32 bytes)
	Stats   epoch.Stats
	// CPUSeconds (user and system) and PeakRSS (bytes, the high-water mark
	// of resident memory, VmHWM on Linux) of this party's process when it
	// finished; in one process with other parties they count all of them.
	// Zero where not available.
	CPUSeconds float64
	PeakRSS    int64
}

// RecordSize is the size of one record's shares in [Job.Shares].
const RecordSize = group.Size + 2*field.ScalarSize

const resultSize = 8 + field.ScalarSize

// Sim is the clients' and users' side of one simulation: what [Sim.Check]
// compares the parties' results with.
type Sim struct {
	cfg     Config
	names   []string // users in order of first appearance
	want    map[string]trace.Result
	records int
}

// Summary is the outcome of a simulation.
type Summary struct {
	Users, Records, AtRisk, Mismatches int
	Seconds                            float64 // the slowest party's time
	// Per party (Parties[i] for party i+1): epoch time, process CPU time
	// and peak resident memory, and the dummy records of the noise.
	Parties      []PartySummary
	NoiseRecords int
}

// PartySummary is one party's resources in a simulation.
type PartySummary struct {
	Seconds, CPUSeconds float64
	PeakRSS             int64
}

// Detail returns one line per party with its time, CPU time and peak
// resident memory, and the number of dummy records.
func (s Summary) Detail() string {
	var b strings.Builder
	for i, p := range s.Parties {
		fmt.Fprintf(&b, "party=%d seconds=%.2f cpu_seconds=%.2f peak_rss_mb=%.0f noise_records=%d\n",
			i+1, p.Seconds, p.CPUSeconds, float64(p.PeakRSS)/(1<<20), s.NoiseRecords)
	}
	return b.String()
}

// String returns the one line "safetrace epoch simulate" prints.
func (s Summary) String() string {
	return fmt.Sprintf("users=%d records=%d at_risk=%d mismatches=%d seconds=%.2f",
		s.Users, s.Records, s.AtRisk, s.Mismatches, s.Seconds)
}

// New synthesises the population of cfg and shares it: it returns the
// simulation and one job per party (jobs[i] for party i+1).
func New(cfg Config) (*Sim, []*Job, error) {
	if cfg.Users < 1 || cfg.Records < 0 || cfg.Positives < 0 || cfg.Positives > cfg.Users {
		return nil, nil, errors.New("epochsim: need users >= 1, records >= 0 and 0 <= positives <= users")
	}
	n, t := cfg.Parties, cfg.Threshold
	if err := shamir.CheckParams[field.Scalar](field.ScalarField{}, t, n); err != nil {
		return nil, nil, err
	}
	p := trace.DefaultParams()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	uploads := trace.Synthesize(cfg.Seed, cfg.Users, cfg.Records, cfg.Positives, p, start)
	s := &Sim{cfg: cfg, want: trace.Oracle(uploads, p)}

	// Public fields, in upload order; users numbered by first appearance.
	userIndex := map[string]int32{}
	var recs []trace.Record
	var userOf, reportOf []int32
	report := int32(0)
	for _, u := range uploads {
		if _, ok := userIndex[u.User]; !ok {
			userIndex[u.User] = int32(len(s.names))
			s.names = append(s.names, u.User)
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
	// The clients' part: hash keys to points and share everything, a
	// batch at a time, each party's encodings appended to its file (or
	// its buffer), so that besides the records only one batch of points
	// and shares is held.
	f := field.ScalarField{}
	m := len(recs)
	s.records = m
	days := make([]int32, m)
	for i, r := range recs {
		if r.Day < 0 {
			return nil, nil, fmt.Errorf("epochsim: record %d: day %d before 1970", i, r.Day)
		}
		days[i] = int32(r.Day)
	}
	prm := epoch.Params{Threshold: p.Threshold, MaxWeight: uint64(p.MaxWeight), MaxChunk: cfg.MaxChunk}
	if cfg.NoiseEpsilon > 0 {
		prm.NoiseEpsilon, prm.NoiseDelta, prm.NoiseMaxRecords = cfg.NoiseEpsilon, 1e-6, 20000
	}
	jobs := make([]*Job, n)
	outs := make([]*bufio.Writer, n)
	bufs := make([]*bytes.Buffer, n)
	files := make([]*os.File, n)
	for i := range jobs {
		jobs[i] = &Job{Threshold: t, Params: prm, Users: userOf, Days: days, Reports: reportOf, MemoryLimit: cfg.MemoryLimit}
		if cfg.Dir == "" {
			bufs[i] = bytes.NewBuffer(make([]byte, 0, m*RecordSize))
			outs[i] = bufio.NewWriter(bufs[i])
			continue
		}
		name := filepath.Join(cfg.Dir, fmt.Sprintf("party%d.shares", i+1))
		file, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, nil, err
		}
		defer file.Close() // on errors; closed below otherwise
		files[i] = file
		jobs[i].SharesFile = name
		outs[i] = bufio.NewWriterSize(file, 1<<20)
	}
	pts := make([]group.Point, min(m, shareBatch))
	sc := make([]field.Scalar, 2*min(m, shareBatch)) // weights, then minutes
	enc := make([]byte, 0, RecordSize)
	for lo := 0; lo < m; lo += shareBatch {
		hi := min(lo+shareBatch, m)
		k := hi - lo
		for i, r := range recs[lo:hi] {
			if _, err := pts[i].SetUniformBytes(r.Key[:]); err != nil {
				return nil, nil, err
			}
			sc[i] = f.FromUint64(uint64(r.Weight))
			sc[k+i] = f.FromUint64(uint64(r.Minutes))
		}
		pshares, err := shamir.SplitPoints(t, n, pts[:k], rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		sshares, err := shamir.Split[field.Scalar](f, t, n, sc[:2*k], rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		for i := range n {
			for j := 0; j < k; j++ {
				enc = pshares[i].Y[j].AppendBytes(enc[:0])
				enc = f.Append(enc, sshares[i].Y[j:j+1])
				enc = f.Append(enc, sshares[i].Y[k+j:k+j+1])
				if _, err := outs[i].Write(enc); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	for i := range jobs {
		if err := outs[i].Flush(); err != nil {
			return nil, nil, err
		}
		if bufs[i] != nil {
			jobs[i].Shares = bufs[i].Bytes()
		} else if err := files[i].Close(); err != nil {
			return nil, nil, err
		}
	}
	return s, jobs, nil
}

// Party runs one party's part of the epoch on conn. It decodes the shares
// of one day at a time, as the epoch asks for them, so that besides the
// job's bytes it holds only one day's records.
func Party(ctx context.Context, conn transport.Conn, job *Job) (*Result, error) {
	m := len(job.Users)
	if job.Shares == nil && job.SharesFile != "" {
		fi, err := os.Stat(job.SharesFile)
		if err != nil {
			return nil, err
		}
		if fi.Size() != int64(m)*RecordSize {
			return nil, fmt.Errorf("epochsim: %s: %d bytes for %d records", job.SharesFile, fi.Size(), m)
		}
	} else if len(job.Shares) != m*RecordSize {
		return nil, fmt.Errorf("epochsim: inconsistent job for %d records", m)
	}
	if len(job.Days) != m || len(job.Reports) != m {
		return nil, fmt.Errorf("epochsim: inconsistent job for %d records", m)
	}
	if job.MemoryLimit > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(job.MemoryLimit))
	}
	f := field.ScalarField{}
	p, err := mpc.New(ctx, f, job.Threshold, conn)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	out, err := epoch.RunPartitioned(ctx, p, newJobDays(job), job.Params)
	if err != nil {
		return nil, err
	}
	res := &Result{Seconds: time.Since(start).Seconds(), Stats: out.Stats}
	for _, r := range out.Results {
		res.Results = binary.BigEndian.AppendUint32(res.Results, uint32(r.User))
		res.Results = binary.BigEndian.AppendUint32(res.Results, uint32(r.Day))
		res.Results = f.Append(res.Results, []field.Scalar{r.Bit})
	}
	res.CPUSeconds, res.PeakRSS = usage()
	return res, nil
}

// jobDays hands out a job's records one day at a time, in ascending order,
// decoding each day's shares when it is asked for.
type jobDays struct {
	job  *Job
	days []int32
	idx  map[int32][]int32 // record indices per day, in job order
	recs []epoch.Record    // reused between days
}

func newJobDays(job *Job) *jobDays {
	idx := map[int32][]int32{}
	for k, d := range job.Days {
		idx[d] = append(idx[d], int32(k))
	}
	return &jobDays{job: job, days: slices.Sorted(maps.Keys(idx)), idx: idx}
}

func (s *jobDays) Next(context.Context) (record.Day, []epoch.Record, bool, error) {
	if len(s.days) == 0 {
		return 0, nil, false, nil
	}
	d := s.days[0]
	s.days = s.days[1:]
	ks := s.idx[d]
	delete(s.idx, d)
	if cap(s.recs) < len(ks) {
		s.recs = nil // the old day's records are cleared, let them go first
		s.recs = make([]epoch.Record, len(ks))
	}
	recs := s.recs[:len(ks)]
	if err := s.decode(ks, recs, record.Day(d)); err != nil {
		return 0, nil, false, fmt.Errorf("epochsim: day %d: %w", d, err)
	}
	return record.Day(d), recs, true, nil
}

// shareBatch is the number of records the clients' part shares at a time.
const shareBatch = 1 << 16

// decodeBatch is the number of records whose shares are read and decoded
// at a time.
const decodeBatch = 4096

// decode fills recs with records ks (ascending) of day d, reading their
// shares from the job or in one pass over its file, a batch at a time, so
// that besides recs only one batch of encodings is held.
func (s *jobDays) decode(ks []int32, recs []epoch.Record, d record.Day) error {
	job := s.job
	var r *bufio.Reader
	if job.Shares == nil {
		f, err := os.Open(job.SharesFile)
		if err != nil {
			return err
		}
		defer f.Close()
		r = bufio.NewReaderSize(f, 1<<20)
	}
	f := field.ScalarField{}
	buf := make([]byte, 0, decodeBatch*RecordSize)
	enc := make([]byte, 0, decodeBatch*group.Size)
	pts := make([]group.Point, decodeBatch)
	w := make([]field.Scalar, 2)
	next := int32(0) // the file's next record
	for lo := 0; lo < len(ks); lo += decodeBatch {
		batch := ks[lo:min(lo+decodeBatch, len(ks))]
		buf, enc = buf[:0], enc[:0]
		for _, k := range batch {
			if r == nil {
				buf = append(buf, job.Shares[int(k)*RecordSize:int(k+1)*RecordSize]...)
				continue
			}
			if _, err := r.Discard(int(k-next) * RecordSize); err != nil {
				return err
			}
			b := buf[len(buf) : len(buf)+RecordSize]
			if _, err := io.ReadFull(r, b); err != nil {
				return err
			}
			buf = buf[:len(buf)+RecordSize]
			next = k + 1
		}
		for i := range batch {
			enc = append(enc, buf[i*RecordSize:i*RecordSize+group.Size]...)
		}
		if err := group.DecodeVec(pts[:len(batch)], enc); err != nil {
			return err
		}
		for i, k := range batch {
			b := buf[i*RecordSize+group.Size : (i+1)*RecordSize]
			if err := f.Decode(w, b); err != nil {
				return fmt.Errorf("record %d: %w", k, err)
			}
			recs[lo+i] = epoch.Record{
				User: int(job.Users[k]), Day: d, Report: int(job.Reports[k]),
				Share: record.Share{Point: pts[i], Weight: w[0], Minutes: w[1]},
			}
		}
	}
	clear(buf[:cap(buf)])
	clear(pts)
	return nil
}

// Check reconstructs every user's result from the parties' results
// (results[i] from party i+1) and compares it with the oracle. A summary
// with mismatches comes with an error.
func (s *Sim) Check(results []*Result) (Summary, error) {
	f := field.ScalarField{}
	if len(results) != s.cfg.Parties {
		return Summary{}, fmt.Errorf("epochsim: %d results for %d parties", len(results), s.cfg.Parties)
	}
	got := map[int32][]trace.Day{}
	secs := 0.0
	count := len(results[0].Results) / resultSize
	for _, r := range results {
		secs = max(secs, r.Seconds)
		if len(r.Results) != count*resultSize {
			return Summary{}, errors.New("epochsim: parties disagree on the number of results")
		}
	}
	for k := 0; k < count; k++ {
		off := k * resultSize
		user := int32(binary.BigEndian.Uint32(results[0].Results[off:]))
		day := int32(binary.BigEndian.Uint32(results[0].Results[off+4:]))
		shares := make([]shamir.Share[field.Scalar], len(results))
		for i, r := range results {
			if !slices.Equal(r.Results[off:off+8], results[0].Results[off:off+8]) {
				return Summary{}, fmt.Errorf("epochsim: parties disagree on result %d", k)
			}
			y := make([]field.Scalar, 1)
			if err := f.Decode(y, r.Results[off+8:off+resultSize]); err != nil {
				return Summary{}, fmt.Errorf("epochsim: party %d: %w", i+1, err)
			}
			shares[i] = shamir.Share[field.Scalar]{X: i + 1, Y: y}
		}
		bit, err := shamir.Reconstruct[field.Scalar](f, s.cfg.Threshold, shares)
		if err != nil {
			return Summary{}, fmt.Errorf("epochsim: result of user %d day %d: %w", user, day, err)
		}
		switch bit[0] {
		case f.One():
			got[user] = append(got[user], trace.Day(day))
		case field.Scalar{}:
		default:
			return Summary{}, fmt.Errorf("epochsim: result of user %d day %d is not a bit", user, day)
		}
	}
	sum := Summary{Users: len(s.names), Records: s.records, Seconds: secs, NoiseRecords: results[0].Stats.NoiseRecords}
	for _, r := range results {
		sum.Parties = append(sum.Parties, PartySummary{Seconds: r.Seconds, CPUSeconds: r.CPUSeconds, PeakRSS: r.PeakRSS})
	}
	for i, name := range s.names {
		g := got[int32(i)]
		if len(g) > 0 {
			sum.AtRisk++
		}
		if !slices.Equal(g, s.want[name].Days) {
			sum.Mismatches++
		}
	}
	if sum.Mismatches > 0 {
		return sum, fmt.Errorf("epochsim: %d users' results differ from the oracle", sum.Mismatches)
	}
	return sum, nil
}
