package transport

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Conn is one party's endpoint in a mesh of n parties with ids 1..n.
//
// Messages between each ordered pair of parties arrive in order, exactly once,
// or the connection fails. Send and Recv for different peers may be called
// concurrently from different goroutines; calls for the same peer and
// direction must not overlap. Close may be called at any time, from any
// goroutine, and more than once.
type Conn interface {
	// ID returns this party's id, 1..N().
	ID() int
	// N returns the number of parties in the mesh.
	N() int
	// Send delivers msg to party to. It may return before the peer reads
	// it. Send takes ownership of msg: the caller must neither modify nor
	// rely on the contents of msg after the call, because the in-process
	// transport hands the same slice to the receiver. A message may be empty. If ctx is cancelled while Send is
	// blocked, the link to that peer may be broken for good.
	Send(ctx context.Context, to int, msg []byte) error
	// Recv returns the next message from party from. The caller owns the
	// returned slice. Recv fails with an error wrapping ErrPeerGone when the
	// peer disconnected and no message from it is left, with an error
	// wrapping ErrTimeout when nothing arrives within the mesh's timeout,
	// and with ctx's error when ctx is done first: it never waits forever.
	Recv(ctx context.Context, from int) ([]byte, error)
	// Close disconnects this party from all peers; their Recv from this
	// party then fails with ErrPeerGone. Later calls on the Conn fail with
	// an error wrapping net.ErrClosed.
	Close() error
}

// ErrPeerGone is wrapped by errors from a peer that disconnected, crashed or
// whose link failed.
var ErrPeerGone = errors.New("transport: peer gone")

// ErrTimeout is wrapped by errors when nothing arrived from a peer, or a peer
// accepted no data, within the configured timeout.
var ErrTimeout = errors.New("transport: timeout")

// noRetainer is implemented by Conns whose Send does not keep msg after it
// returns, so one slice may be sent to several peers without copies.
type noRetainer interface {
	sendDoesNotRetain()
}

// Exchange does one round: it sends out[j-1] to each peer j and receives one
// message from each peer, all concurrently. out must have length c.N();
// out[c.ID()-1] is not sent. It returns in with in[j-1] the message from party
// j and in[c.ID()-1] = out[c.ID()-1]. Exchange takes ownership of the messages
// in out as [Conn.Send] does. On error it returns the first failure (naming
// the peer) and the round is incomplete; the caller should abort.
func Exchange(ctx context.Context, c Conn, out [][]byte) ([][]byte, error) {
	n, self := c.N(), c.ID()
	if len(out) != n {
		return nil, fmt.Errorf("transport: exchange needs %d messages, got %d", n, len(out))
	}
	return round(ctx, c, func(j int) []byte { return out[j-1] }, out[self-1])
}

// Broadcast does one round in which this party sends msg to every peer and
// receives one message from each. It returns in with in[j-1] the message from
// party j and in[c.ID()-1] = msg. The caller must not modify msg after the
// call; each received message belongs to the caller alone.
func Broadcast(ctx context.Context, c Conn, msg []byte) ([][]byte, error) {
	get := func(j int) []byte { return msg }
	if _, ok := c.(noRetainer); !ok {
		// The receivers and this party would otherwise share one slice
		// and see each other's in-place changes.
		get = func(j int) []byte { return append([]byte(nil), msg...) }
	}
	return round(ctx, c, get, msg)
}

func round(ctx context.Context, c Conn, msgFor func(j int) []byte, own []byte) ([][]byte, error) {
	n, self := c.N(), c.ID()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Every send and receive runs in its own goroutine, so that a slow
	// link holds up no other and the first failure in time, usually the
	// root cause, is the one reported; it cancels the rest.
	in := make([][]byte, n)
	in[self-1] = own
	errc := make(chan error, 2*(n-1))
	for j := 1; j <= n; j++ {
		if j == self {
			continue
		}
		go func(j int, m []byte) {
			err := c.Send(ctx, j, m)
			if err != nil {
				cancel()
			}
			errc <- err
		}(j, msgFor(j))
		go func(j int) {
			m, err := c.Recv(ctx, j)
			if err != nil {
				cancel()
			}
			in[j-1] = m
			errc <- err
		}(j)
	}
	var first error
	for range 2 * (n - 1) {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return in, nil
}

func checkPeer(self, n, peer int) error {
	if peer < 1 || peer > n {
		return fmt.Errorf("transport: party %d out of range 1..%d", peer, n)
	}
	if peer == self {
		return fmt.Errorf("transport: party %d cannot message itself", self)
	}
	return nil
}

// linkError is the error of one Send or Recv. Its message names both parties
// and the cause; it wraps kind (ErrPeerGone, ErrTimeout, a context error or
// net.ErrClosed) and cause.
type linkError struct {
	msg         string
	kind, cause error
}

func (e *linkError) Error() string { return e.msg }
func (e *linkError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// sendError and recvError build a linkError such as
// "transport: party 1: receive from party 3: peer gone: EOF".
func sendError(self, to int, kind, cause error) error {
	return linkErr(fmt.Sprintf("party %d: send to party %d", self, to), kind, cause)
}

func recvError(self, from int, kind, cause error) error {
	return linkErr(fmt.Sprintf("party %d: receive from party %d", self, from), kind, cause)
}

func linkErr(what string, kind, cause error) error {
	msg := "transport: " + what + ": " + strings.TrimPrefix(kind.Error(), "transport: ")
	if cause != nil && cause != kind {
		msg += ": " + cause.Error()
	}
	return &linkError{msg: msg, kind: kind, cause: cause}
}
