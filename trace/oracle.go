package trace

import (
	"math"
	"math/bits"
	"slices"
)

// An Upload is what one user contributed to an epoch: either ordinary
// records (Positive false) or a positive report (Positive true). A user may
// have several uploads.
type Upload struct {
	User     string
	Positive bool
	Records  []Record
}

// A Result is one user's outcome of the risk rule.
type Result struct {
	// Score is the user's total score in minutes × per-mille.
	Score uint64
	// High reports Score >= Threshold.
	High bool
	// DayScores holds the score of each day with a non-zero score; nil
	// unless PerDay is set.
	DayScores map[Day]uint64
	// Days lists, in ascending order, the days whose score reaches the
	// threshold; nil unless PerDay is set.
	Days []Day
}

// Oracle evaluates the risk rule of the design (section 3) in the clear. It
// is the reference the secret-shared epoch is tested against.
//
// For every record r of a user's ordinary uploads, the matching weight is the
// sum of Weight over all records with r.Key in positive uploads (the other
// records of design section 3: an ordinary record is never itself positive);
// r contributes r.Minutes × that sum to the user's score and to the score of
// r.Day. Positive reports are not linked to their senders' ordinary uploads,
// which keeps the parties from learning who reported, so a user's own report
// also matches their own records; the app shows such a user their report.
// Only positive uploads carry weight: the Weight field of ordinary records is
// ignored, as are Minutes of positive records. A positive upload with a
// weight above MaxWeight is rejected as a whole, as the parties reject it.
// Every record counts, duplicates included: de-duplication is the business of
// the upload layer.
//
// Units: minutes × per-mille, so 10 minutes next to one positive record of
// weight 1000 (1.0) scores 10000, the default threshold of 10 weighted
// minutes. A user is at high risk when Score >= Threshold, and a day is at
// risk when its score >= Threshold.
//
// Arithmetic is in uint64 and saturates at math.MaxUint64 rather than wrapping.
// Records produced by this package (Minutes <= 1440, Weight <= MaxMaxWeight)
// cannot reach it below 2^64 / (1440 × 10^6) ≈ 1.2 × 10^10 matching positive
// records per user, so results are exact for any realistic epoch.
//
// The result has an entry for every user with an upload. p must be valid;
// Oracle does not modify uploads.
func Oracle(uploads []Upload, p Params) map[string]Result {
	positive := make(map[[KeySize]byte]uint64)
	for _, u := range uploads {
		if !u.Positive || !validPositive(u.Records, p.MaxWeight) {
			continue
		}
		for _, r := range u.Records {
			positive[r.Key] = satAdd(positive[r.Key], uint64(r.Weight))
		}
	}

	results := make(map[string]Result)
	for _, u := range uploads {
		res := results[u.User]
		if u.Positive {
			results[u.User] = res
			continue
		}
		for _, r := range u.Records {
			w := positive[r.Key]
			if w == 0 {
				continue
			}
			s := satMul(uint64(r.Minutes), w)
			res.Score = satAdd(res.Score, s)
			if p.PerDay {
				if res.DayScores == nil {
					res.DayScores = make(map[Day]uint64)
				}
				res.DayScores[r.Day] = satAdd(res.DayScores[r.Day], s)
			}
		}
		results[u.User] = res
	}
	for user, res := range results {
		res.High = res.Score >= p.Threshold
		if p.PerDay {
			if res.DayScores == nil {
				res.DayScores = map[Day]uint64{}
			}
			res.Days = []Day{}
			for d, s := range res.DayScores {
				if s >= p.Threshold {
					res.Days = append(res.Days, d)
				}
			}
			slices.Sort(res.Days)
		}
		results[user] = res
	}
	return results
}

// validPositive reports whether every weight of a positive upload is within
// [0, max].
func validPositive(recs []Record, max uint32) bool {
	for _, r := range recs {
		if r.Weight > max {
			return false
		}
	}
	return true
}

func satAdd(a, b uint64) uint64 {
	s, c := bits.Add64(a, b, 0)
	if c != 0 {
		return math.MaxUint64
	}
	return s
}

func satMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}
