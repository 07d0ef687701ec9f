package seir

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distmv"
	"gonum.org/v1/gonum/stat/distuv"
)

// Censored marks a day of a series whose count was not released (below
// the k-anonymity threshold): the fit reads it as some count in 0..K-1.
var Censored = math.NaN()

// FitConfig are the fixed inputs of [FitMeanField].
type FitConfig struct {
	Sigma, Gamma float64 // fixed E -> I and I -> R rates (the serial interval is not identifiable from counts alone)
	N            float64 // population size
	// Reporting is the fixed fraction of onsets that are reported, in
	// (0, 1]; 0 means it is fitted.
	Reporting float64
	// Delay is the fixed delay in days from onset to report, >= 0; a
	// negative Delay means it is fitted in [0, MaxDelay].
	Delay    float64
	MaxDelay float64 // default 14
	// K is the threshold below which censored days lie (default 1: a
	// censored day is then 0).
	K int
	// Horizon is the number of days forecast after the data (default 30).
	Horizon int
	// Samples is the number of parameter draws for the bands (default 200);
	// Seed seeds them.
	Samples int
	Seed    uint64
	// RtWindow is the smoothing window of the R_t estimate in days
	// (default 7).
	RtWindow int
}

// Fit is the outcome of [FitMeanField]. Series indexed by day run over
// the data and the forecast: days 0..len(data)+Horizon-1.
type Fit struct {
	Beta, R0, Reporting, Delay, E0 float64
	Sigma, Gamma, N                float64
	R0Lo, R0Hi                     float64 // 5% and 95% of the parameter draws
	NLL                            float64 // negative Poisson log likelihood at the optimum, constants left out
	Days                           int     // days of data
	Released                       int     // days of data with a count (not below k)
	// PeakDay is the day of the largest expected reported count.
	PeakDay int
	// Expected reported positives per day and their 90% predictive band
	// (parameter draws plus Poisson noise).
	Expected, Lo, Hi []float64
	// Rt is the renewal (Cori) estimate of the instantaneous reproduction
	// number on the data days for which it is defined.
	Rt []RtPoint
	// Converged reports whether the optimizer ended by convergence.
	Converged bool
}

// RtPoint is the R_t estimate of one day: the posterior mean and the 5%
// and 95% quantiles.
type RtPoint struct {
	Day          int
	Mean, Lo, Hi float64
}

// RtLast returns the mean R_t of the last day with an estimate, or NaN.
func (f *Fit) RtLast() float64 {
	if len(f.Rt) == 0 {
		return math.NaN()
	}
	return f.Rt[len(f.Rt)-1].Mean
}

func (c *FitConfig) defaults() {
	if c.MaxDelay == 0 {
		c.MaxDelay = 14
	}
	if c.K < 1 {
		c.K = 1
	}
	if c.Horizon == 0 {
		c.Horizon = 30
	}
	if c.Samples == 0 {
		c.Samples = 200
	}
	if c.RtWindow == 0 {
		c.RtWindow = 7
	}
}

func (c *FitConfig) validate(days int) error {
	switch {
	case !positive(c.Sigma) || !positive(c.Gamma):
		return errors.New("seir: fit: sigma and gamma must be finite and > 0")
	case !positive(c.N):
		return errors.New("seir: fit: population must be finite and > 0")
	case c.Reporting < 0 || c.Reporting > 1 || math.IsNaN(c.Reporting):
		return errors.New("seir: fit: reporting fraction must be in (0, 1] (0: fitted)")
	case math.IsNaN(c.Delay) || math.IsInf(c.Delay, 0) || c.Delay > c.MaxDelay:
		return fmt.Errorf("seir: fit: delay must be at most %g days (negative: fitted)", c.MaxDelay)
	case !positive(c.MaxDelay) || c.Horizon < 0 || c.Samples < 0 || c.RtWindow < 1:
		return errors.New("seir: fit: bad max delay, horizon, samples or R_t window")
	case days < 7:
		return fmt.Errorf("seir: fit: need at least 7 days of data, got %d", days)
	}
	return nil
}

// fitModel maps the optimizer's unconstrained vector to the model.
type fitModel struct {
	cfg        FitConfig
	data       []float64
	fitRho     bool
	fitDelay   bool
	days       int // data days plus forecast
	censoredLL float64
}

// params returns beta, e0, rho and delay for x = (log beta, log e0,
// [logit rho], [logit delay/max]).
func (m *fitModel) params(x []float64) (beta, e0, rho, delay float64) {
	// Bounded so that a flat likelihood (a series mostly below k) cannot
	// send the optimizer to stiff or empty models: R0 in [0.01, 50],
	// E0 in [0.001, N/2].
	beta = math.Min(math.Max(math.Exp(x[0]), 0.01*m.cfg.Gamma), 50*m.cfg.Gamma)
	e0 = math.Min(math.Max(math.Exp(x[1]), 1e-3), m.cfg.N/2)
	rho, delay = m.cfg.Reporting, m.cfg.Delay
	i := 2
	if m.fitRho {
		rho = logistic(x[i])
		i++
	}
	if m.fitDelay {
		delay = m.cfg.MaxDelay * logistic(x[i])
	}
	return
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func logit(p float64) float64    { return math.Log(p / (1 - p)) }

// expected returns the expected reported positives on days 0..n-1:
// rho (C(d+1-delay) - C(d-delay)) with C = I + R the cumulative onsets of
// the mean-field model seeded with e0 exposed at time 0 (C = 0 before).
func (m *fitModel) expected(beta, e0, rho, delay float64, n int) ([]float64, error) {
	mf := &MeanField{Beta: beta, Sigma: m.cfg.Sigma, Gamma: m.cfg.Gamma, N: m.cfg.N, E0: e0}
	if err := mf.validate(); err != nil {
		return nil, err
	}
	cum := make([]float64, n+1) // C at j - delay, j = 0..n
	grid := []float64{0}
	first := -1
	for j := 0; j <= n; j++ {
		t := float64(j) - delay
		if t > 0 {
			if first < 0 {
				first = j
			}
			grid = append(grid, t)
		}
	}
	if first >= 0 {
		err := solveGrid(mf.rhs, []float64{mf.N - e0, e0, 0, 0}, grid, func(i int, y []float64) {
			if i > 0 {
				cum[first+i-1] = y[2] + y[3]
			}
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]float64, n)
	for d := range out {
		out[d] = rho * math.Max(cum[d+1]-cum[d], 0)
	}
	return out, nil
}

// nll is the negative Poisson log likelihood of the data (constants left
// out); a censored day contributes -log P(Y < K).
func (m *fitModel) nll(x []float64) float64 {
	beta, e0, rho, delay := m.params(x)
	mu, err := m.expected(beta, e0, rho, delay, len(m.data))
	if err != nil {
		return math.Inf(1)
	}
	s := 0.0
	for d, y := range m.data {
		l := math.Max(mu[d], 1e-12)
		if math.IsNaN(y) {
			p := distuv.Poisson{Lambda: l}.CDF(float64(m.cfg.K - 1))
			s -= math.Log(math.Max(p, 1e-300))
			continue
		}
		s += l - y*math.Log(l)
	}
	if math.IsNaN(s) {
		return math.Inf(1)
	}
	return s
}

// FitMeanField fits the mean-field SEIR model to daily reported positives
// (data[d] on day d; [Censored] for a day below k) by maximum Poisson
// likelihood over beta, the initially exposed, and, unless fixed, the
// reporting fraction and the reporting delay, with gonum's Nelder-Mead
// (several starts, then a restart from the best). Bands come from draws of
// the parameters from the normal approximation at the optimum (the
// inverse of the finite-difference Hessian in the transformed parameters)
// with Poisson noise on top; R_t is the renewal estimate of [EstimateRt].
func FitMeanField(data []float64, cfg FitConfig) (*Fit, error) {
	cfg.defaults()
	if err := cfg.validate(len(data)); err != nil {
		return nil, err
	}
	for d, y := range data {
		if !math.IsNaN(y) && (y < 0 || math.IsInf(y, 0)) {
			return nil, fmt.Errorf("seir: fit: day %d: count %g is not >= 0", d, y)
		}
	}
	m := &fitModel{cfg: cfg, data: data, fitRho: cfg.Reporting == 0, fitDelay: cfg.Delay < 0}
	m.days = len(data) + cfg.Horizon

	// Starting points: R0 from the early growth rate, several seed sizes.
	r := growthRate(data)
	r0 := (1 + r/cfg.Sigma) * (1 + r/cfg.Gamma)
	r0 = math.Min(math.Max(r0, 1.05), 20)
	rho0 := cfg.Reporting
	if m.fitRho {
		total := 0.0
		for _, y := range data {
			if !math.IsNaN(y) {
				total += y
			}
		}
		fs, _ := (&MeanField{Beta: r0 * cfg.Gamma, Sigma: cfg.Sigma, Gamma: cfg.Gamma, N: cfg.N, E0: 1}).FinalSize()
		rho0 = math.Min(math.Max(total/(cfg.N*math.Max(fs, 1e-3)), 0.01), 0.95)
	}
	problem := optimize.Problem{Func: m.nll}
	settings := &optimize.Settings{Concurrent: 1, MajorIterations: 4000, FuncEvaluations: 1500,
		Converger: &optimize.FunctionConverge{Absolute: 1e-9, Relative: 1e-10, Iterations: 200}}
	var best *optimize.Result
	for _, e0 := range []float64{1, 10, 100} {
		if e0 > cfg.N/4 {
			continue
		}
		for _, g := range []float64{0.8, 1, 1.25} {
			x0 := []float64{math.Log(g * r0 * cfg.Gamma), math.Log(e0)}
			if m.fitRho {
				x0 = append(x0, logit(rho0))
			}
			if m.fitDelay {
				x0 = append(x0, logit(2/cfg.MaxDelay))
			}
			res, err := optimize.Minimize(problem, x0, settings, &optimize.NelderMead{})
			if err != nil && res == nil {
				continue
			}
			if best == nil || res.F < best.F {
				best = res
			}
		}
	}
	if best == nil || math.IsInf(best.F, 0) {
		return nil, errors.New("seir: fit: the optimizer found no finite likelihood")
	}
	if res, err := optimize.Minimize(problem, slices.Clone(best.X), settings, &optimize.NelderMead{}); (err == nil || res != nil) && res.F <= best.F {
		best = res
	}
	x := best.X
	beta, e0, rho, delay := m.params(x)
	f := &Fit{Beta: beta, R0: beta / cfg.Gamma, Reporting: rho, Delay: delay, E0: e0, Sigma: cfg.Sigma, Gamma: cfg.Gamma, N: cfg.N,
		NLL: best.F, Days: len(data), Converged: best.Status == optimize.FunctionConvergence}
	for _, y := range data {
		if !math.IsNaN(y) {
			f.Released++
		}
	}
	var err error
	if f.Expected, err = m.expected(beta, e0, rho, delay, m.days); err != nil {
		return nil, err
	}
	f.PeakDay = peakIndex(f.Expected)
	f.R0Lo, f.R0Hi = f.R0, f.R0
	f.Lo, f.Hi = slices.Clone(f.Expected), slices.Clone(f.Expected)
	if err := m.bands(f, x); err != nil {
		return nil, err
	}
	f.Rt = EstimateRt(data, cfg.Sigma, cfg.Gamma, cfg.RtWindow)
	return f, nil
}

// bands fills the R0 interval and the predictive band from parameter draws.
func (m *fitModel) bands(f *Fit, x []float64) error {
	cfg := m.cfg
	if cfg.Samples == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	var h mat.SymDense
	fd.Hessian(&h, m.nll, x, nil)
	var chol mat.Cholesky
	n := len(x)
	cov := mat.NewSymDense(n, nil)
	if chol.Factorize(&h) {
		if err := chol.InverseTo(cov); err != nil {
			return nil
		}
	} else {
		// Not positive definite (a flat direction): use the diagonal.
		for i := range n {
			v := h.At(i, i)
			if v <= 0 {
				v = 1e-2
			}
			cov.SetSym(i, i, 1/v)
		}
	}
	norm, ok := distmv.NewNormal(x, cov, rng)
	if !ok {
		return nil
	}
	draws := make([][]float64, len(f.Expected))
	var r0s []float64
	for range cfg.Samples {
		xs := norm.Rand(nil)
		beta, e0, rho, delay := m.params(xs)
		mu, err := m.expected(beta, e0, rho, delay, m.days)
		if err != nil {
			continue
		}
		r0s = append(r0s, beta/cfg.Gamma)
		for d, l := range mu {
			y := 0.0
			if l > 0 {
				y = distuv.Poisson{Lambda: l, Src: rng}.Rand()
			}
			draws[d] = append(draws[d], y)
		}
	}
	if len(r0s) < 10 {
		return nil
	}
	f.R0Lo, f.R0Hi = quantile(r0s, 0.05), quantile(r0s, 0.95)
	for d, ys := range draws {
		f.Lo[d], f.Hi[d] = quantile(ys, 0.05), quantile(ys, 0.95)
	}
	return nil
}

// quantile returns the p-quantile of x (sorted in place), by linear
// interpolation.
func quantile(x []float64, p float64) float64 {
	slices.Sort(x)
	if len(x) == 0 {
		return math.NaN()
	}
	h := p * float64(len(x)-1)
	i := int(h)
	if i+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[i] + (h-float64(i))*(x[i+1]-x[i])
}

// growthRate estimates the early exponential growth rate of data: the
// least-squares slope of log(1 + 7-day mean) from the first day with any
// count up to the day the 7-day mean first reaches half its maximum (at
// least 7 days). It returns 0.1 when there is too little to go on.
func growthRate(data []float64) float64 {
	ma := movingMean(data, 7)
	top := 0.0
	for _, v := range ma {
		top = math.Max(top, v)
	}
	start, end := -1, -1
	for d, v := range ma {
		if start < 0 && v > 0 {
			start = d
		}
		if start >= 0 && v >= top/2 {
			end = d
			break
		}
	}
	if start < 0 || end-start < 7 {
		return 0.1
	}
	var sx, sy, sxx, sxy, n float64
	for d := start; d <= end; d++ {
		x, y := float64(d), math.Log(1+ma[d])
		sx, sy, sxx, sxy, n = sx+x, sy+y, sxx+x*x, sxy+x*y, n+1
	}
	r := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	if !(r > 0.005) {
		return 0.1
	}
	return r
}

// movingMean returns the centred mean over w days of x (shorter at the
// ends), leaving out censored days.
func movingMean(x []float64, w int) []float64 {
	out := make([]float64, len(x))
	for d := range x {
		s, n := 0.0, 0
		for j := d - w/2; j <= d+w/2; j++ {
			if j >= 0 && j < len(x) && !math.IsNaN(x[j]) {
				s += x[j]
				n++
			}
		}
		if n > 0 {
			out[d] = s / float64(n)
		}
	}
	return out
}

// GenerationInterval returns the discretised generation interval of the
// SEIR model with exponential latent (rate sigma) and infectious (rate
// gamma) periods, for counts aggregated by day: w[s] = E[max(0, 1 -
// |G - s|)], the chance that an infection on a day is caused by one s days
// earlier when both happen uniformly within their days, for s = 1.. until
// the tail is below 1e-6, normalised; w[0] = 0 (same-day mass, small since
// the density of G is 0 at 0, is left out).
func GenerationInterval(sigma, gamma float64) []float64 {
	g := func(t float64) float64 {
		if t <= 0 {
			return 0
		}
		if math.Abs(sigma-gamma) < 1e-9*gamma {
			return sigma * sigma * t * math.Exp(-sigma*t)
		}
		return sigma * gamma / (gamma - sigma) * (math.Exp(-sigma*t) - math.Exp(-gamma*t))
	}
	tail := func(t float64) float64 {
		if math.Abs(sigma-gamma) < 1e-9*gamma {
			return math.Exp(-sigma*t) * (1 + sigma*t)
		}
		return (gamma*math.Exp(-sigma*t) - sigma*math.Exp(-gamma*t)) / (gamma - sigma)
	}
	const steps = 64 // Simpson panels per unit interval
	tri := func(s float64) float64 {
		sum := 0.0
		for _, seg := range [][2]float64{{s - 1, s}, {s, s + 1}} {
			h := (seg[1] - seg[0]) / steps
			for i := 0; i <= steps; i++ {
				t := seg[0] + float64(i)*h
				wgt := 2.0
				if i == 0 || i == steps {
					wgt = 1
				} else if i%2 == 1 {
					wgt = 4
				}
				sum += wgt * h / 3 * g(t) * (1 - math.Abs(t-s))
			}
		}
		return sum
	}
	w := []float64{0}
	for s := 1; s < 1000; s++ {
		w = append(w, tri(float64(s)))
		if tail(float64(s)) < 1e-6 {
			break
		}
	}
	sum := 0.0
	for _, v := range w {
		sum += v
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// EstimateRt is the renewal estimate of the instantaneous reproduction
// number (Cori et al., Am. J. Epidemiol. 178, 2013): with the generation
// interval w of the SEIR model and the force Lambda_t = sum_s I_{t-s} w_s,
// the posterior of R_t over the window (t-window, t] under a Gamma(1, 5)
// prior (shape, scale) is Gamma(1 + sum I, 1/(1/5 + sum Lambda)). It
// returns the mean and the 5% and 95% quantiles for each day t >= window
// with at least 12 cases before the window and sum Lambda > 0 (censored
// days count as 0). A constant reporting fraction cancels. Early values
// are biased upwards when the epidemic's first generations are missing
// from the data (they are not in Lambda).
func EstimateRt(data []float64, sigma, gamma float64, window int) []RtPoint {
	w := GenerationInterval(sigma, gamma)
	inc := make([]float64, len(data))
	for d, y := range data {
		if !math.IsNaN(y) {
			inc[d] = y
		}
	}
	lam := make([]float64, len(inc))
	for t := range inc {
		for s := 1; s < len(w) && s <= t; s++ {
			lam[t] += inc[t-s] * w[s]
		}
	}
	var out []RtPoint
	cum := 0.0
	for t := window; t < len(inc); t++ {
		if cum += inc[t-window]; cum < 12 {
			continue // too little history before the window (Cori et al.)
		}
		var si, sl float64
		for j := t - window + 1; j <= t; j++ {
			si += inc[j]
			sl += lam[j]
		}
		if sl < 1e-9 {
			continue
		}
		shape, rate := 1+si, 1.0/5+sl
		g := distuv.Gamma{Alpha: shape, Beta: rate}
		out = append(out, RtPoint{Day: t, Mean: shape / rate, Lo: g.Quantile(0.05), Hi: g.Quantile(0.95)})
	}
	return out
}
