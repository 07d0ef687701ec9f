// Package relaywire implements the binary frame format spoken between
// SafeTrace clients, relays and party servers. Each frame travels in one
// WebSocket binary message; docs/relay.md describes the format byte by byte.
//
// A frame is a version byte ([Version]), a type byte ([Type]) and a body whose
// layout the type fixes. Decoding is strict: every length is exact, no
// trailing bytes are accepted, payloads are at most [MaxPayload] bytes, and
// for every frame f that [Decode] accepts, encoding f gives back the very
// bytes that were decoded. Frames of an unknown version are rejected with a
// [*VersionError] so a relay can answer with a clear [Error] frame.
//
// Use [Decode] to parse a message and [Frame.AppendBinary] (or [Encode]) to
// build one. [HelloMessage] defines the bytes a party signs to prove its key
// to a relay.
//
// Warning: payloads are opaque. The relay neither reads nor checks them; the
// client seals each payload to the destination party (HPKE, RFC 9180) before
// it reaches this package, and nothing here provides confidentiality or
// integrity for them.
package relaywire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Version is the only frame format version this package speaks. It is the
// first byte of every frame.
const Version = 1

// MaxPayload is the largest payload, in bytes, a frame may carry.
const MaxPayload = 1 << 20

// MaxText is the largest Error message or Challenge name, in bytes.
const MaxText = 1024

// MaxFrameSize is the size of the largest valid frame: the largest header
// (Forward and Reply) followed by a payload of MaxPayload bytes.
const MaxFrameSize = 2 + HandleSize + 4 + MaxPayload

// Type says which frame follows the version byte.
type Type uint8

// The frame types. Request and Response travel between a client and a
// relay; Forward and Reply between a relay and a party; Challenge, Hello and
// Welcome register a party with a relay; Error goes from a relay to either.
const (
	TypeRequest   Type = 1 // client -> relay
	TypeForward   Type = 2 // relay -> party
	TypeReply     Type = 3 // party -> relay
	TypeResponse  Type = 4 // relay -> client
	TypeError     Type = 5 // relay -> client or party
	TypeChallenge Type = 6 // relay -> party, first frame on a party connection
	TypeHello     Type = 7 // party -> relay, answers the Challenge
	TypeWelcome   Type = 8 // relay -> party, the Hello was accepted
)

func (t Type) String() string {
	switch t {
	case TypeRequest:
		return "request"
	case TypeForward:
		return "forward"
	case TypeReply:
		return "reply"
	case TypeResponse:
		return "response"
	case TypeError:
		return "error"
	case TypeChallenge:
		return "challenge"
	case TypeHello:
		return "hello"
	case TypeWelcome:
		return "welcome"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// A Frame is one decoded message: a *Request, *Forward, *Reply, *Response,
// *Error, *Challenge, *Hello or *Welcome.
type Frame interface {
	// Type returns the frame's type byte.
	Type() Type
	// AppendBinary appends the encoded frame, version byte first, to b. It
	// fails only for frames that Decode would reject (oversized payloads,
	// zero party ids, overlong text).
	AppendBinary(b []byte) ([]byte, error)
}

// Request asks the relay to forward Payload to party Dest. RequestID is
// chosen by the client and echoed in the Response or Error.
type Request struct {
	Dest      uint8 // party id, 1..255
	RequestID uint64
	Payload   []byte // sealed to party Dest; opaque to the relay
}

// HandleSize is the size of a Handle in bytes.
const HandleSize = 16

// Handle names one forwarded request between a relay and a party. A relay
// draws a fresh random Handle for every request it forwards, so a party
// cannot tell which requests came over the same client connection; the party
// echoes the Handle, unchanged, in its Reply. To a party a Handle is opaque.
//
// The 16 bytes take the place of the connection id (8) and request id (8)
// of earlier relays, so the frame layout is unchanged.
type Handle [HandleSize]byte

// Forward carries a client's Request to the party. Handle is the relay's
// name for this one request; the party echoes it in its Reply.
type Forward struct {
	Handle  Handle
	Payload []byte
}

// Reply is a party's answer to the Forward with the same Handle.
type Reply struct {
	Handle  Handle
	Payload []byte
}

// Response delivers party From's Reply to the client that sent the Request.
type Response struct {
	From      uint8 // party id, 1..255
	RequestID uint64
	Payload   []byte
}

// Error reports why a request, or the connection when RequestID is 0,
// failed. Message is UTF-8 text for people, at most MaxText bytes; Code is
// for programs.
type Error struct {
	RequestID uint64
	Code      Code
	Message   string
}

// Challenge is the relay's first frame to a party: a fresh random Nonce and
// the Name the relay advertises (the URL parties dial).
type Challenge struct {
	Nonce [32]byte
	Name  string // at most MaxText bytes
}

// Hello answers a Challenge: party Party's Ed25519 signature over
// HelloMessage(Party, relay name, nonce, manifest hash).
type Hello struct {
	Party     uint8 // 1..255
	Signature [64]byte
}

// Welcome tells a party that its Hello was accepted. It has no body.
type Welcome struct{}

func (*Request) Type() Type   { return TypeRequest }
func (*Forward) Type() Type   { return TypeForward }
func (*Reply) Type() Type     { return TypeReply }
func (*Response) Type() Type  { return TypeResponse }
func (*Error) Type() Type     { return TypeError }
func (*Challenge) Type() Type { return TypeChallenge }
func (*Hello) Type() Type     { return TypeHello }
func (*Welcome) Type() Type   { return TypeWelcome }

// ErrMalformed is wrapped by every error Decode returns for a frame of the
// right version that is not well formed.
var ErrMalformed = errors.New("relaywire: malformed frame")

// VersionError is returned by Decode for a frame whose version byte is not
// Version.
type VersionError struct {
	Version uint8
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("relaywire: unsupported frame version %d (want %d)", e.Version, Version)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Encode returns the encoding of f. It panics if f cannot be encoded (see
// Frame.AppendBinary); frames built by a program with valid fields never do.
func Encode(f Frame) []byte {
	b, err := f.AppendBinary(nil)
	if err != nil {
		panic(err)
	}
	return b
}

// Decode parses one frame. Payload, Name and Message fields of the result
// alias b for payloads and are copied for strings: b must not be modified
// while the frame is in use.
func Decode(b []byte) (Frame, error) {
	if len(b) < 1 {
		return nil, malformed("empty message")
	}
	if b[0] != Version {
		return nil, &VersionError{Version: b[0]}
	}
	if len(b) < 2 {
		return nil, malformed("no type byte")
	}
	t, body := Type(b[1]), b[2:]
	switch t {
	case TypeRequest, TypeResponse:
		if len(body) < 1+8+4 {
			return nil, malformed("short %v", t)
		}
		party, id := body[0], binary.BigEndian.Uint64(body[1:])
		if party == 0 {
			return nil, malformed("party id 0")
		}
		p, err := payload(body[9:])
		if t == TypeRequest {
			return &Request{Dest: party, RequestID: id, Payload: p}, err
		}
		return &Response{From: party, RequestID: id, Payload: p}, err
	case TypeForward, TypeReply:
		if len(body) < HandleSize+4 {
			return nil, malformed("short %v", t)
		}
		h := Handle(body[:HandleSize])
		p, err := payload(body[HandleSize:])
		if err != nil {
			return nil, err
		}
		if t == TypeForward {
			return &Forward{Handle: h, Payload: p}, nil
		}
		return &Reply{Handle: h, Payload: p}, nil
	case TypeError:
		if len(body) < 8+2+2 {
			return nil, malformed("short error")
		}
		f := &Error{RequestID: binary.BigEndian.Uint64(body), Code: Code(binary.BigEndian.Uint16(body[8:]))}
		if f.Code == 0 {
			return nil, malformed("error code 0")
		}
		s, err := text(body[10:])
		f.Message = s
		return f, err
	case TypeChallenge:
		if len(body) < 32+2 {
			return nil, malformed("short challenge")
		}
		f := &Challenge{}
		copy(f.Nonce[:], body)
		s, err := text(body[32:])
		f.Name = s
		return f, err
	case TypeHello:
		if len(body) != 1+64 {
			return nil, malformed("hello of %d bytes, want 65", len(body))
		}
		f := &Hello{Party: body[0]}
		if f.Party == 0 {
			return nil, malformed("party id 0")
		}
		copy(f.Signature[:], body[1:])
		return f, nil
	case TypeWelcome:
		if len(body) != 0 {
			return nil, malformed("welcome with %d trailing bytes", len(body))
		}
		return &Welcome{}, nil
	}
	return nil, malformed("unknown frame type %d", uint8(t))
}

// payload decodes a uint32 length followed by exactly that many bytes.
func payload(b []byte) ([]byte, error) {
	n := binary.BigEndian.Uint32(b)
	if n > MaxPayload {
		return nil, malformed("payload of %d bytes exceeds %d", n, MaxPayload)
	}
	if uint64(len(b)-4) != uint64(n) {
		return nil, malformed("payload length %d, but %d bytes follow", n, len(b)-4)
	}
	return b[4:], nil
}

// text decodes a uint16 length followed by exactly that many bytes of UTF-8.
func text(b []byte) (string, error) {
	n := int(binary.BigEndian.Uint16(b))
	if n > MaxText {
		return "", malformed("text of %d bytes exceeds %d", n, MaxText)
	}
	if len(b)-2 != n {
		return "", malformed("text length %d, but %d bytes follow", n, len(b)-2)
	}
	if !utf8.Valid(b[2:]) {
		return "", malformed("text is not UTF-8")
	}
	return string(b[2:]), nil
}
