// Package server is a SafeTrace party server (DESIGN.md sections 4.2, 4.4
// and 4.5): it keeps an outbound connection to every relay of the
// deployment, opens the envelopes clients send it, stores upload shares
// durably and answers with signed receipts, delivers sealed result blobs,
// applies the retention window, and brings up the party-to-party TLS mesh
// for computations.
//
// Use [New] with a [Config], then [Server.Run] until the context ends; serve
// [Server.HTTPHandler] for /healthz and /metrics. Request kinds are a
// registry ([Server.Register]): uploads and result fetches are built in;
// computations add theirs. The server hosts computations, it does not
// implement them: each is a compute.Computation of its own package
// (epoch/epochjob, regionmap/regionjob; listed in computations.go) that runs
// at every party on its schedule or on an operator's signed request
// (runner.go), with the server as its compute.Host (host.go).
// The wire format is package wire and docs/fabric.md.
//
// Warning: a party holds its shares in the clear in its store (package
// store) and its private keys in memory. It trusts nothing a client sends:
// every envelope is checked (manifest hash, party, HPKE, padding, strict
// decoding, canonical shares, record days, authority codes) before anything
// is stored, and a rejected request stores nothing.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/wire"
)

// DefaultExpireEvery is how often the retention window is applied.
const DefaultExpireEvery = time.Hour

// Config configures a Server. Manifest, Key and Store are required.
type Config struct {
	// Manifest is the deployment manifest; New verifies it (all n
	// signatures) and that Key is this party's entry.
	Manifest *manifest.Manifest
	// Key is this party's private keys.
	Key *keys.PartyKey
	// Store is the party's open store (the embedded bbolt store or
	// PostgreSQL, package pgstore); the Server does not close it. A store
	// that implements Leaser is shared by several front ends, and only the
	// holder of its computation lease runs computations.
	Store store.Backend
	// LeaseTTL is the lifetime of the computation lease when not renewed
	// (shared stores only); zero means DefaultLeaseTTL.
	LeaseTTL time.Duration
	// Instance names this front end in the lease; "" means host/pid/random.
	Instance string
	// Relays overrides the manifest's relay list (tests); nil means the
	// manifest's.
	Relays []string
	// Dialer opens relay connections; nil means the platform default.
	Dialer relayclient.Dialer
	// MinBackoff and MaxBackoff bound the reconnection backoff; zero means
	// the relayclient defaults.
	MinBackoff, MaxBackoff time.Duration
	// ExpireEvery is the period of retention deletion; zero means
	// DefaultExpireEvery, negative disables it.
	ExpireEvery time.Duration
	// MeshTimeout bounds the set-up of a computation's mesh and every wait
	// for a peer during it; zero means transport.DefaultTimeout.
	MeshTimeout time.Duration
	// RunRetryWait is the wait before a failed run is tried again (it
	// doubles for each further attempt); zero means DefaultRunRetryWait.
	RunRetryWait time.Duration
	// MinRunInterval is the least time between two requested runs of one
	// computation (a rate limit on operators' requests); zero means
	// DefaultMinRunInterval, negative turns the limit off.
	MinRunInterval time.Duration
	// NoSchedule turns off scheduled computation runs (tests); runs on
	// request still happen.
	NoSchedule bool
	// RevocationsURL, if set, is fetched every RevocationsEvery (zero:
	// DefaultRevocationsEvery) for an authority's signed revocation list
	// (GET /v1/revocations of "safetrace authority serve"); codes it
	// lists are refused with wire.CodeCodeRevoked.
	RevocationsURL   string
	RevocationsEvery time.Duration
	// RevocationsFile, if set, keeps the newest verified revocation lists
	// across restarts: New reads it, and every newer list is written to it
	// before it is used.
	RevocationsFile string
	// Now returns the time; nil means time.Now.
	Now func() time.Time
	// Logger receives structured logs; nil means slog.Default(). Payloads,
	// shares and codes are never logged.
	Logger *slog.Logger
}

// Handler answers one request type. req is the opened, unpadded request,
// starting with the version, type and reply key (wire.RequestHeader). A
// *wire.Error return is sent to the client as is; any other error is
// logged and reported as wire.CodeInternal. The returned message is sealed
// to the request's reply key.
type Handler func(ctx context.Context, req []byte) (wire.Message, error)

// Server is one running party. Its methods are safe for concurrent use.
type Server struct {
	cfg   Config
	m     *manifest.Manifest
	mhash manifest.Hash
	key   *keys.PartyKey
	st    store.Backend
	log   *slog.Logger
	base  *slog.Logger // without the party attribute, which relayclient adds
	now   func() time.Time

	metrics metrics

	runs  runner
	lease lease
	fwd   RunForwarder                               // nil unless the store is shared
	hook  func(run *compute.Run, stage string) error // tests only, see export_test.go

	mu       sync.RWMutex
	handlers map[wire.Type]Handler
	party    *relayclient.Party
	revoked  revocations
}

// New checks cfg and returns a Server with the upload and result handlers
// registered.
func New(cfg Config) (*Server, error) {
	if cfg.Manifest == nil || cfg.Key == nil || cfg.Store == nil {
		return nil, errors.New("server: config needs Manifest, Key and Store")
	}
	m := cfg.Manifest
	if err := m.Verify(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	p, ok := m.Party(cfg.Key.ID)
	if !ok {
		return nil, fmt.Errorf("server: manifest has no party %d", cfg.Key.ID)
	}
	pub := cfg.Key.Public()
	if string(pub.SignKey) != string(p.SignKey) || string(pub.HPKEKey) != string(p.HPKEKey) {
		return nil, fmt.Errorf("server: key file of party %d does not match its entry in manifest %s", cfg.Key.ID, m.Hash())
	}
	if cfg.Relays == nil {
		cfg.Relays = m.Relays
	}
	if cfg.ExpireEvery == 0 {
		cfg.ExpireEvery = DefaultExpireEvery
	}
	if cfg.RunRetryWait <= 0 {
		cfg.RunRetryWait = DefaultRunRetryWait
	}
	if cfg.MinRunInterval == 0 {
		cfg.MinRunInterval = DefaultMinRunInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		cfg: cfg, m: m, mhash: m.Hash(), key: cfg.Key, st: cfg.Store,
		log: log.With("party", cfg.Key.ID), base: log, now: cfg.Now,
		handlers: make(map[wire.Type]Handler),
	}
	s.lease.init(cfg.Store, cfg.LeaseTTL, cfg.Instance)
	s.fwd, _ = cfg.Store.(RunForwarder)
	s.metrics.init(s)
	s.runs.init()
	s.Register(wire.TypeRunRequest, s.handleRun)
	s.Register(wire.TypeStatusRequest, s.handleStatus)
	s.Register(wire.TypeUpload, s.handleUpload)
	s.Register(wire.TypeResultRequest, s.handleResults)
	for _, c := range computations() {
		s.RegisterComputation(c)
	}
	if cfg.RevocationsFile != "" {
		if err := s.loadRevocations(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Register sets the handler of request type t, replacing any before.
func (s *Server) Register(t wire.Type, h Handler) {
	s.mu.Lock()
	s.handlers[t] = h
	s.mu.Unlock()
}

// Manifest returns the verified manifest and its hash.
func (s *Server) Manifest() (*manifest.Manifest, manifest.Hash) { return s.m, s.mhash }

// ID returns this party's id.
func (s *Server) ID() int { return s.key.ID }

// Run connects to every relay (reconnecting with backoff), serves requests
// and applies the retention window on a timer until ctx is done. It returns
// nil after a shutdown caused by ctx, once handlers in progress finished.
func (s *Server) Run(ctx context.Context) error {
	p, err := relayclient.NewParty(relayclient.PartyConfig{
		ID: s.key.ID, Key: s.key.Sign, ManifestHash: s.mhash[:], Relays: s.cfg.Relays,
		Handler: s.Handle, Dialer: s.cfg.Dialer, Logger: s.base,
		MinBackoff: s.cfg.MinBackoff, MaxBackoff: s.cfg.MaxBackoff,
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.mu.Lock()
	s.party = p
	s.mu.Unlock()
	var wg sync.WaitGroup
	if s.cfg.ExpireEvery > 0 {
		wg.Go(func() { s.expireLoop(ctx) })
	}
	wg.Go(func() { s.leaseLoop(ctx) })
	if s.fwd != nil {
		wg.Go(func() { s.forwardLoop(ctx) })
	}
	wg.Go(func() { s.runLoop(ctx) })
	if s.cfg.RevocationsURL != "" {
		wg.Go(func() { s.revocationsLoop(ctx) })
	}
	if !s.cfg.NoSchedule {
		s.runs.mu.Lock()
		for name, c := range s.runs.comps {
			if period := c.Scheduled(s.m); period > 0 {
				wg.Go(func() { s.schedule(ctx, name, period) })
			}
		}
		s.runs.mu.Unlock()
	}
	s.log.Info("party serving", "manifest", s.mhash.String(), "relays", len(s.cfg.Relays), "instance", s.lease.instance, "shared_store", s.lease.leaser != nil)
	err = p.Run(ctx)
	wg.Wait()
	s.log.Info("party stopped")
	return err
}

// RelaysRegistered returns the number of relays at which the party is
// registered now.
func (s *Server) RelaysRegistered() int {
	s.mu.RLock()
	p := s.party
	s.mu.RUnlock()
	if p == nil {
		return 0
	}
	return p.Registered()
}

func (s *Server) expireLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.ExpireEvery)
	defer t.Stop()
	for {
		s.Expire()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Expire applies the retention window now.
func (s *Server) Expire() {
	ex, err := s.st.Expire(s.now(), s.m.Params.RetentionDays)
	if err != nil {
		s.log.Error("retention deletion failed", "err", err)
		return
	}
	s.log.Info("retention applied", "expired", fmt.Sprintf("%+v", ex))
}

// Handle answers one envelope forwarded by a relay. It is the
// relayclient.Handler of the party.
func (s *Server) Handle(ctx context.Context, env []byte) []byte {
	start := time.Now()
	req, e := wire.OpenEnvelope(s.key, s.m, s.mhash, env)
	if e != nil {
		s.reject(0, e)
		return wire.ClearReply(e)
	}
	t, replyKey, err := wire.RequestHeader(req)
	if err != nil {
		e := &wire.Error{Code: wire.CodeBadFrame, Message: err.Error()}
		if errors.Is(err, wire.ErrVersion) {
			e.Code = wire.CodeBadVersion
		}
		s.reject(t, e)
		return wire.ClearReply(e)
	}
	// A reply key that cannot be sealed to is refused before the request
	// is handled, so a refused request stores nothing. The check is the
	// reply's own HPKE encapsulation, which seals the reply below.
	sealer, err := wire.NewReplySealer(replyKey, s.mhash, s.key.ID)
	if err != nil {
		e := &wire.Error{Code: wire.CodeBadKey, Message: "reply key: " + err.Error()}
		s.reject(t, e)
		return wire.ClearReply(e)
	}
	s.mu.RLock()
	h := s.handlers[t]
	s.mu.RUnlock()
	var msg wire.Message
	if h == nil {
		err = &wire.Error{Code: wire.CodeUnknownType, Message: fmt.Sprintf("this party does not handle %v requests", t)}
	} else {
		msg, err = h(ctx, req)
	}
	if err != nil {
		var we *wire.Error
		if !errors.As(err, &we) {
			s.log.Error("request failed", "type", t.String(), "err", err)
			we = &wire.Error{Code: wire.CodeInternal, Message: "internal error, retry later"}
		}
		s.reject(t, we)
		msg = we
	}
	reply := sealer.Seal(msg)
	s.metrics.request(t, time.Since(start))
	return reply
}

func (s *Server) reject(t wire.Type, e *wire.Error) {
	s.metrics.rejected(e.Code)
	s.log.Info("request rejected", "type", t.String(), "code", e.Code.Slug(), "msg", e.Message)
}

// Mesh brings up this party's endpoint of the TLS mesh for computation
// (which the manifest must list), with every party's mesh address and
// signing key from the manifest and session manifest hash || computation
// name, so meshes of different deployments or computations never connect.
// ln, if not nil, is an already bound listener for this party's address.
func (s *Server) Mesh(ctx context.Context, computation string, ln net.Listener, timeout time.Duration) (transport.Conn, error) {
	if _, ok := s.m.Computation(computation); !ok {
		if ln != nil {
			ln.Close()
		}
		return nil, fmt.Errorf("server: manifest does not list computation %q", computation)
	}
	return transport.NewMesh(ctx, MeshConfig(s.m, s.key, computation, ln, timeout))
}

// MeshConfig returns the transport configuration Mesh uses.
func MeshConfig(m *manifest.Manifest, key *keys.PartyKey, computation string, ln net.Listener, timeout time.Duration) transport.MeshConfig {
	h := m.Hash()
	cfg := transport.MeshConfig{
		ID: key.ID, Key: key.Sign, Peers: make(map[int]transport.Peer, len(m.Parties)),
		Listener: ln, Timeout: timeout,
		Session: append(h[:], computation...),
	}
	for _, p := range m.Parties {
		cfg.Peers[p.ID] = transport.Peer{Addr: p.Mesh, Key: p.SignKey}
	}
	return cfg
}
