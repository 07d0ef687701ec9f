package relay_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/relay"
	"github.com/safetrace/safetrace/relay/relayclient"
)

// BenchmarkForward measures forwarding through one relay on loopback: 1,000
// client connections, each with one request at a time, to one echo party.
// One iteration is one round in which every client sends one 256-byte
// request and waits for its answer; the load is bounded by b.N rounds.
func BenchmarkForward(b *testing.B) {
	const clients = 1000
	raiseFileLimit(b)
	k := newKeys(1)
	r := startRelay(b, k, relay.Config{MaxConnsPerAddr: -1, Rate: -1})
	startParty(b, k, 1, func(_ context.Context, p []byte) []byte { return p }, r.URL)

	cs := make([]*relayclient.Client, clients)
	for i := range cs {
		cs[i] = newClient(b, r.URL)
	}
	payload := make([]byte, 256)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	warm := make(chan error, clients)
	for _, c := range cs {
		wg.Go(func() { _, err := c.Do(ctx, 1, payload); warm <- err })
	}
	wg.Wait()
	close(warm)
	for err := range warm {
		if err != nil {
			b.Fatal(err)
		}
	}

	lat := make([][]time.Duration, clients)
	errs := make(chan error, clients)
	b.ResetTimer()
	start := time.Now()
	for i, c := range cs {
		wg.Go(func() {
			l := make([]time.Duration, 0, b.N)
			for range b.N {
				t0 := time.Now()
				if _, err := c.Do(ctx, 1, payload); err != nil {
					errs <- err
					return
				}
				l = append(l, time.Since(t0))
			}
			lat[i] = l
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(0, "ns/op")
}
