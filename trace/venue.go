package trace

import (
	"errors"
	"fmt"
	"time"
)

// SecretSize is the size of a venue secret.
const SecretSize = 32

// MaxStay is the longest venue stay [VenueRecords] accepts.
const MaxStay = 24 * time.Hour

// VenueRecords returns the ordinary records of a stay at the venue with the
// given secret from arrive to depart: one record per UTC-aligned time bucket
// the stay overlaps, in time order. A record's Minutes is the overlap with
// its bucket rounded up to whole minutes, so any overlap counts at least one
// minute and at most BucketMinutes. An empty stay (arrive == depart) has no
// records.
//
// It fails for an all-zero secret, a departure before the arrival, a stay
// longer than [MaxStay], times outside [MinDay, MaxDay] or invalid p.
func VenueRecords(secret [SecretSize]byte, arrive, depart time.Time, p Params) ([]Record, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := checkStay(secret, arrive, depart); err != nil {
		return nil, err
	}
	return venueRecords(secret, arrive, depart, p), nil
}

func checkStay(secret [SecretSize]byte, arrive, depart time.Time) error {
	if secret == ([SecretSize]byte{}) {
		return errors.New("trace: venue secret is zero")
	}
	if depart.Before(arrive) {
		return fmt.Errorf("trace: departure %s before arrival %s", depart.UTC().Format(time.RFC3339), arrive.UTC().Format(time.RFC3339))
	}
	if depart.Sub(arrive) > MaxStay {
		return fmt.Errorf("trace: stay of %s exceeds %s", depart.Sub(arrive), MaxStay)
	}
	if !inRange(arrive) || !inRange(depart) {
		return fmt.Errorf("trace: stay %s..%s outside %s..%s", arrive.UTC().Format(time.RFC3339), depart.UTC().Format(time.RFC3339), MinDay, MaxDay)
	}
	return nil
}

// inRange reports whether t lies in a day in [MinDay, MaxDay].
func inRange(t time.Time) bool {
	d := floorDiv(t.Unix(), 86400)
	return d >= int64(MinDay) && d <= int64(MaxDay)
}

func venueRecords(secret [SecretSize]byte, arrive, depart time.Time, p Params) []Record {
	spans := splitBuckets(arrive, depart, p.BucketMinutes)
	recs := make([]Record, len(spans))
	for i, s := range spans {
		recs[i] = Record{
			Key:     RecordKey(KindVenue, secret[:], s.start),
			Kind:    KindVenue,
			Day:     Day(floorDiv(s.start, 1440)),
			Minutes: wholeMinutes(s.dur, p.BucketMinutes),
		}
	}
	return recs
}
