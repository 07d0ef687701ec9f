package server

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// host is the Server as the compute.Host of its computations.
type host struct{ s *Server }

func (s *Server) host() compute.Host { return host{s} }

func (h host) Manifest() *manifest.Manifest { return h.s.m }
func (h host) ID() int                      { return h.s.key.ID }
func (h host) Now() time.Time               { return h.s.now() }
func (h host) Logger() *slog.Logger         { return h.s.log }
func (h host) Inputs() compute.Inputs       { return h.s.st }

func (h host) SealResult(user compute.UserKey, share *wire.ResultShare) (store.UserResult, error) {
	share.Party = uint8(h.s.key.ID)
	b, err := share.AppendBinary(nil)
	if err != nil {
		return store.UserResult{}, err
	}
	blob, err := wire.SealResult(h.s.m, h.s.key.ID, user.ResultKey[:], b)
	if err != nil {
		return store.UserResult{}, err
	}
	return store.UserResult{UserKey: user.TokenHash[:], Blob: blob}, nil
}

func (h host) Publish(p *store.Publication) error { return h.s.st.Publish(p, h.s.now()) }

func werr(c wire.Code, format string, args ...any) *wire.Error {
	return &wire.Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// Admit runs the checks every upload shares (idempotent retries, the
// retention window, the authority code) and stores it; see
// compute.Host.Admit.
func (h host) Admit(a *compute.Admission) (wire.Message, error) {
	s := h.s
	// A retry of a stored upload gets its receipt again, even if its code
	// has expired since.
	if rc, ok, err := s.st.Upload(a.ID[:]); err != nil {
		return nil, err
	} else if ok {
		if rc.ContentHash != a.ContentHash {
			return nil, werr(wire.CodeUploadReused, "upload id %x was stored before with other content", a.ID[:4])
		}
		s.metrics.retries.Add(1)
		return s.receipt(rc), nil
	}
	now := s.now()
	w := s.m.Params.Window(now)
	for i, d := range a.Days {
		if !w.Accepts(d) {
			return nil, werr(wire.CodeBadDay, "record %d: day %s outside the retention window %s..%s", i, record.Day(d), record.Day(w.Oldest), record.Day(w.Today+1))
		}
	}
	up := &store.Upload{ID: a.ID[:], ContentHash: a.ContentHash, Records: a.Records}
	if a.Code != "" {
		purpose := a.Purpose
		if purpose == 0 {
			purpose = authority.PositiveTest
		}
		v, err := authority.Check(s.m, a.Code, purpose, now)
		switch {
		case errors.Is(err, authority.ErrWrongPurpose) && purpose == authority.VenueWarning:
			return nil, werr(wire.CodeCodeInvalid, "a venue warning needs a venue-warning code, not a personal one: %v", err)
		case errors.Is(err, authority.ErrWrongPurpose):
			return nil, werr(wire.CodeCodeInvalid, "a personal report needs a positive-test code, not a venue-warning one: %v", err)
		case errors.Is(err, authority.ErrExpired):
			return nil, werr(wire.CodeCodeExpired, "%v", err)
		case err != nil:
			return nil, werr(wire.CodeCodeInvalid, "%v", err)
		}
		// A revoked code is refused like a used one, under its own code;
		// the revocation names the code's own id, before CodeID.
		if s.revokedCode(v.Authority, v.ID) {
			return nil, werr(wire.CodeCodeRevoked, "%v", authority.ErrRevoked)
		}
		id, exp := v.ID, v.Expires
		if a.CodeID != nil {
			id = a.CodeID(id)
		}
		up.Code = &store.CodeUse{ID: id, Expires: exp}
	}
	if a.Lock != nil {
		unlock, err := a.Lock()
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	var rc store.Receipt
	var err error
	if a.Run != "" {
		rc, err = s.st.PutRunInput(up, a.Count, a.Run, a.Input, now)
	} else {
		rc, err = s.st.PutUpload(up, now)
	}
	switch {
	case errors.Is(err, store.ErrCodeUsed):
		return nil, werr(wire.CodeCodeUsed, "%v", err)
	case errors.Is(err, store.ErrUploadReused):
		return nil, werr(wire.CodeUploadReused, "%v", err)
	case errors.Is(err, store.ErrRecordExists):
		return nil, werr(wire.CodeRecordExists, "%v", err)
	case errors.Is(err, store.ErrFull):
		return nil, werr(wire.CodeFull, "the party's store is full; try again after the next expiry")
	case errors.Is(err, store.ErrQuota):
		return nil, werr(wire.CodeQuota, "%v", err)
	case err != nil:
		return nil, err
	}
	return s.receipt(rc), nil
}

// StoreOptions returns the store budgets of manifest m (budget
// store_records and user_day_records; 0 there means no limit).
func StoreOptions(m *manifest.Manifest) store.Options {
	o := store.Options{MaxRecords: m.Params.Budget.StoreRecords, MaxRecordsPerUserDay: m.Params.Budget.UserDayRecords}
	if o.MaxRecords == 0 {
		o.MaxRecords = -1
	}
	if o.MaxRecordsPerUserDay == 0 {
		o.MaxRecordsPerUserDay = -1
	}
	return o
}
