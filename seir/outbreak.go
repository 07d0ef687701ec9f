package seir

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
)

// OutbreakConfig are the inputs of [AnalyseOutbreak] besides the series.
type OutbreakConfig struct {
	Fit FitConfig
	// Hist is the released degree distribution; without it the network
	// models are left out.
	Hist []DegreeCount
	// NetworkN caps the nodes of the dynamic network (default 2000);
	// NetworkRuns is its number of runs (default 5).
	NetworkN, NetworkRuns int
}

// Outbreak is the analysis of a series of daily reported positives: the
// mean-field fit with its forecast and R_t, and, given a degree
// distribution, the pairwise model and the dynamic network run from the
// fitted R0, seed and reporting.
type Outbreak struct {
	Data     []float64 // the series; NaN for a day below k
	Fit      *Fit
	Pairwise *NetworkForecast `json:",omitempty"`
	Dynamic  *NetworkForecast `json:",omitempty"`
}

// NetworkForecast is a network model's expected reported positives per day
// (days 0..len(data)+horizon-1), in the units of the data: onsets times
// the fitted reporting fraction, shifted by the fitted delay and scaled to
// the population.
type NetworkForecast struct {
	Model      string             `json:"model"`
	Params     map[string]float64 `json:"params"`
	Expected   []float64          `json:"expected"`
	Lo         []float64          `json:"lo,omitempty"`
	Hi         []float64          `json:"hi,omitempty"`
	PeakDay    int                `json:"peak_day"`
	FinalShare float64            `json:"final_share"` // fraction ever infected by the end
}

// AnalyseOutbreak fits data and runs the network models.
func AnalyseOutbreak(ctx context.Context, data []float64, cfg OutbreakConfig) (*Outbreak, error) {
	f, err := FitMeanField(data, cfg.Fit)
	if err != nil {
		return nil, err
	}
	o := &Outbreak{Data: data, Fit: f}
	if len(cfg.Hist) == 0 {
		return o, nil
	}
	days := len(f.Expected)
	pw, pwR0, err := PairwiseFromHistogram(cfg.Hist, f.Beta, f.Sigma, f.Gamma, f.N, f.E0)
	if err != nil {
		return nil, err
	}
	c, err := pw.Solve(days + int(math.Ceil(f.Delay)) + 1)
	if err != nil {
		return nil, err
	}
	o.Pairwise = &NetworkForecast{Model: "pairwise",
		Params:   map[string]float64{"mean_degree": pw.Degree, "kappa": pw.K, "tau": pw.Tau, "r0": pwR0, "n": f.N, "e0": f.E0},
		Expected: reported(cumOnsets(c), f.Reporting, f.Delay, days, 1)}
	o.Pairwise.PeakDay = peakIndex(o.Pairwise.Expected)
	o.Pairwise.FinalShare = (c.I[len(c.I)-1] + c.R[len(c.R)-1] + c.E[len(c.E)-1]) / c.N

	nn := cfg.NetworkN
	if nn == 0 {
		nn = 2000
	}
	nn = min(nn, int(f.N))
	runs := cfg.NetworkRuns
	if runs == 0 {
		runs = 5
	}
	dn := &DynamicNetwork{Hist: cfg.Hist, N: nn, Sigma: f.Sigma, Gamma: f.Gamma}
	if dn.Tau, err = dn.TauForR0(f.R0); err != nil {
		return nil, err
	}
	e0 := max(1, int(math.Round(f.E0*float64(nn)/f.N)))
	band, err := RunDynamic(ctx, dn, runs, cfg.Fit.Seed, e0, days+int(math.Ceil(f.Delay))+1)
	if err != nil {
		return nil, err
	}
	scale := f.N / float64(nn)
	dyn := &NetworkForecast{Model: "dynamic",
		Params: map[string]float64{"n": float64(nn), "e0": float64(e0), "tau": dn.Tau, "runs": float64(runs), "edges_per_day": band.MeanEdges, "scale": scale}}
	shift := func(x []float64) []float64 {
		return reported(cumulative(x), f.Reporting, f.Delay, days, scale)
	}
	dyn.Expected, dyn.Lo, dyn.Hi = shift(band.Mean), shift(band.Lo), shift(band.Hi)
	dyn.PeakDay = peakIndex(dyn.Expected)
	total := 0.0
	for _, v := range band.Mean {
		total += v
	}
	dyn.FinalShare = total / float64(nn)
	o.Dynamic = dyn
	return o, nil
}

// cumOnsets returns I+R+... the cumulative onsets C(t) = I + R of c.
func cumOnsets(c *Curve) []float64 {
	out := make([]float64, c.Len())
	for i := range out {
		out[i] = c.I[i] + c.R[i]
	}
	return out
}

// cumulative returns C with C[0] = 0 and C[d+1] = C[d] + x[d].
func cumulative(x []float64) []float64 {
	out := make([]float64, len(x)+1)
	for d, v := range x {
		out[d+1] = out[d] + v
	}
	return out
}

// reported returns rho*scale*(C(d+1-delay) - C(d-delay)) for d = 0..days-1,
// C given on the integer grid (0 before 0, linear in between, constant
// after the end).
func reported(cum []float64, rho, delay float64, days int, scale float64) []float64 {
	at := func(t float64) float64 {
		if t <= 0 {
			return 0
		}
		i := int(t)
		if i+1 >= len(cum) {
			return cum[len(cum)-1]
		}
		return cum[i] + (t-float64(i))*(cum[i+1]-cum[i])
	}
	out := make([]float64, days)
	for d := range out {
		out[d] = rho * scale * math.Max(at(float64(d+1)-delay)-at(float64(d)-delay), 0)
	}
	return out
}

// OutbreakJSON is the JSON form of an [Outbreak] for the dashboard: data
// days below k are null.
type OutbreakJSON struct {
	Params   map[string]float64 `json:"params"`
	Data     []*float64         `json:"data"`
	Expected []float64          `json:"expected"`
	Lo       []float64          `json:"lo"`
	Hi       []float64          `json:"hi"`
	PeakDay  int                `json:"peak_day"`
	Rt       []RtPoint          `json:"rt"`
	RtLast   *float64           `json:"rt_last"`
	Pairwise *NetworkForecast   `json:"pairwise,omitempty"`
	Dynamic  *NetworkForecast   `json:"dynamic,omitempty"`
}

// MarshalJSON writes an RtPoint as {day, mean, lo, hi}.
func (p RtPoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Day  int     `json:"day"`
		Mean float64 `json:"mean"`
		Lo   float64 `json:"lo"`
		Hi   float64 `json:"hi"`
	}{p.Day, p.Mean, p.Lo, p.Hi})
}

// JSON returns the JSON form of o.
func (o *Outbreak) JSON() *OutbreakJSON {
	f := o.Fit
	j := &OutbreakJSON{Params: map[string]float64{"r0": f.R0, "r0_lo": f.R0Lo, "r0_hi": f.R0Hi, "beta": f.Beta,
		"sigma": f.Sigma, "gamma": f.Gamma, "n": f.N, "reporting": f.Reporting, "delay": f.Delay, "e0": f.E0,
		"days": float64(f.Days), "released_days": float64(f.Released), "nll": f.NLL},
		Expected: f.Expected, Lo: f.Lo, Hi: f.Hi, PeakDay: f.PeakDay, Rt: f.Rt, Pairwise: o.Pairwise, Dynamic: o.Dynamic}
	if j.Rt == nil {
		j.Rt = []RtPoint{}
	}
	if r := f.RtLast(); !math.IsNaN(r) {
		j.RtLast = &r
	}
	for _, y := range o.Data {
		if math.IsNaN(y) {
			j.Data = append(j.Data, nil)
		} else {
			v := y
			j.Data = append(j.Data, &v)
		}
	}
	return j
}

// WriteCSV writes one row per day of data and forecast: day, positives
// (empty after the data, "< k" below k), expected, lo, hi, rt, rt_lo,
// rt_hi, pairwise, dynamic, dynamic_lo, dynamic_hi (empty where a value
// does not exist).
func (o *Outbreak) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("day,positives,expected,lo,hi,rt,rt_lo,rt_hi,pairwise,dynamic,dynamic_lo,dynamic_hi\n")
	f := o.Fit
	rt := map[int]RtPoint{}
	for _, p := range f.Rt {
		rt[p.Day] = p
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	for d := range f.Expected {
		row := []string{strconv.Itoa(d), "", num(f.Expected[d]), num(f.Lo[d]), num(f.Hi[d]), "", "", "", "", "", "", ""}
		if d < len(o.Data) {
			if math.IsNaN(o.Data[d]) {
				row[1] = "< k"
			} else {
				row[1] = num(o.Data[d])
			}
		}
		if p, ok := rt[d]; ok {
			row[5], row[6], row[7] = num(p.Mean), num(p.Lo), num(p.Hi)
		}
		if o.Pairwise != nil {
			row[8] = num(o.Pairwise.Expected[d])
		}
		if o.Dynamic != nil {
			row[9], row[10], row[11] = num(o.Dynamic.Expected[d]), num(o.Dynamic.Lo[d]), num(o.Dynamic.Hi[d])
		}
		for i, s := range row {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(s)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Summary returns the closing line of "safetrace seir fit".
func (o *Outbreak) Summary() string {
	return fmt.Sprintf("R0=%.3f peak_day=%d rt_last=%.3f", o.Fit.R0, o.Fit.PeakDay, o.Fit.RtLast())
}
