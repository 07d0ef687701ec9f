package trace

import (
	"cmp"
	"slices"
	"time"
)

// A Fix is one position from the device's location service.
type Fix struct {
	Time      time.Time
	Lat, Lon  float64 // degrees, WGS 84
	AccuracyM float64 // radius of 68% confidence, metres
}

// usable reports whether f may be turned into records under p: valid
// coordinates, a positive accuracy no worse than the limit, and a time in
// [MinDay, MaxDay].
func (f Fix) usable(p *Params) bool {
	return validLatLon(f.Lat, f.Lon) && f.AccuracyM > 0 && f.AccuracyM <= p.GPSAccuracyM && inRange(f.Time)
}

// GPSRecords returns the ordinary records of a location history. Fixes with
// invalid coordinates, an unknown (zero, negative or NaN) accuracy or one
// worse than GPSAccuracyM are dropped. Each remaining fix, in time order,
// accounts for the time until the next fix but at most GPSFixMinutes; that
// time is split into time buckets, and every (geohash cell, bucket) gets one
// record with the minutes spent there, rounded up (1..BucketMinutes).
// Records are ordered by bucket, then cell. fixes is not modified. Invalid p
// gives no records.
func GPSRecords(fixes []Fix, p Params) []Record {
	if p.Validate() != nil {
		return nil
	}
	stays := gpsStays(fixes, &p)
	recs := make([]Record, len(stays))
	for i, s := range stays {
		recs[i] = gpsRecord(s.cell, s.start, s.minutes)
	}
	return recs
}

func gpsRecord(cell string, start int64, minutes uint32) Record {
	return Record{
		Key:     RecordKey(KindGPS, []byte(cell), start),
		Kind:    KindGPS,
		Day:     Day(floorDiv(start, 1440)),
		Minutes: minutes,
	}
}

// A cellStay is the time spent in one geohash cell during one bucket.
type cellStay struct {
	cell    string
	start   int64 // bucket start, minutes since the Unix epoch
	minutes uint32
}

func gpsStays(fixes []Fix, p *Params) []cellStay {
	ok := make([]Fix, 0, len(fixes))
	for _, f := range fixes {
		if f.usable(p) {
			ok = append(ok, f)
		}
	}
	slices.SortStableFunc(ok, func(a, b Fix) int { return a.Time.Compare(b.Time) })
	type cb struct {
		cell  string
		start int64
	}
	spent := make(map[cb]time.Duration)
	maxFix := time.Duration(p.GPSFixMinutes) * time.Minute
	for i, f := range ok {
		end := f.Time.Add(maxFix)
		if i+1 < len(ok) && ok[i+1].Time.Before(end) {
			end = ok[i+1].Time
		}
		cell := Cell(f.Lat, f.Lon, p.GeohashPrecision)
		for _, s := range splitBuckets(f.Time, end, p.BucketMinutes) {
			spent[cb{cell, s.start}] += s.dur
		}
	}
	stays := make([]cellStay, 0, len(spent))
	for k, d := range spent {
		stays = append(stays, cellStay{k.cell, k.start, wholeMinutes(d, p.BucketMinutes)})
	}
	slices.SortFunc(stays, func(a, b cellStay) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.cell, b.cell))
	})
	return stays
}
