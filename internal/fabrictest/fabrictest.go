// Package fabrictest runs a SafeTrace deployment inside one process for
// tests and benchmarks: a real relay on a loopback WebSocket and n party
// servers with stores in a temporary directory.
//
// Warning: for tests only; every party's keys live in one process.
package fabrictest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/internal/localdeploy"
	"github.com/safetrace/safetrace/internal/relayserve"
	"github.com/safetrace/safetrace/party/manifest"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/relay"
)

// Deployment is a running in-process deployment.
type Deployment struct {
	*localdeploy.Deployment
	ManifestBytes []byte
	RelayURL      string
	Relay         *relay.Server
	Servers       []*server.Server // Servers[i] is party i+1
	Stores        []*store.Store
	RelayLog      *SyncBuffer // everything the relay logged

	t      testing.TB
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// SyncBuffer is a bytes buffer safe for concurrent writes.
type SyncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	b.mu.Unlock()
	return len(p), nil
}

// String returns what was written.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// Start brings up a relay and n parties with threshold t and waits until
// every party is registered at the relay. Everything stops at the end of
// the test.
func Start(tb testing.TB, n, t int) *Deployment {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	url := fmt.Sprintf("ws://%s/ws", ln.Addr())
	ld, err := localdeploy.New(n, t, localdeploy.Options{Relay: url, MeshBasePort: FreePorts(tb, n)})
	if err != nil {
		tb.Fatal(err)
	}
	mb, err := ld.Manifest.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	d := &Deployment{Deployment: ld, ManifestBytes: mb, RelayURL: url, RelayLog: &SyncBuffer{}, t: tb}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	h := ld.Manifest.Hash()
	parties := map[int]ed25519.PublicKey{}
	for _, p := range ld.Manifest.Parties {
		parties[p.ID] = p.SignKey
	}
	d.Relay, err = relay.New(relay.Config{
		Name: url, Parties: parties, ManifestHash: h[:], Rate: -1, MaxInFlight: 1024,
		Logger: slog.New(slog.NewTextHandler(d.RelayLog, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		tb.Fatal(err)
	}
	d.wg.Go(func() { relayserve.Serve(ctx, d.Relay, ln, "/ws") })
	dir := tb.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	for _, k := range ld.Parties {
		st, err := store.Open(filepath.Join(dir, fmt.Sprintf("party%d.db", k.ID)))
		if err != nil {
			tb.Fatal(err)
		}
		d.Stores = append(d.Stores, st)
		s, err := server.New(server.Config{Manifest: ld.Manifest, Key: k, Store: st, Logger: quiet,
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
			MeshTimeout: 20 * time.Second, NoSchedule: true})
		if err != nil {
			tb.Fatal(err)
		}
		d.Servers = append(d.Servers, s)
		d.wg.Go(func() { s.Run(ctx) })
	}
	tb.Cleanup(d.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for _, s := range d.Servers {
		for s.RelaysRegistered() == 0 {
			if time.Now().After(deadline) {
				tb.Fatal("parties did not register at the relay")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return d
}

// Manifest returns the deployment's manifest.
func (d *Deployment) Manifest() *manifest.Manifest { return d.Deployment.Manifest }

// Stop stops the relay and parties and closes the stores.
func (d *Deployment) Stop() {
	d.cancel()
	d.wg.Wait()
	for _, s := range d.Stores {
		s.Close()
	}
	d.Stores = nil
}

// FreePorts returns the first of n consecutive loopback ports that were
// free a moment ago, for the parties' mesh addresses.
func FreePorts(tb testing.TB, n int) int {
	tb.Helper()
	for try := 0; try < 100; try++ {
		base := 20000 + rand.IntN(40000)
		var lns []net.Listener
		for i := 0; i < n; i++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if len(lns) == n {
			return base
		}
	}
	tb.Fatal("no free ports for the mesh")
	return 0
}
