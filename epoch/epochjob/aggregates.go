package epochjob

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// Aggregates are the daily series an exposure epoch releases (GET
// /v1/aggregates, docs/seir.md), each count under the k rule: released
// when at least K, "< k" otherwise. They are computed only from what the
// parties learn anyway (record days, result keys, upload times) and, for
// the user-days at risk, in MPC (epoch.AtRiskPerDay) so that no result bit
// is opened.
type Aggregates struct {
	Run      string    `json:"run"`      // the epoch's run id
	Released time.Time `json:"released"` // when this party published it
	K        int       `json:"k"`
	// PositivesBy says how positive reports are dated: "report_day", the
	// UTC day this party stored the report. The onset day is not public:
	// it only sets the secret-shared weights of the report's records.
	PositivesBy string         `json:"positives_by"`
	Days        []AggregateDay `json:"days"` // every day of the retention window, oldest first
	// Degree is the histogram of ordinary records per user-day over the
	// window (the contact degree distribution the models use): adjacent
	// record counts are merged into bins [lo, hi] holding at least K
	// user-days each; if all user-days together are fewer than K it is
	// empty.
	Degree []DegreeBin `json:"degree"`
}

// AggregateDay is one day of the released series.
type AggregateDay struct {
	Day       string        `json:"day"` // YYYY-MM-DD (UTC)
	Positives compute.Count `json:"positives"`
	Users     compute.Count `json:"users"`   // users with at least one ordinary record that day
	AtRisk    compute.Count `json:"at_risk"` // user-days at increased risk
}

// DegreeBin is one bin of the released degree histogram: Count user-days
// (at least K) with Lo..Hi records each.
type DegreeBin struct {
	Lo    int           `json:"lo"`
	Hi    int           `json:"hi"`
	Count compute.Count `json:"count"`
}

// aggregatesRun keeps the aggregates of the last published epoch.
const aggregatesRun = "exposure/aggregates"

// aggregates computes the released series over the days oldest..today.
// atRisk holds the per-day counts at or above k from epoch.AtRiskPerDay.
func aggregates(recs []held, oldest, today uint32, k int, atRisk map[record.Day]int) *Aggregates {
	acc := newAggAcc()
	for i := range recs {
		acc.add(&recs[i].rec)
	}
	return acc.build(oldest, today, k, atRisk)
}

// aggAcc gathers, record by record as the days are agreed, what the
// released series count.
type aggAcc struct {
	perUD     map[userDay]int // ordinary records per user-day; a day's users are its user-days
	reportDay map[string]record.Day
}

type userDay struct {
	user string
	day  record.Day
}

func newAggAcc() *aggAcc {
	return &aggAcc{perUD: map[userDay]int{}, reportDay: map[string]record.Day{}}
}

// add counts one agreed record.
func (a *aggAcc) add(r *store.Record) {
	if r.Kind.Reports() {
		// A venue warning is no case: the daily series count persons' reports.
		if _, ok := a.reportDay[string(r.UploadID)]; !ok && r.Kind == wire.KindPositive {
			a.reportDay[string(r.UploadID)] = record.Day(r.Created.UTC().Unix() / 86400)
		}
		return
	}
	a.perUD[userDay{string(r.ResultKey), r.Day}]++
}

// build releases the series of the days oldest..today under the k rule.
func (acc *aggAcc) build(oldest, today uint32, k int, atRisk map[record.Day]int) *Aggregates {
	positives := map[record.Day]int{}
	for _, d := range acc.reportDay {
		positives[d]++
	}
	users := map[record.Day]int{}
	hist := map[int]int{}
	for ud, n := range acc.perUD {
		users[ud.day]++
		hist[n]++
	}
	a := &Aggregates{K: k, PositivesBy: "report_day", Days: []AggregateDay{}, Degree: []DegreeBin{}}
	for d := oldest; d <= today; d++ {
		sd := record.Day(d)
		a.Days = append(a.Days, AggregateDay{Day: sd.String(), Positives: compute.KCount(positives[sd], k),
			Users: compute.KCount(users[sd], k), AtRisk: compute.KCount(atRisk[sd], k)})
	}
	a.Degree = mergeBins(hist, k)
	return a
}

// mergeBins merges the histogram's adjacent values, smallest first, into
// bins of at least k entries; a last bin short of k joins the one before
// it; with fewer than k entries in all, there are none.
func mergeBins(hist map[int]int, k int) []DegreeBin {
	vals := make([]int, 0, len(hist))
	for v := range hist {
		vals = append(vals, v)
	}
	slices.Sort(vals)
	type bin struct{ lo, hi, n int }
	var bins []bin
	cur := bin{lo: -1}
	for _, v := range vals {
		if cur.lo < 0 {
			cur.lo = v
		}
		cur.hi, cur.n = v, cur.n+hist[v]
		if cur.n >= k {
			bins = append(bins, cur)
			cur = bin{lo: -1}
		}
	}
	if cur.lo >= 0 && len(bins) > 0 {
		last := &bins[len(bins)-1]
		last.hi, last.n = cur.hi, last.n+cur.n
	}
	out := []DegreeBin{}
	for _, b := range bins {
		out = append(out, DegreeBin{Lo: b.lo, Hi: b.hi, Count: compute.KCount(b.n, k)})
	}
	return out
}

// LatestAggregates returns the aggregates of the last published epoch, or
// nil before the first.
func LatestAggregates(h compute.Host) (*Aggregates, error) {
	var a *Aggregates
	err := h.Inputs().ForEachRunInput(aggregatesRun, func(b []byte) error {
		a = new(Aggregates)
		if err := json.Unmarshal(b, a); err != nil {
			return fmt.Errorf("epochjob: stored aggregates: %w", err)
		}
		return nil
	})
	return a, err
}
