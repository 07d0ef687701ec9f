package relay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/safetrace/safetrace/relay"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/wire/relaywire"
)

// doRetry calls c.Do until it succeeds or fails for good, for at most 20 s.
func doRetry(t *testing.T, c *relayclient.Client, party int, payload []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		got, err := c.Do(ctx, party, payload)
		if err == nil {
			return got
		}
		if !relayclient.Retryable(err) || ctx.Err() != nil {
			t.Fatalf("Do(%d): %v", party, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// slowParty registers party id over a bare WebSocket and answers every
// Forward with its payload's first 16 bytes, reading one frame per delay,
// until the test ends.
func slowParty(t *testing.T, r *testRelay, k keys, id int, delay time.Duration) {
	t.Helper()
	ws := registerRaw(t, r, k, id)
	ws.SetReadDeadline(time.Time{}) // registerRaw's lasts 5 s
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(delay):
			}
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			f, err := relaywire.Decode(b)
			if err != nil {
				continue
			}
			if fwd, ok := f.(*relaywire.Forward); ok {
				ws.WriteMessage(websocket.BinaryMessage, relaywire.Encode(&relaywire.Reply{Handle: fwd.Handle, Payload: fwd.Payload[:min(len(fwd.Payload), 16)]}))
			}
		}
	}()
	t.Cleanup(func() { close(stop); ws.Close(); <-done })
}

// drain reads and counts the frames arriving on ws until it fails.
func drain(ws *websocket.Conn, busy *atomic.Int64) {
	for {
		ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if f, err := relaywire.Decode(b); err == nil {
			if e, ok := f.(*relaywire.Error); ok && e.Code == relaywire.CodePartyBusy {
				busy.Add(1)
			}
		}
	}
}

// TestAttackRelayQueueBytes floods a slowly reading party with the largest
// frames from raw client connections. The relay must keep the bytes queued
// for the party under PartyQueueBytes and refuse the excess as "party busy";
// another party is served during the flood, and an honest client's request
// to the flooded party gets through.
func TestAttackRelayQueueBytes(t *testing.T) {
	const (
		partyBudget = 4 << 20
		attackers   = 2
		frames      = 12 // per attacker: 24 MiB in all, 6 times the budget
	)
	k := newKeys(2)
	r := startRelay(t, k, relay.Config{PartyQueueBytes: partyBudget})
	slowParty(t, r, k, 1, 50*time.Millisecond)
	startParty(t, k, 2, nil, r.URL)
	honest := newClient(t, r.URL)

	var busy atomic.Int64
	var wg sync.WaitGroup
	big := bytes.Repeat([]byte(marker), relaywire.MaxPayload/len(marker))
	for range attackers {
		ws := dialRaw(t, r.URL+"/client", nil)
		wg.Go(func() { drain(ws, &busy) })
		for i := range frames {
			writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: uint64(i + 1), Payload: big})
		}
	}
	// The other party is not affected.
	if got := doRetry(t, honest, 2, []byte("during")); string(got) != "p2:during" {
		t.Fatalf("party 2 answered %q", got)
	}
	waitFor(t, "party busy errors", func() bool { return busy.Load() > 0 })
	if got := doRetry(t, honest, 1, []byte("honest")); string(got) != "honest" {
		t.Fatalf("party 1 answered %q", got)
	}
	peak := r.PeakQueuedBytes("party")
	t.Logf("peak bytes queued for the flooded party: %d (budget %d); %d requests refused as party busy", peak, partyBudget, busy.Load())
	if peak > partyBudget {
		t.Fatalf("relay queued %d bytes for one party, budget %d", peak, partyBudget)
	}
	if m := get(t, r.Metrics+"/metrics"); !strings.Contains(m, `safetrace_relay_rejected_total{reason="party_busy"}`) {
		t.Errorf("party_busy not counted:\n%s", m)
	}
}

// TestAttackRelayClientQueueBytes is the same attack on the way back: a
// client asks for large answers and never reads them. The relay drops that
// client once its queue would pass ClientQueueBytes, and serves others.
func TestAttackRelayClientQueueBytes(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{})
	startParty(t, k, 1, func(_ context.Context, p []byte) []byte { return p }, r.URL)
	big := bytes.Repeat([]byte(marker), relaywire.MaxPayload/len(marker))
	ws := dialRaw(t, r.URL+"/client", nil)
	for i := range 40 {
		if err := ws.WriteMessage(websocket.BinaryMessage, relaywire.Encode(&relaywire.Request{Dest: 1, RequestID: uint64(i + 1), Payload: big})); err != nil {
			break // dropped already
		}
	}
	waitFor(t, "the slow client dropped", func() bool {
		return strings.Contains(get(t, r.Metrics+"/metrics"), `safetrace_relay_rejected_total{reason="slow_consumer"} 1`)
	})
	peak := r.PeakQueuedBytes("client")
	t.Logf("peak bytes queued for the slow client: %d (budget %d)", peak, relay.DefaultClientQueueBytes)
	if peak > relay.DefaultClientQueueBytes {
		t.Fatalf("relay queued %d bytes for one client, budget %d", peak, relay.DefaultClientQueueBytes)
	}
	if got := doRetry(t, newClient(t, r.URL), 1, []byte("honest")); string(got) != "honest" {
		t.Fatalf("answer %q", got)
	}
}

// TestAttackRelayConnectionFlood opens more client connections than the
// relay admits, from many (forwarded) addresses so that the per-address cap
// does not stop them. The excess is refused with 503 before the upgrade, the
// registered party stays connected and a party can still register during
// the flood, and an honest client works once the flood ends.
func TestAttackRelayConnectionFlood(t *testing.T) {
	const (
		limit = 40
		flood = 100
	)
	k := newKeys(2)
	r := startRelay(t, k, relay.Config{MaxConns: limit, TrustForwardedFor: true})
	p := startParty(t, k, 1, nil, r.URL)

	var open []*websocket.Conn
	refused := 0
	for i := range flood {
		hdr := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i%25)}}
		ws, resp, err := websocket.DefaultDialer.Dial(r.URL+"/client", hdr)
		if err == nil {
			open = append(open, ws)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("connection %d: %v %v", i, err, resp)
		}
		refused++
	}
	if len(open) != limit || refused != flood-limit {
		t.Fatalf("%d connections accepted, %d refused; want %d and %d", len(open), refused, limit, flood-limit)
	}
	if p.Registered() != 1 {
		t.Fatal("party lost its registration in the flood")
	}
	// Parties have slots of their own.
	registerRaw(t, r, k, 2).Close()
	for _, ws := range open {
		ws.Close()
	}
	if got := doRetry(t, newClient(t, r.URL), 1, []byte("after")); string(got) != "p1:after" {
		t.Fatalf("answer %q", got)
	}
}

// TestAttackRelayIdleConnections holds connections open without sending a
// frame, only pongs: the relay closes them after FirstFrameWait, so that
// they free their slots; a connection that has sent a frame stays.
func TestAttackRelayIdleConnections(t *testing.T) {
	const wait = 300 * time.Millisecond
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{MaxConns: 5, FirstFrameWait: wait})
	startParty(t, k, 1, nil, r.URL)
	busy := dialRaw(t, r.URL+"/client", nil)
	writeFrame(t, busy, &relaywire.Request{Dest: 1, RequestID: 1, Payload: []byte(marker)})
	readFrame(t, busy)
	idle := make([]*websocket.Conn, 4)
	for i := range idle {
		idle[i] = dialRaw(t, r.URL+"/client", nil)
	}
	// Pongs extend an active connection's read deadline, not this one.
	stop := make(chan struct{})
	var pongs sync.WaitGroup
	for _, ws := range idle {
		pongs.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if ws.WriteMessage(websocket.PongMessage, nil) != nil {
					return
				}
			}
		})
	}
	defer func() { close(stop); pongs.Wait() }()
	start := time.Now()
	for _, ws := range idle {
		_, err := tryReadFrame(ws, 5*time.Second)
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure || !strings.Contains(ce.Text, "no frame within") {
			t.Fatalf("idle connection: got %v, want a close frame saying why", err)
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("idle connections closed after %v, want about %v", d, wait)
	}
	// The slots are free again (each as soon as its connection's pumps
	// have ended, a moment after the close frame); the connection in use
	// was kept (its pongs keep it alive once it has sent a frame).
	for i := range 4 {
		deadline := time.Now().Add(3 * time.Second)
		for {
			ws, _, err := websocket.DefaultDialer.Dial(r.URL+"/client", nil)
			if err == nil {
				t.Cleanup(func() { ws.Close() })
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("slot %d not free again: %v", i, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	writeFrame(t, busy, &relaywire.Request{Dest: 1, RequestID: 2, Payload: []byte(marker)})
	if f := readFrame(t, busy); f.Type() != relaywire.TypeResponse {
		t.Fatalf("busy connection got %#v", f)
	}
}
