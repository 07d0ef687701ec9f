// Package store is a party's durable embedded storage, on bbolt
// (go.etcd.io/bbolt): one file, ACID transactions, and an fsync on every
// commit, so nothing is acknowledged before it is on disk (DESIGN.md 4.2).
//
// Buckets:
//
//	records  day (uint32 BE, days since 1970-01-01 UTC) || record id -> Record
//	uploads  upload id -> content hash, stored time, record count (idempotency)
//	codes    authority code id (16 bytes) -> time used, code expiry
//	results  SHA-256(user result public key) || seq (uint64 BE) -> created time, sealed blob
//	runs     run id -> bucket of 0x00 -> created time, 0x01 || seq -> input,
//	         0x02 -> items counted against Options.MaxRecords
//	quota    day || HMAC(result key)[:16] -> records of that user key and day
//	meta     "format" -> 2, "id" -> store id (16), "records", "runitems" -> counts
//
// Record values, result blobs and run inputs are sealed with per-day keys
// kept in a separate key file and destroyed at expiry (keys.go explains
// the scheme and exactly what it guarantees).
//
// Entry points: [Open]; [Store.PutUpload] stores an upload's records, and for
// a positive report uses its authority code, in one transaction;
// [Store.ForEachRecord] reads records for an epoch; [Store.Expire] applies the
// retention window (DESIGN.md 4.5).
//
// Warning: the running store can decrypt every live share. Shares reveal
// nothing alone, but a coalition of more than t parties' data directories
// (database and key file) reveals every live record: protect them like a key.
//
// Databases written before the values were encrypted (no "meta" bucket) are
// refused by Open with ErrOldFormat; nothing is migrated.
package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/safetrace/safetrace/wire/record"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketRecords = []byte("records")
	bucketUploads = []byte("uploads")
	bucketCodes   = []byte("codes")
	bucketResults = []byte("results")
	bucketRuns    = []byte("runs")
	bucketQuota   = []byte("quota")
	bucketMeta    = []byte("meta")

	metaFormat   = []byte("format")
	metaID       = []byte("id")
	metaRecords  = []byte("records")
	metaRunItems = []byte("runitems")
)

// storeFormat is the value of meta "format": 2 is the first encrypted format.
const storeFormat = 2

// Errors callers branch on.
var (
	// ErrCodeUsed is returned when an authority code was used before.
	ErrCodeUsed = errors.New("store: authority code already used")
	// ErrUploadReused is returned for an upload id stored before with other content.
	ErrUploadReused = errors.New("store: upload id reused with different content")
	// ErrRecordExists is returned when a record id of the day is already stored
	// by another upload.
	ErrRecordExists = errors.New("store: record id already stored by another upload")
	// ErrFull is returned by PutUpload and PutRunInput when storing would
	// pass Options.MaxRecords.
	ErrFull = errors.New("store: the party's store is full")
	// ErrQuota is returned by PutUpload when a result key would have more
	// than Options.MaxRecordsPerUserDay records on one day.
	ErrQuota = errors.New("store: too many records for this user key and day")
	// ErrOldFormat is returned by Open for a database of the unencrypted
	// format, which is not migrated.
	ErrOldFormat = errors.New("store: database in the old unencrypted format; it is not migrated: delete it (its records expire anyway) or read it with the previous version")
)

// Defaults for Options fields left zero.
const (
	// DefaultMaxRecords bounds the records (plus run-input items) a party
	// stores. An epoch over 1.7e7 records passes the mesh's 1 GiB frame limit
	// and 10^6 records take about 3 GB per party; 5e6 leaves room for the
	// epoch's dummies while keeping it under the limit. At about 300 bytes
	// per record on disk this is about 1.5 GB of database.
	DefaultMaxRecords = 5_000_000
	// DefaultMaxRecordsPerUserDay bounds one result key's records of one
	// day: a visitor with a record for every 15-minute bucket of the day at
	// 20 places has 1920.
	DefaultMaxRecordsPerUserDay = 2000
)

// Options configures a store. Zero fields take the defaults above; a
// negative field means no limit.
type Options struct {
	MaxRecords           int64 // records plus run-input items stored in total
	MaxRecordsPerUserDay int   // records per result key and day
}

// Limits on sizes of identifiers.
const (
	MaxIDLen = 64 // record and upload ids, 1..64 bytes
)

// Store is an open party database. Its methods may be called concurrently.
type Store struct {
	db   *bolt.DB
	keys *keyring
	opt  Options
	// shred is held shared by writers that create day keys and exclusively
	// by Expire, so no value is committed under a key Expire is destroying.
	shred sync.RWMutex
	// gc queues uploads for the writer goroutine (groupcommit.go).
	gc groupCommit
}

// Open opens or creates the database file at path (mode 0600) and its key
// file, path+".keys". It waits at most one second for another process's lock
// on the file. At most one Options may be given. A database of the old
// unencrypted format gives ErrOldFormat; a database whose key file is
// missing or belongs to another database is refused.
func Open(path string, opts ...Options) (*Store, error) {
	if len(opts) > 1 {
		return nil, errors.New("store: more than one Options")
	}
	var o Options
	if len(opts) == 1 {
		o = opts[0]
	}
	if o.MaxRecords == 0 {
		o.MaxRecords = DefaultMaxRecords
	}
	if o.MaxRecordsPerUserDay == 0 {
		o.MaxRecordsPerUserDay = DefaultMaxRecordsPerUserDay
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Never set NoSync: a commit must be on disk before it is acknowledged.
	db.NoSync = false
	var keys *keyring
	err = db.Update(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil {
			if f := m.Get(metaFormat); len(f) != 1 || f[0] != storeFormat {
				return fmt.Errorf("database format %v, want %d", f, storeFormat)
			}
			var id [16]byte
			if len(m.Get(metaID)) != 16 {
				return errors.New("corrupt store id")
			}
			copy(id[:], m.Get(metaID))
			var err error
			keys, err = openKeyring(keyPath(path), id)
			return err
		}
		for _, b := range [][]byte{bucketRecords, bucketUploads, bucketCodes, bucketResults, bucketRuns} {
			if tx.Bucket(b) != nil {
				return ErrOldFormat
			}
		}
		for _, b := range [][]byte{bucketRecords, bucketUploads, bucketCodes, bucketResults, bucketRuns, bucketQuota, bucketMeta} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		var id [16]byte
		rand.Read(id[:])
		m := tx.Bucket(bucketMeta)
		for k, v := range map[string][]byte{"format": {storeFormat}, "id": id[:], "records": make([]byte, 8), "runitems": make([]byte, 8)} {
			if err := m.Put([]byte(k), v); err != nil {
				return err
			}
		}
		var err error
		keys, err = createKeyring(keyPath(path), id)
		return err
	})
	if err != nil {
		db.Close()
		if keys != nil {
			keys.close()
		}
		if errors.Is(err, ErrOldFormat) {
			return nil, fmt.Errorf("%w (%s)", ErrOldFormat, path)
		}
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	s := &Store{db: db, keys: keys, opt: o}
	s.startWriter()
	return s, nil
}

// Close closes the database and the key file. It waits for running
// transactions.
func (s *Store) Close() error {
	s.stopWriter()
	err := s.db.Close()
	if kerr := s.keys.close(); err == nil {
		err = kerr
	}
	return err
}

// Stats are the store's sizes, for metrics.
type Stats struct {
	Records    int64 // stored records
	RunItems   int64 // items of stored run inputs from uploads
	MaxRecords int64 // the limit on Records+RunItems; negative: none
	DayKeys    int   // live day keys
	DBBytes    int64 // size of the database file
}

// Stats returns the store's current sizes.
func (s *Store) Stats() (Stats, error) {
	st := Stats{MaxRecords: s.opt.MaxRecords}
	err := s.db.View(func(tx *bolt.Tx) error {
		st.Records, st.RunItems = counters(tx)
		st.DBBytes = tx.Size()
		return nil
	})
	s.keys.mu.Lock()
	st.DayKeys = len(s.keys.days)
	s.keys.mu.Unlock()
	return st, err
}

func counters(tx *bolt.Tx) (records, runItems int64) {
	m := tx.Bucket(bucketMeta)
	return int64(binary.BigEndian.Uint64(m.Get(metaRecords))), int64(binary.BigEndian.Uint64(m.Get(metaRunItems)))
}

// addCounter adds delta to the meta counter name.
func addCounter(tx *bolt.Tx, name []byte, delta int64) error {
	if delta == 0 {
		return nil
	}
	m := tx.Bucket(bucketMeta)
	v := int64(binary.BigEndian.Uint64(m.Get(name))) + delta
	if v < 0 {
		return fmt.Errorf("counter %s below zero", name)
	}
	return m.Put(name, binary.BigEndian.AppendUint64(nil, uint64(v)))
}

// checkRoom returns ErrFull if n more items do not fit.
func (s *Store) checkRoom(tx *bolt.Tx, n int64) error {
	if s.opt.MaxRecords < 0 {
		return nil
	}
	r, ri := counters(tx)
	if r+ri+n > s.opt.MaxRecords {
		return fmt.Errorf("%w (%d stored, %d more, limit %d)", ErrFull, r+ri, n, s.opt.MaxRecords)
	}
	return nil
}

// UseCode records the authority code id as used at now, or returns
// ErrCodeUsed if it was used before. expires is the code's expiry: the entry is
// kept at least until then (see Expire). For a positive report, set
// Upload.Code instead, so the code is used in the same transaction that stores
// the report.
func (s *Store) UseCode(id [16]byte, expires, now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error { return useCode(tx, id, expires) })
}

func useCode(tx *bolt.Tx, id [16]byte, expires time.Time) error {
	b := tx.Bucket(bucketCodes)
	if v := b.Get(id[:]); v != nil {
		return ErrCodeUsed
	}
	// Only "spent" and the code's own expiry are kept: no time of use, which
	// would link the code to the upload stored in the same transaction.
	v := make([]byte, 8, 16)
	v = binary.BigEndian.AppendUint64(v, uint64(expires.UnixNano()))
	return b.Put(id[:], v)
}

// CodeUsed reports whether the code id is recorded as used.
func (s *Store) CodeUsed(id [16]byte) (bool, error) {
	var used bool
	err := s.db.View(func(tx *bolt.Tx) error {
		used = tx.Bucket(bucketCodes).Get(id[:]) != nil
		return nil
	})
	return used, err
}

// Result is a sealed result blob waiting for delivery.
type Result struct {
	Seq     uint64 // increasing per store; DeleteResults deletes through a Seq
	Created time.Time
	Blob    []byte
}

func userPrefix(userKey []byte) []byte {
	h := sha256.Sum256(userKey)
	return h[:]
}

// PutResult stores a sealed result blob for the user whose result public key
// is userKey and returns its sequence number.
func (s *Store) PutResult(userKey, blob []byte, now time.Time) (uint64, error) {
	var seq uint64
	s.shred.RLock()
	defer s.shred.RUnlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketResults)
		var err error
		if seq, err = b.NextSequence(); err != nil {
			return err
		}
		return s.putResult(b, userKey, seq, blob, now)
	})
	if err != nil {
		return 0, fmt.Errorf("store: put result: %w", err)
	}
	return seq, nil
}

// putResult stores blob as result seq of userKey, sealed under the key of
// DayOf(now). The value is the created time (int64 BE Unix ns, in the clear
// for Expire) and the sealed blob.
func (s *Store) putResult(b *bolt.Bucket, userKey []byte, seq uint64, blob []byte, now time.Time) error {
	dk, err := s.keys.ensure(record.DayOf(now))
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64(userPrefix(userKey), seq)
	v := binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))
	return b.Put(k, append(v, dk.seal(adResult(k, v), blob)...))
}

// Results returns the user's stored result blobs, oldest first. The blobs are
// copies.
func (s *Store) Results(userKey []byte) ([]Result, error) {
	var rs []Result
	p := userPrefix(userKey)
	keys := s.keys.snapshot()
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketResults).Cursor()
		for k, v := c.Seek(p); k != nil && len(k) == 40 && string(k[:32]) == string(p); k, v = c.Next() {
			if len(v) < 8 {
				return fmt.Errorf("corrupt result entry")
			}
			created := time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
			dk, err := s.keyFor(keys, record.DayOf(created))
			if err != nil {
				return err
			}
			blob, err := dk.open(nil, adResult(k, v[:8]), v[8:])
			if err != nil {
				return err
			}
			rs = append(rs, Result{Seq: binary.BigEndian.Uint64(k[32:]), Created: created, Blob: blob})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: results: %w", err)
	}
	return rs, nil
}

// keyFor returns day d's key from a snapshot taken before the reading
// transaction began, or from the live keys if it was created since.
func (s *Store) keyFor(snap map[record.Day]*dayKey, d record.Day) (*dayKey, error) {
	if dk := snap[d]; dk != nil {
		return dk, nil
	}
	if dk := s.keys.get(d); dk != nil {
		snap[d] = dk
		return dk, nil
	}
	return nil, fmt.Errorf("%w (day %s)", ErrKeyGone, d)
}

// DeleteResults deletes the user's results with Seq <= through, after the
// user confirmed delivery, and returns how many it deleted.
func (s *Store) DeleteResults(userKey []byte, through uint64) (int, error) {
	p := userPrefix(userKey)
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketResults)
		var del [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(p); k != nil && len(k) == 40 && string(k[:32]) == string(p); k, _ = c.Next() {
			if binary.BigEndian.Uint64(k[32:]) <= through {
				del = append(del, append([]byte(nil), k...))
			}
		}
		for _, k := range del {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(del)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete results: %w", err)
	}
	return n, nil
}

// UserResult is one sealed result blob for PutResults.
type UserResult struct {
	UserKey, Blob []byte
}

// PutResults stores many result blobs in one transaction (one fsync): all of
// them or, on error, none. Each replaces every older result of its user: an
// epoch's result covers all of the user's days in the retention window.
func (s *Store) PutResults(rs []UserResult, now time.Time) error {
	return s.Publish(&Publication{Results: rs}, now)
}

// Publication is what a computation stores when it succeeds, all in one
// transaction: results for users, public outputs kept as run inputs, and
// runs whose inputs are consumed.
type Publication struct {
	Results    []UserResult // each replaces every older result of its user
	DeleteRuns []string     // deleted with their inputs, first
	Outputs    []RunInput   // then appended to their runs (created at now)
}

// RunInput is one input of a run.
type RunInput struct {
	Run  string
	Data []byte
}

// Publish stores p in one transaction (one fsync): all of it or, on error,
// nothing.
func (s *Store) Publish(p *Publication, now time.Time) error {
	for _, o := range p.Outputs {
		if err := checkRunID(o.Run); err != nil {
			return err
		}
	}
	s.shred.RLock()
	defer s.shred.RUnlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketResults)
		for _, r := range p.Results {
			pre := userPrefix(r.UserKey)
			c := b.Cursor()
			for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Seek(pre) {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := s.putResult(b, r.UserKey, seq, r.Blob, now); err != nil {
				return err
			}
		}
		for _, r := range p.DeleteRuns {
			if err := deleteRun(tx, []byte(r)); err != nil {
				return err
			}
		}
		for _, o := range p.Outputs {
			if err := s.addRunInput(tx, o.Run, o.Data, 0, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: publish: %w", err)
	}
	return nil
}
