package epochsim

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/safetrace/safetrace/mpc/transport"
)

// TestSimulateInProcess runs a small epoch with 3 parties in one process
// and checks every user's result against the oracle.
func TestSimulateInProcess(t *testing.T) {
	t.Run("memory", func(t *testing.T) { simulate(t, "") })
	t.Run("files", func(t *testing.T) { simulate(t, t.TempDir()) })
}

func simulate(t *testing.T, dir string) {
	cfg := Config{Users: 30, Records: 200, Positives: 3, Seed: 7, Parties: 3, Threshold: 1, Dir: dir}
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
