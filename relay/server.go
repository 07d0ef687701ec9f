package relay

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/safetrace/safetrace/wire/relaywire"
)

// Server is a relay. Create it with New; it is an http.Handler serving
// /client, /party and /healthz. Metrics are served apart, on the operator
// listener (Config.MetricsListen) or by MetricsHandler. Its methods are
// safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	hub      *hub
	metrics  *metrics
	mux      *http.ServeMux
	upgrader websocket.Upgrader
	nextID   atomic.Uint64
	// peakQueued is the most bytes ever queued for one connection of each
	// role; written by the hub only.
	peakQueued [numRoles]atomic.Int64

	metricsLn  net.Listener // nil without Config.MetricsListen
	metricsSrv *http.Server

	mu      sync.Mutex
	closing bool
	perAddr map[string]int
	open    [numRoles]int  // connections accepted and not finished
	conns   sync.WaitGroup // one per connection; Add only while !closing
}

// New returns a relay configured by cfg and starts its hub, and its
// operator listener if cfg.MetricsListen is set. Stop it with Shutdown or
// Close.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, metrics: newMetrics(), perAddr: make(map[string]int)}
	if cfg.MetricsListen != "" {
		s.metricsLn, err = net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return nil, fmt.Errorf("relay: metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.MetricsHandler())
		s.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
		go s.metricsSrv.Serve(s.metricsLn)
	}
	s.hub = newHub(s)
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		// The Origin allow-list is checked before the upgrade, in accept.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /client", s.handleClient)
	s.mux.HandleFunc("GET /party", s.handleParty)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	go s.hub.run()
	return s, nil
}

// MetricsHandler returns a handler of the relay's metrics in the Prometheus
// text format, for an operator's own listener. The public handler (the
// Server itself) never serves them: they show live traffic.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler() }

// MetricsAddr returns the address of the operator listener, or nil if
// Config.MetricsListen was empty.
func (s *Server) MetricsAddr() net.Addr {
	if s.metricsLn == nil {
		return nil
	}
	return s.metricsLn.Addr()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Serve accepts connections on ln until ctx is done, then shuts down
// gracefully: it stops accepting, closes every WebSocket with a close frame
// and waits up to DefaultWriteWait for the connections to end. It returns
// nil after a shutdown caused by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("relay shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), DefaultWriteWait)
	defer cancel()
	err := hs.Shutdown(sctx) // stops listening; hijacked WebSockets are ours to close
	if err2 := s.Shutdown(sctx); err == nil {
		err = err2
	}
	<-errc
	return err
}

// Shutdown closes every WebSocket connection with a "going away" close
// frame, refuses new ones, and waits until all have ended or ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	already := s.closing
	s.closing = true
	s.mu.Unlock()
	if !already {
		s.hub.submit(hubMsg{op: opShutdown})
		if s.metricsSrv != nil {
			s.metricsSrv.Close()
		}
	}
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("relay: shutdown: %w", ctx.Err())
	}
}

// Close is Shutdown without waiting.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Shutdown(ctx)
	return nil
}

// remoteAddr returns the address that the per-address cap counts.
func (s *Server) remoteAddr(r *http.Request) string {
	if s.cfg.TrustForwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if a := strings.TrimSpace(last); a != "" {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) originAllowed(origin string) bool {
	if origin == "" {
		return true // not a browser
	}
	for _, o := range s.cfg.AllowedOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// accept checks the limits, upgrades the request and returns the new
// connection, or writes an HTTP error and returns nil. A non-nil conn must
// be passed to finish.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, ro role) *conn {
	addr := s.remoteAddr(r)
	if origin := r.Header.Get("Origin"); !s.originAllowed(origin) {
		s.metrics.reject(rejOrigin)
		s.log.Info("rejected connection: origin not allowed", "origin", origin, "addr", addr)
		http.Error(w, "relay: origin not allowed", http.StatusForbidden)
		return nil
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		s.metrics.reject(rejShuttingDown)
		http.Error(w, "relay: shutting down", http.StatusServiceUnavailable)
		return nil
	}
	if limit := s.connLimit(ro); limit > 0 && s.open[ro] >= limit {
		s.mu.Unlock()
		s.metrics.reject(rejTotalConnLimit)
		s.log.Info("rejected connection: relay full", "role", ro, "addr", addr, "limit", limit)
		http.Error(w, "relay: too many connections, try again later", http.StatusServiceUnavailable)
		return nil
	}
	if s.cfg.MaxConnsPerAddr > 0 && s.perAddr[addr] >= s.cfg.MaxConnsPerAddr {
		s.mu.Unlock()
		s.metrics.reject(rejConnLimit)
		s.log.Info("rejected connection: too many from one address", "addr", addr)
		http.Error(w, "relay: too many connections from your address", http.StatusTooManyRequests)
		return nil
	}
	s.perAddr[addr]++
	s.open[ro]++
	s.conns.Add(1)
	s.mu.Unlock()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.release(ro, addr) // Upgrade has answered with an HTTP error
		return nil
	}
	buf, limit := s.cfg.SendBuffer, s.cfg.ClientQueueBytes
	if ro == roleParty {
		buf, limit = s.cfg.PartySendBuffer, s.cfg.PartyQueueBytes
	}
	c := &conn{s: s, ws: ws, id: s.nextID.Add(1), role: ro, addr: addr,
		send: make(chan []byte, buf), queueLimit: int64(limit)}
	s.metrics.connsTotal[ro].Inc()
	s.metrics.connsOpen[ro].Inc()
	return c
}

// connLimit is the cap on open connections of role ro; 0 or less is none.
func (s *Server) connLimit(ro role) int {
	if ro == roleParty {
		return s.cfg.MaxPartyConns
	}
	return s.cfg.MaxConns
}

func (s *Server) release(ro role, addr string) {
	s.mu.Lock()
	if s.perAddr[addr]--; s.perAddr[addr] <= 0 {
		delete(s.perAddr, addr)
	}
	s.open[ro]--
	s.mu.Unlock()
	s.conns.Done()
}

// finish closes c's socket if it is still open and releases its slot.
func (s *Server) finish(c *conn) {
	c.ws.Close()
	s.metrics.connsOpen[c.role].Dec()
	s.release(c.role, c.addr)
}

// serve registers c with the hub and runs its pumps until it ends.
func (s *Server) serve(c *conn) {
	if !s.hub.submit(hubMsg{op: opRegister, c: c}) {
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "relay shutting down"), time.Now().Add(s.cfg.WriteWait))
		return
	}
	done := make(chan struct{})
	go func() { c.writePump(); close(done) }()
	c.readPump()
	<-done
}

func (s *Server) handleClient(w http.ResponseWriter, r *http.Request) {
	c := s.accept(w, r, roleClient)
	if c == nil {
		return
	}
	defer s.finish(c)
	s.log.Info("client connected", "conn", c.id, "addr", c.addr)
	s.serve(c)
	s.log.Info("client disconnected", "conn", c.id)
}

func (s *Server) handleParty(w http.ResponseWriter, r *http.Request) {
	c := s.accept(w, r, roleParty)
	if c == nil {
		return
	}
	defer s.finish(c)
	party, err := s.authenticate(c)
	if err != nil {
		s.metrics.reject(rejUnauthorized)
		s.log.Warn("party rejected", "conn", c.id, "addr", c.addr, "err", err)
		deadline := time.Now().Add(s.cfg.WriteWait)
		c.ws.SetWriteDeadline(deadline)
		c.ws.WriteMessage(websocket.BinaryMessage, errorFrame(0, relaywire.CodeUnauthorized, err.Error()))
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "unauthorized"), deadline)
		return
	}
	c.party = party
	s.log.Info("party registered", "party", party, "conn", c.id, "addr", c.addr)
	s.serve(c)
	s.log.Info("party disconnected", "party", party, "conn", c.id)
}

// authenticate sends a fresh challenge and verifies the party's Hello.
func (s *Server) authenticate(c *conn) (uint8, error) {
	ch := &relaywire.Challenge{Name: s.cfg.Name}
	rand.Read(ch.Nonce[:])
	c.ws.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
	if err := c.ws.WriteMessage(websocket.BinaryMessage, relaywire.Encode(ch)); err != nil {
		return 0, fmt.Errorf("relay: sending challenge: %w", err)
	}
	c.ws.SetReadLimit(1024)
	c.ws.SetReadDeadline(time.Now().Add(s.cfg.HelloWait))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		return 0, fmt.Errorf("relay: reading hello: %w", err)
	}
	c.ws.SetReadLimit(0) // readMessage enforces MaxMessageSize from here on
	f, err := relaywire.Decode(b)
	if err != nil {
		return 0, err
	}
	h, ok := f.(*relaywire.Hello)
	if !ok {
		return 0, fmt.Errorf("relay: expected hello, got %v frame", f.Type())
	}
	key, ok := s.cfg.Parties[int(h.Party)]
	if !ok {
		return 0, fmt.Errorf("relay: party %d is not in the manifest", h.Party)
	}
	if !relaywire.VerifyHello(key, h, ch.Name, ch.Nonce, s.cfg.ManifestHash) {
		return 0, errors.New("relay: hello signature does not verify (wrong key, relay name, manifest or nonce)")
	}
	return h.Party, nil
}
