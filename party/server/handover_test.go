package server_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

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
	dsn := pgtest.DSN(t)
	d, err := localdeploy.New(3, 1, localdeploy.Options{MeshBasePort: fabrictest.FreePorts(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	m := d.Manifest
	keys := filepath.Join(t.TempDir(), "pg.keys")
	type frontEnd struct {
		s      *server.Server
		st     *pgstore.Store
		cancel context.CancelFunc
		done   chan struct{}
	}
	start := func(instance string) *frontEnd {
		st, err := pgstore.Open(t.Context(), dsn, keys, server.StoreOptions(m))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		s, err := server.New(server.Config{Manifest: m, Key: d.Parties[0], Store: st, Instance: instance,
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
	stop := func(fe *frontEnd) {
		fe.cancel()
		<-fe.done
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	request := func(fe *frontEnd, name string, id [wire.IDSize]byte) {
		t.Helper()
		q := &wire.RunRequest{Name: name, RunID: id, Issued: time.Now().Unix()}
		for _, k := range d.Parties[:m.T+1] {
			q.Sign(k.ID, k.Sign, m.Hash())
		}
		req, err := q.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := server.HandleRun(fe.s, t.Context(), req)
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
