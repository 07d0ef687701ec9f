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
	"encoding/json"
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
// what the parties learn anyway (design section 2), and of that only what
// everyone may learn: every count of records, reports or users is a
// compute.Count, released when at least K and shown as "< k" otherwise.
type Summary struct {
	K               int           `json:"k"` // the manifest's k_anonymity
	Records         compute.Count `json:"records"`
	PositiveRecords compute.Count `json:"positive_records"`
	Held            compute.Count `json:"held"` // records this party held before the agreement
	Reports         compute.Count `json:"reports"`
	RejectedReports compute.Count `json:"rejected_reports"`
	Users           compute.Count `json:"users"`
	UserDays        compute.Count `json:"user_days"`
	Unsealable      compute.Count `json:"unsealable,omitzero"` // users whose result key could not be sealed to; left out below k
	// Deferred is set when the epoch held fewer new uploads than
	// min_new_uploads: it published nothing and the users keep their
	// older results.
	Deferred bool `json:"deferred,omitempty"`
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

	// Batching against differencing: the uploads of this epoch that the
	// previous published epoch did not hold must number none (the same
	// set again, less what expired) or at least min_new_uploads. Every
	// party holds the same agreed set and the same previous set (published
	// with the previous results), so all decide alike.
	uploads := uploadSet(recs)
	prev, err := previousUploads(h)
	if err != nil {
		return nil, err
	}
	fresh := 0
	for _, u := range uploads {
		if _, ok := prev[u]; !ok {
			fresh++
		}
	}
	if fresh > 0 && fresh < m.Params.MinNewUploads {
		// One more round, so that a party lost after the agreement fails
		// the attempt everywhere, as it would a computed epoch.
		if _, err := p.Broadcast(ctx, []byte("deferred")); err != nil {
			return nil, err
		}
		run.Log.Info("epoch deferred", "new_uploads_below", m.Params.MinNewUploads)
		k := m.Params.KAnonymity
		return &Summary{Deferred: true, K: k, Held: compute.KCount(nHeld, k), GroupSizes: map[int]int{}, Seconds: map[string]float64{"load": loaded.Seconds()}}, nil
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
		Log:             run.Log,
	})
	if err != nil {
		return nil, err
	}
	atRisk, err := epoch.AtRiskPerDay(ctx, p, out.Results, m.Params.KAnonymity)
	if err != nil {
		return nil, err
	}
	agg := aggregates(recs, w.Oldest, w.Today, m.Params.KAnonymity, atRisk)
	agg.Run, agg.Released = fmt.Sprintf("%x", run.ID), h.Now().UTC()
	aggJSON, err := json.Marshal(agg)
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
	pub := &store.Publication{Results: make([]store.UserResult, 0, len(byUser)),
		DeleteRuns: []string{uploadsRun, aggregatesRun},
		Outputs:    []store.RunInput{{Run: uploadsRun, Data: encodeUploads(uploads)}, {Run: aggregatesRun, Data: aggJSON}}}
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
	k := m.Params.KAnonymity
	sum := &Summary{
		K: k, Held: compute.KCount(nHeld, k), Records: compute.KCount(st.Records, k),
		PositiveRecords: compute.KCount(st.PositiveRecords, k), Reports: compute.KCount(st.Reports, k),
		RejectedReports: compute.KCount(len(st.RejectedReports), k), Users: compute.KCount(len(userKeys), k),
		UserDays: compute.KCount(len(out.Results), k), Unsealable: compute.KCount(unsealable, k),
		GroupSizes: map[int]int{}, Seconds: map[string]float64{"load": loaded.Seconds()}, Rounds: st.Rounds,
	}
	for size, count := range st.GroupSizes {
		if count >= k {
			sum.GroupSizes[size] = count
		}
	}
	for k, d := range st.Timings {
		sum.Seconds[k] = d.Seconds()
	}
	sum.Seconds["total"] = time.Since(start).Seconds()
	return sum, nil
}

// Counts returns the public counters the party's metrics show, by name,
// each under the k rule.
func (s *Summary) Counts() map[string]compute.Count {
	return map[string]compute.Count{
		"records": s.Records, "reports": s.Reports, "rejected_reports": s.RejectedReports, "users": s.Users,
	}
}

// uploadsRun keeps the upload ids of the last published epoch.
const uploadsRun = "exposure/uploads"

// uploadSet returns the sorted distinct upload ids of recs.
func uploadSet(recs []held) [][16]byte {
	seen := map[[16]byte]bool{}
	var out [][16]byte
	for _, e := range recs {
		var id [16]byte
		copy(id[:], e.rec.UploadID)
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	slices.SortFunc(out, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	return out
}

func encodeUploads(ids [][16]byte) []byte {
	b := make([]byte, 0, 16*len(ids))
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	return b
}

// previousUploads reads the upload ids of the last published epoch.
func previousUploads(h compute.Host) (map[[16]byte]struct{}, error) {
	prev := map[[16]byte]struct{}{}
	err := h.Inputs().ForEachRunInput(uploadsRun, func(b []byte) error {
		if len(b)%16 != 0 {
			return fmt.Errorf("epochjob: stored upload ids of %d bytes", len(b))
		}
		for i := 0; i < len(b); i += 16 {
			prev[[16]byte(b[i:i+16])] = struct{}{}
		}
		return nil
	})
	return prev, err
}
