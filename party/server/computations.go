package server

import (
	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/epoch/epochjob"
	"github.com/safetrace/safetrace/regionmap/regionjob"
)

// computations returns the computations of this build, each new for one
// server. A new computation is one more line here (and its manifest entry).
func computations() []compute.Computation {
	return []compute.Computation{
		epochjob.Exposure{},
		regionjob.New(),
	}
}

// Host returns the server as the host of its computations.
func (s *Server) Host() compute.Host { return s.host() }

// Computation returns the registered computation name.
func (s *Server) Computation(name string) (compute.Computation, bool) {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	c, ok := s.runs.comps[name]
	return c, ok
}
