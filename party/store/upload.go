package store

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
	bolt "go.etcd.io/bbolt"
)

// Record is one record's share as it arrived in an upload, with this
// party's metadata. The record's kind (ordinary, positive or venue
// warning) is its
// upload's; whether it came from a venue, GPS or an encounter is hashed
// into the record's key and is not known to the party.
type Record struct {
	wire.Record
	UploadID  []byte // set by PutUpload
	ResultKey []byte // the user's X25519 result public key
	Kind      wire.Kind
	Created   time.Time // set by PutUpload: when this party stored it
	// Encoded is the share's 96-byte encoding as it arrived
	// (wire.UploadShare), if the caller has it: decoding accepted only the
	// canonical encoding, so it equals Share's, and PutUpload stores it
	// instead of encoding Share again. Nil means encode Share. Records read
	// from the store leave it nil, but for ForEachRecordEncoded.
	Encoded []byte
}

// CodeUse names the authority code that authorises a positive report.
type CodeUse struct {
	ID      [16]byte
	Expires time.Time
}

// Upload is what one client envelope asks this party to store.
type Upload struct {
	ID          []byte   // client-chosen upload id, 1..MaxIDLen bytes
	ContentHash [32]byte // hash of the opened payload; equal hashes mean a retry
	Records     []Record
	Code        *CodeUse // non-nil for a positive report
}

// Receipt describes a stored upload. A retried upload gets the receipt of its
// first storing.
type Receipt struct {
	UploadID    []byte
	ContentHash [32]byte
	Records     int
	Stored      time.Time
}

// PutUpload stores u's records in one transaction, committed (and fsynced)
// before it returns. If u.Code is set, the code is recorded as used in the
// same transaction, so either the report and the code's use are both stored or
// neither is. Re-sending an upload id with the same content hash returns the
// first receipt and stores nothing; with a different hash it returns
// ErrUploadReused. A record id already stored under the same day gives
// ErrRecordExists; a used code gives ErrCodeUsed. On any error nothing is
// stored. PutUpload does not modify u.
//
// Concurrent calls share a transaction and its fsync (group commit,
// groupcommit.go); each still gets its receipt only once its upload is on
// disk, and one upload's error does not affect the others.
func (s *Store) PutUpload(u *Upload, now time.Time) (Receipt, error) {
	if err := checkRecords(u); err != nil {
		return Receipt{}, err
	}
	r, err := s.prepare(u, now)
	if err != nil {
		return Receipt{}, fmt.Errorf("store: put upload: %w", err)
	}
	s.enqueue(r)
	if r.err != nil {
		if isClientError(r.err) {
			return Receipt{}, r.err
		}
		return Receipt{}, fmt.Errorf("store: put upload: %w", r.err)
	}
	return r.rc, nil
}

// putUpload stores upload u in one transaction: unless u was stored before
// (its first receipt is returned) or its code was used, it checks that
// items more fit, calls put to store the content, and stores the receipt
// of count items. Errors other than the client errors are prefixed with
// "store: " and what. An error rolls the whole transaction back, so unlike
// putPrepared it may write before every check is done.
func (s *Store) putUpload(u *Upload, now time.Time, what string, count int, items int64, put func(*bolt.Tx) error) (Receipt, error) {
	var rc Receipt
	s.shred.RLock()
	defer s.shred.RUnlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, done, err := storedReceipt(tx, u)
		if err != nil || done {
			rc = old
			return err
		}
		if u.Code != nil {
			if err := useCode(tx, u.Code.ID, u.Code.Expires); err != nil {
				return err
			}
		}
		if err := s.checkRoom(tx, items); err != nil {
			return err
		}
		if err := put(tx); err != nil {
			return err
		}
		rc, err = putReceipt(tx, u, count, now)
		return err
	})
	if err != nil {
		if isClientError(err) {
			return Receipt{}, err
		}
		return Receipt{}, fmt.Errorf("store: %s: %w", what, err)
	}
	return rc, nil
}

// isClientError reports whether err is one that callers branch on, returned
// without a "put upload" prefix.
func isClientError(err error) bool {
	for _, e := range []error{ErrCodeUsed, ErrUploadReused, ErrRecordExists, ErrFull, ErrQuota} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Upload returns the receipt of a stored upload id, if any.
func (s *Store) Upload(id []byte) (Receipt, bool, error) {
	var rc Receipt
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketUploads).Get(id)
		if v == nil {
			return nil
		}
		var err error
		rc, err = decodeReceipt(id, v)
		ok = err == nil
		return err
	})
	return rc, ok, err
}

// ForEachRecord calls fn for every record with from <= Day <= to, in order of
// (day, id). The Record and its slices are valid only during the call; copy
// what must be kept. An error from fn stops the iteration and is returned.
func (s *Store) ForEachRecord(from, to record.Day, fn func(r *Record) error) error {
	return s.forEachRecord(from, to, decodeRecord, fn)
}

// ForEachRecordEncoded is ForEachRecord without decoding the shares: each
// record's Share is zero and Encoded holds its stored encoding, for a pass
// that reads only the public fields.
func (s *Store) ForEachRecordEncoded(from, to record.Day, fn func(r *Record) error) error {
	return s.forEachRecord(from, to, decodeRecordEncoded, fn)
}

func (s *Store) forEachRecord(from, to record.Day, decode func(k, v []byte) (*Record, error), fn func(r *Record) error) error {
	keys := s.keys.snapshot()
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		start := binary.BigEndian.AppendUint32(nil, uint32(from))
		var buf []byte
		var dk *dayKey
		var kd record.Day
		for k, v := c.Seek(start); k != nil; k, v = c.Next() {
			if len(k) < 5 {
				return errCorrupt
			}
			d := record.Day(binary.BigEndian.Uint32(k))
			if d > to {
				break
			}
			if dk == nil || d != kd {
				var err error
				if dk, err = s.keyFor(keys, d); err != nil {
					return err
				}
				kd = d
			}
			var err error
			if buf, err = dk.open(buf, adRecord(k), v); err != nil {
				return err
			}
			r, err := decode(k, buf)
			if err != nil {
				return err
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func checkID(what string, id []byte) error {
	if len(id) == 0 || len(id) > MaxIDLen {
		return fmt.Errorf("store: %s is %d bytes, need 1..%d", what, len(id), MaxIDLen)
	}
	return nil
}

func recordKey(d record.Day, id []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(d)), id...)
}

// checkRecords checks the upload id and the kinds of u's records.
func checkRecords(u *Upload) error {
	if err := checkID("upload id", u.ID); err != nil {
		return err
	}
	for i := range u.Records {
		if k := u.Records[i].Kind; k != wire.KindOrdinary && !k.Reports() {
			return fmt.Errorf("store: record %d: unknown kind %d", i, k)
		}
		if e := u.Records[i].Encoded; e != nil && len(e) != wire.ShareSize {
			return fmt.Errorf("store: record %d: encoded share of %d bytes, want %d", i, len(e), wire.ShareSize)
		}
	}
	return nil
}

// Record values (sealed under the day key, see keys.go): version 1, kind,
// created (int64 BE Unix ns), then upload id, result key and the share
// (record.Share's 96-byte encoding), each with a uvarint length. The key is
// day (uint32 BE) || record id (16 bytes).
const recordVersion = 1

func encodeRecord(r *Record) []byte {
	return appendRecord(make([]byte, 0, 10+len(r.UploadID)+len(r.ResultKey)+wire.ShareSize+9), r)
}

// appendRecord appends the encoding of r to b.
func appendRecord(b []byte, r *Record) []byte {
	b = append(b, recordVersion, byte(r.Kind))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Created.UnixNano()))
	share := r.Encoded
	if share == nil {
		share = r.AppendShare(nil)
	}
	for _, f := range [][]byte{r.UploadID, r.ResultKey, share} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

var errCorrupt = errors.New("store: corrupt record")

// decodeRecord decodes a record's key and sealed value. The record's
// UploadID and ResultKey alias v.
func decodeRecord(k, v []byte) (*Record, error) {
	r, err := decodeRecordEncoded(k, v)
	if err != nil {
		return nil, err
	}
	if r.Share, err = record.DecodeShare(r.Encoded); err != nil {
		return nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	r.Encoded = nil
	return r, nil
}

// decodeRecordEncoded is decodeRecord but leaves the share undecoded, in
// r.Encoded (aliasing v).
func decodeRecordEncoded(k, v []byte) (*Record, error) {
	if len(k) != 4+wire.IDSize || len(v) < 10 || v[0] != recordVersion {
		return nil, errCorrupt
	}
	if k := wire.Kind(v[1]); k != wire.KindOrdinary && !k.Reports() {
		return nil, errCorrupt
	}
	r := &Record{
		Kind:    wire.Kind(v[1]),
		Created: time.Unix(0, int64(binary.BigEndian.Uint64(v[2:]))).UTC(),
	}
	r.Day = record.Day(binary.BigEndian.Uint32(k))
	copy(r.ID[:], k[4:])
	v = v[10:]
	for _, f := range []*[]byte{&r.UploadID, &r.ResultKey, &r.Encoded} {
		n, m := binary.Uvarint(v)
		if m <= 0 || n > uint64(len(v)-m) {
			return nil, errCorrupt
		}
		*f = v[m : m+int(n)]
		v = v[m+int(n):]
	}
	if len(v) != 0 || len(r.Encoded) != wire.ShareSize {
		return nil, errCorrupt
	}
	return r, nil
}

// Upload values: content hash (32), stored time (int64 BE Unix ns), record
// count (uint32 BE).
func encodeReceipt(rc Receipt) []byte {
	b := append([]byte(nil), rc.ContentHash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(rc.Stored.UnixNano()))
	return binary.BigEndian.AppendUint32(b, uint32(rc.Records))
}

func decodeReceipt(id, v []byte) (Receipt, error) {
	if len(v) != 44 {
		return Receipt{}, errors.New("store: corrupt upload entry")
	}
	rc := Receipt{UploadID: append([]byte(nil), id...)}
	copy(rc.ContentHash[:], v)
	rc.Stored = time.Unix(0, int64(binary.BigEndian.Uint64(v[32:]))).UTC()
	rc.Records = int(binary.BigEndian.Uint32(v[40:]))
	return rc, nil
}

// storedReceipt looks upload u up inside tx: if it was stored before it
// returns the first receipt and done, or ErrUploadReused when the content
// hash differs.
func storedReceipt(tx *bolt.Tx, u *Upload) (old Receipt, done bool, err error) {
	v := tx.Bucket(bucketUploads).Get(u.ID)
	if v == nil {
		return Receipt{}, false, nil
	}
	if old, err = decodeReceipt(u.ID, v); err != nil {
		return Receipt{}, false, err
	}
	if subtle.ConstantTimeCompare(old.ContentHash[:], u.ContentHash[:]) != 1 {
		return Receipt{}, false, ErrUploadReused
	}
	return old, true, nil
}

// putReceipt stores, inside tx, the receipt of upload u of count items
// stored at now, and returns it.
func putReceipt(tx *bolt.Tx, u *Upload, count int, now time.Time) (Receipt, error) {
	rc := NewReceipt(u, count, now)
	return rc, tx.Bucket(bucketUploads).Put(u.ID, encodeReceipt(rc))
}

// NewReceipt returns the receipt of upload u of count items stored at now
// (to the nanosecond, in UTC, as every store keeps it).
func NewReceipt(u *Upload, count int, now time.Time) Receipt {
	return Receipt{UploadID: append([]byte(nil), u.ID...), ContentHash: u.ContentHash, Records: count, Stored: time.Unix(0, now.UnixNano()).UTC()}
}
