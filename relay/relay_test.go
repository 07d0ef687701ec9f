package relay_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/safetrace/safetrace/relay"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/wire/relaywire"
)

func TestRouting(t *testing.T) {
	k := newKeys(3)
	r := startRelay(t, k, relay.Config{})
	startParty(t, k, 1, nil, r.URL)
	startParty(t, k, 2, nil, r.URL)
	c := newClient(t, r.URL)
	ctx := context.Background()
	for _, party := range []int{1, 2, 1} {
		got, err := c.Do(ctx, party, []byte(marker))
		if err != nil {
			t.Fatalf("Do(%d): %v", party, err)
		}
		if want := "p" + string(rune('0'+party)) + ":" + marker; string(got) != want {
			t.Fatalf("Do(%d) = %q, want %q", party, got, want)
		}
	}
	// Concurrent calls are multiplexed over one connection.
	errc := make(chan error, 50)
	for i := range 50 {
		go func() {
			p := i%2 + 1
			got, err := c.Do(ctx, p, []byte{byte(i)})
			if err == nil && (len(got) != 4 || got[3] != byte(i) || got[1] != byte('0'+p)) {
				err = errors.New("wrong reply " + string(got))
			}
			errc <- err
		}()
	}
	for range 50 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	m := get(t, r.Metrics+"/metrics")
	for _, want := range []string{
		`safetrace_relay_frames_forwarded_total{to="party"} 53`,
		`safetrace_relay_frames_forwarded_total{to="client"} 53`,
		`safetrace_relay_connections{role="party"} 2`,
		`# TYPE safetrace_relay_rejected_total counter`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
	if h := get(t, r.HTTP+"/healthz"); h != "ok\n" {
		t.Errorf("healthz = %q", h)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestReplyOnlyToAsker checks that a party, even a malicious one, can only
// answer the connection that asked, and only once.
func TestReplyOnlyToAsker(t *testing.T) {
	k := newKeys(2)
	r := startRelay(t, k, relay.Config{})
	party := registerRaw(t, r, k, 1)
	a := dialRaw(t, r.URL+"/client", nil)
	b := dialRaw(t, r.URL+"/client", nil)

	// b asks party 2, which is not connected, so it has nothing in flight.
	writeFrame(t, b, &relaywire.Request{Dest: 2, RequestID: 1, Payload: []byte(marker)})
	wantError(t, readFrame(t, b), relaywire.CodePartyNotConnected)

	writeFrame(t, a, &relaywire.Request{Dest: 1, RequestID: 1, Payload: []byte(marker + "a")})
	fwd := readFrame(t, party).(*relaywire.Forward)
	if string(fwd.Payload) != marker+"a" {
		t.Fatalf("forward %+v", fwd)
	}
	// Forged replies to guessed handles and to the real one with a bit
	// flipped, then the real one twice.
	for i := range 20 {
		forged := relaywire.Handle{0: byte(i)}
		if i > 0 {
			forged = fwd.Handle
			forged[(i-1)%relaywire.HandleSize] ^= 1 << (i % 8)
		}
		writeFrame(t, party, &relaywire.Reply{Handle: forged, Payload: []byte("forged")})
	}
	writeFrame(t, party, &relaywire.Reply{Handle: fwd.Handle, Payload: []byte("answer")})
	writeFrame(t, party, &relaywire.Reply{Handle: fwd.Handle, Payload: []byte("again")})

	resp := readFrame(t, a).(*relaywire.Response)
	if resp.From != 1 || resp.RequestID != 1 || string(resp.Payload) != "answer" {
		t.Fatalf("a got %+v", resp)
	}
	if f, err := tryReadFrame(a, 200*time.Millisecond); err == nil {
		t.Fatalf("a got a second frame %#v", f)
	}
	if f, err := tryReadFrame(b, 200*time.Millisecond); err == nil {
		t.Fatalf("b got another connection's frame %#v", f)
	}
}

func TestPartyNotConnected(t *testing.T) {
	k := newKeys(2)
	r := startRelay(t, k, relay.Config{})
	startParty(t, k, 1, nil, r.URL)
	c := newClient(t, r.URL)
	start := time.Now()
	_, err := c.Do(context.Background(), 2, []byte(marker))
	var e *relayclient.Error
	if !errors.As(err, &e) || e.Code != relaywire.CodePartyNotConnected {
		t.Fatalf("got %v, want party not connected", err)
	}
	if !strings.Contains(err.Error(), "party 2 not connected") || !relayclient.Retryable(err) {
		t.Errorf("error %q: unclear or not retryable", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
}

func TestImpostorParty(t *testing.T) {
	k := newKeys(2)
	r := startRelay(t, k, relay.Config{})
	_, otherKey, _ := ed25519.GenerateKey(nil)

	// A valid Hello captured from one connection, to replay on another.
	first := dialRaw(t, r.URL+"/party", nil)
	firstCh := readFrame(t, first).(*relaywire.Challenge)
	captured := relaywire.SignHello(k.priv[1], 1, firstCh, manifestHash)
	first.Close()

	sign := func(key ed25519.PrivateKey, id uint8, name string, hash []byte) func(*relaywire.Challenge) relaywire.Frame {
		return func(ch *relaywire.Challenge) relaywire.Frame {
			c := *ch
			if name != "" {
				c.Name = name
			}
			return relaywire.SignHello(key, id, &c, hash)
		}
	}
	tests := []struct {
		name  string
		hello func(*relaywire.Challenge) relaywire.Frame
	}{
		{"wrong key", sign(otherKey, 1, "", manifestHash)},
		{"other party's key", sign(k.priv[2], 1, "", manifestHash)},
		{"party not in manifest", sign(k.priv[1], 9, "", manifestHash)},
		{"other relay's name", sign(k.priv[1], 1, "ws://evil.example", manifestHash)},
		{"other manifest", sign(k.priv[1], 1, "", []byte("other"))},
		{"replayed hello", func(*relaywire.Challenge) relaywire.Frame { return captured }},
		{"bad signature", func(ch *relaywire.Challenge) relaywire.Frame {
			h := relaywire.SignHello(k.priv[1], 1, ch, manifestHash)
			h.Signature[0] ^= 1
			return h
		}},
		{"not a hello", func(*relaywire.Challenge) relaywire.Frame {
			return &relaywire.Reply{Handle: relaywire.Handle{1}, Payload: []byte(marker)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := dialRaw(t, r.URL+"/party", nil)
			ch := readFrame(t, ws).(*relaywire.Challenge)
			if ch.Name != r.URL {
				t.Fatalf("challenge names %q", ch.Name)
			}
			writeFrame(t, ws, tt.hello(ch))
			wantError(t, readFrame(t, ws), relaywire.CodeUnauthorized)
			_, err := tryReadFrame(ws, 5*time.Second)
			if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Fatalf("connection not closed: %v", err)
			}
		})
	}
	// Nothing was registered: requests for party 1 still fail.
	c := newClient(t, r.URL)
	if _, err := c.Do(context.Background(), 1, nil); err == nil {
		t.Fatal("impostor registered")
	}
}

func TestPartyRestartReplaces(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{})
	old := registerRaw(t, r, k, 1)
	startParty(t, k, 1, func(_ context.Context, p []byte) []byte { return []byte("new") }, r.URL)
	wantError(t, readFrame(t, old), relaywire.CodeReplaced)
	if _, err := tryReadFrame(old, 5*time.Second); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("old connection not closed: %v", err)
	}
	c := newClient(t, r.URL)
	got, err := c.Do(context.Background(), 1, []byte(marker))
	if err != nil || string(got) != "new" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestOversizedMessage(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{MaxMessageSize: 1024})
	var calls atomic.Int32
	startParty(t, k, 1, func(_ context.Context, p []byte) []byte { calls.Add(1); return p }, r.URL)
	ws := dialRaw(t, r.URL+"/client", nil)
	writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: 1, Payload: []byte(strings.Repeat(marker, 100))})
	e := wantError(t, readFrame(t, ws), relaywire.CodeTooLarge)
	if !strings.Contains(e.Message, "larger than 1024 bytes") {
		t.Errorf("unclear message %q", e.Message)
	}
	_, err := tryReadFrame(ws, 5*time.Second)
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("got %v, want close 1009", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Fatalf("oversized request reached the party %d times", n)
	}
	if m := get(t, r.Metrics+"/metrics"); !strings.Contains(m, `safetrace_relay_rejected_total{reason="too_large"} 1`) {
		t.Errorf("too_large not counted:\n%s", m)
	}
}

func TestOrigin(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{AllowedOrigins: []string{"https://app.example"}})
	_, resp, err := websocket.DefaultDialer.Dial(r.URL+"/client", http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bad origin: err %v, resp %v", err, resp)
	}
	dialRaw(t, r.URL+"/client", http.Header{"Origin": {"https://app.example"}})
	dialRaw(t, r.URL+"/client", nil) // native clients send no Origin
}

func TestConnLimitPerAddress(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{MaxConnsPerAddr: 2})
	a := dialRaw(t, r.URL+"/client", nil)
	dialRaw(t, r.URL+"/client", nil)
	_, resp, err := websocket.DefaultDialer.Dial(r.URL+"/client", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection: err %v, resp %v", err, resp)
	}
	// X-Forwarded-For is ignored unless configured.
	_, resp, err = websocket.DefaultDialer.Dial(r.URL+"/client", http.Header{"X-Forwarded-For": {"192.0.2.1"}})
	if err == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("forged X-Forwarded-For honoured: %v", err)
	}
	a.Close()
	waitFor(t, "a free slot", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial(r.URL+"/client", nil)
		if err == nil {
			ws.Close()
		}
		return err == nil
	})

	r2 := startRelay(t, k, relay.Config{MaxConnsPerAddr: 1, TrustForwardedFor: true})
	dialRaw(t, r2.URL+"/client", http.Header{"X-Forwarded-For": {"192.0.2.1"}})
	dialRaw(t, r2.URL+"/client", http.Header{"X-Forwarded-For": {"198.51.100.7, 192.0.2.2"}})
	_, resp, err = websocket.DefaultDialer.Dial(r2.URL+"/client", http.Header{"X-Forwarded-For": {"192.0.2.1"}})
	if err == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second connection from 192.0.2.1: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{Rate: 1, Burst: 3})
	startParty(t, k, 1, nil, r.URL)
	ws := dialRaw(t, r.URL+"/client", nil)
	for i := range 10 {
		writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: uint64(i + 1), Payload: []byte(marker)})
	}
	var ok, limited int
	for range 10 {
		switch f := readFrame(t, ws).(type) {
		case *relaywire.Response:
			ok++
		case *relaywire.Error:
			wantError(t, f, relaywire.CodeRateLimited)
			limited++
		}
	}
	if ok < 3 || ok > 4 || limited != 10-ok {
		t.Fatalf("%d answered, %d rate limited", ok, limited)
	}
}

func TestInFlightCap(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{MaxInFlight: 2})
	release := make(chan struct{})
	startParty(t, k, 1, func(_ context.Context, p []byte) []byte { <-release; return p }, r.URL)
	ws := dialRaw(t, r.URL+"/client", nil)
	writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: 1, Payload: []byte(marker)})
	writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: 1, Payload: []byte(marker)})
	wantError(t, readFrame(t, ws), relaywire.CodeDuplicateRequest)
	writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: 2, Payload: []byte(marker)})
	writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: 3, Payload: []byte(marker)})
	if e := wantError(t, readFrame(t, ws), relaywire.CodeTooManyInFlight); e.RequestID != 3 {
		t.Fatalf("error for request %d", e.RequestID)
	}
	close(release)
	for range 2 {
		if f := readFrame(t, ws); f.Type() != relaywire.TypeResponse {
			t.Fatalf("got %#v", f)
		}
	}
	// Answered requests free their slots.
	writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: 4, Payload: []byte(marker)})
	if f := readFrame(t, ws); f.Type() != relaywire.TypeResponse {
		t.Fatalf("got %#v", f)
	}
}

func TestBadFrames(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{})
	ws := dialRaw(t, r.URL+"/client", nil)
	b := relaywire.Encode(&relaywire.Request{Dest: 1, RequestID: 1, Payload: []byte(marker)})
	b[0] = 2
	ws.WriteMessage(websocket.BinaryMessage, b)
	e := wantError(t, readFrame(t, ws), relaywire.CodeVersion)
	if !strings.Contains(e.Message, "unsupported frame version 2") {
		t.Errorf("unclear message %q", e.Message)
	}
	b[0] = 1
	ws.WriteMessage(websocket.BinaryMessage, b[:len(b)-1])
	wantError(t, readFrame(t, ws), relaywire.CodeBadFrame)
	// Clients may not send party frames.
	writeFrame(t, ws, &relaywire.Reply{Handle: relaywire.Handle{1}, Payload: []byte(marker)})
	wantError(t, readFrame(t, ws), relaywire.CodeBadFrame)
	// The connection survives bad frames.
	writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: 1, Payload: []byte(marker)})
	wantError(t, readFrame(t, ws), relaywire.CodePartyNotConnected)
}

// serveAt runs a relay with Serve on addr and returns a function that stops
// it and waits.
func serveAt(t *testing.T, k keys, addr string) func() {
	t.Helper()
	logs := &syncBuffer{}
	cfg := relay.Config{}
	fill(&cfg, k, "ws://"+addr, logs)
	s, err := relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	waitFor(t, "listen on "+addr, func() bool {
		ln, err = net.Listen("tcp", addr)
		return err == nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		checkLogs(t, logs)
	}
	t.Cleanup(stop)
	return stop
}

func TestRelayRestart(t *testing.T) {
	k := newKeys(1)
	addr := freeAddr(t)
	url := "ws://" + addr
	stop := serveAt(t, k, addr)
	block := make(chan struct{})
	var blocking atomic.Bool
	p := startParty(t, k, 1, func(_ context.Context, b []byte) []byte {
		if blocking.Load() {
			<-block
		}
		return b
	}, url)
	c := newClient(t, url)
	ctx := context.Background()
	if _, err := c.Do(ctx, 1, []byte(marker)); err != nil {
		t.Fatal(err)
	}

	// A call in flight when the relay goes away fails, retryably.
	blocking.Store(true)
	errc := make(chan error, 1)
	go func() { _, err := c.Do(ctx, 1, []byte(marker)); errc <- err }()
	time.Sleep(50 * time.Millisecond)
	stop()
	close(block)
	if err := <-errc; !relayclient.Retryable(err) {
		t.Fatalf("in-flight call: %v, want a retryable error", err)
	}
	blocking.Store(false)

	serveAt(t, k, addr)
	waitFor(t, "party re-registration", func() bool { return p.Registered() == 1 })
	var err error
	for range 50 {
		var got []byte
		got, err = c.Do(ctx, 1, []byte(marker))
		if err == nil {
			if string(got) != marker {
				t.Fatalf("got %q", got)
			}
			return
		}
		if !relayclient.Retryable(err) {
			t.Fatalf("not retryable: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("retried call never succeeded: %v", err)
}

func TestClientFailover(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{})
	startParty(t, k, 1, nil, r.URL)
	dead := "ws://" + freeAddr(t)
	c := newClient(t, dead, r.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Do(ctx, 1, []byte(marker)); err != nil {
		t.Fatal(err)
	}
}

func TestClientNoRelay(t *testing.T) {
	c := newClient(t, "ws://"+freeAddr(t))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, 1, nil)
	if !errors.Is(err, relayclient.ErrDisconnected) {
		t.Fatalf("got %v, want ErrDisconnected", err)
	}
}

func TestShutdownSendsCloseFrame(t *testing.T) {
	k := newKeys(1)
	addr := freeAddr(t)
	stop := serveAt(t, k, addr)
	ws := dialRaw(t, "ws://"+addr+"/client", nil)
	time.Sleep(20 * time.Millisecond)
	stop()
	if _, err := tryReadFrame(ws, 5*time.Second); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("got %v, want close 1001", err)
	}
}

// TestNoPlaintextInLogs runs requests, errors and rejections with the marker
// in every payload at debug level, and checks the logs. (Every test's relay
// logs are also checked at cleanup.)
func TestNoPlaintextInLogs(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{MaxMessageSize: 4096})
	startParty(t, k, 1, nil, r.URL)
	c := newClient(t, r.URL)
	for range 3 {
		if _, err := c.Do(context.Background(), 1, []byte(marker)); err != nil {
			t.Fatal(err)
		}
	}
	c.Do(context.Background(), 2, []byte(marker))
	ws := dialRaw(t, r.URL+"/client", nil)
	b := relaywire.Encode(&relaywire.Request{Dest: 1, RequestID: 1, Payload: []byte(marker)})
	ws.WriteMessage(websocket.BinaryMessage, b[:len(b)-2])
	ws.WriteMessage(websocket.TextMessage, []byte(marker))
	ws.WriteMessage(websocket.BinaryMessage, []byte(strings.Repeat(marker, 1000)))
	tryReadFrame(ws, time.Second)
	bad := dialRaw(t, r.URL+"/party", nil)
	readFrame(t, bad)
	bad.WriteMessage(websocket.BinaryMessage, []byte(marker))
	tryReadFrame(bad, time.Second)

	logs := r.logs.String()
	if !strings.Contains(logs, "level=DEBUG msg=request") || !strings.Contains(logs, "party rejected") {
		t.Fatalf("expected request and rejection logs, got:\n%s", logs)
	}
	checkLogs(t, r.logs)
}

// TestRequestTimeout checks that a request the party never answers fails
// with a retryable "timeout" after RequestTimeout, that its in-flight slot
// and handle are freed, and that the late reply is dropped.
func TestRequestTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{RequestTimeout: timeout, MaxInFlight: 1})
	party := registerRaw(t, r, k, 1)
	ws := dialRaw(t, r.URL+"/client", nil)
	start := time.Now()
	writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: 1, Payload: []byte(marker)})
	silent := readFrame(t, party).(*relaywire.Forward)
	e := wantError(t, readFrame(t, ws), relaywire.CodeTimeout)
	if d := time.Since(start); e.RequestID != 1 || d < timeout || !e.Code.Retryable() {
		t.Fatalf("error %+v after %v", e, d)
	}
	// The slot is free: the next request is forwarded and answered.
	writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: 2, Payload: []byte(marker)})
	fwd := readFrame(t, party).(*relaywire.Forward)
	writeFrame(t, party, &relaywire.Reply{Handle: silent.Handle, Payload: []byte("late")})
	writeFrame(t, party, &relaywire.Reply{Handle: fwd.Handle, Payload: []byte("answer")})
	resp := readFrame(t, ws).(*relaywire.Response)
	if resp.RequestID != 2 || string(resp.Payload) != "answer" {
		t.Fatalf("got %+v", resp)
	}
	if f, err := tryReadFrame(ws, 200*time.Millisecond); err == nil {
		t.Fatalf("late reply delivered: %#v", f)
	}
}
