package relay_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/relay"
	"github.com/safetrace/safetrace/relay/relayclient"
)

// TestPartyFrontEnds: with PartyFrontEnds 2, two connections of one party
// (two front ends) stay registered and share its requests; when one goes,
// the other serves them all.
func TestPartyFrontEnds(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{PartyFrontEnds: 2, Rate: -1, MaxInFlight: 1000})
	var mu sync.Mutex
	served := map[string]int{}
	stop := map[string]func(){}
	for _, name := range []string{"a", "b"} {
		p, err := relayclient.NewParty(relayclient.PartyConfig{
			ID: 1, Key: k.priv[1], ManifestHash: manifestHash, Relays: []string{r.URL},
			Handler: func(_ context.Context, _ []byte) []byte {
				time.Sleep(2 * time.Millisecond)
				mu.Lock()
				served[name]++
				mu.Unlock()
				return []byte(name)
			},
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: quietLogger(),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		stop[name] = func() { cancel(); <-done }
		t.Cleanup(stop[name])
		waitFor(t, "front end registration", func() bool { return p.Registered() == 1 })
	}
	c := newClient(t, r.URL)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := c.Do(context.Background(), 1, []byte(marker)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mu.Lock()
	if served["a"]+served["b"] != n || served["a"] == 0 || served["b"] == 0 {
		t.Fatalf("requests served %v, want %d shared by both front ends", served, n)
	}
	mu.Unlock()
	stop["a"]()
	waitFor(t, "front end a gone", func() bool {
		got, err := c.Do(context.Background(), 1, []byte(marker))
		return err == nil && string(got) == "b"
	})
	for i := range 20 {
		got, err := c.Do(context.Background(), 1, []byte(marker))
		if err != nil || string(got) != "b" {
			t.Fatalf("request %d after a left: %q %v", i, got, err)
		}
	}
}
