package transport

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestHookDrop(t *testing.T) {
	drop := func(from, to int, msg []byte) ([]byte, bool, time.Duration) {
		return msg, !(from == 2 && to == 1), 0
	}
	conns := NewLocal(3, WithHook(drop), WithLocalTimeout(200*time.Millisecond))
	ctx := context.Background()
	if err := conns[1].Send(ctx, 1, []byte("lost")); err != nil {
		t.Fatal(err)
	}
	if err := conns[2].Send(ctx, 1, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	if m, err := conns[0].Recv(ctx, 3); err != nil || string(m) != "kept" {
		t.Fatalf("from 3: %q, %v", m, err)
	}
	if _, err := conns[0].Recv(ctx, 2); !errors.Is(err, ErrTimeout) {
		t.Fatalf("dropped message: got %v, want ErrTimeout", err)
	}
	// Exchange reports the timeout too, and which link it was.
	errs := all(conns, func(c Conn) error {
		_, err := Exchange(ctx, c, make([][]byte, 3))
		return err
	})
	if !errors.Is(errs[0], ErrTimeout) || errs[1] != nil || errs[2] != nil {
		t.Fatalf("exchange errors: %v", errs)
	}
	t.Log(errs[0])
}

func TestHookTamper(t *testing.T) {
	tamper := func(from, to int, msg []byte) ([]byte, bool, time.Duration) {
		if from == 1 && to == 3 {
			out := bytes.Clone(msg)
			out[0] ^= 1
			return out, true, 0
		}
		return msg, true, 0
	}
	conns := NewLocal(3, WithHook(tamper))
	in := all(conns, func(c Conn) error {
		in, err := Broadcast(context.Background(), c, []byte{10})
		if err != nil {
			return err
		}
		want := []byte{10, 10, 10}
		if c.ID() == 3 {
			want[0] = 11
		}
		if got := []byte{in[0][0], in[1][0], in[2][0]}; !bytes.Equal(got, want) {
			t.Errorf("party %d got %v, want %v", c.ID(), got, want)
		}
		return nil
	})
	noErrors(t, in)
}

// TestHookDelay: a delayed message holds back later ones on its link only,
// and a delay beyond the timeout is a timeout that leaves the message for
// the next Recv.
func TestHookDelay(t *testing.T) {
	delay := func(from, to int, msg []byte) ([]byte, bool, time.Duration) {
		switch string(msg) {
		case "slow":
			return msg, true, 100 * time.Millisecond
		case "very slow":
			return msg, true, 600 * time.Millisecond
		}
		return msg, true, 0
	}
	conns := NewLocal(3, WithHook(delay), WithLocalTimeout(400*time.Millisecond))
	ctx := context.Background()
	for _, m := range []string{"slow", "fast"} {
		if err := conns[1].Send(ctx, 1, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := conns[2].Send(ctx, 1, []byte("other")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if m, err := conns[0].Recv(ctx, 3); err != nil || string(m) != "other" || time.Since(start) > 50*time.Millisecond {
		t.Fatalf("other link held back: %q, %v after %v", m, err, time.Since(start))
	}
	for _, want := range []string{"slow", "fast"} {
		m, err := conns[0].Recv(ctx, 2)
		if err != nil || string(m) != want {
			t.Fatalf("got %q, %v; want %q", m, err, want)
		}
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("delayed message arrived after %v", d)
	}

	if err := conns[1].Send(ctx, 1, []byte("very slow")); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[0].Recv(ctx, 2); !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if m, err := conns[0].Recv(ctx, 2); err != nil || string(m) != "very slow" {
		t.Fatalf("after timeout: %q, %v", m, err)
	}
}

// TestLocalSendBlocked: Send to a party that does not read blocks only until
// the timeout.
func TestLocalSendBlocked(t *testing.T) {
	conns := NewLocal(2, WithLocalTimeout(100*time.Millisecond))
	var err error
	for i := 0; i <= localQueue && err == nil; i++ {
		err = conns[0].Send(context.Background(), 2, nil)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
}
