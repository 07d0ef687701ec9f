package wire

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/safetrace/safetrace/wire/record"
)

// Kind of an upload.
type Kind uint8

// Upload kinds, also the kinds of the records the party stores.
const (
	KindOrdinary     Kind = 1 // a visitor's own records
	KindPositive     Kind = 2 // a positive report, authorised by an authority code
	KindVenueWarning Kind = 3 // a venue warning, authorised by a venue-warning code
)

// Reports reports whether k is a kind of positive report (a person's or a
// venue warning), whose records carry weights and an authority code.
func (k Kind) Reports() bool { return k == KindPositive || k == KindVenueWarning }

func (k Kind) String() string {
	switch k {
	case KindOrdinary:
		return "ordinary"
	case KindPositive:
		return "positive"
	case KindVenueWarning:
		return "venue-warning"
	}
	return "unknown"
}

// Record is one party's share of one record, with the record's public
// fields.
type Record struct {
	ID  [IDSize]byte // random, chosen by the client
	Day record.Day   // UTC day of the record
	record.Share
}

// ErrTooManyRecords is wrapped by errors for an upload of more than
// MaxRecords records.
var ErrTooManyRecords = errors.New("too many records")

// UploadShare returns the share of record i of the encoded upload b, which
// DecodeUpload accepted with count records: the bytes AppendShare gives for
// that record, since decoding accepts only canonical encodings, so a party
// stores them without encoding the decoded share again. The slice aliases
// b.
func UploadShare(b []byte, count, i int) []byte {
	off := len(b) - (count-i)*RecordSize + IDSize + 4
	return b[off : off+ShareSize : off+ShareSize]
}

// Upload asks a party to store its shares of records. The encoding is
//
//	version || type 1 || reply key (32) || upload id (16) || kind (1)
//	|| code length (2) || code || result key (32) || token hash (32)
//	|| record count (4) || count * (record id (16) || day (4) || share (96))
//
// with big-endian integers. Code is empty for ordinary uploads and 1 to
// MaxCodeLen bytes for positive ones and venue warnings. Record ids are unique in an upload.
type Upload struct {
	ReplyKey  [KeySize]byte // X25519 public key the party seals its reply to
	ID        [IDSize]byte  // random; the same on every retry and at every party
	Kind      Kind
	Code      string        // the authority code of a positive report
	ResultKey [KeySize]byte // the user's X25519 result public key
	TokenHash [HashSize]byte
	Records   []Record
}

func (*Upload) Type() Type { return TypeUpload }

// AppendBinary implements Message.
func (u *Upload) AppendBinary(b []byte) ([]byte, error) {
	if err := u.check(); err != nil {
		return nil, err
	}
	b = append(b, Version, byte(TypeUpload))
	b = append(b, u.ReplyKey[:]...)
	b = append(b, u.ID[:]...)
	b = append(b, byte(u.Kind))
	b = binary.BigEndian.AppendUint16(b, uint16(len(u.Code)))
	b = append(b, u.Code...)
	b = append(b, u.ResultKey[:]...)
	b = append(b, u.TokenHash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(u.Records)))
	for i := range u.Records {
		r := &u.Records[i]
		b = append(b, r.ID[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(r.Day))
		b = r.AppendShare(b)
	}
	return b, nil
}

func (u *Upload) check() error {
	switch u.Kind {
	case KindOrdinary:
		if u.Code != "" {
			return malformed("ordinary upload with an authority code")
		}
	case KindPositive, KindVenueWarning:
		if u.Code == "" {
			return malformed("%v upload without an authority code", u.Kind)
		}
	default:
		return malformed("unknown upload kind %d", u.Kind)
	}
	if err := checkText(u.Code, MaxCodeLen, "authority code"); err != nil {
		return err
	}
	if len(u.Records) == 0 {
		return malformed("upload without records")
	}
	if len(u.Records) > MaxRecords {
		return malformed("%d records, more than %d", len(u.Records), MaxRecords)
	}
	seen := make(map[[IDSize]byte]bool, len(u.Records))
	for i := range u.Records {
		if seen[u.Records[i].ID] {
			return malformed("record id %x twice", u.Records[i].ID)
		}
		seen[u.Records[i].ID] = true
	}
	return nil
}

// ContentHash is the SHA-256 of a domain separator and the upload's
// encoding after the reply key: everything the party stores. Retries with a
// fresh reply key have the same content hash.
func (u *Upload) ContentHash() ([HashSize]byte, error) {
	b, err := u.AppendBinary(nil)
	if err != nil {
		return [HashSize]byte{}, err
	}
	return contentHash(b), nil
}

func contentHash(enc []byte) [HashSize]byte {
	h := sha256.New()
	h.Write([]byte("safetrace upload content v1\x00"))
	h.Write(enc[requestHdrSize:])
	var out [HashSize]byte
	h.Sum(out[:0])
	return out
}

// DecodeUpload decodes an Upload strictly and also returns its content hash.
// Points and scalars must be canonical encodings; the count must match the
// length exactly.
func DecodeUpload(b []byte) (*Upload, error) {
	u, _, err := DecodeUploadHash(b)
	return u, err
}

// DecodeUploadHash is DecodeUpload that also returns the content hash.
func DecodeUploadHash(b []byte) (*Upload, [HashSize]byte, error) {
	var h [HashSize]byte
	t, err := header(b)
	if err != nil {
		return nil, h, err
	}
	if t != TypeUpload {
		return nil, h, malformed("%v message, want upload", t)
	}
	r := &reader{b: b[2:]}
	u := &Upload{}
	copy(u.ReplyKey[:], r.take(KeySize, "reply key"))
	copy(u.ID[:], r.take(IDSize, "upload id"))
	u.Kind = Kind(r.u8("kind"))
	n := int(r.u16("code length"))
	if n > MaxCodeLen {
		return nil, h, malformed("authority code of %d bytes exceeds %d", n, MaxCodeLen)
	}
	u.Code = string(r.take(n, "authority code"))
	copy(u.ResultKey[:], r.take(KeySize, "result key"))
	copy(u.TokenHash[:], r.take(HashSize, "token hash"))
	count := r.u32("record count")
	if r.err != nil {
		return nil, h, r.err
	}
	if count > MaxRecords {
		return nil, h, fmt.Errorf("%w: %w: %d, at most %d", ErrMalformed, ErrTooManyRecords, count, MaxRecords)
	}
	if uint64(len(r.b)) != uint64(count)*RecordSize {
		return nil, h, malformed("%d records need %d bytes, have %d", count, uint64(count)*RecordSize, len(r.b))
	}
	u.Records = make([]Record, count)
	for i := range u.Records {
		rec := &u.Records[i]
		copy(rec.ID[:], r.take(IDSize, "record id"))
		rec.Day = record.Day(r.u32("day"))
		var err error
		rec.Share, err = record.DecodeShare(r.take(ShareSize, "share"))
		if err != nil {
			return nil, h, fmt.Errorf("record %d: %w", i, err)
		}
	}
	if err := r.end(); err != nil {
		return nil, h, err
	}
	if err := u.check(); err != nil {
		return nil, h, err
	}
	return u, contentHash(b), nil
}
