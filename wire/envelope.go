package wire

import (
	"crypto/ecdh"
	"crypto/hpke"
	"errors"
	"fmt"

	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/wire/relaywire"
)

// EnvelopeVersion is the envelope format this package speaks: version 2
// added the work nonce.
const EnvelopeVersion = 2

// EnvelopeHeaderSize is the clear header of an envelope: version, manifest
// hash, party id and work nonce.
const EnvelopeHeaderSize = 1 + HashSize + 1 + WorkNonceSize

// envelopeNonceAt is the offset of the work nonce.
const envelopeNonceAt = 1 + HashSize + 1

// Buckets are the padded sizes of requests (Pad): 1, 4, 16, 64 and
// 256 KiB, and the largest size whose envelope fits one relay payload.
var Buckets = []int{1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10,
	relaywire.MaxPayload - EnvelopeHeaderSize - SealOverhead}

// MaxEnvelope is the size of the largest envelope.
var MaxEnvelope = EnvelopeHeaderSize + SealOverhead + Buckets[len(Buckets)-1]

// SealEnvelope pads request (an encoded request message), seals it to
// party of m, which must have been verified, and does the work m's budget
// asks for (CheckWork):
//
//	version (2) || manifest hash (32) || party (1) || work nonce (8) || SealToParty(Pad(request))
func SealEnvelope(m *manifest.Manifest, party int, request []byte) ([]byte, error) {
	if party < 1 || party > 255 {
		return nil, fmt.Errorf("wire: party id %d out of range", party)
	}
	padded, err := Pad(request, Buckets)
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	ct, err := SealToParty(m, party, padded)
	if err != nil {
		return nil, err
	}
	h := m.Hash()
	b := make([]byte, 0, EnvelopeHeaderSize+len(ct))
	b = append(b, EnvelopeVersion)
	b = append(b, h[:]...)
	b = append(b, byte(party))
	b = append(b, make([]byte, WorkNonceSize)...)
	b = append(b, ct...)
	SetWork(b, m.Params.Budget.WorkBits)
	return b, nil
}

// OpenEnvelope checks an envelope's header against this party and m, opens
// it and strips the padding. Errors are *Error values ready to send back.
func OpenEnvelope(key *keys.PartyKey, m *manifest.Manifest, mhash manifest.Hash, env []byte) ([]byte, *Error) {
	if len(env) < 1 {
		return nil, &Error{Code: CodeBadFrame, Message: "empty envelope"}
	}
	if env[0] != EnvelopeVersion {
		return nil, &Error{Code: CodeBadVersion, Message: fmt.Sprintf("envelope version %d, this party speaks %d", env[0], EnvelopeVersion)}
	}
	if len(env) > MaxEnvelope {
		return nil, &Error{Code: CodeTooLarge, Message: fmt.Sprintf("envelope of %d bytes exceeds %d", len(env), MaxEnvelope)}
	}
	if len(env) < EnvelopeHeaderSize+SealOverhead {
		return nil, &Error{Code: CodeBadFrame, Message: fmt.Sprintf("envelope of %d bytes is shorter than the minimum %d", len(env), EnvelopeHeaderSize+SealOverhead)}
	}
	if string(env[1:1+HashSize]) != string(mhash[:]) {
		return nil, &Error{Code: CodeWrongManifest, Message: fmt.Sprintf("envelope is bound to manifest %x, this party serves %s", env[1:1+HashSize], mhash)}
	}
	if int(env[1+HashSize]) != key.ID {
		return nil, &Error{Code: CodeWrongParty, Message: fmt.Sprintf("envelope is for party %d, this is party %d", env[1+HashSize], key.ID)}
	}
	if !CheckWork(env, m.Params.Budget.WorkBits) {
		return nil, &Error{Code: CodeNoWork, Message: fmt.Sprintf("envelope does not carry the work of %d bits the deployment asks for", WorkBits(len(env), m.Params.Budget.WorkBits))}
	}
	pt, err := OpenAsParty(key, m, env[EnvelopeHeaderSize:])
	if err != nil {
		return nil, &Error{Code: CodeBadEnvelope, Message: "envelope does not open: " + err.Error()}
	}
	req, err := Unpad(pt, Buckets)
	if err != nil {
		return nil, &Error{Code: CodeBadEnvelope, Message: err.Error()}
	}
	return req, nil
}

// Reply forms: the first byte after the version.
const (
	replySealed = 1 // HPKE ciphertext to the request's reply key
	replyClear  = 2 // an Error in the clear, when no reply key is known
)

// ReplyLabel starts the HPKE info of sealed replies, followed by the
// manifest hash and the party id as a big-endian uint16 (SealInfo). v2
// replies carry a padded message (ReplyBuckets); the label changed with the
// padding so that a v1 client fails to open a v2 reply instead of
// misreading it.
const ReplyLabel = "safetrace reply v2"

// ReplyOverhead is what the reply form adds to a padded message: version and
// form bytes, then for a sealed reply the HPKE encapsulated key and tag.
const ReplyOverhead = 2 + SealOverhead

// ReplyBuckets are the padded sizes of reply messages (Pad), sealed and
// clear. The first, 4 KiB, holds a receipt, every error (MaxMessage bytes
// of text at most) and a ResultResponse with one result for every day of
// the longest retention window the manifest allows (60 days), so that a
// relay cannot tell these apart by size. Larger replies (status texts,
// region maps, many results) take 16, 64 and 256 KiB, and the largest size
// whose sealed reply fits one relay payload.
var ReplyBuckets = []int{4 << 10, 16 << 10, 64 << 10, 256 << 10,
	relaywire.MaxPayload - ReplyOverhead}

var (
	kem  = hpke.DHKEM(ecdh.X25519())
	kdf  = hpke.HKDFSHA256()
	aead = hpke.ChaCha20Poly1305()
)

// SealReply pads msg to a reply bucket and encrypts it to the request's
// reply key: version || 1 || HPKE ciphertext of Pad(msg, ReplyBuckets). A
// message too large for the largest bucket is replaced by a sealed
// CodeInternal Error; a bad reply key gives a clear Error reply instead.
func SealReply(replyKey [KeySize]byte, mhash manifest.Hash, party int, msg Message) []byte {
	r, err := NewReplySealer(replyKey, mhash, party)
	if err != nil {
		return ClearReply(&Error{Code: CodeBadKey, Message: "reply key: " + err.Error()})
	}
	return r.Seal(msg)
}

// ReplySealer seals the reply to one request. NewReplySealer does the HPKE
// encapsulation to the reply key, which fails for a key that cannot be
// sealed to (one of low order gives an all-zero shared secret), so a party
// checks a request's reply key before it handles the request and then seals
// its reply with that same encapsulation: one X25519 key generation and
// exchange per request, not one for the check and another for the reply.
type ReplySealer struct {
	enc []byte
	s   *hpke.Sender
}

// NewReplySealer checks replyKey and prepares the sealing of a reply from
// party under the manifest with hash mhash.
func NewReplySealer(replyKey [KeySize]byte, mhash manifest.Hash, party int) (*ReplySealer, error) {
	pk, err := kem.NewPublicKey(replyKey[:])
	if err != nil {
		return nil, err
	}
	enc, s, err := hpke.NewSender(pk, kdf, aead, SealInfo(ReplyLabel, mhash, party))
	if err != nil {
		return nil, err
	}
	return &ReplySealer{enc: enc, s: s}, nil
}

// Seal returns the sealed reply msg, as SealReply does. Call it once: a
// second reply under the same encapsulation would not open.
func (r *ReplySealer) Seal(msg Message) []byte {
	enc, err := msg.AppendBinary(nil)
	if err != nil {
		return ClearReply(&Error{Code: CodeInternal, Message: "reply not encodable: " + err.Error()})
	}
	padded, err := Pad(enc, ReplyBuckets)
	if err != nil {
		enc, _ = (&Error{Code: CodeInternal, Message: fmt.Sprintf("reply of %d bytes is too large", len(enc))}).AppendBinary(nil)
		if padded, err = Pad(enc, ReplyBuckets); err != nil {
			return ClearReply(&Error{Code: CodeInternal, Message: "reply not paddable"})
		}
	}
	out := make([]byte, 0, 2+len(r.enc)+len(padded)+SealOverhead)
	out = append(append(out, Version, replySealed), r.enc...)
	ct, err := r.s.Seal(nil, padded)
	if err != nil {
		return ClearReply(&Error{Code: CodeInternal, Message: "reply not sealable: " + err.Error()})
	}
	return append(out, ct...)
}

// ClearReply returns the reply version || 2 || Pad(e, ReplyBuckets). Every
// Error fits the first bucket, so every clear reply has the same size.
func ClearReply(e *Error) []byte {
	enc, err := e.AppendBinary(nil)
	if err != nil {
		enc, _ = (&Error{Code: CodeInternal, Message: "error not encodable"}).AppendBinary(nil)
	}
	padded, _ := Pad(enc, ReplyBuckets) // every Error fits the first bucket
	return append([]byte{Version, replyClear}, padded...)
}

// ReplyKey is a client's key pair for the replies to its requests. One key
// may serve many requests to every party: each reply is sealed with a fresh
// ephemeral key and bound to the party.
type ReplyKey struct {
	priv hpke.PrivateKey
}

// NewReplyKey makes a fresh reply key from crypto/rand.
func NewReplyKey() (*ReplyKey, error) {
	k, err := kem.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	return &ReplyKey{priv: k}, nil
}

// Public returns the 32-byte public key to put in requests.
func (k *ReplyKey) Public() [KeySize]byte {
	var p [KeySize]byte
	copy(p[:], k.priv.PublicKey().Bytes())
	return p
}

// ErrClearReply is wrapped by OpenReply's error for a clear Error reply: it
// came from the party before it could open the envelope, or from anyone on
// the path (relays included), since clear replies are not authenticated.
var ErrClearReply = errors.New("wire: unauthenticated error reply")

// OpenReply decodes a reply from party of the manifest with hash mhash. A
// sealed reply yields its message (*Receipt, *ResultResponse, *RunStatus,
// *RegionMapResponse or *Error). A clear Error yields an error wrapping both
// ErrClearReply and the *Error.
func (k *ReplyKey) OpenReply(mhash manifest.Hash, party int, b []byte) (Message, error) {
	if len(b) < 2 {
		return nil, malformed("reply of %d bytes", len(b))
	}
	if b[0] != Version {
		return nil, fmt.Errorf("%w %d in reply", ErrVersion, b[0])
	}
	switch b[1] {
	case replyClear:
		enc, err := Unpad(b[2:], ReplyBuckets)
		if err != nil {
			return nil, malformed("clear reply: %v", err)
		}
		e, err := DecodeError(enc)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrClearReply, e)
	case replySealed:
		pt, err := hpke.Open(k.priv, kdf, aead, SealInfo(ReplyLabel, mhash, party), b[2:])
		if err != nil {
			return nil, malformed("sealed reply does not open")
		}
		enc, err := Unpad(pt, ReplyBuckets)
		if err != nil {
			return nil, malformed("sealed reply: %v", err)
		}
		m, err := Decode(enc)
		if err != nil {
			return nil, err
		}
		switch m.(type) {
		case *Receipt, *ResultResponse, *RunStatus, *RegionMapResponse, *Error:
			return m, nil
		}
		return nil, malformed("%v message as a reply", m.Type())
	}
	return nil, malformed("unknown reply form %d", b[1])
}
