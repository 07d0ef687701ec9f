// Package attack is the adversarial test rig: an honest story with its
// oracle, and hostile requests built the way an attacker builds them (raw
// wire messages sent through a relay, not through the friendly client), so
// that the same attacks run against in-process parties and against real
// party and relay processes.
package attack

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// Env is what an attack and the honest story need of a deployment.
type Env struct {
	Manifest  *manifest.Manifest
	NewClient func(t testing.TB) *client.Client // a fresh device
	Authority *authority.Key                    // issues codes (a code holder is an attacker too)
	Quorum    []operator.Signer                 // t+1 operators' keys
	RelayURL  string                            // a relay, for raw envelopes
}

// Raw sends env (any bytes) to party through the relay as they are and
// returns the party's reply opened with rk (a clear error reply as an
// error wrapping the *wire.Error), or the relay's refusal.
func Raw(t testing.TB, e Env, party int, env []byte, rk *wire.ReplyKey) (wire.Message, error) {
	t.Helper()
	rc, err := relayclient.NewClient(relayclient.ClientConfig{Relays: []string{e.RelayURL}})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := rc.Do(ctx, party, env)
	if err != nil {
		return nil, err
	}
	m, err := rk.OpenReply(e.Manifest.Hash(), party, reply)
	if err != nil {
		return nil, err
	}
	if we, ok := m.(*wire.Error); ok {
		return nil, we
	}
	return m, nil
}

// Visitor is an honest device and the records it sent.
type Visitor struct {
	Name string
	C    *client.Client
	Recs []trace.Record
}

// Story is the honest part of an attack test: a and b met at a cafe, b
// reported positive, c was at a gym. The oracle puts a at risk and not c.
type Story struct {
	Visitors []*Visitor
	Uploads  []trace.Upload
}

func upload(t testing.TB, c *client.Client, kind wire.Kind, code string, recs []trace.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Upload(ctx, kind, code, recs); err != nil {
		t.Fatalf("upload: %v", err)
	}
}

// HonestStory uploads the honest visitors' records and report.
func HonestStory(t testing.TB, e Env) *Story {
	t.Helper()
	p, err := e.Manifest.Params.Trace()
	if err != nil {
		t.Fatal(err)
	}
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
	s := &Story{}
	for _, v := range []struct {
		name     string
		secret   [32]byte
		from, to time.Duration
	}{
		{"a", cafe, 3 * time.Hour, 2*time.Hour + 20*time.Minute},
		{"b", cafe, 3*time.Hour + 10*time.Minute, 2 * time.Hour},
		{"c", gym, 3 * time.Hour, 2 * time.Hour},
	} {
		vis := &Visitor{Name: v.name, C: e.NewClient(t), Recs: venue(v.secret, v.from, v.to)}
		upload(t, vis.C, wire.KindOrdinary, "", vis.Recs)
		s.Visitors = append(s.Visitors, vis)
		s.Uploads = append(s.Uploads, trace.Upload{User: v.name, Records: vis.Recs})
	}
	report, err := trace.PositiveReport(trace.Report{
		Visits: []trace.Visit{{Secret: cafe, Arrive: at(3*time.Hour + 10*time.Minute), Depart: at(2 * time.Hour)}},
		Onset:  trace.DayOf(now),
	}, p, now)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := authority.Issue(e.Authority, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	upload(t, s.Visitors[1].C, wire.KindPositive, codes[0], report)
	s.Uploads = append(s.Uploads, trace.Upload{User: "b+", Positive: true, Records: report})
	return s
}

// RunEpoch runs an exposure epoch on request and fails the test unless it
// completed at every party.
func RunEpoch(t testing.TB, e Env, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := operator.Run(ctx, c, manifest.ComputationExposure, e.Quorum, 50*time.Millisecond); err != nil {
		t.Fatalf("epoch: %v", err)
	}
}

// Check fetches every honest visitor's newest result and compares it with
// the oracle's.
func (s *Story) Check(t testing.TB, e Env) {
	t.Helper()
	p, _ := e.Manifest.Params.Trace()
	want := trace.Oracle(s.Uploads, p)
	if len(want["a"].Days) == 0 || len(want["c"].Days) != 0 {
		t.Fatalf("the oracle should put a at risk and not c: %+v", want)
	}
	for _, v := range s.Visitors {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := v.C.FetchResults(ctx)
		cancel()
		if err != nil {
			t.Fatalf("%s: results: %v", v.Name, err)
		}
		if len(res.Inconsistent) > 0 || len(res.Results) != 1 {
			t.Fatalf("%s: %d results, inconsistent parties %v", v.Name, len(res.Results), res.Inconsistent)
		}
		at, err := res.Results[0].AtRisk()
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		var days []trace.Day
		for _, d := range at {
			days = append(days, trace.Day(d))
		}
		slices.Sort(days)
		if !slices.Equal(days, want[v.Name].Days) {
			t.Errorf("%s: days at risk %v, oracle %v", v.Name, days, want[v.Name].Days)
		}
	}
}

// Shares shares one record per key the way a client does (kind ordinary,
// a fresh result key) and returns each party's upload message (index i for
// party i+1), ready to be altered.
func Shares(t testing.TB, m *manifest.Manifest, day uint32, keys [][]byte, weight uint64) []*wire.Upload {
	t.Helper()
	var sf field.ScalarField
	pts := make([]group.Point, len(keys))
	sc := make([]field.Scalar, 2*len(keys))
	for i, k := range keys {
		if len(k) == 64 {
			pts[i].SetUniformBytes(k)
		} else {
			pts[i] = group.HashToPoint("attack", k)
		}
		sc[i] = sf.FromUint64(weight)
		sc[len(keys)+i] = sf.FromUint64(10)
	}
	ps, err := shamir.SplitPoints(m.T, m.N, pts, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := shamir.Split(sf, m.T, m.N, sc, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := wire.GenerateResultKey()
	if err != nil {
		t.Fatal(err)
	}
	var id [wire.IDSize]byte
	rand.Read(id[:])
	rids := make([][wire.IDSize]byte, len(keys))
	for i := range rids {
		rand.Read(rids[i][:])
	}
	var token [wire.HashSize]byte
	rand.Read(token[:])
	out := make([]*wire.Upload, m.N)
	for i := range out {
		u := &wire.Upload{ID: id, Kind: wire.KindOrdinary, TokenHash: token}
		copy(u.ResultKey[:], rk.PublicKey())
		for j := range keys {
			u.Records = append(u.Records, wire.Record{ID: rids[j], Day: record.Day(day),
				Share: record.Share{Point: ps[i].Y[j], Weight: ss[i].Y[j], Minutes: ss[i].Y[len(keys)+j]}})
		}
		out[i] = u
	}
	return out
}

// Send sends party i+1 the message ups[i] through the client's relays, as
// raw requests, and returns each party's refusal (nil for a receipt).
func Send(t testing.TB, c *client.Client, ups []*wire.Upload) []error {
	t.Helper()
	errs := make([]error, len(ups))
	for i, u := range ups {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		msg, err := c.Request(ctx, i+1, func(rk [wire.KeySize]byte) wire.Message { u.ReplyKey = rk; return u })
		cancel()
		if err == nil {
			switch m := msg.(type) {
			case *wire.Error:
				err = m
			case *wire.Receipt:
			default:
				t.Fatalf("party %d answered %T", i+1, msg)
			}
		}
		errs[i] = err
	}
	return errs
}

// Refused fails the test unless every error is a party's refusal with code.
func Refused(t testing.TB, what string, errs []error, code wire.Code) {
	t.Helper()
	for i, err := range errs {
		var we *wire.Error
		if !errors.As(err, &we) || we.Code != code {
			t.Errorf("%s: party %d answered %v, want %v", what, i+1, err, code)
		}
	}
}

// Accepted fails the test unless every party receipted.
func Accepted(t testing.TB, what string, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: party %d refused: %v", what, i+1, err)
		}
	}
}

// Key returns a 64-byte record key (the input of hash-to-group) from s.
func Key(s string) []byte {
	k := make([]byte, 64)
	copy(k, s)
	return k
}

// RunRequest returns a run request of computation name and id signed by
// the given parties' keys.
func RunRequest(m *manifest.Manifest, name string, id [wire.IDSize]byte, signers map[int]ed25519.PrivateKey) func([wire.KeySize]byte) wire.Message {
	return func(rk [wire.KeySize]byte) wire.Message {
		q := &wire.RunRequest{ReplyKey: rk, Name: name, RunID: id, Issued: time.Now().Unix()}
		for p, k := range signers {
			q.Sign(p, k, m.Hash())
		}
		return q
	}
}

// Day returns today's day in m's retention window.
func Day(m *manifest.Manifest) uint32 { return m.Params.Window(time.Now()).Today }
