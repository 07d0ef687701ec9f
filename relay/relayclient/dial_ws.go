//go:build !js

package relayclient

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/safetrace/safetrace/wire/relaywire"
)

// DefaultWriteWait bounds a WebSocket write whose context has no earlier
// deadline.
const DefaultWriteWait = 10 * time.Second

// WebSocketDialer dials relays with gorilla/websocket. The zero value is
// ready to use.
type WebSocketDialer struct {
	// Header is sent with the handshake, e.g. an Origin.
	Header http.Header
	// HandshakeTimeout bounds the handshake when the context has no
	// earlier deadline; zero means 10 seconds.
	HandshakeTimeout time.Duration
}

func defaultDialer() Dialer { return &WebSocketDialer{} }

// Dial implements Dialer.
func (d *WebSocketDialer) Dial(ctx context.Context, url string) (MsgConn, error) {
	wd := websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: d.HandshakeTimeout,
	}
	if wd.HandshakeTimeout == 0 {
		wd.HandshakeTimeout = 10 * time.Second
	}
	c, resp, err := wd.DialContext(ctx, url, d.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("relay: dial %s: %w (HTTP %s)", url, err, resp.Status)
		}
		return nil, fmt.Errorf("relay: dial %s: %w", url, err)
	}
	c.SetReadLimit(relaywire.MaxFrameSize)
	return &wsConn{c: c}, nil
}

// wsConn adapts a gorilla/websocket connection to MsgConn.
type wsConn struct {
	c  *websocket.Conn
	mu sync.Mutex // serializes writes of data messages
}

func (w *wsConn) ReadMessage(ctx context.Context) ([]byte, error) {
	// gorilla/websocket has no contexts: a done context expires the read
	// deadline, which leaves the connection unusable, as MsgConn allows.
	stop := context.AfterFunc(ctx, func() { w.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		typ, b, err := w.c.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if typ == websocket.BinaryMessage {
			return b, nil
		}
	}
}

// WriteMessage honours ctx's deadline but not its cancellation: a write
// stopped halfway would break the connection for every caller.
func (w *wsConn) WriteMessage(ctx context.Context, b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	deadline := time.Now().Add(DefaultWriteWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	w.c.SetWriteDeadline(deadline)
	return w.c.WriteMessage(websocket.BinaryMessage, b)
}

func (w *wsConn) Close() error {
	w.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return w.c.Close()
}
