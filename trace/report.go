package trace

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"
)

// A Visit is one venue check-in: the venue's secret from its poster and the
// times of arrival and departure.
type Visit struct {
	Secret [SecretSize]byte
	Arrive time.Time
	Depart time.Time
}

// A Report is what a person who tested positive reports: their venue visits,
// their location history, their encounter seed and the day their symptoms
// began (or, without symptoms, the day of the test).
type Report struct {
	Visits []Visit
	Fixes  []Fix
	// Seed is the person's encounter seed; the all-zero seed means the
	// person never showed a personal code and adds no encounter records.
	Seed  [SeedSize]byte
	Onset Day
}

// PositiveReport returns the positive records of r at time now:
//
//   - each venue visit, extended by AerosolTailMinutes after departure,
//     gives a record per time bucket as in [VenueRecords];
//   - the location history gives records as in [GPSRecords], repeated in
//     the 8 neighbouring cells of each cell;
//   - each day of the infectious window gives a record of the person's own
//     ephemeral ID (the person's contacts hold the matching encounter
//     records), credited with EncounterMinutes.
//
// Every record gets the weight of its day ([Params.Weight]). Records of
// weight 0, of days before the retention window (today and the
// RetentionDays-1 days before it) or after today are dropped. Records with
// equal keys are merged, keeping the largest minutes and weight. The result
// is sorted by day, then key.
//
// It fails if two visits overlap (before the tail is added), if any visit is
// invalid as in [VenueRecords], or if p is invalid. r is not modified.
func PositiveReport(r Report, p Params, now time.Time) ([]Record, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if r.Onset < MinDay || r.Onset > MaxDay {
		return nil, fmt.Errorf("trace: onset day %d out of range", r.Onset)
	}
	for i, v := range r.Visits {
		if err := checkStay(v.Secret, v.Arrive, v.Depart); err != nil {
			return nil, fmt.Errorf("trace: visit %d: %w", i, err)
		}
	}
	if err := checkOverlap(r.Visits); err != nil {
		return nil, err
	}
	today := DayOf(now)
	first := today - Day(p.RetentionDays) + 1
	merged := make(map[[KeySize]byte]int)
	var out []Record
	add := func(rec Record) {
		if rec.Day < first || rec.Day > today {
			return
		}
		rec.Weight = p.Weight(rec.Day, r.Onset)
		if rec.Weight == 0 {
			return
		}
		if i, ok := merged[rec.Key]; ok {
			out[i].Minutes = max(out[i].Minutes, rec.Minutes)
			out[i].Weight = max(out[i].Weight, rec.Weight)
			return
		}
		merged[rec.Key] = len(out)
		out = append(out, rec)
	}

	tail := time.Duration(p.AerosolTailMinutes) * time.Minute
	for _, v := range r.Visits {
		for _, rec := range venueRecords(v.Secret, v.Arrive, v.Depart.Add(tail), p) {
			add(rec)
		}
	}
	for _, s := range gpsStays(r.Fixes, &p) {
		add(gpsRecord(s.cell, s.start, s.minutes))
		ns, _ := Neighbors(s.cell)
		for _, n := range ns {
			add(gpsRecord(n, s.start, s.minutes))
		}
	}
	if r.Seed != ([SeedSize]byte{}) {
		start := r.Onset + Day(p.OnsetOffset)
		for i := range p.Weights {
			d := start + Day(i)
			if d < MinDay || d > MaxDay {
				continue
			}
			add(encounterRecord(EphemeralID(r.Seed, d), d, uint32(p.EncounterMinutes)))
		}
	}
	slices.SortFunc(out, func(a, b Record) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), bytes.Compare(a.Key[:], b.Key[:]))
	})
	return out, nil
}

// checkOverlap fails if two visits share any time. Visits that only touch
// (one departs when the next arrives) do not overlap.
func checkOverlap(visits []Visit) error {
	idx := make([]int, len(visits))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return visits[a].Arrive.Compare(visits[b].Arrive) })
	for k := 1; k < len(idx); k++ {
		a, b := visits[idx[k-1]], visits[idx[k]]
		if b.Arrive.Before(a.Depart) {
			return fmt.Errorf("trace: visits %d (%s..%s) and %d (%s..%s) overlap",
				idx[k-1], a.Arrive.UTC().Format(time.RFC3339), a.Depart.UTC().Format(time.RFC3339),
				idx[k], b.Arrive.UTC().Format(time.RFC3339), b.Depart.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
