package mpc

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/transport"
)

// faultRun runs New, then Mul and Open on shares of 1..m, with hook on the
// in-process transport, and returns each party's error.
func faultRun(t *testing.T, n, th int, hook transport.Hook) []error {
	t.Helper()
	f := field.M61Field{}
	x := make([]E61, 8)
	for i := range x {
		x[i] = E61(i + 1)
	}
	xs := shareAll(t, f, th, n, x)
	conns := transport.NewLocal(n, transport.WithHook(hook), transport.WithLocalTimeout(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer conns[i].Close()
			p, err := New(ctx, f, th, conns[i])
			if err != nil {
				errs[i] = err
				return
			}
			z, err := p.Mul(ctx, xs[i], xs[i])
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = p.Open(ctx, z)
		}(i)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("protocol hangs")
	}
	return errs
}

// The rounds of faultRun: 1 PRSS set-up, 2 multiplication, 3 opening.
func roundHook(round int, fn func(from, to int, msg []byte) ([]byte, bool)) transport.Hook {
	var mu sync.Mutex
	count := map[[2]int]int{}
	return func(from, to int, msg []byte) ([]byte, bool, time.Duration) {
		mu.Lock()
		count[[2]int{from, to}]++
		r := count[[2]int{from, to}]
		mu.Unlock()
		if r != round {
			return msg, true, 0
		}
		out, deliver := fn(from, to, msg)
		return out, deliver, 0
	}
}

func TestFaults(t *testing.T) {
	for _, pr := range []struct{ n, t int }{{3, 1}, {5, 2}} {
		// A dropped message makes the receiver fail (with a timeout, or
		// because the next message does not fit), and nobody hangs.
		for round := 1; round <= 3; round++ {
			errs := faultRun(t, pr.n, pr.t, roundHook(round, func(from, to int, msg []byte) ([]byte, bool) {
				return msg, !(from == 2 && to == 1)
			}))
			if errs[0] == nil || round == 3 && !errors.Is(errs[0], transport.ErrTimeout) && !errors.Is(errs[0], transport.ErrPeerGone) {
				t.Errorf("n=%d round %d: dropped message: party 1 got %v", pr.n, round, errs[0])
			}
		}
		// A tampered share in the opening, or in the resharing of the
		// multiplication, makes the opened shares inconsistent.
		for round := 2; round <= 3; round++ {
			errs := faultRun(t, pr.n, pr.t, roundHook(round, func(from, to int, msg []byte) ([]byte, bool) {
				if from == 2 && to == 1 {
					msg = append([]byte(nil), msg...)
					msg[0] ^= 1
				}
				return msg, true
			}))
			if !errors.Is(errs[0], ErrInconsistent) {
				t.Errorf("n=%d round %d: tampered message: party 1 got %v", pr.n, round, errs[0])
			}
		}
		// A truncated message is rejected with a clear error.
		errs := faultRun(t, pr.n, pr.t, roundHook(2, func(from, to int, msg []byte) ([]byte, bool) {
			if from == 2 && to == 1 {
				msg = msg[:len(msg)-1]
			}
			return msg, true
		}))
		if errs[0] == nil {
			t.Errorf("n=%d: truncated message accepted", pr.n)
		}
	}
}

func TestPartyGone(t *testing.T) {
	f := field.M61Field{}
	conns := transport.NewLocal(3, transport.WithLocalTimeout(5*time.Second))
	ctx := context.Background()
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := New(ctx, f, 1, conns[i])
			if err != nil {
				errs[i] = err
				return
			}
			if i == 2 {
				conns[i].Close()
				return
			}
			_, errs[i] = p.Mul(ctx, []E61{1}, []E61{2})
		}(i)
	}
	wg.Wait()
	for i := 0; i < 2; i++ {
		if !errors.Is(errs[i], transport.ErrPeerGone) {
			t.Errorf("party %d: got %v, want ErrPeerGone", i+1, errs[i])
		}
	}
}
