package relay_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/safetrace/safetrace/relay"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/wire/relaywire"
)

// marker is put in every test payload: it must never reach the relay's logs.
const marker = "PLAINTEXT-MARKER-7f3a"

var manifestHash = bytes.Repeat([]byte{0xab}, 32)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type keys struct {
	pub  map[int]ed25519.PublicKey
	priv map[int]ed25519.PrivateKey
}

func newKeys(n int) keys {
	k := keys{make(map[int]ed25519.PublicKey), make(map[int]ed25519.PrivateKey)}
	for i := 1; i <= n; i++ {
		k.pub[i], k.priv[i], _ = ed25519.GenerateKey(nil)
	}
	return k
}

type testRelay struct {
	*relay.Server
	URL     string // ws://127.0.0.1:port
	HTTP    string // http://127.0.0.1:port
	Metrics string // http://127.0.0.1:port of the operator listener
	logs    *syncBuffer
}

// startRelay runs a relay on a fresh loopback port under httptest. cfg's
// Name, Parties and ManifestHash are filled in when empty; logs are captured
// and checked for the marker at cleanup.
func startRelay(t testing.TB, k keys, cfg relay.Config) *testRelay {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	r := &testRelay{URL: "ws://" + ts.Listener.Addr().String(), HTTP: "http://" + ts.Listener.Addr().String(), logs: &syncBuffer{}}
	fill(&cfg, k, r.URL, r.logs)
	if cfg.MetricsListen == "" {
		cfg.MetricsListen = "127.0.0.1:0"
	}
	s, err := relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Server = s
	r.Metrics = "http://" + s.MetricsAddr().String()
	ts.Config.Handler = s
	ts.Start()
	t.Cleanup(func() {
		s.Close()
		ts.Close()
		checkLogs(t, r.logs)
	})
	return r
}

func fill(cfg *relay.Config, k keys, url string, logs *syncBuffer) {
	if cfg.Name == "" {
		cfg.Name = url
	}
	if cfg.Parties == nil {
		cfg.Parties = k.pub
	}
	if cfg.ManifestHash == nil {
		cfg.ManifestHash = manifestHash
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func checkLogs(t testing.TB, logs *syncBuffer) {
	t.Helper()
	s := logs.String()
	if strings.Contains(s, marker) {
		t.Errorf("relay logs contain payload plaintext:\n%s", s)
	}
}

// startParty runs a relayclient.Party that answers "p<id>:" + payload, and
// waits until it is registered at every relay.
func startParty(t testing.TB, k keys, id int, h relayclient.Handler, relays ...string) *relayclient.Party {
	t.Helper()
	if h == nil {
		prefix := []byte{'p', byte('0' + id), ':'}
		h = func(_ context.Context, p []byte) []byte { return append(prefix[:3:3], p...) }
	}
	p, err := relayclient.NewParty(relayclient.PartyConfig{
		ID: id, Key: k.priv[id], ManifestHash: manifestHash, Relays: relays, Handler: h,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "party registration", func() bool { return p.Registered() == len(relays) })
	return p
}

func newClient(t testing.TB, relays ...string) *relayclient.Client {
	t.Helper()
	c, err := relayclient.NewClient(relayclient.ClientConfig{
		Relays: relays, MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelError}))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dialRaw(t testing.TB, url string, hdr http.Header) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, hdr)
	if err != nil {
		status := ""
		if resp != nil {
			status = resp.Status
		}
		t.Fatalf("dial %s: %v %s", url, err, status)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

func writeFrame(t testing.TB, ws *websocket.Conn, f relaywire.Frame) {
	t.Helper()
	if err := ws.WriteMessage(websocket.BinaryMessage, relaywire.Encode(f)); err != nil {
		t.Fatal(err)
	}
}

// readFrame reads one frame, failing the test after 5 seconds.
func readFrame(t testing.TB, ws *websocket.Conn) relaywire.Frame {
	t.Helper()
	f, err := tryReadFrame(ws, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func tryReadFrame(ws *websocket.Conn, d time.Duration) (relaywire.Frame, error) {
	ws.SetReadDeadline(time.Now().Add(d))
	_, b, err := ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	return relaywire.Decode(b)
}

func wantError(t testing.TB, f relaywire.Frame, code relaywire.Code) *relaywire.Error {
	t.Helper()
	e, ok := f.(*relaywire.Error)
	if !ok {
		t.Fatalf("got %v frame, want error %v", f.Type(), code)
	}
	if e.Code != code {
		t.Fatalf("got error %v %q, want %v", e.Code, e.Message, code)
	}
	return e
}

// registerRaw registers party id over a bare WebSocket and returns it.
func registerRaw(t testing.TB, r *testRelay, k keys, id int) *websocket.Conn {
	t.Helper()
	ws := dialRaw(t, r.URL+"/party", nil)
	ch := readFrame(t, ws).(*relaywire.Challenge)
	writeFrame(t, ws, relaywire.SignHello(k.priv[id], uint8(id), ch, manifestHash))
	if f := readFrame(t, ws); f.Type() != relaywire.TypeWelcome {
		t.Fatalf("registration: got %#v", f)
	}
	return ws
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
