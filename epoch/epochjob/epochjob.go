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
	"log/slog"
	"slices"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/epoch"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
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
	// VenueReports counts the venue warnings among the reports.
	VenueReports    compute.Count `json:"venue_reports"`
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

// Run is one attempt of the exposure epoch at this party. Stages for tests:
// "agreed" after the record-set agreement, "sealed" before publishing.
func (Exposure) Run(ctx context.Context, h compute.Host, run *compute.Run) (compute.Summary, error) {
	start := time.Now()
	m := h.Manifest()
	w := m.Params.Window(h.Now())
	in := h.Inputs()
	p := run.Party

	// The uploads every party holds, agreed first: the batching rule below
	// needs them before any day's records are read.
	held := map[[16]byte]bool{}
	nHeld := 0
	err := in.ForEachRecordEncoded(record.Day(w.Oldest), record.Day(w.Today)+1, func(r *store.Record) error {
		if len(r.UploadID) != wire.IDSize {
			return fmt.Errorf("stored record with an upload id of %d bytes, want %d", len(r.UploadID), wire.IDSize)
		}
		nHeld++
		held[[16]byte(r.UploadID)] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	uploadIDs := make([]compute.ID, 0, len(held))
	for u := range held {
		var id compute.ID
		copy(id[:], u[:])
		uploadIDs = append(uploadIDs, id)
	}
	slices.SortFunc(uploadIDs, func(a, b compute.ID) int { return bytes.Compare(a[:], b[:]) })
	commonUploads, _, err := compute.Agree(ctx, p, uploadIDs)
	if err != nil {
		return nil, fmt.Errorf("agreeing on uploads: %w", err)
	}
	uploads := make([][16]byte, len(commonUploads))
	for i, id := range commonUploads {
		copy(uploads[i][:], id[:16])
	}
	loaded := time.Since(start)
	run.Log.Info("epoch uploads agreed", "held", len(held), "agreed", len(uploads), "seconds", loaded.Seconds())
	if err := run.Stage("agreed"); err != nil {
		return nil, err
	}

	// Batching against differencing: the uploads of this epoch that the
	// previous published epoch did not hold must number none (the same
	// set again, less what expired) or at least min_new_uploads. Every
	// party holds the same agreed set and the same previous set (published
	// with the previous results), so all decide alike.
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

	// One sub-epoch per day, each day's records read, agreed on and mapped
	// when its turn comes (epoch.RunPartitioned).
	parts := &days{h: h, p: p, log: run.Log, next: record.Day(w.Oldest), end: record.Day(w.Today) + 2, users: map[string]int{}, reports: map[string]bool{}, agg: newAggAcc()}
	defer parts.erase()
	risk := m.Params.Risk
	out, err := epoch.RunPartitioned(ctx, p, parts, epoch.Params{
		Threshold:       uint64(risk.ThresholdWeightedMinutes) * uint64(risk.WeightScale),
		MaxWeight:       uint64(risk.MaxWeight),
		MaxKeyWeight:    uint64(risk.MaxKeyWeight),
		MaxReportWeight: uint64(risk.MaxReportWeight),
		NoiseEpsilon:    risk.NoiseEpsilon,
		NoiseDelta:      risk.NoiseDelta,
		NoiseMaxGroup:   risk.NoiseMaxGroup,
		NoiseMaxRecords: risk.NoiseMaxRecords,
		MaxChunk:        risk.MaxChunk,
		Log:             run.Log,
	})
	if err != nil {
		return nil, err
	}
	userKeys := parts.userKeys
	loaded += parts.loading
	atRisk, err := epoch.AtRiskPerDay(ctx, p, out.Results, m.Params.KAnonymity)
	if err != nil {
		return nil, err
	}
	agg := parts.agg.build(w.Oldest, w.Today, m.Params.KAnonymity, atRisk)
	agg.Run, agg.Released = fmt.Sprintf("%x", run.ID), h.Now().UTC()
	aggJSON, err := json.Marshal(agg)
	if err != nil {
		return nil, err
	}

	// One sealed ResultShare per user, all published in one transaction that
	// replaces the users' older results.
	byUser := map[int]*wire.ResultShare{}
	var f field.ScalarField
	for _, r := range out.Results {
		rs := byUser[r.User]
		if rs == nil {
			rs = &wire.ResultShare{ID: run.ID}
			byUser[r.User] = rs
		}
		rs.Days = append(rs.Days, uint32(r.Day))
		// One value per day carries both bits: person + 2*venue, so the
		// reply is as long as with one class.
		rs.Values = append(rs.Values, f.Add(r.Bit, f.Add(r.Venue, r.Venue)))
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
	venueReports := 0
	for _, venue := range parts.reports {
		if venue {
			venueReports++
		}
	}
	sum := &Summary{
		K: k, Held: compute.KCount(nHeld, k), Records: compute.KCount(st.Records, k),
		PositiveRecords: compute.KCount(st.PositiveRecords, k), Reports: compute.KCount(len(parts.reports), k),
		VenueReports:    compute.KCount(venueReports, k),
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

// days is the exposure epoch's epoch.Partitions at one party: it reads one
// day's records from the store, agrees on them with the other parties by
// compute.RecordID (every public field), and maps them to the epoch's
// records: users numbered across the whole window by their user key,
// reports per day by their upload.
type days struct {
	h         compute.Host
	p         compute.Broadcaster
	log       *slog.Logger
	next, end record.Day
	users     map[string]int
	userKeys  []compute.UserKey
	reports   map[string]bool // distinct report uploads over all days: is it a venue warning
	agg       *aggAcc         // the released daily series, gathered as days are agreed
	loading   time.Duration
	recs      []epoch.Record
}

type held struct {
	id  compute.ID
	rec store.Record
}

func (d *days) Next(ctx context.Context) (record.Day, []epoch.Record, bool, error) {
	for ; d.next < d.end; d.next++ {
		start := time.Now()
		day := d.next
		var recs []held
		err := d.h.Inputs().ForEachRecord(day, day, func(r *store.Record) error {
			e := held{id: compute.RecordID(r), rec: *r}
			e.rec.UploadID = bytes.Clone(r.UploadID)
			e.rec.ResultKey = bytes.Clone(r.ResultKey)
			recs = append(recs, e)
			return nil
		})
		if err != nil {
			return 0, nil, false, err
		}
		slices.SortFunc(recs, func(a, b held) int { return bytes.Compare(a.id[:], b.id[:]) })
		recs = slices.CompactFunc(recs, func(a, b held) bool { return a.id == b.id })
		ids := make([]compute.ID, len(recs))
		for i := range recs {
			ids[i] = recs[i].id
		}
		common, _, err := compute.Agree(ctx, d.p, ids)
		if err != nil {
			return 0, nil, false, fmt.Errorf("agreeing on the records of %s: %w", day, err)
		}
		reports := map[string]int{}
		d.recs = d.recs[:0]
		for i := range recs {
			e := &recs[i] // its share is cleared once mapped
			if len(common) == 0 || common[0] != e.id {
				e.rec.Share = record.Share{}
				continue
			}
			common = common[1:]
			d.agg.add(&e.rec)
			r := epoch.Record{User: -1, Report: -1, Day: day, Share: e.rec.Share}
			e.rec.Share = record.Share{}
			if e.rec.Kind.Reports() {
				r.Venue = e.rec.Kind == wire.KindVenueWarning
				d.reports[string(e.rec.UploadID)] = r.Venue
				q, ok := reports[string(e.rec.UploadID)]
				if !ok {
					q = len(reports)
					reports[string(e.rec.UploadID)] = q
				}
				r.Report = q
			} else {
				u, ok := d.users[string(e.rec.ResultKey)]
				if !ok {
					uk, err := compute.ParseUserKey(e.rec.ResultKey)
					if err != nil {
						return 0, nil, false, err
					}
					u = len(d.userKeys)
					d.users[string(e.rec.ResultKey)] = u
					d.userKeys = append(d.userKeys, uk)
				}
				r.User = u
			}
			d.recs = append(d.recs, r)
		}
		d.loading += time.Since(start)
		d.log.Debug("epoch day agreed", "day", day.String(), "held", len(recs), "agreed", len(d.recs))
		if len(d.recs) == 0 {
			continue // the same at every party: the agreed set is empty
		}
		d.next++
		return day, d.recs, true, nil
	}
	return 0, nil, false, nil
}

// erase clears the last day's shares (as far as Go lets us: the store's
// pages and the garbage collector may keep copies).
func (d *days) erase() { clear(d.recs) }
