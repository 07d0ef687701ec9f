package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/safetrace/safetrace/trace"
)

// Params are a deployment's tracing parameters (DESIGN.md section 3).
type Params struct {
	BucketMinutes      int      `json:"bucket_minutes"`       // time bucket, divides 1440
	RetentionDays      int      `json:"retention_days"`       // records are deleted after this
	AerosolTailMinutes int      `json:"aerosol_tail_minutes"` // a positive stay is extended by this
	GeohashPrecision   int      `json:"geohash_precision"`    // GPS cell size, 1..12 characters
	GPSAccuracyM       int      `json:"gps_accuracy_m"`       // fixes less accurate than this are dropped
	Risk               Risk     `json:"risk"`
	KAnonymity         int      `json:"k_anonymity"`    // aggregates are released only for counts >= k
	EpochSchedule      string   `json:"epoch_schedule"` // Go duration, e.g. "1h"; see ParseSchedule
	Regions            []string `json:"regions"`        // geohash prefixes of the region map
	Budget             Budget   `json:"budget"`
	// MinNewUploads is the least number of uploads an exposure epoch must
	// hold that the previous one did not; with fewer, the epoch is
	// deferred and publishes nothing, so no two epochs differ by one
	// upload (differencing).
	MinNewUploads int `json:"min_new_uploads"`
}

// Budget bounds what clients, anonymous and many, can cost the deployment
// (docs/leakage.md, "What a flood can do"). Zero values turn a bound off.
type Budget struct {
	// WorkBits is the proof of work of an envelope of up to 4 KiB, in
	// leading zero bits of a SHA-256 (one more bit for every fourfold size
	// above; wire.WorkBits): the anonymous cost of every request.
	WorkBits int `json:"work_bits"`
	// UserDayRecords bounds the records one result key stores per day.
	UserDayRecords int `json:"user_day_records"`
	// StoreRecords bounds the records one party stores; beyond it uploads
	// are refused as "store full", before the disk is.
	StoreRecords int64 `json:"store_records"`
	// RelayRate and RelayBurst are the requests per second, on average and
	// in a burst, of one client connection at a relay.
	RelayRate  int `json:"relay_rate"`
	RelayBurst int `json:"relay_burst"`
	// RelayConnsPerAddress and RelayConns bound a relay's client
	// connections from one address and in all.
	RelayConnsPerAddress int `json:"relay_conns_per_address"`
	RelayConns           int `json:"relay_conns"`
	// RelayQueueBytes bounds the bytes a relay queues for one client.
	RelayQueueBytes int `json:"relay_queue_bytes"`
}

// Risk is the exposure rule: a user's score is the sum over their records of
// BucketMinutes times the summed weights of other people's positive records
// with the same key, divided by WeightScale; the user is at high risk when the
// score reaches ThresholdWeightedMinutes. Weights are fixed-point integers
// (value * WeightScale) so the parties compute on integers.
type Risk struct {
	ThresholdWeightedMinutes int   `json:"threshold_weighted_minutes"`
	WeightScale              int   `json:"weight_scale"` // fixed-point unit; 1000 = per mille
	Weights                  []int `json:"weights"`      // value of each transmission-risk level 1..8, in WeightScale units
	MaxWeight                int   `json:"max_weight"`   // largest weight a positive report may carry
	// MaxKeyWeight caps the total weight one report puts on one key
	// (records repeating a key are folded into one); 0 means no limit.
	MaxKeyWeight int `json:"max_key_weight,omitempty"`
	// MaxReportWeight is the largest total weight of one report; a heavier
	// report is rejected; 0 means no limit.
	MaxReportWeight int `json:"max_report_weight,omitempty"`
	// NoiseEpsilon and NoiseDelta are the differential privacy of the
	// group sizes the parties see in one epoch, per (place, time) key, for
	// keys with at most NoiseMaxGroup records (docs/epoch.md, "Noise");
	// NoiseEpsilon 0 turns the noise off. NoiseMaxRecords caps the dummy
	// records one epoch adds (the covered group size is lowered to fit);
	// 0 means no cap.
	NoiseEpsilon    float64 `json:"noise_epsilon,omitempty"`
	NoiseDelta      float64 `json:"noise_delta,omitempty"`
	NoiseMaxGroup   int     `json:"noise_max_group,omitempty"`
	NoiseMaxRecords int     `json:"noise_max_records,omitempty"`
	// MaxChunk splits each day of an exposure epoch into chunks of at
	// most this many ordinary records (whole user-days), each run with all
	// of the day's positive records and a key, shuffle and noise of its
	// own: a party's memory is bounded by a chunk. A positive record is
	// then in every chunk of its day, so its key's noised group size is
	// seen once per chunk (docs/epoch.md, "Chunks"). 0 means no split.
	MaxChunk int `json:"max_chunk,omitempty"`
}

// Computation names of version 1.
const (
	ComputationRegionMap = "region-map"
	ComputationExposure  = "exposure"
)

// DefaultParams returns the defaults of DESIGN.md, made from package
// trace's defaults: 10-minute buckets, 14 days of retention, a 30-minute
// aerosol tail, geohash precision 7, 100 m GPS accuracy, the
// Corona-Warn-App transmission-risk values in per mille, a threshold of 10
// weighted minutes; and k = 10 and hourly epochs.
func DefaultParams() Params {
	t := trace.DefaultParams()
	var levels []int
	for _, v := range trace.LevelValues() {
		levels = append(levels, int(v))
	}
	return Params{
		BucketMinutes:      t.BucketMinutes,
		RetentionDays:      t.RetentionDays,
		AerosolTailMinutes: t.AerosolTailMinutes,
		GeohashPrecision:   t.GeohashPrecision,
		GPSAccuracyM:       int(t.GPSAccuracyM),
		Risk: Risk{
			ThresholdWeightedMinutes: int(t.Threshold / perMille),
			WeightScale:              perMille,
			Weights:                  levels,
			MaxWeight:                int(t.MaxWeight),
			MaxKeyWeight:             int(t.MaxWeight),
			// Every record of a full infectious window (8 days of
			// 10-minute buckets) at the largest weight, on a venue and a
			// GPS cell with its 8 neighbours each.
			MaxReportWeight: 8 * 144 * 10 * int(t.MaxWeight),
			// epsilon 1 per key and epoch, delta 10^-6, for groups of up
			// to 6 records: 1,596 dummy records per epoch for 3 parties,
			// 1,848 for 5.
			NoiseEpsilon:    1,
			NoiseDelta:      1e-6,
			NoiseMaxGroup:   6,
			NoiseMaxRecords: 20000,
			// A chunk's working set is about 0.5 KB of live heap per
			// record and party, its ordinary records and the day's
			// report records (docs/epoch.md, "Chunks"); 10^6 records a
			// week, one chunk a day, peaked at about 420 MB per party
			// process. Fewer chunks cost less (each carries the day's
			// report records) and compose less noise.
			MaxChunk: 200000,
		},
		Budget: Budget{
			WorkBits: 13,
			// A day of 10-minute buckets at a venue and a GPS cell, with
			// room for encounters.
			UserDayRecords: 2 * 144 * 2,
			// Well below the 1.7e7 records at which one epoch's shuffle
			// message outgrows the mesh's frame limit.
			StoreRecords: 5_000_000,
			RelayRate:    50, RelayBurst: 100,
			RelayConnsPerAddress: 32, RelayConns: 4096,
			// Two of the largest frames.
			RelayQueueBytes: 4 << 20,
		},
		MinNewUploads: 10,
		KAnonymity:    10,
		EpochSchedule: "1h",
		Regions:       []string{"u336", "u337", "u33d", "u33e", "u33f", "u33g", "u33k", "u33s"},
	}
}

// perMille is package trace's weight unit.
const perMille = 1000

// Trace returns the record and risk parameters that browsers and parties
// derive from the manifest's: package trace's defaults for what the
// manifest does not name (GPS fix length, encounter duration, Bluetooth
// attenuation), the rest from p. risk.weights are the values of the
// Corona-Warn-App transmission-risk levels 1..8 (read literally as days
// since onset they would weigh the day of onset 0), so each day of the
// infectious window onset-2 .. onset+5 gets the value of its level
// (trace.DayWeights); weights and threshold are rescaled from
// risk.weight_scale to per mille. Parameters that give no usable trace
// parameters are an error, never a silent default.
func (p *Params) Trace() (trace.Params, error) {
	t := trace.DefaultParams()
	t.BucketMinutes = p.BucketMinutes
	t.RetentionDays = p.RetentionDays
	t.AerosolTailMinutes = p.AerosolTailMinutes
	t.GeohashPrecision = p.GeohashPrecision
	t.GPSAccuracyM = float64(p.GPSAccuracyM)
	scale := int64(p.Risk.WeightScale)
	if scale <= 0 {
		return trace.Params{}, fmt.Errorf("manifest: risk.weight_scale = %d: need a positive scale", scale)
	}
	values := make([]uint32, len(p.Risk.Weights))
	for i, w := range p.Risk.Weights {
		if w < 0 {
			return trace.Params{}, fmt.Errorf("manifest: risk.weights[%d] = %d is negative", i, w)
		}
		values[i] = uint32(int64(w) * perMille / scale)
	}
	t.Weights = trace.DayWeights(values)
	t.MaxWeight = uint32(max(int64(p.Risk.MaxWeight), 0) * perMille / scale)
	t.Threshold = uint64(max(p.Risk.ThresholdWeightedMinutes, 0)) * perMille
	if err := t.Validate(); err != nil {
		return trace.Params{}, fmt.Errorf("manifest: params give no usable trace parameters: %w", err)
	}
	return t, nil
}

// ComputationHash identifies the version of a computation's protocol that
// this code implements: SHA-256 of "safetrace computation <name> <version>",
// the version of the protocol specified in docs/epoch.md (exposure) and
// docs/regionmap.md (region-map), in computationVersions. The computations
// are Go code, not circuit files, so the version names the program; a
// changed protocol gets a new version and so a new hash, and parties
// refuse to run a computation whose manifest hash is not the one they
// implement.
func ComputationHash(name string) string {
	v, ok := computationVersions[name]
	if !ok {
		v = "v1"
	}
	h := sha256.Sum256([]byte("safetrace computation " + name + " " + v))
	return hex.EncodeToString(h[:])
}

// computationVersions are the protocol versions this code implements.
// Exposure v2 scores venue warnings in a class of their own: a day's
// result value is the share of person + 2 × venue, which a v1 client
// would misread.
var computationVersions = map[string]string{
	ComputationExposure:  "v2",
	ComputationRegionMap: "v1",
}

// DefaultComputations returns the computations this code implements, with
// their hashes.
func DefaultComputations() []Computation {
	var cs []Computation
	for _, name := range []string{ComputationRegionMap, ComputationExposure} {
		cs = append(cs, Computation{Name: name, Hash: ComputationHash(name)})
	}
	return cs
}

const geohashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

func between(what string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s = %d: need %d..%d", what, v, lo, hi)
	}
	return nil
}

// validateNoise checks the noise fields: all zero (no noise), or epsilon in
// [0.1, 10], delta in [1e-12, 0.1], a group size 0..64 (0: the epoch's
// default) and a cap 0..10^7.
func (r *Risk) validateNoise() error {
	if r.NoiseEpsilon == 0 {
		if r.NoiseDelta != 0 || r.NoiseMaxGroup != 0 || r.NoiseMaxRecords != 0 {
			return errors.New("risk.noise_delta, noise_max_group and noise_max_records need risk.noise_epsilon")
		}
		return nil
	}
	if !(r.NoiseEpsilon >= 0.1 && r.NoiseEpsilon <= 10) {
		return fmt.Errorf("risk.noise_epsilon = %v: need 0 (off) or 0.1..10", r.NoiseEpsilon)
	}
	if !(r.NoiseDelta >= 1e-12 && r.NoiseDelta <= 0.1) {
		return fmt.Errorf("risk.noise_delta = %v: need 1e-12..0.1 with noise on", r.NoiseDelta)
	}
	if err := between("risk.noise_max_group", r.NoiseMaxGroup, 0, 64); err != nil {
		return err
	}
	return between("risk.noise_max_records", r.NoiseMaxRecords, 0, 10000000)
}

func (p *Params) validate() error {
	if err := between("bucket_minutes", p.BucketMinutes, 1, 1440); err != nil {
		return err
	}
	if 1440%p.BucketMinutes != 0 {
		return fmt.Errorf("bucket_minutes = %d: must divide a day (1440)", p.BucketMinutes)
	}
	if err := between("retention_days", p.RetentionDays, 1, 60); err != nil {
		return err
	}
	if err := between("aerosol_tail_minutes", p.AerosolTailMinutes, 0, 240); err != nil {
		return err
	}
	if err := between("geohash_precision", p.GeohashPrecision, 1, 12); err != nil {
		return err
	}
	if err := between("gps_accuracy_m", p.GPSAccuracyM, 1, 10000); err != nil {
		return err
	}
	r := &p.Risk
	if err := between("risk.weight_scale", r.WeightScale, 1, 1000000); err != nil {
		return err
	}
	if err := between("risk.max_weight", r.MaxWeight, 1, 100*r.WeightScale); err != nil {
		return err
	}
	if err := between("risk.max_key_weight", r.MaxKeyWeight, 0, 1000*r.MaxWeight); err != nil {
		return err
	}
	if err := between("risk.max_report_weight", r.MaxReportWeight, 0, 1<<40); err != nil {
		return err
	}
	if err := between("risk.threshold_weighted_minutes", r.ThresholdWeightedMinutes, 1, 100000); err != nil {
		return err
	}
	if err := r.validateNoise(); err != nil {
		return err
	}
	if r.MaxChunk != 0 {
		if err := between("risk.max_chunk", r.MaxChunk, 1000, 10000000); err != nil {
			return fmt.Errorf("%w (or 0: no split)", err)
		}
	}
	if len(r.Weights) == 0 || len(r.Weights) > 64 {
		return fmt.Errorf("risk.weights: %d weights, need 1..64", len(r.Weights))
	}
	for i, w := range r.Weights {
		if err := between(fmt.Sprintf("risk.weights[%d]", i), w, 0, r.MaxWeight); err != nil {
			return err
		}
	}
	if err := between("budget.work_bits", p.Budget.WorkBits, 0, 24); err != nil {
		return err
	}
	if err := between("budget.user_day_records", p.Budget.UserDayRecords, 0, 1<<20); err != nil {
		return err
	}
	for _, b := range []struct {
		name   string
		v, max int
	}{
		{"budget.relay_rate", p.Budget.RelayRate, 1 << 20}, {"budget.relay_burst", p.Budget.RelayBurst, 1 << 20},
		{"budget.relay_conns_per_address", p.Budget.RelayConnsPerAddress, 1 << 20},
		{"budget.relay_conns", p.Budget.RelayConns, 1 << 24}, {"budget.relay_queue_bytes", p.Budget.RelayQueueBytes, 1 << 30},
	} {
		if err := between(b.name, b.v, 0, b.max); err != nil {
			return err
		}
	}
	if p.Budget.RelayQueueBytes != 0 && p.Budget.RelayQueueBytes < 2<<20 {
		return fmt.Errorf("budget.relay_queue_bytes = %d: need at least 2 MiB (a frame of the largest size)", p.Budget.RelayQueueBytes)
	}
	if p.Budget.StoreRecords < 0 {
		return fmt.Errorf("budget.store_records = %d: need 0 or more", p.Budget.StoreRecords)
	}
	if err := between("min_new_uploads", p.MinNewUploads, 1, 1000000); err != nil {
		return err
	}
	if err := between("k_anonymity", p.KAnonymity, 2, 1000000); err != nil {
		return err
	}
	if _, err := ParseSchedule(p.EpochSchedule); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "manifest: "))
	}
	if len(p.Regions) > MaxRegions {
		return fmt.Errorf("%d regions, at most %d", len(p.Regions), MaxRegions)
	}
	seen := map[string]bool{}
	for _, g := range p.Regions {
		if g == "" || len(g) > p.GeohashPrecision {
			return fmt.Errorf("region %q: need 1..geohash_precision (%d) characters", g, p.GeohashPrecision)
		}
		for i := 0; i < len(g); i++ {
			if strings.IndexByte(geohashAlphabet, g[i]) < 0 {
				return fmt.Errorf("region %q: not a lower case geohash", g)
			}
		}
		if seen[g] {
			return fmt.Errorf("region %q listed twice", g)
		}
		seen[g] = true
	}
	return nil
}

// DefaultWarningLevel is the transmission-risk level of a venue warning
// unless the authority gives another: level 8, the level of the day of
// symptom onset in a person's report (the highest of the
// Corona-Warn-App's vector).
const DefaultWarningLevel = 8

// LevelWeight returns the weight, in trace's per mille, of
// transmission-risk level 1..8 (the value of risk.weights[level-1]
// rescaled from risk.weight_scale). A level out of range, or one whose
// weight is 0 or above risk.max_weight, is an error: no positive record
// may carry it.
func (p *Params) LevelWeight(level int) (uint32, error) {
	t, err := p.Trace()
	if err != nil {
		return 0, err
	}
	if level < 1 || level > len(p.Risk.Weights) {
		return 0, fmt.Errorf("manifest: transmission-risk level %d out of range 1..%d", level, len(p.Risk.Weights))
	}
	w := uint32(int64(p.Risk.Weights[level-1]) * perMille / int64(p.Risk.WeightScale))
	if w < 1 || w > t.MaxWeight {
		return 0, fmt.Errorf("manifest: transmission-risk level %d weighs %d, need 1..%d", level, w, t.MaxWeight)
	}
	return w, nil
}
