package server_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/epoch/epochjob"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

// visitor is one user of the test: a client and the trace records it sent.
type visitor struct {
	name string
	c    *client.Client
	recs []trace.Record
}

func newVisitor(t *testing.T, d *fabrictest.Deployment, name string, opts ...client.Option) *visitor {
	h := d.Manifest().Hash()
	opts = append([]client.Option{client.WithBackoff(20*time.Millisecond, 200*time.Millisecond), client.WithAttemptWait(5 * time.Second)}, opts...)
	c, err := client.New(d.ManifestBytes, h[:], nil, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &visitor{name: name, c: c}
}

func (v *visitor) upload(t *testing.T, kind wire.Kind, code string, recs []trace.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := v.c.Upload(ctx, kind, code, recs); err != nil {
		t.Fatalf("%s: upload: %v", v.name, err)
	}
	if kind == wire.KindOrdinary {
		v.recs = append(v.recs, recs...)
	}
}

// riskDays fetches the visitor's newest result and returns its days at risk.
func (v *visitor) riskDays(t *testing.T, runID [wire.IDSize]byte) []trace.Day {
	t.Helper()
	res := v.results(t)
	if len(res.Inconsistent) > 0 {
		t.Fatalf("%s: inconsistent shares from parties %v", v.name, res.Inconsistent)
	}
	if len(res.Results) > 1 {
		t.Errorf("%s: %d results; a new epoch's result replaces the older ones", v.name, len(res.Results))
	}
	days, _, found := v.classesOf(t, res, runID)
	if !found && len(v.recs) > 0 {
		t.Fatalf("%s: no result of run %x among %d", v.name, runID[:4], len(res.Results))
	}
	slices.Sort(days)
	return days
}

// classDays fetches the visitor's result of run id and returns its days at
// risk from persons' reports and its days reached by a venue warning.
func (v *visitor) classDays(t *testing.T, id [wire.IDSize]byte) (person, venue []trace.Day) {
	t.Helper()
	person, venue, _ = v.classesOf(t, v.results(t), id)
	return person, venue
}

// results fetches the visitor's results.
func (v *visitor) results(t *testing.T) *client.Results {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := v.c.FetchResults(ctx)
	if err != nil {
		t.Fatalf("%s: results: %v", v.name, err)
	}
	return res
}

// classesOf returns the days of the result of run id among res at risk from
// persons' reports and reached by a venue warning, and whether res holds
// such a result.
func (v *visitor) classesOf(t *testing.T, res *client.Results, id [wire.IDSize]byte) (person, venue []trace.Day, found bool) {
	t.Helper()
	for _, r := range res.Results {
		if r.ID != id {
			continue
		}
		found = true
		p, w, err := r.Classes()
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		for _, d := range p {
			person = append(person, trace.Day(d))
		}
		for _, d := range w {
			venue = append(venue, trace.Day(d))
		}
	}
	return person, venue, found
}

func runEpoch(t *testing.T, d *fabrictest.Deployment, c *client.Client) [wire.IDSize]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()
	outs, err := operator.Run(ctx, c, "exposure", d.Quorum(), 50*time.Millisecond)
	if err != nil {
		t.Fatalf("epoch: %v", err)
	}
	var sum epochjob.Summary
	if err := json.Unmarshal([]byte(outs[0].Text), &sum); err != nil {
		t.Fatalf("summary %q: %v", outs[0].Text, err)
	}
	t.Logf("epoch: %s", outs[0].Text)
	// The dashboard's list shows the run with its summary.
	runs := d.Servers[1].Runs()
	if last := runs[len(runs)-1]; last.State != "done" || last.Computation != "exposure" || len(last.Summary) == 0 {
		t.Errorf("last run listed as %+v", last)
	}
	return lastRunID(t, d)
}

// lastRunID returns the id of the run whose results visitors hold: the
// parties label results with it.
func lastRunID(t *testing.T, d *fabrictest.Deployment) [wire.IDSize]byte {
	t.Helper()
	id, ok := d.Servers[0].LastRun("exposure")
	if !ok {
		t.Fatal("no finished exposure run")
	}
	return id
}

func TestExposureEndToEnd(t *testing.T) { exposureEndToEnd(t, fabrictest.Options{}) }

// TestExposureEndToEndPostgres is the same with every party's store on
// PostgreSQL.
func TestExposureEndToEndPostgres(t *testing.T) {
	exposureEndToEnd(t, fabrictest.Options{Postgres: true})
}

func exposureEndToEnd(t *testing.T, opts fabrictest.Options) {
	d := fabrictest.StartWith(t, 3, 1, opts)
	p := trace.DefaultParams()
	now := time.Now().UTC()
	var cafe, gym [32]byte
	rand.Read(cafe[:])
	rand.Read(gym[:])
	at := func(ago time.Duration) time.Time { return now.Add(-ago).Truncate(time.Minute) }
	venue := func(secret [32]byte, from, to time.Duration) []trace.Record {
		recs, err := trace.VenueRecords(secret, at(from), at(to), p)
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	a, b, c := newVisitor(t, d, "a"), newVisitor(t, d, "b"), newVisitor(t, d, "c")
	a.upload(t, wire.KindOrdinary, "", venue(cafe, 5*time.Hour, 4*time.Hour+20*time.Minute))
	b.upload(t, wire.KindOrdinary, "", venue(cafe, 5*time.Hour+10*time.Minute, 4*time.Hour))
	c.upload(t, wire.KindOrdinary, "", venue(gym, 5*time.Hour, 4*time.Hour))

	// B reports positive with symptom onset today.
	report, err := trace.PositiveReport(trace.Report{
		Visits: []trace.Visit{{Secret: cafe, Arrive: at(5*time.Hour + 10*time.Minute), Depart: at(4 * time.Hour)}},
		Onset:  trace.DayOf(now),
	}, p, now)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := authority.Issue(d.Authority, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b.upload(t, wire.KindPositive, codes[0], report)

	id := runEpoch(t, d, a.c)
	uploads := []trace.Upload{{User: "b", Positive: true, Records: report}}
	for _, v := range []*visitor{a, b, c} {
		uploads = append(uploads, trace.Upload{User: v.name, Records: v.recs})
	}
	want := trace.Oracle(uploads, p)
	for _, v := range []*visitor{a, b, c} {
		got := v.riskDays(t, id)
		if !slices.Equal(got, want[v.name].Days) {
			t.Errorf("%s: days at risk %v, oracle %v", v.name, got, want[v.name].Days)
		}
	}
	if len(want["a"].Days) == 0 || len(want["c"].Days) != 0 {
		t.Fatalf("the oracle should put a at risk and not c: %+v", want)
	}

	// A second epoch after C visits the cafe too gives C's new answer.
	c.upload(t, wire.KindOrdinary, "", venue(cafe, 4*time.Hour+50*time.Minute, 4*time.Hour+10*time.Minute))
	id2 := runEpoch(t, d, a.c)
	if id2 == id {
		t.Fatal("the second run has the first run's id")
	}
	uploads = append(uploads[:1], trace.Upload{User: "a", Records: a.recs}, trace.Upload{User: "b", Records: b.recs}, trace.Upload{User: "c", Records: c.recs})
	want = trace.Oracle(uploads, p)
	if got := c.riskDays(t, id2); len(got) == 0 || !slices.Equal(got, want["c"].Days) {
		t.Errorf("c after the cafe: days at risk %v, oracle %v", got, want["c"].Days)
	}
}

// TestEncounterExposure: E scanned F's personal code yesterday; F reports
// positive with onset today, which sends F's own ephemeral IDs of the
// infectious window; after an epoch E is at risk on that day, G (who met
// nobody) is not.
func TestEncounterExposure(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	p := trace.DefaultParams()
	now := time.Now().UTC()
	yesterday := trace.DayOf(now) - 1
	var seedF, venue [32]byte
	rand.Read(seedF[:])
	rand.Read(venue[:])
	e, f, g := newVisitor(t, d, "e"), newVisitor(t, d, "f"), newVisitor(t, d, "g")
	code := trace.EncounterCode(seedF, yesterday)
	id, day, err := trace.ParseEncounterCode(code)
	if err != nil {
		t.Fatal(err)
	}
	met, err := trace.EncounterRecord(id, day, p)
	if err != nil {
		t.Fatal(err)
	}
	e.upload(t, wire.KindOrdinary, "", []trace.Record{met})
	alone, err := trace.VenueRecords(venue, now.Add(-3*time.Hour).Truncate(time.Minute), now.Add(-2*time.Hour).Truncate(time.Minute), p)
	if err != nil {
		t.Fatal(err)
	}
	g.upload(t, wire.KindOrdinary, "", alone)
	report, err := trace.PositiveReport(trace.Report{Seed: seedF, Onset: trace.DayOf(now)}, p, now)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := authority.Issue(d.Authority, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.upload(t, wire.KindPositive, codes[0], report)
	run := runEpoch(t, d, e.c)
	if got := e.riskDays(t, run); !slices.Equal(got, []trace.Day{yesterday}) {
		t.Errorf("e: days at risk %v, want [%v]", got, yesterday)
	}
	if got := g.riskDays(t, run); len(got) != 0 {
		t.Errorf("g: days at risk %v, want none", got)
	}
}
