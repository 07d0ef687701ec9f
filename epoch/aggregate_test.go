package epoch

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/wire/record"
)

func TestAtRiskPerDay(t *testing.T) {
	recs := population(5, 40, 6, 6)
	shares := share(t, recs, 3, 1, -1)
	prm := Params{Threshold: 10000, MaxWeight: 1600, Log: quiet}
	conns := transport.NewLocal(3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, k := range []int{1, 3, 1000} {
		got := make([]map[record.Day]int, 3)
		errs := make([]error, 3)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				p, err := mpc.New(ctx, field.ScalarField{}, 1, conns[i])
				if err != nil {
					errs[i] = err
					return
				}
				out, err := Run(ctx, p, shares[i], prm)
				if err != nil {
					errs[i] = err
					return
				}
				got[i], errs[i] = AtRiskPerDay(ctx, p, out.Results, k)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("k=%d party %d: %v", k, i+1, err)
			}
		}
		valid := map[int]bool{}
		for q := 1; q < 6; q++ {
			valid[q] = true // report 0 is over the maximum weight
		}
		want := map[record.Day]int{}
		for ud, risk := range oracle(recs, valid, prm.Threshold) {
			if risk {
				want[record.Day(ud[1])]++
			}
		}
		for d, n := range want {
			if n < k {
				delete(want, d)
			}
		}
		for i := range 3 {
			if len(got[i]) != len(want) {
				t.Fatalf("k=%d party %d: %v, want %v", k, i+1, got[i], want)
			}
			for d, n := range want {
				if got[i][d] != n {
					t.Fatalf("k=%d party %d: %v, want %v", k, i+1, got[i], want)
				}
			}
		}
		t.Logf("k=%d: %v", k, want)
	}
}
