package server_test

import (
	"context"
	"crypto/sha512"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

// BenchmarkIngest measures receipted records per second per party: clients
// send uploads of ingestRecords records through the relay (WebSocket on
// loopback) to 3 parties, each storing them before it signs its receipt;
// an upload counts once every party receipted it. Everything (clients,
// relay, parties, PostgreSQL) shares this machine's cores. The manifest's
// proof of work is off: it is the client device's cost, not the party's.
// Uploads are prepared (shared and encoded) before the timer starts;
// sealing to the parties is timed.
func BenchmarkIngest(b *testing.B) {
	for _, pg := range []bool{false, true} {
		name := "bbolt"
		if pg {
			name = "postgres"
		}
		b.Run(name, func(b *testing.B) { benchIngest(b, pg) })
	}
}

const (
	ingestRecords = 30 // records per upload: a day of a few venue visits
	ingestClients = 24 // concurrent clients
)

func benchIngest(b *testing.B, pg bool) {
	d := fabrictest.StartWith(b, 3, 1, fabrictest.Options{Postgres: pg, Params: func(p *manifest.Params) {
		p.Budget.WorkBits = 0
		p.Budget.UserDayRecords = 0
		p.Budget.StoreRecords = 0
	}})
	h := d.Manifest().Hash()
	clients := make([]*client.Client, ingestClients)
	for i := range clients {
		c, err := client.New(d.ManifestBytes, h[:], nil, nil, client.WithBackoff(20*time.Millisecond, 200*time.Millisecond), client.WithAttemptWait(10*time.Second),
			client.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	today := trace.DayOf(time.Now())
	pending := make([]*client.PendingUpload, b.N)
	for i := range pending {
		recs := make([]trace.Record, ingestRecords)
		for j := range recs {
			recs[j] = trace.Record{Key: sha512.Sum512(fmt.Appendf(nil, "ingest bench %d/%d", i, j)), Minutes: 10, Day: today}
		}
		p, err := clients[i%ingestClients].Prepare(wire.KindOrdinary, "", recs)
		if err != nil {
			b.Fatal(err)
		}
		pending[i] = p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range ingestClients {
		// Client w sends the uploads it prepared, one at a time.
		wg.Go(func() {
			for i := w; i < b.N; i += ingestClients {
				st, err := clients[w].Send(ctx, pending[i])
				if err != nil || st.Records != ingestRecords {
					b.Errorf("upload %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(float64(b.N*ingestRecords)/secs, "records/s/party")
	b.ReportMetric(0, "ns/op")
	for i, st := range d.Backends {
		s, err := st.Stats()
		if err != nil || s.Records != int64(b.N*ingestRecords) {
			b.Fatalf("party %d stores %d records (%v), want %d", i+1, s.Records, err, b.N*ingestRecords)
		}
	}
}
