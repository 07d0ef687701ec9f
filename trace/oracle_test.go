package trace

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
)

func rec(key byte, day Day, minutes, weight uint32) Record {
	return Record{Key: [KeySize]byte{key}, Kind: KindVenue, Day: day, Minutes: minutes, Weight: weight}
}

func TestOracleHandComputed(t *testing.T) {
	p := DefaultParams() // threshold 10000 = 10 weighted minutes
	d := mustDay("2026-11-20")
	uploads := []Upload{
		// P1 is positive at key 1 (weight 1.0) and key 2 (0.6).
		{User: "p1", Positive: true, Records: []Record{rec(1, d, 10, 1000), rec(2, d, 10, 600)}},
		// P2 is positive at key 2 (0.4).
		{User: "p2", Positive: true, Records: []Record{rec(2, d, 10, 400)}},
		// P1 was also at key 1 and 2 as an ordinary visitor: positive
		// reports are not linked to their senders, so its own report matches
		// too: 10 × 1000 + 10 × (600 + 400).
		{User: "p1", Records: []Record{rec(1, d, 10, 0), rec(2, d, 10, 0)}},
		// Exactly at the threshold: 10 minutes × 1000.
		{User: "exact", Records: []Record{rec(1, d, 10, 0)}},
		// Just below: 9 minutes × 1000 + 1 minute at an unrelated key.
		{User: "below", Records: []Record{rec(1, d, 9, 0), rec(3, d, 1, 0)}},
		// Two positives add up at key 2: 10 × (600 + 400).
		{User: "both", Records: []Record{rec(2, d, 10, 0)}},
		// Spread over two days: 6 × 1000 on d, 10 × 1000 on d+1.
		{User: "days", Records: []Record{rec(1, d, 6, 0)}},
		{User: "days", Records: []Record{rec(2, d+1, 10, 0)}},
		// The weight of ordinary records is ignored.
		{User: "liar", Records: []Record{rec(3, d, 10, 1600)}},
		{User: "other", Records: []Record{rec(3, d, 10, 0)}},
	}
	got := Oracle(uploads, p)
	want := map[string]Result{
		"p1":    {Score: 20000, High: true, DayScores: map[Day]uint64{d: 20000}, Days: []Day{d}},
		"p2":    {DayScores: map[Day]uint64{}, Days: []Day{}},
		"exact": {Score: 10000, High: true, DayScores: map[Day]uint64{d: 10000}, Days: []Day{d}},
		"below": {Score: 9000, DayScores: map[Day]uint64{d: 9000}, Days: []Day{}},
		"both":  {Score: 10000, High: true, DayScores: map[Day]uint64{d: 10000}, Days: []Day{d}},
		"days":  {Score: 16000, High: true, DayScores: map[Day]uint64{d: 6000, d + 1: 10000}, Days: []Day{d + 1}},
		"liar":  {DayScores: map[Day]uint64{}, Days: []Day{}},
		"other": {DayScores: map[Day]uint64{}, Days: []Day{}},
	}
	if !reflect.DeepEqual(got, want) {
		for u, w := range want {
			if !reflect.DeepEqual(got[u], w) {
				t.Errorf("%s: %+v, want %+v", u, got[u], w)
			}
		}
		t.Fatalf("%d results, want %d", len(got), len(want))
	}

	p.PerDay = false
	for u, r := range Oracle(uploads, p) {
		if r.DayScores != nil || r.Days != nil || r.Score != want[u].Score {
			t.Errorf("without per-day results, %s: %+v", u, r)
		}
	}
}

func TestOracleRejectsOverweightReports(t *testing.T) {
	p := DefaultParams()
	d := mustDay("2026-11-20")
	uploads := []Upload{
		{User: "p", Positive: true, Records: []Record{rec(1, d, 10, 1000), rec(2, d, 10, p.MaxWeight+1)}},
		{User: "q", Positive: true, Records: []Record{rec(1, d, 10, p.MaxWeight)}},
		{User: "u", Records: []Record{rec(1, d, 10, 0), rec(2, d, 10, 0)}},
	}
	if r := Oracle(uploads, p)["u"]; r.Score != 10*uint64(p.MaxWeight) {
		t.Fatalf("score %d, want %d", r.Score, 10*p.MaxWeight)
	}
}

func TestOracleSaturates(t *testing.T) {
	if satAdd(math.MaxUint64-1, 2) != math.MaxUint64 || satAdd(1, 2) != 3 {
		t.Fatal("satAdd")
	}
	if satMul(1<<32, 1<<32) != math.MaxUint64 || satMul(1<<31, 1<<32) != 1<<63 {
		t.Fatal("satMul")
	}
	p := DefaultParams()
	p.MaxWeight = math.MaxUint32
	d := Day(1)
	var pos []Record
	for range 3 {
		pos = append(pos, rec(1, d, 1, math.MaxUint32))
	}
	uploads := []Upload{{User: "p", Positive: true, Records: pos}}
	for range 1 << 10 {
		uploads = append(uploads, Upload{User: "u", Records: []Record{rec(1, d, math.MaxUint32, 0)}})
	}
	if r := Oracle(uploads, p)["u"]; r.Score != math.MaxUint64 || !r.High {
		t.Fatalf("score %d, want saturation", r.Score)
	}
}

// naiveOracle is the risk rule written as directly as possible: for every
// ordinary record, scan every positive record.
func naiveOracle(uploads []Upload, p Params) map[string]Result {
	res := map[string]Result{}
	for _, u := range uploads {
		r := res[u.User]
		if r.DayScores == nil {
			r.DayScores = map[Day]uint64{}
		}
		if !u.Positive {
			for _, mine := range u.Records {
				var w uint64
				for _, v := range uploads {
					if v.Positive && validPositive(v.Records, p.MaxWeight) {
						for _, theirs := range v.Records {
							if theirs.Key == mine.Key {
								w += uint64(theirs.Weight)
							}
						}
					}
				}
				if w > 0 {
					r.Score += uint64(mine.Minutes) * w
					r.DayScores[mine.Day] += uint64(mine.Minutes) * w
				}
			}
		}
		res[u.User] = r
	}
	for u, r := range res {
		r.High = r.Score >= p.Threshold
		r.Days = []Day{}
		for d, s := range r.DayScores {
			if s >= p.Threshold {
				r.Days = append(r.Days, d)
			}
		}
		slices.Sort(r.Days)
		res[u] = r
	}
	return res
}

func TestOracleMatchesNaive(t *testing.T) {
	p := DefaultParams()
	ups := Synthesize(3, 150, 3000, 8, p, time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC))
	got, want := Oracle(ups, p), naiveOracle(ups, p)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("Oracle and the naive rule disagree")
	}
	high := 0
	for _, r := range got {
		if r.High {
			high++
		}
	}
	if high == 0 {
		t.Fatal("nobody at risk: the comparison tests nothing")
	}
}
