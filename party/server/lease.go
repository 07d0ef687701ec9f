package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
)

// The computation lease (docs/scale.md). Several front ends of one party
// may share its store (PostgreSQL): every one serves uploads and results,
// and exactly one at a time, the holder of the lease, runs the
// computations, scheduled and requested; the others pass the run requests
// they receive on to it through the store and answer status requests from
// the run states it records there. The lease is a row with an expiry
// on the database's clock, renewed by its holder every third of its TTL;
// when the holder dies the row expires and the next front end that tries
// takes it, so the lease moves on within about 4/3 of the TTL. A holder that
// cannot renew in time stops its computations before its lease can have
// expired. A store that is not shared (bbolt) has no lease: its one process
// always holds it.

// Leaser is implemented by stores shared by several front ends
// (pgstore.Store).
type Leaser interface {
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// RunForwarder is implemented by shared stores (pgstore.Store): every
// operator's run request is queued in it until its run finished, by a
// front end without the lease, which forwards the request to the holder,
// and by the holder itself; the holder records its runs' states there for
// every front end to report. A holder that dies or loses the lease leaves
// its queued and unfinished runs to the next holder, which starts them.
type RunForwarder interface {
	ForwardRun(ctx context.Context, name string, id []byte) error
	RunRequests(ctx context.Context) ([]store.ForwardedRun, error)
	DoneRunRequest(ctx context.Context, id []byte) error
	SetRunState(ctx context.Context, id []byte, name string, state int, text string) error
	RunState(ctx context.Context, id []byte) (name string, state int, text string, ok bool, err error)
}

// forwardPoll is how often the lease holder reads the queued run requests.
const forwardPoll = 500 * time.Millisecond

// forwardLoop starts, while this front end holds the lease, the queued run
// requests it does not run yet: those other front ends forwarded, and
// those an earlier holder received or started and did not finish.
func (s *Server) forwardLoop(ctx context.Context) {
	t := time.NewTicker(forwardPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !s.lease.Holds() {
			continue
		}
		reqs, err := s.fwd.RunRequests(ctx)
		if err != nil {
			s.log.Warn("queued run requests not read", "err", err)
			continue
		}
		for _, r := range reqs {
			var id [wire.IDSize]byte
			if len(r.ID) != len(id) {
				s.doneRequest(r.ID)
				continue
			}
			copy(id[:], r.ID)
			s.pickUp(r.Name, id)
		}
	}
}

// pickUp starts queued run id of computation name unless this front end
// runs it already. A run that cannot start now (another run of the
// computation is on, or the store did not answer) stays queued; one that
// is refused (it cannot start at all) is marked failed and leaves the
// queue.
func (s *Server) pickUp(name string, id [wire.IDSize]byte) {
	rs := &s.runs
	rs.mu.Lock()
	rec, known := rs.runs[id]
	var state wire.RunState
	if known {
		state = rec.state
	}
	rs.mu.Unlock()
	if known && (state == wire.RunPending || state == wire.RunRunning) {
		return
	}
	run := fmt.Sprintf("%x", id[:4])
	if done, err := s.st.RunExists(finishedRun(id)); err != nil {
		s.log.Warn("queued run not checked", "computation", name, "run", run, "err", err)
		return
	} else if done || known && state == wire.RunDone {
		s.doneRequest(id[:])
		return
	}
	if known {
		// Failed here without finishing (the lease was lost, or the
		// party stopping): it runs again.
		s.forgetRun(id)
	}
	_, err := s.StartRun(name, id)
	var we *wire.Error
	switch {
	case err == nil:
		s.log.Info("queued run started", "computation", name, "run", run)
	case errors.As(err, &we) && we.Code == wire.CodeBusy:
		s.log.Debug("queued run waits", "computation", name, "run", run, "err", err)
	case we == nil:
		// Not a refusal (the store failed to answer): it stays queued and
		// is tried again at the next poll.
		s.log.Warn("queued run not started, trying again", "computation", name, "run", run, "err", err)
	default:
		s.log.Info("queued run not started", "computation", name, "run", run, "err", err)
		s.shareState(id, name, wire.RunFailed, err.Error())
		s.doneRequest(id[:])
	}
}

// doneRequest removes run id from the shared store's queue, if any.
func (s *Server) doneRequest(id []byte) {
	if s.fwd == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.fwd.DoneRunRequest(ctx, id); err != nil {
		s.log.Warn("finished run left queued", "err", err)
	}
}

// queueRequest queues run id of computation name in the shared store, if
// any, so that the next lease holder runs it if this one does not finish.
func (s *Server) queueRequest(ctx context.Context, name string, id [wire.IDSize]byte) {
	if s.fwd == nil {
		return
	}
	if err := s.fwd.ForwardRun(ctx, name, id[:]); err != nil {
		s.log.Warn("run request not queued in the store: lost if this front end stops before the run ends", "computation", name, "run", fmt.Sprintf("%x", id[:4]), "err", err)
	}
}

// shareState records a run's state in the shared store, if any.
func (s *Server) shareState(id [wire.IDSize]byte, name string, state wire.RunState, text string) {
	if s.fwd == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.fwd.SetRunState(ctx, id[:], name, int(state), text); err != nil {
		s.log.Warn("run state not shared", "run", fmt.Sprintf("%x", id[:4]), "err", err)
	}
}

// sharedStatus is the run's state as the lease holder recorded it.
func (s *Server) sharedStatus(ctx context.Context, name string, id [wire.IDSize]byte) (*wire.RunStatus, error) {
	st := &wire.RunStatus{RunID: id, State: wire.RunUnknown}
	n, state, text, ok, err := s.fwd.RunState(ctx, id[:])
	if err != nil {
		return nil, err
	}
	if ok && n == name {
		st.State, st.Text = wire.RunState(state), text
	}
	return st, nil
}

// DefaultLeaseTTL is the lifetime of a computation lease not renewed.
const DefaultLeaseTTL = 15 * time.Second

const leaseName = "computations"

type lease struct {
	leaser   Leaser
	ttl      time.Duration
	instance string

	mu      sync.Mutex
	held    bool
	ctx     context.Context // while held; cancelled when lost
	cancel  context.CancelFunc
	changed chan struct{} // closed when held changes
	since   time.Time     // when held last changed
}

// defaultInstance names this front end in the lease table.
func defaultInstance() string {
	h, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", h, os.Getpid(), hex.EncodeToString(b[:]))
}

func (l *lease) init(st any, ttl time.Duration, instance string) {
	l.leaser, _ = st.(Leaser)
	l.ttl, l.instance = ttl, instance
	if l.ttl <= 0 {
		l.ttl = DefaultLeaseTTL
	}
	if l.instance == "" {
		l.instance = defaultInstance()
	}
	l.changed = make(chan struct{})
}

// set records whether the lease is held, under parent.
func (l *lease) set(parent context.Context, held bool) (changed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if held == l.held {
		return false
	}
	l.held = held
	l.since = time.Now()
	if held {
		l.ctx, l.cancel = context.WithCancel(parent)
	} else if l.cancel != nil {
		l.cancel()
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return true
}

// Holds reports whether this front end holds the computation lease.
func (l *lease) Holds() bool {
	if l.leaser == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// wait blocks until the lease is held or ctx is done, and returns the
// context of the tenure (nil if ctx is done).
func (l *lease) wait(ctx context.Context) context.Context {
	if l.leaser == nil {
		if ctx.Err() != nil {
			return nil
		}
		return ctx
	}
	for {
		l.mu.Lock()
		held, lctx, ch := l.held, l.ctx, l.changed
		l.mu.Unlock()
		if held {
			return lctx
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ch:
		}
	}
}

// leaseLoop takes and renews the lease until ctx is done, then releases it.
func (s *Server) leaseLoop(ctx context.Context) {
	l := &s.lease
	if l.leaser == nil {
		return
	}
	every := l.ttl / 3
	var renewed time.Time // last successful take or renewal
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if l.Holds() {
				l.set(ctx, false)
				rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				l.leaser.ReleaseLease(rctx, leaseName, l.instance)
				cancel()
				s.log.Info("computation lease released", "instance", l.instance)
			}
			return
		case <-t.C:
		}
		tctx, cancel := context.WithTimeout(ctx, every)
		start := time.Now()
		ok, err := l.leaser.Lease(tctx, leaseName, l.instance, l.ttl)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			// Keep a lease not yet renewed for half its TTL; then stop
			// computing before it can have passed to another front end.
			ok = l.Holds() && time.Since(renewed) < l.ttl/2
			s.log.Warn("computation lease not renewed", "instance", l.instance, "err", err, "still_held", ok)
		case err == nil && ok:
			renewed = start
		}
		if l.set(ctx, ok) {
			if ok {
				s.log.Info("computation lease taken: this front end runs the computations", "instance", l.instance)
			} else {
				s.log.Warn("computation lease lost: another front end runs the computations", "instance", l.instance)
			}
		}
		t.Reset(every)
	}
}

// notHolder is the refusal of a run request at a front end without the
// lease.
func (s *Server) notHolder() error {
	return werr(wire.CodeBusy, "front end %s of party %d does not hold the computation lease; send the request again: the relay passes each request to one of the party's front ends, taking turns", s.lease.instance, s.key.ID)
}

// HoldsLease reports whether this front end holds the computation lease
// (always, on a store that is not shared).
func (s *Server) HoldsLease() bool { return s.lease.Holds() }
