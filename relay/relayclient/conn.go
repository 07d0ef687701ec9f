package relayclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/safetrace/safetrace/wire/relaywire"
)

// MsgConn is a message-oriented connection, such as a WebSocket carrying
// binary messages. ReadMessage and WriteMessage may run concurrently with
// each other but not with themselves; Close may be called at any time and
// makes pending calls return. A connection whose call failed or whose context
// ended may be unusable afterwards: the caller closes it.
type MsgConn interface {
	// ReadMessage returns the next binary message.
	ReadMessage(ctx context.Context) ([]byte, error)
	// WriteMessage sends b as one binary message. It does not retain b.
	WriteMessage(ctx context.Context, b []byte) error
	Close() error
}

// Dialer opens MsgConns. url is a ws:// or wss:// URL.
type Dialer interface {
	Dial(ctx context.Context, url string) (MsgConn, error)
}

// ErrDisconnected is wrapped by the errors of calls that failed because the
// connection to the relay was lost or could not be made. Such calls may be
// retried: the Client reconnects by itself.
var ErrDisconnected = errors.New("relay: disconnected")

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("relay: client closed")

// Error is a request refused or failed at the relay, as reported by the
// relay's Error frame.
type Error struct {
	Party   int            // destination party of the request
	Code    relaywire.Code // why; see the relaywire.Code* constants
	Message string         // for people
}

func (e *Error) Error() string {
	return fmt.Sprintf("relay: party %d: %s", e.Party, e.Message)
}

// Retryable reports whether the same request may succeed later.
func (e *Error) Retryable() bool { return e.Code.Retryable() }

// Retryable reports whether err, returned by Client.Do, is worth retrying
// later: a lost connection or a temporary refusal by the relay. Requests are
// delivered at most once per call, so callers retry only idempotent
// requests (SafeTrace uploads carry idempotent record ids).
func Retryable(err error) bool {
	if errors.Is(err, ErrDisconnected) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// endpoint returns the URL of path (such as "/client") at the relay whose
// base URL is base.
func endpoint(base, path string) string {
	return strings.TrimSuffix(base, "/") + path
}
