package relayclient

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Default reconnection backoff bounds.
const (
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 15 * time.Second
)

// Backoff returns the wait before retry attempt n (0-based): exponential
// from lo up to hi, with "equal jitter" (half fixed, half random) so that
// clients dropped together by a restarting relay do not return together.
func Backoff(n int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 0; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + rand.N(d/2+1)
}

// Sleep waits d or until ctx is done, and reports whether ctx is still live.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dialDefaults fills in the defaults of a client's or party's dialer and
// backoff bounds and returns its logger (slog.Default when l is nil).
func dialDefaults(d *Dialer, lo, hi *time.Duration, l *slog.Logger) *slog.Logger {
	if *d == nil {
		*d = defaultDialer()
	}
	if *lo <= 0 {
		*lo = DefaultMinBackoff
	}
	if *hi <= 0 {
		*hi = DefaultMaxBackoff
	}
	if l == nil {
		l = slog.Default()
	}
	return l
}
