package trace

import (
	"testing"
	"time"
)

func BenchmarkVenueRecords(b *testing.B) {
	p := DefaultParams()
	s := testSecret()
	arrive := at("2026-11-20T10:03:00Z")
	depart := arrive.Add(2 * time.Hour)
	n := 0
	for b.Loop() {
		recs, err := VenueRecords(s, arrive, depart, p)
		if err != nil {
			b.Fatal(err)
		}
		n += len(recs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkOracle(b *testing.B) {
	p := DefaultParams()
	ups := Synthesize(1, 5000, 100_000, 100, p, synthStart)
	n := 0
	for _, u := range ups {
		n += len(u.Records)
	}
	b.ResetTimer()
	for b.Loop() {
		Oracle(ups, p)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkSynthesize(b *testing.B) {
	p := DefaultParams()
	for b.Loop() {
		Synthesize(1, 5000, 100_000, 100, p, synthStart)
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
