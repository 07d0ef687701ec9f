package trace

import (
	"strings"
	"testing"
	"time"
)

func TestPositiveReportVenue(t *testing.T) {
	p := DefaultParams()
	onset := mustDay("2026-11-20")
	s := testSecret()
	r := Report{
		Visits: []Visit{
			{s, at("2026-11-18T10:00:00Z"), at("2026-11-18T10:20:00Z")}, // onset-2: 1400
			{s, at("2026-11-17T10:00:00Z"), at("2026-11-17T10:20:00Z")}, // onset-3: outside the window
			{s, at("2026-11-25T10:00:00Z"), at("2026-11-25T10:20:00Z")}, // onset+5: weight 0
			{s, at("2026-11-22T23:50:00Z"), at("2026-11-22T23:55:00Z")}, // onset+2, tail past midnight
		},
		Onset: onset,
	}
	recs, err := PositiveReport(r, p, at("2026-11-26T12:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		bucket  string
		minutes uint32
		weight  uint32
	}
	wants := []want{
		// 10:00-10:50 with the 30-minute tail.
		{"2026-11-18T10:00:00Z", 10, 1400}, {"2026-11-18T10:10:00Z", 10, 1400}, {"2026-11-18T10:20:00Z", 10, 1400},
		{"2026-11-18T10:30:00Z", 10, 1400}, {"2026-11-18T10:40:00Z", 10, 1400},
		// 23:50-00:25, split at midnight: the next day has weight 1000.
		{"2026-11-22T23:50:00Z", 10, 1200},
		{"2026-11-23T00:00:00Z", 10, 1000}, {"2026-11-23T00:10:00Z", 10, 1000}, {"2026-11-23T00:20:00Z", 5, 1000},
	}
	got := map[[KeySize]byte]Record{}
	for _, rec := range recs {
		got[rec.Key] = rec
	}
	if len(recs) != len(wants) || len(got) != len(recs) {
		t.Fatalf("%d records, want %d", len(recs), len(wants))
	}
	for _, w := range wants {
		b := at(w.bucket)
		rec, ok := got[RecordKey(KindVenue, s[:], b.Unix()/60)]
		if !ok || rec.Minutes != w.minutes || rec.Weight != w.weight || rec.Day != DayOf(b) {
			t.Errorf("bucket %s: %+v, want %d min weight %d", w.bucket, rec, w.minutes, w.weight)
		}
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Day < recs[i-1].Day {
			t.Fatal("records not sorted by day")
		}
	}

	// Retention: at 2026-12-01 only days from 2026-11-18 on are kept.
	recs, _ = PositiveReport(r, p, at("2026-12-01T00:00:00Z"))
	if len(recs) != len(wants) {
		t.Fatalf("at the edge of retention: %d records", len(recs))
	}
	recs, _ = PositiveReport(r, p, at("2026-12-02T00:00:00Z"))
	if len(recs) != 4 {
		t.Fatalf("after 2026-11-18 expired: %d records, want 4", len(recs))
	}
	// Days after now are dropped.
	recs, _ = PositiveReport(r, p, at("2026-11-22T23:59:00Z"))
	if len(recs) != 6 {
		t.Fatalf("on 2026-11-22: %d records, want 6", len(recs))
	}
}

func TestPositiveReportMerge(t *testing.T) {
	p := DefaultParams()
	s := testSecret()
	r := Report{
		// Touching visits: not an overlap. Their tails share buckets.
		Visits: []Visit{
			{s, at("2026-11-20T10:00:00Z"), at("2026-11-20T10:05:00Z")},
			{s, at("2026-11-20T10:05:00Z"), at("2026-11-20T10:07:00Z")},
		},
		Onset: mustDay("2026-11-20"),
	}
	recs, err := PositiveReport(r, p, at("2026-11-20T20:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	// 10:00-10:35 and 10:05-10:37: buckets 10:00..10:30, the last with max(5, 7) minutes.
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	last := RecordKey(KindVenue, s[:], at("2026-11-20T10:30:00Z").Unix()/60)
	for _, rec := range recs {
		if rec.Key == last && rec.Minutes != 7 {
			t.Fatalf("merged minutes %d, want 7", rec.Minutes)
		}
		if rec.Weight != 1600 {
			t.Fatalf("weight %d, want 1600", rec.Weight)
		}
	}
}

func TestPositiveReportOverlap(t *testing.T) {
	p := DefaultParams()
	s := testSecret()
	other := s
	other[5] = 0
	r := Report{
		Visits: []Visit{
			{s, at("2026-11-20T12:00:00Z"), at("2026-11-20T13:00:00Z")},
			{s, at("2026-11-20T09:00:00Z"), at("2026-11-20T10:00:00Z")},
			{other, at("2026-11-20T12:59:00Z"), at("2026-11-20T14:00:00Z")},
		},
		Onset: mustDay("2026-11-20"),
	}
	_, err := PositiveReport(r, p, at("2026-11-21T00:00:00Z"))
	if err == nil || !strings.Contains(err.Error(), "visits 0 (2026-11-20T12:00:00Z..2026-11-20T13:00:00Z) and 2") {
		t.Fatalf("overlap: %v", err)
	}
	r.Visits[1].Depart = r.Visits[1].Arrive.Add(-time.Minute)
	r.Visits = r.Visits[:2]
	if _, err := PositiveReport(r, p, at("2026-11-21T00:00:00Z")); err == nil || !strings.Contains(err.Error(), "visit 1") {
		t.Fatalf("bad visit: %v", err)
	}
}

func TestPositiveReportGPS(t *testing.T) {
	p := DefaultParams()
	r := Report{
		Fixes: []Fix{{at("2026-11-20T10:00:00Z"), 52.52, 13.405, 10}},
		Onset: mustDay("2026-11-21"),
	}
	recs, err := PositiveReport(r, p, at("2026-11-21T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	cells := append([]string{"u33dc0c"}, must(Neighbors("u33dc0c"))...)
	if len(recs) != 2*9 {
		t.Fatalf("%d records, want 18", len(recs))
	}
	keys := map[[KeySize]byte]uint32{}
	for _, rec := range recs {
		keys[rec.Key] = rec.Minutes
		if rec.Weight != 1600 {
			t.Fatalf("weight %d", rec.Weight)
		}
	}
	for _, c := range cells {
		for b, m := range map[string]uint32{"2026-11-20T10:00:00Z": 10, "2026-11-20T10:10:00Z": 5} {
			if keys[RecordKey(KindGPS, []byte(c), at(b).Unix()/60)] != m {
				t.Errorf("cell %s bucket %s: %d minutes, want %d", c, b, keys[RecordKey(KindGPS, []byte(c), at(b).Unix()/60)], m)
			}
		}
	}
}

func TestPositiveReportEncounters(t *testing.T) {
	p := DefaultParams()
	onset := mustDay("2026-11-20")
	r := Report{Seed: seed7(), Onset: onset}
	recs, err := PositiveReport(r, p, at("2026-11-23T08:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	// Window 11-18..11-25, today 11-23: six days; all have non-zero weight.
	if len(recs) != 6 {
		t.Fatalf("%d records, want 6", len(recs))
	}
	for i, rec := range recs {
		d := onset - 2 + Day(i)
		// A contact who scanned the code on day d holds this record.
		id, day, _ := ParseEncounterCode(EncounterCode(seed7(), d))
		contact, _ := EncounterRecord(id, day, p)
		if rec.Key != contact.Key || rec.Day != d || rec.Weight != p.Weight(d, onset) || rec.Minutes != 15 {
			t.Errorf("day %s: %+v", d, rec)
		}
	}
}

func TestParamsWeight(t *testing.T) {
	p := DefaultParams()
	onset := mustDay("2026-11-20")
	want := map[int]uint32{-3: 0, -2: 1400, -1: 1600, 0: 1600, 1: 1600, 2: 1200, 3: 1000, 4: 600, 5: 0, 6: 0}
	for off, w := range want {
		if got := p.Weight(onset+Day(off), onset); got != w {
			t.Errorf("day %+d: weight %d, want %d", off, got, w)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Params){
		"bucket 0":           func(p *Params) { p.BucketMinutes = 0 },
		"bucket 7":           func(p *Params) { p.BucketMinutes = 7 },
		"bucket 2880":        func(p *Params) { p.BucketMinutes = 2880 },
		"retention 0":        func(p *Params) { p.RetentionDays = 0 },
		"negative tail":      func(p *Params) { p.AerosolTailMinutes = -1 },
		"precision 13":       func(p *Params) { p.GeohashPrecision = 13 },
		"accuracy 0":         func(p *Params) { p.GPSAccuracyM = 0 },
		"fix 0":              func(p *Params) { p.GPSFixMinutes = 0 },
		"no weights":         func(p *Params) { p.Weights = nil },
		"weight above max":   func(p *Params) { p.MaxWeight = 1500 },
		"max weight too big": func(p *Params) { p.MaxWeight = MaxMaxWeight + 1 },
		"threshold 0":        func(p *Params) { p.Threshold = 0 },
		"encounter 0":        func(p *Params) { p.EncounterMinutes = 0 },
		"attenuation 256":    func(p *Params) { p.AttenuationDB = 256 },
		"onset offset":       func(p *Params) { p.OnsetOffset = -65 },
	} {
		q := DefaultParams()
		mut(&q)
		if q.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
