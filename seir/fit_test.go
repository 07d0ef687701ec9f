package seir

import (
	"math"
	"math/rand/v2"
	"testing"
)

// groundTruth simulates one epidemic on an Erdős–Rényi graph with known
// parameters and returns the daily onsets (entries into I during
// [d, d+1)), the graph's R0 = T (<k^2> - <k>)/<k> with T = tau/(tau+gamma),
// and the peak day of the 7-day mean of the onsets.
func groundTruth(t *testing.T, seed uint64, n int, meanDeg, r0, sigma, gamma float64, days int) (onsets []float64, trueR0 float64, peak int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	g, err := ErdosRenyi(rng, n, meanDeg)
	if err != nil {
		t.Fatal(err)
	}
	var k1, k2 float64
	for i := range g.N() {
		d := float64(g.Degree(i))
		k1 += d
		k2 += d * d
	}
	excess := (k2 - k1) / k1
	T := r0 / excess
	tau := T * gamma / (1 - T)
	sim := &Simulation{Graph: g, Params: UniformParams(n, sigma, gamma), Tau: tau}
	for attempt := range 20 {
		res, err := sim.Run(rand.New(rand.NewPCG(seed, uint64(2+attempt))), randomSeeds(rng, n, 10), days+1)
		if err != nil {
			t.Fatal(err)
		}
		c := res.Curve
		if res.FinalSize < n/10 {
			continue // died out early; draw again
		}
		onsets = make([]float64, days)
		for d := range onsets {
			onsets[d] = (c.S[d] + c.E[d]) - (c.S[d+1] + c.E[d+1])
		}
		return onsets, T * excess, peakIndex(movingMean(onsets, 7))
	}
	t.Fatal("no epidemic took off")
	return
}

// thin reports each onset with probability rho, delay days later.
func thin(onsets []float64, rho float64, delay int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]float64, len(onsets))
	for d, c := range onsets {
		if d+delay >= len(out) {
			break
		}
		k := 0
		for range int(c) {
			if rng.Float64() < rho {
				k++
			}
		}
		out[d+delay] = float64(k)
	}
	return out
}

func TestFitGroundTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates epidemics")
	}
	const (
		n     = 20000
		sigma = 0.25
		gamma = 0.2
		rho   = 0.3
		delay = 2
		days  = 120
	)
	for _, tc := range []struct {
		name   string
		r0     float64
		seed   uint64
		fitRho bool
	}{
		{"R0=2,rho fitted", 2, 1, true},
		{"R0=2.5,rho fitted", 2.5, 2, true},
		{"R0=1.6,rho fixed", 1.6, 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onsets, r0, peak := groundTruth(t, tc.seed, n, 30, tc.r0, sigma, gamma, days)
			data := thin(onsets, rho, delay, tc.seed)
			cfg := FitConfig{Sigma: sigma, Gamma: gamma, N: n, Delay: -1, Seed: tc.seed, Samples: 100}
			if !tc.fitRho {
				cfg.Reporting = rho
			}
			f, err := FitMeanField(data, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("true R0 %.3f peak %d; fit R0 %.3f [%.3f, %.3f] peak %d rho %.3f delay %.2f e0 %.1f rt_last %.2f converged %v",
				r0, peak+delay, f.R0, f.R0Lo, f.R0Hi, f.PeakDay, f.Reporting, f.Delay, f.E0, f.RtLast(), f.Converged)
			if math.Abs(f.R0-r0)/r0 > 0.10 {
				t.Errorf("R0 %.3f, want %.3f within 10%%", f.R0, r0)
			}
			if d := f.PeakDay - (peak + delay); d < -3 || d > 3 {
				t.Errorf("peak day %d, want %d within 3", f.PeakDay, peak+delay)
			}
		})
	}
}

func TestOutbreakNetworkModels(t *testing.T) {
	onsets, _, _ := groundTruth(t, 1, 20000, 30, 2, 0.25, 0.2, 100)
	data := thin(onsets, 0.3, 2, 1)
	data[0], data[1] = Censored, Censored
	hist := []DegreeCount{{4, 300}, {8, 500}, {12, 200}}
	o, err := AnalyseOutbreak(t.Context(), data, OutbreakConfig{Fit: FitConfig{Sigma: 0.25, Gamma: 0.2, N: 20000, Delay: 2, Seed: 1, Samples: 50}, Hist: hist})
	if err != nil {
		t.Fatal(err)
	}
	if o.Pairwise == nil || o.Dynamic == nil || len(o.Pairwise.Expected) != 130 || len(o.Dynamic.Hi) != 130 {
		t.Fatal("network forecasts missing")
	}
	mean, excess, kappa, _ := DegreeMoments(hist)
	if math.Abs(o.Pairwise.Params["mean_degree"]-mean) > 1e-12 || math.Abs(o.Pairwise.Params["kappa"]-kappa) > 1e-12 {
		t.Errorf("pairwise params %v, want mean %g kappa %g", o.Pairwise.Params, mean, kappa)
	}
	// Equal early growth: (r+sigma)(r+gamma) = beta sigma and
	// (r+sigma)(r+tau+gamma) = tau sigma excess.
	sigma, gamma, tau := 0.25, 0.2, o.Pairwise.Params["tau"]
	b := sigma + gamma
	r := (-b + math.Sqrt(b*b-4*(sigma*gamma-o.Fit.Beta*sigma))) / 2
	if d := (r+sigma)*(r+tau+gamma) - tau*sigma*excess; math.Abs(d) > 1e-9 {
		t.Errorf("pairwise growth differs from the fit's: %g", d)
	}
	t.Logf("%s; pairwise peak %d share %.2f; dynamic peak %d share %.2f", o.Summary(), o.Pairwise.PeakDay, o.Pairwise.FinalShare, o.Dynamic.PeakDay, o.Dynamic.FinalShare)
	if o.Dynamic.FinalShare < 0.2 {
		t.Errorf("dynamic network: %.2f infected, want an epidemic at R0 %.2f", o.Dynamic.FinalShare, o.Fit.R0)
	}
	dir := t.TempDir()
	for _, ext := range []string{".svg", ".png"} {
		if err := o.Plot(dir + "/o" + ext); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEstimateRtMeanField(t *testing.T) {
	// Exact mean-field incidence: early R_t is R0 S/N within 5%.
	m := &MeanField{Beta: 0.5, Sigma: 0.25, Gamma: 0.2, N: 1e6, E0: 10}
	c, err := m.Solve(80)
	if err != nil {
		t.Fatal(err)
	}
	inc := make([]float64, 80)
	for d := range inc {
		inc[d] = (c.I[d+1] + c.R[d+1]) - (c.I[d] + c.R[d])
	}
	for _, p := range EstimateRt(inc, 0.25, 0.2, 7) {
		if p.Day >= 30 && p.Day <= 50 {
			want := m.R0() * c.S[p.Day-3] / m.N
			if math.Abs(p.Mean-want)/want > 0.05 || p.Lo > p.Mean || p.Hi < p.Mean {
				t.Errorf("day %d: R_t %.3f [%.3f, %.3f], want about %.3f", p.Day, p.Mean, p.Lo, p.Hi, want)
			}
		}
	}
}
