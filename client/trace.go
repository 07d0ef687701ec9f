package client

import (
	"fmt"

	"github.com/safetrace/safetrace/trace"
)

// FromTrace turns records derived by package trace into records to upload:
// each 64-byte key becomes its point by the standard hash-to-group.
func FromTrace(recs []trace.Record) ([]Record, error) {
	out := make([]Record, len(recs))
	for i, r := range recs {
		if _, err := out[i].Key.SetUniformBytes(r.Key[:]); err != nil {
			return nil, fmt.Errorf("client: record %d: %w", i, err)
		}
		if r.Day < 0 {
			return nil, fmt.Errorf("client: record %d: day %d before 1970", i, r.Day)
		}
		out[i].Weight, out[i].Minutes, out[i].Day = uint64(r.Weight), uint64(r.Minutes), uint32(r.Day)
	}
	return out, nil
}
