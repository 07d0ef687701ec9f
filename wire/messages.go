package wire

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/wire/record"
)

// ReceiptPrefix separates receipt signatures from every other use of a
// party's signing key.
const ReceiptPrefix = "safetrace receipt v1\x00"

// Receipt is a party's signed statement that it stored an upload durably:
//
//	version || type 2 || upload id (16) || content hash (32)
//	|| record count (4) || party (1) || signature (64)
//
// Signature is the party's Ed25519 signature (its manifest sign_key) over
// ReceiptMessage(manifest hash, ...).
type Receipt struct {
	UploadID    [IDSize]byte
	ContentHash [HashSize]byte
	Records     uint32
	Party       uint8
	Signature   [SignatureSize]byte
}

func (*Receipt) Type() Type { return TypeReceipt }

// AppendBinary implements Message.
func (r *Receipt) AppendBinary(b []byte) ([]byte, error) {
	if r.Party == 0 {
		return nil, malformed("receipt from party 0")
	}
	b = append(b, Version, byte(TypeReceipt))
	b = append(b, r.UploadID[:]...)
	b = append(b, r.ContentHash[:]...)
	b = binary.BigEndian.AppendUint32(b, r.Records)
	b = append(b, r.Party)
	return append(b, r.Signature[:]...), nil
}

// DecodeReceipt decodes a Receipt strictly. It does not check the signature.
func DecodeReceipt(b []byte) (*Receipt, error) {
	if err := want(b, TypeReceipt); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	rc := &Receipt{}
	copy(rc.UploadID[:], r.take(IDSize, "upload id"))
	copy(rc.ContentHash[:], r.take(HashSize, "content hash"))
	rc.Records = r.u32("record count")
	rc.Party = r.u8("party")
	copy(rc.Signature[:], r.take(SignatureSize, "signature"))
	if err := r.end(); err != nil {
		return nil, err
	}
	if rc.Party == 0 {
		return nil, malformed("receipt from party 0")
	}
	return rc, nil
}

// ReceiptMessage returns the bytes a receipt signature covers:
// ReceiptPrefix || manifest hash || party || upload id || content hash ||
// record count (big-endian uint32). Binding the manifest hash keeps a
// receipt from counting in another deployment.
func ReceiptMessage(manifestHash [HashSize]byte, r *Receipt) []byte {
	m := make([]byte, 0, len(ReceiptPrefix)+HashSize+1+IDSize+HashSize+4)
	m = append(m, ReceiptPrefix...)
	m = append(m, manifestHash[:]...)
	m = append(m, r.Party)
	m = append(m, r.UploadID[:]...)
	m = append(m, r.ContentHash[:]...)
	return binary.BigEndian.AppendUint32(m, r.Records)
}

// Sign sets r.Signature with key.
func (r *Receipt) Sign(key ed25519.PrivateKey, manifestHash [HashSize]byte) {
	copy(r.Signature[:], ed25519.Sign(key, ReceiptMessage(manifestHash, r)))
}

// Verify reports whether r.Signature is valid under pub.
func (r *Receipt) Verify(pub ed25519.PublicKey, manifestHash [HashSize]byte) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, ReceiptMessage(manifestHash, r), r.Signature[:])
}

// ResultRequest asks a party for the result blobs of the user whose token
// hashes (SHA-256) to the token hash of their uploads:
//
//	version || type 3 || reply key (32) || token (32) || delete through (8)
//
// A non-zero DeleteThrough first deletes the user's blobs with sequence
// numbers up to it (blobs the client has already received).
type ResultRequest struct {
	ReplyKey      [KeySize]byte
	Token         [32]byte
	DeleteThrough uint64
}

func (*ResultRequest) Type() Type { return TypeResultRequest }

// AppendBinary implements Message.
func (q *ResultRequest) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, Version, byte(TypeResultRequest))
	b = append(b, q.ReplyKey[:]...)
	b = append(b, q.Token[:]...)
	return binary.BigEndian.AppendUint64(b, q.DeleteThrough), nil
}

// DecodeResultRequest decodes a ResultRequest strictly.
func DecodeResultRequest(b []byte) (*ResultRequest, error) {
	if err := want(b, TypeResultRequest); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	q := &ResultRequest{}
	copy(q.ReplyKey[:], r.take(KeySize, "reply key"))
	copy(q.Token[:], r.take(32, "token"))
	q.DeleteThrough = r.u64("delete through")
	return q, r.end()
}

// ResultBlob is one sealed result blob and its sequence number at the party.
type ResultBlob struct {
	Seq  uint64
	Blob []byte // SealResult of an encoded ResultShare
}

// ResultResponse carries a party's result blobs for one user:
//
//	version || type 4 || count (2) || count * (seq (8) || length (4) || blob)
//
// with at most MaxResults blobs of at most MaxBlob bytes each, sequence
// numbers strictly increasing.
type ResultResponse struct {
	Results []ResultBlob
}

func (*ResultResponse) Type() Type { return TypeResultResponse }

// AppendBinary implements Message.
func (p *ResultResponse) AppendBinary(b []byte) ([]byte, error) {
	if len(p.Results) > MaxResults {
		return nil, malformed("%d results, more than %d", len(p.Results), MaxResults)
	}
	b = append(b, Version, byte(TypeResultResponse))
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Results)))
	for i, r := range p.Results {
		if len(r.Blob) > MaxBlob {
			return nil, malformed("result blob of %d bytes exceeds %d", len(r.Blob), MaxBlob)
		}
		if i > 0 && r.Seq <= p.Results[i-1].Seq {
			return nil, malformed("result sequence numbers not increasing")
		}
		b = binary.BigEndian.AppendUint64(b, r.Seq)
		b = binary.BigEndian.AppendUint32(b, uint32(len(r.Blob)))
		b = append(b, r.Blob...)
	}
	return b, nil
}

// DecodeResultResponse decodes a ResultResponse strictly. Blobs alias b.
func DecodeResultResponse(b []byte) (*ResultResponse, error) {
	if err := want(b, TypeResultResponse); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	n := int(r.u16("count"))
	if n > MaxResults {
		return nil, malformed("%d results, more than %d", n, MaxResults)
	}
	p := &ResultResponse{}
	for i := 0; i < n && r.err == nil; i++ {
		seq := r.u64("sequence number")
		l := r.u32("blob length")
		if l > MaxBlob {
			return nil, malformed("result blob of %d bytes exceeds %d", l, MaxBlob)
		}
		blob := r.take(int(l), "blob")
		if r.err == nil && i > 0 && seq <= p.Results[i-1].Seq {
			return nil, malformed("result sequence numbers not increasing")
		}
		p.Results = append(p.Results, ResultBlob{Seq: seq, Blob: blob})
	}
	return p, r.end()
}

// Code says, for programs, why a request failed.
type Code uint16

// Error codes. Only CodeInternal and CodeBusy are worth retrying unchanged.
const (
	CodeBadFrame       Code = 1  // malformed envelope or message
	CodeBadVersion     Code = 2  // unknown envelope or message version
	CodeWrongManifest  Code = 3  // envelope bound to another manifest
	CodeWrongParty     Code = 4  // envelope addressed to another party
	CodeBadEnvelope    Code = 5  // HPKE ciphertext does not open, or bad padding
	CodeBadShare       Code = 6  // non-canonical point or scalar encoding
	CodeTooManyRecords Code = 7  // more than MaxRecords
	CodeUploadReused   Code = 8  // upload id stored before with other content
	CodeCodeUsed       Code = 9  // authority code used before
	CodeCodeInvalid    Code = 10 // authority code malformed or not signed by an authority
	CodeCodeExpired    Code = 11 // authority code past its expiry
	CodeBadDay         Code = 12 // a record's day is outside the retention window
	CodeRecordExists   Code = 13 // a record id of that day is stored by another upload
	CodeUnknownType    Code = 14 // no handler for this request type
	CodeInternal       Code = 15 // storage or other server failure; retry later
	CodeTooLarge       Code = 16 // envelope larger than the largest padding bucket
	CodeBadKey         Code = 17 // result or reply key is not a valid X25519 key
	CodeBusy           Code = 18 // overloaded; retry later
	CodeNoWork         Code = 19 // envelope without the work the manifest asks for
	CodeFull           Code = 20 // the party's store is full
	CodeQuota          Code = 21 // over a budget of the manifest (records per user and day)
	CodeCodeRevoked    Code = 22 // authority code revoked by its authority
)

var codeNames = map[Code]string{
	CodeBadFrame: "bad frame", CodeBadVersion: "bad version", CodeWrongManifest: "wrong manifest hash",
	CodeWrongParty: "wrong party", CodeBadEnvelope: "bad envelope", CodeBadShare: "bad share",
	CodeTooManyRecords: "too many records", CodeUploadReused: "upload id reused", CodeCodeUsed: "code used",
	CodeCodeInvalid: "code invalid", CodeCodeExpired: "code expired", CodeBadDay: "day out of range",
	CodeRecordExists: "record exists", CodeUnknownType: "unknown request type", CodeInternal: "internal error",
	CodeTooLarge: "too large", CodeBadKey: "bad key", CodeBusy: "busy",
	CodeNoWork: "no work", CodeFull: "store full", CodeQuota: "over quota", CodeCodeRevoked: "code revoked",
}

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return "code " + itoa(uint64(c))
}

// Slug is the code's name in lower snake case, for metrics labels.
func (c Code) Slug() string {
	s := []byte(c.String())
	for i, ch := range s {
		if ch == ' ' {
			s[i] = '_'
		}
	}
	return string(s)
}

// Codes lists every defined code in order.
func Codes() []Code {
	var cs []Code
	for c := range codeNames {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	return cs
}

// Retryable reports whether a request refused with c may succeed unchanged
// later.
func (c Code) Retryable() bool { return c == CodeInternal || c == CodeBusy }

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// Error reports why a party refused a request:
//
//	version || type 5 || code (2) || message length (2) || message
//
// Code is non-zero; Message is UTF-8 of at most MaxMessage bytes.
type Error struct {
	Code    Code
	Message string
}

func (*Error) Type() Type { return TypeError }

func (e *Error) Error() string { return "party: " + e.Code.String() + ": " + e.Message }

// AppendBinary implements Message.
func (e *Error) AppendBinary(b []byte) ([]byte, error) {
	if e.Code == 0 {
		return nil, malformed("error code 0")
	}
	if err := checkText(e.Message, MaxMessage, "error message"); err != nil {
		return nil, err
	}
	b = append(b, Version, byte(TypeError))
	b = binary.BigEndian.AppendUint16(b, uint16(e.Code))
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Message)))
	return append(b, e.Message...), nil
}

// DecodeError decodes an Error strictly.
func DecodeError(b []byte) (*Error, error) {
	if err := want(b, TypeError); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	e := &Error{Code: Code(r.u16("code"))}
	n := int(r.u16("message length"))
	if n > MaxMessage {
		return nil, malformed("error message of %d bytes exceeds %d", n, MaxMessage)
	}
	e.Message = string(r.take(n, "message"))
	if err := r.end(); err != nil {
		return nil, err
	}
	if e.Code == 0 {
		return nil, malformed("error code 0")
	}
	if err := checkText(e.Message, MaxMessage, "error message"); err != nil {
		return nil, err
	}
	return e, nil
}

// ResultShare is the plaintext of a sealed result blob: party Party's Shamir
// shares, over the ristretto255 scalar field, of one result per day:
//
//	version || type 6 || party (1) || result id (16) || count (2)
//	|| count * (day (4) || value share (32))
//
// Every party uses the same result id for shares of the same result, days
// strictly increasing. A value of the exposure epoch is a share of
// person + 2*venue: bit 0 says the persons' reports reach the threshold on
// that day, bit 1 that venue warnings do.
type ResultShare struct {
	Party  uint8
	ID     [IDSize]byte
	Days   []uint32
	Values []field.Scalar // Values[i] is the share for Days[i]
}

func (*ResultShare) Type() Type { return TypeResultShare }

// AppendBinary implements Message.
func (s *ResultShare) AppendBinary(b []byte) ([]byte, error) {
	if s.Party == 0 {
		return nil, malformed("result share of party 0")
	}
	if len(s.Days) != len(s.Values) || len(s.Days) > MaxResultDays {
		return nil, malformed("result share with %d days and %d values (at most %d)", len(s.Days), len(s.Values), MaxResultDays)
	}
	b = append(b, Version, byte(TypeResultShare), s.Party)
	b = append(b, s.ID[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.Days)))
	for i, d := range s.Days {
		if i > 0 && d <= s.Days[i-1] {
			return nil, malformed("result days not increasing")
		}
		b = binary.BigEndian.AppendUint32(b, d)
		b = field.ScalarField{}.Append(b, s.Values[i:i+1])
	}
	return b, nil
}

// DecodeResultShare decodes a ResultShare strictly (canonical scalars).
func DecodeResultShare(b []byte) (*ResultShare, error) {
	if err := want(b, TypeResultShare); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	s := &ResultShare{Party: r.u8("party")}
	copy(s.ID[:], r.take(IDSize, "result id"))
	n := int(r.u16("count"))
	if r.err != nil {
		return nil, r.err
	}
	if s.Party == 0 {
		return nil, malformed("result share of party 0")
	}
	if n > MaxResultDays {
		return nil, malformed("%d result days, more than %d", n, MaxResultDays)
	}
	if len(r.b) != n*(4+ElemSize) {
		return nil, malformed("%d result days need %d bytes, have %d", n, n*(4+ElemSize), len(r.b))
	}
	s.Days = make([]uint32, n)
	s.Values = make([]field.Scalar, n)
	for i := range n {
		s.Days[i] = r.u32("day")
		if i > 0 && s.Days[i] <= s.Days[i-1] {
			return nil, malformed("result days not increasing")
		}
		if err := (field.ScalarField{}).Decode(s.Values[i:i+1], r.take(ElemSize, "value")); err != nil {
			return nil, malformed("result value %d: %v", i, err)
		}
	}
	return s, r.end()
}

func want(b []byte, t Type) error {
	got, err := header(b)
	if err != nil {
		return err
	}
	if got != t {
		return malformed("%v message, want %v", got, t)
	}
	return nil
}

// RefusalFor is the Error a party answers for a request that did not
// decode: CodeBadShare, CodeTooManyRecords or CodeBadVersion where err says
// so, CodeBadFrame otherwise.
func RefusalFor(err error) *Error {
	c := CodeBadFrame
	switch {
	case errors.Is(err, record.ErrBadShare):
		c = CodeBadShare
	case errors.Is(err, ErrTooManyRecords):
		c = CodeTooManyRecords
	case errors.Is(err, ErrVersion):
		c = CodeBadVersion
	}
	return &Error{Code: c, Message: err.Error()}
}
