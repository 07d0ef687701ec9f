package server

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/safetrace/safetrace/internal/wire"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/party/manifest"
)

// A Computation is one computation of the manifest that the parties run
// together over a fresh mesh. It returns a public summary (JSON-encodable)
// and must write nothing durable unless it succeeds.
type Computation func(ctx context.Context, run *Run) (summary any, err error)

// Run is one run of a computation at this party.
type Run struct {
	Name    string
	ID      [wire.IDSize]byte
	Attempt int
	Conn    transport.Conn // the mesh for this run, closed after the run
	T       int            // threshold of the deployment
	Log     *slog.Logger
}

// Run attempts: a run whose mesh or computation fails (a party lost, a
// timeout) is tried again this many times, after runRetryWait; every party
// does the same, and the mesh of each attempt has its own session.
const (
	runAttempts  = 3
	runRetryWait = 2 * time.Second
	runClockSkew = 5 * time.Minute // accepted age of a RunRequest
	runsKept     = 64              // finished runs remembered for status
)

type runRecord struct {
	name       string
	state      wire.RunState
	text       string
	start, end time.Time
}

type runner struct {
	mu    sync.Mutex
	comps map[string]Computation
	runs  map[[wire.IDSize]byte]*runRecord
	order [][wire.IDSize]byte
	queue chan [wire.IDSize]byte
}

func (r *runner) init() {
	r.comps = map[string]Computation{}
	r.runs = map[[wire.IDSize]byte]*runRecord{}
	r.queue = make(chan [wire.IDSize]byte, runsKept)
}

// RegisterComputation makes name (which the manifest must list) runnable
// on schedule and on request.
func (s *Server) RegisterComputation(name string, c Computation) {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	s.runs.comps[name] = c
}

// StartRun queues a run of name with id unless that run is known, and
// returns its state. Runs execute one at a time: they share the party's
// mesh address.
func (s *Server) StartRun(name string, id [wire.IDSize]byte) (wire.RunState, error) {
	h, ok := s.m.Computation(name)
	if !ok {
		return 0, fmt.Errorf("server: manifest does not list computation %q", name)
	}
	if h != manifest.ComputationHash(name) {
		return 0, fmt.Errorf("server: the manifest's %s is version %s, this party implements %s", name, h, manifest.ComputationHash(name))
	}
	r := &s.runs
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.comps[name]; !ok {
		return 0, fmt.Errorf("server: computation %q is not available at this party", name)
	}
	if rec, ok := r.runs[id]; ok {
		return rec.state, nil
	}
	select {
	case r.queue <- id:
	default:
		return 0, errors.New("server: too many runs queued")
	}
	r.runs[id] = &runRecord{name: name, state: wire.RunRunning, start: s.now()}
	r.order = append(r.order, id)
	if len(r.order) > runsKept {
		delete(r.runs, r.order[0])
		r.order = r.order[1:]
	}
	s.metrics.runsStarted.Add(1)
	return wire.RunRunning, nil
}

// RunStatus returns what this party knows of run id.
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

// schedule starts a run of name at every UTC-aligned multiple of period.
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
		if _, err := s.StartRun(name, ScheduledRunID(name, slot)); err != nil {
			s.log.Warn("scheduled run not started", "computation", name, "err", err)
		}
	}
}

// runLoop executes queued runs until ctx ends.
func (s *Server) runLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.runs.queue:
			s.execute(ctx, id)
		}
	}
}

func (s *Server) execute(ctx context.Context, id [wire.IDSize]byte) {
	s.runs.mu.Lock()
	rec := s.runs.runs[id]
	var comp Computation
	if rec != nil {
		comp = s.runs.comps[rec.name]
	}
	s.runs.mu.Unlock()
	if rec == nil || comp == nil {
		return
	}
	log := s.log.With("computation", rec.name, "run", fmt.Sprintf("%x", id[:4]))
	var summary any
	var err error
	for attempt := 0; attempt < runAttempts; attempt++ {
		if attempt > 0 {
			log.Warn("run failed, trying again", "attempt", attempt, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(runRetryWait):
			}
		}
		summary, err = s.attempt(ctx, rec.name, id, attempt, comp, log)
		if err == nil {
			break
		}
	}
	state, text := wire.RunDone, ""
	if err != nil {
		state, text = wire.RunFailed, err.Error()
		s.metrics.runsFailed.Add(1)
		log.Error("run failed", "err", err)
	} else {
		b, jerr := json.Marshal(summary)
		if jerr != nil {
			b = []byte(fmt.Sprintf("%q", jerr.Error()))
		}
		text = string(b)
		s.metrics.runsDone.Add(1)
		log.Info("run done", "seconds", s.now().Sub(rec.start).Seconds())
	}
	if len(text) > wire.MaxStatusText {
		text = text[:wire.MaxStatusText]
	}
	s.runs.mu.Lock()
	rec.state, rec.text, rec.end = state, text, s.now()
	s.runs.mu.Unlock()
}

// RunInfo describes one recent run for the operators' dashboard.
type RunInfo struct {
	ID          string          `json:"id"`
	Computation string          `json:"computation"`
	State       string          `json:"state"`
	Started     time.Time       `json:"started"`
	Seconds     float64         `json:"seconds,omitempty"`
	Summary     json.RawMessage `json:"summary,omitempty"`
	Error       string          `json:"error,omitempty"`
}

// Runs lists the recent runs, oldest first.
func (s *Server) Runs() []RunInfo {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	out := make([]RunInfo, 0, len(s.runs.order))
	for _, id := range s.runs.order {
		rec := s.runs.runs[id]
		ri := RunInfo{ID: fmt.Sprintf("%x", id), Computation: rec.name, State: rec.state.String(), Started: rec.start}
		if !rec.end.IsZero() {
			ri.Seconds = rec.end.Sub(rec.start).Seconds()
		}
		switch rec.state {
		case wire.RunDone:
			if json.Valid([]byte(rec.text)) {
				ri.Summary = json.RawMessage(rec.text)
			}
		case wire.RunFailed:
			ri.Error = rec.text
		}
		out = append(out, ri)
	}
	return out
}

// attempt runs one attempt over a mesh whose session names the deployment,
// the computation, the run and the attempt.
func (s *Server) attempt(ctx context.Context, name string, id [wire.IDSize]byte, attempt int, comp Computation, log *slog.Logger) (any, error) {
	cfg := MeshConfig(s.m, s.key, name, nil, s.cfg.MeshTimeout)
	cfg.Session = append(cfg.Session, 0)
	cfg.Session = append(cfg.Session, id[:]...)
	cfg.Session = append(cfg.Session, byte(attempt))
	conn, err := transport.NewMesh(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("mesh: %w", err)
	}
	defer conn.Close()
	return comp(ctx, &Run{Name: name, ID: id, Attempt: attempt, Conn: conn, T: s.m.T, Log: log})
}

// handleRun answers a signed RunRequest.
func (s *Server) handleRun(ctx context.Context, req []byte) (wire.Message, error) {
	q, err := wire.DecodeRunRequest(req)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: err.Error()}
	}
	p, ok := s.m.Party(int(q.Signer))
	if !ok || !q.Verify(p.SignKey, s.mhash) {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: "run request: signature does not verify"}
	}
	if d := s.now().Sub(time.Unix(q.Issued, 0)); d > runClockSkew || d < -runClockSkew {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: fmt.Sprintf("run request issued %s away from this party's clock", d.Round(time.Second))}
	}
	if _, err := s.StartRun(q.Name, q.RunID); err != nil {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: err.Error()}
	}
	return s.RunStatus(q.RunID), nil
}

// handleStatus answers a StatusRequest.
func (s *Server) handleStatus(ctx context.Context, req []byte) (wire.Message, error) {
	q, err := wire.DecodeStatusRequest(req)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: err.Error()}
	}
	return s.RunStatus(q.RunID), nil
}

// LastRun returns the id of the newest finished, successful run of name.
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
