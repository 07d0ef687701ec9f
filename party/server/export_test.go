package server

import (
	"context"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/wire"
)

// SetTestHook makes s call hook at stages of its exposure epochs ("agreed",
// "sealed"); an error from hook aborts the attempt there.
func SetTestHook(s *Server, hook func(run *compute.Run, stage string) error) { s.hook = hook }

// SetMetricsClock makes s's metrics read the time from now (their slots).
func SetMetricsClock(s *Server, now func() time.Time) {
	s.metrics.mu.Lock()
	s.metrics.now = now
	s.metrics.mu.Unlock()
}

// RevokedCode reports whether s refuses code id of authority key as revoked.
func RevokedCode(s *Server, key []byte, id [16]byte) bool { return s.revokedCode(key, id) }

// HandleRun answers the encoded RunRequest req as if it came through a
// relay.
func HandleRun(s *Server, ctx context.Context, req []byte) (wire.Message, error) {
	return s.handleRun(ctx, req)
}
