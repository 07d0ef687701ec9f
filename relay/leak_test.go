package relay_test

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/safetrace/safetrace/relay"
	"github.com/safetrace/safetrace/wire/relaywire"
)

// TestLeakRelayRequestHandles plays the curious party: it records the
// handles of the requests forwarded to it from two client connections and
// checks that it cannot link the requests of one connection, while every
// reply still reaches the right asker.
func TestLeakRelayRequestHandles(t *testing.T) {
	const perConn = 8
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{})
	party := registerRaw(t, r, k, 1)
	clients := []*websocket.Conn{dialRaw(t, r.URL+"/client", nil), dialRaw(t, r.URL+"/client", nil)}

	type seen struct {
		conn   int
		handle relaywire.Handle
		fwd    *relaywire.Forward
	}
	var got []seen
	for c, ws := range clients {
		for i := range perConn {
			payload := fmt.Sprintf("%s conn %d request %d", marker, c, i+1)
			writeFrame(t, ws, &relaywire.Request{Dest: 1, RequestID: uint64(i + 1), Payload: []byte(payload)})
			fwd := readFrame(t, party).(*relaywire.Forward)
			if string(fwd.Payload) != payload {
				t.Fatalf("forwarded %q, want %q", fwd.Payload, payload)
			}
			got = append(got, seen{c, fwd.Handle, fwd})
		}
	}

	for i, a := range got {
		for _, b := range got[i+1:] {
			if a.handle == b.handle {
				t.Fatalf("handle %x used twice", a.handle)
			}
			// Random 128-bit handles differ in about 64 bits; sequence
			// numbers or a shared connection id differ in a few.
			if d := hamming(a.handle, b.handle); d < 32 {
				t.Errorf("handles %x and %x differ in only %d bits", a.handle, b.handle, d)
			}
		}
	}
	// Neither half counts: successive handles of one connection are not
	// close as numbers.
	for i := 1; i < len(got); i++ {
		if got[i].conn != got[i-1].conn {
			continue
		}
		for off := 0; off < relaywire.HandleSize; off += 8 {
			x := binary.BigEndian.Uint64(got[i-1].handle[off:])
			y := binary.BigEndian.Uint64(got[i].handle[off:])
			if d := max(x, y) - min(x, y); d < 1<<32 {
				t.Errorf("successive handles %x, %x are %d apart at offset %d", got[i-1].handle, got[i].handle, d, off)
			}
		}
	}
	// No byte of the handle is constant over one connection's requests,
	// as a connection id was: nothing tells the two connections apart.
	for c := range clients {
		for off := range relaywire.HandleSize {
			constant := true
			var first byte
			n := 0
			for _, s := range got {
				if s.conn != c {
					continue
				}
				if n == 0 {
					first = s.handle[off]
				}
				constant = constant && s.handle[off] == first
				n++
			}
			if constant {
				t.Errorf("byte %d of the handle is %#x in all of connection %d's requests", off, first, c)
			}
		}
	}

	// Replies, in reverse order, reach the asker with its request ids.
	for i := len(got) - 1; i >= 0; i-- {
		s := got[i]
		writeFrame(t, party, &relaywire.Reply{Handle: s.handle, Payload: append([]byte("re: "), s.fwd.Payload...)})
	}
	for c, ws := range clients {
		for i := perConn; i >= 1; i-- {
			resp := readFrame(t, ws).(*relaywire.Response)
			want := fmt.Sprintf("re: %s conn %d request %d", marker, c, i)
			if resp.From != 1 || resp.RequestID != uint64(i) || string(resp.Payload) != want {
				t.Fatalf("connection %d got request %d %q, want request %d %q", c, resp.RequestID, resp.Payload, i, want)
			}
		}
	}
	// Answered handles are forgotten.
	writeFrame(t, party, &relaywire.Reply{Handle: got[0].handle, Payload: []byte("again")})
	if f, err := tryReadFrame(clients[0], 200*time.Millisecond); err == nil {
		t.Fatalf("a second reply to one handle was delivered: %#v", f)
	}
}

func hamming(a, b relaywire.Handle) int {
	n := 0
	for i := range a {
		n += bits.OnesCount8(a[i] ^ b[i])
	}
	return n
}
