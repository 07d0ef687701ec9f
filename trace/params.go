package trace

import (
	"errors"
	"fmt"
	"math"
)

// Params are the record and risk parameters of a deployment. They come from
// the deployment manifest, so every browser and every party derives records
// and evaluates the risk rule the same way. The zero value is not valid; start
// from [DefaultParams].
type Params struct {
	// BucketMinutes is the length of a time bucket. Buckets are aligned to
	// UTC midnight, so it must divide 1440.
	BucketMinutes int `json:"bucket_minutes"`
	// RetentionDays is how many UTC days, today included, records are kept.
	RetentionDays int `json:"retention_days"`
	// AerosolTailMinutes extends each venue stay of a positive report past
	// the departure.
	AerosolTailMinutes int `json:"aerosol_tail_minutes"`
	// GeohashPrecision is the number of geohash characters of a GPS cell.
	GeohashPrecision int `json:"geohash_precision"`
	// GPSAccuracyM is the largest accepted GPS accuracy radius, in metres.
	GPSAccuracyM float64 `json:"gps_accuracy_m"`
	// GPSFixMinutes caps the time one GPS fix accounts for: a fix counts
	// until the next fix, but for at most this many minutes.
	GPSFixMinutes int `json:"gps_fix_minutes"`
	// OnsetOffset is the first day of the infectious window relative to the
	// day of symptom onset (default -2: two days before onset).
	OnsetOffset int `json:"onset_offset"`
	// Weights are the transmission-risk weights in per-mille (1000 = 1.0),
	// one per day of the infectious window: Weights[i] is the weight of day
	// onset + OnsetOffset + i. Days outside the window weigh 0.
	Weights []uint32 `json:"weights"`
	// MaxWeight is the largest weight a positive record may carry; the
	// parties reject positive reports with larger weights.
	MaxWeight uint32 `json:"max_weight"`
	// Threshold is the risk threshold in minutes × per-mille: a user is at
	// high risk when their score reaches it. 10 weighted minutes = 10000.
	Threshold uint64 `json:"threshold"`
	// EncounterMinutes is the duration credited to an encounter made by
	// scanning a personal QR code.
	EncounterMinutes int `json:"encounter_minutes"`
	// AttenuationDB is the largest Bluetooth attenuation, in dB, of an
	// imported encounter that still counts (lower attenuation = closer).
	AttenuationDB int `json:"attenuation_db"`
	// PerDay asks for one result per UTC day besides the total.
	PerDay bool `json:"per_day"`
}

// Bounds on parameters. They keep every score far from overflow: a record
// carries at most 1440 minutes and a positive record at most MaxMaxWeight.
const (
	MaxRetentionDays = 366
	MaxWindowDays    = 64
	MaxMaxWeight     = 1_000_000
)

// LevelValues returns the Corona-Warn-App's value of each of its
// transmission-risk levels 1..8, in per mille: 0, 0, 0.6, 0.8, 1.0, 1.2,
// 1.4, 1.6 (DESIGN.md section 3's table).
func LevelValues() []uint32 { return []uint32{0, 0, 600, 800, 1000, 1200, 1400, 1600} }

// dayLevels is the Corona-Warn-App's transmission-risk level of each day
// from onset-2 to onset+5 (docs/trace.md, "Weights").
var dayLevels = []int{7, 8, 8, 8, 6, 5, 3, 2}

// DayWeights returns the per-day weights of the infectious window onset-2
// .. onset+5 from the values of the levels 1..8 (values[l-1] is the value
// of level l): each day weighs the value of its Corona-Warn-App level. A
// level with no value weighs 0.
func DayWeights(values []uint32) []uint32 {
	w := make([]uint32, len(dayLevels))
	for i, l := range dayLevels {
		if l-1 < len(values) {
			w[i] = values[l-1]
		}
	}
	return w
}

// DefaultParams returns the default parameters, the defaults of every
// deployment (the manifest's defaults are made from them).
//
// The weights follow the Corona-Warn-App: its transmission-risk vector gives
// a transmission-risk level per day relative to symptom onset (day -2: 7,
// -1: 8, 0: 8, +1: 8, +2: 6, +3: 5, +4: 3, +5: 2), and its value mapping
// ([LevelValues]) turns levels 1..8 into 0, 0, 0.6, 0.8, 1.0, 1.2, 1.4,
// 1.6. Over the window onset-2 .. onset+5 that gives 1.4, 1.6, 1.6, 1.6,
// 1.2, 1.0, 0.6, 0, here in per-mille.
func DefaultParams() Params {
	return Params{
		BucketMinutes:      10,
		RetentionDays:      14,
		AerosolTailMinutes: 30,
		GeohashPrecision:   7,
		GPSAccuracyM:       100,
		GPSFixMinutes:      15,
		OnsetOffset:        -2,
		Weights:            DayWeights(LevelValues()),
		MaxWeight:          1600,
		Threshold:          10 * 1000,
		EncounterMinutes:   15,
		AttenuationDB:      63,
		PerDay:             true,
	}
}

// Validate reports whether p is usable.
func (p *Params) Validate() error {
	switch {
	case p.BucketMinutes < 1 || p.BucketMinutes > 1440 || 1440%p.BucketMinutes != 0:
		return fmt.Errorf("trace: bucket of %d minutes does not divide a day", p.BucketMinutes)
	case p.RetentionDays < 1 || p.RetentionDays > MaxRetentionDays:
		return fmt.Errorf("trace: retention of %d days out of range 1..%d", p.RetentionDays, MaxRetentionDays)
	case p.AerosolTailMinutes < 0 || p.AerosolTailMinutes > 1440:
		return fmt.Errorf("trace: aerosol tail of %d minutes out of range 0..1440", p.AerosolTailMinutes)
	case p.GeohashPrecision < 1 || p.GeohashPrecision > MaxPrecision:
		return fmt.Errorf("trace: geohash precision %d out of range 1..%d", p.GeohashPrecision, MaxPrecision)
	case !(p.GPSAccuracyM > 0) || math.IsInf(p.GPSAccuracyM, 0):
		return fmt.Errorf("trace: GPS accuracy limit %v is not a positive number", p.GPSAccuracyM)
	case p.GPSFixMinutes < 1 || p.GPSFixMinutes > 1440:
		return fmt.Errorf("trace: GPS fix duration of %d minutes out of range 1..1440", p.GPSFixMinutes)
	case p.OnsetOffset < -MaxWindowDays || p.OnsetOffset > MaxWindowDays:
		return fmt.Errorf("trace: onset offset %d out of range", p.OnsetOffset)
	case len(p.Weights) < 1 || len(p.Weights) > MaxWindowDays:
		return fmt.Errorf("trace: %d weights, want 1..%d", len(p.Weights), MaxWindowDays)
	case p.MaxWeight < 1 || p.MaxWeight > MaxMaxWeight:
		return fmt.Errorf("trace: max weight %d out of range 1..%d", p.MaxWeight, MaxMaxWeight)
	case p.Threshold < 1:
		return errors.New("trace: threshold must be positive")
	case p.EncounterMinutes < 1 || p.EncounterMinutes > 1440:
		return fmt.Errorf("trace: encounter duration of %d minutes out of range 1..1440", p.EncounterMinutes)
	case p.AttenuationDB < 0 || p.AttenuationDB > 255:
		return fmt.Errorf("trace: attenuation limit %d dB out of range 0..255", p.AttenuationDB)
	}
	for i, w := range p.Weights {
		if w > p.MaxWeight {
			return fmt.Errorf("trace: weight %d of day %+d exceeds max weight %d", w, p.OnsetOffset+i, p.MaxWeight)
		}
	}
	return nil
}

// Weight returns the per-mille weight of day d for a report with symptom
// onset on day onset: Weights[d - (onset + OnsetOffset)], or 0 outside the
// window.
func (p *Params) Weight(d, onset Day) uint32 {
	i := int64(d) - int64(onset) - int64(p.OnsetOffset)
	if i < 0 || i >= int64(len(p.Weights)) {
		return 0
	}
	return p.Weights[i]
}
