package server_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safetrace/safetrace/epoch"
	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/wire/record"
)

// countingConn counts the bytes a party sends.
type countingConn struct {
	transport.Conn
	sent *atomic.Int64
}

func (c countingConn) Send(ctx context.Context, to int, msg []byte) error {
	c.sent.Add(int64(len(msg)))
	return c.Conn.Send(ctx, to, msg)
}

// BenchmarkEpochNetwork measures what an exposure epoch sends between the
// parties per record (3 parties, t = 1, in process; 10 records per user
// over 3 days, 1% of users reporting): the input of the capacity model in
// docs/scale.md. bytes/record/party is what one party sends per record of
// the epoch; the mesh adds TLS framing on top (a few per cent).
func BenchmarkEpochNetwork(b *testing.B) {
	for _, users := range []int{200, 1000} {
		b.Run(fmt.Sprintf("records=%d", users*10), func(b *testing.B) {
			shares, m := epochShares(b, users)
			var sent atomic.Int64
			b.ResetTimer()
			for range b.N {
				conns := transport.NewLocal(3)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				var wg sync.WaitGroup
				for i := range 3 {
					wg.Go(func() {
						c := countingConn{conns[i], &sent}
						p, err := mpc.New(ctx, field.ScalarField{}, 1, c)
						if err != nil {
							b.Error(err)
							return
						}
						if _, err := epoch.Run(ctx, p, shares[i], epoch.Params{Threshold: 10000, MaxWeight: 1600, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				cancel()
			}
			b.ReportMetric(float64(sent.Load())/float64(b.N)/3/float64(m), "bytes/record/party")
			b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func epochShares(b *testing.B, users int) ([][]epoch.Record, int) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	type rec struct {
		user, report int
		day          record.Day
		key          string
		w, mins      uint64
	}
	var recs []rec
	for u := range users {
		for range 10 {
			recs = append(recs, rec{user: u, report: -1, day: record.Day(rng.IntN(3)), key: fmt.Sprint("k", rng.IntN(2*users)), mins: 1 + rng.Uint64N(10)})
		}
	}
	for q := range users / 100 {
		for range 10 {
			recs = append(recs, rec{user: -1, report: q, day: record.Day(rng.IntN(3)), key: fmt.Sprint("k", rng.IntN(2*users)), w: rng.Uint64N(1601), mins: 10})
		}
	}
	f := field.ScalarField{}
	pts := make([]group.Point, len(recs))
	ws := make([]field.Scalar, len(recs))
	ms := make([]field.Scalar, len(recs))
	for i, r := range recs {
		pts[i] = group.HashToPoint("safetrace bench", []byte(r.key))
		ws[i], ms[i] = f.FromUint64(r.w), f.FromUint64(r.mins)
	}
	ps, err := shamir.SplitPoints(1, 3, pts, rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	wsh, _ := shamir.Split[field.Scalar](f, 1, 3, ws, rand.Reader)
	msh, _ := shamir.Split[field.Scalar](f, 1, 3, ms, rand.Reader)
	out := make([][]epoch.Record, 3)
	for i := range out {
		out[i] = make([]epoch.Record, len(recs))
		for k, r := range recs {
			out[i][k] = epoch.Record{User: r.user, Day: r.day, Report: r.report, Share: record.Share{Point: ps[i].Y[k], Weight: wsh[i].Y[k], Minutes: msh[i].Y[k]}}
		}
	}
	return out, len(recs)
}
