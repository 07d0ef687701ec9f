package transport

import (
	"context"
	"testing"
	"time"
)

func benchKinds(b *testing.B, f func(b *testing.B, conns []Conn)) {
	b.Run("local", func(b *testing.B) {
		conns := NewLocal(3)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		f(b, conns)
	})
	b.Run("tls", func(b *testing.B) {
		f(b, newTestMesh(b, 3, 30*time.Second, nil))
	})
}

// BenchmarkRoundTrip measures the latency of a ping-pong of a 32-byte message
// between two parties of a 3-party mesh.
func BenchmarkRoundTrip(b *testing.B) {
	benchKinds(b, func(b *testing.B, conns []Conn) {
		ctx := context.Background()
		done := make(chan error, 1)
		rounds := b.N
		go func() {
			for range rounds {
				m, err := conns[1].Recv(ctx, 1)
				if err == nil {
					err = conns[1].Send(ctx, 1, m)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		b.ResetTimer()
		for range rounds {
			if err := conns[0].Send(ctx, 2, make([]byte, 32)); err != nil {
				b.Fatal(err)
			}
			if _, err := conns[0].Recv(ctx, 2); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(rounds), "µs/round")
	})
}

// BenchmarkThroughput measures Exchange of 8 MB messages among 3 parties:
// every round moves 6 messages, 48 MB in all; MB/s counts all of them. The
// in-process transport passes slices without copying, so there only the
// time per round means anything.
func BenchmarkThroughput(b *testing.B) {
	const size = 8 << 20
	benchKinds(b, func(b *testing.B, conns []Conn) {
		ctx := context.Background()
		rounds := b.N
		b.ResetTimer()
		errs := all(conns, func(c Conn) error {
			// The messages are reused, against the rule of Send, to
			// measure the transport rather than the allocator: nobody
			// reads or writes them.
			msg := make([]byte, size)
			out := make([][]byte, c.N())
			for j := range out {
				out[j] = msg
			}
			for range rounds {
				if _, err := Exchange(ctx, c, out); err != nil {
					return err
				}
			}
			return nil
		})
		b.StopTimer()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		total := float64(rounds) * 6 * size
		b.ReportMetric(total/1e6/b.Elapsed().Seconds(), "MB/s")
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(rounds), "µs/round")
		b.ReportMetric(0, "ns/op")
	})
}
