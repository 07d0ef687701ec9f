package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/safetrace/safetrace/epoch"
	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
)

// ExposureSummary is the public outcome of an exposure epoch at one party:
// only what the parties learn anyway (design section 2).
type ExposureSummary struct {
	Records         int `json:"records"`
	PositiveRecords int `json:"positive_records"`
	Held            int `json:"held"` // records this party held before the agreement
	Reports         int `json:"reports"`
	RejectedReports int `json:"rejected_reports"`
	Users           int `json:"users"`
	UserDays        int `json:"user_days"`
	// GroupSizes[s] is the number of (place, time) keys shared by exactly s
	// records; sizes with fewer than k keys are left out (k-anonymity).
	GroupSizes map[int]int        `json:"group_sizes"`
	Seconds    map[string]float64 `json:"seconds"`
	Rounds     int                `json:"rounds"`
}

type exposureRecord struct {
	id  [sha256.Size]byte // hash of (upload id, record id): the same at every party
	rec store.Record
}

// exposure is the exposure epoch (docs/epoch.md) as a Computation: it loads
// the records of the retention window, agrees on the record set with the
// other parties, runs the epoch and stores every user's sealed result shares
// in one transaction.
func (s *Server) exposure(ctx context.Context, run *Run) (Summary, error) {
	start := time.Now()
	m := s.m
	today := store.DayOf(s.now())
	from := store.Day(max(int64(today)-int64(m.Params.RetentionDays)+1, 0))
	var recs []exposureRecord
	err := s.st.ForEachRecord(from, today+1, func(r *store.Record) error {
		h := sha256.New()
		h.Write([]byte{byte(len(r.UploadID))})
		h.Write(r.UploadID)
		h.Write(r.ID)
		e := exposureRecord{rec: *r}
		copy(e.id[:], h.Sum(nil))
		e.rec.UploadID = bytes.Clone(r.UploadID)
		e.rec.ResultKey = bytes.Clone(r.ResultKey)
		e.rec.Share = bytes.Clone(r.Share)
		recs = append(recs, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b exposureRecord) int { return bytes.Compare(a.id[:], b.id[:]) })
	recs = slices.CompactFunc(recs, func(a, b exposureRecord) bool { return a.id == b.id })

	// Erase the epoch's shares from memory when done, whatever happens (as
	// far as Go lets us: the store's pages and the garbage collector may
	// keep copies).
	defer func() {
		for i := range recs {
			clear(recs[i].rec.Share)
		}
	}()
	held := len(recs)
	p := run.Party
	if recs, err = agreeRecords(ctx, p, recs); err != nil {
		return nil, fmt.Errorf("agreeing on records: %w", err)
	}
	loaded := time.Since(start)
	run.Log.Info("epoch records agreed", "held", held, "agreed", len(recs), "seconds", loaded.Seconds())
	if err := s.testHook(run, "agreed"); err != nil {
		return nil, err
	}

	// Public fields: users by their key, reports by their upload.
	users := map[string]int{}
	var userKeys []UserKey
	reports := map[string]int{}
	in := make([]epoch.Record, len(recs))
	defer clear(in)
	for i, e := range recs {
		pt, w, mins, err := wire.DecodeShare(e.rec.Share)
		if err != nil {
			return nil, fmt.Errorf("stored record: %w", err)
		}
		r := epoch.Record{User: -1, Report: -1, Day: int32(e.rec.Day), Point: pt, Weight: w, Minutes: mins}
		if e.rec.Kind == store.KindPositive {
			q, ok := reports[string(e.rec.UploadID)]
			if !ok {
				q = len(reports)
				reports[string(e.rec.UploadID)] = q
			}
			r.Report = q
		} else {
			u, ok := users[string(e.rec.ResultKey)]
			if !ok {
				uk, err := ParseUserKey(e.rec.ResultKey)
				if err != nil {
					return nil, err
				}
				u = len(userKeys)
				users[string(e.rec.ResultKey)] = u
				userKeys = append(userKeys, uk)
			}
			r.User = u
		}
		in[i] = r
	}
	risk := m.Params.Risk
	out, err := epoch.Run(ctx, p, in, epoch.Params{
		Threshold: uint64(risk.ThresholdWeightedMinutes) * uint64(risk.WeightScale),
		MaxWeight: uint64(risk.MaxWeight),
		Log:       run.Log,
	})
	if err != nil {
		return nil, err
	}

	// One sealed ResultShare per user, all stored in one transaction that
	// replaces the user's older results.
	byUser := map[int]*wire.ResultShare{}
	for _, r := range out.Results {
		rs := byUser[r.User]
		if rs == nil {
			rs = &wire.ResultShare{Party: uint8(s.key.ID), ID: run.ID}
			byUser[r.User] = rs
		}
		rs.Days = append(rs.Days, uint32(r.Day))
		rs.Values = append(rs.Values, r.Bit)
	}
	batch := make([]store.UserResult, 0, len(byUser))
	for u, rs := range byUser {
		b, err := rs.AppendBinary(nil)
		if err != nil {
			return nil, err
		}
		blob, err := wire.SealResult(m, s.key.ID, userKeys[u].ResultKey[:], b)
		if err != nil {
			return nil, err
		}
		batch = append(batch, store.UserResult{UserKey: userKeys[u].TokenHash[:], Blob: blob})
	}
	if err := s.testHook(run, "sealed"); err != nil {
		return nil, err
	}
	if err := s.st.PutResults(batch, s.now()); err != nil {
		return nil, err
	}
	s.metrics.epoch(out.Stats.Records, out.Stats.Reports, len(out.Stats.RejectedReports), len(userKeys))

	st := out.Stats
	sum := &ExposureSummary{
		Held: held, Records: st.Records, PositiveRecords: st.PositiveRecords, Reports: st.Reports,
		RejectedReports: len(st.RejectedReports), Users: len(userKeys), UserDays: len(out.Results),
		GroupSizes: map[int]int{}, Seconds: map[string]float64{"load": loaded.Seconds()}, Rounds: st.Rounds,
	}
	for size, count := range st.GroupSizes {
		if count >= m.Params.KAnonymity {
			sum.GroupSizes[size] = count
		}
	}
	for k, d := range st.Timings {
		sum.Seconds[k] = d.Seconds()
	}
	sum.Seconds["total"] = time.Since(start).Seconds()
	return sum, nil
}

// agreeRecords keeps the records every party holds (design 4.3 step 1), in
// the same order everywhere. The parties compare a digest of their sorted
// record ids first and exchange the ids only when the digests differ. recs
// must be sorted by id without duplicates.
func agreeRecords(ctx context.Context, p *mpc.Party[field.Scalar], recs []exposureRecord) ([]exposureRecord, error) {
	h := sha256.New()
	for _, e := range recs {
		h.Write(e.id[:])
	}
	in, err := p.Broadcast(ctx, h.Sum(nil))
	if err != nil {
		return nil, err
	}
	same := true
	for _, d := range in {
		same = same && bytes.Equal(d, in[p.ID()-1])
	}
	if same {
		return recs, nil
	}
	ids := make([]byte, 0, len(recs)*sha256.Size)
	for _, e := range recs {
		ids = append(ids, e.id[:]...)
	}
	if in, err = p.Broadcast(ctx, ids); err != nil {
		return nil, err
	}
	count := map[[sha256.Size]byte]int{}
	for j, b := range in {
		if len(b)%sha256.Size != 0 {
			return nil, fmt.Errorf("record ids of party %d: %d bytes", j+1, len(b))
		}
		for k := 0; k < len(b); k += sha256.Size {
			count[[sha256.Size]byte(b[k:k+sha256.Size])]++
		}
	}
	kept := recs[:0]
	for _, e := range recs {
		if count[e.id] == p.N() {
			kept = append(kept, e)
		} else {
			clear(e.rec.Share)
		}
	}
	return kept, nil
}

// testHook lets tests act at a stage of the exposure epoch ("agreed" after
// the record-set agreement, "sealed" before the results are stored); an
// error aborts the attempt there.
func (s *Server) testHook(run *Run, stage string) error {
	if s.hook == nil {
		return nil
	}
	return s.hook(run, stage)
}
