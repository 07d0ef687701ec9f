// Package regionsim runs the region-map computation ([regionmap]) of a live
// deployment on a synthetic population ([regionmap.Synthetic]) and checks
// the released map against the plaintext oracle ([regionmap.Oracle]): it
// uploads the participants' days through the relays, has the parties run the
// computation, and fetches the map.
//
// Warning: a test harness for a deployment one operates. Every simulation
// takes a fresh day of the retention window (a day's map is released once),
// and its uploads stay in the parties' stores like real ones.
package regionsim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/regionmap"
	"github.com/safetrace/safetrace/wire/record"
)

// Config is one simulation.
type Config struct {
	Participants int     // synthetic participants, at least 1
	Seed         uint64  // seed of the population
	Positive     float64 // fraction of positive participants
	// Codes issues n one-time authority codes for the positives' uploads.
	Codes func(n int) ([]string, error)
	// Run has every party run the region map now and waits until it is done.
	Run func(ctx context.Context) error
}

// Summary is the outcome of a simulation.
type Summary struct {
	Participants, Released, Mismatches int
	Seconds                            float64
}

// String returns the one line "safetrace compute simulate region-map"
// prints.
func (s Summary) String() string {
	return fmt.Sprintf("participants=%d regions_released=%d mismatches=%d seconds=%.2f",
		s.Participants, s.Released, s.Mismatches, s.Seconds)
}

// uploadsInFlight bounds the concurrent uploads of a simulation.
const uploadsInFlight = 8

// Simulate runs one simulation on the deployment of m through c. A summary
// with mismatches comes with an error.
func Simulate(ctx context.Context, c *client.Client, m *manifest.Manifest, cfg Config) (Summary, error) {
	if cfg.Participants < 1 {
		return Summary{}, errors.New("regionsim: participants must be positive")
	}
	start := time.Now()
	regions := len(m.Params.Regions)
	if regions == 0 {
		return Summary{}, errors.New("regionsim: the manifest lists no regions")
	}
	day, err := freeDay(ctx, c, m)
	if err != nil {
		return Summary{}, err
	}
	days := regionmap.Synthetic(cfg.Seed, cfg.Participants, regions, cfg.Positive)
	if err := upload(ctx, c, cfg.Codes, day, days); err != nil {
		return Summary{}, err
	}
	if err := cfg.Run(ctx); err != nil {
		return Summary{}, err
	}
	got, err := c.FetchRegionMap(ctx, day)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Participants: cfg.Participants, Released: len(got.Released),
		Mismatches: compare(got, days, regions, m.Params.KAnonymity), Seconds: time.Since(start).Seconds()}
	if sum.Mismatches > 0 {
		return sum, fmt.Errorf("regionsim: %d mismatches with the plaintext oracle", sum.Mismatches)
	}
	return sum, nil
}

// freeDay is the latest day before today without a released map.
func freeDay(ctx context.Context, c *client.Client, m *manifest.Manifest) (uint32, error) {
	today := uint32(record.DayOf(time.Now()))
	for d := today - 1; d > today-uint32(m.Params.RetentionDays); d-- {
		rm, err := c.FetchRegionMap(ctx, d)
		if err != nil {
			return 0, err
		}
		if rm.Day == 0 {
			return d, nil
		}
	}
	return 0, errors.New("regionsim: every day of the retention window has a released map\nsafetrace: hint: start a fresh deployment")
}

// upload uploads the days through the relays, a few at a time, with a fresh
// authority code for each positive one.
func upload(ctx context.Context, c *client.Client, issue func(int) ([]string, error), day uint32, days []regionmap.Day) error {
	coded := 0
	for _, d := range days {
		if d.Coded {
			coded++
		}
	}
	var codes []string
	if coded > 0 {
		var err error
		if codes, err = issue(coded); err != nil {
			return err
		}
		if len(codes) != coded {
			return fmt.Errorf("regionsim: %d codes for %d positives", len(codes), coded)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, uploadsInFlight)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for _, d := range days {
		code := ""
		if d.Coded {
			code, codes = codes[0], codes[1:]
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := c.UploadRegions(ctx, day, code, d.Presence, d.Positive); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

// compare counts the differences between a released map and the plaintext
// oracle: per region released or not, and per count; and one more if the
// upload or rejection counts differ.
func compare(got *client.RegionMap, days []regionmap.Day, regions, k int) int {
	acc, rel := regionmap.Oracle(days, regions, k)
	want := map[int]uint64{}
	for _, r := range rel {
		want[r.Region] = r.Count
	}
	have := map[int]uint64{}
	for _, r := range got.Released {
		have[int(r.Region)] = uint64(r.Count)
	}
	mismatches := 0
	for r := range regions {
		wc, wok := want[r]
		hc, hok := have[r]
		if wok != hok || wc != hc {
			mismatches++
		}
	}
	rejected := 0
	for _, a := range acc {
		if !a {
			rejected++
		}
	}
	if int(got.Rejected) != rejected || int(got.Uploads) != len(days) {
		mismatches++
	}
	return mismatches
}
