package core

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// DefaultOrigin is the app origin used when a deployment names none.
const DefaultOrigin = "http://localhost:8080"

// ErrNotVenue is returned by [ParseURL] for text that is not a SafeTrace venue
// URL at all, as opposed to a venue URL with a bad payload. Callers reading
// arbitrary QR codes branch on it.
var ErrNotVenue = errors.New("qr: not a SafeTrace venue URL")

// fragmentPrefix introduces the payload in the URL fragment; its digit
// repeats the payload's version byte so that a future app can route old and
// new posters before decoding them.
const fragmentPrefix = "v1."

var payloadEncoding = base64.RawURLEncoding.Strict()

// URL returns the venue's check-in URL, origin + "/#v1." + the base64url
// payload without padding. An empty origin means [DefaultOrigin]; a trailing
// slash on origin is dropped. URL returns the empty string if v is not valid
// (see [Venue.Validate]).
func (v *Venue) URL(origin string) string {
	b, err := v.MarshalBinary()
	if err != nil {
		return ""
	}
	if origin == "" {
		origin = DefaultOrigin
	}
	return strings.TrimSuffix(origin, "/") + "/#" + fragmentPrefix + payloadEncoding.EncodeToString(b)
}

// ParseURL reads a venue from a check-in URL ("https://host/#v1.…"), from
// its fragment alone ("#v1.…" or "v1.…"). Surrounding white space is
// ignored. Text that is not a SafeTrace URL gives an error wrapping
// [ErrNotVenue]; a SafeTrace URL with an unknown version or a bad payload
// gives a descriptive error. The origin of a full URL is not checked against
// any deployment; that is the caller's policy.
func ParseURL(s string) (*Venue, error) {
	s = strings.TrimSpace(s)
	frag := s
	if i := strings.IndexByte(s, '#'); i >= 0 {
		frag = s[i+1:]
		if base := s[:i]; base != "" {
			u, err := url.Parse(base)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, ErrNotVenue
			}
		}
	}
	dot := strings.IndexByte(frag, '.')
	if dot < 2 || frag[0] != 'v' || strings.Trim(frag[1:dot], "0123456789") != "" {
		return nil, ErrNotVenue
	}
	if frag[:dot+1] != fragmentPrefix {
		return nil, fmt.Errorf("qr: unknown URL version %q", frag[:dot])
	}
	enc := frag[dot+1:]
	// The decoder skips CR and LF, which would make two texts decode to one
	// payload; reject them so that only the canonical text is accepted.
	if strings.ContainsAny(enc, "\r\n") {
		return nil, errors.New("qr: line break in payload")
	}
	if len(enc) > payloadEncoding.EncodedLen(MaxPayloadSize) {
		return nil, fmt.Errorf("qr: payload text is %d characters, more than %d", len(enc), payloadEncoding.EncodedLen(MaxPayloadSize))
	}
	b, err := payloadEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("qr: payload is not base64url without padding: %w", err)
	}
	return ParsePayload(b)
}
