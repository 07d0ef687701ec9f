package trace

import (
	"reflect"
	"testing"
	"time"
)

var synthStart = time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)

func TestSynthesizeDeterministic(t *testing.T) {
	p := DefaultParams()
	a := Synthesize(42, 100, 2000, 5, p, synthStart)
	b := Synthesize(42, 100, 2000, 5, p, synthStart)
	c := Synthesize(43, 100, 2000, 5, p, synthStart)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different populations")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same population")
	}
	if len(a) != 105 || a[0].User != "user00000" || a[99].User != "user00099" || !a[100].Positive {
		t.Fatalf("upload layout: %d uploads", len(a))
	}
	kinds := map[Kind]int{}
	first, last := DayOf(synthStart), DayOf(synthStart)+6
	for _, u := range a {
		for _, r := range u.Records {
			kinds[r.Kind]++
			if r.Day < first-2 || r.Day > last {
				t.Fatalf("record on %s outside the period", r.Day)
			}
			if u.Positive != (r.Weight > 0) {
				t.Fatalf("record weight %d in an upload with Positive %v", r.Weight, u.Positive)
			}
		}
	}
	if kinds[KindVenue] == 0 || kinds[KindGPS] == 0 || kinds[KindEncounter] == 0 {
		t.Fatalf("record kinds %v", kinds)
	}
	if Synthesize(1, 0, 0, 0, p, synthStart) != nil {
		t.Fatal("empty population")
	}
}

// With about 2-5% of users positive, 5-30% of users should be at risk, so
// that tests of the epoch exercise both outcomes.
func TestSynthesizeRiskFraction(t *testing.T) {
	p := DefaultParams()
	for _, c := range []struct{ users, records, positives int }{
		{200, 4000, 10},
		{1000, 20000, 20},
		{1000, 20000, 50},
		{5000, 100000, 100},
	} {
		ups := Synthesize(1, c.users, c.records, c.positives, p, synthStart)
		n := 0
		for _, u := range ups[:c.users] {
			n += len(u.Records)
		}
		if n < c.records*9/10 || n > c.records*13/10 {
			t.Errorf("%+v: %d records", c, n)
		}
		high := 0
		for _, r := range Oracle(ups, p) {
			if r.High {
				high++
			}
		}
		if f := float64(high) / float64(c.users); f < 0.05 || f > 0.30 {
			t.Errorf("%+v: %.1f%% at risk", c, 100*f)
		}
	}
}
