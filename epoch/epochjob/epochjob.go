// Package epochjob runs the exposure epoch (package epoch, docs/epoch.md) as
// a computation of a party server (package compute): it streams the records
// of the retention window from the store, agrees on the record set with the
// other parties over every public field, maps the records to the epoch's
// inputs, runs the epoch and publishes every user's sealed result shares in
// one transaction.
package epochjob

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/epoch"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
)

// Summary is the public outcome of an exposure epoch at one party: only
// what the parties learn anyway (design section 2).
type Summary struct {
	Records         int `json:"records"`
	PositiveRecords int `json:"positive_records"`
	Held            int `json:"held"` // records this party held before the agreement
	Reports         int `json:"reports"`
	RejectedReports int `json:"rejected_reports"`
	Users           int `json:"users"`
	UserDays        int `json:"user_days"`
	Unsealable      int `json:"unsealable,omitempty"` // users whose result key could not be sealed to
	// GroupSizes[s] is the number of (place, time) keys shared by exactly s
	// records; sizes with fewer than k keys are left out (k-anonymity).
	GroupSizes map[int]int        `json:"group_sizes"`
	Seconds    map[string]float64 `json:"seconds"`
	Rounds     int                `json:"rounds"`
}

// Exposure is the exposure epoch as a compute.Computation, scheduled by the
// manifest's epoch_schedule.
type Exposure struct{}

// Name returns manifest.ComputationExposure.
func (Exposure) Name() string { return manifest.ComputationExposure }

// Scheduled returns the manifest's epoch schedule (0 if it has none).
func (Exposure) Scheduled(m *manifest.Manifest) time.Duration {
	d, err := manifest.ParseSchedule(m.Params.EpochSchedule)
	if err != nil {
		return 0
	}
	return d
}

type held struct {
	id  compute.ID
	rec store.Record
}

// Run is one attempt of the exposure epoch at this party. Stages for tests:
// "agreed" after the record-set agreement, "sealed" before publishing.
func (Exposure) Run(ctx context.Context, h compute.Host, run *compute.Run) (compute.Summary, error) {
	start := time.Now()
	m := h.Manifest()
	w := m.Params.Window(h.Now())
	var recs []held
	err := h.Inputs().ForEachRecord(store.Day(w.Oldest), store.Day(w.Today)+1, func(r *store.Record) error {
		e := held{id: compute.RecordID(r), rec: *r}
		e.rec.UploadID = bytes.Clone(r.UploadID)
		e.rec.ResultKey = bytes.Clone(r.ResultKey)
		e.rec.Share = bytes.Clone(r.Share)
		recs = append(recs, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	cmp := func(a, b held) int { return bytes.Compare(a.id[:], b.id[:]) }
	slices.SortFunc(recs, cmp)
	recs = slices.CompactFunc(recs, func(a, b held) bool { return a.id == b.id })

	// Erase the epoch's shares from memory when done, whatever happens (as
	// far as Go lets us: the store's pages and the garbage collector may
	// keep copies).
	defer func() {
		for i := range recs {
			clear(recs[i].rec.Share)
		}
	}()
	nHeld := len(recs)
	p := run.Party
	ids := make([]compute.ID, len(recs))
	for i := range recs {
		ids[i] = recs[i].id
	}
	common, _, err := compute.Agree(ctx, p, ids)
	if err != nil {
		return nil, fmt.Errorf("agreeing on records: %w", err)
	}
	kept := recs[:0]
	for _, e := range recs {
		if len(common) > 0 && common[0] == e.id {
			kept = append(kept, e)
			common = common[1:]
		} else {
			clear(e.rec.Share)
		}
	}
	recs = kept
	loaded := time.Since(start)
	run.Log.Info("epoch records agreed", "held", nHeld, "agreed", len(recs), "seconds", loaded.Seconds())
	if err := run.Stage("agreed"); err != nil {
		return nil, err
	}

	// Public fields: users by their key, reports by their upload.
	users := map[string]int{}
	var userKeys []compute.UserKey
	reports := map[string]int{}
	in := make([]epoch.Record, len(recs))
	defer clear(in)
	for i, e := range recs {
		pt, wt, mins, err := wire.DecodeShare(e.rec.Share)
		if err != nil {
			return nil, fmt.Errorf("stored record: %w", err)
		}
		r := epoch.Record{User: -1, Report: -1, Day: int32(e.rec.Day), Point: pt, Weight: wt, Minutes: mins}
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
				uk, err := compute.ParseUserKey(e.rec.ResultKey)
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
		Threshold:       uint64(risk.ThresholdWeightedMinutes) * uint64(risk.WeightScale),
		MaxWeight:       uint64(risk.MaxWeight),
		MaxKeyWeight:    uint64(risk.MaxKeyWeight),
		MaxReportWeight: uint64(risk.MaxReportWeight),
		NoiseEpsilon:    risk.NoiseEpsilon,
		NoiseDelta:      risk.NoiseDelta,
		NoiseMaxGroup:   risk.NoiseMaxGroup,
		NoiseMaxRecords: risk.NoiseMaxRecords,
		Log:             run.Log,
	})
	if err != nil {
		return nil, err
	}

	// One sealed ResultShare per user, all published in one transaction that
	// replaces the users' older results.
	byUser := map[int]*wire.ResultShare{}
	for _, r := range out.Results {
		rs := byUser[r.User]
		if rs == nil {
			rs = &wire.ResultShare{ID: run.ID}
			byUser[r.User] = rs
		}
		rs.Days = append(rs.Days, uint32(r.Day))
		rs.Values = append(rs.Values, r.Bit)
	}
	pub := &store.Publication{Results: make([]store.UserResult, 0, len(byUser))}
	unsealable := 0
	for u, rs := range byUser {
		ur, err := h.SealResult(userKeys[u], rs)
		if err != nil {
			// Keys are checked at upload; one that still cannot be sealed
			// to (stored by an older version) costs its user the result,
			// never the epoch.
			run.Log.Warn("result not sealable, user skipped", "err", err)
			unsealable++
			continue
		}
		pub.Results = append(pub.Results, ur)
	}
	if err := run.Stage("sealed"); err != nil {
		return nil, err
	}
	if err := h.Publish(pub); err != nil {
		return nil, err
	}

	st := out.Stats
	sum := &Summary{
		Held: nHeld, Records: st.Records, PositiveRecords: st.PositiveRecords, Reports: st.Reports,
		RejectedReports: len(st.RejectedReports), Users: len(userKeys), UserDays: len(out.Results), Unsealable: unsealable,
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

// Counts returns the public counters the party's metrics show.
func (s *Summary) Counts() (records, reports, rejected, users int) {
	return s.Records, s.Reports, s.RejectedReports, s.Users
}
