package server

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/safetrace/safetrace/wire"
)

// RunInfo describes one recent run for the operators' dashboard
// (GET /v1/epochs).
type RunInfo struct {
	ID          string          `json:"id"`
	Computation string          `json:"computation"`
	State       string          `json:"state"` // pending, running, done or failed
	Queued      time.Time       `json:"queued"`
	Started     time.Time       `json:"started,omitzero"`
	Seconds     float64         `json:"seconds,omitempty"` // from start to finish
	Attempts    int             `json:"attempts,omitempty"`
	Summary     json.RawMessage `json:"summary,omitempty"`
	Error       string          `json:"error,omitempty"`
}

// Runs lists the runs this party remembers, oldest first.
func (s *Server) Runs() []RunInfo {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	out := make([]RunInfo, 0, len(s.runs.order))
	for _, id := range s.runs.order {
		rec := s.runs.runs[id]
		ri := RunInfo{ID: fmt.Sprintf("%x", id), Computation: rec.name, State: rec.state.String(),
			Queued: rec.queued, Started: rec.start, Attempts: rec.attempts}
		if !rec.finish.IsZero() && !rec.start.IsZero() {
			ri.Seconds = rec.finish.Sub(rec.start).Seconds()
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

// lastRunSeconds returns the duration of the last finished run of every
// computation.
func (s *Server) lastRunSeconds() map[string]float64 {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	out := make(map[string]float64, len(s.runs.lastSeconds))
	for k, v := range s.runs.lastSeconds {
		out[k] = v
	}
	return out
}
