package regionmap

import (
	"testing"
	"time"
)

// BenchmarkRegionMap runs the whole MPC of one region map, 3 parties in
// process (t = 1), 10,000 participant-days x 100 regions, 10% positive.
func BenchmarkRegionMap(b *testing.B) {
	const participants, regions, k, n, t = 10000, 100, 10, 3, 1
	days := Synthetic(1, participants, regions, 0.1)
	inputs := share(b, t, n, days)
	b.ResetTimer()
	start := time.Now()
	var res *Result
	for b.Loop() {
		res = run(b, t, inputs, regions, k)
	}
	sec := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/map")
	b.ReportMetric(float64(participants)/sec, "participants/s")
	b.ReportMetric(float64(len(res.Released)), "released")
}
