package manifest

import "time"

// Window is the retention window on one day: the UTC days (since
// 1970-01-01) whose records the parties accept and keep.
type Window struct {
	Oldest uint32 // first day kept
	Today  uint32 // the day of the clock reading
}

// Window returns the retention window at time now: RetentionDays days,
// today included.
func (p *Params) Window(now time.Time) Window {
	today := max(now.Unix()/86400, 0)
	return Window{Oldest: uint32(max(today-int64(p.RetentionDays)+1, 0)), Today: uint32(today)}
}

// Accepts reports whether a record of day d may be uploaded: inside the
// window or one day ahead (for clocks and time zones).
func (w Window) Accepts(d uint32) bool { return d >= w.Oldest && d <= w.Today+1 }
