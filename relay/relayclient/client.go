package relayclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safetrace/safetrace/wire/relaywire"
)

// ClientConfig configures a Client. Relays is required.
type ClientConfig struct {
	// Relays lists relay base URLs ("wss://relay1.example.org"). The
	// client uses one at a time and moves to the next when it cannot
	// connect.
	Relays []string
	// Dialer opens connections; nil means the platform default (see the
	// package doc).
	Dialer Dialer
	// MinBackoff and MaxBackoff bound the wait between reconnection
	// attempts; zero means DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives connection events; nil means slog.Default().
	Logger *slog.Logger
}

// Client sends requests to parties through relays. It keeps one connection
// to one relay at a time, reconnecting with backoff and jitter, and trying
// the next relay, whenever the connection is lost. Its methods are safe for
// concurrent use.
type Client struct {
	cfg    ClientConfig
	log    *slog.Logger
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed when the connection loop ends
	nextID atomic.Uint64

	mu      sync.Mutex
	cur     *session      // nil while disconnected
	ready   chan struct{} // closed when cur becomes non-nil
	lastErr error         // why the last connection attempt failed
}

// NewClient returns a Client that starts connecting at once. Call Close to
// release it.
func NewClient(cfg ClientConfig) (*Client, error) {
	if len(cfg.Relays) == 0 {
		return nil, errors.New("relay: client config lists no relays")
	}
	log := dialDefaults(&cfg.Dialer, &cfg.MinBackoff, &cfg.MaxBackoff, cfg.Logger)
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{cfg: cfg, log: log, ctx: ctx, cancel: cancel, done: make(chan struct{}), ready: make(chan struct{})}
	go c.loop()
	return c, nil
}

// Close closes the connection and stops reconnecting. Calls in flight fail
// with an error wrapping ErrDisconnected; later calls fail with ErrClosed.
func (c *Client) Close() error {
	c.cancel()
	<-c.done
	return nil
}

// Do sends payload to party (1..255) and returns the party's reply. It
// waits for a connection if there is none, until ctx is done. Errors that
// Retryable accepts mean the caller may call again: the request was lost
// with the connection (ErrDisconnected) or refused for now (*Error, such as
// "party 2 not connected"). payload is not retained after Do returns; it
// must be at most relaywire.MaxPayload bytes.
func (c *Client) Do(ctx context.Context, party int, payload []byte) ([]byte, error) {
	if party < 1 || party > 255 {
		return nil, fmt.Errorf("relay: party id %d out of range 1..255", party)
	}
	if len(payload) > relaywire.MaxPayload {
		return nil, fmt.Errorf("relay: payload of %d bytes exceeds %d", len(payload), relaywire.MaxPayload)
	}
	s, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	id := c.nextID.Add(1)
	ch := make(chan result, 1)
	if err := s.add(id, ch); err != nil {
		return nil, err
	}
	frame := relaywire.Encode(&relaywire.Request{Dest: uint8(party), RequestID: id, Payload: payload})
	if err := s.mc.WriteMessage(ctx, frame); err != nil {
		s.fail(err)
		<-ch
		return nil, s.disconnected(err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			var e *Error
			if errors.As(r.err, &e) {
				e.Party = party
			}
		}
		return r.payload, r.err
	case <-ctx.Done():
		s.remove(id)
		return nil, ctx.Err()
	}
}

// session returns the current connection, waiting for one.
func (c *Client) session(ctx context.Context) (*session, error) {
	for {
		c.mu.Lock()
		s, ready, lastErr := c.cur, c.ready, c.lastErr
		c.mu.Unlock()
		if s != nil {
			return s, nil
		}
		select {
		case <-ready:
		case <-c.ctx.Done():
			return nil, ErrClosed
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("relay: no relay connection (%w, last error: %w)", ErrDisconnected, lastErr)
			}
			return nil, fmt.Errorf("relay: no relay connection: %w (%w)", ErrDisconnected, ctx.Err())
		}
	}
}

// loop keeps a connection to one of the relays until Close.
func (c *Client) loop() {
	defer close(c.done)
	n := len(c.cfg.Relays)
	idx, failures := 0, 0
	for c.ctx.Err() == nil {
		url := c.cfg.Relays[idx%n]
		mc, err := c.cfg.Dialer.Dial(c.ctx, endpoint(url, "/client"))
		if err != nil {
			c.log.Debug("relay dial failed", "relay", url, "err", err)
			c.mu.Lock()
			c.lastErr = err
			c.mu.Unlock()
			failures++
			idx++ // try the next relay
			if failures%n == 0 && !Sleep(c.ctx, Backoff(failures/n-1, c.cfg.MinBackoff, c.cfg.MaxBackoff)) {
				return
			}
			continue
		}
		failures = 0
		s := &session{c: c, mc: mc, url: url, calls: make(map[uint64]chan result)}
		c.mu.Lock()
		c.cur = s
		close(c.ready)
		c.mu.Unlock()
		c.log.Debug("connected to relay", "relay", url)
		err = s.readLoop()
		c.mu.Lock()
		c.cur = nil
		c.ready = make(chan struct{})
		c.lastErr = err
		c.mu.Unlock()
		c.log.Info("relay connection lost", "relay", url, "err", err)
		// Come back to the same relay first: it may just have restarted.
		if !Sleep(c.ctx, Backoff(0, c.cfg.MinBackoff, c.cfg.MaxBackoff)) {
			return
		}
	}
}

// result is the outcome of one call.
type result struct {
	payload []byte
	err     error
}

// session is one connection to a relay and its calls in flight.
type session struct {
	c   *Client
	mc  MsgConn
	url string

	mu     sync.Mutex
	calls  map[uint64]chan result // buffered, one result each
	err    error                  // set when the session has failed
	closed bool
}

func (s *session) add(id uint64, ch chan result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.disconnected(s.err)
	}
	s.calls[id] = ch
	return nil
}

func (s *session) remove(id uint64) {
	s.mu.Lock()
	delete(s.calls, id)
	s.mu.Unlock()
}

func (s *session) deliver(id uint64, r result) {
	s.mu.Lock()
	ch := s.calls[id]
	delete(s.calls, id)
	s.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}

func (s *session) disconnected(cause error) error {
	return fmt.Errorf("relay: connection to %s lost: %w (%w)", s.url, ErrDisconnected, cause)
}

// fail closes the session and fails every call in flight.
func (s *session) fail(cause error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed, s.err = true, cause
	calls := s.calls
	s.calls = nil
	s.mu.Unlock()
	s.mc.Close()
	err := s.disconnected(cause)
	for _, ch := range calls {
		ch <- result{err: err}
	}
}

// readLoop reads frames until the connection fails or the client closes,
// and returns why it stopped.
func (s *session) readLoop() error {
	stop := context.AfterFunc(s.c.ctx, func() { s.fail(ErrClosed) })
	defer stop()
	for {
		b, err := s.mc.ReadMessage(s.c.ctx)
		if err != nil {
			if s.c.ctx.Err() != nil {
				err = ErrClosed
			}
			s.fail(err)
			return err
		}
		f, err := relaywire.Decode(b)
		if err != nil {
			s.fail(err)
			return err
		}
		switch f := f.(type) {
		case *relaywire.Response:
			s.deliver(f.RequestID, result{payload: f.Payload})
		case *relaywire.Error:
			if f.RequestID != 0 {
				s.deliver(f.RequestID, result{err: &Error{Code: f.Code, Message: f.Message}})
				continue
			}
			// A connection-level error; the relay closes the
			// connection after the fatal ones.
			s.c.log.Warn("relay reported an error", "relay", s.url, "code", f.Code, "msg", f.Message)
			if !f.Code.Retryable() && f.Code != relaywire.CodeBadFrame && f.Code != relaywire.CodeVersion {
				err := &Error{Code: f.Code, Message: f.Message}
				s.fail(err)
				return err
			}
		default:
			err := fmt.Errorf("relay: unexpected %v frame from relay", f.Type())
			s.fail(err)
			return err
		}
	}
}
