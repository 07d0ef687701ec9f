package trace

import (
	"fmt"
	"time"
)

// A Day is a UTC calendar day, counted in days since the Unix epoch
// (1970-01-01 is day 0). The zero value is 1970-01-01.
type Day int32

// Range of days the package accepts: 1970-01-01 through 9999-12-31.
const (
	MinDay Day = 0
	MaxDay Day = 2932896
)

// DayOf returns the UTC day containing t.
func DayOf(t time.Time) Day {
	return Day(floorDiv(t.Unix(), 86400))
}

// ParseDay parses a day written as YYYY-MM-DD. It accepts only the canonical
// form that [Day.String] writes, and only days in [MinDay, MaxDay].
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return 0, fmt.Errorf("trace: bad day %q, want YYYY-MM-DD", s)
	}
	d := DayOf(t)
	if d < MinDay || d > MaxDay {
		return 0, fmt.Errorf("trace: day %s out of range", s)
	}
	return d, nil
}

// Start returns midnight UTC at the beginning of d.
func (d Day) Start() time.Time {
	return time.Unix(int64(d)*86400, 0).UTC()
}

// StartMinute returns the start of d in minutes since the Unix epoch.
func (d Day) StartMinute() int64 { return int64(d) * 1440 }

// String returns d as YYYY-MM-DD.
func (d Day) String() string { return d.Start().Format(time.DateOnly) }

// floorDiv returns a/b rounded towards negative infinity; b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
