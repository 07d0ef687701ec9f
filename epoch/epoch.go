package epoch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/wire/record"
)

// Party is an MPC party over the ristretto255 scalar field.
type Party = mpc.Party[field.Scalar]

// Record is one party's share of one record. All parties must pass the same
// records in the same order (see [Agree]), with equal public fields.
type Record struct {
	// User is the index of the user whose result this record counts for, or
	// -1 for a record of a positive report, which counts for nobody.
	User int
	// Day is the record's UTC day; results are per user and day.
	Day record.Day
	// Report is the index of the positive report the record belongs to, or
	// -1 for an ordinary record, whose weight is zero.
	Report int
	// Venue marks a record of a venue warning (Report >= 0): its report
	// scores in the venue class, apart from persons' reports. It is public
	// (the parties know which purpose the report's code had) and equal for
	// all records of a report.
	Venue bool

	// Share holds the shares of the key point, of the weight (ignored when
	// Report < 0) and of the minutes in the bucket.
	record.Share
}

// Params are the public parameters of an epoch.
type Params struct {
	// Threshold is the score (minutes times weight) from which a user-day
	// is at risk.
	Threshold uint64
	// MaxWeight bounds every weight of a positive report.
	MaxWeight uint64
	// MaxReportWeight bounds the total weight of one positive report, the
	// sum of the weights of all its records: a report above it is
	// rejected. 0 means no limit. At most 2^60-1.
	MaxReportWeight uint64
	// MaxKeyWeight bounds the weight one positive report puts on one key:
	// a report's records with equal keys are folded into one whose weight
	// is their sum, capped at MaxKeyWeight (the report is not rejected), so
	// repeating a key adds nothing past the cap. 0 means no limit and no
	// repetition check (the check reveals to the parties which records of
	// a report share a key). At most 2^60-1.
	MaxKeyWeight uint64
	// ScoreBits bounds honest scores: below 2^ScoreBits. Default 40, room
	// for 10^12 weighted per-mille minutes per user and day.
	ScoreBits int
	// NoiseEpsilon turns on the noise of the tag-group histogram
	// (docs/epoch.md, "Noise"): per key and epoch, the group sizes the
	// parties see are (NoiseEpsilon, NoiseDelta)-differentially private for
	// keys whose group has at most NoiseMaxGroup records. 0 means no
	// noise; otherwise 0.1..10.
	NoiseEpsilon float64
	// NoiseDelta is the failure probability per key and epoch, in
	// [1e-12, 0.1].
	NoiseDelta float64
	// NoiseMaxGroup is the largest group size covered, 1..64; 0 means 6.
	NoiseMaxGroup int
	// NoiseMaxRecords caps the dummy records added: the covered size is
	// lowered until the dummies fit (an error when not even size 1 fits).
	// 0 means no cap.
	NoiseMaxRecords int
	// MaxChunk, if positive, splits the ordinary records into chunks of at
	// most MaxChunk records, each user-day's records in one chunk, each
	// chunk with every positive report's records and a key, noise,
	// shuffle and tags of its own (docs/epoch.md, "Chunks"): memory is
	// bounded by a chunk, and a user-day of more records is a chunk of its
	// own. 0 means one chunk.
	MaxChunk int
	// Log receives progress; nil means slog.Default().
	Log *slog.Logger `json:"-"`
}

// Result is this party's share of one user's result for one day.
type Result struct {
	User int
	Day  record.Day
	Bit  field.Scalar // share of 1 (at risk from persons' reports) or 0
	// Venue is a share of 1 when the venue warnings alone reach the
	// threshold for the user-day, else 0 (a share of 0 when the epoch held
	// no venue warning).
	Venue field.Scalar
}

// Stats are the public counters of an epoch.
type Stats struct {
	Records         int
	PositiveRecords int
	Reports         int
	VenueReports    int // reports that are venue warnings (public)
	RejectedReports []int
	// GroupSizes[s] is the number of tags shared by exactly s records,
	// dummy records included: what every party sees.
	GroupSizes map[int]int
	// NoiseRecords is the number of dummy records added to the shuffle and
	// NoiseMaxGroup the largest group size their noise covers (0: no noise).
	NoiseRecords  int
	NoiseMaxGroup int
	// Chunks is the number of chunks run (Params.MaxChunk), each with its
	// own histogram in GroupSizes.
	Chunks  int
	Timings map[string]time.Duration
	Rounds  int
}

// Output is the result of [Run] at one party.
type Output struct {
	Results []Result // sorted by user, then day
	Stats   Stats
}

// ErrAborted wraps every failure of an epoch: nothing of it is kept, and it
// can be run again.
var ErrAborted = errors.New("epoch: aborted")

// Run computes the epoch over recs. Every party must call it with the same
// public inputs.
func Run(ctx context.Context, p *Party, recs []Record, prm Params) (*Output, error) {
	out, err := run(ctx, p, recs, prm)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAborted, err)
	}
	return out, nil
}

func run(ctx context.Context, p *Party, recs []Record, prm Params) (*Output, error) {
	if prm.ScoreBits == 0 {
		prm.ScoreBits = 40
	}
	if prm.ScoreBits < 1 || prm.ScoreBits > 62 || prm.Threshold == 0 || prm.Threshold >= 1<<prm.ScoreBits {
		return nil, fmt.Errorf("epoch: threshold %d and score bits %d out of range", prm.Threshold, prm.ScoreBits)
	}
	if prm.MaxChunk < 0 {
		return nil, fmt.Errorf("epoch: max chunk %d is negative", prm.MaxChunk)
	}
	plan, err := planNoise(prm, p.N())
	if err != nil {
		return nil, err
	}
	log := prm.Log
	if log == nil {
		log = slog.Default()
	}
	st := Stats{Records: len(recs), GroupSizes: map[int]int{}, Timings: map[string]time.Duration{}}
	lap := time.Now()
	step := func(name string, records int) {
		d := time.Since(lap)
		st.Timings[name] += d
		log.Info("epoch step", "party", p.ID(), "step", name, "records", records, "seconds", d.Seconds())
		lap = time.Now()
	}
	reports := 0
	class := map[int]bool{} // report -> is a venue warning
	var pos []Record        // the positive reports' records, in order
	var ord []int           // the ordinary records, by index into recs
	for i, r := range recs {
		if r.Report >= 0 {
			st.PositiveRecords++
			reports = max(reports, r.Report+1)
			if v, ok := class[r.Report]; ok && v != r.Venue {
				return nil, fmt.Errorf("epoch: report %d mixes venue-warning and personal records", r.Report)
			}
			class[r.Report] = r.Venue
			pos = append(pos, r)
		} else if r.Venue {
			return nil, errors.New("epoch: an ordinary record marked as a venue warning")
		} else {
			ord = append(ord, i)
		}
	}
	st.Reports = reports
	for _, v := range class {
		if v {
			st.VenueReports++
		}
	}
	defer clear(pos)

	// 1. Validate positive reports and drop the records of failing ones,
	// once for all chunks.
	val, err := validate(ctx, p, pos, reports, prm)
	if err != nil {
		return nil, fmt.Errorf("validating reports: %w", err)
	}
	if len(val.rejected) > 0 || len(val.weights) > 0 || len(val.drop) > 0 {
		bad := map[int]bool{}
		for _, q := range val.rejected {
			bad[q] = true
		}
		kept := pos[:0]
		for i, r := range pos {
			if bad[r.Report] || val.drop[i] {
				continue
			}
			if w, ok := val.weights[i]; ok {
				r.Weight = w
			}
			kept = append(kept, r)
		}
		clear(pos[len(kept):])
		pos = kept
		st.RejectedReports = val.rejected
	}
	step("validate", len(pos))

	// 2-7 per chunk of whole user-days, each with every positive record.
	// With venue warnings in the epoch (public), every chunk scores two
	// classes.
	classes := 1
	if st.VenueReports > 0 {
		classes = 2
	}
	// A chunk points into recs and pos instead of copying their records.
	var res []Result
	chunk := make([]*Record, 0)
	for _, ck := range chunks(recs, ord, prm.MaxChunk) {
		chunk = chunk[:0]
		for _, i := range ck {
			chunk = append(chunk, &recs[i])
		}
		for i := range pos {
			chunk = append(chunk, &pos[i])
		}
		st.Chunks++
		out, err := runChunk(ctx, p, chunk, classes, plan, prm, &st, step)
		clear(chunk)
		if err != nil {
			return nil, err
		}
		res = append(res, out...)
	}
	sort.Slice(res, func(a, b int) bool {
		if res[a].User != res[b].User {
			return res[a].User < res[b].User
		}
		return res[a].Day < res[b].Day
	})
	st.Rounds = p.Rounds()
	return &Output{Results: res, Stats: st}, nil
}

// chunks splits the ordinary records ord (indices into recs) into chunks of
// at most maxChunk records (0: one chunk) that keep every user-day's
// records together: in order of user, then day, then index, cut at a
// user-day boundary, into about equal parts. A user-day of more than
// maxChunk records is a chunk of its own. Every party computes the same
// chunks from the same public fields.
func chunks(recs []Record, ord []int, maxChunk int) [][]int {
	if len(ord) == 0 {
		return nil
	}
	if maxChunk <= 0 || len(ord) <= maxChunk {
		return [][]int{ord}
	}
	sort.SliceStable(ord, func(a, b int) bool {
		ra, rb := &recs[ord[a]], &recs[ord[b]]
		if ra.User != rb.User {
			return ra.User < rb.User
		}
		return ra.Day < rb.Day
	})
	n := (len(ord) + maxChunk - 1) / maxChunk
	target := (len(ord) + n - 1) / n
	var out [][]int
	lo := 0
	for i := 0; i < len(ord); {
		// The user-day starting at i ends at j.
		j := i + 1
		for j < len(ord) && recs[ord[j]].User == recs[ord[i]].User && recs[ord[j]].Day == recs[ord[i]].Day {
			j++
		}
		if i > lo && (j-lo > maxChunk || i-lo >= target) {
			out = append(out, ord[lo:i])
			lo = i
		}
		i = j
	}
	return append(out, ord[lo:])
}

// compareBatch is the number of scores compared with the threshold at a
// time: the comparison holds some ScoreBits scalars per value at once, so
// a batch bounds that part of the working set, at one comparison's rounds
// per batch.
const compareBatch = 4096

// runChunk runs steps 2-7 of the epoch on one chunk: its ordinary records
// and the validated records of every positive report, with a key, noise,
// shuffle and tags of its own. It adds the chunk's counters to st and
// returns the results of the chunk's user-days.
func runChunk(ctx context.Context, p *Party, recs []*Record, classes int, plan *noisePlan, prm Params, st *Stats, step func(string, int)) ([]Result, error) {
	// 2. A fresh epoch key.
	key, err := p.RandomKey(ctx, 1)
	if err != nil {
		return nil, err
	}
	m := len(recs)
	extra := 0 // the dummy records
	if plan != nil {
		extra = plan.records
	}
	points := make([]group.Point, m, m+extra)
	weights := make([]field.Scalar, m, m+extra)
	for i, r := range recs {
		points[i] = r.Point
		if r.Report >= 0 {
			weights[i] = r.Weight
		}
	}

	// Dummy records of weight 0 that noise the group sizes; they follow the
	// real ones and are dropped after the unshuffle.
	if plan != nil {
		dum, err := dummies(ctx, p, plan)
		if err != nil {
			return nil, fmt.Errorf("noise: %w", err)
		}
		points = append(points, dum...)
		weights = append(weights, make([]field.Scalar, len(dum))...)
		st.NoiseRecords += plan.records
		st.NoiseMaxGroup = max(st.NoiseMaxGroup, plan.sizes)
		step("noise", m)
	}
	all := len(points)

	// With two classes, every record carries two weights through the
	// shuffle: its weight in the person class, then in the venue class, so
	// each record gets one count per class.
	if classes == 2 {
		two := make([]field.Scalar, 2*all)
		for i, r := range recs {
			if r.Report >= 0 && r.Venue {
				two[all+i] = weights[i]
			} else {
				two[i] = weights[i]
			}
		}
		clear(weights)
		weights = two
	}

	// 3. Shuffle.
	sh, err := newShuffle(ctx, p, all)
	if err != nil {
		return nil, err
	}
	if points, weights, err = sh.forward(ctx, points, weights); err != nil {
		return nil, fmt.Errorf("shuffle: %w", err)
	}
	step("shuffle", m)

	// 4. Tags.
	tags, err := sh.openTags(ctx, key[0], points)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	clear(key)
	clear(points)
	points = nil
	step("tags", m)

	// 5. Per record, the weight of the other records of its group.
	groups := make(map[string][]int, all)
	for i, t := range tags {
		groups[t] = append(groups[t], i)
	}
	tags = nil
	f := p.F
	counts := make([]field.Scalar, classes*all)
	for _, g := range groups {
		st.GroupSizes[len(g)]++
		for c := 0; c < classes; c++ {
			w, out := weights[c*all:(c+1)*all], counts[c*all:(c+1)*all]
			var sum field.Scalar
			for _, i := range g {
				sum = f.Add(sum, w[i])
			}
			for _, i := range g {
				out[i] = f.Sub(sum, w[i])
			}
		}
	}
	groups = nil
	clear(weights)
	weights = nil
	step("group", m)

	// 6. Back to the records' order.
	if counts, err = sh.backward(ctx, counts); err != nil {
		return nil, fmt.Errorf("unshuffle: %w", err)
	}
	sh.erase()
	// Keep the real records' counts, class after class.
	for c := 0; c < classes; c++ {
		copy(counts[c*m:(c+1)*m], counts[c*all:c*all+m])
	}
	clear(counts[classes*m:])
	counts = counts[:classes*m]
	step("unshuffle", m)

	// 7. Scores per user, day and class, and the comparison.
	minutes := make([]field.Scalar, classes*m)
	for i, r := range recs {
		for c := 0; c < classes; c++ {
			minutes[c*m+i] = r.Minutes
		}
	}
	scores, err := p.Mul(ctx, minutes, counts)
	clear(minutes)
	clear(counts)
	minutes, counts = nil, nil
	if err != nil {
		return nil, err
	}
	type ud struct {
		user int
		day  record.Day
	}
	idx := map[ud]int{}
	var keys []ud
	at := make([]int, m) // record -> its user-day
	for i, r := range recs {
		j := -1
		if r.User >= 0 {
			k := ud{r.User, r.Day}
			var ok bool
			if j, ok = idx[k]; !ok {
				j = len(keys)
				idx[k] = j
				keys = append(keys, k)
			}
		}
		at[i] = j
	}
	idx = nil
	// sums[c*K+j] is user-day j's score in class c; one comparison for all.
	K := len(keys)
	sums := make([]field.Scalar, classes*K)
	for c := 0; c < classes; c++ {
		for i, j := range at {
			if j >= 0 {
				sums[c*K+j] = f.Add(sums[c*K+j], scores[c*m+i])
			}
		}
	}
	clear(scores)
	scores, at = nil, nil
	// The comparison in batches (compareBatch).
	below := make([]field.Scalar, 0, len(sums))
	for lo := 0; lo < len(sums); lo += compareBatch {
		b, err := p.LessThanPublic(ctx, sums[lo:min(lo+compareBatch, len(sums))], prm.Threshold, prm.ScoreBits)
		if err != nil {
			return nil, fmt.Errorf("comparison: %w", err)
		}
		below = append(below, b...)
	}
	clear(sums)
	res := make([]Result, K)
	for j, k := range keys {
		res[j] = Result{User: k.user, Day: k.day, Bit: f.Sub(f.One(), below[j])}
		if classes == 2 {
			res[j].Venue = f.Sub(f.One(), below[K+j])
		}
	}
	step("score", m)
	return res, nil
}
