package epoch

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/safetrace/safetrace/wire/record"
)

// Partitions hands out an epoch's records one day at a time (DESIGN.md
// section 7): a record only meets positive records of its own day, so each
// day is a sub-epoch with its own key, shuffle and tags, and a party holds
// one day's records at a time. Every party must return the same days in the
// same order with the same public fields.
type Partitions interface {
	// Next returns the next day's records, or ok false after the last day.
	// The records are the caller's until the next call; RunPartitioned
	// clears their shares when done with them.
	Next(ctx context.Context) (day record.Day, recs []Record, ok bool, err error)
}

// RunPartitioned runs one sub-epoch per day of parts, in order, and
// returns the results of all of them (sorted by user, then day) with their
// counters added up. Report indices are per day: a report that spans days
// is validated in each day's part, so a part that fails validation is
// rejected alone (Stats.RejectedReports counts rejected day parts, given
// as "day*2^32 + report"), and MaxReportWeight bounds each day's part.
// Within a day, Params.MaxChunk splits the ordinary records into chunks of
// whole user-days, each run with all of the day's validated report records
// (see [Params]); the day's reports are validated once. The run completes
// or fails as a whole.
func RunPartitioned(ctx context.Context, p *Party, parts Partitions, prm Params) (*Output, error) {
	total := &Output{Stats: Stats{GroupSizes: map[int]int{}, Timings: map[string]time.Duration{}}}
	seen := map[record.Day]bool{}
	for {
		day, recs, ok, err := parts.Next(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: partition: %w", ErrAborted, err)
		}
		if !ok {
			break
		}
		if seen[day] {
			return nil, fmt.Errorf("%w: partition of day %d twice", ErrAborted, day)
		}
		seen[day] = true
		for i := range recs {
			if recs[i].Day != day {
				return nil, fmt.Errorf("%w: partition of day %d holds a record of day %d", ErrAborted, day, recs[i].Day)
			}
		}
		out, err := Run(ctx, p, recs, prm)
		for i := range recs {
			recs[i] = Record{}
		}
		if err != nil {
			return nil, err
		}
		total.Results = append(total.Results, out.Results...)
		st := &total.Stats
		st.Records += out.Stats.Records
		st.PositiveRecords += out.Stats.PositiveRecords
		st.Reports += out.Stats.Reports
		for _, r := range out.Stats.RejectedReports {
			st.RejectedReports = append(st.RejectedReports, int(day)<<32|r)
		}
		for s, c := range out.Stats.GroupSizes {
			st.GroupSizes[s] += c
		}
		for k, d := range out.Stats.Timings {
			st.Timings[k] += d
		}
		st.Chunks += out.Stats.Chunks
		st.Rounds += out.Stats.Rounds
		st.NoiseRecords += out.Stats.NoiseRecords
		st.NoiseMaxGroup = max(st.NoiseMaxGroup, out.Stats.NoiseMaxGroup)
	}
	slices.SortFunc(total.Results, func(a, b Result) int {
		if a.User != b.User {
			return a.User - b.User
		}
		return cmp.Compare(a.Day, b.Day)
	})
	return total, nil
}

// SliceDays returns Partitions over recs held in memory, one day at a time
// in ascending order of day (tests and simulations).
func SliceDays(recs []Record) Partitions {
	byDay := map[record.Day][]Record{}
	for _, r := range recs {
		byDay[r.Day] = append(byDay[r.Day], r)
	}
	return &sliceDays{byDay: byDay, days: slices.Sorted(maps.Keys(byDay))}
}

type sliceDays struct {
	byDay map[record.Day][]Record
	days  []record.Day
}

func (s *sliceDays) Next(context.Context) (record.Day, []Record, bool, error) {
	if len(s.days) == 0 {
		return 0, nil, false, nil
	}
	d := s.days[0]
	s.days = s.days[1:]
	recs := s.byDay[d]
	delete(s.byDay, d)
	return d, recs, true, nil
}
