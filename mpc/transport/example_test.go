package transport_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/safetrace/safetrace/mpc/transport"
)

// Three parties in one process each send one message to every other party in
// a round.
func ExampleExchange() {
	conns := transport.NewLocal(3)
	results := make([]string, 3)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			out := make([][]byte, c.N())
			for j := range out {
				out[j] = fmt.Appendf(nil, "%d->%d", c.ID(), j+1)
			}
			in, err := transport.Exchange(context.Background(), c, out)
			if err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = fmt.Sprintf("party %d got %q", c.ID(), in)
		})
	}
	wg.Wait()
	for _, r := range results {
		fmt.Println(r)
	}
	// Output:
	// party 1 got ["1->1" "2->1" "3->1"]
	// party 2 got ["1->2" "2->2" "3->2"]
	// party 3 got ["1->3" "2->3" "3->3"]
}

// A dropped message makes Recv fail after the timeout instead of hanging.
func ExampleWithHook() {
	dropAll := func(from, to int, msg []byte) ([]byte, bool, time.Duration) { return nil, false, 0 }
	conns := transport.NewLocal(2, transport.WithHook(dropAll), transport.WithLocalTimeout(10*time.Millisecond))
	ctx := context.Background()
	conns[0].Send(ctx, 2, []byte("hello"))
	_, err := conns[1].Recv(ctx, 1)
	fmt.Println(err, errors.Is(err, transport.ErrTimeout))
	// Output:
	// transport: party 2: receive from party 1: timeout true
}

// A three-party TLS mesh on loopback with fresh keys.
func ExampleNewMesh() {
	cfgs, err := transport.LocalMeshConfigs(3)
	if err != nil {
		fmt.Println(err)
		return
	}
	conns := make([]transport.Conn, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		wg.Go(func() { conns[i], errs[i] = transport.NewMesh(context.Background(), cfg) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		fmt.Println(err)
		return
	}
	for i, c := range conns {
		wg.Go(func() {
			in, err := transport.Broadcast(context.Background(), c, []byte{byte(10 * c.ID())})
			if err != nil {
				errs[i] = err
				return
			}
			if c.ID() == 1 {
				fmt.Println(in)
			}
		})
	}
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
	fmt.Println(errors.Join(errs...))
	// Output:
	// [[10] [20] [30]]
	// <nil>
}
