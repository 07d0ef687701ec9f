// Package visitor is the logic of the SafeTrace visitor app (the PWA) that
// runs in the browser as WebAssembly: it reads venue posters and personal
// codes, turns the app's stored history (check-ins, GPS cells, encounters)
// into records with package trace, converts them to the client's shareable
// records, summarises a positive report for the user's consent, and reads
// the reconstructed results.
//
// It is plain Go, tested natively; the bridge to JavaScript is in
// wasm/visitor.go. Times cross the bridge as Unix milliseconds, bytes as
// base64 in JSON, so the app's own clock (injectable in tests) is the only
// notion of "now".
//
// Warning: a History holds where its user was. It stays in the browser; only
// records Shamir-shared by package client leave it, sealed to the parties.
package visitor

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/trace"
)

// MaxStay is the longest check-in the app allows before it checks the user
// out by itself.
const MaxStay = 12 * time.Hour

// Venue is what the confirmation screen shows of a scanned poster, and the
// secret that the check-in keeps.
type Venue struct {
	Name        string `json:"name"`
	Address     string `json:"address,omitempty"`
	Room        string `json:"room,omitempty"`
	Category    string `json:"category"`
	StayMinutes int    `json:"stay_minutes"`
	Secret      []byte `json:"secret"`
	// ValidFrom and ValidUntil are Unix milliseconds, 0 when unbounded.
	ValidFrom  int64 `json:"valid_from,omitempty"`
	ValidUntil int64 `json:"valid_until,omitempty"`
}

// ParseVenue reads a scanned text or a location hash ("#v1.…"). Text that is
// not a venue URL gives an error wrapping core.ErrNotVenue.
func ParseVenue(text string) (*Venue, error) {
	v, err := core.ParseURL(text)
	if err != nil {
		return nil, err
	}
	out := &Venue{Name: v.Name, Address: v.Address, Room: v.Room, Category: v.Category.String(),
		StayMinutes: int(v.Stay / time.Minute), Secret: v.Secret[:]}
	if !v.ValidFrom.IsZero() {
		out.ValidFrom, out.ValidUntil = v.ValidFrom.UnixMilli(), v.ValidUntil.UnixMilli()
	}
	out.StayMinutes = min(out.StayMinutes, int(MaxStay/time.Minute))
	return out, nil
}

// Visit is one check-in: the venue secret and the times of arrival and
// departure in Unix milliseconds (Depart 0 while checked in).
type Visit struct {
	Secret []byte `json:"secret"`
	Arrive int64  `json:"arrive"`
	Depart int64  `json:"depart"`
}

// CellStay is one GPS fix reduced to its geohash cell: the app keeps cells,
// never coordinates.
type CellStay struct {
	Time int64  `json:"time"` // Unix milliseconds
	Cell string `json:"cell"`
}

// Encounter is another person's ephemeral ID of a day, from their personal
// code.
type Encounter struct {
	ID  []byte `json:"id"`
	Day int32  `json:"day"`
}

// History is what an upload is made of.
type History struct {
	Visits     []Visit     `json:"visits"`
	Cells      []CellStay  `json:"cells"`
	Encounters []Encounter `json:"encounters"`
}

// Cell returns the geohash cell of a fix, or "" when its accuracy (metres)
// is unknown or worse than the deployment's limit.
func Cell(lat, lon, accuracy float64, p trace.Params) string {
	if !(accuracy > 0 && accuracy <= p.GPSAccuracyM) {
		return ""
	}
	return trace.Cell(lat, lon, p.GeohashPrecision)
}

// fixes turns stored cells back into fixes at their cells' centres, which
// trace maps to the same cells.
func fixes(cells []CellStay) []trace.Fix {
	var fs []trace.Fix
	for _, c := range cells {
		b, err := trace.CellBox(c.Cell)
		if err != nil {
			continue
		}
		lat, lon := b.Center()
		fs = append(fs, trace.Fix{Time: time.UnixMilli(c.Time), Lat: lat, Lon: lon, AccuracyM: 1})
	}
	return fs
}

func secret(b []byte) ([trace.SecretSize]byte, error) {
	var s [trace.SecretSize]byte
	if len(b) != len(s) {
		return s, fmt.Errorf("visitor: venue secret of %d bytes", len(b))
	}
	copy(s[:], b)
	return s, nil
}

// Records derives the ordinary records of h. Open check-ins (Depart 0) are
// skipped; they are uploaded after check-out.
func Records(h History, p trace.Params) ([]trace.Record, error) {
	var recs []trace.Record
	for i, v := range h.Visits {
		if v.Depart == 0 {
			continue
		}
		s, err := secret(v.Secret)
		if err != nil {
			return nil, fmt.Errorf("visit %d: %w", i, err)
		}
		rs, err := trace.VenueRecords(s, time.UnixMilli(v.Arrive), time.UnixMilli(v.Depart), p)
		if err != nil {
			return nil, fmt.Errorf("visitor: visit %d: %w", i, err)
		}
		recs = append(recs, rs...)
	}
	recs = append(recs, trace.GPSRecords(fixes(h.Cells), p)...)
	for i, e := range h.Encounters {
		if len(e.ID) != trace.IDSize {
			return nil, fmt.Errorf("visitor: encounter %d: id of %d bytes", i, len(e.ID))
		}
		r, err := trace.EncounterRecord([trace.IDSize]byte(e.ID), trace.Day(e.Day), p)
		if err != nil {
			return nil, fmt.Errorf("visitor: encounter %d: %w", i, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// Positive derives the positive report of h for a person whose symptoms
// began on onset, at time now (see trace.PositiveReport). Open check-ins end
// at now.
func Positive(h History, seed []byte, onset trace.Day, now time.Time, p trace.Params) ([]trace.Record, error) {
	r := trace.Report{Fixes: fixes(h.Cells), Onset: onset}
	if len(seed) == trace.SeedSize {
		r.Seed = [trace.SeedSize]byte(seed)
	}
	vs := slices.Clone(h.Visits)
	// sort.Slice rather than slices.SortFunc: its code is shared by every
	// element type, where each type of slices.SortFunc is 20 KB of the module.
	sort.Slice(vs, func(i, j int) bool { return vs[i].Arrive < vs[j].Arrive })
	for i, v := range vs {
		s, err := secret(v.Secret)
		if err != nil {
			return nil, err
		}
		depart := v.Depart
		if depart == 0 {
			depart = now.UnixMilli()
		}
		if i+1 < len(vs) && depart > vs[i+1].Arrive { // a new scan ended it
			depart = vs[i+1].Arrive
		}
		r.Visits = append(r.Visits, trace.Visit{Secret: s, Arrive: time.UnixMilli(v.Arrive), Depart: time.UnixMilli(depart)})
	}
	return trace.PositiveReport(r, p, now)
}

// Summary is what the user is shown before consenting to send records:
// counts per kind and per day, never a place.
type Summary struct {
	Records int            `json:"records"`
	ByKind  map[string]int `json:"by_kind"`
	Days    []DayCount     `json:"days"`
}

// DayCount is the number of records of one day.
type DayCount struct {
	Day     string `json:"day"` // YYYY-MM-DD, UTC
	Records int    `json:"records"`
}

// Summarize counts recs by kind and by day.
func Summarize(recs []trace.Record) Summary {
	s := Summary{Records: len(recs), ByKind: map[string]int{}}
	byDay := map[trace.Day]int{}
	for _, r := range recs {
		s.ByKind[r.Kind.String()]++
		byDay[r.Day]++
	}
	days := make([]trace.Day, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, d := range days {
		s.Days = append(s.Days, DayCount{Day: d.String(), Records: byDay[d]})
	}
	return s
}

// Chunks splits recs into uploads of at most client.MaxRecords.
func Chunks(recs []trace.Record) [][]trace.Record {
	var out [][]trace.Record
	for len(recs) > client.MaxRecords {
		out = append(out, recs[:client.MaxRecords])
		recs = recs[client.MaxRecords:]
	}
	if len(recs) > 0 {
		out = append(out, recs)
	}
	return out
}

// Status is what the home screen shows of the results.
type Status struct {
	// Risk is true when some result says increased risk from persons'
	// reports.
	Risk bool `json:"risk"`
	// Days are the days of increased risk, YYYY-MM-DD, newest first.
	Days []string `json:"days"`
	// VenueDays are the days on which the user visited a place a health
	// authority warned about, YYYY-MM-DD, newest first.
	VenueDays []string `json:"venue_days"`
	// Results is the number of results reconstructed.
	Results  int   `json:"results"`
	Answered []int `json:"answered"`
}

// Interpret reads reconstructed results: per day, person + 2*venue (bit 0:
// increased risk from persons' reports, bit 1: a venue warning).
func Interpret(rs *client.Results) (Status, error) {
	if rs == nil {
		return Status{}, errors.New("visitor: no results")
	}
	st := Status{Results: len(rs.Results), Answered: rs.Answered, Days: []string{}, VenueDays: []string{}}
	var person, venue []uint32
	for _, r := range rs.Results {
		p, v, err := r.Classes()
		if err != nil {
			return Status{}, err
		}
		person, venue = append(person, p...), append(venue, v...)
	}
	st.Days = newestFirst(person)
	st.VenueDays = newestFirst(venue)
	st.Risk = len(st.Days) > 0
	return st, nil
}

// newestFirst returns the distinct days as YYYY-MM-DD, newest first.
func newestFirst(days []uint32) []string {
	slices.Sort(days)
	days = slices.Compact(days)
	slices.Reverse(days)
	out := []string{}
	for _, d := range days {
		out = append(out, trace.Day(d).String())
	}
	return out
}
