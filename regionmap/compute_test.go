package regionmap

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/transport"
)

func synth(rng *rand.Rand, d, regions int, posFrac float64) []Day {
	return Synthetic(rng.Uint64(), d, regions, posFrac)
}

// share splits every day for n parties: out[party-1][day].
func share(t testing.TB, tt, n int, days []Day) [][]Input {
	t.Helper()
	out := make([][]Input, n)
	for _, d := range days {
		sh, err := Split(tt, n, d, crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for j := range n {
			out[j] = append(out[j], Input{Presence: sh[j].Presence, Positive: sh[j].Positive, Coded: d.Coded})
		}
	}
	return out
}

// run runs Compute at n in-process parties and checks that they agree.
func run(t testing.TB, tt int, inputs [][]Input, regions, k int, opts ...transport.LocalOption) *Result {
	t.Helper()
	n := len(inputs)
	conns := transport.NewLocal(n, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := make([]*Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p, err := mpc.New(ctx, field.M61Field{}, tt, conns[i])
			if err != nil {
				errs[i] = err
				return
			}
			res[i], errs[i] = Compute(ctx, p, inputs[i], regions, k)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i+1, err)
		}
	}
	for i := 1; i < n; i++ {
		if !reflect.DeepEqual(res[i], res[0]) {
			t.Fatalf("party %d released %+v, party 1 %+v", i+1, res[i], res[0])
		}
	}
	return res[0]
}

func checkOracle(t *testing.T, got *Result, days []Day, regions, k int) {
	t.Helper()
	acc, rel := Oracle(days, regions, k)
	if !reflect.DeepEqual(got.Accepted, acc) {
		t.Errorf("accepted %v, oracle %v", got.Accepted, acc)
	}
	if !reflect.DeepEqual(got.Released, rel) {
		t.Errorf("released %v, oracle %v", got.Released, rel)
	}
}

func TestComputeOracle(t *testing.T) {
	for _, c := range []struct{ n, t, days, regions, k int }{
		{3, 1, 200, 12, 5},
		{5, 2, 120, 16, 4},
		{3, 1, 30, 5, 100}, // fewer positives than k: nothing released
		{3, 1, 0, 5, 2},
	} {
		t.Run(fmt.Sprintf("n%d_t%d_d%d_k%d", c.n, c.t, c.days, c.k), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(c.n), uint64(c.days)))
			days := synth(rng, c.days, c.regions, 0.3)
			got := run(t, c.t, share(t, c.t, c.n, days), c.regions, c.k)
			checkOracle(t, got, days, c.regions, c.k)
			if c.days > 0 && c.k <= 5 && len(got.Released) == 0 {
				t.Error("nothing released; the test data should reach k somewhere")
			}
			if c.k < 100 && c.days > 0 && len(got.Released) == c.regions {
				t.Error("everything released; the test data should stay below k somewhere")
			}
		})
	}
}

func TestMalformedBitsRejected(t *testing.T) {
	const regions, k = 6, 3
	rng := rand.New(rand.NewPCG(1, 2))
	days := synth(rng, 40, regions, 0.5)
	minusOne := uint64(field.P61 - 1)
	days[3] = Day{Presence: []uint64{1, 2, 0, 0, 1, 0}, Positive: 1, Coded: true}
	days[7] = Day{Presence: []uint64{1, minusOne, 1, 0, 0, 0}, Positive: 1, Coded: true}
	days[9] = Day{Presence: []uint64{1, 1, 1, 1, 1, 1}, Positive: 2, Coded: true}
	days[11] = Day{Presence: []uint64{1, 1, 1, 1, 1, 1}, Positive: minusOne, Coded: true}
	days[13] = Day{Presence: []uint64{0, 0, 0, 0, 0, 5}} // no code
	for _, c := range []struct{ n, t int }{{3, 1}, {5, 2}} {
		got := run(t, c.t, share(t, c.t, c.n, days), regions, k)
		checkOracle(t, got, days, regions, k)
		for _, i := range []int{3, 7, 9, 11, 13} {
			if got.Accepted[i] {
				t.Errorf("n=%d: malformed day %d accepted", c.n, i)
			}
		}
		if got.Rejected() != 5 {
			t.Errorf("n=%d: %d rejected, want 5", c.n, got.Rejected())
		}
	}
}

func TestInconsistentSharesRejected(t *testing.T) {
	const regions, k = 4, 2
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ n, t int }{{3, 1}, {5, 2}} {
		days := synth(rng, 20, regions, 0.6)
		in := share(t, c.t, c.n, days)
		// Day 2's presence and day 5's positive share at the last party are
		// off the polynomial: the value they define depends on which
		// parties reconstruct, so the upload must be left out.
		in[c.n-1][2].Presence[1] = F.Add(in[c.n-1][2].Presence[1], 1)
		days[5].Coded, days[5].Positive = true, 1
		in2 := share(t, c.t, c.n, days[5:6])
		for j := range c.n {
			in[j][5] = in2[j][0]
		}
		in[0][5].Positive = F.Add(in[0][5].Positive, 7)
		got := run(t, c.t, in, regions, k)
		if got.Accepted[2] || got.Accepted[5] {
			t.Errorf("n=%d: inconsistent uploads accepted: %v", c.n, got.Accepted)
		}
		// The rest is as the oracle says without them.
		rest := append([]Day(nil), days...)
		rest[2].Presence = []uint64{9, 9, 9, 9}
		rest[5].Positive = 9
		checkOracle(t, got, rest, regions, k)
	}
}

// TestBelowKNeverOpened records every message between the parties and
// rebuilds every vector that was opened: for each triple of party 1's
// message to party 2 and parties 2's and 3's messages to party 1 of the same
// length whose words lie on one degree-1 polynomial (as in an opening, where
// a party sends the same shares to everyone), it reconstructs the values.
// No such vector may hold a region's count at that region's position when
// the count is in 2..k-1 (0 and 1 are everywhere, e.g. in the opened
// comparison bits).
func TestBelowKNeverOpened(t *testing.T) {
	const regions, k, n, tt = 10, 6, 3, 1
	rng := rand.New(rand.NewPCG(5, 6))
	days := synth(rng, 150, regions, 0.25)
	counts := make([]uint64, regions)
	for _, d := range days {
		if d.Positive == 1 {
			for r, v := range d.Presence {
				counts[r] += v
			}
		}
	}
	var below []int
	for r, c := range counts {
		if c > 1 && c < k {
			below = append(below, r)
		}
	}
	if len(below) == 0 {
		t.Fatalf("test data has no count in 2..k-1: %v", counts)
	}
	var mu sync.Mutex
	sent := map[[2]int][][]byte{}
	hook := func(from, to int, msg []byte) ([]byte, bool, time.Duration) {
		mu.Lock()
		sent[[2]int{from, to}] = append(sent[[2]int{from, to}], append([]byte(nil), msg...))
		mu.Unlock()
		return msg, true, 0
	}
	got := run(t, tt, share(t, tt, n, days), regions, k, transport.WithHook(hook))
	checkOracle(t, got, days, regions, k)
	decode := func(b []byte) []field.M61 {
		if len(b)%8 != 0 {
			return nil
		}
		v := make([]field.M61, len(b)/8)
		if F.Decode(v, b) != nil {
			return nil
		}
		return v
	}
	// For shares y1, y2, y3 at x = 1, 2, 3 of a line: y3 = 2 y2 - y1 and the
	// value is 2 y1 - y2.
	opened := 0
	sawReleased := false
	for _, b1 := range sent[[2]int{1, 2}] {
		y1 := decode(b1)
		for _, b2 := range sent[[2]int{2, 1}] {
			y2 := decode(b2)
			if y1 == nil || len(y2) != len(y1) {
				continue
			}
			for _, b3 := range sent[[2]int{3, 1}] {
				y3 := decode(b3)
				if len(y3) != len(y1) {
					continue
				}
				line := true
				for i := range y1 {
					if F.Sub(F.Add(y2[i], y2[i]), y1[i]) != y3[i] {
						line = false
						break
					}
				}
				if !line {
					continue
				}
				opened++
				v := make([]uint64, len(y1))
				for i := range y1 {
					v[i] = uint64(F.Sub(F.Add(y1[i], y1[i]), y2[i]))
				}
				for _, r := range below {
					if r < len(v) && v[r] == counts[r] {
						t.Errorf("an opened vector of %d values holds region %d's count %d (below k) at its position", len(v), r, counts[r])
					}
				}
				if len(v) == len(got.Released) && v[0] == got.Released[0].Count {
					sawReleased = true
				}
			}
		}
	}
	if opened < 4 || !sawReleased {
		t.Errorf("rebuilt %d opened vectors, released counts among them: %v", opened, sawReleased)
	}
}
