package relay

// PeakQueuedBytes returns the most bytes ever queued for one connection of
// the role ("client" or "party").
func (s *Server) PeakQueuedBytes(r string) int64 {
	if r == roleParty.String() {
		return s.peakQueued[roleParty].Load()
	}
	return s.peakQueued[roleClient].Load()
}
