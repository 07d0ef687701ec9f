//go:build !js

package client_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/wire"
)

// BenchmarkUpload measures end-to-end uploads of 100-record batches from
// native clients through a real relay on loopback to 3 in-process parties
// with bbolt stores (an fsync per upload per party), with 1 and 8 uploads in
// flight.
func BenchmarkUpload(b *testing.B) {
	for _, conc := range []int{1, 8} {
		b.Run(map[int]string{1: "serial", 8: "concurrent8"}[conc], func(b *testing.B) {
			d := fabrictest.Start(b, 3, 1)
			h := d.Manifest().Hash()
			c, err := client.New(d.ManifestBytes, h[:], nil, nil, client.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			recs := records(100)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			sem := make(chan struct{}, conc)
			for range b.N {
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					if st, err := c.Upload(ctx, wire.KindOrdinary, "", recs); err != nil || !st.Complete {
						b.Error(err)
					}
				})
			}
			wg.Wait()
			sec := time.Since(start).Seconds()
			b.ReportMetric(float64(b.N)/sec, "uploads/s")
			b.ReportMetric(float64(100*b.N)/sec, "records/s")
		})
	}
}
