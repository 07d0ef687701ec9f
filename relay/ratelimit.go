package relay

import "time"

// tokenBucket is a token bucket rate limiter owned by one goroutine (the
// connection's read pump); it is not safe for concurrent use. A nil
// *tokenBucket allows everything.
type tokenBucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int) *tokenBucket {
	if rate < 0 {
		return nil
	}
	b := float64(max(burst, 1))
	return &tokenBucket{rate: rate, burst: b, tokens: b, last: time.Now()}
}

// allow takes one token if there is one.
func (b *tokenBucket) allow(now time.Time) bool {
	if b == nil {
		return true
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
