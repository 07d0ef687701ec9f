package relaywire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

func header(b []byte, t Type) []byte { return append(b, Version, byte(t)) }

func appendPayload(b, p []byte) ([]byte, error) {
	if len(p) > MaxPayload {
		return b, fmt.Errorf("relaywire: payload of %d bytes exceeds %d", len(p), MaxPayload)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...), nil
}

func appendText(b []byte, s string) ([]byte, error) {
	if len(s) > MaxText {
		return b, fmt.Errorf("relaywire: text of %d bytes exceeds %d", len(s), MaxText)
	}
	if !utf8.ValidString(s) {
		return b, errors.New("relaywire: text is not UTF-8")
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...), nil
}

var errParty0 = errors.New("relaywire: party id 0")

// AppendBinary implements Frame.
func (f *Request) AppendBinary(b []byte) ([]byte, error) {
	return appendParty(b, TypeRequest, f.Dest, f.RequestID, f.Payload)
}

// appendParty appends a frame of type t to or from party, which must not
// be 0: party (1) || request id (8) || payload.
func appendParty(b []byte, t Type, party uint8, requestID uint64, payload []byte) ([]byte, error) {
	if party == 0 {
		return b, errParty0
	}
	b = append(header(b, t), party)
	b = binary.BigEndian.AppendUint64(b, requestID)
	return appendPayload(b, payload)
}

// AppendBinary implements Frame.
func (f *Forward) AppendBinary(b []byte) ([]byte, error) {
	return appendPayload(append(header(b, TypeForward), f.Handle[:]...), f.Payload)
}

// AppendBinary implements Frame.
func (f *Reply) AppendBinary(b []byte) ([]byte, error) {
	return appendPayload(append(header(b, TypeReply), f.Handle[:]...), f.Payload)
}

// AppendBinary implements Frame.
func (f *Response) AppendBinary(b []byte) ([]byte, error) {
	return appendParty(b, TypeResponse, f.From, f.RequestID, f.Payload)
}

// AppendBinary implements Frame.
func (f *Error) AppendBinary(b []byte) ([]byte, error) {
	if f.Code == 0 {
		return b, errors.New("relaywire: error code 0")
	}
	b = binary.BigEndian.AppendUint64(header(b, TypeError), f.RequestID)
	b = binary.BigEndian.AppendUint16(b, uint16(f.Code))
	return appendText(b, f.Message)
}

// AppendBinary implements Frame.
func (f *Challenge) AppendBinary(b []byte) ([]byte, error) {
	b = append(header(b, TypeChallenge), f.Nonce[:]...)
	return appendText(b, f.Name)
}

// AppendBinary implements Frame.
func (f *Hello) AppendBinary(b []byte) ([]byte, error) {
	if f.Party == 0 {
		return b, errParty0
	}
	b = append(header(b, TypeHello), f.Party)
	return append(b, f.Signature[:]...), nil
}

// AppendBinary implements Frame.
func (f *Welcome) AppendBinary(b []byte) ([]byte, error) {
	return header(b, TypeWelcome), nil
}

// Error makes *Error usable as a Go error. The text is the relay's message
// with its code, never payload bytes.
func (f *Error) Error() string {
	return fmt.Sprintf("relay: %s (%v)", f.Message, f.Code)
}
