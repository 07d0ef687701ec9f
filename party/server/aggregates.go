package server

import (
	"encoding/json"
	"net/http"

	"github.com/safetrace/safetrace/epoch/epochjob"
)

// serveAggregates answers GET /v1/aggregates on the operator's listener:
// the daily series of the last published exposure epoch
// (epochjob.Aggregates, every count under the k rule), 404 before the
// first.
func (s *Server) serveAggregates(w http.ResponseWriter, _ *http.Request) {
	a, err := epochjob.LatestAggregates(s.host())
	if err != nil {
		http.Error(w, "aggregates unavailable", http.StatusInternalServerError)
		return
	}
	if a == nil {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // counts below k read "< k"
	enc.Encode(a)
}
