package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

const (
	// DefaultTimeout is the receive timeout and set-up deadline of a mesh
	// whose MeshConfig.Timeout is zero.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxMessage is the largest message of a mesh whose
	// MeshConfig.MaxMessage is zero: 1 TiB, so memory, not the transport,
	// bounds a message (messages travel in frames of at most 64 MiB).
	DefaultMaxMessage = 1 << 40
	// maxSession bounds the session id a peer may send in its hello.
	maxSession = 1 << 10
)

// Peer is a party as pinned in the configuration of a mesh.
type Peer struct {
	Addr string            // "host:port" the party listens on
	Key  ed25519.PublicKey // the party's pinned key
}

// MeshConfig configures one party of a TLS mesh. Every party of the mesh must
// have the same Peers and Session.
type MeshConfig struct {
	ID    int                // this party, 1..len(Peers)
	Key   ed25519.PrivateKey // this party's key; its public half must be Peers[ID].Key
	Peers map[int]Peer       // every party 1..n, including this one
	// Listener, if not nil, is a listener already bound to this party's
	// address (tests bind "127.0.0.1:0"). NewMesh takes ownership and closes
	// it once the mesh is set up or has failed. If nil, NewMesh listens on
	// Peers[ID].Addr.
	Listener net.Listener
	// Timeout bounds the set-up of the mesh, each Recv's wait for a message
	// and each wait of Send for the peer to accept data. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxMessage is the largest message in bytes that may be sent or
	// received; a peer sending a larger one is disconnected. Zero means
	// DefaultMaxMessage. Messages travel in frames of at most 64 MiB, and
	// a receiver allocates only as frames arrive.
	MaxMessage int
	// Session optionally names the computation (for instance a hash of the
	// manifest and the computation's parameters); parties with different
	// sessions refuse to connect.
	Session []byte
}

// NewMesh connects this party to every other party of cfg over TCP with
// mutually authenticated TLS 1.3 and returns its endpoint once all links are
// up. Party i dials every party j < i, retrying until the others are up, and
// accepts every party j > i. Connections from unknown keys, from a key that
// is not the pinned key of the claimed party, or with another session are
// rejected without disturbing the mesh. NewMesh fails if the mesh is not
// complete within cfg.Timeout or when ctx is done; a party that rejects this
// one's session or key makes it fail at once with an error saying why.
func NewMesh(ctx context.Context, cfg MeshConfig) (Conn, error) {
	s, err := newSetup(cfg)
	if err != nil {
		if cfg.Listener != nil {
			cfg.Listener.Close()
		}
		return nil, err
	}
	return s.run(ctx)
}

type setup struct {
	cfg      MeshConfig
	n        int
	cert     tls.Certificate
	deadline time.Time
	results  chan linkResult
}

type linkResult struct {
	peer     int
	conn     net.Conn
	br       *bufio.Reader
	err      error
	rejected bool // err is an accepted connection we rejected; keep waiting
}

func newSetup(cfg MeshConfig) (*setup, error) {
	n := len(cfg.Peers)
	if n < 1 {
		return nil, errors.New("transport: no peers configured")
	}
	for j := 1; j <= n; j++ {
		p, ok := cfg.Peers[j]
		if !ok {
			return nil, fmt.Errorf("transport: %d peers configured but party %d is missing: ids must be 1..%d", n, j, n)
		}
		if len(p.Key) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("transport: party %d has no valid Ed25519 key", j)
		}
		for k := 1; k < j; k++ {
			if bytes.Equal(cfg.Peers[k].Key, p.Key) {
				return nil, fmt.Errorf("transport: parties %d and %d have the same key", k, j)
			}
		}
	}
	if cfg.ID < 1 || cfg.ID > n {
		return nil, fmt.Errorf("transport: party id %d out of range 1..%d", cfg.ID, n)
	}
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("transport: no valid Ed25519 private key")
	}
	if !bytes.Equal(cfg.Key.Public().(ed25519.PublicKey), cfg.Peers[cfg.ID].Key) {
		return nil, fmt.Errorf("transport: private key does not match the pinned key of party %d", cfg.ID)
	}
	if len(cfg.Session) > maxSession {
		return nil, fmt.Errorf("transport: session id of %d bytes is longer than %d", len(cfg.Session), maxSession)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = DefaultMaxMessage
	}
	cert, err := certificate(cfg.Key)
	if err != nil {
		return nil, err
	}
	return &setup{cfg: cfg, n: n, cert: cert, results: make(chan linkResult)}, nil
}

func (s *setup) run(parent context.Context) (Conn, error) {
	self := s.cfg.ID
	s.deadline = time.Now().Add(s.cfg.Timeout)
	ctx, cancel := context.WithDeadline(parent, s.deadline)
	defer cancel()

	ln := s.cfg.Listener
	if self < s.n && ln == nil {
		var err error
		ln, err = net.Listen("tcp", s.cfg.Peers[self].Addr)
		if err != nil {
			return nil, fmt.Errorf("transport: party %d: %w", self, err)
		}
	}
	var wg sync.WaitGroup
	if ln != nil {
		defer ln.Close()
		if self < s.n {
			wg.Go(func() { s.acceptLoop(ctx, ln, &wg) })
		}
	}
	for j := 1; j < self; j++ {
		wg.Go(func() { s.dial(ctx, j) })
	}

	links := make([]*link, s.n)
	missing := s.n - 1
	var lastReject error
	var err error
	for missing > 0 && err == nil {
		select {
		case r := <-s.results:
			switch {
			case r.rejected:
				lastReject = r.err
			case r.err != nil:
				err = r.err
			default:
				if links[r.peer-1] != nil {
					// A redial after a lost reply: the newer link wins.
					links[r.peer-1].close()
					missing++
				}
				links[r.peer-1] = newLink(self, r.peer, r.conn, r.br, s.cfg.Timeout, s.cfg.MaxMessage)
				missing--
			}
		case <-ctx.Done():
			var waiting []int
			for j := 1; j <= s.n; j++ {
				if j != self && links[j-1] == nil {
					waiting = append(waiting, j)
				}
			}
			err = fmt.Errorf("transport: party %d: mesh not complete, no link to parties %v: %w", self, waiting, ctx.Err())
			if parent.Err() == nil {
				err = fmt.Errorf("transport: party %d: mesh not complete within %v, no link to parties %v: %w", self, s.cfg.Timeout, waiting, ErrTimeout)
			}
			if lastReject != nil {
				err = fmt.Errorf("%w (last rejected connection: %v)", err, lastReject)
			}
		}
	}
	cancel()
	if ln != nil {
		ln.Close()
	}
	// Late results are dropped by their senders once ctx is done.
	wg.Wait()
	if err != nil {
		for _, l := range links {
			if l != nil {
				l.close()
			}
		}
		return nil, err
	}
	return &mesh{id: self, links: links}, nil
}

func (s *setup) report(ctx context.Context, r linkResult) {
	select {
	case s.results <- r:
	case <-ctx.Done():
		if r.conn != nil {
			r.conn.Close()
		}
	}
}

func (s *setup) acceptLoop(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) {
	known := func(k ed25519.PublicKey) bool {
		for j := s.cfg.ID + 1; j <= s.n; j++ {
			if bytes.Equal(s.cfg.Peers[j].Key, k) {
				return true
			}
		}
		return false
	}
	tcfg := serverConfig(s.cert, known)
	for {
		raw, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				s.report(ctx, linkResult{err: fmt.Errorf("transport: party %d: accept: %w", s.cfg.ID, err)})
			}
			return
		}
		wg.Go(func() { s.accept(ctx, raw, tcfg) })
	}
}

// accept authenticates one incoming connection. Whatever goes wrong is the
// dialer's problem: the result is only a rejection.
func (s *setup) accept(ctx context.Context, raw net.Conn, tcfg *tls.Config) {
	self := s.cfg.ID
	reject := func(err error) {
		raw.Close()
		s.report(ctx, linkResult{rejected: true, err: fmt.Errorf("from %v: %w", raw.RemoteAddr(), err)})
	}
	raw.SetDeadline(s.deadline)
	conn := tls.Server(fast(raw), tcfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		reject(err)
		return
	}
	key, _ := peerKey(conn.ConnectionState()) // checked by VerifyConnection
	br := bufio.NewReaderSize(conn, readBufSize)
	h, err := readHello(br)
	if err != nil {
		reject(err)
		return
	}
	var why string
	switch {
	case h.to != self:
		why = fmt.Sprintf("addressed to party %d, this is party %d", h.to, self)
	case h.from <= self || h.from > s.n:
		why = fmt.Sprintf("party %d may not dial party %d", h.from, self)
	case !bytes.Equal(s.cfg.Peers[h.from].Key, key):
		why = fmt.Sprintf("key is not the pinned key of party %d", h.from)
	case !bytes.Equal(h.session, s.cfg.Session):
		why = fmt.Sprintf("session mismatch: party %d has %s, party %d has %s", h.from, short(h.session), self, short(s.cfg.Session))
	}
	if why != "" {
		writeStatus(conn, why)
		reject(fmt.Errorf("party claiming id %d rejected: %s", h.from, why))
		return
	}
	if err := writeStatus(conn, ""); err != nil {
		reject(err)
		return
	}
	raw.SetDeadline(time.Time{})
	s.report(ctx, linkResult{peer: h.from, conn: conn, br: br})
}

// dial connects to party j < self, retrying while j is not listening yet.
func (s *setup) dial(ctx context.Context, j int) {
	self := s.cfg.ID
	fail := func(err error) {
		s.report(ctx, linkResult{err: fmt.Errorf("transport: party %d: connecting to party %d: %w", self, j, err)})
	}
	tcfg := clientConfig(s.cert, j, s.cfg.Peers[j].Key)
	var d net.Dialer
	backoff := 10 * time.Millisecond
	for {
		raw, err := d.DialContext(ctx, "tcp", s.cfg.Peers[j].Addr)
		if err != nil {
			if ctx.Err() != nil {
				return // run reports the missing link
			}
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			backoff = min(2*backoff, 500*time.Millisecond)
			continue
		}
		raw.SetDeadline(s.deadline)
		conn := tls.Client(fast(raw), tcfg)
		if err := conn.HandshakeContext(ctx); err != nil {
			raw.Close()
			fail(err)
			return
		}
		br := bufio.NewReaderSize(conn, readBufSize)
		if err := writeHello(conn, hello{from: self, to: j, session: s.cfg.Session}); err != nil {
			raw.Close()
			fail(err)
			return
		}
		if err := readStatus(br); err != nil {
			raw.Close()
			fail(err)
			return
		}
		raw.SetDeadline(time.Time{})
		s.report(ctx, linkResult{peer: j, conn: conn, br: br})
		return
	}
}

func short(b []byte) string {
	if len(b) == 0 {
		return "no session id"
	}
	if len(b) > 8 {
		return fmt.Sprintf("session %x…", b[:8])
	}
	return fmt.Sprintf("session %x", b)
}

// mesh is the Conn of a TLS mesh.
type mesh struct {
	id    int
	links []*link // links[j-1] is the link to party j; nil for this party
}

func (m *mesh) ID() int { return m.id }
func (m *mesh) N() int  { return len(m.links) }

func (m *mesh) sendDoesNotRetain() {}

func (m *mesh) Send(ctx context.Context, to int, msg []byte) error {
	if err := checkPeer(m.id, len(m.links), to); err != nil {
		return err
	}
	return m.links[to-1].send(ctx, msg)
}

func (m *mesh) Recv(ctx context.Context, from int) ([]byte, error) {
	if err := checkPeer(m.id, len(m.links), from); err != nil {
		return nil, err
	}
	return m.links[from-1].recv(ctx)
}

func (m *mesh) Close() error {
	var errs []error
	for _, l := range m.links {
		if l != nil {
			if err := l.close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
