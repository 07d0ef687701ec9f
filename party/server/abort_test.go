package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

// TestExposureAbortN5 runs epochs with n = 5, t = 2 where party 5 stops in
// the middle of a run: first it stays down (the run fails everywhere and no
// result is stored), then a new run succeeds; finally a party that stops in
// the middle and comes back is asked again and joins the others' retry.
func TestExposureAbortN5(t *testing.T) {
	// Without the histogram noise, whose dummy groups (about 1,850 records
	// a day at n = 5) the five in-process parties would shuffle on two
	// cores: this test is about aborts, and the noise has its own tests.
	d := fabrictest.StartWith(t, 5, 2, fabrictest.Options{MeshTimeout: 3 * time.Second, RunRetryWait: 100 * time.Millisecond,
		Params: func(p *manifest.Params) {
			p.Risk.NoiseEpsilon, p.Risk.NoiseDelta, p.Risk.NoiseMaxGroup, p.Risk.NoiseMaxRecords = 0, 0, 0, 0
		}})
	p := trace.DefaultParams()
	now := time.Now().UTC()
	at := func(ago time.Duration) time.Time { return now.Add(-ago).Truncate(time.Minute) }
	var bar [32]byte
	rand.Read(bar[:])
	venue := func(from, to time.Duration) []trace.Record {
		recs, err := trace.VenueRecords(bar, at(from), at(to), p)
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	grace := client.WithResultsGrace(300 * time.Millisecond)
	a, b, c := newVisitor(t, d, "a", grace), newVisitor(t, d, "b", grace), newVisitor(t, d, "c", grace)
	a.upload(t, wire.KindOrdinary, "", venue(3*time.Hour, 2*time.Hour))
	b.upload(t, wire.KindOrdinary, "", venue(3*time.Hour+30*time.Minute, 2*time.Hour+30*time.Minute))
	c.upload(t, wire.KindOrdinary, "", venue(27*time.Hour, 26*time.Hour))
	report, err := trace.PositiveReport(trace.Report{
		Visits: []trace.Visit{{Secret: bar, Arrive: at(3*time.Hour + 30*time.Minute), Depart: at(2*time.Hour + 30*time.Minute)}},
		Onset:  trace.DayOf(now),
	}, p, now)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := authority.Issue(d.Authority, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	uctx, ucancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer ucancel()
	if _, err := b.c.ReportPositive(uctx, codes[0], trace.Report{
		Visits: []trace.Visit{{Secret: bar, Arrive: at(3*time.Hour + 30*time.Minute), Depart: at(2*time.Hour + 30*time.Minute)}},
		Onset:  trace.DayOf(now),
	}, p, now); err != nil {
		t.Fatal(err)
	}
	want := trace.Oracle([]trace.Upload{
		{User: "b+", Positive: true, Records: report},
		{User: "a", Records: a.recs}, {User: "b", Records: b.recs}, {User: "c", Records: c.recs},
	}, p)
	if len(want["a"].Days) == 0 || len(want["c"].Days) != 0 {
		t.Fatalf("the oracle should put a at risk and not c: %+v", want)
	}

	// 1. Party 5 stops after the record-set agreement and stays down.
	var stops atomic.Int32
	server.SetTestHook(d.Servers[4], func(run *compute.Run, stage string) error {
		if stage == "agreed" && stops.Add(1) == 1 {
			d.StopPartyAsync(5)
			return errors.New("test: party 5 stops")
		}
		return nil
	})
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	outs, err := operator.Run(ctx, a.c, "exposure", d.Quorum(), 50*time.Millisecond)
	if err == nil {
		t.Fatal("a run that lost party 5 succeeded")
	}
	for _, o := range outs[:4] {
		if o.State != wire.RunFailed {
			t.Errorf("party %d: state %v (%v), want failed", o.Party, o.State, o.Err)
		}
	}
	t.Logf("failed run: %v after %.1fs; party 1 says %q", err, time.Since(start).Seconds(), outs[0].Text)
	if !strings.Contains(outs[0].Text, "peer gone") && !strings.Contains(outs[0].Text, "timeout") && !strings.Contains(outs[0].Text, "not complete") {
		t.Errorf("party 1's error does not name the lost party: %q", outs[0].Text)
	}
	if runs := d.Servers[0].Runs(); runs[len(runs)-1].State != "failed" || runs[len(runs)-1].Attempts != 3 {
		t.Errorf("party 1 lists the run as %+v", runs[len(runs)-1])
	}
	for _, v := range []*visitor{a, b, c} {
		fctx, fcancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := v.c.FetchResults(fctx)
		fcancel()
		if err != nil || len(res.Results) != 0 || len(res.Unresolved) != 0 {
			t.Fatalf("%s: results after a failed run: %+v, %v", v.name, res, err)
		}
	}

	// 2. Party 5 is back: a new run gives the oracle's answer.
	d.StartParty(5)
	d.WaitRegistered(5)
	id := runEpoch(t, d, a.c)
	for _, v := range []*visitor{a, b, c} {
		if got := v.riskDays(t, id); !equalDays(got, want[v.name].Days) {
			t.Errorf("%s: days at risk %v, oracle %v", v.name, got, want[v.name].Days)
		}
	}

	// 3. Party 5 stops in the middle and restarts at once: the operator asks
	// it again, and it joins the others' next attempt of the same run.
	stops.Store(0)
	restarted := make(chan struct{})
	server.SetTestHook(d.Servers[4], func(run *compute.Run, stage string) error {
		if stage == "agreed" && stops.Add(1) == 1 {
			go func() {
				defer close(restarted)
				d.StopParty(5)
				d.StartParty(5)
			}()
			return errors.New("test: party 5 restarts")
		}
		return nil
	})
	id2 := runEpoch(t, d, a.c)
	<-restarted
	if runs := d.Servers[0].Runs(); runs[len(runs)-1].Attempts < 2 {
		t.Errorf("party 1 lists the run as %+v, want a retried run", runs[len(runs)-1])
	}
	for _, v := range []*visitor{a, b, c} {
		if got := v.riskDays(t, id2); !equalDays(got, want[v.name].Days) {
			t.Errorf("%s: days at risk %v, oracle %v", v.name, got, want[v.name].Days)
		}
	}
}

func equalDays(a, b []trace.Day) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRunRequestRefused checks what a party refuses to start.
func TestRunRequestRefused(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	v := newVisitor(t, d, "operator")
	h := v.c.ManifestHash()
	key := d.Deployment.Parties[0].Sign
	key2 := d.Deployment.Parties[1].Sign
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type sig struct {
		signer int
		key    ed25519.PrivateKey
	}
	send := func(name string, issued time.Time, sigs []sig, id [wire.IDSize]byte) (wire.Message, error) {
		return v.c.Request(ctx, 1, func(rk [wire.KeySize]byte) wire.Message {
			q := &wire.RunRequest{ReplyKey: rk, Name: name, RunID: id, Issued: issued.Unix()}
			for _, sg := range sigs {
				q.Sign(sg.signer, sg.key, h)
			}
			return q
		})
	}
	var id [wire.IDSize]byte
	rand.Read(id[:])
	good := []sig{{1, key}, {2, key2}}
	for _, tc := range []struct {
		why    string
		name   string
		issued time.Time
		sigs   []sig
		want   string
	}{
		{"not a party's key", "exposure", time.Now(), []sig{{1, stranger}, {2, key2}}, "signatures"},
		{"signer not in the manifest", "exposure", time.Now(), []sig{{9, key}, {2, key2}}, "signatures"},
		{"one party alone", "exposure", time.Now(), []sig{{1, key}}, "t+1"},
		{"one party signing twice", "exposure", time.Now(), []sig{{1, key}, {1, key}}, "t+1"},
		{"more signatures than parties", "exposure", time.Now(), []sig{{1, key}, {2, key2}, {1, stranger}, {2, stranger}}, "3 parties"},
		{"issued too long ago", "exposure", time.Now().Add(-6 * time.Minute), good, "clock"},
		{"issued in the future", "exposure", time.Now().Add(6 * time.Minute), good, "clock"},
		{"not in the manifest", "nope", time.Now(), good, "manifest"},
	} {
		msg, err := send(tc.name, tc.issued, tc.sigs, id)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: answer %v, error %v; want an error about %q", tc.why, msg, err, tc.want)
		}
	}
	if st := d.Servers[0].RunStatus(id); st.State != wire.RunUnknown {
		t.Fatalf("refused run is %v", st.State)
	}
	// A good request starts the run; repeating it starts nothing new.
	for i := 0; i < 2; i++ {
		msg, err := send("exposure", time.Now(), good, id)
		if err != nil {
			t.Fatal(err)
		}
		if st := msg.(*wire.RunStatus); st.State == wire.RunUnknown || st.State == wire.RunFailed {
			t.Fatalf("request %d: state %v", i, st.State)
		}
	}
	if runs := d.Servers[0].Runs(); len(runs) != 1 {
		t.Fatalf("%d runs listed, want 1", len(runs))
	}
}
