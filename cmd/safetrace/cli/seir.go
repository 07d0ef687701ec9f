package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safetrace/safetrace/compute"

	"github.com/safetrace/safetrace/seir"
)

// seirCommands lists the subcommands of "safetrace seir".
var seirCommands = []command{
	{"meanfield", "well-mixed SEIR ODE", seirMeanField},
	{"pairwise", "homogeneous pairwise SEIR on a network of mean degree K", seirPairwise},
	{"pairbased", "node-level pair-based SEIR on an edge list with per-node parameters", seirPairBased},
	{"simulate", "exact stochastic SEIR runs on an edge list; mean curve", seirSimulate},
	{"graph", "generate a contact graph as an edge list", seirGraph},
	{"fit", "fit the mean-field model to daily positives; R_t, forecast, network models", seirFit},
}

func runSEIR(ctx context.Context, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(stdout, "usage: safetrace seir <model> [flags]\n\nmodels:")
		for _, c := range seirCommands {
			fmt.Fprintf(stdout, "  %-10s %s\n", c.name, c.summary)
		}
		fmt.Fprintln(stdout, "\nCurves are CSV with the header t,S,E,I,R on days 0..D, as counts unless --fractions.")
		return nil
	}
	if len(args) == 0 {
		return errors.New("seir: missing model\nsafetrace: hint: 'safetrace seir help' lists them")
	}
	for _, c := range seirCommands {
		if c.name == args[0] {
			return c.run(ctx, args[1:])
		}
	}
	return fmt.Errorf("seir: unknown model %q\nsafetrace: hint: 'safetrace seir help' lists them", args[0])
}

// curveOutput holds the output flags shared by the model subcommands.
type curveOutput struct {
	out, plot, json string
	fractions       bool
}

func (o *curveOutput) register(fs *flag.FlagSet) {
	fs.StringVar(&o.out, "out", "-", "CSV output `file` (- for stdout)")
	fs.StringVar(&o.plot, "plot", "", "also draw the curves to `file` (.svg, .png or .pdf)")
	fs.StringVar(&o.json, "json", "", "also write the curves as JSON to `file`")
	fs.BoolVar(&o.fractions, "fractions", false, "write fractions of the population instead of counts")
}

// write writes c as CSV, and as a plot and JSON if asked.
func (o *curveOutput) write(c *seir.Curve, model string, params map[string]float64, bands map[string][]float64) error {
	if o.fractions {
		c = c.Fractions()
		for k, b := range bands {
			for i := range b {
				b[i] /= params["n"]
			}
			bands[k] = b
		}
	}
	if err := writeFile(o.out, c.WriteCSV); err != nil {
		return err
	}
	if o.json != "" {
		j := c.JSON(model, params, o.fractions)
		j.N = params["n"]
		j.Bands = bands
		if err := writeFile(o.json, j.WriteJSON); err != nil {
			return err
		}
	}
	if o.plot != "" {
		if err := c.Plot(o.plot, model+" SEIR"); err != nil {
			return err
		}
	}
	return nil
}

func seirMeanField(_ context.Context, args []string) error {
	fs := newFlagSet("seir meanfield")
	var m seir.MeanField
	var o curveOutput
	fs.Float64Var(&m.Beta, "beta", 0, "transmission rate per day")
	fs.Float64Var(&m.Sigma, "sigma", 0, "rate E -> I per day (1/latent period)")
	fs.Float64Var(&m.Gamma, "gamma", 0, "recovery rate per day (1/infectious period)")
	fs.Float64Var(&m.N, "n", 0, "population size")
	fs.Float64Var(&m.E0, "e0", 0, "initially exposed")
	fs.Float64Var(&m.I0, "i0", 0, "initially infectious")
	days := fs.Int("days", 180, "days to model")
	o.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := m.Solve(*days)
	if err != nil {
		return err
	}
	return o.write(c, "meanfield", map[string]float64{"beta": m.Beta, "sigma": m.Sigma, "gamma": m.Gamma,
		"n": m.N, "e0": m.E0, "i0": m.I0, "days": float64(*days)}, nil)
}

func seirPairwise(_ context.Context, args []string) error {
	fs := newFlagSet("seir pairwise")
	var p seir.Pairwise
	var o curveOutput
	fs.Float64Var(&p.Degree, "degree", 0, "mean degree of the network")
	kappa := fs.String("kappa", "regular", "triple closure: regular ((n-1)/n) or poisson (1)")
	fs.Float64Var(&p.Tau, "tau", 0, "per-edge transmission rate per day")
	fs.Float64Var(&p.Sigma, "sigma", 0, "rate E -> I per day")
	fs.Float64Var(&p.Gamma, "gamma", 0, "recovery rate per day")
	fs.Float64Var(&p.N, "n", 0, "number of nodes")
	fs.Float64Var(&p.E0, "e0", 0, "initially exposed, seeded at random")
	days := fs.Int("days", 180, "days to model")
	o.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if p.Closure, err = seir.ParseClosure(*kappa); err != nil {
		return err
	}
	c, err := p.Solve(*days)
	if err != nil {
		return err
	}
	return o.write(c, "pairwise", map[string]float64{"degree": p.Degree, "kappa": p.Kappa(), "tau": p.Tau,
		"sigma": p.Sigma, "gamma": p.Gamma, "n": p.N, "e0": p.E0, "days": float64(*days)}, nil)
}

// networkFlags are the flags shared by pairbased and simulate.
type networkFlags struct {
	graph, params, seeds string
	tau, sigma, gamma    float64
	days                 int
}

// networkFlagSet returns the flag set of the network model name with the
// network and output flags registered.
func networkFlagSet(name string) (*flag.FlagSet, *networkFlags, *curveOutput) {
	fs := newFlagSet(name)
	nf, o := &networkFlags{}, &curveOutput{}
	nf.register(fs)
	o.register(fs)
	return fs, nf, o
}

func (nf *networkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&nf.graph, "graph", "", "edge-list CSV `file` with header u,v")
	fs.StringVar(&nf.params, "params", "", "per-node CSV `file` with header node,a,b[,sigma,gamma]")
	fs.StringVar(&nf.seeds, "seeds", "", "comma-separated `list` of nodes exposed at day 0")
	fs.Float64Var(&nf.tau, "tau", 0, "per-edge transmission rate per day, scaled by a_j*b_i")
	fs.Float64Var(&nf.sigma, "sigma", 0, "rate E -> I per day, unless given per node")
	fs.Float64Var(&nf.gamma, "gamma", 0, "recovery rate per day, unless given per node")
	fs.IntVar(&nf.days, "days", 180, "days to model")
}

// load reads the graph, the parameters (uniform if no file is given) and
// the seed nodes.
func (nf *networkFlags) load() (*seir.Graph, *seir.NodeParams, []int, error) {
	if nf.graph == "" {
		return nil, nil, nil, errors.New("seir: --graph is required")
	}
	g, err := readFile(nf.graph, seir.ReadEdges)
	if err != nil {
		return nil, nil, nil, err
	}
	var p *seir.NodeParams
	if nf.params == "" {
		p = seir.UniformParams(g.N(), nf.sigma, nf.gamma)
		err = p.Validate(g.N())
	} else {
		p, err = readFile(nf.params, func(r io.Reader) (*seir.NodeParams, error) {
			return seir.ReadParams(r, g.N(), nf.sigma, nf.gamma)
		})
	}
	if err != nil {
		return nil, nil, nil, err
	}
	seeds, err := parseSeeds(nf.seeds)
	return g, p, seeds, err
}

func (nf *networkFlags) baseParams() map[string]float64 {
	return map[string]float64{"tau": nf.tau, "sigma": nf.sigma, "gamma": nf.gamma, "days": float64(nf.days)}
}

// parseSeeds parses a comma-separated list of node ids.
func parseSeeds(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("seir: --seeds: %q is not a node id", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func seirPairBased(_ context.Context, args []string) error {
	fs, nf, o := networkFlagSet("seir pairbased")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	g, p, seeds, err := nf.load()
	if err != nil {
		return err
	}
	if len(seeds) == 0 {
		return errors.New("seir: --seeds is required")
	}
	res, err := (&seir.PairBased{Graph: g, Params: p, Tau: nf.tau, Seeds: seeds}).Solve(nf.days)
	if err != nil {
		return err
	}
	params := nf.baseParams()
	params["n"], params["seeds"] = float64(g.N()), float64(len(seeds))
	return o.write(res.Curve, "pairbased", params, nil)
}

func seirSimulate(ctx context.Context, args []string) error {
	fs, nf, o := networkFlagSet("seir simulate")
	e0 := fs.Int("e0", 0, "expose this many random nodes per run instead of --seeds")
	runs := fs.Int("runs", 100, "number of runs")
	seed := fs.Uint64("seed", 1, "random seed; run r uses the PCG stream (seed, r)")
	workers := fs.Int("workers", 0, "parallel runs (0: one per CPU)")
	runsOut := fs.String("runs-out", "", "write per-run final size and peak as CSV to `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	g, p, seeds, err := nf.load()
	if err != nil {
		return err
	}
	if (len(seeds) == 0) == (*e0 == 0) {
		return errors.New("seir: give exactly one of --seeds and --e0")
	}
	sim := &seir.Simulation{Graph: g, Params: p, Tau: nf.tau}
	ens, err := seir.RunEnsemble(ctx, sim, seir.EnsembleConfig{Runs: *runs, Seed: *seed, Days: nf.days,
		Seeds: seeds, E0: *e0, Workers: *workers})
	if err != nil {
		return err
	}
	if *runsOut != "" {
		if err := writeFile(*runsOut, func(w io.Writer) error { return writeRuns(w, ens) }); err != nil {
			return err
		}
	}
	bands := map[string][]float64{}
	for _, q := range []float64{0.05, 0.5, 0.95} {
		c, err := ens.Quantile(q)
		if err != nil {
			return err
		}
		for k, x := range map[string][]float64{"S": c.S, "E": c.E, "I": c.I, "R": c.R} {
			bands[fmt.Sprintf("%s_q%g", k, q)] = x
		}
	}
	params := nf.baseParams()
	params["n"], params["runs"], params["seed"] = float64(g.N()), float64(*runs), float64(*seed)
	params["seeds"] = float64(max(len(seeds), *e0))
	return o.write(ens.Mean(), "simulate", params, bands)
}

func writeRuns(w io.Writer, ens *seir.Ensemble) error {
	if _, err := fmt.Fprintln(w, "run,final_size,peak,peak_time,events"); err != nil {
		return err
	}
	for r, s := range ens.Runs {
		fmt.Fprintf(w, "%d,%d,%d,%s,%d\n", r, s.FinalSize, s.Peak, strconv.FormatFloat(s.PeakTime, 'g', -1, 64), s.Events)
	}
	return nil
}

func seirGraph(_ context.Context, args []string) error {
	fs := newFlagSet("seir graph")
	kind := fs.String("kind", "", "regular, er (Erdos-Renyi), ba (Barabasi-Albert) or config (configuration model)")
	n := fs.Int("n", 0, "number of nodes (config: scale the histogram to n nodes; 0 keeps its counts)")
	k := fs.Float64("k", 0, "degree (regular) or mean degree (er)")
	m := fs.Int("m", 0, "edges per new node (ba)")
	hist := fs.String("hist", "", "degree histogram CSV `file` with header degree,count (config)")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "-", "edge-list CSV output `file` (- for stdout)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 0))
	var g *seir.Graph
	var err error
	switch *kind {
	case "regular":
		if *k != float64(int(*k)) {
			return fmt.Errorf("seir: --k %g: a regular graph needs an integer degree", *k)
		}
		g, err = seir.RandomRegular(rng, *n, int(*k))
	case "er":
		g, err = seir.ErdosRenyi(rng, *n, *k)
	case "ba":
		g, err = seir.BarabasiAlbert(rng, *n, *m)
	case "config":
		if *hist == "" {
			return errors.New("seir: --kind config needs --hist")
		}
		var h []seir.DegreeCount
		if h, err = readFile(*hist, seir.ReadHistogram); err != nil {
			return err
		}
		var deg []int
		if deg, err = seir.DegreeSequence(h, *n); err != nil {
			return err
		}
		g, err = seir.ConfigurationModel(rng, deg)
	default:
		return fmt.Errorf("seir: --kind %q: want regular, er, ba or config", *kind)
	}
	if err != nil {
		return err
	}
	return writeFile(*out, func(w io.Writer) error { return seir.WriteEdges(w, g) })
}

// seirFit is "safetrace seir fit": the mean-field model fitted to daily
// positives (a CSV series or the parties' released aggregates), R_t, a
// forecast band and, given a degree distribution, the pairwise model and
// the daily redrawn network (docs/seir.md).
func seirFit(ctx context.Context, args []string) error {
	fs := newFlagSet("seir fit")
	series := fs.String("series", "", "CSV `file` with header day,positives, days consecutive from 0 (a count may be \"< k\")")
	mpath := fs.String("manifest", "", "deployment manifest `file`: read the series from a party's GET /v1/aggregates instead")
	party := fs.String("party", "", "the party's operator listener `URL` for --manifest (default: party 1 of \"safetrace dev\", http://127.0.0.1:9101)")
	hist := fs.String("hist", "", "degree histogram CSV `file` (degree,count) for the network models (with --manifest: the released one)")
	var cfg seir.FitConfig
	fs.Float64Var(&cfg.Sigma, "sigma", 0.2, "fixed rate E -> I per day")
	fs.Float64Var(&cfg.Gamma, "gamma", 0.1, "fixed recovery rate per day")
	fs.Float64Var(&cfg.N, "population", 0, "population size (required)")
	fs.Float64Var(&cfg.Reporting, "reporting", 0, "fixed fraction of onsets reported, in (0, 1]; 0 fits it")
	fs.Float64Var(&cfg.Delay, "delay", -1, "fixed delay from onset to report in days; negative fits it in [0, 14]")
	fs.IntVar(&cfg.K, "k", 0, "the threshold of the days given as \"< k\" (with --manifest: the released k)")
	fs.IntVar(&cfg.Horizon, "horizon", 30, "days to forecast")
	fs.IntVar(&cfg.Samples, "samples", 200, "parameter draws for the bands")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the draws and the network runs")
	netN := fs.Int("network-n", 2000, "nodes of the dynamic network")
	netRuns := fs.Int("network-runs", 5, "runs of the dynamic network")
	out := fs.String("out", "-", "CSV output `file` (- for stdout)")
	plot := fs.String("plot", "", "also draw the fit, forecast and R_t to `file` (.svg, .png or .pdf)")
	jsonOut := fs.String("json", "", "also write the analysis as JSON to `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*series == "") == (*mpath == "") {
		return errors.New("seir fit: give exactly one of --series and --manifest")
	}
	if cfg.N <= 0 {
		return errors.New("seir fit: --population is required")
	}
	var data []float64
	var h []seir.DegreeCount
	var err error
	if *series != "" {
		if data, err = readFile(*series, seir.ReadSeries); err != nil {
			return err
		}
		for _, y := range data {
			if math.IsNaN(y) && cfg.K < 1 {
				return errors.New("seir fit: the series has days \"< k\": give --k")
			}
		}
	} else {
		m, err := readVerifiedManifest(*mpath)
		if err != nil {
			return err
		}
		base := *party
		if base == "" {
			base = "http://127.0.0.1:9101"
		}
		b, err := httpGetBody(ctx, strings.TrimSuffix(base, "/")+"/v1/aggregates")
		if err != nil {
			return fmt.Errorf("seir fit: %w", err)
		}
		var k int
		if data, k, h, err = aggregatesSeries(b); err != nil {
			return fmt.Errorf("seir fit: %w", err)
		}
		if k != m.Params.KAnonymity {
			return fmt.Errorf("seir fit: the party released under k = %d, the manifest says %d", k, m.Params.KAnonymity)
		}
		cfg.K = k
	}
	if *hist != "" {
		if h, err = readFile(*hist, seir.ReadHistogram); err != nil {
			return err
		}
	}
	o, err := seir.AnalyseOutbreak(ctx, data, seir.OutbreakConfig{Fit: cfg, Hist: h, NetworkN: *netN, NetworkRuns: *netRuns})
	if err != nil {
		return err
	}
	if err := writeFile(*out, o.WriteCSV); err != nil {
		return err
	}
	if *plot != "" {
		if err := o.Plot(*plot); err != nil {
			return err
		}
	}
	if *jsonOut != "" {
		if err := writeFile(*jsonOut, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", " ")
			return enc.Encode(o.JSON())
		}); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, o.Summary())
	return nil
}

// httpGetBody GETs url (10 s, at most 4 MiB) and returns the body of a 200.
func httpGetBody(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("GET %s: no aggregates released yet (run an epoch first)", url)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, nil
}

// aggregatesSeries reads a party's GET /v1/aggregates: the positives of
// each day (NaN for "< k"), k, and the degree bins as a histogram (each
// bin at its midpoint).
func aggregatesSeries(b []byte) (data []float64, k int, hist []seir.DegreeCount, err error) {
	var a struct {
		K    int `json:"k"`
		Days []struct {
			Positives compute.Count `json:"positives"`
		} `json:"days"`
		Degree []struct {
			Lo, Hi int
			Count  compute.Count `json:"count"`
		} `json:"degree"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, 0, nil, fmt.Errorf("aggregates: %w", err)
	}
	for _, d := range a.Days {
		if n, ok := d.Positives.Value(); ok {
			data = append(data, float64(n))
		} else {
			data = append(data, seir.Censored)
		}
	}
	for _, bin := range a.Degree {
		if n, ok := bin.Count.Value(); ok && bin.Hi >= bin.Lo && bin.Lo >= 0 {
			hist = append(hist, seir.DegreeCount{Degree: (bin.Lo + bin.Hi) / 2, Count: n})
		}
	}
	return data, a.K, hist, nil
}
