package seir

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// benchGraphs caches the Erdos-Renyi graphs of the benchmarks, which take
// longer to build than some of the runs they serve.
var benchGraphs sync.Map

func benchGraph(b *testing.B, n int) *Graph {
	if g, ok := benchGraphs.Load(n); ok {
		return g.(*Graph)
	}
	g, err := ErdosRenyi(rand.New(rand.NewPCG(uint64(n), 6)), n, 6)
	if err != nil {
		b.Fatal(err)
	}
	benchGraphs.Store(n, g)
	return g
}

// benchmarkSimulate runs whole epidemics (tau = 0.5, gamma = 1, sigma = 1,
// so R0 = 3 on a graph of mean degree 6; 0.5% of the nodes seeded) on one
// goroutine and reports simulation events (infections, onsets and
// recoveries) per second of wall time, seconds per full run, and CPU
// seconds per run (which excludes time spent waiting for a busy machine's
// cores).
func benchmarkSimulate(b *testing.B, n int) {
	g := benchGraph(b, n)
	sim := &Simulation{Graph: g, Params: UniformParams(n, 1, 1), Tau: 0.5}
	r := newRunner(sim)
	rng := rand.New(rand.NewPCG(1, 2))
	c := newCurve(float64(n), 1000)
	events := 0
	cpu0, cpuOK := processCPUTime()
	b.ResetTimer()
	for b.Loop() {
		seeds := randomSeeds(rng, n, max(1, n/200))
		res := r.run(rng, seeds, 1000, c)
		events += res.Events
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/sec, "events/s")
	b.ReportMetric(sec/float64(b.N), "s/run")
	if cpu1, ok := processCPUTime(); ok && cpuOK {
		b.ReportMetric((cpu1-cpu0).Seconds()/float64(b.N), "cpu-s/run")
	}
}

func BenchmarkSimulateER1e4(b *testing.B) { benchmarkSimulate(b, 10_000) }
func BenchmarkSimulateER1e5(b *testing.B) { benchmarkSimulate(b, 100_000) }
func BenchmarkSimulateER1e6(b *testing.B) { benchmarkSimulate(b, 1_000_000) }
