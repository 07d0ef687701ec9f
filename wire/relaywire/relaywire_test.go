package relaywire

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func validFrames() []Frame {
	var nonce [32]byte
	for i := range nonce {
		nonce[i] = byte(i)
	}
	return []Frame{
		&Request{Dest: 1, RequestID: 7, Payload: []byte("sealed")},
		&Request{Dest: 255, RequestID: 1<<64 - 1, Payload: []byte{}},
		&Forward{Handle: Handle{3, 7, 15: 0xff}, Payload: []byte("sealed")},
		&Reply{Handle: Handle{3, 7, 15: 0xff}, Payload: []byte("answer")},
		&Response{From: 2, RequestID: 7, Payload: []byte("answer")},
		&Error{RequestID: 7, Code: CodePartyNotConnected, Message: "party 2 not connected"},
		&Error{RequestID: 0, Code: CodeVersion, Message: ""},
		&Challenge{Nonce: nonce, Name: "wss://relay.example/"},
		&Hello{Party: 3, Signature: [64]byte{1, 2, 3}},
		&Welcome{},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, f := range validFrames() {
		b := Encode(f)
		g, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(%#v)): %v", f, err)
		}
		if g.Type() != f.Type() {
			t.Fatalf("type %v, want %v", g.Type(), f.Type())
		}
		if b2 := Encode(g); !bytes.Equal(b, b2) {
			t.Fatalf("%v: re-encoding differs:\n%x\n%x", f.Type(), b, b2)
		}
		if fmt.Sprint(f) != fmt.Sprint(g) && f.Type() != TypeRequest {
			// Empty and nil payloads print differently; bytes were checked.
			t.Logf("%v: %v != %v", f.Type(), f, g)
		}
	}
}

func TestKnownEncoding(t *testing.T) {
	got := Encode(&Request{Dest: 2, RequestID: 0x0102030405060708, Payload: []byte("hi")})
	want := []byte{1, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2, 'h', 'i'}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
	// A Forward's 16-byte handle sits where earlier relays put a connection
	// id and a request id: the layout is unchanged.
	got = Encode(&Forward{Handle: Handle{0: 0xaa, 15: 0xbb}, Payload: []byte("hi")})
	want = []byte{1, 2, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbb, 0, 0, 0, 2, 'h', 'i'}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
	got = Encode(&Error{RequestID: 9, Code: CodePartyNotConnected, Message: "no"})
	want = []byte{1, 5, 0, 0, 0, 0, 0, 0, 0, 9, 0, 4, 0, 2, 'n', 'o'}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

func TestDecodeInvalid(t *testing.T) {
	valid := Encode(&Request{Dest: 1, RequestID: 1, Payload: []byte("abc")})
	tests := []struct {
		name string
		b    []byte
	}{
		// Framing.
		{"empty", nil},
		{"version only", []byte{1}},
		{"unknown type", []byte{1, 99}},
		{"type zero", []byte{1, 0}},
		// Lengths.
		{"truncated request", valid[:len(valid)-1]},
		{"trailing byte", append(bytes.Clone(valid), 0)},
		{"short header", valid[:10]},
		{"payload too large", append([]byte{1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0x10, 0, 1)},
		{"hello short", append([]byte{1, 7, 1}, make([]byte, 63)...)},
		{"hello long", append([]byte{1, 7, 1}, make([]byte, 65)...)},
		{"welcome trailing", []byte{1, 8, 0}},
		{"challenge short", append([]byte{1, 6}, make([]byte, 33)...)},
		{"text length mismatch", []byte{1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 'a'}},
		// Values.
		{"request to party 0", []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}},
		{"response from party 0", []byte{1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}},
		{"hello from party 0", append([]byte{1, 7, 0}, make([]byte, 64)...)},
		{"error code 0", []byte{1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"error not UTF-8", []byte{1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0xff}},
	}
	for _, tt := range tests {
		f, err := Decode(tt.b)
		if err == nil {
			t.Errorf("%s: Decode accepted %#v", tt.name, f)
		} else if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v does not wrap ErrMalformed", tt.name, err)
		}
	}
}

func TestDecodeVersion(t *testing.T) {
	b := Encode(&Welcome{})
	b[0] = 2
	_, err := Decode(b)
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != 2 {
		t.Fatalf("got %v, want VersionError for version 2", err)
	}
	if !strings.Contains(err.Error(), "unsupported frame version 2") {
		t.Fatalf("unclear error %q", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, f := range []Frame{
		&Request{Dest: 0},
		&Response{From: 0},
		&Hello{Party: 0},
		&Error{Code: 0},
		&Error{Code: 1, Message: strings.Repeat("x", MaxText+1)},
		&Error{Code: 1, Message: "\xff"},
		&Forward{Payload: make([]byte, MaxPayload+1)},
	} {
		if _, err := f.AppendBinary(nil); err == nil {
			t.Errorf("%#v encoded", f)
		}
	}
	// The largest frame is exactly MaxFrameSize.
	if n := len(Encode(&Forward{Payload: make([]byte, MaxPayload)})); n != MaxFrameSize {
		t.Errorf("largest frame has %d bytes, MaxFrameSize is %d", n, MaxFrameSize)
	}
}

func TestHello(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	c := &Challenge{Nonce: [32]byte{9}, Name: "ws://relay"}
	hash := []byte("manifest hash")
	h := SignHello(priv, 2, c, hash)
	if !VerifyHello(pub, h, c.Name, c.Nonce, hash) {
		t.Fatal("valid hello rejected")
	}
	if VerifyHello(pub, h, "ws://other", c.Nonce, hash) {
		t.Error("hello for another relay accepted")
	}
	if VerifyHello(pub, h, c.Name, [32]byte{8}, hash) {
		t.Error("replayed hello accepted under a new nonce")
	}
	if VerifyHello(pub, h, c.Name, c.Nonce, []byte("other manifest")) {
		t.Error("hello for another manifest accepted")
	}
	h2 := *h
	h2.Party = 3
	if VerifyHello(pub, &h2, c.Name, c.Nonce, hash) {
		t.Error("hello accepted for another party id")
	}
	if VerifyHello(pub[:10], h, c.Name, c.Nonce, hash) {
		t.Error("short key accepted")
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, fr := range validFrames() {
		f.Add(Encode(fr))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := Decode(b)
		if err != nil {
			return
		}
		out, err := fr.AppendBinary(nil)
		if err != nil {
			t.Fatalf("decoded frame does not encode: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip differs:\n in %x\nout %x", b, out)
		}
	})
}

func ExampleDecode() {
	b := Encode(&Request{Dest: 2, RequestID: 1, Payload: []byte("sealed bytes")})
	f, err := Decode(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := f.(*Request)
	fmt.Println(r.Dest, r.RequestID, len(r.Payload))

	b[0] = 9 // a future version
	_, err = Decode(b)
	fmt.Println(err)
	// Output:
	// 2 1 12
	// relaywire: unsupported frame version 9 (want 1)
}
