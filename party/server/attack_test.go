package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/attack"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// env is d as the attack rig sees it.
func env(d *fabrictest.Deployment) attack.Env {
	return attack.Env{
		Manifest: d.Manifest(), Authority: d.Authority, Quorum: d.Quorum(), RelayURL: d.RelayURL,
		NewClient: func(tb testing.TB) *client.Client { return newVisitor(tb.(*testing.T), d, "").c },
	}
}

// honestStory uploads the records of three honest visitors and one positive
// report (b's; attack.HonestStory) and returns the visitors and the
// oracle's uploads.
func honestStory(t *testing.T, d *fabrictest.Deployment) ([]*visitor, []trace.Upload) {
	t.Helper()
	s := attack.HonestStory(t, env(d))
	var vs []*visitor
	for _, v := range s.Visitors {
		vs = append(vs, &visitor{name: v.Name, c: v.C, recs: v.Recs})
	}
	return vs, s.Uploads
}

// checkHonest runs an epoch and checks every honest visitor's result
// against the oracle.
func checkHonest(t *testing.T, d *fabrictest.Deployment, vs []*visitor, uploads []trace.Upload) {
	t.Helper()
	id := runEpoch(t, d, vs[0].c)
	want := trace.Oracle(uploads, trace.DefaultParams())
	if len(want["a"].Days) == 0 {
		t.Fatalf("the oracle should put a at risk: %+v", want)
	}
	for _, v := range vs {
		if got := v.riskDays(t, id); !slices.Equal(got, want[v.name].Days) {
			t.Errorf("%s: days at risk %v, oracle %v", v.name, got, want[v.name].Days)
		}
	}
}

// rawUpload shares one record the way a client does and returns party i's
// upload message (i from 0), ready to be altered by an attacker.
func rawUpload(t *testing.T, n, tt int, day uint32) []*wire.Upload {
	return attack.Shares(t, &manifest.Manifest{N: n, T: tt}, day, [][]byte{{byte(day), byte(day >> 8)}}, 0)
}

// send sends party i+1 its upload through the relay, as raw messages.
func send(t *testing.T, c *client.Client, ups []*wire.Upload) []error { return attack.Send(t, c, ups) }

// lowOrderKeys are the X25519 public keys of low order (each also with the
// ignored top bit set): they parse, but their shared secret is all zero, so
// nothing can be sealed to them.
func lowOrderKeys() [][wire.KeySize]byte {
	var keys [][wire.KeySize]byte
	for _, h := range []string{
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	} {
		var k [wire.KeySize]byte
		hex.Decode(k[:], []byte(h))
		top := k
		top[31] |= 0x80
		keys = append(keys, k, top)
	}
	return keys
}

// TestAttackLowOrderResultKey: anonymous uploads whose result key is of low
// order (32 zero bytes, and every other such X25519 point: it parses, but
// nothing can be sealed to it) are refused at every party with CodeBadKey,
// and the next epoch completes with the oracle's result for every honest
// user.
func TestAttackLowOrderResultKey(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	vs, uploads := honestStory(t, d)
	attacker := newVisitor(t, d, "mallory")
	w := d.Manifest().Params.Window(time.Now())
	for _, k := range lowOrderKeys() {
		ups := rawUpload(t, 3, 1, w.Today)
		for _, u := range ups {
			u.ResultKey = k
		}
		for i, err := range send(t, attacker.c, ups) {
			var we *wire.Error
			if !errors.As(err, &we) || we.Code != wire.CodeBadKey {
				t.Errorf("party %d: low-order result key %x answered %v, want bad key", i+1, k[:4], err)
			}
		}
		for i, st := range d.Stores {
			if _, ok, _ := st.Upload(ups[0].ID[:]); ok {
				t.Errorf("party %d stored the refused upload (result key %x)", i+1, k[:4])
			}
		}
	}
	checkHonest(t, d, vs, uploads)
}

// TestAttackDisagreeingPublicFields: one upload tells each party another
// day for the same record id (all days in the window, so every party
// receipts it). The record-set agreement covers every public field, so the
// record is dropped at every party and the epoch completes for everyone
// else.
func TestAttackDisagreeingPublicFields(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	vs, uploads := honestStory(t, d)
	attacker := newVisitor(t, d, "mallory")
	w := d.Manifest().Params.Window(time.Now())
	ups := rawUpload(t, 3, 1, w.Today)
	for i, u := range ups {
		u.Records[0].Day = record.Day(w.Today) - record.Day(i) // a different day at every party
	}
	// and another upload that differs in its kind-independent user key.
	ups2 := rawUpload(t, 3, 1, w.Today)
	rand.Read(ups2[2].ResultKey[:]) // still a key that can be sealed to
	rk, _ := wire.GenerateResultKey()
	copy(ups2[2].ResultKey[:], rk.PublicKey())
	for _, set := range [][]*wire.Upload{ups, ups2} {
		for i, err := range send(t, attacker.c, set) {
			if err != nil {
				t.Fatalf("party %d refused the attacker's upload: %v", i+1, err)
			}
		}
	}
	checkHonest(t, d, vs, uploads)
}

// TestAttackBadReplyKey: a request whose reply key cannot be sealed to is
// answered with a clear bad-key error and stores nothing (before, the party
// stored the upload and then failed to seal its receipt).
func TestAttackBadReplyKey(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	w := d.Manifest().Params.Window(time.Now())
	// The reply key all zero, and every other key of low order: the check
	// is the reply's own encapsulation, which must refuse them all.
	for _, k := range lowOrderKeys() {
		ups := rawUpload(t, 3, 1, w.Today)
		u := ups[0]
		u.ReplyKey = k
		req, err := wire.Encode(u)
		if err != nil {
			t.Fatal(err)
		}
		env, err := wire.SealEnvelope(d.Manifest(), 1, req)
		if err != nil {
			t.Fatal(err)
		}
		reply := d.Servers[0].Handle(context.Background(), env)
		rk, _ := wire.NewReplyKey()
		_, err = rk.OpenReply(d.Manifest().Hash(), 1, reply)
		var we *wire.Error
		if !errors.Is(err, wire.ErrClearReply) || !errors.As(err, &we) || we.Code != wire.CodeBadKey {
			t.Fatalf("reply key %x: reply %v, want a clear bad-key error", k[:4], err)
		}
		if _, ok, _ := d.Stores[0].Upload(u.ID[:]); ok {
			t.Fatalf("the upload with the bad reply key %x was stored", k[:4])
		}
	}
}

// TestAttackReplayedRunRequest: a captured RunRequest of a finished run,
// replayed to a party after it restarted (when its memory of runs is gone),
// starts nothing: finished run ids are stored.
func TestAttackReplayedRunRequest(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	vs, _ := honestStory(t, d)
	runEpoch(t, d, vs[0].c)
	id := lastRunID(t, d)
	// The request as party 1's operator signed it (the reply key is part of
	// what is signed, so the attacker resends the whole captured request).
	build := func(rk [wire.KeySize]byte) wire.Message {
		q := &wire.RunRequest{ReplyKey: rk, Name: "exposure", RunID: id, Issued: time.Now().Unix()}
		for _, sg := range d.Quorum() {
			q.Sign(sg.Party, sg.Key, d.Manifest().Hash())
		}
		return q
	}
	d.StopParty(2)
	d.StartParty(2)
	d.WaitRegistered(2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := vs[0].c.Request(ctx, 2, build)
	var we *wire.Error
	if _, ok := msg.(*wire.Error); !ok && !errors.As(err, &we) {
		t.Fatalf("replayed run request answered %T %+v (%v), want a refusal", msg, msg, err)
	}
	if st := d.Servers[1].RunStatus(id); st.State != wire.RunUnknown {
		t.Fatalf("the replay started run %x: %v", id[:4], st.State)
	}
}
