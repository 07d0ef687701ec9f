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

	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/internal/testenv/pgtest"
	"github.com/safetrace/safetrace/internal/testenv/relayserve"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/party/store/pgstore"
	"github.com/safetrace/safetrace/relay"
)

// Deployment is a running in-process deployment.
type Deployment struct {
	*localdeploy.Deployment
	ManifestBytes []byte
	RelayURL      string
	Relay         *relay.Server
	Servers       []*server.Server // Servers[i] is party i+1
	Stores        []*store.Store   // the bbolt stores (nil entries on PostgreSQL)
	Backends      []store.Backend  // every party's store, bbolt or PostgreSQL
	RelayLog      *SyncBuffer      // everything the relay logged

	t       testing.TB
	opts    Options
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	parties []*runningParty // parties[i] is party i+1
}

// Options tune a deployment; the zero value is the default.
type Options struct {
	// MeshTimeout is the parties' computation mesh timeout; zero means 20s.
	MeshTimeout time.Duration
	// RunRetryWait is the wait before a failed run is tried again; zero
	// means 200ms.
	RunRetryWait time.Duration
	// Params, if not nil, changes the manifest's parameters (see
	// localdeploy.Options.Params).
	Params func(p *manifest.Params)
	// Postgres puts every party's store on PostgreSQL (a schema of its
	// own in the cluster of pgtest; skipped without one) instead of bbolt.
	Postgres bool
}

type runningParty struct {
	cancel context.CancelFunc
	done   chan struct{}
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
	return StartWith(tb, n, t, Options{})
}

// StartWith is Start with options.
func StartWith(tb testing.TB, n, t int, opts Options) *Deployment {
	tb.Helper()
	if opts.MeshTimeout == 0 {
		opts.MeshTimeout = 20 * time.Second
	}
	if opts.RunRetryWait == 0 {
		opts.RunRetryWait = 200 * time.Millisecond
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	url := fmt.Sprintf("ws://%s/ws", ln.Addr())
	ld, err := localdeploy.New(n, t, localdeploy.Options{Relay: url, MeshBasePort: FreePorts(tb, n), Params: opts.Params})
	if err != nil {
		tb.Fatal(err)
	}
	mb, err := ld.Manifest.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	d := &Deployment{Deployment: ld, ManifestBytes: mb, RelayURL: url, RelayLog: &SyncBuffer{}, t: tb, opts: opts}
	ctx, cancel := context.WithCancel(context.Background())
	d.ctx, d.cancel = ctx, cancel
	h := ld.Manifest.Hash()
	parties := map[int]ed25519.PublicKey{}
	for _, p := range ld.Manifest.Parties {
		parties[p.ID] = p.SignKey
	}
	rcfg := relay.Config{
		Name: url, Parties: parties, ManifestHash: h[:], MaxInFlight: 1024,
		Logger: slog.New(slog.NewTextHandler(d.RelayLog, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	rcfg.ApplyBudget(ld.Manifest.Params.Budget)
	rcfg.Rate = -1 // tests send faster than a visitor does
	d.Relay, err = relay.New(rcfg)
	if err != nil {
		tb.Fatal(err)
	}
	d.wg.Go(func() { relayserve.Serve(ctx, d.Relay, ln, "/ws") })
	dir := tb.TempDir()
	for _, k := range ld.Parties {
		if opts.Postgres {
			st, err := pgstore.Open(context.Background(), pgtest.DSN(tb), filepath.Join(dir, fmt.Sprintf("party%d.keys", k.ID)), server.StoreOptions(ld.Manifest))
			if err != nil {
				tb.Fatal(err)
			}
			d.Stores = append(d.Stores, nil)
			d.Backends = append(d.Backends, st)
		} else {
			st, err := store.Open(filepath.Join(dir, fmt.Sprintf("party%d.db", k.ID)), server.StoreOptions(ld.Manifest))
			if err != nil {
				tb.Fatal(err)
			}
			d.Stores = append(d.Stores, st)
			d.Backends = append(d.Backends, st)
		}
		d.Servers = append(d.Servers, nil)
		d.parties = append(d.parties, nil)
	}
	tb.Cleanup(d.Stop)
	for id := 1; id <= n; id++ {
		d.StartParty(id)
	}
	for id := 1; id <= n; id++ {
		d.WaitRegistered(id)
	}
	return d
}

// StartParty starts party id (again, after StopParty) as a new server over
// its store; it replaces Servers[id-1] and returns without waiting for the
// party to register at the relay.
func (d *Deployment) StartParty(id int) *server.Server {
	d.t.Helper()
	s, err := server.New(server.Config{Manifest: d.Deployment.Manifest, Key: d.Parties[id-1], Store: d.Backends[id-1],
		Logger:     slog.New(slog.DiscardHandler),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		MeshTimeout: d.opts.MeshTimeout, RunRetryWait: d.opts.RunRetryWait, MinRunInterval: -1, NoSchedule: true})
	if err != nil {
		d.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(d.ctx)
	rp := &runningParty{cancel: cancel, done: make(chan struct{})}
	d.mu.Lock()
	d.Servers[id-1], d.parties[id-1] = s, rp
	d.mu.Unlock()
	d.wg.Go(func() {
		defer close(rp.done)
		s.Run(ctx)
	})
	return s
}

// StopParty stops party id and waits until it stopped. Its store stays
// open for StartParty. StopParty may be called from any goroutine except
// the party's own (a hook of its computation, say: use StopPartyAsync).
func (d *Deployment) StopParty(id int) {
	d.mu.Lock()
	rp := d.parties[id-1]
	d.mu.Unlock()
	rp.cancel()
	<-rp.done
}

// StopPartyAsync starts stopping party id and returns at once.
func (d *Deployment) StopPartyAsync(id int) {
	d.mu.Lock()
	rp := d.parties[id-1]
	d.mu.Unlock()
	rp.cancel()
}

// WaitRegistered waits (at most 10 s, then fails the test) until party id
// is registered at the relay and holds its computation lease.
func (d *Deployment) WaitRegistered(id int) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	d.mu.Lock()
	s := d.Servers[id-1]
	d.mu.Unlock()
	for s.RelaysRegistered() == 0 || !s.HoldsLease() {
		if time.Now().After(deadline) {
			d.t.Fatalf("party %d did not register at the relay (or take its computation lease)", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Manifest returns the deployment's manifest.
func (d *Deployment) Manifest() *manifest.Manifest { return d.Deployment.Manifest }

// Stop stops the relay and parties and closes the stores.
func (d *Deployment) Stop() {
	d.cancel()
	d.wg.Wait()
	for _, s := range d.Backends {
		s.Close()
	}
	d.Stores, d.Backends = nil, nil
}

// FreePorts returns the first of n consecutive loopback ports that were
// free a moment ago, for the parties' mesh addresses; they lie below the
// kernel's ephemeral range, so outgoing connections cannot take them.
func FreePorts(tb testing.TB, n int) int {
	tb.Helper()
	for try := 0; try < 100; try++ {
		base := 20000 + rand.IntN(12000)
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

// Quorum returns the signers of an on-demand run: the keys of parties
// 1..t+1.
func (d *Deployment) Quorum() []operator.Signer {
	var s []operator.Signer
	for i := range d.Manifest().T + 1 {
		s = append(s, operator.Signer{Party: i + 1, Key: d.Parties[i].Sign})
	}
	return s
}
