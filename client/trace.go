package client

import (
	"context"
	"fmt"
	"time"

	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

// ReportPositive derives the records of a positive test report with
// trace.PositiveReport (the visits extended by the aerosol tail, weighted
// by days since onset, at time now) and uploads them as a positive upload with
// the health authority's one-time code.
func (c *Client) ReportPositive(ctx context.Context, code string, r trace.Report, p trace.Params, now time.Time) (*UploadStatus, error) {
	recs, err := trace.PositiveReport(r, p, now)
	if err != nil {
		return nil, fmt.Errorf("client: positive report: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("client: positive report has no record inside the retention window with a weight above 0")
	}
	return c.Upload(ctx, wire.KindPositive, code, recs)
}
