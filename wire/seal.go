package wire

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/deploy/manifest"
)

// Info labels of the two kinds of envelope. The HPKE info string is the label
// followed by the 32-byte manifest hash and the party id as a big-endian
// uint16; labels have fixed length, so the encoding is unambiguous.
const (
	EnvelopeLabel = "safetrace envelope v1" // client to party
	ResultLabel   = "safetrace result v1"   // party to user's device
)

// SealOverhead is the size an envelope adds to its plaintext: the 32-byte X25519
// encapsulated key and the 16-byte ChaCha20Poly1305 tag.
const SealOverhead = 32 + 16

// ErrOpen is returned when an envelope does not decrypt: it was sealed to
// another party or under another manifest, or it was altered.
var ErrOpen = errors.New("wire: envelope does not open (sealed to another party or manifest, or tampered with)")

// SealInfo returns the HPKE info string label || manifest hash || uint16(party).
func SealInfo(label string, h manifest.Hash, party int) []byte {
	b := make([]byte, 0, len(label)+len(h)+2)
	b = append(b, label...)
	b = append(b, h[:]...)
	return binary.BigEndian.AppendUint16(b, uint16(party))
}

// SealToParty encrypts payload to party partyID of m with single-shot HPKE base mode,
// bound to m's hash and the party id. Pad payload first. m should have been
// verified.
func SealToParty(m *manifest.Manifest, partyID int, payload []byte) ([]byte, error) {
	p, ok := m.Party(partyID)
	if !ok {
		return nil, fmt.Errorf("wire: manifest has no party %d", partyID)
	}
	pk, err := kem.NewPublicKey(p.HPKEKey)
	if err != nil {
		return nil, fmt.Errorf("wire: party %d hpke_key: %w", partyID, err)
	}
	ct, err := hpke.Seal(pk, kdf, aead, SealInfo(EnvelopeLabel, m.Hash(), partyID), payload)
	if err != nil {
		return nil, fmt.Errorf("wire: seal: %w", err)
	}
	return ct, nil
}

// OpenAsParty decrypts an envelope sealed with SealToParty to key's party under m. It checks
// first that key belongs to the party of the same id in m, so a key file that
// does not match the manifest gives a clear error rather than ErrOpen.
func OpenAsParty(key *keys.PartyKey, m *manifest.Manifest, sealed []byte) ([]byte, error) {
	p, ok := m.Party(key.ID)
	if !ok {
		return nil, fmt.Errorf("wire: manifest has no party %d", key.ID)
	}
	if string(p.HPKEKey) != string(key.HPKE.PublicKey().Bytes()) {
		return nil, fmt.Errorf("wire: key of party %d does not match hpke_key of party %d in manifest %s", key.ID, key.ID, m.Hash())
	}
	return open(key.HPKE, SealInfo(EnvelopeLabel, m.Hash(), key.ID), sealed)
}

func open(k hpke.PrivateKey, info, sealed []byte) ([]byte, error) {
	if len(sealed) < SealOverhead {
		return nil, fmt.Errorf("wire: envelope is %d bytes, shorter than the minimum %d (truncated?)", len(sealed), SealOverhead)
	}
	pt, err := hpke.Open(k, kdf, aead, info, sealed)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// ResultKey is a user device's X25519 HPKE key pair for receiving result
// shares. The device makes one, keeps it, and sends ResultKey.PublicKey in its
// uploads.
type ResultKey struct {
	priv hpke.PrivateKey
}

// GenerateResultKey makes a fresh result key from crypto/rand.
func GenerateResultKey() (*ResultKey, error) {
	k, err := kem.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	return &ResultKey{priv: k}, nil
}

// ParseResultKey decodes the 32 bytes returned by ResultKey.Bytes.
func ParseResultKey(b []byte) (*ResultKey, error) {
	k, err := kem.NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("wire: result key: %w", err)
	}
	return &ResultKey{priv: k}, nil
}

// Bytes returns the 32-byte private key, for the device's storage.
func (k *ResultKey) Bytes() []byte {
	b, err := k.priv.Bytes()
	if err != nil {
		panic("wire: X25519 private key does not serialize: " + err.Error())
	}
	return b
}

// PublicKey returns the 32-byte X25519 public key to send in uploads.
func (k *ResultKey) PublicKey() []byte { return k.priv.PublicKey().Bytes() }

// CheckResultPublicKey reports whether pub is an X25519 public key that
// results can be sealed to. A key that parses but is of low order (32 zero
// bytes, say) gives an all-zero shared secret, which HPKE refuses: so the
// check does one X25519 exchange with it, as sealing a result would (with
// a fixed key of this process instead of a fresh one: a clamped scalar
// gives the all-zero output exactly for the keys of low order, whichever
// it is). Parties check result and reply keys before storing anything.
func CheckResultPublicKey(pub []byte) error {
	pk, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		return fmt.Errorf("wire: result public key: %w", err)
	}
	if _, err := checkKey().ECDH(pk); err != nil {
		return fmt.Errorf("wire: result public key cannot be sealed to: %w", err)
	}
	return nil
}

// checkKey is CheckResultPublicKey's X25519 key.
var checkKey = sync.OnceValue(func() *ecdh.PrivateKey {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		panic("wire: " + err.Error())
	}
	return k
})

// SealResult encrypts a result share from party fromParty of m to the user's
// result public key userPub, with info ResultLabel || manifest hash ||
// fromParty.
func SealResult(m *manifest.Manifest, fromParty int, userPub, payload []byte) ([]byte, error) {
	pk, err := kem.NewPublicKey(userPub)
	if err != nil {
		return nil, fmt.Errorf("wire: result public key: %w", err)
	}
	ct, err := hpke.Seal(pk, kdf, aead, SealInfo(ResultLabel, m.Hash(), fromParty), payload)
	if err != nil {
		return nil, fmt.Errorf("wire: seal result: %w", err)
	}
	return ct, nil
}

// OpenResult decrypts a result share that party fromParty of m sealed with
// SealResult to k.
func OpenResult(k *ResultKey, m *manifest.Manifest, fromParty int, sealed []byte) ([]byte, error) {
	return open(k.priv, SealInfo(ResultLabel, m.Hash(), fromParty), sealed)
}
