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
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/transport"
)

// The checks of the leakage table (docs/epoch.md) that a test can make.

// TestTagsUnlinkable runs two epochs over the same shares: within an epoch
// equal keys get equal tags (the group sizes are exactly the multiplicities
// of the keys), and no tag of one epoch appears in the other.
func TestTagsUnlinkable(t *testing.T) {
	recs := population(7, 20, 5, 3)
	shares := share(t, recs, 3, 1, -1)
	mult := map[string]int{}
	for _, r := range recs {
		mult[r.key]++
	}
	want := map[int]int{}
	for _, c := range mult {
		want[c]++
	}
	var epochs [2]map[string]bool
	for e := range epochs {
		tags := viewTags(t, shares)
		epochs[e] = map[string]bool{}
		got := map[int]int{}
		count := map[string]int{}
		for _, tg := range tags {
			count[tg]++
			epochs[e][tg] = true
		}
		for _, c := range count {
			got[c]++
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("epoch %d: group sizes %v, key multiplicities %v", e, got, want)
		}
	}
	for tg := range epochs[0] {
		if epochs[1][tg] {
			t.Fatal("a tag repeats across epochs")
		}
	}
}

// viewTags runs the epoch's key, shuffle and tag steps and returns the tags
// party 1 sees.
func viewTags(t *testing.T, shares [][]Record) []string {
	conns := transport.NewLocal(3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var tags []string
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := mpc.New(ctx, field.ScalarField{}, 1, conns[i])
			if err != nil {
				errs[i] = err
				return
			}
			key, err := p.RandomKey(ctx, 1)
			if err != nil {
				errs[i] = err
				return
			}
			pts := make([]group.Point, len(shares[i]))
			ws := make([]field.Scalar, len(shares[i]))
			for k, r := range shares[i] {
				pts[k] = r.Point
			}
			sh, err := newShuffle(ctx, p, len(pts))
			if err != nil {
				errs[i] = err
				return
			}
			if pts, _, err = sh.forward(ctx, pts, ws); err != nil {
				errs[i] = err
				return
			}
			tg, err := sh.openTags(ctx, key[0], pts)
			if i == 0 {
				tags = tg
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return tags
}

// TestCoalitionMissesAPermutation checks that for every coalition of t
// parties some shuffle round is run by parties outside it, so the coalition
// does not know the composed permutation.
func TestCoalitionMissesAPermutation(t *testing.T) {
	for _, pr := range []struct{ n, t int }{{3, 1}, {5, 2}, {7, 3}} {
		for _, c := range mpc.Subsets(pr.n, pr.t) {
			hidden := false
			for _, a := range mpc.Subsets(pr.n, pr.t) {
				// the round for coalition a is run by A(a)
				var members []int
				for j := 1; j <= pr.n && len(members) < pr.t+1; j++ {
					if !slices.Contains(a, j) {
						members = append(members, j)
					}
				}
				disjoint := true
				for _, x := range c {
					disjoint = disjoint && !slices.Contains(members, x)
				}
				hidden = hidden || disjoint
			}
			if !hidden {
				t.Errorf("n=%d t=%d: coalition %v knows every permutation", pr.n, pr.t, c)
			}
		}
	}
}

// TestNoResultOpened records every message party 1 receives during an epoch
// and checks that no round opened the results: no all-to-all message decodes
// to bits that match the results.
func TestNoResultOpened(t *testing.T) {
	recs := population(3, 20, 6, 4)
	shares := share(t, recs, 3, 1, -1)
	var mu sync.Mutex
	var seen [][]byte
	hook := func(from, to int, msg []byte) ([]byte, bool, time.Duration) {
		if to == 1 {
			mu.Lock()
			seen = append(seen, append([]byte(nil), msg...))
			mu.Unlock()
		}
		return msg, true, 0
	}
	outs := runEpoch(t, transport.NewLocal(3, transport.WithHook(hook)), 1, shares, Params{Threshold: 10000, MaxWeight: 1600})
	nres := len(outs[0].Results)
	f := field.ScalarField{}
	for _, msg := range seen {
		if len(msg) != nres*field.ScalarSize {
			continue
		}
		v := make([]field.Scalar, nres)
		if f.Decode(v, msg) != nil {
			continue
		}
		bits := true
		for _, x := range v {
			bits = bits && (x == field.Scalar{} || x == f.One())
		}
		if bits {
			t.Fatal("party 1 received a vector of bits the size of the results")
		}
	}
	if len(seen) == 0 {
		t.Fatal("no messages recorded")
	}
}
