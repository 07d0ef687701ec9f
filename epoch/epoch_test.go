package epoch

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/wire/record"
)

// plainRecord is a record in the clear, for the test oracle.
type plainRecord struct {
	user, report int
	day          record.Day
	key          string
	weight, mins uint64
	venue        bool // a record of a venue warning
}

// oracle computes the risk rule in the clear: per user and day, the sum
// over own records of minutes times the weights of other valid positive
// records of persons' reports with the same key.
func oracle(recs []plainRecord, valid map[int]bool, threshold uint64) map[[2]int]bool {
	return oracleClass(recs, valid, threshold, false)
}

// oracleClass is oracle over the reports of one class: venue warnings
// (venue) or persons' reports.
func oracleClass(recs []plainRecord, valid map[int]bool, threshold uint64, venue bool) map[[2]int]bool {
	out := map[[2]int]bool{}
	score := map[[2]int]uint64{}
	for i, r := range recs {
		if r.user < 0 {
			continue
		}
		k := [2]int{r.user, int(r.day)}
		score[k] += 0
		for j, s := range recs {
			if j != i && s.report >= 0 && valid[s.report] && s.venue == venue && s.key == r.key {
				score[k] += r.mins * s.weight
			}
		}
	}
	for k, s := range score {
		out[k] = s >= threshold
	}
	return out
}

// population draws users, keys and positive reports; report 0 has a weight
// above the maximum.
func population(seed uint64, users, perUser, reports int) []plainRecord {
	rng := mrand.New(mrand.NewPCG(seed, 1))
	keys := 2 * users
	var recs []plainRecord
	for u := 0; u < users; u++ {
		for i := 0; i < perUser; i++ {
			recs = append(recs, plainRecord{user: u, report: -1, day: record.Day(rng.IntN(3)),
				key: fmt.Sprint("k", rng.IntN(keys)), mins: 1 + rng.Uint64N(10)})
		}
	}
	for q := 0; q < reports; q++ {
		for i := 0; i < 1+rng.IntN(2*perUser); i++ {
			w := rng.Uint64N(1601)
			if q == 0 && i == 0 {
				w = 5000
			}
			recs = append(recs, plainRecord{user: -1, report: q, day: record.Day(rng.IntN(3)),
				key: fmt.Sprint("k", rng.IntN(keys)), weight: w, mins: 10})
		}
	}
	return recs
}

// share splits the population into per-party record lists; the shares of
// report tamper's first point are altered at one party.
func share(t testing.TB, recs []plainRecord, n, th, tamper int) [][]Record {
	f := field.ScalarField{}
	m := len(recs)
	pts := make([]group.Point, m)
	ws := make([]field.Scalar, m)
	mins := make([]field.Scalar, m)
	for i, r := range recs {
		pts[i] = group.HashToPoint("safetrace test", []byte(r.key))
		ws[i] = f.FromUint64(r.weight)
		mins[i] = f.FromUint64(r.mins)
	}
	ps, err := shamir.SplitPoints(th, n, pts, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wsh, _ := shamir.Split[field.Scalar](f, th, n, ws, rand.Reader)
	msh, _ := shamir.Split[field.Scalar](f, th, n, mins, rand.Reader)
	out := make([][]Record, n)
	tampered := false
	for i := range out {
		out[i] = make([]Record, m)
		for k, r := range recs {
			out[i][k] = Record{User: r.user, Day: r.day, Report: r.report, Venue: r.venue,
				Share: record.Share{Point: ps[i].Y[k], Weight: wsh[i].Y[k], Minutes: msh[i].Y[k]}}
			if tamper >= 0 && i == n-1 && r.report == tamper && !tampered {
				g := group.Generator()
				out[i][k].Point.Add(&out[i][k].Point, &g)
				tampered = true
			}
		}
	}
	return out
}

func runEpoch(t testing.TB, conns []transport.Conn, th int, shares [][]Record, prm Params) []*Output {
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
			outs[i], errs[i] = Run(ctx, p, shares[i], prm)
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

func TestEpochAgainstOracle(t *testing.T) {
	testAgainstOracle(t, Params{Threshold: 10000, MaxWeight: 1600}, nil)
}

// TestEpochVenueAgainstOracle mixes persons' reports and venue warnings
// (reports 6 and 7 of 8): each user-day gets the oracle's bit of each
// class.
func TestEpochVenueAgainstOracle(t *testing.T) {
	testAgainstOracle(t, Params{Threshold: 10000, MaxWeight: 1600}, map[int]bool{6: true, 7: true})
}

// TestEpochVenueNoise is the mix with the group-size noise.
func TestEpochVenueNoise(t *testing.T) {
	testAgainstOracle(t, Params{Threshold: 10000, MaxWeight: 1600, NoiseEpsilon: 1, NoiseDelta: 1e-6, NoiseMaxGroup: 4}, map[int]bool{1: true, 6: true, 7: true})
}

// TestEpochMixedReport refuses a report whose records disagree on the
// class.
func TestEpochMixedReport(t *testing.T) {
	recs := []plainRecord{{user: 0, report: -1, key: "a", mins: 5}, {user: -1, report: 0, key: "a", weight: 1000, mins: 10, venue: true}, {user: -1, report: 0, key: "b", weight: 1000, mins: 10}}
	shares := share(t, recs, 3, 1, -1)
	conns := transport.NewLocal(3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := mpc.New(ctx, field.ScalarField{}, 1, conns[i])
			if err == nil {
				_, err = Run(ctx, p, shares[i], Params{Threshold: 10000, MaxWeight: 1600, Log: quiet})
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("party %d ran an epoch with a report of mixed classes", i+1)
		}
	}
}

// TestEpochNoiseAgainstOracle is TestEpochAgainstOracle with the dummy
// records of the group-size noise: every user's result is still the
// oracle's, and the dummies never get a result.
func TestEpochNoiseAgainstOracle(t *testing.T) {
	testAgainstOracle(t, Params{Threshold: 10000, MaxWeight: 1600, NoiseEpsilon: 1, NoiseDelta: 1e-6, NoiseMaxGroup: 4}, nil)
}

// testAgainstOracle runs an epoch over a population whose reports in
// venue are venue warnings and checks both classes' bits.
func testAgainstOracle(t *testing.T, prm Params, venue map[int]bool) {
	for _, pr := range []struct{ n, t int }{{3, 1}, {5, 2}} {
		t.Run(fmt.Sprintf("n=%d,t=%d", pr.n, pr.t), func(t *testing.T) {
			reports, valid := 6, map[int]bool{2: true, 3: true, 4: true, 5: true}
			if len(venue) > 0 {
				reports, valid[6], valid[7] = 8, true, true
			}
			recs := population(uint64(pr.n), 30, 6, reports)
			for i := range recs {
				recs[i].venue = recs[i].report >= 0 && venue[recs[i].report]
			}
			shares := share(t, recs, pr.n, pr.t, 1)
			outs := runEpoch(t, transport.NewLocal(pr.n), pr.t, shares, prm)
			want := oracle(recs, valid, prm.Threshold)
			wantVenue := oracleClass(recs, valid, prm.Threshold, true)
			st := outs[0].Stats
			if st.VenueReports != len(venue) {
				t.Errorf("%d venue reports counted, want %d", st.VenueReports, len(venue))
			}
			if fmt.Sprint(st.RejectedReports) != "[0 1]" {
				t.Fatalf("rejected reports %v, want [0 1]", st.RejectedReports)
			}
			f := field.ScalarField{}
			atRisk, warned := 0, 0
			for k, r := range outs[0].Results {
				var sh []shamir.Share[field.Scalar]
				for i, o := range outs {
					if o.Results[k].User != r.User || o.Results[k].Day != r.Day {
						t.Fatalf("party %d results out of order", i+1)
					}
					sh = append(sh, shamir.Share[field.Scalar]{X: i + 1, Y: []field.Scalar{o.Results[k].Bit, o.Results[k].Venue}})
				}
				v, err := shamir.Reconstruct[field.Scalar](f, pr.t, sh)
				if err != nil {
					t.Fatal(err)
				}
				got, gotVenue := v[0] == f.One(), v[1] == f.One()
				if !got && v[0] != (field.Scalar{}) || !gotVenue && v[1] != (field.Scalar{}) {
					t.Fatalf("user %d day %d: result is not a bit", r.User, r.Day)
				}
				ud := [2]int{r.User, int(r.Day)}
				if got != want[ud] {
					t.Errorf("user %d day %d: at risk %v, oracle %v", r.User, r.Day, got, !got)
				}
				if gotVenue != wantVenue[ud] {
					t.Errorf("user %d day %d: venue warning %v, oracle %v", r.User, r.Day, gotVenue, !gotVenue)
				}
				if got {
					atRisk++
				}
				if gotVenue {
					warned++
				}
			}
			if len(venue) > 0 && (warned == 0 || warned == len(want)) {
				t.Errorf("degenerate test population: %d of %d warned by a venue", warned, len(want))
			}
			if len(outs[0].Results) != len(want) {
				t.Errorf("%d results, oracle has %d", len(outs[0].Results), len(want))
			}
			if atRisk == 0 || atRisk == len(want) {
				t.Errorf("degenerate test population: %d of %d at risk", atRisk, len(want))
			}
			if prm.NoiseEpsilon > 0 {
				if st.NoiseRecords == 0 || st.NoiseMaxGroup != prm.NoiseMaxGroup {
					t.Errorf("noise on, but %d dummy records covering sizes up to %d", st.NoiseRecords, st.NoiseMaxGroup)
				}
				total := 0
				for size, cnt := range st.GroupSizes {
					total += size * cnt
				}
				if total != len(recs)+st.NoiseRecords-dropped(recs, st.RejectedReports) {
					t.Errorf("groups hold %d records, want %d real and %d dummy", total, len(recs)-dropped(recs, st.RejectedReports), st.NoiseRecords)
				}
			}
			t.Logf("%d user-days, %d at risk, %d warned by a venue, %d dummy records, groups %v, rounds %d", len(want), atRisk, warned, st.NoiseRecords, st.GroupSizes, st.Rounds)
		})
	}
}

// dropped counts the records of the rejected reports.
func dropped(recs []plainRecord, rejected []int) int {
	k := 0
	for _, r := range recs {
		for _, q := range rejected {
			if r.report == q {
				k++
			}
		}
	}
	return k
}

// BenchmarkEpoch runs a whole epoch of 3 in-process parties, without and
// with the group-size noise at the manifest's defaults (epsilon 1, delta
// 10^-6, the default group size covered), and without noise but with one
// of the reports a venue warning (the second score class); records/s
// counts the real records of the epoch per second of wall time.
func BenchmarkEpoch(b *testing.B) {
	for _, users := range []int{1000, 10000} {
		var recs []plainRecord
		var shares [][]Record
		for _, noise := range []bool{false, true} {
			prm := Params{Threshold: 10000, MaxWeight: 1600, Log: benchLog}
			if noise {
				prm.NoiseEpsilon, prm.NoiseDelta = 1, 1e-6 // and the default NoiseMaxGroup
			}
			b.Run(fmt.Sprintf("records=%d/noise=%v", users*10, noise), func(b *testing.B) {
				if recs == nil {
					recs = population(1, users, 10, users/100)
					shares = share(b, recs, 3, 1, -1)
					b.ResetTimer()
				}
				for i := 0; i < b.N; i++ {
					runEpoch(b, transport.NewLocal(3), 1, shares, prm)
				}
				b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
		b.Run(fmt.Sprintf("records=%d/venue", users*10), func(b *testing.B) {
			venue := population(1, users, 10, users/100)
			for i := range venue {
				venue[i].venue = venue[i].report == users/100-1
			}
			vs := share(b, venue, 3, 1, -1)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				runEpoch(b, transport.NewLocal(3), 1, vs, Params{Threshold: 10000, MaxWeight: 1600, Log: benchLog})
			}
			b.ReportMetric(float64(len(venue))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// benchLog shows the steps' timings when EPOCH_LOG is set.
var benchLog = func() *slog.Logger {
	if os.Getenv("EPOCH_LOG") != "" {
		return slog.Default()
	}
	return quiet
}()
