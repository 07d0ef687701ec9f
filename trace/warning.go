package trace

import (
	"errors"
	"fmt"
	"time"
)

// MaxWarning is the longest window a venue warning may cover.
const MaxWarning = 24 * time.Hour

// VenueWarning returns the positive records of a health authority's
// warning about the venue with the given secret for the window [from, to):
// the venue's records of every time bucket the window overlaps, as in
// [VenueRecords], each with the given weight. Anyone who checked in at the
// venue during the window holds a record with one of these keys.
//
// It fails for an all-zero secret, an empty window or one longer than
// [MaxWarning], a window that starts before the retention window at now
// (today and the RetentionDays-1 days before it) or ends after now plus one
// bucket, a weight outside 1..MaxWeight, or invalid p.
func VenueWarning(secret [SecretSize]byte, from, to time.Time, weight uint32, p Params, now time.Time) ([]Record, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if secret == ([SecretSize]byte{}) {
		return nil, errors.New("trace: venue secret is zero")
	}
	if err := CheckWarningWindow(from, to, p, now); err != nil {
		return nil, err
	}
	if weight < 1 || weight > p.MaxWeight {
		return nil, fmt.Errorf("trace: warning weight %d out of range 1..%d", weight, p.MaxWeight)
	}
	recs := venueRecords(secret, from, to, p)
	for i := range recs {
		recs[i].Weight = weight
	}
	return recs, nil
}

// CheckWarningWindow checks a venue warning's window [from, to) at time
// now as [VenueWarning] does.
func CheckWarningWindow(from, to time.Time, p Params, now time.Time) error {
	f := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case !to.After(from):
		return fmt.Errorf("trace: warning window %s..%s is empty", f(from), f(to))
	case to.Sub(from) > MaxWarning:
		return fmt.Errorf("trace: warning window of %s exceeds %s", to.Sub(from), MaxWarning)
	case !inRange(from) || !inRange(to):
		return fmt.Errorf("trace: warning window %s..%s outside %s..%s", f(from), f(to), MinDay, MaxDay)
	}
	first := (DayOf(now) - Day(p.RetentionDays) + 1).Start()
	if from.Before(first) {
		return fmt.Errorf("trace: warning window starts %s, before the retention window (from %s)", f(from), f(first))
	}
	if late := now.Add(time.Duration(p.BucketMinutes) * time.Minute); to.After(late) {
		return fmt.Errorf("trace: warning window ends %s, in the future", f(to))
	}
	return nil
}

// MaxWarningRecords is the most records a venue warning has with bucket
// size p.BucketMinutes: one per bucket of [MaxWarning], plus one when the
// window is not aligned to buckets.
func MaxWarningRecords(p Params) int {
	return int(MaxWarning/time.Minute)/p.BucketMinutes + 1
}
