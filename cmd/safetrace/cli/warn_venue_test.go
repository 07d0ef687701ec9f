package cli

import (
	"strings"
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now": now, "now-3h": now.Add(-3 * time.Hour), "now+10m": now.Add(10 * time.Minute), "now-2d": now.AddDate(0, 0, -2),
		"2026-03-15T10:30:00Z": now.Add(-90 * time.Minute), "2026-03-15T10:30:00+01:00": now.Add(-150 * time.Minute),
		"2026-03-15T10:30": now.Add(-90 * time.Minute), "2026-03-15 10:30": now.Add(-90 * time.Minute),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "now3h", "now-", "now-xd", "2026-03-15", "10:30"} {
		if _, err := parseWhen(in, now); err == nil {
			t.Errorf("parseWhen(%q) accepted", in)
		}
	}
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"now", "now-3h", "now+1d", "2026-03-15T10:30:00Z", "2026-03-15T10:30", "now-99999999999d"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := parseWhen(s, now); err != nil && !strings.Contains(err.Error(), "want") {
			t.Fatalf("unclear error %v", err)
		}
	})
}
