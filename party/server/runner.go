package server

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/epoch"
	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/wire"
)

// Computation runs (docs/epoch.md, "In the parties"): a computation of the
// manifest is registered with [Server.RegisterComputation] and then runs at
// every party, on the manifest's schedule or when an operator's signed
// wire.RunRequest arrives through a relay. Each run brings up a fresh mesh
// whose session is manifest hash || name || 0x00 || run id, so the parties
// of different runs never connect to each other, builds an mpc.Party over
// it, calls the computation and tears everything down. A failed attempt (a
// party lost, a timeout) is tried again, a bounded number of times with
// growing waits; the parties do not coordinate attempts: a mesh set-up
// waits up to the mesh timeout for the others, which absorbs the
// difference.

// Defaults of the run machinery.
const (
	// DefaultRunRetryWait is the wait before the second attempt of a run;
	// it doubles for each further attempt.
	DefaultRunRetryWait = 2 * time.Second
	// DefaultMinRunInterval is the least time between the starts of two
	// requested runs of one computation at a party.
	DefaultMinRunInterval = 10 * time.Second

	runAttempts  = 3               // attempts per run
	runClockSkew = 5 * time.Minute // accepted age of a RunRequest
	runsKept     = 64              // runs remembered for status and replay
)

type runRecord struct {
	name                  string
	state                 wire.RunState
	text                  string // summary JSON when done, error when failed
	attempts              int
	queued, start, finish time.Time
}

type runner struct {
	mu          sync.Mutex
	comps       map[string]compute.Computation
	runs        map[[wire.IDSize]byte]*runRecord
	order       [][wire.IDSize]byte
	queue       chan [wire.IDSize]byte
	active      map[string][wire.IDSize]byte // computation -> its pending or running run
	lastRequest map[string]time.Time         // computation -> last requested start
	lastSeconds map[string]float64           // computation -> duration of its last finished run
}

func (r *runner) init() {
	r.comps = map[string]compute.Computation{}
	r.runs = map[[wire.IDSize]byte]*runRecord{}
	r.queue = make(chan [wire.IDSize]byte, runsKept)
	r.active = map[string][wire.IDSize]byte{}
	r.lastRequest = map[string]time.Time{}
	r.lastSeconds = map[string]float64{}
}

// RegisterComputation makes c runnable at this party, on request and on
// its schedule, replacing any computation registered before under its name,
// and registers its request handlers. Runs of a name the manifest does not
// list are refused. Call it before Run; New registers the computations of
// this build (computations.go).
func (s *Server) RegisterComputation(c compute.Computation) {
	s.runs.mu.Lock()
	s.runs.comps[c.Name()] = c
	s.runs.mu.Unlock()
	if r, ok := c.(compute.Requests); ok {
		for t, h := range r.Handlers(s.host()) {
			s.Register(t, Handler(h))
		}
	}
}

// StartRun queues run id of computation name, as an operator's request
// does, and returns its state: wire.RunPending when queued now, the run's
// state when id is known already (a repeated request starts nothing). It
// refuses, with a *wire.Error of code wire.CodeBusy, a run while another
// run of name is pending or running, or sooner than the minimum interval
// after the last requested one. Runs execute one at a time: they share the
// party's mesh address.
func (s *Server) StartRun(name string, id [wire.IDSize]byte) (wire.RunState, error) {
	return s.startRun(name, id, true)
}

func (s *Server) startRun(name string, id [wire.IDSize]byte, requested bool) (wire.RunState, error) {
	h, ok := s.m.Computation(name)
	if !ok {
		return 0, &wire.Error{Code: wire.CodeBadFrame, Message: fmt.Sprintf("manifest does not list computation %q", name)}
	}
	if h != manifest.ComputationHash(name) {
		return 0, &wire.Error{Code: wire.CodeBadFrame, Message: fmt.Sprintf("the manifest's %s is version %s, this party implements %s", name, h, manifest.ComputationHash(name))}
	}
	if !s.lease.Holds() {
		return 0, s.notHolder()
	}
	r := &s.runs
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.comps[name]; !ok {
		return 0, &wire.Error{Code: wire.CodeBadFrame, Message: fmt.Sprintf("computation %q is not available at this party", name)}
	}
	if rec, ok := r.runs[id]; ok {
		if rec.name != name {
			return 0, &wire.Error{Code: wire.CodeBadFrame, Message: "run id used by another computation"}
		}
		return rec.state, nil
	}
	if done, err := s.st.RunExists(finishedRun(id)); err != nil {
		return 0, err
	} else if done {
		// Remembered across restarts: a replayed request of a finished run
		// starts nothing.
		return 0, &wire.Error{Code: wire.CodeBadFrame, Message: fmt.Sprintf("run %x finished at this party before; a run id runs once", id[:4])}
	}
	now := s.now()
	if other, ok := r.active[name]; ok {
		return 0, &wire.Error{Code: wire.CodeBusy, Message: fmt.Sprintf("run %x of %s is %v", other[:4], name, r.runs[other].state)}
	}
	if requested {
		if d := now.Sub(r.lastRequest[name]); s.cfg.MinRunInterval > 0 && d < s.cfg.MinRunInterval {
			return 0, &wire.Error{Code: wire.CodeBusy, Message: fmt.Sprintf("the last run of %s was requested %v ago", name, d.Round(time.Second))}
		}
	}
	select {
	case r.queue <- id:
	default:
		return 0, &wire.Error{Code: wire.CodeBusy, Message: "too many runs queued"}
	}
	if requested {
		r.lastRequest[name] = now
	}
	r.active[name] = id
	r.runs[id] = &runRecord{name: name, state: wire.RunPending, queued: now}
	s.shareState(id, name, wire.RunPending, "")
	r.order = append(r.order, id)
	for len(r.order) > runsKept {
		old := r.order[0]
		if rec := r.runs[old]; rec.state == wire.RunPending || rec.state == wire.RunRunning {
			break
		}
		delete(r.runs, old)
		r.order = r.order[1:]
	}
	s.metrics.runsStarted.Add(1)
	return wire.RunPending, nil
}

// forgetRun drops run id from the runs this front end remembers, so that
// it can start again.
func (s *Server) forgetRun(id [wire.IDSize]byte) {
	r := &s.runs
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.runs[id]
	if !ok || rec.state == wire.RunPending || rec.state == wire.RunRunning {
		return
	}
	delete(r.runs, id)
	r.order = slices.DeleteFunc(r.order, func(o [wire.IDSize]byte) bool { return o == id })
}

// RunStatus returns what this party knows of run id: wire.RunUnknown if
// nothing (never requested here, forgotten, or the party restarted since).
func (s *Server) RunStatus(id [wire.IDSize]byte) *wire.RunStatus {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	st := &wire.RunStatus{RunID: id, State: wire.RunUnknown}
	if rec, ok := s.runs.runs[id]; ok {
		st.State, st.Text = rec.state, rec.text
	}
	return st
}

// ScheduledRunID is the run id every party derives for the run of name in
// the schedule slot starting at slot, so scheduled runs need no
// coordination.
func ScheduledRunID(name string, slot time.Time) [wire.IDSize]byte {
	h := sha256.New()
	h.Write([]byte("safetrace scheduled run v1\x00" + name + "\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(slot.Unix())))
	var id [wire.IDSize]byte
	copy(id[:], h.Sum(nil))
	return id
}

// schedule starts a run of name at every UTC-aligned multiple of period
// (for "1h": on the hour).
func (s *Server) schedule(ctx context.Context, name string, period time.Duration) {
	for {
		now := s.now()
		slot := now.Truncate(period).Add(period)
		t := time.NewTimer(slot.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if !s.lease.Holds() {
			s.log.Debug("scheduled run left to the lease holder", "computation", name)
			continue
		}
		if _, err := s.startRun(name, ScheduledRunID(name, slot), false); err != nil {
			s.log.Warn("scheduled run not started", "computation", name, "err", err)
		}
	}
}

// runLoop executes queued runs, one at a time, while this front end holds
// the computation lease, until ctx ends. A run in progress when the lease is
// lost is cancelled.
func (s *Server) runLoop(ctx context.Context) {
	for {
		lctx := s.lease.wait(ctx)
		if lctx == nil {
			s.failQueued("party stopped")
			return
		}
		select {
		case <-ctx.Done():
			s.failQueued("party stopped")
			return
		case <-lctx.Done():
			s.failQueued("computation lease lost")
		case id := <-s.runs.queue:
			s.execute(lctx, id)
		}
	}
}

// failQueued marks every pending run failed.
func (s *Server) failQueued(why string) {
	r := &s.runs
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, id := range r.active {
		if rec := r.runs[id]; rec.state == wire.RunPending {
			rec.state, rec.text, rec.finish = wire.RunFailed, why, s.now()
			delete(r.active, name)
		}
	}
}

func (s *Server) execute(ctx context.Context, id [wire.IDSize]byte) {
	r := &s.runs
	r.mu.Lock()
	rec := r.runs[id]
	var comp compute.Computation
	if rec != nil && rec.state != wire.RunPending {
		rec = nil // failed while queued (the lease was lost)
	}
	if rec != nil {
		comp = r.comps[rec.name]
		rec.state, rec.start = wire.RunRunning, s.now()
	}
	r.mu.Unlock()
	if rec == nil || comp == nil {
		return
	}
	s.shareState(id, rec.name, wire.RunRunning, "")
	log := s.log.With("computation", rec.name, "run", fmt.Sprintf("%x", id[:4]))
	log.Info("run started", "waited_seconds", rec.start.Sub(rec.queued).Seconds())
	var summary compute.Summary
	var err error
	attempts := 0
	wait := s.cfg.RunRetryWait
	for attempt := 0; attempt < runAttempts && ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			log.Warn("run attempt failed, trying again", "attempt", attempt, "wait", wait, "aborted", aborted(err), "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait *= 2
			if ctx.Err() != nil {
				break
			}
		}
		attempts++
		summary, err = s.attempt(ctx, rec.name, id, attempt, comp, log)
		if err == nil {
			break
		}
	}
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("party stopped: %w", ctx.Err())
	}
	state, text := wire.RunDone, ""
	if err != nil {
		state, text = wire.RunFailed, err.Error()
		s.metrics.runsFailed.Add(1)
		log.Error("run failed", "attempts", attempts, "aborted", aborted(err), "seconds", s.now().Sub(rec.start).Seconds(), "err", err)
	} else {
		text = summaryText(summary)
		s.metrics.runsDone.Add(1)
		if c, ok := summary.(interface {
			Counts() map[string]compute.Count
		}); ok {
			s.metrics.epoch(c.Counts())
		}
		log.Info("run done", "attempts", attempts, "seconds", s.now().Sub(rec.start).Seconds(), "summary", text)
	}
	if len(text) > wire.MaxStatusText {
		text = text[:wire.MaxStatusText]
		if state == wire.RunDone {
			text = `{"truncated":true}`
		}
	}
	if ctx.Err() == nil {
		if err := s.st.AddRunInput(finishedRun(id), []byte(rec.name), s.now()); err != nil {
			log.Error("finished run not recorded", "err", err)
		}
		// Finished: out of the shared queue. A run cut short by the loss
		// of the lease or a stop stays there for the next holder.
		s.doneRequest(id[:])
	}
	s.shareState(id, rec.name, state, text)
	r.mu.Lock()
	rec.state, rec.text, rec.attempts, rec.finish = state, text, attempts, s.now()
	r.lastSeconds[rec.name] = rec.finish.Sub(rec.start).Seconds()
	delete(r.active, rec.name)
	r.mu.Unlock()
}

// summaryText is the JSON of a run's summary for its status text, without
// HTML escapes (a count below k reads "< k", not "\u003c k").
func summaryText(summary compute.Summary) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(summary); err != nil {
		b.Reset()
		enc.Encode(map[string]string{"summary_error": err.Error()})
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// aborted reports whether err is a clean abort: a lost or silent party.
func aborted(err error) bool {
	return errors.Is(err, epoch.ErrAborted) || errors.Is(err, transport.ErrPeerGone) || errors.Is(err, transport.ErrTimeout)
}

// finishedRun names the store entry that remembers run id as finished at
// this party (done or failed), for as long as the retention window: a
// RunRequest is valid for runClockSkew, so a party that restarted must still
// refuse a replay of a run it finished.
func finishedRun(id [wire.IDSize]byte) string { return fmt.Sprintf("finished/%x", id) }

// RunSession returns the mesh session of run id of computation name:
// manifest hash || name || 0x00 || run id.
func (s *Server) RunSession(name string, id [wire.IDSize]byte) []byte {
	b := append(s.mhash[:len(s.mhash):len(s.mhash)], name...)
	b = append(b, 0)
	return append(b, id[:]...)
}

// attempt runs one attempt over a fresh mesh of the run. The session has
// no attempt number: a party that restarted and was asked again joins the
// others' current attempt, and a mesh accepts no connections once it is up,
// so attempts cannot mix.
func (s *Server) attempt(ctx context.Context, name string, id [wire.IDSize]byte, attempt int, comp compute.Computation, log *slog.Logger) (compute.Summary, error) {
	start := time.Now()
	cfg := MeshConfig(s.m, s.key, name, nil, s.cfg.MeshTimeout)
	cfg.Session = s.RunSession(name, id)
	conn, err := transport.NewMesh(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("mesh: %w", err)
	}
	defer conn.Close()
	p, err := mpc.New(ctx, field.ScalarField{}, s.m.T, conn)
	if err != nil {
		return nil, fmt.Errorf("mpc set-up: %w", err)
	}
	log.Info("run mesh up", "attempt", attempt, "seconds", time.Since(start).Seconds())
	run := &compute.Run{Name: name, ID: id, Attempt: attempt, Party: p, Conn: conn, T: s.m.T, Log: log.With("attempt", attempt)}
	last, step := time.Now(), s.metrics.steps.MustCurryWith(map[string]string{"computation": name})
	run.Hook = func(stage string) error {
		now := time.Now()
		step.WithLabelValues(stage).Observe(now.Sub(last).Seconds())
		last = now
		if s.hook != nil {
			return s.hook(run, stage)
		}
		return nil
	}
	sum, err := comp.Run(ctx, s.host(), run)
	if err == nil {
		step.WithLabelValues("end").Observe(time.Since(last).Seconds())
	}
	return sum, err
}

// handleRun answers a signed RunRequest: it starts the run if the request
// is signed by at least t+1 parties of the manifest, issued within runClockSkew of this
// party's clock, and allowed (see StartRun).
func (s *Server) handleRun(ctx context.Context, req []byte) (wire.Message, error) {
	q, err := wire.DecodeRunRequest(req)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: err.Error()}
	}
	// More signatures than parties cannot be a quorum's: refuse them
	// before verifying any, so a request cannot buy 64 verifications.
	if len(q.Signatures) > s.m.N {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: fmt.Sprintf("run request: %d signatures, the deployment has %d parties", len(q.Signatures), s.m.N)}
	}
	signers := q.Signers(func(id int) (ed25519.PublicKey, bool) {
		p, ok := s.m.Party(id)
		return ed25519.PublicKey(p.SignKey), ok
	}, s.mhash)
	if len(signers) < s.m.T+1 {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: fmt.Sprintf("run request: %d valid party signatures, a run on request needs t+1 = %d", len(signers), s.m.T+1)}
	}
	if d := s.now().Sub(time.Unix(q.Issued, 0)); d > runClockSkew || d < -runClockSkew {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: fmt.Sprintf("run request issued %s away from this party's clock", d.Round(time.Second))}
	}
	if !s.lease.Holds() && s.fwd != nil {
		// Another front end holds the lease: pass the request on to it.
		if err := s.fwd.ForwardRun(ctx, q.Name, q.RunID[:]); err != nil {
			return nil, err
		}
		s.log.Info("run request forwarded to the lease holder", "computation", q.Name, "run", fmt.Sprintf("%x", q.RunID[:4]), "signers", fmt.Sprint(signers))
		st, err := s.sharedStatus(ctx, q.Name, q.RunID)
		if err != nil {
			return nil, err
		}
		if st.State == wire.RunUnknown {
			st.State = wire.RunPending
		}
		return st, nil
	}
	st, err := s.StartRun(q.Name, q.RunID)
	if err != nil {
		return nil, err
	}
	if st == wire.RunPending || st == wire.RunRunning {
		// Queued in the shared store too, until the run finished: if this
		// front end dies or loses the lease first, the next holder runs it.
		s.queueRequest(ctx, q.Name, q.RunID)
	}
	s.log.Info("run requested", "computation", q.Name, "run", fmt.Sprintf("%x", q.RunID[:4]), "signers", fmt.Sprint(signers))
	return s.RunStatus(q.RunID), nil
}

// handleStatus answers a StatusRequest.
func (s *Server) handleStatus(ctx context.Context, req []byte) (wire.Message, error) {
	q, err := wire.DecodeStatusRequest(req)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: err.Error()}
	}
	if !s.lease.Holds() {
		if s.fwd != nil {
			return s.sharedStatus(ctx, q.Name, q.RunID)
		}
		return nil, s.notHolder()
	}
	st := s.RunStatus(q.RunID)
	if st.State == wire.RunUnknown && s.fwd != nil {
		// A run of an earlier holder.
		return s.sharedStatus(ctx, q.Name, q.RunID)
	}
	s.runs.mu.Lock()
	if rec, ok := s.runs.runs[q.RunID]; ok && rec.name != q.Name {
		st = &wire.RunStatus{RunID: q.RunID, State: wire.RunUnknown}
	}
	s.runs.mu.Unlock()
	return st, nil
}

// LastRun returns the id of the newest successful run of name.
func (s *Server) LastRun(name string) ([wire.IDSize]byte, bool) {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	for i := len(s.runs.order) - 1; i >= 0; i-- {
		id := s.runs.order[i]
		if rec := s.runs.runs[id]; rec.name == name && rec.state == wire.RunDone {
			return id, true
		}
	}
	return [wire.IDSize]byte{}, false
}
