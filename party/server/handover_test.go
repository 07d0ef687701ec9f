package server_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/internal/testenv/pgtest"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/party/store/pgstore"
	"github.com/safetrace/safetrace/wire"
)

// TestLeaseHandOverKeepsRunRequests: two front ends of party 1 on one
// PostgreSQL database. The lease holder accepts two run requests (one runs,
// waiting for a mesh the other parties never join; one is queued behind
// it) and a third arrives forwarded by the other front end, busy behind the
// first. The holder stops; the other front end takes the lease and picks
// all three up from the store: the two that were on start again, the third
// stays queued.
func TestLeaseHandOverKeepsRunRequests(t *testing.T) {
	fes := newFrontEnds(t)
	d, m, start, stop, waitFor := fes.d, fes.d.Manifest, fes.start, fes.stop, fes.waitFor
	request := func(fe *frontEnd, name string, id [wire.IDSize]byte) {
		t.Helper()
		msg, err := server.HandleRun(fe.s, t.Context(), signedRun(t, d, name, id, time.Now(), d.Parties[:m.T+1]))
		if err != nil {
			t.Fatalf("%s run %x: %v", name, id[:1], err)
		}
		if st, ok := msg.(*wire.RunStatus); !ok || st.State != wire.RunPending && st.State != wire.RunRunning {
			t.Fatalf("%s run %x: %+v", name, id[:1], msg)
		}
	}
	state := func(fe *frontEnd, id [wire.IDSize]byte) wire.RunState { return fe.s.RunStatus(id).State }

	a := start("a")
	waitFor("front end a takes the lease", a.s.HoldsLease)
	b := start("b")
	defer stop(b)
	epoch, region, later := [wire.IDSize]byte{1}, [wire.IDSize]byte{2}, [wire.IDSize]byte{3}
	request(a, "exposure", epoch)
	request(a, "region-map", region)
	request(b, "exposure", later) // forwarded: b does not hold the lease
	waitFor("the epoch running at a", func() bool { return state(a, epoch) == wire.RunRunning })
	if st := state(a, region); st != wire.RunPending {
		t.Fatalf("region map at a: %v, want pending", st)
	}
	time.Sleep(3 * 500 * time.Millisecond) // a reads the forwarded request: busy
	if st := state(a, later); st != wire.RunUnknown {
		t.Fatalf("the forwarded epoch at a: %v, want unknown (busy, still queued)", st)
	}

	stop(a)
	if b.s.HoldsLease() {
		t.Fatal("b holds the lease before a stopped")
	}
	waitFor("front end b takes the lease", b.s.HoldsLease)
	waitFor("the epoch and region map picked up by b", func() bool {
		return state(b, epoch) == wire.RunRunning && state(b, region) == wire.RunPending
	})
	if st := state(b, later); st != wire.RunUnknown {
		t.Fatalf("the forwarded epoch at b: %v, want unknown (busy, still queued)", st)
	}
	reqs, err := b.st.RunRequests(t.Context())
	if err != nil || len(reqs) != 3 {
		t.Fatalf("queued after the hand-over: %+v %v, want the 3 requests", reqs, err)
	}
}

// frontEnds starts front ends of party 1 of a deployment of 3 on one
// PostgreSQL database, none of them reaching a relay.
type frontEnds struct {
	t    *testing.T
	d    *localdeploy.Deployment
	dsn  string
	keys string
}

type frontEnd struct {
	s      *server.Server
	st     *pgstore.Store
	cancel context.CancelFunc
	done   chan struct{}
}

func newFrontEnds(t *testing.T) *frontEnds {
	dsn := pgtest.DSN(t)
	d, err := localdeploy.New(3, 1, localdeploy.Options{MeshBasePort: fabrictest.FreePorts(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	return &frontEnds{t: t, d: d, dsn: dsn, keys: filepath.Join(t.TempDir(), "pg.keys")}
}

func (f *frontEnds) start(instance string) *frontEnd {
	t, m := f.t, f.d.Manifest
	st, err := pgstore.Open(t.Context(), f.dsn, f.keys, server.StoreOptions(m))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := server.New(server.Config{Manifest: m, Key: f.d.Parties[0], Store: st, Instance: instance,
		LeaseTTL: 900 * time.Millisecond, Relays: []string{"ws://127.0.0.1:1/ws"},
		MeshTimeout: time.Minute, RunRetryWait: time.Minute, MinRunInterval: -1, NoSchedule: true,
		ExpireEvery: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fe := &frontEnd{s: s, st: st, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(fe.done); s.Run(ctx) }()
	return fe
}

func (f *frontEnds) stop(fe *frontEnd) {
	fe.cancel()
	<-fe.done
}

func (f *frontEnds) waitFor(what string, ok func() bool) {
	f.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// signedRun is the encoded RunRequest for run id of computation name,
// issued at issued and signed by the parties signers.
func signedRun(t *testing.T, d *localdeploy.Deployment, name string, id [wire.IDSize]byte, issued time.Time, signers []*keys.PartyKey) []byte {
	t.Helper()
	q := &wire.RunRequest{Name: name, RunID: id, Issued: issued.Unix()}
	for _, k := range signers {
		q.Sign(k.ID, k.Sign, d.Manifest.Hash())
	}
	req, err := q.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestAttackForwardedRunRequest: a client sends run requests to the front
// end of party 1 that does not hold the lease, which passes them on to the
// holder through the shared store: signed by fewer parties than a quorum,
// by a key that is no party's, issued an hour ago, or with more signatures
// than parties. Each is refused there and nothing reaches the store's
// queue; a quorum's request is then forwarded and queued alone.
func TestAttackForwardedRunRequest(t *testing.T) {
	fes := newFrontEnds(t)
	d, m := fes.d, fes.d.Manifest
	a := fes.start("a")
	defer fes.stop(a)
	fes.waitFor("front end a takes the lease", a.s.HoldsLease)
	b := fes.start("b")
	defer fes.stop(b)
	if b.s.HoldsLease() {
		t.Fatal("both front ends hold the lease")
	}
	stranger, err := keys.Generate(1, "stranger", "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	quorum := d.Parties[:m.T+1]
	many := signedRun(t, d, "exposure", [wire.IDSize]byte{0xa4}, now, append(slices.Clone(d.Parties), d.Parties...))
	for _, c := range []struct {
		what string
		req  []byte
	}{
		{"one party's signature", signedRun(t, d, "exposure", [wire.IDSize]byte{0xa1}, now, d.Parties[:m.T])},
		{"a stranger's key as party 1's", signedRun(t, d, "exposure", [wire.IDSize]byte{0xa2}, now, []*keys.PartyKey{stranger, d.Parties[1]})},
		{"issued an hour ago", signedRun(t, d, "exposure", [wire.IDSize]byte{0xa3}, now.Add(-time.Hour), quorum)},
		{"more signatures than parties", many},
	} {
		msg, err := server.HandleRun(b.s, t.Context(), c.req)
		if err == nil {
			t.Errorf("%s: accepted by the front end without the lease: %+v", c.what, msg)
		}
		t.Logf("%s: %v", c.what, err)
	}
	if reqs, err := b.st.RunRequests(t.Context()); err != nil || len(reqs) != 0 {
		t.Fatalf("queued after the refused requests: %+v %v, want none", reqs, err)
	}
	honest := [wire.IDSize]byte{0x0b}
	if _, err := server.HandleRun(b.s, t.Context(), signedRun(t, d, "exposure", honest, now, quorum)); err != nil {
		t.Fatalf("a quorum's request: %v", err)
	}
	reqs, err := b.st.RunRequests(t.Context())
	if err != nil || len(reqs) != 1 || string(reqs[0].ID) != string(honest[:]) {
		t.Fatalf("queued after the quorum's request: %+v %v, want it alone", reqs, err)
	}
}
