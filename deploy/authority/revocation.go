package authority

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/safetrace/safetrace/deploy/manifest"
)

// RevocationPrefix separates revocation list signatures from code
// signatures and any other use of the key.
const RevocationPrefix = "safetrace authority revocations v1\x00"

const revocationType = "safetrace revocations v1"

// MaxRevoked bounds the entries of one revocation list (about 2.5 MB of
// JSON); an authority prunes entries whose codes have expired.
const MaxRevoked = 50000

// Revoked is one revoked code: its id, and its expiry, after which the
// entry can be dropped (the code is refused as expired then).
type Revoked struct {
	ID      [16]byte
	Expires time.Time // whole seconds, UTC
}

// RevocationList is an authority's signed list of revoked codes.
//
// Encoding (JSON, see docs/desk.md):
//
//	{"type": "safetrace revocations v1", "authority": NAME, "key": BASE64,
//	 "serial": N, "issued": RFC3339, "revoked": [{"id": HEX, "expires": RFC3339}...],
//	 "sig": BASE64}
//
// sig is the ed25519 signature by key over [RevocationPrefix] || key (32) ||
// serial (uint64) || issued (uint64 Unix seconds) || count (uint32) || for
// each entry, in increasing id order: id (16) || expires (uint32 Unix
// seconds); integers big-endian. A list replaces an older one of the same
// key only if its serial is larger.
type RevocationList struct {
	Authority string
	Key       ed25519.PublicKey
	Serial    uint64
	Issued    time.Time
	Revoked   []Revoked // sorted by ID, no duplicates
	Sig       []byte
}

type revocationJSON struct {
	Type      string        `json:"type"`
	Authority string        `json:"authority"`
	Key       []byte        `json:"key"`
	Serial    uint64        `json:"serial"`
	Issued    time.Time     `json:"issued"`
	Revoked   []revokedJSON `json:"revoked"`
	Sig       []byte        `json:"sig"`
}

type revokedJSON struct {
	ID      string    `json:"id"`
	Expires time.Time `json:"expires"`
}

func (l *RevocationList) message() []byte {
	b := append([]byte(RevocationPrefix), l.Key...)
	b = binary.BigEndian.AppendUint64(b, l.Serial)
	b = binary.BigEndian.AppendUint64(b, uint64(l.Issued.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.Revoked)))
	for _, r := range l.Revoked {
		b = append(b, r.ID[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(r.Expires.Unix()))
	}
	return b
}

// SignRevocations returns the list of revoked codes, with serial, issued at
// now, signed by key. Entries that expired before now are left out;
// duplicates are merged. revoked is not modified.
func SignRevocations(key *Key, serial uint64, revoked []Revoked, now time.Time) (*RevocationList, error) {
	if len(key.Private) != ed25519.PrivateKeySize {
		return nil, errors.New("authority: invalid signing key")
	}
	var rs []Revoked
	for _, r := range revoked {
		if r.Expires.After(now) {
			rs = append(rs, Revoked{ID: r.ID, Expires: time.Unix(r.Expires.Unix(), 0).UTC()})
		}
	}
	slices.SortFunc(rs, func(a, b Revoked) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	rs = slices.CompactFunc(rs, func(a, b Revoked) bool { return a.ID == b.ID })
	if len(rs) > MaxRevoked {
		return nil, fmt.Errorf("authority: %d revoked codes, at most %d per list", len(rs), MaxRevoked)
	}
	l := &RevocationList{Authority: key.Name, Key: key.Private.Public().(ed25519.PublicKey), Serial: serial,
		Issued: time.Unix(now.Unix(), 0).UTC(), Revoked: rs}
	l.Sig = ed25519.Sign(key.Private, l.message())
	return l, nil
}

// Marshal returns the list's JSON encoding.
func (l *RevocationList) Marshal() ([]byte, error) {
	j := revocationJSON{Type: revocationType, Authority: l.Authority, Key: l.Key, Serial: l.Serial,
		Issued: l.Issued, Revoked: []revokedJSON{}, Sig: l.Sig}
	for _, r := range l.Revoked {
		j.Revoked = append(j.Revoked, revokedJSON{ID: hex.EncodeToString(r.ID[:]), Expires: r.Expires})
	}
	b, err := json.MarshalIndent(j, "", " ")
	if err != nil {
		return nil, fmt.Errorf("authority: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseRevocations decodes a list made by Marshal and checks its signature
// by its own key; [RevocationList.VerifyFor] checks that the key is an
// authority of a manifest.
func ParseRevocations(data []byte) (*RevocationList, error) {
	var j revocationJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("authority: revocation list: %w", err)
	}
	if j.Type != revocationType {
		return nil, fmt.Errorf("authority: revocation list type %q, want %q", j.Type, revocationType)
	}
	if len(j.Key) != ed25519.PublicKeySize {
		return nil, errors.New("authority: revocation list: bad key")
	}
	if len(j.Revoked) > MaxRevoked {
		return nil, fmt.Errorf("authority: revocation list has %d entries, at most %d", len(j.Revoked), MaxRevoked)
	}
	l := &RevocationList{Authority: j.Authority, Key: j.Key, Serial: j.Serial,
		Issued: time.Unix(j.Issued.Unix(), 0).UTC(), Sig: j.Sig}
	for i, r := range j.Revoked {
		var e Revoked
		if n, err := hex.Decode(e.ID[:], []byte(r.ID)); err != nil || n != 16 || len(r.ID) != 32 {
			return nil, fmt.Errorf("authority: revocation list: entry %d: bad id", i)
		}
		e.Expires = time.Unix(r.Expires.Unix(), 0).UTC()
		if i > 0 && bytes.Compare(l.Revoked[i-1].ID[:], e.ID[:]) >= 0 {
			return nil, fmt.Errorf("authority: revocation list: entry %d: ids not increasing", i)
		}
		l.Revoked = append(l.Revoked, e)
	}
	if !ed25519.Verify(l.Key, l.message(), l.Sig) {
		return nil, errors.New("authority: revocation list: bad signature")
	}
	return l, nil
}

// VerifyFor checks that the list's key is an authority of m (its signature
// was checked by ParseRevocations or made by SignRevocations).
func (l *RevocationList) VerifyFor(m *manifest.Manifest) error {
	for _, a := range m.Authorities {
		if bytes.Equal(a.Key, l.Key) {
			return nil
		}
	}
	return fmt.Errorf("authority: revocation list of %q is signed by no authority of the manifest", l.Authority)
}

// Revokes reports whether the list revokes the code id.
func (l *RevocationList) Revokes(id [16]byte) bool {
	_, ok := slices.BinarySearchFunc(l.Revoked, id, func(r Revoked, id [16]byte) int { return bytes.Compare(r.ID[:], id[:]) })
	return ok
}

// ErrRevoked is the error for a code that its authority revoked.
var ErrRevoked = errors.New("authority: the health authority revoked this code")
