package client

import (
	"context"
	"fmt"
	"time"

	"github.com/safetrace/safetrace/trace"
)

// FromTrace turns records derived by package trace into records to upload:
// each 64-byte key becomes its point by the standard hash-to-group
// (ristretto255 from uniform bytes). It fails only for a day before 1970.
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

// ReportPositive derives the records of a positive test report with
// trace.PositiveReport (the visits extended by the aerosol tail, weighted
// by days since onset, at time now) and uploads them as kind Positive with
// the health authority's one-time code.
func (c *Client) ReportPositive(ctx context.Context, code string, r trace.Report, p trace.Params, now time.Time) (*UploadStatus, error) {
	recs, err := trace.PositiveReport(r, p, now)
	if err != nil {
		return nil, fmt.Errorf("client: positive report: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("client: positive report has no record inside the retention window with a weight above 0")
	}
	cr, err := FromTrace(recs)
	if err != nil {
		return nil, err
	}
	return c.Upload(ctx, Positive, code, cr)
}
