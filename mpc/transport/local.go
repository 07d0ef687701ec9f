package transport

import (
	"context"
	"net"
	"sync"
	"time"
)

// DefaultLocalTimeout is the receive timeout of [NewLocal] without
// [WithLocalTimeout].
const DefaultLocalTimeout = 10 * time.Second

// localQueue is the number of messages that may wait on each ordered pair of
// in-process parties before Send blocks.
const localQueue = 256

// Hook sees every message Send hands to the in-process transport. It returns
// the message to deliver (msg itself, a tampered copy or nil), whether to
// deliver it at all, and how long to hold it back. A delayed message also
// holds back the messages sent after it on the same ordered pair, as on a
// real link. A Hook may be called from several goroutines at once.
type Hook func(from, to int, msg []byte) (out []byte, deliver bool, delay time.Duration)

// LocalOption configures [NewLocal].
type LocalOption func(*localConfig)

type localConfig struct {
	timeout time.Duration
	hook    Hook
}

// WithLocalTimeout sets how long Recv waits for a message before failing
// with [ErrTimeout]. The default is [DefaultLocalTimeout].
func WithLocalTimeout(d time.Duration) LocalOption {
	return func(c *localConfig) { c.timeout = d }
}

// WithHook installs h on every Send.
func WithHook(h Hook) LocalOption {
	return func(c *localConfig) { c.hook = h }
}

// NewLocal connects n parties in one process; index i of the result is party
// i+1. Messages are passed by reference over buffered channels, without
// copies.
func NewLocal(n int, opts ...LocalOption) []Conn {
	cfg := localConfig{timeout: DefaultLocalTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	parties := make([]*localConn, n)
	for i := range parties {
		parties[i] = &localConn{
			id:      i + 1,
			cfg:     &cfg,
			done:    make(chan struct{}),
			in:      make([]chan localMsg, n),
			pending: make([]*localMsg, n),
		}
		for j := range parties[i].in {
			parties[i].in[j] = make(chan localMsg, localQueue)
		}
	}
	conns := make([]Conn, n)
	for i, p := range parties {
		p.all = parties
		conns[i] = p
	}
	return conns
}

type localMsg struct {
	b  []byte
	at time.Time // zero: deliver at once
}

type localConn struct {
	id  int
	cfg *localConfig
	all []*localConn

	closeOnce sync.Once
	done      chan struct{} // closed by Close

	in []chan localMsg // in[j-1]: messages from party j
	// pending[j-1] is a delayed message from party j that a Recv gave up
	// on; the next Recv from j returns it first. Only the one goroutine
	// receiving from j touches it.
	pending []*localMsg
}

func (c *localConn) ID() int { return c.id }
func (c *localConn) N() int  { return len(c.all) }

func (c *localConn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *localConn) Send(ctx context.Context, to int, msg []byte) error {
	if err := checkPeer(c.id, c.N(), to); err != nil {
		return err
	}
	if c.closed() {
		return sendError(c.id, to, net.ErrClosed, nil)
	}
	peer := c.all[to-1]
	if peer.closed() {
		return sendError(c.id, to, ErrPeerGone, nil)
	}
	m := localMsg{b: msg}
	if h := c.cfg.hook; h != nil {
		out, deliver, delay := h(c.id, to, msg)
		if !deliver {
			return nil
		}
		m.b = out
		if delay > 0 {
			m.at = time.Now().Add(delay)
		}
	}
	select {
	case peer.in[c.id-1] <- m:
		return nil
	default:
	}
	t := time.NewTimer(c.cfg.timeout)
	defer t.Stop()
	select {
	case peer.in[c.id-1] <- m:
		return nil
	case <-peer.done:
		return sendError(c.id, to, ErrPeerGone, nil)
	case <-c.done:
		return sendError(c.id, to, net.ErrClosed, nil)
	case <-ctx.Done():
		return sendError(c.id, to, ctx.Err(), nil)
	case <-t.C:
		return sendError(c.id, to, ErrTimeout, nil)
	}
}

func (c *localConn) Recv(ctx context.Context, from int) ([]byte, error) {
	if err := checkPeer(c.id, c.N(), from); err != nil {
		return nil, err
	}
	if c.closed() {
		return nil, recvError(c.id, from, net.ErrClosed, nil)
	}
	deadline := time.Now().Add(c.cfg.timeout)
	t := time.NewTimer(c.cfg.timeout)
	defer t.Stop()
	m := c.pending[from-1]
	c.pending[from-1] = nil
	if m == nil {
		var got localMsg
		select {
		case got = <-c.in[from-1]:
		default:
			peer := c.all[from-1]
			select {
			case got = <-c.in[from-1]:
			case <-peer.done:
				// Deliver what the peer sent before it left.
				select {
				case got = <-c.in[from-1]:
				default:
					return nil, recvError(c.id, from, ErrPeerGone, nil)
				}
			case <-c.done:
				return nil, recvError(c.id, from, net.ErrClosed, nil)
			case <-ctx.Done():
				return nil, recvError(c.id, from, ctx.Err(), nil)
			case <-t.C:
				return nil, recvError(c.id, from, ErrTimeout, nil)
			}
		}
		m = &got
	}
	if wait := time.Until(m.at); !m.at.IsZero() && wait > 0 {
		if m.at.After(deadline) {
			// Hold it for a later Recv, as a real link would.
			c.pending[from-1] = m
			select {
			case <-t.C:
				return nil, recvError(c.id, from, ErrTimeout, nil)
			case <-c.done:
				return nil, recvError(c.id, from, net.ErrClosed, nil)
			case <-ctx.Done():
				return nil, recvError(c.id, from, ctx.Err(), nil)
			}
		}
		w := time.NewTimer(wait)
		defer w.Stop()
		select {
		case <-w.C:
		case <-c.done:
			return nil, recvError(c.id, from, net.ErrClosed, nil)
		case <-ctx.Done():
			c.pending[from-1] = m
			return nil, recvError(c.id, from, ctx.Err(), nil)
		}
	}
	return m.b, nil
}

func (c *localConn) Close() error {
	c.closeOnce.Do(func() { close(c.done) })
	return nil
}
