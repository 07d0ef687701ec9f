package epoch

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/wire/record"
)

// TestChunks checks the split of a day's ordinary records: every record in
// exactly one chunk, each user-day in one chunk, chunks at most maxChunk
// records unless one user-day alone is larger, and as many chunks as the
// size asks for when user-days are small.
func TestChunks(t *testing.T) {
	var recs []Record
	for u := 0; u < 40; u++ {
		for i := 0; i <= u%7; i++ {
			recs = append(recs, Record{User: (u * 17) % 40, Day: record.Day(u % 2), Report: -1})
		}
	}
	recs = append(recs, make([]Record, 30)...) // one user-day of 30 records: user 0, day 0
	for _, max := range []int{0, 1, 5, 10, 29, 64, 1000} {
		var ord []int
		for i := range recs {
			ord = append(ord, i)
		}
		cs := chunks(recs, ord, max)
		seen := map[int]bool{}
		where := map[[2]int]int{}
		for c, ck := range cs {
			if len(ck) == 0 {
				t.Fatalf("max %d: empty chunk", max)
			}
			ud := map[[2]int]bool{}
			for _, i := range ck {
				if seen[i] {
					t.Fatalf("max %d: record %d in two chunks", max, i)
				}
				seen[i] = true
				k := [2]int{recs[i].User, int(recs[i].Day)}
				ud[k] = true
				if w, ok := where[k]; ok && w != c {
					t.Fatalf("max %d: user-day %v in chunks %d and %d", max, k, w, c)
				}
				where[k] = c
			}
			if max > 0 && len(ck) > max && len(ud) > 1 {
				t.Errorf("max %d: chunk %d of %d records holds %d user-days", max, c, len(ck), len(ud))
			}
		}
		if len(seen) != len(recs) {
			t.Fatalf("max %d: %d of %d records in chunks", max, len(seen), len(recs))
		}
		if max == 0 && len(cs) != 1 {
			t.Errorf("max 0: %d chunks, want 1", len(cs))
		}
		if max >= 10 && len(cs) > 2*((len(recs)+max-1)/max)+1 {
			t.Errorf("max %d: %d chunks for %d records", max, len(cs), len(recs))
		}
		t.Logf("max %d: %d chunks", max, len(cs))
	}
}

// dayPopulation is population with every key bound to its record's day
// (as real keys are: their time bucket is in a day), reports spanning days.
func dayPopulation(seed uint64, users, perUser, reports int) []plainRecord {
	recs := population(seed, users, perUser, reports)
	for i := range recs {
		recs[i].key = fmt.Sprint(recs[i].day, "/", recs[i].key)
	}
	return recs
}

// TestChunkedAgainstOracle runs a partitioned epoch with chunks of at most
// 25 ordinary records (35 with noise), several per day, for n=3,t=1 and
// n=5,t=2, with and without noise, over reports spanning the days of which one is
// inconsistent (tampered shares at one party) and one too heavy: every
// user-day's result is the oracle's, each bad report's day part is
// rejected once (not once per chunk), the reports' records are counted
// once, and the group sizes hold every chunk's records: its own, every
// valid record of its day's reports and its dummies.
func TestChunkedAgainstOracle(t *testing.T) {
	for _, noise := range []bool{false, true} {
		for _, pr := range []struct{ n, t int }{{3, 1}, {5, 2}} {
			t.Run(fmt.Sprintf("n=%d,t=%d,noise=%v", pr.n, pr.t, noise), func(t *testing.T) {
				prm := Params{Threshold: 3000, MaxWeight: 1600, MaxChunk: 25}
				if noise {
					// Fewer, larger chunks and groups up to 2 covered: the
					// dummies of every chunk go through every shuffle round.
					prm.NoiseEpsilon, prm.NoiseDelta, prm.NoiseMaxGroup, prm.MaxChunk = 1, 1e-6, 2, 35
				}
				testChunked(t, pr.n, pr.t, prm)
			})
		}
	}
}

func testChunked(t *testing.T, n, th int, prm Params) {
	recs := dayPopulation(uint64(10*n), 30, 6, 6)
	shares := share(t, recs, n, th, 1)
	outs := runPartitioned(t, transport.NewLocal(n), th, shares, prm)

	// Rejected day parts: report 0's first record is too heavy, report 1's
	// first record is tampered; each rejects its report's part of that
	// record's day.
	first := map[int]record.Day{}
	for _, r := range recs {
		if _, ok := first[r.report]; !ok && r.report >= 0 {
			first[r.report] = r.day
		}
	}
	bad := map[[2]int]bool{{int(first[0]), 0}: true, {int(first[1]), 1}: true}
	var wantRejected []int
	for d := record.Day(0); d < 3; d++ {
		for q := 0; q < 2; q++ {
			if bad[[2]int{int(d), q}] {
				wantRejected = append(wantRejected, int(d)<<32|q)
			}
		}
	}
	st := outs[0].Stats
	if !slices.Equal(st.RejectedReports, wantRejected) {
		t.Fatalf("rejected %v, want %v", st.RejectedReports, wantRejected)
	}

	// The oracle per user-day, over the same day's valid report parts.
	want := map[[2]int]bool{}
	score := map[[2]int]uint64{}
	ordinary, positive := map[record.Day][]Record{}, map[record.Day]int{}
	for i, r := range recs {
		if r.user < 0 {
			if !bad[[2]int{int(r.day), r.report}] {
				positive[r.day]++
			}
			continue
		}
		ordinary[r.day] = append(ordinary[r.day], Record{User: r.user, Day: r.day, Report: -1})
		k := [2]int{r.user, int(r.day)}
		score[k] += 0
		for j, s := range recs {
			if j != i && s.report >= 0 && s.day == r.day && !bad[[2]int{int(s.day), s.report}] && s.key == r.key {
				score[k] += r.mins * s.weight
			}
		}
	}
	for k, s := range score {
		want[k] = s >= prm.Threshold
	}

	// Chunks and the records the histograms hold.
	chunksRun, held := 0, 0
	for _, ord := range ordinary {
		idx := make([]int, len(ord))
		for i := range idx {
			idx[i] = i
		}
		c := len(chunks(ord, idx, prm.MaxChunk))
		if c < 2 {
			t.Fatalf("a day of %d ordinary records in %d chunk: the test needs several", len(ord), c)
		}
		chunksRun += c
		held += len(ord) + c*positive[ord[0].Day]
	}
	if st.Chunks != chunksRun {
		t.Errorf("%d chunks run, want %d", st.Chunks, chunksRun)
	}
	if st.Records != len(recs) || st.PositiveRecords != len(recs)-countOrdinary(recs) {
		t.Errorf("counted %d records, %d positive; want %d, %d", st.Records, st.PositiveRecords, len(recs), len(recs)-countOrdinary(recs))
	}
	if prm.NoiseEpsilon > 0 {
		if st.NoiseRecords == 0 || st.NoiseRecords%chunksRun != 0 {
			t.Errorf("%d dummy records for %d chunks", st.NoiseRecords, chunksRun)
		}
		held += st.NoiseRecords
	} else if st.NoiseRecords != 0 {
		t.Errorf("noise off, but %d dummy records", st.NoiseRecords)
	}
	total := 0
	for size, cnt := range st.GroupSizes {
		total += size * cnt
	}
	if total != held {
		t.Errorf("groups hold %d records, want %d", total, held)
	}

	f := field.ScalarField{}
	atRisk := 0
	if len(outs[0].Results) != len(want) {
		t.Fatalf("%d results, oracle has %d", len(outs[0].Results), len(want))
	}
	for k, r := range outs[0].Results {
		var sh []shamir.Share[field.Scalar]
		for i, o := range outs {
			if o.Results[k].User != r.User || o.Results[k].Day != r.Day {
				t.Fatalf("party %d results out of order", i+1)
			}
			sh = append(sh, shamir.Share[field.Scalar]{X: i + 1, Y: []field.Scalar{o.Results[k].Bit}})
		}
		v, err := shamir.Reconstruct[field.Scalar](f, th, sh)
		if err != nil {
			t.Fatal(err)
		}
		got := v[0] == f.One()
		if !got && v[0] != (field.Scalar{}) {
			t.Fatalf("user %d day %d: result is not a bit", r.User, r.Day)
		}
		if got != want[[2]int{r.User, int(r.Day)}] {
			t.Errorf("user %d day %d: at risk %v, oracle %v", r.User, r.Day, got, !got)
		}
		if got {
			atRisk++
		}
	}
	if atRisk == 0 || atRisk == len(want) {
		t.Errorf("degenerate test population: %d of %d at risk", atRisk, len(want))
	}
	t.Logf("%d user-days, %d at risk, %d chunks, %d dummy records, groups %v", len(want), atRisk, st.Chunks, st.NoiseRecords, st.GroupSizes)
}

func countOrdinary(recs []plainRecord) int {
	k := 0
	for _, r := range recs {
		if r.report < 0 {
			k++
		}
	}
	return k
}

// runPartitioned is runEpoch through RunPartitioned, one day at a time.
func runPartitioned(t testing.TB, conns []transport.Conn, th int, shares [][]Record, prm Params) []*Output {
	n := len(conns)
	if prm.Log == nil {
		prm.Log = quiet
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	outs := make([]*Output, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := mpc.New(ctx, field.ScalarField{}, th, conns[i])
			if err != nil {
				errs[i] = err
				return
			}
			outs[i], errs[i] = RunPartitioned(ctx, p, SliceDays(shares[i]), prm)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i+1, err)
		}
	}
	return outs
}
