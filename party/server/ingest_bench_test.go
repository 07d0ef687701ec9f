package server_test

import (
	"context"
	"crypto/sha512"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

// BenchmarkIngest measures receipted records per second per party: the
// uploads go through the relay (WebSocket on loopback) to 3 parties, each
// storing them durably before it signs its receipt; an upload counts once
// every party's receipt came back and the sender opened it and verified its
// signature, upload id, content hash and count.
//
// It measures the servers, not the load generator: a deployment's clients
// are other machines, so everything a client device does before it sends
// (sharing the records, encoding, padding, HPKE sealing to each party, the
// proof of work) is done for every upload before the timer starts. The
// timed part is ingestClients connections to the relay, each sending its
// uploads one after another (an upload's 3 envelopes at once, as
// client.Send does), and opening and checking the replies.
//
// The upload shape: ingestRecords records per upload (a day of a few venue
// visits, the model of docs/scale.md), every upload from a user of its
// own; the manifest's default budget is on (its proof of work, 14 bits for
// an envelope just above 4 KiB; at most 576 records per user and day; the
// store budget), so the parties check all of it as they would in service.
// Everything (senders, relay, parties, PostgreSQL) shares this machine's
// cores.
func BenchmarkIngest(b *testing.B) {
	for _, pg := range []bool{false, true} {
		name := "bbolt"
		if pg {
			name = "postgres"
		}
		b.Run(name, func(b *testing.B) { benchIngest(b, pg) })
	}
}

const (
	ingestRecords = 30 // records per upload: a day of a few venue visits
	ingestClients = 24 // relay connections sending at once
)

// sealedUpload is one upload as a client device sends it: an envelope per
// party, sealed with the reply key, and what its receipts must say.
type sealedUpload struct {
	rk        *wire.ReplyKey
	envelopes [][]byte // envelopes[i] goes to party i+1
	id        [wire.IDSize]byte
	hash      [][wire.HashSize]byte // hash[i] is party i+1's content hash
}

// noDial is a relay dialer that never connects: the clients that prepare
// uploads need no connection.
type noDial struct{}

func (noDial) Dial(ctx context.Context, _ string) (relayclient.MsgConn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// prepareIngest prepares n uploads of ingestRecords records, each from a
// fresh user, sealed to every party with the manifest's proof of work.
func prepareIngest(b *testing.B, d *fabrictest.Deployment, n int) []*sealedUpload {
	m := d.Manifest()
	h := m.Hash()
	today := trace.DayOf(time.Now())
	ups := make([]*sealedUpload, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				u, err := prepareOne(d.ManifestBytes, m, h, today, i)
				if err != nil {
					errs <- err
					return
				}
				ups[i] = u
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return ups
}

func prepareOne(mb []byte, m *manifest.Manifest, h manifest.Hash, today trace.Day, i int) (*sealedUpload, error) {
	c, err := client.New(mb, h[:], nil, noDial{}, client.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	recs := make([]trace.Record, ingestRecords)
	for j := range recs {
		recs[j] = trace.Record{Key: sha512.Sum512(fmt.Appendf(nil, "ingest bench %d/%d", i, j)), Minutes: 10, Day: today}
	}
	p, err := c.Prepare(wire.KindOrdinary, "", recs)
	if err != nil {
		return nil, err
	}
	rk, err := wire.NewReplyKey()
	if err != nil {
		return nil, err
	}
	s := &sealedUpload{rk: rk}
	copy(s.id[:], p.ID)
	for party := 1; party <= len(p.Requests); party++ {
		u, hash, err := wire.DecodeUploadHash(p.Requests[party-1])
		if err != nil {
			return nil, err
		}
		u.ReplyKey = rk.Public()
		req, err := u.AppendBinary(nil)
		if err != nil {
			return nil, err
		}
		env, err := wire.SealEnvelope(m, party, req)
		if err != nil {
			return nil, err
		}
		s.envelopes = append(s.envelopes, env)
		s.hash = append(s.hash, hash)
	}
	return s, nil
}

// sendSealed sends u's envelope to party through rc until the party's
// receipt comes back and verifies, retrying (the same envelope) what the
// relay or the party says is worth retrying.
func sendSealed(ctx context.Context, rc *relayclient.Client, m *manifest.Manifest, mh manifest.Hash, u *sealedUpload, party int, retries *atomic.Int64) error {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			retries.Add(1)
		}
		reply, err := rc.Do(ctx, party, u.envelopes[party-1])
		if err == nil {
			var msg wire.Message
			if msg, err = u.rk.OpenReply(mh, party, reply); err == nil {
				switch rc := msg.(type) {
				case *wire.Receipt:
					if !rc.Verify(m.Parties[party-1].SignKey, mh) || int(rc.Party) != party {
						return fmt.Errorf("party %d: receipt signature does not verify", party)
					}
					if rc.UploadID != u.id || rc.ContentHash != u.hash[party-1] || rc.Records != ingestRecords {
						return fmt.Errorf("party %d: receipt does not match the upload", party)
					}
					return nil
				case *wire.Error:
					err = rc
				default:
					return fmt.Errorf("party %d answered with a %v", party, msg.Type())
				}
			}
		}
		var we *wire.Error
		if errors.As(err, &we) && !we.Code.Retryable() || !errors.As(err, &we) && !relayclient.Retryable(err) {
			return fmt.Errorf("party %d: %w", party, err)
		}
		if !relayclient.Sleep(ctx, relayclient.Backoff(attempt, 20*time.Millisecond, 200*time.Millisecond)) {
			return fmt.Errorf("party %d: %w (last error: %v)", party, ctx.Err(), err)
		}
	}
}

func benchIngest(b *testing.B, pg bool) {
	d := fabrictest.StartWith(b, 3, 1, fabrictest.Options{Postgres: pg})
	m := d.Manifest()
	mh := m.Hash()
	ups := prepareIngest(b, d, b.N)
	conns := make([]*relayclient.Client, ingestClients)
	for i := range conns {
		rc, err := relayclient.NewClient(relayclient.ClientConfig{Relays: []string{d.RelayURL}, Logger: slog.New(slog.DiscardHandler),
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		defer rc.Close()
		conns[i] = rc
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var retries atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for w := range ingestClients {
		// Connection w sends its uploads, one at a time.
		wg.Go(func() {
			for i := w; i < b.N; i += ingestClients {
				var pw sync.WaitGroup
				errs := make([]error, len(m.Parties))
				for p := range errs {
					pw.Go(func() { errs[p] = sendSealed(ctx, conns[w], m, mh, ups[i], p+1, &retries) })
				}
				pw.Wait()
				if err := errors.Join(errs...); err != nil {
					b.Errorf("upload %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(float64(b.N*ingestRecords)/secs, "records/s/party")
	b.ReportMetric(float64(retries.Load()), "retries")
	b.ReportMetric(0, "ns/op")
	for i, st := range d.Backends {
		s, err := st.Stats()
		if err != nil || s.Records != int64(b.N*ingestRecords) {
			b.Fatalf("party %d stores %d records (%v), want %d", i+1, s.Records, err, b.N*ingestRecords)
		}
	}
}
