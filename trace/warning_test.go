package trace

import (
	"strings"
	"testing"
	"time"
)

func TestVenueWarning(t *testing.T) {
	p := DefaultParams()
	var secret [SecretSize]byte
	secret[0] = 7
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	from, to := now.Add(-3*time.Hour-5*time.Minute), now.Add(-time.Hour)
	recs, err := VenueWarning(secret, from, to, 1200, p, now)
	if err != nil {
		t.Fatal(err)
	}
	// 11:55..14:00: the buckets 11:50, 12:00 .. 13:50.
	if len(recs) != 13 {
		t.Fatalf("%d records, want 13", len(recs))
	}
	visit, err := VenueRecords(secret, now.Add(-2*time.Hour), now.Add(-2*time.Hour+time.Minute), p)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		if r.Weight != 1200 || r.Kind != KindVenue {
			t.Fatalf("record %+v", r)
		}
		found = found || r.Key == visit[0].Key
	}
	if !found {
		t.Error("a visit inside the window has no key among the warning's")
	}
	if len(recs) > MaxWarningRecords(p) {
		t.Errorf("%d records, more than the bound %d", len(recs), MaxWarningRecords(p))
	}
	full, err := VenueWarning(secret, now.Add(-25*time.Hour+5*time.Minute), now.Add(-time.Hour+5*time.Minute), 1000, p, now)
	if err != nil || len(full) != MaxWarningRecords(p) {
		t.Errorf("a full unaligned day: %d records, %v; want %d", len(full), err, MaxWarningRecords(p))
	}

	for _, c := range []struct {
		name     string
		secret   [SecretSize]byte
		from, to time.Time
		weight   uint32
		want     string
	}{
		{"zero secret", [SecretSize]byte{}, from, to, 1000, "secret is zero"},
		{"empty", secret, from, from, 1000, "empty"},
		{"reversed", secret, to, from, 1000, "empty"},
		{"too long", secret, now.Add(-25 * time.Hour), now.Add(-time.Minute), 1000, "exceeds"},
		{"future", secret, now.Add(time.Hour), now.Add(2 * time.Hour), 1000, "future"},
		{"before retention", secret, now.AddDate(0, 0, -14), now.AddDate(0, 0, -14).Add(time.Hour), 1000, "before the retention window"},
		{"weight 0", secret, from, to, 0, "weight"},
		{"weight too high", secret, from, to, p.MaxWeight + 1, "weight"},
	} {
		if _, err := VenueWarning(c.secret, c.from, c.to, c.weight, p, now); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
	// Up to one bucket ahead is no future (clocks differ).
	if _, err := VenueWarning(secret, now.Add(-time.Hour), now.Add(5*time.Minute), 1000, p, now); err != nil {
		t.Errorf("a window ending within a bucket of now: %v", err)
	}
}
