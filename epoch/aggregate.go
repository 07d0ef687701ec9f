package epoch

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/wire/record"
)

// AtRiskPerDay returns, for each day whose number of user-days at risk is
// at least k, that number; days below k are left out. Every party must
// call it with the same results (the epoch's Output.Results) and k.
//
// Per day, each party adds its shares of the result bits (no
// communication), the parties compare the sums with k in MPC and open only
// the comparison bits, then open the sums of the days at or above k. So
// the parties, like everyone, learn for each day only whether its count is
// below k and, if it is not, the count; no single result bit and no count
// below k is opened.
func AtRiskPerDay(ctx context.Context, p *Party, res []Result, k int) (map[record.Day]int, error) {
	f := p.F
	idx := map[record.Day]int{}
	var days []record.Day
	for _, r := range res {
		if _, ok := idx[r.Day]; !ok {
			idx[r.Day] = 0
			days = append(days, r.Day)
		}
	}
	slices.Sort(days)
	for i, d := range days {
		idx[d] = i
	}
	sums := make([]field.Scalar, len(days))
	for _, r := range res {
		j := idx[r.Day]
		sums[j] = f.Add(sums[j], r.Bit)
	}
	out := map[record.Day]int{}
	if len(days) == 0 {
		return out, nil
	}
	open := make([]bool, len(days))
	if k > 0 {
		nb := max(bits.Len(uint(len(res))), bits.Len(uint(k))) + 1
		below, err := p.LessThanPublic(ctx, sums, uint64(k), nb)
		if err != nil {
			return nil, fmt.Errorf("at-risk counts: %w", err)
		}
		opened, err := p.Open(ctx, below)
		if err != nil {
			return nil, fmt.Errorf("at-risk counts: %w", err)
		}
		for i, b := range opened {
			open[i] = b == field.Scalar{}
		}
	} else {
		for i := range open {
			open[i] = true
		}
	}
	var sel []field.Scalar
	var selDays []record.Day
	for i, ok := range open {
		if ok {
			sel = append(sel, sums[i])
			selDays = append(selDays, days[i])
		}
	}
	if len(sel) == 0 {
		return out, nil
	}
	vals, err := p.Open(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("at-risk counts: %w", err)
	}
	for i, v := range vals {
		b := f.Append(nil, []field.Scalar{v})
		n := binary.LittleEndian.Uint64(b[:8])
		for _, c := range b[8:] {
			if c != 0 {
				return nil, fmt.Errorf("at-risk counts: day %d: opened sum is not a count", selDays[i])
			}
		}
		if n > uint64(len(res)) || int(n) < k {
			return nil, fmt.Errorf("at-risk counts: day %d: opened sum %d out of range", selDays[i], n)
		}
		out[selDays[i]] = int(n)
	}
	return out, nil
}
