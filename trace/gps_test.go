package trace

import (
	"math"
	"slices"
	"testing"
)

func TestGPSRecords(t *testing.T) {
	p := DefaultParams()
	a := [2]float64{52.5200, 13.4050} // cell u33dc0c
	b := [2]float64{52.5300, 13.4050}
	ca, cb := Cell(a[0], a[1], 7), Cell(b[0], b[1], 7)
	fixes := []Fix{
		{at("2026-11-20T10:12:00Z"), b[0], b[1], 10},
		{at("2026-11-20T10:00:00Z"), a[0], a[1], 20},
		{at("2026-11-20T10:02:00Z"), 0, 0, 150}, // too inaccurate: dropped
		{at("2026-11-20T10:03:00Z"), 95, 0, 5},  // invalid: dropped
		{at("2026-11-20T10:03:30Z"), 10, 10, 0}, // unknown accuracy: dropped
		{at("2026-11-20T10:04:00Z"), a[0], a[1], 100},
	}
	orig := slices.Clone(fixes)
	recs := GPSRecords(fixes, p)
	if !slices.Equal(orig, fixes) {
		t.Fatal("GPSRecords modified its input")
	}
	// a: 10:00-10:12 (two fixes), b: 10:12-10:27 (capped at 15 minutes).
	want := []struct {
		cell    string
		bucket  string
		minutes uint32
	}{
		{ca, "2026-11-20T10:00:00Z", 10},
		{ca, "2026-11-20T10:10:00Z", 2},
		{cb, "2026-11-20T10:10:00Z", 8},
		{cb, "2026-11-20T10:20:00Z", 7},
	}
	if ca > cb {
		want[1], want[2] = want[2], want[1]
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		start := at(w.bucket).Unix() / 60
		if recs[i].Key != RecordKey(KindGPS, []byte(w.cell), start) || recs[i].Minutes != w.minutes || recs[i].Kind != KindGPS || recs[i].Day != DayOf(at(w.bucket)) {
			t.Errorf("record %d: %+v, want %v", i, recs[i], w)
		}
	}
}

func TestGPSRecordsEdgeCases(t *testing.T) {
	p := DefaultParams()
	if recs := GPSRecords(nil, p); len(recs) != 0 {
		t.Fatal("records from no fixes")
	}
	one := GPSRecords([]Fix{{at("2026-11-20T23:55:00Z"), 1, 1, 5}}, p)
	if len(one) != 2 || one[0].Minutes != 5 || one[1].Minutes != 10 || one[1].Day != one[0].Day+1 {
		t.Fatalf("last fix across midnight: %+v", one)
	}
	same := GPSRecords([]Fix{{at("2026-11-20T10:00:00Z"), 1, 1, 5}, {at("2026-11-20T10:00:00Z"), 1, 1, 5}}, p)
	if len(same) != 2 || same[0].Minutes+same[1].Minutes != 15 {
		t.Fatalf("duplicate fix: %+v", same)
	}
	bad := p
	bad.GeohashPrecision = 0
	if GPSRecords([]Fix{{at("2026-11-20T10:00:00Z"), 1, 1, 5}}, bad) != nil {
		t.Fatal("records with invalid parameters")
	}
}

func TestGPSRecordsNaN(t *testing.T) {
	nan := math.NaN()
	for _, f := range []Fix{
		{at("2026-11-20T10:00:00Z"), nan, 1, 5},
		{at("2026-11-20T10:00:00Z"), 1, nan, 5},
		{at("2026-11-20T10:00:00Z"), 1, 1, nan},
		{at("2026-11-20T10:00:00Z"), 1, 1, math.Inf(1)},
		{at("2026-11-20T10:00:00Z"), 1, 1, -3},
	} {
		if recs := GPSRecords([]Fix{f}, DefaultParams()); len(recs) != 0 {
			t.Errorf("fix %+v gave records", f)
		}
	}
}
