package trace

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Synthesize returns a deterministic synthetic population for tests and
// simulations: users users with about records/users ordinary records each,
// of whom positives also upload a positive report. The same arguments always
// give the same uploads.
//
// The population lives in the seven days (or RetentionDays if fewer) from
// the day of start. Venues have random secrets and a Zipf-distributed
// popularity, so that a few are crowded; GPS fixes cluster around hotspots of
// one city; pairs of users scan each other's personal codes. About 80% of
// records are venue records, 15% GPS and 5% encounters. A positive user's
// report covers all their visits, fixes and their encounter seed, with an
// onset inside the period, evaluated at the end of the last day.
//
// Uploads come per user in order ("user00000", "user00001", ...), each
// user's ordinary upload first, then all positive reports. Synthesize panics
// if p is invalid, a count is negative or positives exceeds users.
func Synthesize(seed uint64, users, records, positives int, p Params, start time.Time) []Upload {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	if users < 0 || records < 0 || positives < 0 || positives > users {
		panic(fmt.Sprintf("trace: bad population %d users, %d records, %d positives", users, records, positives))
	}
	if users == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x5afe_7ace_0000_0001))
	days := min(7, p.RetentionDays)
	first := DayOf(start)
	last := first + Day(days) - 1

	nVenues := max(8, users/4)
	venues := make([][SecretSize]byte, nVenues)
	for i := range venues {
		fillRandom(rng, venues[i][:])
	}
	popularity := rand.NewZipf(rng, 1.3, 10, uint64(nVenues-1))

	type spot struct{ lat, lon float64 }
	spots := make([]spot, max(4, users/25))
	for i := range spots {
		spots[i] = spot{52.45 + 0.15*rng.Float64(), 13.25 + 0.3*rng.Float64()}
	}

	type person struct {
		seed   [SeedSize]byte
		visits []Visit
		fixes  []Fix
		recs   []Record
	}
	people := make([]person, users)
	for i := range people {
		fillRandom(rng, people[i].seed[:])
	}
	randomDay := func() Day { return first + Day(rng.IntN(days)) }
	perUser := max(1, records/users)

	if users > 1 {
		for range records / 40 {
			a, b := rng.IntN(users), rng.IntN(users-1)
			if b >= a {
				b++
			}
			d := randomDay()
			people[a].recs = append(people[a].recs, encounterRecord(EphemeralID(people[b].seed, d), d, uint32(p.EncounterMinutes)))
			people[b].recs = append(people[b].recs, encounterRecord(EphemeralID(people[a].seed, d), d, uint32(p.EncounterMinutes)))
		}
	}

	for i := range people {
		u := &people[i]
		for tries := 0; len(u.recs) < perUser && tries < 4*perUser+16; tries++ {
			day := randomDay().Start()
			at := day.Add(time.Duration(7*60+rng.IntN(15*60)) * time.Minute)
			if rng.IntN(100) < 84 {
				v := Visit{
					Secret: venues[popularity.Uint64()],
					Arrive: at,
					Depart: at.Add(time.Duration(10+rng.IntN(80)) * time.Minute),
				}
				if v.Depart.After(day.Add(24*time.Hour)) || checkOverlap(append(u.visits, v)) != nil {
					continue
				}
				u.visits = append(u.visits, v)
				u.recs = append(u.recs, venueRecords(v.Secret, v.Arrive, v.Depart, p)...)
				continue
			}
			s := spots[rng.IntN(len(spots))]
			var walk []Fix
			for range 2 + rng.IntN(5) {
				walk = append(walk, Fix{
					Time:      at,
					Lat:       s.lat + 0.0008*rng.NormFloat64(),
					Lon:       s.lon + 0.0012*rng.NormFloat64(),
					AccuracyM: 5 + 120*rng.Float64(),
				})
				at = at.Add(time.Duration(120+rng.IntN(360)) * time.Second)
			}
			u.fixes = append(u.fixes, walk...)
			for _, st := range gpsStays(walk, &p) {
				u.recs = append(u.recs, gpsRecord(st.cell, st.start, st.minutes))
			}
		}
	}

	uploads := make([]Upload, 0, users+positives)
	for i, u := range people {
		uploads = append(uploads, Upload{User: userName(i), Records: u.recs})
	}
	now := last.Start().Add(24*time.Hour - time.Minute)
	for _, i := range rng.Perm(users)[:positives] {
		u := people[i]
		rep, err := PositiveReport(Report{
			Visits: u.visits,
			Fixes:  u.fixes,
			Seed:   u.seed,
			Onset:  first + Day(rng.IntN(days)),
		}, p, now)
		if err != nil {
			panic(err)
		}
		uploads = append(uploads, Upload{User: userName(i), Positive: true, Records: rep})
	}
	return uploads
}

func userName(i int) string { return fmt.Sprintf("user%05d", i) }

func fillRandom(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}
