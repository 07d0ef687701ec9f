package client_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

// BenchmarkPrepareSeal measures what the app's bench(1000) calls "shared
// and sealed": Prepare of 1,000 records for 3 parties (threshold 1) and
// wire.SealEnvelope of each party's request, proof of work included, as
// Send does before the network. It runs natively and under GOOS=js
// GOARCH=wasm in node.
func BenchmarkPrepareSeal(b *testing.B) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		b.Fatal(err)
	}
	mb, err := d.Manifest.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	c, err := client.New(mb, nil, nil, nil, client.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	recs := benchRecords(1000)
	for _, stage := range []string{"share", "share+seal"} {
		b.Run(stage, func(b *testing.B) {
			for b.Loop() {
				p, err := c.Prepare(wire.KindOrdinary, "", recs)
				if err != nil {
					b.Fatal(err)
				}
				if stage == "share" {
					continue
				}
				for i, req := range p.Requests {
					if _, err := wire.SealEnvelope(c.Manifest(), i+1, req); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// benchRecords returns n records of today and the two days before, with
// distinct keys (client_test.go's records, which native tests only build).
func benchRecords(n int) []trace.Record {
	today := trace.DayOf(time.Now())
	rs := make([]trace.Record, n)
	for i := range rs {
		rs[i] = trace.Record{Weight: uint32(i), Minutes: 10, Day: today - trace.Day(i%3)}
		rs[i].Key[0], rs[i].Key[1], rs[i].Key[63] = byte(i), byte(i>>8), 0x5a
	}
	return rs
}
