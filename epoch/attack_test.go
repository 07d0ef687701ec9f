package epoch

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
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

// Attacks by clients on the epoch (issue 11): every one must leave the epoch
// running, be rejected alone, and leave the honest users' results equal to
// the oracle's.

// shareWith splits recs into per-party record lists like share, then lets
// tamper change any party's copy of any record (party is 0-based).
func shareWith(t testing.TB, recs []plainRecord, n, th int, tamper func(party, rec int, r *Record)) [][]Record {
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
	wsh, err := shamir.Split[field.Scalar](f, th, n, ws, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	msh, err := shamir.Split[field.Scalar](f, th, n, mins, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]Record, n)
	for i := range out {
		out[i] = make([]Record, m)
		for k, r := range recs {
			out[i][k] = Record{User: r.user, Day: r.day, Report: r.report,
				Share: record.Share{Point: ps[i].Y[k], Weight: wsh[i].Y[k], Minutes: msh[i].Y[k]}}
			if tamper != nil {
				tamper(i, k, &out[i][k])
			}
		}
	}
	return out
}

// firstOf returns the index of the first record of report q.
func firstOf(recs []plainRecord, q int) int {
	for i, r := range recs {
		if r.report == q {
			return i
		}
	}
	panic(fmt.Sprint("no record of report ", q))
}

// oracleLimits is the risk rule with the report limits of Params: a report
// is valid when valid[q]; the weight one valid report puts on one key is
// the sum of its weights on that key, capped at maxKey when maxKey > 0.
func oracleLimits(recs []plainRecord, valid map[int]bool, maxKey, threshold uint64) map[[2]int]bool {
	type rk struct {
		report int
		key    string
	}
	perKey := map[rk]uint64{}
	for _, r := range recs {
		if r.report >= 0 && valid[r.report] {
			perKey[rk{r.report, r.key}] += r.weight
		}
	}
	onKey := map[string]uint64{}
	for k, w := range perKey {
		if maxKey > 0 {
			w = min(w, maxKey)
		}
		onKey[k.key] += w
	}
	score := map[[2]int]uint64{}
	for _, r := range recs {
		if r.user < 0 {
			continue
		}
		k := [2]int{r.user, int(r.day)}
		score[k] += r.mins * onKey[r.key]
	}
	out := map[[2]int]bool{}
	for k, s := range score {
		out[k] = s >= threshold
	}
	return out
}

// checkResults reconstructs every user-day's bit and compares it with want
// for every user not in skip. It returns the number of user-days at risk
// among those compared.
func checkResults(t *testing.T, outs []*Output, th int, want map[[2]int]bool, skip map[int]bool) int {
	t.Helper()
	f := field.ScalarField{}
	atRisk, compared := 0, 0
	for k, r := range outs[0].Results {
		var sh []shamir.Share[field.Scalar]
		for i, o := range outs {
			if o.Results[k].User != r.User || o.Results[k].Day != r.Day {
				t.Fatalf("party %d results out of order", i+1)
			}
			sh = append(sh, shamir.Share[field.Scalar]{X: i + 1, Y: []field.Scalar{o.Results[k].Bit}})
		}
		if skip[r.User] {
			continue
		}
		v, err := shamir.Reconstruct[field.Scalar](f, th, sh)
		if err != nil {
			t.Fatalf("user %d day %d: %v", r.User, r.Day, err)
		}
		got := v[0] == f.One()
		if !got && v[0] != (field.Scalar{}) {
			t.Fatalf("user %d day %d: result is not a bit", r.User, r.Day)
		}
		w, ok := want[[2]int{r.User, int(r.Day)}]
		if !ok {
			t.Fatalf("user %d day %d: not in the oracle", r.User, r.Day)
		}
		if got != w {
			t.Errorf("user %d day %d: at risk %v, oracle %v", r.User, r.Day, got, w)
		}
		compared++
		if got {
			atRisk++
		}
	}
	n := 0
	for k := range want {
		if !skip[k[0]] {
			n++
		}
	}
	if compared != n {
		t.Errorf("%d results compared, oracle has %d", compared, n)
	}
	return atRisk
}

var attackParties = []struct{ n, t int }{{3, 1}, {5, 2}}

// TestAttackInconsistentReport: positive reports whose shares do not lie on
// one degree-t polynomial, in a weight, in a point and in the minutes, are
// rejected alone; the epoch completes and honest results are the oracle's.
func TestAttackInconsistentReport(t *testing.T) {
	for _, pr := range attackParties {
		t.Run(fmt.Sprintf("n=%d,t=%d", pr.n, pr.t), func(t *testing.T) {
			// Report 0 has a weight above the maximum (population);
			// 1: inconsistent weight, 2: inconsistent point, 3:
			// inconsistent minutes, 4 and 5: honest.
			recs := population(uint64(10+pr.n), 30, 6, 6)
			w, p, mn := firstOf(recs, 1), firstOf(recs, 2), firstOf(recs, 3)
			f := field.ScalarField{}
			g := group.Generator()
			shares := shareWith(t, recs, pr.n, pr.t, func(party, k int, r *Record) {
				if party != pr.n-1 {
					return
				}
				switch k {
				case w:
					r.Weight = f.Add(r.Weight, f.One())
				case p:
					r.Point.Add(&r.Point, &g)
				case mn:
					r.Minutes = f.Add(r.Minutes, f.One())
				}
			})
			prm := Params{Threshold: 10000, MaxWeight: 1600}
			outs := runEpoch(t, transport.NewLocal(pr.n), pr.t, shares, prm)
			for i, o := range outs {
				if got := fmt.Sprint(o.Stats.RejectedReports); got != "[0 1 2 3]" {
					t.Fatalf("party %d: rejected reports %s, want [0 1 2 3]", i+1, got)
				}
			}
			want := oracle(recs, map[int]bool{4: true, 5: true}, prm.Threshold)
			if atRisk := checkResults(t, outs, pr.t, want, nil); atRisk == 0 || atRisk == len(want) {
				t.Errorf("degenerate population: %d of %d at risk", atRisk, len(want))
			}
		})
	}
}

// TestAttackInconsistentOrdinaryRecord: a user whose ordinary records have
// inconsistent shares of the point, the (ignored) weight and the minutes
// spoils only their own result; the epoch completes, no report is
// rejected for it and every other result is the oracle's.
func TestAttackInconsistentOrdinaryRecord(t *testing.T) {
	for _, pr := range attackParties {
		t.Run(fmt.Sprintf("n=%d,t=%d", pr.n, pr.t), func(t *testing.T) {
			recs := population(uint64(20+pr.n), 30, 6, 4)
			const attacker = 0
			var own []int
			for i, r := range recs {
				if r.user == attacker {
					own = append(own, i)
				}
			}
			f := field.ScalarField{}
			g := group.Generator()
			shares := shareWith(t, recs, pr.n, pr.t, func(party, k int, r *Record) {
				if party == 0 || !slices.Contains(own, k) {
					return
				}
				// Different garbage at every party but the first, on
				// every field of every record of the attacker.
				d := f.FromUint64(uint64(party*1000 + k))
				r.Minutes = f.Add(r.Minutes, d)
				r.Weight = f.Add(r.Weight, d)
				var e group.Point
				e.ScalarMult(&d, &g)
				r.Point.Add(&r.Point, &e)
			})
			prm := Params{Threshold: 10000, MaxWeight: 1600}
			outs := runEpoch(t, transport.NewLocal(pr.n), pr.t, shares, prm)
			for i, o := range outs {
				if got := fmt.Sprint(o.Stats.RejectedReports); got != "[0]" {
					t.Fatalf("party %d: rejected reports %s, want [0]", i+1, got)
				}
			}
			want := oracle(recs, map[int]bool{1: true, 2: true, 3: true}, prm.Threshold)
			if atRisk := checkResults(t, outs, pr.t, want, map[int]bool{attacker: true}); atRisk == 0 {
				t.Errorf("degenerate population: nobody at risk")
			}
		})
	}
}

// TestAttackWeightRepetition: a code holder repeats one key 1,000 times in
// its report, each copy at the maximum weight. With MaxKeyWeight set, the
// weight of one report on one key is capped, so the overlapping user's
// score counts the limit once; with MaxReportWeight below the report's
// total, the report is rejected; without limits (zero values) the
// repetition still counts in full, as before.
func TestAttackWeightRepetition(t *testing.T) {
	const (
		maxWeight = 1600
		maxKey    = 1600
		threshold = 10000
	)
	base := population(31, 30, 6, 4) // reports 0..3, users 0..29
	recs := append([]plainRecord(nil), base...)
	// Report 4: the attack.
	for i := 0; i < 1000; i++ {
		recs = append(recs, plainRecord{user: -1, report: 4, key: "attack", weight: maxWeight, mins: 10})
	}
	// Report 5: an honest report with repeated keys, one above the cap
	// (3 x 800) and one below it (2 x 600).
	for i := 0; i < 3; i++ {
		recs = append(recs, plainRecord{user: -1, report: 5, key: "dup", weight: 800, mins: 10})
	}
	for i := 0; i < 2; i++ {
		recs = append(recs, plainRecord{user: -1, report: 5, key: "dup2", weight: 600, mins: 10})
	}
	const victim = 30
	recs = append(recs,
		plainRecord{user: victim, report: -1, key: "attack", mins: 5}, // capped: 8000, else 8e6
		plainRecord{user: 31, report: -1, key: "dup", mins: 5},        // capped: 8000, else 12000
		plainRecord{user: 32, report: -1, key: "dup2", mins: 8},       // 9600
		plainRecord{user: 33, report: -1, key: "dup2", mins: 9},       // 10800
	)
	valid := map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}
	cases := []struct {
		name     string
		n, t     int
		prm      Params
		rejected string
		maxKey   uint64
		// whether the victim and user 31 are at risk
		victim, u31 bool
	}{
		{"capped,n=3,t=1", 3, 1, Params{MaxReportWeight: 2_000_000, MaxKeyWeight: maxKey}, "[0]", maxKey, false, false},
		{"capped,n=5,t=2", 5, 2, Params{MaxKeyWeight: maxKey}, "[0]", maxKey, false, false},
		{"report total,n=3,t=1", 3, 1, Params{MaxReportWeight: 100_000, MaxKeyWeight: maxKey}, "[0 4]", maxKey, false, false},
		// A cap of 10 copies: the attack is capped at 16000, the honest
		// repetitions are folded without a cap.
		{"loose cap,n=3,t=1", 3, 1, Params{MaxKeyWeight: 10 * maxWeight}, "[0]", 10 * maxWeight, true, true},
		{"no limits,n=3,t=1", 3, 1, Params{}, "[0]", 0, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prm := c.prm
			prm.Threshold, prm.MaxWeight = threshold, maxWeight
			shares := shareWith(t, recs, c.n, c.t, nil)
			outs := runEpoch(t, transport.NewLocal(c.n), c.t, shares, prm)
			for i, o := range outs {
				if got := fmt.Sprint(o.Stats.RejectedReports); got != c.rejected {
					t.Fatalf("party %d: rejected reports %s, want %s", i+1, got, c.rejected)
				}
			}
			v := map[int]bool{}
			for q := range valid {
				v[q] = !slices.Contains(outs[0].Stats.RejectedReports, q)
			}
			want := oracleLimits(recs, v, c.maxKey, threshold)
			if want[[2]int{victim, 0}] != c.victim {
				t.Fatalf("oracle: victim at risk %v, want %v", want[[2]int{victim, 0}], c.victim)
			}
			if want[[2]int{31, 0}] != c.u31 || want[[2]int{32, 0}] || !want[[2]int{33, 0}] {
				t.Fatal("oracle: unexpected results for users 31-33")
			}
			checkResults(t, outs, c.t, want, nil)
			// With a per-key limit the copies are folded before the
			// shuffle: no tag group shows the 1,000 repetitions.
			biggest := 0
			for size := range outs[0].Stats.GroupSizes {
				biggest = max(biggest, size)
			}
			if folded := c.prm.MaxKeyWeight > 0; folded != (biggest < 1000) {
				t.Errorf("largest tag group %d records (per-key limit %d)", biggest, c.prm.MaxKeyWeight)
			}
		})
	}
}

// TestAttackVenueWarning: hostile venue warnings (a weight above the
// maximum, shares of the weight, of the point and of the minutes off one
// degree-t polynomial at one party) are rejected alone, like persons'
// reports; the epoch completes and every user-day's bit of each class is
// the oracle's over the honest reports.
func TestAttackVenueWarning(t *testing.T) {
	for _, pr := range attackParties {
		t.Run(fmt.Sprintf("n=%d,t=%d", pr.n, pr.t), func(t *testing.T) {
			// Reports 0..4 are persons' (0 over the maximum), 5..9 venue
			// warnings: 5 over the maximum, 6 inconsistent weight, 7
			// inconsistent point, 8 inconsistent minutes, 9 honest; 10
			// honest too.
			recs := population(uint64(40+pr.n), 30, 6, 11)
			for i := range recs {
				recs[i].venue = recs[i].report >= 5
			}
			recs[firstOf(recs, 5)].weight = 5000
			w, p, mn := firstOf(recs, 6), firstOf(recs, 7), firstOf(recs, 8)
			f := field.ScalarField{}
			g := group.Generator()
			shares := shareWith(t, recs, pr.n, pr.t, func(party, k int, r *Record) {
				r.Venue = recs[k].venue
				if party != pr.n-1 {
					return
				}
				switch k {
				case w:
					r.Weight = f.Add(r.Weight, f.One())
				case p:
					r.Point.Add(&r.Point, &g)
				case mn:
					r.Minutes = f.Add(r.Minutes, f.One())
				}
			})
			prm := Params{Threshold: 10000, MaxWeight: 1600}
			outs := runEpoch(t, transport.NewLocal(pr.n), pr.t, shares, prm)
			for i, o := range outs {
				if got := fmt.Sprint(o.Stats.RejectedReports); got != "[0 5 6 7 8]" {
					t.Fatalf("party %d: rejected reports %s, want [0 5 6 7 8]", i+1, got)
				}
				if o.Stats.VenueReports != 6 {
					t.Fatalf("party %d: %d venue reports, want 6", i+1, o.Stats.VenueReports)
				}
			}
			valid := map[int]bool{1: true, 2: true, 3: true, 4: true, 9: true, 10: true}
			want := oracleClass(recs, valid, prm.Threshold, false)
			wantVenue := oracleClass(recs, valid, prm.Threshold, true)
			warned := 0
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
					t.Errorf("user %d day %d: at risk %v, oracle %v", r.User, r.Day, got, want[ud])
				}
				if gotVenue != wantVenue[ud] {
					t.Errorf("user %d day %d: venue warning %v, oracle %v", r.User, r.Day, gotVenue, wantVenue[ud])
				}
				if gotVenue {
					warned++
				}
			}
			if len(outs[0].Results) != len(want) {
				t.Errorf("%d results, oracle has %d", len(outs[0].Results), len(want))
			}
			if warned == 0 || warned == len(want) {
				t.Errorf("degenerate population: %d of %d warned by a venue", warned, len(want))
			}
		})
	}
}

// TestAttackShuffleClassMismatch: a party that runs a one-class epoch while
// the others see venue warnings (two classes) sends shuffle messages of
// the wrong length; every party refuses them and fails the epoch, none
// returns results mixing the classes.
func TestAttackShuffleClassMismatch(t *testing.T) {
	recs := population(7, 10, 4, 3)
	for i := range recs {
		recs[i].venue = recs[i].report == 2
	}
	const n, th = 3, 1
	shares := shareWith(t, recs, n, th, func(party, k int, r *Record) {
		r.Venue = recs[k].venue && party != n-1
	})
	conns := transport.NewLocal(n, transport.WithLocalTimeout(2*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns[i].Close()
			p, err := mpc.New(ctx, field.ScalarField{}, th, conns[i])
			if err == nil {
				_, err = Run(ctx, p, shares[i], Params{Threshold: 10000, MaxWeight: 1600, Log: quiet})
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "shuffle: ") || !strings.Contains(err.Error(), " bytes from party ") {
			t.Errorf("party %d: %v, want the shuffle's refusal of a message of the wrong length", i+1, err)
		}
	}
}

// tamperConn changes the first message this party sends to party to whose
// length is size.
type tamperConn struct {
	transport.Conn
	to, size int
	once     sync.Once
	tamper   func([]byte)
}

func (c *tamperConn) Send(ctx context.Context, to int, msg []byte) error {
	if to == c.to && len(msg) == c.size {
		c.once.Do(func() { c.tamper(msg) })
	}
	return c.Conn.Send(ctx, to, msg)
}

// TestAttackShuffleBadPoint: a party that sends an invalid point encoding
// in the shuffle, past the receiver's first decoding batch, aborts the
// epoch at the receiver with an error naming the sender and the element's
// place in the whole message; the epoch run again without it gives every
// user the oracle's result.
func TestAttackShuffleBadPoint(t *testing.T) {
	recs := population(21, 500, 10, 5)
	const n, th = 3, 1
	m := len(recs) - dropped(recs, []int{0}) // report 0 is over the maximum weight
	bad := dealBatch + 5
	if m <= bad {
		t.Fatalf("%d records: need more than %d", m, bad)
	}
	shares := share(t, recs, n, th, -1)
	prm := Params{Threshold: 10000, MaxWeight: 1600, Log: quiet}
	conns := transport.NewLocal(n, transport.WithLocalTimeout(5*time.Second))
	// The first round (coalition {1}) is run by parties 2 and 3; party 2
	// deals party 3 its point and weight shares: m points, m scalars.
	conns[1] = &tamperConn{Conn: conns[1], to: 3, size: m * (group.Size + field.ScalarSize), tamper: func(b []byte) {
		copy(b[bad*group.Size:], slices.Repeat([]byte{0xff}, group.Size))
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns[i].Close()
			p, err := mpc.New(ctx, field.ScalarField{}, th, conns[i])
			if err == nil {
				_, err = Run(ctx, p, shares[i], prm)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	want := fmt.Sprintf("shuffle: party 2: group: element %d: ", bad)
	if errs[2] == nil || !strings.Contains(errs[2].Error(), want) {
		t.Errorf("party 3: %v, want an error containing %q", errs[2], want)
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("party %d completed an epoch another party aborted", i+1)
		}
	}
	outs := runEpoch(t, transport.NewLocal(n), th, shares, prm)
	valid := map[int]bool{}
	for q := 1; q < 5; q++ {
		valid[q] = true
	}
	if atRisk := checkResults(t, outs, th, oracle(recs, valid, prm.Threshold), nil); atRisk == 0 {
		t.Error("degenerate population: nobody at risk")
	}
}
