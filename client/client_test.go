//go:build !js

package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

func newClient(t *testing.T, d *fabrictest.Deployment, opts ...client.Option) *client.Client {
	t.Helper()
	h := d.Manifest().Hash()
	opts = append([]client.Option{client.WithBackoff(20*time.Millisecond, 200*time.Millisecond), client.WithAttemptWait(5 * time.Second)}, opts...)
	c, err := client.New(d.ManifestBytes, h[:], nil, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func records(n int) []trace.Record {
	today := trace.DayOf(time.Now())
	rs := make([]trace.Record, n)
	for i := range rs {
		rs[i] = trace.Record{Weight: uint32(i), Minutes: 10, Day: today - trace.Day(i%3)}
		rs[i].Key[0], rs[i].Key[1] = byte(i), byte(i>>8)
	}
	return rs
}

func count(t *testing.T, st *store.Store) int {
	n := 0
	if err := st.ForEachRecord(0, 1<<32-1, func(*store.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestUploadReceiptsAndShares(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	c := newClient(t, d)
	recs := records(5)
	p, err := c.Prepare(wire.KindOrdinary, "", recs)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Send(ctx(t), p)
	if err != nil || !st.Complete {
		t.Fatalf("upload: %v %+v", err, st)
	}
	// Sending again is idempotent: the same receipts, nothing new stored.
	p.Receipts = make([][]byte, 3)
	st2, err := c.Send(ctx(t), p)
	if err != nil || st2.Receipts[0].Signature != st.Receipts[0].Signature {
		t.Fatalf("retry: %v", err)
	}
	// Every party holds a share of every record; any two reconstruct the keys.
	var shares []shamir.PointShare
	for i, s := range d.Stores {
		if n := count(t, s); n != 5 {
			t.Fatalf("party %d stores %d records", i+1, n)
		}
		ps := shamir.PointShare{X: i + 1}
		byID := map[string]group.Point{}
		s.ForEachRecord(0, 1<<32-1, func(r *store.Record) error {
			pt := r.Point
			if _, err := compute.ParseUserKey(r.ResultKey); err != nil {
				t.Fatal(err)
			}
			byID[string(r.ID[:])] = pt
			return nil
		})
		req, _ := wire.DecodeUpload(p.Requests[i])
		for _, r := range req.Records {
			ps.Y = append(ps.Y, byID[string(r.ID[:])])
		}
		shares = append(shares, ps)
	}
	pts, err := shamir.ReconstructPoints(1, shares)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		var want group.Point
		want.SetUniformBytes(recs[i].Key[:])
		if !group.EqualVec(pts[i:i+1], []group.Point{want}) {
			t.Fatalf("record %d: reconstructed key differs", i)
		}
	}
}

func wireCode(err error) wire.Code {
	var e *wire.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestAuthorityCodes(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	c := newClient(t, d)
	codes, err := authority.Issue(d.Authority, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.Upload(ctx(t), wire.KindPositive, codes[0], records(2)); err != nil || !st.Complete {
		t.Fatalf("positive upload: %v", err)
	}
	_, err = c.Upload(ctx(t), wire.KindPositive, codes[0], records(2))
	if wireCode(err) != wire.CodeCodeUsed {
		t.Fatalf("reused code: %v", err)
	}
	forger, _ := authority.GenerateKey("forger")
	forged, _ := authority.Issue(forger, 1, time.Hour)
	_, err = c.Upload(ctx(t), wire.KindPositive, forged[0], records(2))
	if wireCode(err) != wire.CodeCodeInvalid {
		t.Fatalf("forged code: %v", err)
	}
	for i, s := range d.Stores {
		if n := count(t, s); n != 2 {
			t.Errorf("party %d stores %d records, want 2", i+1, n)
		}
	}
	if strings.Contains(d.RelayLog.String(), codes[0]) {
		t.Error("the relay logged an authority code")
	}
}

// rawCall sends env to party through the relay and decodes the reply.
func rawCall(t *testing.T, d *fabrictest.Deployment, party int, env []byte, rk *wire.ReplyKey) (wire.Message, error) {
	rc, err := relayclient.NewClient(relayclient.ClientConfig{Relays: []string{d.RelayURL}})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	reply, err := rc.Do(ctx(t), party, env)
	if err != nil {
		return nil, err
	}
	m, err := rk.OpenReply(d.Manifest().Hash(), party, reply)
	if err != nil {
		return nil, err
	}
	if e, ok := m.(*wire.Error); ok {
		return nil, e
	}
	return m, nil
}

func TestMalformedInputs(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	c := newClient(t, d)
	m := d.Manifest()
	rk, _ := wire.NewReplyKey()
	p, err := c.Prepare(wire.KindOrdinary, "", records(2))
	if err != nil {
		t.Fatal(err)
	}
	up := func() *wire.Upload {
		u, err := wire.DecodeUpload(p.Requests[0])
		if err != nil {
			t.Fatal(err)
		}
		u.ReplyKey = rk.Public()
		return u
	}
	enc := func(u *wire.Upload) []byte { b, _ := u.AppendBinary(nil); return b }
	seal := func(party int, req []byte) []byte {
		env, err := wire.SealEnvelope(m, party, req)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	good := seal(1, enc(up()))
	// mod alters an envelope and redoes its proof of work, so that the
	// relay forwards it and the party sees the alteration.
	mod := func(b []byte, f func(b []byte)) []byte {
		b = append([]byte(nil), b...)
		f(b)
		wire.SetWork(b, d.Manifest().Params.Budget.WorkBits)
		return b
	}
	nonCanonical := func(off int) []byte {
		b := enc(up())
		first := 2 + 32 + 16 + 1 + 2 + 32 + 32 + 4
		for i := range 32 {
			b[first+16+4+off+i] = 0xff
		}
		return seal(1, b)
	}
	other := up()
	other.Records = other.Records[:1]
	cases := []struct {
		name string
		env  []byte
		want wire.Code
	}{
		{"old envelope version", mod(good, func(b []byte) { b[0] = 1 }), wire.CodeBadVersion},
		{"unknown envelope version", mod(good, func(b []byte) { b[0] = 7 }), wire.CodeBadVersion},
		{"wrong manifest hash", mod(good, func(b []byte) { b[5] ^= 1 }), wire.CodeWrongManifest},
		{"wrong party", seal(2, enc(up())), wire.CodeWrongParty},
		{"bad HPKE ciphertext", mod(good, func(b []byte) { b[100] ^= 1 }), wire.CodeBadEnvelope},
		{"unknown message version", seal(1, mod(enc(up()), func(b []byte) { b[0] = 2 })), wire.CodeBadVersion},
		{"unknown request type", seal(1, mod(enc(up()), func(b []byte) { b[1] = 99 })), wire.CodeUnknownType},
		{"wrong share length", seal(1, enc(up())[:len(enc(up()))-1]), wire.CodeBadFrame},
		{"non-canonical point", nonCanonical(0), wire.CodeBadShare},
		{"non-canonical scalar", nonCanonical(64), wire.CodeBadShare},
		{"reused upload id", seal(1, enc(other)), 0}, // after the good upload below
	}
	// The same request sent to party 1 as party 2's envelope (wrong party)
	// is rejected in the clear; the cases sealed correctly get sealed errors.
	for _, cs := range cases[:len(cases)-1] {
		_, err := rawCall(t, d, 1, cs.env, rk)
		if got := wireCode(err); got != cs.want {
			t.Errorf("%s: %v, want %v", cs.name, err, cs.want)
		}
	}
	// Without its proof of work an envelope stops at the relay.
	nowork := append([]byte(nil), good...)
	nowork[100] ^= 1
	for name, env := range map[string][]byte{"without its work": nowork, "too short for a header": {wire.EnvelopeVersion, 2, 3}} {
		if _, err := rawCall(t, d, 1, env, rk); err == nil || !strings.Contains(err.Error(), "proof of work") {
			t.Errorf("an envelope %s: %v, want the relay's refusal", name, err)
		}
	}
	if n := count(t, d.Stores[0]); n != 0 {
		t.Fatalf("malformed inputs stored %d records", n)
	}
	if _, err := rawCall(t, d, 1, good, rk); err != nil {
		t.Fatal(err)
	}
	if _, err := rawCall(t, d, 1, cases[len(cases)-1].env, rk); wireCode(err) != wire.CodeUploadReused {
		t.Errorf("reused upload id: %v", err)
	}
	// Oversized: the relay refuses it before any party sees it.
	if _, err := rawCall(t, d, 1, make([]byte, wire.MaxEnvelope+100), rk); err == nil {
		t.Error("oversized envelope accepted")
	}
	// Too many records.
	if _, err := c.Prepare(wire.KindOrdinary, "", make([]trace.Record, client.MaxRecords+1)); err == nil {
		t.Error("too many records prepared")
	}
	if n := count(t, d.Stores[0]); n != 2 {
		t.Fatalf("party 1 stores %d records, want 2", n)
	}
}

func TestResults(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	c := newClient(t, d, client.WithResultsGrace(200*time.Millisecond))
	if _, err := c.Upload(ctx(t), wire.KindOrdinary, "", records(1)); err != nil {
		t.Fatal(err)
	}
	// Find the user key as stored, and store a shared result for it.
	var user compute.UserKey
	d.Stores[0].ForEachRecord(0, 1<<32-1, func(r *store.Record) error {
		user, _ = compute.ParseUserKey(r.ResultKey)
		return nil
	})
	var sf field.ScalarField
	put := func(id byte, vals []uint64, corrupt int) {
		sec := make([]field.Scalar, len(vals))
		for i, v := range vals {
			sec[i] = sf.FromUint64(v)
		}
		sh, _ := shamir.Split(sf, 1, 3, sec, rand.Reader)
		for i, s := range d.Servers {
			rs := &wire.ResultShare{ID: [16]byte{id}, Days: []uint32{20000, 20001}[:len(vals)], Values: sh[i].Y}
			if i+1 == corrupt {
				rs.Values[0] = sf.Add(rs.Values[0], sf.One())
			}
			if _, err := s.PutResult(user, rs); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(1, []uint64{1, 0}, 0)
	put(2, []uint64{7}, 3)
	res, err := c.FetchResults(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 1 || res.Results[0].Values[0] != 1 || res.Results[0].Values[1] != 0 || len(res.Answered) != 3 {
		t.Fatalf("results %+v", res)
	}
	if len(res.Unresolved) != 1 || res.Unresolved[0][0] != 2 {
		t.Fatalf("inconsistent result not reported: %+v", res)
	}
	// Another user's token reads nothing.
	other := newClient(t, d)
	if res, err := other.FetchResults(ctx(t)); err != nil || len(res.Results)+len(res.Unresolved) != 0 {
		t.Fatalf("another client read results: %+v %v", res, err)
	}
	// The owner acknowledges; the blobs are deleted.
	if err := c.AckResults(ctx(t)); err != nil {
		t.Fatal(err)
	}
	th := sha256.Sum256(c.State().Token)
	if rs, _ := d.Stores[0].Results(th[:]); len(rs) != 0 {
		t.Fatalf("%d results left after ack", len(rs))
	}
}

func TestInconsistentPartyNamed(t *testing.T) {
	d := fabrictest.Start(t, 5, 1)
	c := newClient(t, d, client.WithResultsGrace(200*time.Millisecond))
	var sf field.ScalarField
	sh, _ := shamir.Split(sf, 1, 5, []field.Scalar{sf.FromUint64(1)}, rand.Reader)
	var user compute.UserKey
	copy(user.ResultKey[:], mustResultPub(t, c))
	user.TokenHash = sha256.Sum256(c.State().Token)
	for i, s := range d.Servers {
		rs := &wire.ResultShare{ID: [16]byte{9}, Days: []uint32{20000}, Values: sh[i].Y}
		if i == 1 {
			rs.Values = []field.Scalar{sf.Add(rs.Values[0], sf.One())}
		}
		s.PutResult(user, rs)
	}
	res, err := c.FetchResults(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 1 || res.Results[0].Values[0] != 1 || len(res.Inconsistent) != 1 || res.Inconsistent[0] != 2 {
		t.Fatalf("%+v", res)
	}
}

func mustResultPub(t *testing.T, c *client.Client) []byte {
	// The result public key, as the client sends it in uploads.
	p, err := c.Prepare(wire.KindOrdinary, "", records(1))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := wire.DecodeUpload(p.Requests[0])
	return u.ResultKey[:]
}

func TestManifestPinning(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	if _, err := client.New(d.ManifestBytes, make([]byte, 32), nil, nil); err == nil {
		t.Error("accepted a manifest with another hash than the pinned one")
	}
	m := *d.Manifest()
	m.Signatures = m.Signatures[:2]
	b, _ := m.Marshal()
	if _, err := client.New(b, nil, nil, nil); err == nil {
		t.Error("accepted a manifest without all signatures")
	}
}

func TestImpostorCannotRegister(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	h := d.Manifest().Hash()
	p, err := relayclient.NewParty(relayclient.PartyConfig{ID: 1, Key: key, ManifestHash: h[:], Relays: []string{d.RelayURL},
		Handler: func(context.Context, []byte) []byte { return []byte("impostor") }})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	go p.Run(cctx)
	time.Sleep(500 * time.Millisecond)
	if p.Registered() != 0 {
		t.Fatal("impostor registered")
	}
	c := newClient(t, d)
	if _, err := c.Upload(ctx(t), wire.KindOrdinary, "", records(1)); err != nil {
		t.Fatal(err)
	}
}
