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
//	runs     run id -> bucket of 0x00 -> created time, 0x01 || seq -> input
//
// Entry points: [Open]; [Store.PutUpload] stores an upload's records, and for
// a positive report uses its authority code, in one transaction;
// [Store.ForEachRecord] reads records for an epoch; [Store.Expire] applies the
// retention window (DESIGN.md 4.5).
//
// Warning: the store holds this party's shares in the clear. Shares reveal
// nothing alone, but a coalition of more than t parties' stores reveals every
// record: protect the file like a key. bbolt deletes by freeing pages, which
// may keep old bytes in the file until they are reused; the store does not
// scrub them.
package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketRecords = []byte("records")
	bucketUploads = []byte("uploads")
	bucketCodes   = []byte("codes")
	bucketResults = []byte("results")
	bucketRuns    = []byte("runs")
)

// Errors callers branch on.
var (
	// ErrCodeUsed is returned when an authority code was used before.
	ErrCodeUsed = errors.New("store: authority code already used")
	// ErrUploadReused is returned for an upload id stored before with other content.
	ErrUploadReused = errors.New("store: upload id reused with different content")
	// ErrRecordExists is returned when a record id of the day is already stored
	// by another upload.
	ErrRecordExists = errors.New("store: record id already stored by another upload")
)

// Limits on sizes of identifiers.
const (
	MaxIDLen = 64 // record and upload ids, 1..64 bytes
)

// Store is an open party database. Its methods may be called concurrently.
type Store struct {
	db *bolt.DB
}

// Open opens or creates the database file at path (mode 0600). It waits at
// most one second for another process's lock on the file.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Never set NoSync: a commit must be on disk before it is acknowledged.
	db.NoSync = false
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRecords, bucketUploads, bucketCodes, bucketResults, bucketRuns} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the database. It waits for running transactions.
func (s *Store) Close() error { return s.db.Close() }

// Day is a UTC calendar day, counted from 1970-01-01.
type Day uint32

// DayOf returns the UTC day of t.
func DayOf(t time.Time) Day { return Day(t.Unix() / 86400) }

// Time returns the start of day d (UTC).
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String returns d as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// UseCode records the authority code id as used at now, or returns
// ErrCodeUsed if it was used before. expires is the code's expiry: the entry is
// kept at least until then (see Expire). For a positive report, set
// Upload.Code instead, so the code is used in the same transaction that stores
// the report.
func (s *Store) UseCode(id [16]byte, expires, now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error { return useCode(tx, id, expires, now) })
}

func useCode(tx *bolt.Tx, id [16]byte, expires, now time.Time) error {
	b := tx.Bucket(bucketCodes)
	if v := b.Get(id[:]); v != nil {
		if len(v) >= 8 {
			used := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
			return fmt.Errorf("%w (at %s)", ErrCodeUsed, used.UTC().Format(time.RFC3339))
		}
		return ErrCodeUsed
	}
	v := binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))
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
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketResults)
		var err error
		if seq, err = b.NextSequence(); err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(userPrefix(userKey), seq)
		v := binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))
		return b.Put(k, append(v, blob...))
	})
	if err != nil {
		return 0, fmt.Errorf("store: put result: %w", err)
	}
	return seq, nil
}

// Results returns the user's stored result blobs, oldest first. The blobs are
// copies.
func (s *Store) Results(userKey []byte) ([]Result, error) {
	var rs []Result
	p := userPrefix(userKey)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketResults).Cursor()
		for k, v := c.Seek(p); k != nil && len(k) == 40 && string(k[:32]) == string(p); k, v = c.Next() {
			if len(v) < 8 {
				return fmt.Errorf("corrupt result entry")
			}
			rs = append(rs, Result{
				Seq:     binary.BigEndian.Uint64(k[32:]),
				Created: time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC(),
				Blob:    append([]byte(nil), v[8:]...),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: results: %w", err)
	}
	return rs, nil
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
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketResults)
		v0 := binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))
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
			k := binary.BigEndian.AppendUint64(userPrefix(r.UserKey), seq)
			if err := b.Put(k, append(append([]byte(nil), v0...), r.Blob...)); err != nil {
				return err
			}
		}
		for _, r := range p.DeleteRuns {
			if err := deleteRun(tx, r); err != nil {
				return err
			}
		}
		for _, o := range p.Outputs {
			if err := addRunInput(tx, o.Run, o.Data, now); err != nil {
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
