package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/regionmap"
	"github.com/safetrace/safetrace/wire"
)

// The region map (docs/regionmap.md) keeps the uploads of day D as the
// inputs of run "region-map/in/D" and, once released, the map as the only
// input of run "region-map/out/D"; both expire with the retention window.
// A released day accepts no more uploads: a second map of the same day
// would reveal the difference.
func regionInRun(d store.Day) string  { return "region-map/in/" + d.String() }
func regionOutRun(d store.Day) string { return "region-map/out/" + d.String() }

// regionState serialises "is the day open?" with storing an upload, so no
// upload slips in after a run took its snapshot.
type regionState struct {
	mu      sync.Mutex
	closing map[store.Day]bool
}

func (s *Server) regionClosed(d store.Day) (bool, error) {
	if s.rm.closing[d] {
		return true, nil
	}
	return s.st.RunExists(regionOutRun(d))
}

// regionCodeID is the id under which a code's use for the region map of day
// d is recorded: a code authorises one positive upload per day, apart from
// its use for a positive report.
func regionCodeID(code [16]byte, d uint32) [16]byte {
	h := sha256.New()
	h.Write([]byte("safetrace region-map code v1\x00"))
	h.Write(code[:])
	h.Write([]byte{byte(d >> 24), byte(d >> 16), byte(d >> 8), byte(d)})
	var id [16]byte
	copy(id[:], h.Sum(nil))
	return id
}

// regionInput is the stored form of one upload: id (16) || coded (1) ||
// positive share (8) || presence shares (8 each).
func encodeRegionInput(u *wire.RegionUpload) []byte {
	b := append([]byte(nil), u.ID[:]...)
	if u.Code != "" {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = field.M61Field{}.Append(b, []field.M61{u.Positive})
	return field.M61Field{}.Append(b, u.Presence)
}

func decodeRegionInput(b []byte, regions int) (regionmap.ID, regionmap.Input, error) {
	var id regionmap.ID
	var in regionmap.Input
	if len(b) != 16+1+8*(1+regions) || b[16] > 1 {
		return id, in, fmt.Errorf("stored region input of %d bytes does not fit %d regions", len(b), regions)
	}
	copy(id[:], b)
	in.Coded = b[16] == 1
	var pos [1]field.M61
	if err := (field.M61Field{}).Decode(pos[:], b[17:25]); err != nil {
		return id, in, err
	}
	in.Positive = pos[0]
	in.Presence = make([]field.M61, regions)
	return id, in, field.M61Field{}.Decode(in.Presence, b[25:])
}

// handleRegionUpload stores one participant-day's region shares as an input
// of the day's region-map run.
func (s *Server) handleRegionUpload(ctx context.Context, req []byte) (wire.Message, error) {
	u, hash, err := wire.DecodeRegionUpload(req)
	switch {
	case errors.Is(err, wire.ErrVersion):
		return nil, werr(wire.CodeBadVersion, "%v", err)
	case err != nil:
		return nil, werr(wire.CodeBadFrame, "%v", err)
	}
	if want := len(s.m.Params.Regions); len(u.Presence) != want {
		return nil, werr(wire.CodeBadFrame, "%d region shares, the manifest has %d regions", len(u.Presence), want)
	}
	if rc, ok, err := s.st.Upload(u.ID[:]); err != nil {
		return nil, err
	} else if ok {
		if rc.ContentHash != hash {
			return nil, werr(wire.CodeUploadReused, "upload id %x was stored before with other content", u.ID[:4])
		}
		s.metrics.retries.Add(1)
		return s.receipt(rc), nil
	}
	now := s.now()
	today := store.DayOf(now)
	oldest := int64(today) - int64(s.m.Params.RetentionDays) + 1
	if int64(u.Day) < oldest || int64(u.Day) > int64(today)+1 {
		return nil, werr(wire.CodeBadDay, "day %s outside the retention window %s..%s", store.Day(u.Day), store.Day(max(oldest, 0)), today+1)
	}
	up := &store.Upload{ID: u.ID[:], ContentHash: hash}
	if u.Code != "" {
		id, exp, err := authority.VerifyAt(s.m, u.Code, now)
		switch {
		case errors.Is(err, authority.ErrExpired):
			return nil, werr(wire.CodeCodeExpired, "%v", err)
		case err != nil:
			return nil, werr(wire.CodeCodeInvalid, "%v", err)
		}
		up.Code = &store.CodeUse{ID: regionCodeID(id, u.Day), Expires: exp}
	}
	day := store.Day(u.Day)
	s.rm.mu.Lock()
	defer s.rm.mu.Unlock()
	if closed, err := s.regionClosed(day); err != nil {
		return nil, err
	} else if closed {
		return nil, werr(wire.CodeBadDay, "the region map of %s is released; it takes no more uploads", day)
	}
	rc, err := s.st.PutRunInput(up, len(u.Presence), regionInRun(day), encodeRegionInput(u), now)
	switch {
	case errors.Is(err, store.ErrCodeUsed):
		return nil, werr(wire.CodeCodeUsed, "the code was used for the region map of %s before", day)
	case errors.Is(err, store.ErrUploadReused):
		return nil, werr(wire.CodeUploadReused, "%v", err)
	case err != nil:
		return nil, err
	}
	s.log.Info("region upload stored", "coded", u.Code != "")
	return s.receipt(rc), nil
}

// handleRegionMap serves a released map to anyone: the latest for day 0.
func (s *Server) handleRegionMap(ctx context.Context, req []byte) (wire.Message, error) {
	q, err := wire.DecodeRegionMapRequest(req)
	if err != nil {
		return nil, werr(wire.CodeBadFrame, "%v", err)
	}
	if q.Day != 0 {
		return s.RegionMap(store.Day(q.Day))
	}
	return s.LatestRegionMap()
}

// LatestRegionMap returns the newest released region map of the retention
// window, or an empty response (Day 0).
func (s *Server) LatestRegionMap() (*wire.RegionMapResponse, error) {
	today := store.DayOf(s.now())
	for d := int64(today) + 1; d >= 0 && d > int64(today)-int64(s.m.Params.RetentionDays)-1; d-- {
		m, err := s.RegionMap(store.Day(d))
		if err != nil || m.Day != 0 {
			return m, err
		}
	}
	return &wire.RegionMapResponse{}, nil
}

// RegionMap returns the released region map of day d, or an empty response
// (Day 0) if none was released.
func (s *Server) RegionMap(d store.Day) (*wire.RegionMapResponse, error) {
	var m *wire.RegionMapResponse
	err := s.st.ForEachRunInput(regionOutRun(d), func(b []byte) error {
		var err error
		m, err = wire.DecodeRegionMapResponse(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = &wire.RegionMapResponse{}
	}
	return m, nil
}

// RunRegionMap is this party's side of one region-map run over p: it
// releases the map of every day before today (UTC, by this party's clock)
// that has inputs at some party and no released map, over the uploads held
// by every party; stores each map as the day's public result and deletes
// the day's inputs. Every party must run it at the same time over the same
// mesh. It returns the maps released.
func (s *Server) RunRegionMap(ctx context.Context, p *mpc.Party[field.M61]) ([]*wire.RegionMapResponse, error) {
	m := s.m
	regions, k := len(m.Params.Regions), m.Params.KAnonymity
	today := store.DayOf(s.now())
	oldest := max(int64(today)-int64(m.Params.RetentionDays)+1, 0)
	type dayInputs = map[regionmap.ID]regionmap.Input
	held := map[uint32]dayInputs{}
	var mine []regionmap.Batch
	marked := map[store.Day]bool{}
	defer func() {
		s.rm.mu.Lock()
		for d := range marked {
			delete(s.rm.closing, d)
		}
		s.rm.mu.Unlock()
	}()
	mark := func(d store.Day) {
		s.rm.mu.Lock()
		if !s.rm.closing[d] {
			s.rm.closing[d] = true
			marked[d] = true
		}
		s.rm.mu.Unlock()
	}
	for d := store.Day(oldest); d < today; d++ {
		if ok, err := s.st.RunExists(regionInRun(d)); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		if released, err := s.st.RunExists(regionOutRun(d)); err != nil {
			return nil, err
		} else if released {
			// Left over by a crash between storing the map and deleting
			// the inputs.
			if err := s.st.DeleteRun(regionInRun(d)); err != nil {
				return nil, err
			}
			continue
		}
		mark(d) // before reading: uploads stored from now on are refused
		ins := dayInputs{}
		b := regionmap.Batch{Day: uint32(d)}
		err := s.st.ForEachRunInput(regionInRun(d), func(v []byte) error {
			id, in, err := decodeRegionInput(v, regions)
			if err != nil {
				return err
			}
			if _, dup := ins[id]; !dup {
				ins[id] = in
				b.IDs = append(b.IDs, id)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		held[uint32(d)] = ins
		mine = append(mine, b)
	}
	agreed, err := regionmap.Agree(ctx, p, mine)
	if err != nil {
		return nil, err
	}
	// Compute every day first and store the maps only once all are known,
	// so a failed attempt (which the runner repeats) stores nothing.
	var out []*wire.RegionMapResponse
	for _, b := range agreed {
		d := store.Day(b.Day)
		mark(d)
		if len(b.IDs) == 0 {
			continue
		}
		ins := make([]regionmap.Input, len(b.IDs))
		for i, id := range b.IDs {
			ins[i] = held[b.Day][id] // every party holds every agreed id
		}
		res, err := regionmap.Compute(ctx, p, ins, regions, k)
		if err != nil {
			return nil, fmt.Errorf("server: region map of %s: %w", d, err)
		}
		rm := &wire.RegionMapResponse{Day: b.Day, Uploads: uint32(len(ins)), Rejected: uint32(res.Rejected()), K: uint32(k)}
		for _, c := range res.Released {
			rm.Released = append(rm.Released, wire.RegionCount{Region: uint16(c.Region), Count: uint32(c.Count)})
		}
		out = append(out, rm)
		s.log.Info("region map computed", "day", d.String(), "uploads", rm.Uploads, "rejected", rm.Rejected, "released", len(rm.Released), "kappa", res.Kappa)
	}
	for _, rm := range out {
		enc, err := rm.AppendBinary(nil)
		if err != nil {
			return nil, err
		}
		if err := s.st.AddRunInput(regionOutRun(store.Day(rm.Day)), enc, s.now()); err != nil {
			return nil, err
		}
	}
	for _, b := range agreed {
		if err := s.st.DeleteRun(regionInRun(store.Day(b.Day))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RegionMapSummary is the public summary of a region-map run: the maps it
// released.
type RegionMapSummary struct {
	Days []RegionMapDay `json:"days"`
}

// RegionMapDay summarises one released map.
type RegionMapDay struct {
	Day      string `json:"day"`
	Uploads  uint32 `json:"uploads"`
	Rejected uint32 `json:"rejected"`
	Released int    `json:"regions_released"`
}

// regionMap is the region map as a Computation of the runner.
func (s *Server) regionMap(ctx context.Context, run *Run) (any, error) {
	p, err := mpc.New(ctx, field.M61Field{}, run.T, run.Conn)
	if err != nil {
		return nil, err
	}
	maps, err := s.RunRegionMap(ctx, p)
	if err != nil {
		return nil, err
	}
	sum := RegionMapSummary{Days: []RegionMapDay{}}
	for _, m := range maps {
		sum.Days = append(sum.Days, RegionMapDay{Day: store.Day(m.Day).String(), Uploads: m.Uploads, Rejected: m.Rejected, Released: len(m.Released)})
	}
	return sum, nil
}
