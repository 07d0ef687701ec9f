package relay

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/relaywire"
)

// conn is one WebSocket connection, of a client or a registered party.
type conn struct {
	s     *Server
	ws    *websocket.Conn
	id    uint64
	role  role
	party uint8  // roleParty: the verified party id
	addr  string // remote address, for logs and the per-address cap

	// send queues encoded frames for the write pump. Only the hub sends on
	// it and closes it. queued is the bytes in send or being written: the
	// hub adds (up to queueLimit) and the write pump subtracts.
	send       chan []byte
	queued     atomic.Int64
	queueLimit int64

	// Owned by the hub goroutine. closeMsg is written before send is
	// closed and read by the write pump after, which orders the accesses.
	dropped     bool
	closeMsg    []byte                        // body of the close frame to send
	outstanding map[uint64]relaywire.Handle   // client: request id -> its handle
	pending     map[relaywire.Handle]struct{} // party: requests forwarded to it
}

// errTooLarge reports a message over the size limit.
var errTooLarge = errors.New("relay: message too large")

// readMessage reads the next message, refusing one over the size limit
// without reading it all.
func (c *conn) readMessage() ([]byte, error) {
	typ, r, err := c.ws.NextReader()
	if err != nil {
		return nil, err
	}
	limit := int64(c.s.cfg.MaxMessageSize)
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	if typ != websocket.BinaryMessage {
		return nil, nil // ignored; text messages are not part of the protocol
	}
	return b, nil
}

// readPump reads frames from the peer and hands them to the hub until the
// connection fails or the hub stops. It runs in the HTTP handler goroutine.
func (c *conn) readPump() {
	defer c.s.hub.submit(hubMsg{op: opUnregister, c: c})
	pongWait := c.s.cfg.PongWait
	// A party has registered already; a client must send its first frame
	// within FirstFrameWait, and pongs alone do not extend that.
	started := c.role == roleParty
	if started {
		c.ws.SetReadDeadline(time.Now().Add(pongWait))
	} else {
		c.ws.SetReadDeadline(time.Now().Add(c.s.cfg.FirstFrameWait))
	}
	c.ws.SetPongHandler(func(string) error {
		if !started {
			return nil
		}
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	var limiter *tokenBucket
	if c.role == roleClient {
		limiter = newTokenBucket(c.s.cfg.Rate, c.s.cfg.Burst)
	}
	for {
		b, err := c.readMessage()
		var ne net.Error
		if !started && errors.As(err, &ne) && ne.Timeout() {
			c.s.metrics.reject(rejIdle)
			c.s.log.Info("closing connection: no frame in time", "role", c.role, "conn", c.id, "wait", c.s.cfg.FirstFrameWait)
			c.s.hub.submit(hubMsg{op: opClose, c: c,
				closeMsg: websocket.FormatCloseMessage(websocket.CloseNormalClosure, fmt.Sprintf("no frame within %v", c.s.cfg.FirstFrameWait))})
			return
		}
		if errors.Is(err, errTooLarge) {
			c.s.metrics.reject(rejTooLarge)
			c.s.log.Info("closing connection: message too large", "role", c.role, "conn", c.id, "limit", c.s.cfg.MaxMessageSize)
			msg := fmt.Sprintf("message larger than %d bytes", c.s.cfg.MaxMessageSize)
			c.s.hub.submit(hubMsg{op: opClose, c: c,
				frame:    errorFrame(0, relaywire.CodeTooLarge, msg),
				closeMsg: websocket.FormatCloseMessage(websocket.CloseMessageTooBig, msg)})
			return
		}
		if err != nil {
			if websocket.IsUnexpectedCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				c.s.log.Debug("read failed", "role", c.role, "conn", c.id, "err", err)
			}
			return
		}
		if b == nil {
			continue
		}
		started = true
		c.ws.SetReadDeadline(time.Now().Add(pongWait))
		f, err := relaywire.Decode(b)
		if err != nil {
			var ve *relaywire.VersionError
			if errors.As(err, &ve) {
				c.s.metrics.reject(rejVersion)
				c.sendSelf(errorFrame(0, relaywire.CodeVersion, fmt.Sprintf("unsupported frame version %d, this relay speaks version %d", ve.Version, relaywire.Version)))
			} else {
				c.s.metrics.reject(rejBadFrame)
				c.sendSelf(errorFrame(0, relaywire.CodeBadFrame, err.Error()))
			}
			continue
		}
		if !c.handle(f, limiter) {
			return
		}
	}
}

// handle routes one decoded frame, and reports false if the hub stopped.
func (c *conn) handle(f relaywire.Frame, limiter *tokenBucket) bool {
	switch f := f.(type) {
	case *relaywire.Request:
		if c.role != roleClient {
			break
		}
		if !limiter.allow(time.Now()) {
			c.s.metrics.reject(rejRateLimited)
			return c.sendSelf(errorFrame(f.RequestID, relaywire.CodeRateLimited, "rate limit exceeded"))
		}
		// The proof of work is checked here, with two hashes, so that a
		// flood without it never reaches the parties.
		if c.s.cfg.WorkBits > 0 && !wire.CheckWork(f.Payload, c.s.cfg.WorkBits) {
			c.s.metrics.reject(rejNoWork)
			return c.sendSelf(errorFrame(f.RequestID, relaywire.CodeNoWork, fmt.Sprintf("the envelope does not carry the proof of work of %d bits the deployment asks for", wire.WorkBits(len(f.Payload), c.s.cfg.WorkBits))))
		}
		// A fresh random handle per request, so that the party cannot tell
		// which requests share a connection (docs/relay.md, Routing).
		var hd relaywire.Handle
		rand.Read(hd[:])
		fwd := relaywire.Encode(&relaywire.Forward{Handle: hd, Payload: f.Payload})
		c.s.log.Debug("request", "conn", c.id, "party", f.Dest, "request", f.RequestID, "size", len(f.Payload))
		return c.s.hub.submit(hubMsg{op: opRequest, c: c, dest: f.Dest, handle: hd, reqID: f.RequestID, size: len(f.Payload), frame: fwd})
	case *relaywire.Reply:
		if c.role != roleParty {
			break
		}
		// The hub fills in the client's request id.
		resp := relaywire.Encode(&relaywire.Response{From: c.party, Payload: f.Payload})
		c.s.log.Debug("reply", "party", c.party, "size", len(f.Payload))
		return c.s.hub.submit(hubMsg{op: opReply, c: c, handle: f.Handle, size: len(f.Payload), frame: resp})
	}
	c.s.metrics.reject(rejBadFrame)
	return c.sendSelf(errorFrame(0, relaywire.CodeBadFrame, fmt.Sprintf("a %v may not send %v frames", c.role, f.Type())))
}

func (c *conn) sendSelf(frame []byte) bool {
	return c.s.hub.submit(hubMsg{op: opSend, c: c, frame: frame})
}

// writePump writes queued frames and pings until the hub closes send, then
// sends a close frame and closes the socket. Only the write pump writes to
// the socket once the pumps run, and only it closes the socket. After a
// failed write it closes the socket, which ends the read pump and so makes
// the hub close send, and discards what is still queued, so that queued
// always returns to 0.
func (c *conn) writePump() {
	ticker := time.NewTicker(pingPeriod(c.s.cfg.PongWait))
	defer func() {
		ticker.Stop()
		c.ws.Close()
	}()
	writeWait := c.s.cfg.WriteWait
	failed := false
	write := func(typ int, b []byte) {
		if failed {
			return
		}
		c.ws.SetWriteDeadline(time.Now().Add(writeWait))
		if err := c.ws.WriteMessage(typ, b); err != nil {
			failed = true
			c.ws.Close()
		}
	}
	for {
		select {
		case b, ok := <-c.send:
			if !ok {
				msg := c.closeMsg
				if msg == nil {
					msg = websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
				}
				write(websocket.CloseMessage, msg)
				return
			}
			write(websocket.BinaryMessage, b)
			c.queued.Add(-int64(len(b)))
			c.s.metrics.queued[c.role].Sub(float64(len(b)))
		case <-ticker.C:
			write(websocket.PingMessage, nil)
		}
	}
}
