package store

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Kind says whether a record belongs to an ordinary upload, to a person's
// positive report or to a venue warning. (Whether it came from a venue, GPS
// or an encounter is hashed into the record's key and is not known to the
// party.)
type Kind uint8

const (
	KindOrdinary     Kind = 1
	KindPositive     Kind = 2
	KindVenueWarning Kind = 3 // a venue's buckets, warned of by a venue-warning code
)

// Reports reports whether k is a kind of positive report: a person's or a
// venue warning.
func (k Kind) Reports() bool { return k == KindPositive || k == KindVenueWarning }

// String returns "ordinary", "positive" or "venue-warning".
func (k Kind) String() string {
	switch k {
	case KindOrdinary:
		return "ordinary"
	case KindPositive:
		return "positive"
	case KindVenueWarning:
		return "venue-warning"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

func (k Kind) valid() bool { return k == KindOrdinary || k.Reports() }

// Record is one record's share held by this party, with its metadata.
type Record struct {
	Day       Day    // UTC day of the record's time bucket
	ID        []byte // client-chosen random record id, 1..MaxIDLen bytes
	UploadID  []byte // set by PutUpload
	ResultKey []byte // the user's X25519 result public key
	Kind      Kind
	Created   time.Time // set by PutUpload: when this party stored it
	Share     []byte    // this party's share, opaque to the store
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
// stored. PutUpload sets each record's UploadID and Created; it does not
// modify u otherwise.
func (s *Store) PutUpload(u *Upload, now time.Time) (Receipt, error) {
	if err := checkID("upload id", u.ID); err != nil {
		return Receipt{}, err
	}
	for i := range u.Records {
		r := &u.Records[i]
		if err := checkID(fmt.Sprintf("record %d id", i), r.ID); err != nil {
			return Receipt{}, err
		}
		if !r.Kind.valid() {
			return Receipt{}, fmt.Errorf("store: record %d: unknown kind %d", i, r.Kind)
		}
	}
	var rc Receipt
	s.shred.RLock()
	defer s.shred.RUnlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		ub := tx.Bucket(bucketUploads)
		old, done, err := beginUpload(tx, u, now)
		if err != nil || done {
			rc = old
			return err
		}
		if err := s.checkRoom(tx, int64(len(u.Records))); err != nil {
			return err
		}
		if err := s.countUserDays(tx, u.Records); err != nil {
			return err
		}
		rb := tx.Bucket(bucketRecords)
		for i := range u.Records {
			r := u.Records[i]
			r.UploadID = u.ID
			r.Created = now
			k := recordKey(r.Day, r.ID)
			if rb.Get(k) != nil {
				return fmt.Errorf("%w (day %s, record %d of the upload)", ErrRecordExists, r.Day, i)
			}
			dk, err := s.keys.ensure(r.Day)
			if err != nil {
				return err
			}
			if err := rb.Put(k, dk.seal(adRecord(k), encodeRecord(&r))); err != nil {
				return err
			}
		}
		if err := addCounter(tx, metaRecords, int64(len(u.Records))); err != nil {
			return err
		}
		rc = Receipt{UploadID: append([]byte(nil), u.ID...), ContentHash: u.ContentHash, Records: len(u.Records), Stored: time.Unix(0, now.UnixNano()).UTC()}
		return ub.Put(u.ID, encodeReceipt(rc))
	})
	if err != nil {
		if isClientError(err) {
			return Receipt{}, err
		}
		return Receipt{}, fmt.Errorf("store: put upload: %w", err)
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

// countUserDays adds recs with a result key to the per-user-day counters,
// or returns ErrQuota
// if one would pass Options.MaxRecordsPerUserDay. The counters are keyed by
// day and an HMAC of the result key under the day's key, so after expiry they
// cannot be linked to the user.
func (s *Store) countUserDays(tx *bolt.Tx, recs []Record) error {
	type userDay struct {
		day Day
		key string
	}
	n := map[userDay]int{}
	for i := range recs {
		// Records without a result key (positive reports) count for nobody;
		// the authority codes bound them.
		if len(recs[i].ResultKey) == 0 {
			continue
		}
		n[userDay{recs[i].Day, string(recs[i].ResultKey)}]++
	}
	b := tx.Bucket(bucketQuota)
	for ud, c := range n {
		dk, err := s.keys.ensure(ud.day)
		if err != nil {
			return err
		}
		k := dk.quotaKey(ud.day, []byte(ud.key))
		cur := 0
		if v := b.Get(k); len(v) == 4 {
			cur = int(binary.BigEndian.Uint32(v))
		}
		if s.opt.MaxRecordsPerUserDay >= 0 && cur+c > s.opt.MaxRecordsPerUserDay {
			return fmt.Errorf("%w (day %s: %d stored, %d more, limit %d)", ErrQuota, ud.day, cur, c, s.opt.MaxRecordsPerUserDay)
		}
		if err := b.Put(k, binary.BigEndian.AppendUint32(nil, uint32(cur+c))); err != nil {
			return err
		}
	}
	return nil
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
func (s *Store) ForEachRecord(from, to Day, fn func(r *Record) error) error {
	keys := s.keys.snapshot()
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		start := binary.BigEndian.AppendUint32(nil, uint32(from))
		var buf []byte
		var dk *dayKey
		var kd Day
		for k, v := c.Seek(start); k != nil; k, v = c.Next() {
			if len(k) < 5 {
				return errCorrupt
			}
			d := Day(binary.BigEndian.Uint32(k))
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
			r, err := decodeRecord(k, buf)
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

func recordKey(d Day, id []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(d)), id...)
}

// Record values (sealed under the day key, see keys.go): version 1, kind, created (int64 BE Unix ns), then upload id,
// result key and share, each with a uvarint length.
const recordVersion = 1

func encodeRecord(r *Record) []byte {
	b := make([]byte, 0, 10+len(r.UploadID)+len(r.ResultKey)+len(r.Share)+9)
	b = append(b, recordVersion, byte(r.Kind))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Created.UnixNano()))
	for _, f := range [][]byte{r.UploadID, r.ResultKey, r.Share} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

var errCorrupt = errors.New("store: corrupt record")

func decodeRecord(k, v []byte) (*Record, error) {
	if len(k) < 5 || len(v) < 10 || v[0] != recordVersion {
		return nil, errCorrupt
	}
	r := &Record{
		Day:     Day(binary.BigEndian.Uint32(k)),
		ID:      k[4:],
		Kind:    Kind(v[1]),
		Created: time.Unix(0, int64(binary.BigEndian.Uint64(v[2:]))).UTC(),
	}
	v = v[10:]
	for _, f := range []*[]byte{&r.UploadID, &r.ResultKey, &r.Share} {
		n, m := binary.Uvarint(v)
		if m <= 0 || n > uint64(len(v)-m) {
			return nil, errCorrupt
		}
		*f = v[m : m+int(n)]
		v = v[m+int(n):]
	}
	if len(v) != 0 {
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

// beginUpload starts storing upload u inside tx: if u was stored before it
// returns the old receipt and done (or ErrUploadReused when the content
// differs); otherwise it records the use of u's authority code, which fails
// with ErrCodeUsed for a code used before.
func beginUpload(tx *bolt.Tx, u *Upload, now time.Time) (old Receipt, done bool, err error) {
	if v := tx.Bucket(bucketUploads).Get(u.ID); v != nil {
		old, err := decodeReceipt(u.ID, v)
		if err != nil {
			return Receipt{}, false, err
		}
		if subtle.ConstantTimeCompare(old.ContentHash[:], u.ContentHash[:]) != 1 {
			return Receipt{}, false, ErrUploadReused
		}
		return old, true, nil
	}
	if u.Code != nil {
		if err := useCode(tx, u.Code.ID, u.Code.Expires); err != nil {
			return Receipt{}, false, err
		}
	}
	return Receipt{}, false, nil
}
