package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"time"
)

const (
	// readBufSize and writeBufSize size the buffers between the framing
	// and TLS. Large buffers let small messages go out in one record and
	// one system call; large messages bypass them.
	readBufSize  = 1 << 20
	writeBufSize = 1 << 18
	// writeChunk is the most written under one write deadline, so that a
	// huge message is cut off only when the peer stops accepting data for
	// a whole timeout, not when it is merely slow.
	writeChunk = 4 << 20
	// recvQueue is the number of whole messages read ahead from one peer
	// before its reader stops reading and TCP pushes back on the sender.
	recvQueue = 8
	// frameHeader is the size of the big-endian length before each frame.
	frameHeader = 8
	// frameChunk is the largest frame: a longer message goes out as several
	// frames, each but the last with frameMore set in its length, so no
	// frame size bounds a message and a receiver allocates only as data
	// arrives.
	frameChunk = 64 << 20
	frameMore  = 1 << 63
)

// link is the connection with one peer. One reader goroutine moves whole
// messages into queue, so that a party reads from all peers at once however
// the caller orders its Recv calls; writes are serialized by wmu.
type link struct {
	self, peer int
	conn       net.Conn
	timeout    time.Duration
	maxMessage int

	wmu  sync.Mutex
	w    *bufio.Writer
	dw   *deadlineWriter
	hdr  [frameHeader]byte
	werr error // sticky write failure, under wmu

	queue chan []byte
	dead  chan struct{} // closed when the reader stops
	err   error         // why the reader stopped; read after dead is closed
	timer *time.Timer   // reused by Recv, which does not overlap with itself

	closing chan struct{} // closed by close
	once    sync.Once
}

func newLink(self, peer int, conn net.Conn, br *bufio.Reader, timeout time.Duration, maxMessage int) *link {
	l := &link{
		self: self, peer: peer, conn: conn,
		timeout: timeout, maxMessage: maxMessage,
		queue:   make(chan []byte, recvQueue),
		dead:    make(chan struct{}),
		closing: make(chan struct{}),
		timer:   time.NewTimer(time.Hour),
	}
	l.timer.Stop()
	l.dw = &deadlineWriter{conn: conn, timeout: timeout}
	l.w = bufio.NewWriterSize(l.dw, writeBufSize)
	go l.readLoop(br)
	return l
}

func (l *link) readLoop(br *bufio.Reader) {
	defer close(l.dead)
	var hdr [frameHeader]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			l.err = err
			return
		}
		n := binary.BigEndian.Uint64(hdr[:])
		more := n&frameMore != 0
		n &^= frameMore
		if n > frameChunk || (n == 0 && more) {
			l.err = fmt.Errorf("frame of %d bytes (more %v) is not a valid frame", n, more)
			l.conn.Close()
			return
		}
		var msg []byte
		for {
			if uint64(len(msg))+n > uint64(l.maxMessage) {
				l.err = fmt.Errorf("message of more than %d bytes exceeds the limit of %d", uint64(len(msg))+n, l.maxMessage)
				l.conn.Close()
				return
			}
			start := len(msg)
			msg = slices.Grow(msg, int(n))[:start+int(n)]
			if _, err := io.ReadFull(br, msg[start:]); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				l.err = err
				return
			}
			if !more {
				break
			}
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				l.err = err
				return
			}
			n = binary.BigEndian.Uint64(hdr[:])
			more = n&frameMore != 0
			n &^= frameMore
			if n > frameChunk || (n == 0 && more) {
				l.err = fmt.Errorf("frame of %d bytes (more %v) is not a valid frame", n, more)
				l.conn.Close()
				return
			}
		}
		if msg == nil {
			msg = []byte{}
		}
		select {
		case l.queue <- msg:
		case <-l.closing:
			l.err = net.ErrClosed
			return
		}
	}
}

// failure converts the reader's failure into the error for Recv or Send.
func (l *link) failure(send bool) error {
	wrap := recvError
	if send {
		wrap = sendError
	}
	select {
	case <-l.closing:
		return wrap(l.self, l.peer, net.ErrClosed, nil)
	default:
	}
	return wrap(l.self, l.peer, ErrPeerGone, l.err)
}

func (l *link) recv(ctx context.Context) ([]byte, error) {
	select {
	case m := <-l.queue:
		return m, nil
	default:
	}
	select {
	case <-l.closing:
		return nil, recvError(l.self, l.peer, net.ErrClosed, nil)
	default:
	}
	l.timer.Reset(l.timeout)
	defer l.timer.Stop()
	select {
	case m := <-l.queue:
		return m, nil
	case <-l.dead:
		// Deliver what the peer sent before it left.
		select {
		case m := <-l.queue:
			return m, nil
		default:
			return nil, l.failure(false)
		}
	case <-ctx.Done():
		return nil, recvError(l.self, l.peer, ctx.Err(), nil)
	case <-l.timer.C:
		return nil, recvError(l.self, l.peer, ErrTimeout, fmt.Errorf("nothing within %v", l.timeout))
	}
}

func (l *link) send(ctx context.Context, msg []byte) error {
	if len(msg) > l.maxMessage {
		return fmt.Errorf("transport: party %d: send to party %d: message of %d bytes exceeds the limit of %d", l.self, l.peer, len(msg), l.maxMessage)
	}
	select {
	case <-l.closing:
		return sendError(l.self, l.peer, net.ErrClosed, nil)
	case <-l.dead:
		return l.failure(true)
	default:
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.werr != nil {
		return l.werr
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, l.dw.cancel)
	}
	var err error
	for rest := msg; err == nil; {
		n := min(len(rest), frameChunk)
		h := uint64(n)
		if n < len(rest) {
			h |= frameMore
		}
		binary.BigEndian.PutUint64(l.hdr[:], h)
		if _, err = l.w.Write(l.hdr[:]); err == nil {
			_, err = l.w.Write(rest[:n])
		}
		if rest = rest[n:]; len(rest) == 0 {
			break
		}
	}
	if err == nil {
		err = l.w.Flush()
	}
	if stop != nil && !stop() {
		// The cancellation fired; it may or may not have cut the write.
		l.dw.uncancel()
		if err != nil {
			err = ctx.Err()
		}
	}
	if err == nil {
		return nil
	}
	// A partly written frame cannot be resumed: the link is broken.
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		l.werr = sendError(l.self, l.peer, err, errors.New("link abandoned mid-message"))
	case errors.Is(err, os.ErrDeadlineExceeded):
		l.werr = sendError(l.self, l.peer, ErrTimeout, fmt.Errorf("peer accepted no data for %v", l.timeout))
	default:
		select {
		case <-l.closing:
			return sendError(l.self, l.peer, net.ErrClosed, nil)
		default:
		}
		l.werr = sendError(l.self, l.peer, ErrPeerGone, err)
	}
	l.conn.Close()
	return l.werr
}

func (l *link) close() error {
	var err error
	l.once.Do(func() {
		close(l.closing)
		err = l.conn.Close()
	})
	return err
}

// deadlineWriter writes to conn in chunks, each under a fresh write deadline,
// and can be cancelled from another goroutine.
type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration

	mu        sync.Mutex
	cancelled bool
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		d.mu.Lock()
		if d.cancelled {
			d.mu.Unlock()
			return n, context.Canceled
		}
		d.conn.SetWriteDeadline(time.Now().Add(d.timeout))
		d.mu.Unlock()
		end := min(len(p), n+writeChunk)
		m, err := d.conn.Write(p[n:end])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (d *deadlineWriter) cancel() {
	d.mu.Lock()
	d.cancelled = true
	d.conn.SetWriteDeadline(time.Unix(1, 0))
	d.mu.Unlock()
}

func (d *deadlineWriter) uncancel() {
	d.mu.Lock()
	d.cancelled = false
	d.mu.Unlock()
}

// fast returns the connection TLS runs over.
func fast(c net.Conn) net.Conn { return c }
