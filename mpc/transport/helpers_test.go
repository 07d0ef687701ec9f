package transport

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// newTestMesh sets up an n-party TLS mesh on loopback; edit may change the
// configurations first. The mesh is closed when the test ends.
func newTestMesh(t testing.TB, n int, timeout time.Duration, edit func([]MeshConfig)) []Conn {
	t.Helper()
	cfgs, err := LocalMeshConfigs(n)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfgs {
		cfgs[i].Timeout = timeout
	}
	if edit != nil {
		edit(cfgs)
	}
	conns, errs := startMesh(context.Background(), cfgs)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i+1, err)
		}
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// startMesh runs NewMesh for every configuration concurrently.
func startMesh(ctx context.Context, cfgs []MeshConfig) ([]Conn, []error) {
	conns := make([]Conn, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i := range cfgs {
		wg.Go(func() { conns[i], errs[i] = NewMesh(ctx, cfgs[i]) })
	}
	wg.Wait()
	return conns, errs
}

// kinds runs f on an in-process and a TLS mesh of n parties.
func kinds(t *testing.T, n int, timeout time.Duration, f func(t *testing.T, conns []Conn)) {
	t.Run(fmt.Sprintf("local/n=%d", n), func(t *testing.T) {
		conns := NewLocal(n, WithLocalTimeout(timeout))
		t.Cleanup(func() {
			for _, c := range conns {
				c.Close()
			}
		})
		f(t, conns)
	})
	t.Run(fmt.Sprintf("tls/n=%d", n), func(t *testing.T) {
		f(t, newTestMesh(t, n, timeout, nil))
	})
}

// all runs f for every party concurrently and returns the errors by party.
func all(conns []Conn, f func(c Conn) error) []error {
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() { errs[i] = f(c) })
	}
	wg.Wait()
	return errs
}

func noErrors(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("party %d: %v", i+1, err)
		}
	}
}

func msgFor(from, to, round int) []byte {
	return fmt.Appendf(nil, "round %d from %d to %d", round, from, to)
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
