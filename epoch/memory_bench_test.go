package epoch

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc/transport"
)

// BenchmarkEpochMemory runs one epoch of 3 in-process parties over 6,000 and
// 20,000 users (about 60,000 and 200,000 records, one chunk, no noise) and
// reports the peak live heap of the epoch per record and party
// ("live-B/record"): live bytes after a garbage collection forced every
// 100 ms, less those before the epoch (the parties' input shares), divided
// by 3 x records. The resident size of a party process is about twice its
// live heap (GOGC=100) plus the runtime.
func BenchmarkEpochMemory(b *testing.B) {
	for _, users := range []int{6000, 20000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			recs := population(1, users, 10, users/100)
			shares := share(b, recs, 3, 1, -1)
			sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			var peak uint64
			for b.Loop() {
				runtime.GC()
				metrics.Read(sample)
				base := sample[0].Value.Uint64()
				var top uint64
				done := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-done:
							return
						case <-time.After(100 * time.Millisecond):
						}
						runtime.GC()
						metrics.Read(sample)
						top = max(top, sample[0].Value.Uint64())
					}
				}()
				runEpoch(b, transport.NewLocal(3), 1, shares, Params{Threshold: 10000, MaxWeight: 1600})
				close(done)
				wg.Wait()
				if top > base {
					peak = max(peak, top-base)
				}
			}
			b.ReportMetric(float64(peak)/float64(3*len(recs)), "live-B/record")
		})
	}
}
