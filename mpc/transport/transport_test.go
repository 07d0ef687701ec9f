package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

func TestExchange(t *testing.T) {
	for _, n := range []int{3, 5} {
		kinds(t, n, 5*time.Second, func(t *testing.T, conns []Conn) {
			const rounds = 20
			noErrors(t, all(conns, func(c Conn) error {
				ctx := context.Background()
				for r := range rounds {
					out := make([][]byte, c.N())
					for j := 1; j <= c.N(); j++ {
						out[j-1] = msgFor(c.ID(), j, r)
					}
					in, err := Exchange(ctx, c, out)
					if err != nil {
						return err
					}
					for j := 1; j <= c.N(); j++ {
						if want := msgFor(j, c.ID(), r); !bytes.Equal(in[j-1], want) {
							return fmt.Errorf("round %d: got %q from %d, want %q", r, in[j-1], j, want)
						}
					}
				}
				return nil
			}))
		})
	}
}

func TestBroadcast(t *testing.T) {
	kinds(t, 3, 5*time.Second, func(t *testing.T, conns []Conn) {
		noErrors(t, all(conns, func(c Conn) error {
			in, err := Broadcast(context.Background(), c, []byte{byte(c.ID())})
			if err != nil {
				return err
			}
			for j := range in {
				if !bytes.Equal(in[j], []byte{byte(j + 1)}) {
					return fmt.Errorf("got %v from party %d", in[j], j+1)
				}
				// Received messages must not alias each other.
				if j != c.ID()-1 {
					in[j][0] = 0xff
				}
			}
			return nil
		}))
	})
}

// TestOrdering sends many messages on every link before reading any.
func TestOrdering(t *testing.T) {
	kinds(t, 3, 5*time.Second, func(t *testing.T, conns []Conn) {
		const count = 200
		noErrors(t, all(conns, func(c Conn) error {
			ctx := context.Background()
			errc := make(chan error, 1)
			go func() {
				for r := range count {
					for j := 1; j <= c.N(); j++ {
						if j != c.ID() {
							if err := c.Send(ctx, j, msgFor(c.ID(), j, r)); err != nil {
								errc <- err
								return
							}
						}
					}
				}
				errc <- nil
			}()
			for j := 1; j <= c.N(); j++ {
				for r := 0; r < count && j != c.ID(); r++ {
					m, err := c.Recv(ctx, j)
					if err != nil {
						return err
					}
					if want := msgFor(j, c.ID(), r); !bytes.Equal(m, want) {
						return fmt.Errorf("got %q, want %q", m, want)
					}
				}
			}
			return <-errc
		}))
	})
}

func TestLargeMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MB messages")
	}
	const size = 64 << 20
	kinds(t, 3, 20*time.Second, func(t *testing.T, conns []Conn) {
		noErrors(t, all(conns, func(c Conn) error {
			// One slice for all peers: they only read it. Filling
			// memory is slow under the race detector.
			msg := bytes.Repeat([]byte{byte(c.ID())}, size)
			out := make([][]byte, c.N())
			for j := range out {
				out[j] = msg
			}
			in, err := Exchange(context.Background(), c, out)
			if err != nil {
				return err
			}
			for j := range in {
				want := byte(j + 1)
				// bytes.Count is fast even under the race detector.
				if len(in[j]) != size || bytes.Count(in[j], []byte{want}) != size {
					return fmt.Errorf("message from %d corrupted", j+1)
				}
			}
			return nil
		}))
	})
}

func TestEmptyMessage(t *testing.T) {
	kinds(t, 3, 5*time.Second, func(t *testing.T, conns []Conn) {
		noErrors(t, all(conns, func(c Conn) error {
			in, err := Exchange(context.Background(), c, make([][]byte, c.N()))
			if err != nil {
				return err
			}
			for j, m := range in {
				if len(m) != 0 {
					return fmt.Errorf("got %d bytes from party %d", len(m), j+1)
				}
			}
			return nil
		}))
	})
}

// TestRecvTimeout: nothing is sent, so Recv must give up after the timeout.
func TestRecvTimeout(t *testing.T) {
	kinds(t, 3, 1*time.Second, func(t *testing.T, conns []Conn) {
		start := time.Now()
		_, err := conns[0].Recv(context.Background(), 2)
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("got %v, want ErrTimeout", err)
		}
		if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
			t.Errorf("timed out after %v, want about 1s", d)
		}
		t.Log(err)
	})
}

func TestRecvContext(t *testing.T) {
	kinds(t, 3, 10*time.Second, func(t *testing.T, conns []Conn) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := conns[0].Recv(ctx, 3)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
	})
}

// TestPeerClose: once a party closes, the others' Recv from it fails with
// ErrPeerGone promptly, after any messages it sent before leaving.
func TestPeerClose(t *testing.T) {
	for _, n := range []int{3, 5} {
		kinds(t, n, 10*time.Second, func(t *testing.T, conns []Conn) {
			ctx := context.Background()
			last := conns[n-1]
			for j := 1; j < n; j++ {
				if err := last.Send(ctx, j, []byte("bye")); err != nil {
					t.Fatal(err)
				}
			}
			last.Close()
			start := time.Now()
			errs := all(conns[:n-1], func(c Conn) error {
				m, err := c.Recv(ctx, n)
				if err != nil || string(m) != "bye" {
					return fmt.Errorf("got %q, %v; want the last message", m, err)
				}
				_, err = c.Recv(ctx, n)
				if !errors.Is(err, ErrPeerGone) {
					return fmt.Errorf("got %v, want ErrPeerGone", err)
				}
				return nil
			})
			noErrors(t, errs)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v to notice the peer left", d)
			}
			// Sending to a peer known to be gone fails too, eventually.
			deadline := time.Now().Add(5 * time.Second)
			for {
				err := conns[0].Send(ctx, n, []byte("x"))
				if errors.Is(err, ErrPeerGone) {
					break
				}
				if err != nil || time.Now().After(deadline) {
					t.Fatalf("send to closed party: %v", err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			// The closed party's own calls fail with net.ErrClosed.
			if _, err := last.Recv(ctx, 1); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Recv after Close: %v", err)
			}
			if err := last.Send(ctx, 1, nil); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Send after Close: %v", err)
			}
		})
	}
}

// TestExchangePeerGone: a round with a party that left fails, naming it.
func TestExchangePeerGone(t *testing.T) {
	kinds(t, 3, 10*time.Second, func(t *testing.T, conns []Conn) {
		conns[1].Close()
		errs := all([]Conn{conns[0], conns[2]}, func(c Conn) error {
			_, err := Exchange(context.Background(), c, make([][]byte, 3))
			return err
		})
		for _, err := range errs {
			if !errors.Is(err, ErrPeerGone) {
				t.Errorf("got %v, want ErrPeerGone", err)
			}
		}
		t.Log(errs[0])
	})
}

func TestBadPeer(t *testing.T) {
	kinds(t, 3, time.Second, func(t *testing.T, conns []Conn) {
		ctx := context.Background()
		for _, j := range []int{0, 1, 4} {
			if err := conns[0].Send(ctx, j, nil); err == nil {
				t.Errorf("Send to %d succeeded", j)
			}
			if _, err := conns[0].Recv(ctx, j); err == nil {
				t.Errorf("Recv from %d succeeded", j)
			}
		}
		if _, err := Exchange(ctx, conns[0], make([][]byte, 2)); err == nil {
			t.Error("Exchange with too few messages succeeded")
		}
	})
}
