package server_test

import (
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/internal/testenv/attack"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

func venueCodes(t *testing.T, d *fabrictest.Deployment, p authority.Purpose, n int) []string {
	t.Helper()
	codes, err := authority.IssueFor(d.Authority, p, n, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

// TestVenueWarning: two visitors checked in at a cafe, one inside the
// window the health authority warns of and one hours before it; a third
// met a person who reported positive. After the epoch the first is warned
// by the venue (and not at risk from a person), the second is not warned,
// and the third is at risk from the person's report only.
func TestVenueWarning(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	m := d.Manifest()
	p, _ := m.Params.Trace()
	now := time.Now().UTC().Truncate(time.Minute)
	var cafe, gym [trace.SecretSize]byte
	rand.Read(cafe[:])
	rand.Read(gym[:])
	stay := func(v *visitor, secret [trace.SecretSize]byte, from, to time.Duration) {
		recs, err := trace.VenueRecords(secret, now.Add(-from), now.Add(-to), p)
		if err != nil {
			t.Fatal(err)
		}
		v.upload(t, wire.KindOrdinary, "", recs)
	}
	in, out, met := newVisitor(t, d, "in"), newVisitor(t, d, "out"), newVisitor(t, d, "met")
	stay(in, cafe, 2*time.Hour+30*time.Minute, time.Hour+50*time.Minute)
	stay(out, cafe, 9*time.Hour, 8*time.Hour)
	stay(met, gym, 3*time.Hour, 2*time.Hour)
	sick := newVisitor(t, d, "sick")
	report, err := trace.PositiveReport(trace.Report{Visits: []trace.Visit{{Secret: gym, Arrive: now.Add(-3 * time.Hour), Depart: now.Add(-2 * time.Hour)}}, Onset: trace.DayOf(now)}, p, now)
	if err != nil {
		t.Fatal(err)
	}
	sick.upload(t, wire.KindPositive, venueCodes(t, d, authority.PositiveTest, 1)[0], report)

	owner := newVisitor(t, d, "owner")
	recs, err := owner.c.VenueWarningRecords(cafe, now.Add(-3*time.Hour), now.Add(-time.Hour), 0, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 12 || len(recs) > 13 {
		t.Fatalf("a warning of 2 hours has %d records", len(recs))
	}
	owner.upload(t, wire.KindVenueWarning, venueCodes(t, d, authority.VenueWarning, 1)[0], recs)

	id := runEpoch(t, d, in.c)
	days := func(v *visitor) []trace.Day {
		var ds []trace.Day
		for _, r := range v.recs {
			ds = append(ds, r.Day)
		}
		slices.Sort(ds)
		return slices.Compact(ds)
	}
	for _, c := range []struct {
		v             *visitor
		person, venue []trace.Day
	}{
		{in, nil, days(in)},
		{out, nil, nil},
		{met, days(met), nil},
	} {
		person, venue := c.v.classDays(t, id)
		if !slices.Equal(person, c.person) || !slices.Equal(venue, c.venue) {
			t.Errorf("%s: at risk on %v and warned on %v; want %v and %v", c.v.name, person, venue, c.person, c.venue)
		}
	}
}

// TestAttackVenueWarning sends venue warnings and reports the way an
// attacker would, as raw uploads through the relay: each is refused at
// every party with a clear error and nothing of it is stored (a refused
// warning does not spend its code). The honest users' results of the next
// epoch are the oracle's, and no venue warning reaches them.
func TestAttackVenueWarning(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	vs, uploads := honestStory(t, d)
	m := d.Manifest()
	p, _ := m.Params.Trace()
	mallory := newVisitor(t, d, "mallory")
	today := record.Day(attack.Day(m))
	keys := func(n int) [][]byte {
		var ks [][]byte
		for i := range n {
			k := make([]byte, 64)
			rand.Read(k)
			k[0] = byte(i)
			ks = append(ks, k)
		}
		return ks
	}
	warning := func(kind wire.Kind, code string, n int, days ...record.Day) []*wire.Upload {
		ups := attack.Shares(t, m, uint32(today), keys(n), 1000)
		for _, u := range ups {
			u.Kind, u.Code, u.TokenHash = kind, code, [wire.HashSize]byte{}
			for j := range u.Records {
				if len(days) > 0 {
					u.Records[j].Day = days[j%len(days)]
				}
			}
		}
		return ups
	}
	venueCode := venueCodes(t, d, authority.VenueWarning, 2)
	personal := venueCodes(t, d, authority.PositiveTest, 1)[0]
	stored := func(t *testing.T, ups []*wire.Upload) {
		t.Helper()
		for i, b := range d.Backends {
			if _, ok, _ := b.Upload(ups[0].ID[:]); ok {
				t.Errorf("party %d stored the refused upload", i+1)
			}
		}
	}
	refused := func(t *testing.T, what string, ups []*wire.Upload, code wire.Code, msg string) {
		t.Helper()
		errs := attack.Send(t, mallory.c, ups)
		attack.Refused(t, what, errs, code)
		for i, err := range errs {
			if err != nil && !strings.Contains(err.Error(), msg) {
				t.Errorf("%s: party %d said %q, want it to say %q", what, i+1, err, msg)
			}
		}
		stored(t, ups)
	}
	max := trace.MaxWarningRecords(p)
	t.Run("bad code", func(t *testing.T) {
		refused(t, "a made-up code", warning(wire.KindVenueWarning, "08AB-CDEF", 3), wire.CodeCodeInvalid, "")
	})
	t.Run("window too long", func(t *testing.T) {
		refused(t, "25 hours of buckets", warning(wire.KindVenueWarning, venueCode[0], max+1), wire.CodeTooManyRecords, "a window of at most 24h0m0s")
		refused(t, "three days", warning(wire.KindVenueWarning, venueCode[0], 3, today-2, today-1, today), wire.CodeBadDay, "spans at most two days")
	})
	t.Run("outside the retention window", func(t *testing.T) {
		w := m.Params.Window(time.Now())
		refused(t, "before the window", warning(wire.KindVenueWarning, venueCode[0], 2, record.Day(w.Oldest-1)), wire.CodeBadDay, "outside the retention window")
		refused(t, "tomorrow", warning(wire.KindVenueWarning, venueCode[0], 2, today+1), wire.CodeBadDay, "in the future")
	})
	t.Run("personal code for a venue warning", func(t *testing.T) {
		refused(t, "a positive-test code", warning(wire.KindVenueWarning, personal, 3), wire.CodeCodeInvalid, "needs a venue-warning code")
	})
	t.Run("venue code for a personal report", func(t *testing.T) {
		refused(t, "a venue-warning code", warning(wire.KindPositive, venueCode[1], 3), wire.CodeCodeInvalid, "needs a positive-test code")
	})
	t.Run("reused code", func(t *testing.T) {
		// The refusals above spent nothing: the code still works, once.
		first := warning(wire.KindVenueWarning, venueCode[0], max)
		attack.Accepted(t, "a full day's warning", attack.Send(t, mallory.c, first))
		refused(t, "the same code again", warning(wire.KindVenueWarning, venueCode[0], 3), wire.CodeCodeUsed, "already used")
		// and a personal code for a personal report still works.
		attack.Accepted(t, "a personal report", attack.Send(t, mallory.c, warning(wire.KindPositive, personal, 3)))
	})
	checkHonest(t, d, vs, uploads)
	id := lastRunID(t, d)
	for _, v := range vs {
		if _, venue := v.classDays(t, id); len(venue) != 0 {
			t.Errorf("%s: reached by a venue warning on %v; the attacker's warnings were for no honest venue", v.name, venue)
		}
	}
}
