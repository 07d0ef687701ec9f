package client

import (
	"time"

	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/trace"
)

// VenueWarningRecords returns the records of a health authority's warning
// about the venue with the given secret for the window [from, to) at time
// now, under the client's manifest: the venue's buckets of the window
// (trace.VenueWarning), each weighing transmission-risk level level
// (0 means manifest.DefaultWarningLevel). Upload them with kind
// VenueWarning and the authority's venue-warning code.
func (c *Client) VenueWarningRecords(secret [trace.SecretSize]byte, from, to time.Time, level int, now time.Time) ([]trace.Record, error) {
	if level == 0 {
		level = manifest.DefaultWarningLevel
	}
	p, err := c.m.Params.Trace()
	if err != nil {
		return nil, err
	}
	w, err := c.m.Params.LevelWeight(level)
	if err != nil {
		return nil, err
	}
	return trace.VenueWarning(secret, from, to, w, p, now)
}
