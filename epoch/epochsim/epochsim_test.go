package epochsim

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/safetrace/safetrace/mpc/transport"
)

// TestSimulateInProcess runs a small epoch with 3 parties in one process
// and checks every user's result against the oracle.
func TestSimulateInProcess(t *testing.T) {
	cfg := Config{Users: 30, Records: 200, Positives: 3, Seed: 7, Parties: 3, Threshold: 1}
	t.Run("memory", func(t *testing.T) { simulate(t, cfg) })
	cfg.Dir = t.TempDir()
	t.Run("files", func(t *testing.T) { simulate(t, cfg) })
}

// TestSimulateChunked runs the simulation with chunks of at most 12
// ordinary records, several per day, for n=3,t=1 and n=5,t=2, the shares
// read from files: every user's result is the oracle's. Without noise:
// the simulation's noise is the manifest's (about 1,600 dummy records per
// chunk), minutes for the 20 chunks here; package epoch's chunk tests run
// chunks with noise.
func TestSimulateChunked(t *testing.T) {
	for _, pr := range []struct{ n, t int }{{3, 1}, {5, 2}} {
		t.Run(fmt.Sprintf("n=%d,t=%d", pr.n, pr.t), func(t *testing.T) {
			cfg := Config{Users: 30, Records: 200, Positives: 4, Seed: 9, Parties: pr.n, Threshold: pr.t,
				MaxChunk: 12, Dir: t.TempDir()}
			res := simulate(t, cfg)
			days := map[uint32]bool{}
			for k := 0; k+resultSize <= len(res[0].Results); k += resultSize {
				days[binary.BigEndian.Uint32(res[0].Results[k+4:])] = true
			}
			if st := res[0].Stats; st.Chunks < 2*len(days) {
				t.Errorf("%d chunks over %d days, want several per day", st.Chunks, len(days))
			}
		})
	}
}

func simulate(t *testing.T, cfg Config) []*Result {
	sim, jobs, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	conns := transport.NewLocal(cfg.Parties)
	results := make([]*Result, cfg.Parties)
	errs := make([]error, cfg.Parties)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() { results[i], errs[i] = Party(context.Background(), conns[i], jobs[i]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i+1, err)
		}
	}
	sum, err := sim.Check(results)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Users != cfg.Users || sum.Mismatches != 0 || sum.AtRisk == 0 {
		t.Errorf("summary %+v", sum)
	}
	if line := sum.String(); !strings.HasPrefix(line, "users=30 records=") || !strings.Contains(line, " mismatches=0 seconds=") {
		t.Errorf("line %q", line)
	}
	return results
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Users: 0, Parties: 3, Threshold: 1},
		{Users: 2, Positives: 3, Parties: 3, Threshold: 1},
		{Users: 2, Records: -1, Parties: 3, Threshold: 1},
	} {
		if _, _, err := New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
