package regionsim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
)

// TestSimulate runs two simulations against an in-process deployment (a
// real relay, in-process parties over the TLS mesh on loopback).
func TestSimulate(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	c, err := client.New(d.ManifestBytes, nil, nil, nil, client.WithBackoff(50*time.Millisecond, 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := Config{
		Participants: 60, Seed: 3, Positive: 0.5,
		Codes: func(n int) ([]string, error) { return authority.Issue(d.Authority, n, time.Hour) },
		Run: func(ctx context.Context) error {
			_, err := operator.Run(ctx, c, manifest.ComputationRegionMap, d.Quorum(), 200*time.Millisecond)
			return err
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, seed := range []uint64{3, 4} { // the second takes the day before
		cfg.Seed = seed
		sum, err := Simulate(ctx, c, d.Manifest(), cfg)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if sum.Mismatches != 0 || sum.Released == 0 || !strings.HasPrefix(sum.String(), "participants=60 regions_released=") {
			t.Errorf("seed %d: %+v %q", seed, sum, sum)
		}
	}
	if _, err := Simulate(ctx, c, d.Manifest(), Config{}); err == nil {
		t.Error("no participants accepted")
	}
}
