// Package authority implements the health authority's one-time positive-test
// codes (DESIGN.md section 4.2).
//
// A code is a random 16-byte code id and an expiry time, signed with the
// authority's ed25519 key, whose public key is listed in the deployment
// manifest. Every party checks a code on its own with [Verify], without
// contacting the authority, and records the code id as used in its store in
// the same transaction as the positive report, so a code works once.
//
// Encoding: purpose byte || code id (16) || expiry as big-endian uint32 Unix
// seconds (4) || ed25519 signature (64) over the purpose's signature prefix
// ([SignaturePrefix] for positive-test codes, [VenueWarningPrefix] for
// venue-warning codes) || code id || expiry; 85 bytes written in Crockford base32 (digits and upper case letters
// without I, L, O, U) as 34 groups of 4 characters joined by '-'. Parsing
// ignores case, white space and '-', and reads I and L as 1 and O as 0. The
// code is long because of the signature: it is meant to be pasted or scanned
// as a QR code rather than typed.
//
// A code has a [Purpose]: a personal positive-test code (byte 1, the format
// of the first release, unchanged) or a venue-warning code (byte 2). The
// purpose is both in the first byte and in the signed message's prefix, so
// a code of one purpose is never accepted for the other: changing the byte
// breaks the signature, and [Check] refuses a correctly signed code of the
// other purpose with [ErrWrongPurpose].
//
// An authority can revoke unused codes with a signed [RevocationList]
// (revocation.go); parties refuse a revoked code like a used one.
//
// Warning: a code is a bearer token until used. Whoever holds an unused code
// can report a positive test with it. The authority must hand each code only
// to a person who tested positive, over a private channel.
package authority

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safetrace/safetrace/deploy/manifest"
)

// SignaturePrefix separates positive-test code signatures from any other
// use of the key.
const SignaturePrefix = "safetrace authority code v1\x00"

// VenueWarningPrefix is the signature prefix of venue-warning codes.
const VenueWarningPrefix = "safetrace authority venue-warning code v1\x00"

// Purpose is what a code may be used for. It is the first byte of a code.
type Purpose uint8

const (
	// PositiveTest codes let a person report a positive test.
	PositiveTest Purpose = 1
	// VenueWarning codes let a venue's operator, with the authority,
	// publish a warning for everyone who was at the venue.
	VenueWarning Purpose = 2
)

func (p Purpose) String() string {
	switch p {
	case PositiveTest:
		return "positive test"
	case VenueWarning:
		return "venue warning"
	}
	return fmt.Sprintf("purpose %d", uint8(p))
}

func (p Purpose) prefix() string {
	if p == VenueWarning {
		return VenueWarningPrefix
	}
	return SignaturePrefix
}

const (
	rawLen   = 1 + 16 + 4 + ed25519.SignatureSize // 85 bytes
	textLen  = rawLen * 8 / 5                     // 136 base32 characters
	groupLen = 4
)

// Limits of Issue.
const (
	MaxCount    = 100000
	MaxValidity = 366 * 24 * time.Hour
)

// ErrExpired is returned by Verify for a correctly signed code past its expiry.
var ErrExpired = errors.New("authority: code has expired")

// ErrBadSignature is returned by Verify for a well-formed code that no
// authority of the manifest signed: it was mistyped or forged.
var ErrBadSignature = errors.New("authority: code was not issued by an authority of this deployment (check it for typos)")

// ErrWrongPurpose is returned by Check for a correctly signed code of
// another purpose than the one asked for.
var ErrWrongPurpose = errors.New("authority: code is for another purpose")

var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// Code is a decoded one-time code. The zero value is not a valid code.
type Code struct {
	Purpose Purpose
	ID      [16]byte
	Expires time.Time // whole seconds, UTC
	Sig     [ed25519.SignatureSize]byte
}

func signedMessage(p Purpose, id [16]byte, expires uint32) []byte {
	b := append([]byte(p.prefix()), id[:]...)
	return binary.BigEndian.AppendUint32(b, expires)
}

// String returns the code in its text form.
func (c Code) String() string {
	raw := make([]byte, 0, rawLen)
	raw = append(raw, byte(c.Purpose))
	raw = append(raw, c.ID[:]...)
	raw = binary.BigEndian.AppendUint32(raw, uint32(c.Expires.Unix()))
	raw = append(raw, c.Sig[:]...)
	s := crockford.EncodeToString(raw)
	var b strings.Builder
	for i := 0; i < len(s); i += groupLen {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+groupLen, len(s))])
	}
	return b.String()
}

// ParseCode decodes the text form of a code without checking its signature or
// expiry.
func ParseCode(s string) (Code, error) {
	if len(s) > 4*textLen {
		return Code{}, errors.New("authority: code is too long")
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if !('0' <= r && r <= '9' || 'A' <= r && r <= 'Z') || r == 'U' {
			return Code{}, fmt.Errorf("authority: code contains %q, not a code character", r)
		}
		b.WriteRune(r)
	}
	text := b.String()
	if len(text) != textLen {
		return Code{}, fmt.Errorf("authority: code has %d characters, want %d", len(text), textLen)
	}
	raw, err := crockford.DecodeString(text)
	if err != nil || len(raw) != rawLen {
		return Code{}, errors.New("authority: code is not valid base32")
	}
	if p := Purpose(raw[0]); p != PositiveTest && p != VenueWarning {
		return Code{}, fmt.Errorf("authority: unknown code version %d", raw[0])
	}
	c := Code{Purpose: Purpose(raw[0])}
	copy(c.ID[:], raw[1:17])
	c.Expires = time.Unix(int64(binary.BigEndian.Uint32(raw[17:21])), 0).UTC()
	copy(c.Sig[:], raw[21:])
	return c, nil
}

// Issue makes count fresh positive-test codes signed by key that expire
// validity from now.
func Issue(key *Key, count int, validity time.Duration) ([]string, error) {
	return IssueFor(key, PositiveTest, count, validity)
}

// IssueFor makes count fresh codes of purpose p; see Issue.
func IssueFor(key *Key, p Purpose, count int, validity time.Duration) ([]string, error) {
	return issueAt(key, p, count, validity, time.Now())
}

func issueAt(key *Key, p Purpose, count int, validity time.Duration, now time.Time) ([]string, error) {
	if p != PositiveTest && p != VenueWarning {
		return nil, fmt.Errorf("authority: unknown purpose %d", p)
	}
	if len(key.Private) != ed25519.PrivateKeySize {
		return nil, errors.New("authority: invalid signing key")
	}
	if count < 1 || count > MaxCount {
		return nil, fmt.Errorf("authority: count %d: need 1..%d", count, MaxCount)
	}
	if validity < time.Minute || validity > MaxValidity {
		return nil, fmt.Errorf("authority: validity %v: need 1m..%v", validity, MaxValidity)
	}
	exp := now.Add(validity).Unix()
	if exp > 1<<32-1 {
		return nil, errors.New("authority: expiry past 2106")
	}
	codes := make([]string, count)
	for i := range codes {
		c := Code{Purpose: p}
		rand.Read(c.ID[:])
		c.Expires = time.Unix(exp, 0).UTC()
		copy(c.Sig[:], ed25519.Sign(key.Private, signedMessage(p, c.ID, uint32(exp))))
		codes[i] = c.String()
	}
	return codes, nil
}

// Verified is a code that Check accepted.
type Verified struct {
	Purpose Purpose
	ID      [16]byte
	Expires time.Time
	// Authority is the public key that signed the code, one of the
	// manifest's; revocations are looked up under it.
	Authority ed25519.PublicKey
}

// Verify parses a positive-test code and checks that an authority of m
// signed it and that it has not expired. It returns the code id, which the
// caller must record as used (see store.Store.UseCode), and the expiry,
// until which the record must be kept. m should have been verified.
func Verify(m *manifest.Manifest, code string) (id [16]byte, expires time.Time, err error) {
	return VerifyAt(m, code, time.Now())
}

// VerifyAt is Verify at time now.
func VerifyAt(m *manifest.Manifest, code string, now time.Time) (id [16]byte, expires time.Time, err error) {
	v, err := Check(m, code, PositiveTest, now)
	return v.ID, v.Expires, err
}

// Check parses code and checks that an authority of m signed it for
// purpose want and that it has not expired at now. A code signed for the
// other purpose gives ErrWrongPurpose, an expired one ErrExpired, anything
// else that is not a code of m's authorities ErrBadSignature or a parse
// error. Check does not know about use or revocation. m should have been
// verified.
func Check(m *manifest.Manifest, code string, want Purpose, now time.Time) (Verified, error) {
	c, err := ParseCode(code)
	if err != nil {
		return Verified{}, err
	}
	msg := signedMessage(c.Purpose, c.ID, uint32(c.Expires.Unix()))
	for _, a := range m.Authorities {
		if len(a.Key) == ed25519.PublicKeySize && ed25519.Verify(a.Key, msg, c.Sig[:]) {
			if c.Purpose != want {
				return Verified{}, fmt.Errorf("%w: this is a %s code, not a %s code", ErrWrongPurpose, c.Purpose, want)
			}
			if !now.Before(c.Expires) {
				return Verified{}, fmt.Errorf("%w (at %s)", ErrExpired, c.Expires.Format(time.RFC3339))
			}
			return Verified{Purpose: c.Purpose, ID: c.ID, Expires: c.Expires, Authority: a.Key}, nil
		}
	}
	return Verified{}, ErrBadSignature
}
