package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/internal/testenv/attack"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// TestAttackOnTheWire sends hostile requests, raw on the wire, to a
// deployment of real processes (a relay and three parties): each is refused
// alone where it can be seen, or dropped inside the epoch where it cannot;
// then an epoch completes and every honest visitor's result equals the
// oracle's.
func TestAttackOnTheWire(t *testing.T) {
	pd := newProcDeployment(t)
	m := pd.d.Manifest
	var quorum []operator.Signer
	for _, k := range pd.d.Parties[:m.T+1] {
		quorum = append(quorum, operator.Signer{Party: k.ID, Key: k.Sign})
	}
	e := attack.Env{
		Manifest:  m,
		NewClient: func(tb testing.TB) *client.Client { return pd.client(t) },
		Authority: pd.d.Authority,
		Quorum:    quorum,
		RelayURL:  "ws://" + pd.relay + "/ws",
	}
	story := attack.HonestStory(t, e)
	mallory := pd.client(t)
	day := attack.Day(m)
	code := func() string {
		c, err := authority.Issue(pd.d.Authority, 1, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return c[0]
	}
	attacks := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"low-order result key", func(t *testing.T) {
			ups := attack.Shares(t, m, day, [][]byte{attack.Key("x")}, 0)
			for _, u := range ups {
				u.ResultKey = [wire.KeySize]byte{}
			}
			attack.Refused(t, "zero result key", attack.Send(t, mallory, ups), wire.CodeBadKey)
		}},
		{"different public fields to different parties", func(t *testing.T) {
			ups := attack.Shares(t, m, day, [][]byte{attack.Key("y")}, 0)
			for i, u := range ups {
				u.Records[0].Day = record.Day(day) - record.Day(i)
			}
			attack.Accepted(t, "days per party", attack.Send(t, mallory, ups))
		}},
		{"inconsistent positive report", func(t *testing.T) {
			ups := attack.Shares(t, m, day, [][]byte{attack.Key("z"), attack.Key("z2")}, 1000)
			c := code()
			for _, u := range ups {
				u.Kind, u.Code = wire.KindPositive, c
			}
			var sf field.ScalarField
			ups[2].Records[0].Weight = sf.FromUint64(123456) // off the polynomial
			attack.Accepted(t, "inconsistent report", attack.Send(t, mallory, ups))
		}},
		{"weight by repetition", func(t *testing.T) {
			keys := make([][]byte, 500)
			for i := range keys {
				keys[i] = attack.Key("rep")
			}
			ups := attack.Shares(t, m, day, keys, uint64(m.Params.Risk.MaxWeight))
			c := code()
			for _, u := range ups {
				u.Kind, u.Code = wire.KindPositive, c
			}
			attack.Accepted(t, "repeated key", attack.Send(t, mallory, ups))
		}},
		{"reused code", func(t *testing.T) {
			c := code()
			for i, want := range []wire.Code{0, wire.CodeCodeUsed} {
				ups := attack.Shares(t, m, day, [][]byte{attack.Key("r")}, 1000)
				for _, u := range ups {
					u.Kind, u.Code = wire.KindPositive, c
				}
				errs := attack.Send(t, mallory, ups)
				if i == 0 {
					attack.Accepted(t, "first use", errs)
				} else {
					attack.Refused(t, "second use", errs, want)
				}
			}
		}},
		{"day outside the window", func(t *testing.T) {
			ups := attack.Shares(t, m, day-uint32(m.Params.RetentionDays), [][]byte{attack.Key("old")}, 0)
			attack.Refused(t, "old day", attack.Send(t, mallory, ups), wire.CodeBadDay)
		}},
		{"bad reply key", func(t *testing.T) {
			ups := attack.Shares(t, m, day, [][]byte{attack.Key("rk")}, 0)
			req, err := wire.Encode(ups[0]) // reply key left zero
			if err != nil {
				t.Fatal(err)
			}
			env, err := wire.SealEnvelope(m, 1, req)
			if err != nil {
				t.Fatal(err)
			}
			rk, _ := wire.NewReplyKey()
			_, err = attack.Raw(t, e, 1, env, rk)
			var we *wire.Error
			if !errors.As(err, &we) || we.Code != wire.CodeBadKey {
				t.Errorf("zero reply key: %v, want bad key", err)
			}
		}},
		{"envelope without its proof of work", func(t *testing.T) {
			ups := attack.Shares(t, m, day, [][]byte{attack.Key("pow")}, 0)
			rk, _ := wire.NewReplyKey()
			ups[0].ReplyKey = rk.Public()
			req, _ := wire.Encode(ups[0])
			env, _ := wire.SealEnvelope(m, 1, req)
			env[wire.EnvelopeHeaderSize-1] ^= 0xff // another nonce
			if _, err := attack.Raw(t, e, 1, env, rk); err == nil || !strings.Contains(err.Error(), "proof of work") {
				t.Errorf("no work: %v", err)
			}
		}},
		{"oversized envelope", func(t *testing.T) {
			rk, _ := wire.NewReplyKey()
			env := make([]byte, wire.MaxEnvelope+1)
			env[0] = wire.EnvelopeVersion
			if _, err := attack.Raw(t, e, 1, env, rk); err == nil {
				t.Error("an oversized envelope was answered")
			}
		}},
		{"garbage in a sealed envelope", func(t *testing.T) {
			rk, _ := wire.NewReplyKey()
			pub := rk.Public()
			junk := append([]byte{wire.Version, byte(wire.TypeUpload)}, pub[:]...)
			junk = append(junk, make([]byte, 300)...)
			rand.Read(junk[2+wire.KeySize:])
			env, _ := wire.SealEnvelope(m, 2, junk)
			_, err := attack.Raw(t, e, 2, env, rk)
			var we *wire.Error
			if !errors.As(err, &we) || we.Code != wire.CodeBadFrame {
				t.Errorf("garbage upload: %v, want bad frame", err)
			}
		}},
		{"run request signed by one party", func(t *testing.T) {
			var id [wire.IDSize]byte
			rand.Read(id[:])
			one := map[int]ed25519.PrivateKey{1: pd.d.Parties[0].Sign}
			for p := 1; p <= m.N; p++ {
				ctx, cancel := ctxTimeout(10 * time.Second)
				_, err := mallory.Request(ctx, p, attack.RunRequest(m, "exposure", id, one))
				cancel()
				if err == nil || !strings.Contains(err.Error(), "t+1") {
					t.Errorf("party %d: a run request of one signature: %v", p, err)
				}
			}
		}},
	}
	for _, a := range attacks {
		t.Run(a.name, a.run)
	}
	attack.RunEpoch(t, e, mallory)
	story.Check(t, e)
	t.Logf("%d attacks sent; the epoch completed; honest results equal the oracle's", len(attacks))
}

func ctxTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
