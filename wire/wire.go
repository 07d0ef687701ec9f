// Package wire defines the messages that travel inside SafeTrace envelopes
// between a client and one party server (DESIGN.md sections 4.2 and 4.4), and
// the envelope and reply framing around them. docs/fabric.md describes every
// byte.
//
// The format is binary, not JSON: every field has a fixed size or an explicit
// length, so decoding is exact (no trailing bytes, no optional white space,
// no alternative spellings) and for every message m that a Decode function
// accepts, encoding m gives back the very bytes that were decoded. Shares are
// carried as their canonical 32-byte encodings, which JSON would inflate by a
// third with base64 before padding; and the browser decodes them without a
// reflection-based decoder.
//
// Layers, outside in:
//
//   - [Envelope]: version || manifest hash || party id || HPKE ciphertext.
//     The clear header lets a party answer "wrong manifest" or "wrong party"
//     precisely; the ciphertext is SealToParty of Pad of a request.
//   - A request: version || type || reply key (32) || body. Every request
//     type, including those added later, starts this way, so the party can
//     seal its answer even to a request type it does not know.
//   - A [Reply]: the party's answer, HPKE-sealed to the request's reply key
//     (so a relay sees neither receipts nor errors), or, when the envelope
//     could not be opened and no reply key is known, a clear [Error].
//
// Warning: decoding checks syntax, sizes and canonical encodings only. It
// does not check that shares are consistent, that a record's day is within
// retention or that an authority code is valid: the party does that.
package wire

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/safetrace/safetrace/wire/record"
)

// Version is the only message format version this package speaks; it is the
// first byte of envelopes, requests, replies and result shares.
const Version = 1

// Type identifies a message. Requests go from a client to a party, the others
// back (ResultShare travels sealed inside a ResultResponse).
type Type uint8

// The message types.
const (
	TypeUpload         Type = 1 // request: store records
	TypeReceipt        Type = 2 // reply to Upload
	TypeResultRequest  Type = 3 // request: fetch (and delete) result blobs
	TypeResultResponse Type = 4 // reply to ResultRequest
	TypeError          Type = 5 // reply to any request
	TypeResultShare    Type = 6 // plaintext of a sealed result blob
)

func (t Type) String() string {
	switch t {
	case TypeUpload:
		return "upload"
	case TypeReceipt:
		return "receipt"
	case TypeResultRequest:
		return "result request"
	case TypeResultResponse:
		return "result response"
	case TypeError:
		return "error"
	case TypeResultShare:
		return "result share"
	case TypeRunRequest:
		return "run request"
	case TypeStatusRequest:
		return "status request"
	case TypeRunStatus:
		return "run status"
	case TypeRegionUpload:
		return "region upload"
	case TypeRegionMapRequest:
		return "region map request"
	case TypeRegionMapResponse:
		return "region map response"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Limits enforced by the decoders.
const (
	// MaxRecords is the most records one upload may carry. An upload of
	// MaxRecords records with the longest code, padded and sealed, still
	// fits one relay payload (relaywire.MaxPayload, 1 MiB).
	MaxRecords = 9000
	// MaxCodeLen bounds an authority code's text.
	MaxCodeLen = 256
	// MaxMessage bounds Error messages, in bytes of UTF-8.
	MaxMessage = 1024
	// MaxResults bounds the blobs of one ResultResponse.
	MaxResults = 256
	// MaxBlob bounds one sealed result blob.
	MaxBlob = 64 << 10
	// MaxResultDays bounds the entries of one ResultShare.
	MaxResultDays = 1024
)

// Sizes of fixed fields.
const (
	IDSize         = 16 // upload, record and result ids
	KeySize        = 32 // X25519 public keys
	HashSize       = sha256.Size
	ElemSize       = 32 // a point or scalar encoding
	ShareSize      = record.ShareSize
	RecordSize     = IDSize + 4 + ShareSize
	SignatureSize  = 64
	requestHdrSize = 2 + KeySize
)

// Message is a decoded message: *Upload, *Receipt, *ResultRequest,
// *ResultResponse, *Error or *ResultShare.
type Message interface {
	// Type returns the message's type byte.
	Type() Type
	// AppendBinary appends the encoding, version byte first, to b. It fails
	// only for messages that Decode would reject.
	AppendBinary(b []byte) ([]byte, error)
}

// Encode returns the encoding of m, or an error for a message Decode would
// reject.
func Encode(m Message) ([]byte, error) { return m.AppendBinary(nil) }

// ErrMalformed is wrapped by every decoding error except version errors.
var ErrMalformed = errors.New("wire: malformed message")

// ErrVersion is wrapped by errors for an unknown version byte.
var ErrVersion = errors.New("wire: unsupported version")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// header checks the version and type bytes of b.
func header(b []byte) (Type, error) {
	if len(b) < 1 {
		return 0, malformed("empty message")
	}
	if b[0] != Version {
		return 0, fmt.Errorf("%w %d (want %d)", ErrVersion, b[0], Version)
	}
	if len(b) < 2 {
		return 0, malformed("no type byte")
	}
	return Type(b[1]), nil
}

// RequestHeader returns the type and reply key of request b without decoding
// the body, so a party can answer a request type it does not know.
func RequestHeader(b []byte) (Type, [KeySize]byte, error) {
	var k [KeySize]byte
	t, err := header(b)
	if err != nil {
		return 0, k, err
	}
	if len(b) < requestHdrSize {
		return t, k, malformed("request of %d bytes has no reply key", len(b))
	}
	copy(k[:], b[2:])
	return t, k, nil
}

// Decode decodes any message by its type byte.
func Decode(b []byte) (Message, error) {
	t, err := header(b)
	if err != nil {
		return nil, err
	}
	switch t {
	case TypeUpload:
		return DecodeUpload(b)
	case TypeReceipt:
		return DecodeReceipt(b)
	case TypeResultRequest:
		return DecodeResultRequest(b)
	case TypeResultResponse:
		return DecodeResultResponse(b)
	case TypeError:
		return DecodeError(b)
	case TypeResultShare:
		return DecodeResultShare(b)
	case TypeRunRequest:
		return DecodeRunRequest(b)
	case TypeStatusRequest:
		return DecodeStatusRequest(b)
	case TypeRunStatus:
		return DecodeRunStatus(b)
	case TypeRegionUpload:
		u, _, err := DecodeRegionUpload(b)
		return u, err
	case TypeRegionMapRequest:
		return DecodeRegionMapRequest(b)
	case TypeRegionMapResponse:
		return DecodeRegionMapResponse(b)
	}
	return nil, malformed("unknown message type %d", uint8(t))
}

// reader consumes b front to back; the first short read sets err.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = malformed("truncated %s", what)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8(what string) uint8 {
	if v := r.take(1, what); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u16(what string) uint16 {
	if v := r.take(2, what); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *reader) u32(what string) uint32 {
	if v := r.take(4, what); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64(what string) uint64 {
	if v := r.take(8, what); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// end reports trailing bytes.
func (r *reader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = malformed("%d trailing bytes", len(r.b))
	}
	return r.err
}

func checkText(s string, max int, what string) error {
	if len(s) > max {
		return malformed("%s of %d bytes exceeds %d", what, len(s), max)
	}
	if !utf8.ValidString(s) {
		return malformed("%s is not UTF-8", what)
	}
	return nil
}
