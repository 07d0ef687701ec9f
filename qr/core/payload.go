package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Version is the payload format version this package writes and reads.
const Version = 1

// Flag bits in the payload's second byte. All other bits must be zero.
const (
	flagAddress  = 1 << 0
	flagRoom     = 1 << 1
	flagValidity = 1 << 2
	knownFlags   = flagAddress | flagRoom | flagValidity
)

// MaxPayloadSize is the largest valid binary payload, in bytes: version,
// flags, secret, category, risk, a two-byte stay, the three strings with their
// length bytes, and two five-byte validity times.
const MaxPayloadSize = 1 + 1 + SecretSize + 1 + 1 + 2 +
	1 + MaxNameLen + 1 + MaxAddressLen + 1 + MaxRoomLen + 5 + 5

// MarshalBinary encodes v in the compact binary payload format (see
// docs/qr.md). It fails if v is not valid. The encoding is canonical: a
// given venue has exactly one encoding.
func (v *Venue) MarshalBinary() ([]byte, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	var flags byte
	if v.Address != "" {
		flags |= flagAddress
	}
	if v.Room != "" {
		flags |= flagRoom
	}
	if !v.ValidFrom.IsZero() {
		flags |= flagValidity
	}
	b := make([]byte, 0, MaxPayloadSize)
	b = append(b, Version, flags)
	b = append(b, v.Secret[:]...)
	b = append(b, byte(v.Category), byte(v.Risk))
	b = binary.AppendUvarint(b, uint64(v.Stay/time.Minute))
	b = appendString(b, v.Name)
	if flags&flagAddress != 0 {
		b = appendString(b, v.Address)
	}
	if flags&flagRoom != 0 {
		b = appendString(b, v.Room)
	}
	if flags&flagValidity != 0 {
		from := v.ValidFrom.Unix() / 60
		b = binary.AppendUvarint(b, uint64(from))
		b = binary.AppendUvarint(b, uint64(v.ValidUntil.Unix()/60-from))
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// UnmarshalBinary sets *v to the venue encoded in b; see [ParsePayload].
func (v *Venue) UnmarshalBinary(b []byte) error {
	p, err := ParsePayload(b)
	if err != nil {
		return err
	}
	*v = *p
	return nil
}

// ParsePayload decodes a binary payload. It is strict: it rejects unknown
// versions and flags, truncated or oversized input, trailing bytes,
// non-minimal varints, empty optional strings, invalid UTF-8 and any field
// outside the limits of [Venue.Validate], so that every accepted payload
// re-encodes to exactly b. b is not retained.
func ParsePayload(b []byte) (*Venue, error) {
	if len(b) > MaxPayloadSize {
		return nil, fmt.Errorf("qr: payload is %d bytes, more than %d", len(b), MaxPayloadSize)
	}
	r := reader{b: b}
	version := r.byte("version")
	if r.err == nil && version != Version {
		return nil, fmt.Errorf("qr: unknown payload version %d", version)
	}
	flags := r.byte("flags")
	if r.err == nil && flags&^knownFlags != 0 {
		return nil, fmt.Errorf("qr: unknown flags %#02x", flags&^knownFlags)
	}
	v := new(Venue)
	copy(v.Secret[:], r.bytes("secret", SecretSize))
	v.Category = Category(r.byte("category"))
	v.Risk = RiskLevel(r.byte("risk"))
	v.Stay = time.Duration(r.uvarint("stay", uint64(MaxStay/time.Minute))) * time.Minute
	v.Name = r.string("name", MaxNameLen)
	if flags&flagAddress != 0 {
		v.Address = r.string("address", MaxAddressLen)
	}
	if flags&flagRoom != 0 {
		v.Room = r.string("room", MaxRoomLen)
	}
	if flags&flagValidity != 0 {
		from := r.uvarint("validity start", maxUnixMinute)
		length := r.uvarint("validity length", maxUnixMinute)
		if r.err == nil && length == 0 {
			r.err = errors.New("qr: validity period is empty")
		}
		if r.err == nil {
			v.ValidFrom = time.Unix(int64(from)*60, 0).UTC()
			v.ValidUntil = time.Unix(int64(from+length)*60, 0).UTC()
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("qr: %d trailing bytes after payload", len(r.b))
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// reader consumes a payload front to back. After the first error every
// method returns zero values and err keeps that first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(field string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = fmt.Errorf("qr: payload truncated in %s", field)
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) byte(field string) byte {
	p := r.bytes(field, 1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (r *reader) uvarint(field string, max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b)
	switch {
	case n == 0:
		r.err = fmt.Errorf("qr: payload truncated in %s", field)
		return 0
	case n < 0 || x > max:
		r.err = fmt.Errorf("qr: %s out of range", field)
		return 0
	case n != len(binary.AppendUvarint(nil, x)):
		r.err = fmt.Errorf("qr: non-minimal varint in %s", field)
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *reader) string(field string, max int) string {
	n := int(r.byte(field + " length"))
	if r.err != nil {
		return ""
	}
	if n == 0 {
		r.err = fmt.Errorf("qr: %s is empty", field)
		return ""
	}
	if n > max {
		r.err = fmt.Errorf("qr: %s length %d exceeds %d", field, n, max)
		return ""
	}
	s := string(r.bytes(field, n))
	if r.err == nil {
		r.err = checkText(field, s, max)
	}
	return s
}
