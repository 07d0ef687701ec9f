//go:build js && wasm

package relayclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
)

// BrowserDialer dials relays with the browser's WebSocket. It is the default
// Dialer under GOOS=js. The browser sends the page's Origin, which the relay
// checks against its allow-list.
type BrowserDialer struct{}

func defaultDialer() Dialer { return BrowserDialer{} }

// Dial implements Dialer.
func (BrowserDialer) Dial(ctx context.Context, url string) (mc MsgConn, err error) {
	defer func() {
		if r := recover(); r != nil { // a JS exception, e.g. a malformed URL
			mc, err = nil, fmt.Errorf("relay: dial %s: %v", url, r)
		}
	}()
	ctor := js.Global().Get("WebSocket")
	if ctor.IsUndefined() {
		return nil, errors.New("relay: this JavaScript environment has no WebSocket")
	}
	c := &jsConn{ws: ctor.New(url), notify: make(chan struct{}, 1), opened: make(chan struct{})}
	c.ws.Set("binaryType", "arraybuffer")
	c.funcs = []js.Func{
		js.FuncOf(func(js.Value, []js.Value) any { close(c.opened); return nil }),
		js.FuncOf(func(_ js.Value, args []js.Value) any { c.onMessage(args[0]); return nil }),
		js.FuncOf(func(_ js.Value, args []js.Value) any { c.onClose(args[0]); return nil }),
	}
	c.ws.Set("onopen", c.funcs[0])
	c.ws.Set("onmessage", c.funcs[1])
	c.ws.Set("onclose", c.funcs[2]) // also follows every error event
	select {
	case <-c.opened:
		return c, nil
	case <-c.notify:
		err := c.err
		c.Close()
		return nil, fmt.Errorf("relay: dial %s: %w", url, err)
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
}

// jsConn adapts a browser WebSocket to MsgConn. Callbacks never block: they
// append to an unbounded queue and signal notify.
type jsConn struct {
	ws     js.Value
	funcs  []js.Func
	opened chan struct{}
	notify chan struct{} // capacity 1: "something changed"

	mu     sync.Mutex
	queue  [][]byte
	err    error // set once closed
	closed bool
}

func (c *jsConn) signal() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *jsConn) onMessage(ev js.Value) {
	data := ev.Get("data")
	if data.Type() == js.TypeString {
		return // text messages are not part of the protocol
	}
	u8 := js.Global().Get("Uint8Array").New(data)
	b := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(b, u8)
	c.mu.Lock()
	c.queue = append(c.queue, b)
	c.mu.Unlock()
	c.signal()
}

func (c *jsConn) onClose(ev js.Value) {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		c.err = fmt.Errorf("websocket closed (code %d %s)", ev.Get("code").Int(), ev.Get("reason").String())
	}
	c.mu.Unlock()
	c.signal()
	for _, f := range c.funcs {
		f.Release()
	}
}

func (c *jsConn) ReadMessage(ctx context.Context) ([]byte, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			b := c.queue[0]
			c.queue = c.queue[1:]
			more := len(c.queue) > 0
			c.mu.Unlock()
			if more {
				c.signal()
			}
			return b, nil
		}
		if c.closed {
			err := c.err
			c.mu.Unlock()
			c.signal() // wake other waiters
			return nil, err
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (c *jsConn) WriteMessage(_ context.Context, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("relay: websocket send: %v", r)
		}
	}()
	if c.ws.Get("readyState").Int() != 1 { // OPEN
		return errors.New("relay: websocket is not open")
	}
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	c.ws.Call("send", u8)
	return nil
}

func (c *jsConn) Close() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("relay: websocket close: %v", r)
		}
	}()
	c.mu.Lock()
	if !c.closed {
		c.closed, c.err = true, errors.New("websocket closed")
	}
	c.mu.Unlock()
	c.signal()
	c.ws.Call("close", 1000)
	return nil
}
