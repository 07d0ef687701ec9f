package relay

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/gorilla/websocket"
	"github.com/safetrace/safetrace/wire/relaywire"
)

// hubOp is what a hubMsg asks the hub to do.
type hubOp int

const (
	opRegister   hubOp = iota // add c (a client, or a verified party) to the tables
	opUnregister              // c's read pump ended
	opRequest                 // client c sent a request; frame is the encoded Forward
	opReply                   // party c sent a reply; frame is the encoded Response
	opSend                    // queue frame on c itself (an Error)
	opClose                   // queue frame (if any) on c, then close it with closeMsg
	opTimeout                 // the request with handle has waited RequestTimeout
	opShutdown                // close every connection and stop
)

// hubMsg is one message to the hub. Read pumps build the encoded frames so
// the hub only routes.
type hubMsg struct {
	op       hubOp
	c        *conn
	dest     uint8            // opRequest: destination party
	handle   relaywire.Handle // opRequest: the handle in frame; opReply: the reply's; opTimeout
	reqID    uint64           // opRequest: the client's request id
	size     int              // payload size, for metrics
	frame    []byte           // the frame to send
	closeMsg []byte           // opClose: the close frame's body
}

// route is one request in flight: which client connection asked, under
// which request id, and which party has it.
type route struct {
	client *conn
	reqID  uint64
	party  *conn
	timer  *time.Timer // fires opTimeout
}

// hub owns the routing tables. Only its run goroutine touches them, the
// hub-owned fields of conn, and the send channels (which only it closes).
type hub struct {
	s       *Server
	in      chan hubMsg
	done    chan struct{} // closed when run returns
	clients map[uint64]*conn
	// parties holds each party's registered connections, oldest first:
	// one, or up to Config.PartyFrontEnds for a party with several front
	// ends.
	parties map[uint8][]*conn
	// routes maps the random handle of every forwarded request to its
	// asker. An entry lives until the reply, the timeout, or until either
	// side drops.
	routes map[relaywire.Handle]route
	turn   int // rotates the choice among a party's equally busy connections
}

func newHub(s *Server) *hub {
	return &hub{
		s:       s,
		in:      make(chan hubMsg, 1024),
		done:    make(chan struct{}),
		clients: make(map[uint64]*conn),
		parties: make(map[uint8][]*conn),
		routes:  make(map[relaywire.Handle]route),
	}
}

// submit hands m to the hub, and reports false if the hub has stopped.
func (h *hub) submit(m hubMsg) bool {
	select {
	case h.in <- m:
		return true
	case <-h.done:
		return false
	}
}

func (h *hub) run() {
	defer close(h.done)
	for m := range h.in {
		switch m.op {
		case opRegister:
			h.register(m.c)
		case opUnregister:
			h.drop(m.c, nil)
		case opRequest:
			h.request(m)
		case opReply:
			h.reply(m)
		case opTimeout:
			h.timeout(m.handle)
		case opSend:
			h.send(m.c, m.frame)
		case opClose:
			if !m.c.dropped {
				if m.frame != nil {
					h.send(m.c, m.frame)
				}
				h.drop(m.c, m.closeMsg)
			}
		case opShutdown:
			bye := websocket.FormatCloseMessage(websocket.CloseGoingAway, "relay shutting down")
			for _, c := range h.clients {
				h.drop(c, bye)
			}
			for _, cs := range h.parties {
				for _, c := range slices.Clone(cs) {
					h.drop(c, bye)
				}
			}
			return
		}
	}
}

func (h *hub) register(c *conn) {
	if c.role == roleClient {
		c.outstanding = make(map[uint64]relaywire.Handle)
		h.clients[c.id] = c
		return
	}
	c.pending = make(map[relaywire.Handle]struct{})
	// A party has PartyFrontEnds connections at most: a newer one
	// replaces the oldest (with one, a reconnection replaces the old).
	for cs := h.parties[c.party]; len(cs) >= h.s.cfg.PartyFrontEnds; cs = h.parties[c.party] {
		old := cs[0]
		h.s.log.Info("party re-registered, closing its old connection", "party", c.party, "old_conn", old.id, "conn", c.id)
		h.send(old, errorFrame(0, relaywire.CodeReplaced, "a newer connection of this party replaced this one"))
		h.drop(old, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "replaced"))
	}
	h.parties[c.party] = append(h.parties[c.party], c)
	h.send(c, relaywire.Encode(&relaywire.Welcome{}))
}

// drop removes c from the tables and closes its send channel, so that its
// write pump sends closeMsg (or a normal close) and closes the socket. It
// fails the requests in flight to a party and forgets those of a client.
func (h *hub) drop(c *conn, closeMsg []byte) {
	if c.dropped {
		return
	}
	c.dropped = true
	c.closeMsg = closeMsg
	close(c.send)
	if c.role == roleClient {
		delete(h.clients, c.id)
		for _, hd := range c.outstanding {
			h.forget(hd)
		}
		return
	}
	if cs := slices.DeleteFunc(h.parties[c.party], func(x *conn) bool { return x == c }); len(cs) > 0 {
		h.parties[c.party] = cs
	} else {
		delete(h.parties, c.party)
	}
	msg := fmt.Sprintf("party %d disconnected before answering", c.party)
	for hd := range c.pending {
		r := h.forget(hd)
		h.send(r.client, errorFrame(r.reqID, relaywire.CodePartyGone, msg))
	}
}

// forget removes the request with handle hd from the tables and stops its
// timer, and returns its route.
func (h *hub) forget(hd relaywire.Handle) route {
	r := h.routes[hd]
	delete(h.routes, hd)
	delete(r.party.pending, hd)
	delete(r.client.outstanding, r.reqID)
	r.timer.Stop()
	return r
}

// enqueue queues frame for c if c's send queue has room for it, by count
// and by bytes, and reports whether it did.
func (h *hub) enqueue(c *conn, frame []byte) bool {
	n := int64(len(frame))
	if c.queued.Load()+n > c.queueLimit {
		return false
	}
	// Only the hub adds to queued and the write pump only subtracts, so
	// the check above still holds here.
	select {
	case c.send <- frame:
	default:
		return false
	}
	if q := c.queued.Add(n); q > h.s.peakQueued[c.role].Load() {
		h.s.peakQueued[c.role].Store(q)
	}
	h.s.metrics.queued[c.role].Add(float64(n))
	return true
}

// send queues frame for c; a connection whose queue is full is dropped.
func (h *hub) send(c *conn, frame []byte) bool {
	if c.dropped {
		return false
	}
	if h.enqueue(c, frame) {
		return true
	}
	h.s.metrics.reject(rejSlowConsumer)
	h.s.log.Info("dropping slow connection", "role", c.role, "conn", c.id, "queued_bytes", c.queued.Load())
	h.drop(c, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "send buffer full"))
	return false
}

func (h *hub) request(m hubMsg) {
	c := m.c
	if c.dropped {
		return
	}
	fail := func(r reason, code relaywire.Code, msg string) {
		h.s.metrics.reject(r)
		h.send(c, errorFrame(m.reqID, code, msg))
	}
	if _, dup := c.outstanding[m.reqID]; dup {
		fail(rejDuplicate, relaywire.CodeDuplicateRequest, fmt.Sprintf("request %d already in flight", m.reqID))
		return
	}
	if len(c.outstanding) >= h.s.cfg.MaxInFlight {
		fail(rejInFlight, relaywire.CodeTooManyInFlight, fmt.Sprintf("more than %d requests in flight", h.s.cfg.MaxInFlight))
		return
	}
	// Of a party's connections, the one with the fewest requests in
	// flight; equals take turns.
	var p *conn
	cs := h.parties[m.dest]
	h.turn++
	for i := range cs {
		c := cs[(h.turn+i)%len(cs)]
		if p == nil || len(c.pending) < len(p.pending) {
			p = c
		}
	}
	if p == nil {
		fail(rejPartyNotConnected, relaywire.CodePartyNotConnected, fmt.Sprintf("party %d not connected", m.dest))
		return
	}
	hd := m.handle
	for _, taken := h.routes[hd]; taken; _, taken = h.routes[hd] {
		// 128 random bits do not collide in practice; if they ever do,
		// draw again rather than misroute a reply.
		rand.Read(hd[:])
		setForwardHandle(m.frame, hd)
	}
	if !h.enqueue(p, m.frame) {
		// Refuse the request rather than drop the party: see the package doc.
		fail(rejPartyBusy, relaywire.CodePartyBusy, fmt.Sprintf("party %d busy: its send queue is full (%d bytes or %d frames)", m.dest, p.queueLimit, cap(p.send)))
		return
	}
	c.outstanding[m.reqID] = hd
	p.pending[hd] = struct{}{}
	h.routes[hd] = route{client: c, reqID: m.reqID, party: p,
		timer: time.AfterFunc(h.s.cfg.RequestTimeout, func() { h.submit(hubMsg{op: opTimeout, handle: hd}) })}
	h.s.metrics.frames[roleParty].Inc()
	h.s.metrics.bytes[roleParty].Add(float64(m.size))
}

func (h *hub) reply(m hubMsg) {
	p := m.c
	r, ok := h.routes[m.handle]
	if !ok || r.party != p || p.dropped {
		// Unknown, closed or already answered: a party may answer only
		// requests the relay forwarded to it, once.
		h.s.metrics.reject(rejUnknownReply)
		return
	}
	h.forget(m.handle)
	setResponseRequestID(m.frame, r.reqID)
	if h.send(r.client, m.frame) {
		h.s.metrics.frames[roleClient].Inc()
		h.s.metrics.bytes[roleClient].Add(float64(m.size))
	}
}

// timeout fails the request with handle hd if it is still unanswered.
func (h *hub) timeout(hd relaywire.Handle) {
	if _, ok := h.routes[hd]; !ok {
		return // answered, or a side dropped, as the timer fired
	}
	r := h.forget(hd)
	h.s.metrics.reject(rejTimeout)
	h.s.log.Info("request timed out", "party", r.party.party, "conn", r.client.id, "after", h.s.cfg.RequestTimeout)
	h.send(r.client, errorFrame(r.reqID, relaywire.CodeTimeout, fmt.Sprintf("party %d did not answer within %v", r.party.party, h.s.cfg.RequestTimeout)))
}

func errorFrame(reqID uint64, code relaywire.Code, msg string) []byte {
	return relaywire.Encode(&relaywire.Error{RequestID: reqID, Code: code, Message: msg})
}

// The read pumps encode Forward and Response frames, so that the hub does
// not copy payloads; the hub then writes the fields only it knows in place.
// The offsets are those of docs/relay.md: version, type, then the body.
const (
	forwardHandleOffset     = 2 // Forward: handle (16) · payload
	responseRequestIDOffset = 3 // Response: from party (1) · request id (8) · payload
)

func setForwardHandle(frame []byte, hd relaywire.Handle) {
	copy(frame[forwardHandleOffset:], hd[:])
}

func setResponseRequestID(frame []byte, id uint64) {
	binary.BigEndian.PutUint64(frame[responseRequestIDOffset:], id)
}
